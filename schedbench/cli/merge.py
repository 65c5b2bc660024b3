"""`schedbench merge`: combine result databases made on several machines."""

from __future__ import annotations

from pathlib import Path

import typer

from schedbench.errors import InputError


def merge(
    sources: list[Path] = typer.Argument(..., help="result databases to merge"),
    into: Path = typer.Option(..., "--into", help="the database to merge into (created when missing)"),
) -> None:
    """Merge runs, items, tags and cached responses; a run both hold must be the same run with agreeing items."""
    from schedbench.cli._common import err
    from schedbench.results import Store
    from schedbench.results.merge import MergeConflict
    from schedbench.results.merge import merge as merge_databases

    for source in sources:
        if not source.is_file():
            raise InputError(str(source), None, "no such results database")
        if source.resolve() == into.resolve():
            raise InputError(str(source), None, "is the database merged into")
    with Store(into) as target:
        try:
            outcome = merge_databases(target, sources)
        except MergeConflict as exc:
            raise InputError(str(exc.source), None, f"{exc} (nothing was merged)") from None
    err.print(
        f"merged into {into}: {outcome.runs_added} new runs, {outcome.runs_extended} runs extended, "
        f"{outcome.items_added} items, {outcome.cache_added} cached responses",
        markup=False,
        highlight=False,
    )
