"""`schedbench compare RUN_A RUN_B [RUN_C ...]`: paired significance tests and bootstrap intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from schedbench.errors import InputError
from schedbench.results import DEFAULT_DB


def compare(
    runs: list[str] = typer.Argument(..., help="two or more run names (same suite)"),
    results: Path = typer.Option(Path(DEFAULT_DB), "--results", help="SQLite results database"),
    as_json: bool = typer.Option(False, "--json", help="print the comparison document (keys: README, Comparing runs)"),
    resamples: int = typer.Option(10_000, min=100, help="paired bootstrap resamples"),
    seed: int = typer.Option(0, help="bootstrap seed (same seed, same intervals)"),
    confidence: float = typer.Option(0.95, min=0.5, max=0.999, help="interval level; tests at 1 - confidence"),
    html: Path = typer.Option(None, "--html", help="also write the HTML report of these runs, with the leaderboard"),
) -> None:
    """Compare runs item by item: exact McNemar tests on success (Holm-adjusted over pairs), paired bootstrap
    intervals for the differences in success rate, mean gap and WAUC, overall, by level and by stage."""
    from schedbench.cli._common import err, out, print_json
    from schedbench.results import Store
    from schedbench.results.compare import compare_runs

    if not results.is_file():
        raise InputError(str(results), None, "no results database (run `schedbench evaluate` first)")
    with Store(results) as store:
        document = compare_runs(store, runs, resamples=resamples, seed=seed, confidence=confidence, source=str(results))
        if html is not None:
            from schedbench.results.html import write_report_outputs
            from schedbench.results.report import build_reports

            for path in write_report_outputs(store, build_reports(store, runs), html=html, comparison=document):
                err.print(f"wrote {path}")
    if as_json:
        print_json(document)
        return
    render(document, out)


def render(document: dict[str, Any], console: Any) -> None:
    """The leaderboard and one row per pair of runs."""
    from rich.table import Table

    level = round(100 * document["confidence"])
    console.print(
        f"[bold]{document['suite']}[/]: {document['n']} paired items, {document['resamples']:,} resamples "
        f"(seed {document['seed']}), {level}% intervals"
    )
    board = Table(title="Leaderboard (ranked by WAUC; * success differs from the best, Holm-adjusted McNemar)")
    for name in ("rank", "run", "WAUC", "success", "mean gap %", "vs best: p (Holm)"):
        board.add_column(name, justify="left" if name == "run" else "right")
    for row in document["leaderboard"]:
        versus = row["vs_best"]
        mark = "" if versus is None else f"{versus['p_holm']:.3g}{' *' if versus['significant'] else ''}"
        board.add_row(
            str(row["rank"]),
            row["run"],
            _with_ci(row["wauc"], row["wauc_ci"], 3),
            _with_ci(row["success_rate"], row["success_ci"], 3),
            _with_ci(row["mean_gap_pct"], row["mean_gap_ci"], 2),
            mark,
        )
    console.print(board)
    pairs = Table(title="Pairs (a − b)")
    for name in ("a", "b", "only a / only b", "p", "p Holm", "Δ success", "Δ gap (n)", "Δ WAUC"):
        pairs.add_column(name, justify="left" if name in ("a", "b") else "right")
    for pair in document["pairs"]:
        mcnemar = pair["mcnemar"]
        pairs.add_row(
            pair["a"],
            pair["b"],
            f"{mcnemar['only_a']} / {mcnemar['only_b']}",
            f"{mcnemar['p']:.3g}",
            f"{mcnemar['p_holm']:.3g}{' *' if mcnemar['significant'] else ''}",
            _with_ci(pair["success_diff"], pair["success_diff_ci"], 3),
            f"{_with_ci(pair['gap_diff'], pair['gap_diff_ci'], 2)} ({pair['gap_n']})",
            _with_ci(pair["wauc_diff"], pair["wauc_diff_ci"], 3),
        )
    console.print(pairs)


def _with_ci(value: float | None, interval: list[float | None], digits: int) -> str:
    if value is None:
        return "-"
    low, high = interval
    if low is None or high is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
