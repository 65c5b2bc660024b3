"""`schedbench report [RUN]`: rich tables (several runs side by side), the JSON document, item exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from schedbench.cli.runs import BY_FAMILY, BY_MODE, BY_MODEL, BY_STATUS, BY_STRATEGY, BY_SUITE, BY_TAG
from schedbench.errors import InputError
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
            from schedbench.results.html import write_report_outputs

            comparison = leaderboard_comparison(store, documents) if html is not None else None
            for path in write_report_outputs(store, documents, html=html, plots=plots, comparison=comparison):
                err.print(f"wrote {path}")
    if as_json:
        print_json(documents[0] if len(documents) == 1 else documents)
        return
    if not documents:
        out.print("no runs in the database")
        return
    render(documents, out)


def leaderboard_comparison(store: Any, documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The `compare` document behind the HTML leaderboard: for two or more runs of one suite, else None."""
    from schedbench.results.compare import compare_runs

    if len(documents) < 2 or len({d["suite_hash"] for d in documents}) != 1:
        return None
    return compare_runs(store, [d["run"] for d in documents])


def render(documents: list[dict[str, Any]], console: Any) -> None:
    """Rich tables, runs side by side as columns: summary metrics, feasibility by level/stage/scenario with
    Wilson 95% intervals, and the violation taxonomy."""
    from rich.table import Table

    for index, d in enumerate(documents, start=1):
        console.print(
            f"[bold][{index}][/] {d['run']}  [dim]suite {d['suite']}, {d['status']}, {d['n']}/{d['planned']} items[/]"
        )
    summary = _table(Table, documents, "metric", "Summary")
    rows = [
        ("items", lambda d: str(d["n"])),
        ("feasible (95% CI)", lambda d: _rate(d["feasible_rate"], *d["feasible_ci"])),
        ("parse errors", lambda d: _pct(d["parse_error_rate"])),
        ("API errors", lambda d: _pct(d["error_rate"])),
        ("optimal", lambda d: _pct(d["optimal_rate"])),
        ("mean gap %", lambda d: _num(d["mean_gap_pct"])),
        ("median gap %", lambda d: _num(d["median_gap_pct"])),
        ("normalised gap", lambda d: _num(d["mean_normalised_gap"], 3)),
        ("better than reference", lambda d: str(d.get("better_than_reference", 0))),
        ("WAUC", lambda d: _num(d["wauc"], 3)),
        ("breakpoint level", lambda d: "-" if d["breakpoint_level"] is None else str(d["breakpoint_level"])),
        ("chain breakpoint (95% CI)", _chain_breakpoint),
        ("chains never failing / recovering", _chain_counts),
        ("tokens", lambda d: f"{d['tokens']:,}"),
        ("cost $", lambda d: f"{d['cost_usd']:.4f}"),
        ("cached", lambda d: str(d["cached"])),
        ("latency p50 / p95 s", lambda d: f"{_num(d['latency_s']['p50'])} / {_num(d['latency_s']['p95'])}"),
    ]
    for label, cell in rows:
        summary.add_row(label, *[cell(d) for d in documents])
    console.print(summary)
    for key, name in (("by_level", "level"), ("by_stage", "stage"), ("by_scenario", "scenario")):
        console.print(_breakdown(Table, documents, key, name))
    console.print(_taxonomy(Table, documents))
    for index, d in enumerate(documents, start=1):
        for item in d.get("better_than_reference_items") or []:
            console.print(
                f"[{index}] better than the reference (not proven optimal): {item['instance_id']} "
                f"sample {item['sample']}: {item['objective']:g} < {item['reference']:g}"
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


def _chain_breakpoint(d: dict[str, Any]) -> str:
    """Median first failing level over the nested chains, with its interval ('>top' past the last level)."""
    chains = d.get("chains")
    if not chains:
        return "-"
    low, high = (">top" if v is None else f"{v:g}" for v in chains["breakpoint_ci"])
    median = ">top" if chains["breakpoint_median"] is None else f"{chains['breakpoint_median']:g}"
    return f"{median} ({low}–{high})"


def _chain_counts(d: dict[str, Any]) -> str:
    chains = d.get("chains")
    if not chains:
        return "-"
    return f"{chains['never_failed']} / {chains['recovered']} of {chains['n_trajectories']}"


def _table(table_class: Any, documents: list[dict[str, Any]], first: str, title: str) -> Any:
    table = table_class(title=title)
    table.add_column(first)
    for index, d in enumerate(documents, start=1):
        table.add_column(f"[{index}] {d['model']}", justify="right")
    return table


def _breakdown(table_class: Any, documents: list[dict[str, Any]], key: str, name: str) -> Any:
    table = _table(table_class, documents, name, f"Feasibility by {name} (Wilson 95% interval, n)")
    values: list[Any] = sorted({row[name] for d in documents for row in d[key]}, key=lambda v: (str(type(v)), v))
    for value in values:
        cells = []
        for d in documents:
            row = next((r for r in d[key] if r[name] == value), None)
            cells.append(
                "-" if row is None else f"{_rate(row['feasible_rate'], row['ci_low'], row['ci_high'])} {row['n']}"
            )
        table.add_row(str(value), *cells)
    return table


def _taxonomy(table_class: Any, documents: list[dict[str, Any]]) -> Any:
    table = _table(table_class, documents, "violation", "Violation taxonomy (share of failed parsed answers)")
    for kind in sorted({kind for d in documents for kind in d["taxonomy"]}):
        table.add_row(kind, *[_pct(d["taxonomy"].get(kind, 0.0)) for d in documents])
    table.add_row("[dim]failed parsed answers[/]", *[str(d["taxonomy_n"]) for d in documents])
    return table


def _rate(rate: float | None, low: float, high: float) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}% ({100 * low:.0f}–{100 * high:.0f})"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
