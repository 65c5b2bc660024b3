"""The main job on an embedded default: no API key, no server (`make demo`).

For every registered family: generate a small suite with exact references, evaluate offline models under each
reasoning strategy through the real `evaluate` path (prompt → text answer or program → sandbox → extraction →
verification → SQLite store), and print one table per family with a row per model × strategy, built from the
stored results — exactly what a real model goes through:

- direct: `oracle/exact` and every baseline rule;
- repair (3 rounds): `oracle/repairer`, which improves only from the findings it is told, with full and with
  bare feedback;
- formalize: `oracle/formalizer` (a CP-SAT program run in the sandbox) and the family's gap baseline (or first
  rule) as a program.

Under each family's table comes the mean gap of feasible answers by level, one row per strategy (its runs
pooled), and the same numbers are drawn as `DIR/<family>_strategy_gap_by_level.png` (the report's chart of that
name). Afterwards `schedbench report --results DIR/results.db` shows every table, `--html` every chart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from schedbench.evaluate import EvalConfig, evaluate
from schedbench.problems import family_names, get_family
from schedbench.references import generate_suite
from schedbench.results import Store
from schedbench.results.report import build_reports
from schedbench.suites import load_instances

#: Options of a family whose record names no demo suite.
DEFAULT_SUITE = {"levels": "5,10,20", "stage": "all"}


def make_suite(name: str, out: Path, seed: int = 7, show_progress: bool = True, **overrides: Any) -> Path:
    """Generate the demo suite of one family (its record's `demo` options; references solved) into `out`."""
    family = get_family(name)
    options = {**(family.demo or DEFAULT_SUITE), **overrides}
    options = {k: v for k, v in options.items() if k in family.generator_config.model_fields}
    config = family.generator_config(seed=seed, time_limit=10, **options)
    return generate_suite(family, config, out, show_progress=show_progress)


def demo_models(name: str) -> list[str]:
    """The offline models evaluated on a family: the oracle and every baseline rule."""
    return ["oracle/exact", *(f"baseline/{rule}" for rule in get_family(name).baselines)]


def demo_runs(name: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(model, strategy, strategy options) of every row of a family's table."""
    family = get_family(name)
    runs: list[tuple[str, str, dict[str, Any]]] = [(spec, "direct", {}) for spec in demo_models(name)]
    runs += [("oracle/repairer", "repair", {"rounds": 3, "feedback": style}) for style in ("full", "bare")]
    if family.formalizer_program is not None:
        runs.append(("oracle/formalizer", "formalize", {"program_timeout_s": 30.0}))
    rules = list(family.rule_programs)
    rule = family.gap_baseline if family.gap_baseline in rules else next(iter(rules), None)
    if rule is not None:
        runs.append((f"baseline/{rule}", "formalize", {"program_timeout_s": 30.0}))
    runs += [("oracle/tooluser", "direct", {}), ("oracle/tooluser", "tools", {"tools": ["check"]})]
    return runs


def _strategy_label(strategy: str, options: dict[str, Any]) -> str:
    if strategy == "repair":
        style = options.get("feedback", "full")
        return f"repair×{options.get('rounds', 3)}" + ("" if style == "full" else f", {style}")
    return strategy


def comparison_table(name: str, documents: list[dict[str, Any]]) -> Table:
    """One row per model × strategy: feasibility, parse failures, optimality, gaps, breakpoint, first-round
    success of a multi-turn strategy and the programs that failed (formalize)."""
    table = Table(
        title=f"{name}: {documents[0]['n'] if documents else 0} items per row (suite "
        f"{documents[0]['suite'] if documents else '-'}; rules are baseline/<name>; @1: success in the first round)"
    )
    columns = ("model", "strategy", "feasible %", "parse %", "optimal %", "gap %", "norm gap", "break", "@1")
    for column in (*columns, "programs failed"):
        table.add_column(column, justify="left" if column in ("model", "strategy") else "right", no_wrap=True)
    for d in documents:
        table.add_row(
            d["model"].removeprefix("baseline/"),
            _strategy_label(d["strategy"], d["config"]),
            f"{100 * d['feasible_rate']:.0f}",
            f"{100 * d['parse_error_rate']:.0f}",
            _num(None if d["optimal_rate"] is None else 100 * d["optimal_rate"], 0),
            _num(d["mean_gap_pct"], 1),
            _num(d["mean_normalised_gap"], 3),
            "-" if d["breakpoint_level"] is None else str(d["breakpoint_level"]),
            _num((d.get("multi_turn") or {}).get("success_at", {}).get("1"), 2),
            _failures(d),
        )
    return table


def gap_table(name: str, documents: list[dict[str, Any]]) -> Table:
    """The mean gap (%) of feasible answers by level, one row per strategy (its runs pooled; n: answers)."""
    from schedbench.evaluate.by_strategy import gap_by_level

    pooled = gap_by_level(documents)
    levels = sorted({row["level"] for rows in pooled.values() for row in rows})
    table = Table(
        title=f"{name}: gap by level, per strategy",
        caption="mean gap % of the feasible answers (n: how many), the runs of a strategy pooled",
    )
    table.add_column("strategy", no_wrap=True)
    for level in levels:
        table.add_column(f"L{level}", justify="right", no_wrap=True)
    for strategy, rows in pooled.items():
        by = {row["level"]: row for row in rows}
        cells = [f"{by[lv]['mean_gap_pct']:.2f} n{by[lv]['gap_n']}" if lv in by else "-" for lv in levels]
        table.add_row(strategy, *cells)
    return table


def write_gap_chart(name: str, documents: list[dict[str, Any]], out: Path) -> Path:
    """The per-strategy gap chart of a family as `out/<family>_strategy_gap_by_level.png`."""
    from schedbench.plots import save_figure
    from schedbench.plots.strategies import strategy_gap_curves

    figure = strategy_gap_curves(documents, title=f"{name}: mean gap by level, per strategy")
    return save_figure(figure, out / f"{name}_strategy_gap_by_level", formats=("png",))[0]


def _failures(document: dict[str, Any]) -> str:
    """The formalize column: programs whose run failed, by type."""
    if "formalize" not in document:
        return "-"
    failed = document["formalize"]["final_failures"]
    return ", ".join(f"{kind} {count}" for kind, count in failed.items()) or "0"


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    parser.add_argument("--families", default=",".join(family_names()), help="comma list of families")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=140)
    results = args.out / "results.db"
    results.unlink(missing_ok=True)
    tables: list[Table] = []
    charts: list[Path] = []
    for name in [f.strip() for f in args.families.split(",") if f.strip()]:
        folder = make_suite(name, args.out / name)
        instances = load_instances(folder)
        runs = []
        for spec, strategy, options in demo_runs(name):
            label = f"{name}:{spec}" + ("" if strategy == "direct" else f":{_strategy_label(strategy, options)}")
            config = EvalConfig(
                model=spec,
                suite=str(folder),
                results=results,
                run=label,
                show_progress=False,
                strategy=strategy,
                strategy_options=options,
            )
            runs.append(evaluate(config, instances).run)
        with Store(results) as store:
            documents = build_reports(store, runs)
        tables += [comparison_table(name, documents), gap_table(name, documents)]
        charts.append(write_gap_chart(name, documents, args.out))
    for table in tables:
        console.print(table)
    console.print(f"Mean gap by level per strategy, as charts: {', '.join(str(path) for path in charts)}")
    console.print(
        f"Stored in {results}: `schedbench report --results {results}` for every table, "
        f"`--html report.html` for every chart."
    )


if __name__ == "__main__":
    main()
