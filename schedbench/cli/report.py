"""`schedbench report [RUN]`: rich tables (several runs side by side), the JSON document, item exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from schedbench.cli.runs import BY_FAMILY, BY_MODE, BY_MODEL, BY_STATUS, BY_STRATEGY, BY_SUITE, BY_TAG
from schedbench.errors import InputError, OptionError
from schedbench.results import DEFAULT_DB


def report(
    run: list[str] = typer.Argument(None, help="runs: names, ids or unique starts of names; default: every run"),
    results: Path = typer.Option(Path(DEFAULT_DB), "--results", help="SQLite results database"),
    model: str = BY_MODEL,
    suite_filter: str = BY_SUITE,
    family: str = BY_FAMILY,
    status: str = BY_STATUS,
    strategy: str = BY_STRATEGY,
    mode: str = BY_MODE,
    tag: str = BY_TAG,
    as_json: bool = typer.Option(False, "--json", help="print the report document (a list for several runs)"),
    fmt: str = typer.Option(
        "table", "--format", help="table (terminal), md (Markdown) or latex (booktabs tables for papers)"
    ),
    items: int = typer.Option(
        None,
        "--items",
        min=0,
        help="items shown in full per run in the HTML drill-down (default: 12, fewer with many runs)",
    ),
    export: list[Path] = typer.Option(
        [], "--export", help="write the items to .jsonl, .csv or .parquet (Hugging Face dataset); repeatable"
    ),
    html: Path = typer.Option(None, "--html", help="write a self-contained HTML report with charts and Gantt charts"),
    plots: Path = typer.Option(None, "--plots", help="write every chart as PNG, SVG and PDF into this folder"),
) -> None:
    """Report feasibility (Wilson 95% CI) by level/stage/scenario, WAUC, breakpoint, taxonomy, gaps, cost."""
    from schedbench.cli._common import err, out, print_json
    from schedbench.cli.runs import filters
    from schedbench.results import Store
    from schedbench.results.export import FORMATS
    from schedbench.results.export import export as write_export
    from schedbench.results.report import build_report
    from schedbench.results.selection import RunSelectionError, select
    from schedbench.results.tables import WRITERS

    if fmt not in ("table", *WRITERS):
        raise OptionError("format", f"unknown format {fmt!r}; use table, {', '.join(WRITERS)}")
    if not results.is_file():
        raise InputError(str(results), None, "no results database (run `schedbench evaluate` first)")
    for path in export:
        if path.suffix not in FORMATS:
            raise InputError(str(path), "--export", f"unknown format; use one of {', '.join(FORMATS)}")
    with Store(results, readonly=True) as store:
        try:
            chosen = select(store, run or None, filters(model, suite_filter, family, status, strategy, mode, tag))
        except RunSelectionError as exc:
            raise InputError(str(results), "RUN", str(exc)) from None
        documents = [build_report(store, r) for r in chosen]
        for path in export:
            runs = [store.run(d["run"]) for d in documents]
            count = write_export(store, [r for r in runs if r is not None], path)
            err.print(f"wrote {count} items to {path}")
        if html is not None or plots is not None:
            from schedbench.results.html import DRILL_DOWN_PER_RUN, write_report_outputs

            comparison = leaderboard_comparison(store, documents) if html is not None else None
            written = write_report_outputs(
                store,
                documents,
                html=html,
                plots=plots,
                comparison=comparison,
                per_run=DRILL_DOWN_PER_RUN if items is None else items,
                exact=items is not None,
            )
            for path in written:
                err.print(f"wrote {path}")
    if as_json:
        print_json(documents[0] if len(documents) == 1 else documents)
        return
    if not documents:
        out.print("no runs in the database")
        return
    if fmt in WRITERS:
        from schedbench.results.tables import report_tables

        sys.stdout.write(WRITERS[fmt](report_tables(documents)))
        return
    render(documents, out)


def leaderboard_comparison(store: Any, documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The `compare` document behind the HTML leaderboard: for two or more runs of one suite, else None."""
    from schedbench.results.compare import compare_runs

    if len(documents) < 2 or len({d["suite_hash"] for d in documents}) != 1:
        return None
    return compare_runs(store, [d["run"] for d in documents])


def render(documents: list[dict[str, Any]], console: Any) -> None:
    """The terminal report: the runs, then per family and suite its tables (runs as rows, split by columns to fit
    the console), then answers better than the reference and error breakdowns."""
    from schedbench.results.tables import print_rich, report_tables

    print_rich(report_tables(documents), console)
    for index, d in enumerate(documents, start=1):
        for item in d.get("better_than_reference_items") or []:
            console.print(
                f"[{index}] better than the reference (not proven optimal): {item['instance_id']} "
                f"sample {item['sample']}: {item['objective']:g} < {item['reference']:g}",
                markup=False,
                highlight=False,
            )
        for line in error_lines(d.get("errors_by_kind") or {}):
            console.print(f"[{index}] {line}", markup=False, highlight=False)


def error_lines(errors: dict[str, dict[str, Any]]) -> list[str]:
    """`errors: N` and one line per kind with its count and an example message (shortened)."""
    if not errors:
        return []
    total = sum(entry["count"] for entry in errors.values())
    lines = [f"errors: {total} (rerun the same command to retry them)"]
    for kind, entry in errors.items():
        example = entry["example"].split(": ", 1)[-1]
        lines.append(f"  {kind} {entry['count']}, e.g. {example[:150]}")
    return lines
