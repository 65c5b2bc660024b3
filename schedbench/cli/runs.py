"""`schedbench runs`: list runs with filters, and delete, rename or tag them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from schedbench.errors import InputError
from schedbench.results import DEFAULT_DB

app = typer.Typer(help="List, delete, rename and tag runs.", invoke_without_command=True, no_args_is_help=False)

RESULTS = typer.Option(Path(DEFAULT_DB), "--results", help="SQLite results database")
# the run filters that `runs` and `report` share
BY_MODEL = typer.Option(None, "--model", help="only runs of models matching this glob (openai/*)")
BY_SUITE = typer.Option(None, "--suite", help="only runs on suites matching this glob")
BY_FAMILY = typer.Option(None, "--family", help="only runs with items of this family")
BY_STATUS = typer.Option(None, "--status", help="only runs with this status (complete, incomplete, ...)")
BY_STRATEGY = typer.Option(None, "--strategy", help="only runs that asked with this strategy")
BY_MODE = typer.Option(None, "--mode", help="only runs that asked in this question mode")
BY_TAG = typer.Option(None, "--tag", help="only runs with this tag")


def filters(
    model: str | None = None,
    suite: str | None = None,
    family: str | None = None,
    status: str | None = None,
    strategy: str | None = None,
    mode: str | None = None,
    tag: str | None = None,
) -> Any:
    from schedbench.results.selection import RunFilter

    return RunFilter(model=model, suite=suite, family=family, status=status, strategy=strategy, mode=mode, tag=tag)


@app.callback()
def list_runs(
    ctx: typer.Context,
    results: Path = RESULTS,
    model: str = BY_MODEL,
    suite: str = BY_SUITE,
    family: str = BY_FAMILY,
    status: str = BY_STATUS,
    strategy: str = BY_STRATEGY,
    mode: str = BY_MODE,
    tag: str = BY_TAG,
    as_json: bool = typer.Option(False, "--json", help="print the list as JSON"),
) -> None:
    """List runs: id, name, model, mode and strategy, status, items, tags (filters narrow the list)."""
    if ctx.invoked_subcommand is not None:
        return
    from schedbench.cli._common import out, print_json
    from schedbench.results.selection import mode_of, select, strategy_of

    with _store(results) as store:
        runs = select(store, None, filters(model, suite, family, status, strategy, mode, tag))
        rows = [
            {
                "id": run.id,
                "name": run.name,
                "model": run.model,
                "mode": mode_of(run),
                "strategy": strategy_of(run),
                "status": run.status,
                "items": len(store.item_rows(run.id, ("sample",))),
                "planned": run.planned,
                "families": store.families(run.id),
                "tags": store.tags(run.id),
                "started_at": run.started_at,
            }
            for run in runs
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("no runs match")
        return
    from rich.table import Table

    table = Table(title=f"Runs in {results}")
    table.add_column("id", justify="right", overflow="fold")
    for column in ("name", "mode", "status"):
        table.add_column(column, justify="left", overflow="fold")
    table.add_column("items", justify="right", no_wrap=True)
    table.add_column("tags", overflow="fold")
    for row in rows:
        mode_text = row["mode"] if row["strategy"] == "direct" else f"{row['mode']}/{row['strategy']}"
        items = f"{row['items']}/{row['planned']}"
        table.add_row(str(row["id"]), row["name"], mode_text, row["status"], items, " ".join(row["tags"]))
    out.print(table)


@app.command("delete")
def delete(
    run: list[str] = typer.Argument(..., help="runs: names, ids or unique starts of names"),
    results: Path = RESULTS,
) -> None:
    """Delete runs with their items (cached responses stay, so asking again costs nothing)."""
    from schedbench.cli._common import err

    with _store(results) as store:
        chosen = _resolve(store, run)
        store.remove_runs([r.id for r in chosen])
    for r in chosen:
        err.print(f"deleted run {r.id} {r.name}", markup=False, highlight=False)


@app.command("rename")
def rename(
    run: str = typer.Argument(..., help="the run: name, id or unique start of a name"),
    new_name: str = typer.Argument(..., help="its new name"),
    results: Path = RESULTS,
) -> None:
    """Rename a run (rerunning the old command then starts a new run under the derived name)."""
    import sqlite3

    with _store(results) as store:
        (chosen,) = _resolve(store, [run])
        try:
            store.rename_run(chosen.id, new_name)
        except sqlite3.IntegrityError:
            raise InputError(str(results), "NEW_NAME", f"a run called {new_name!r} exists already") from None


@app.command("tag")
def tag(
    run: str = typer.Argument(..., help="the run: name, id or unique start of a name"),
    tags: list[str] = typer.Argument(..., help="tags to add"),
    remove: bool = typer.Option(False, "--remove", help="remove these tags instead"),
    results: Path = RESULTS,
) -> None:
    """Tag a run (`runs --tag T` and `report --tag T` select by tag)."""
    with _store(results) as store:
        (chosen,) = _resolve(store, [run])
        store.set_tags(chosen.id, [] if remove else tags, tags if remove else [])


def _store(results: Path) -> Any:
    from schedbench.results import Store

    if not results.is_file():
        raise InputError(str(results), None, "no results database (run `schedbench evaluate` first)")
    return Store(results)


def _resolve(store: Any, selectors: list[str]) -> list[Any]:
    from schedbench.results.selection import RunSelectionError, select

    try:
        return select(store, selectors)
    except RunSelectionError as exc:
        raise InputError(str(store.path), "RUN", str(exc)) from None
