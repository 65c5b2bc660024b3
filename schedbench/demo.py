"""The main job on an embedded default: no API key, no server (`make demo`).

For every registered family: generate a small suite with exact references, evaluate `oracle/exact` and every
baseline rule through the real `evaluate` path (prompt → text answer → extraction → verification → SQLite
store), and print the comparison built from the stored results — exactly what a real model goes through.
Afterwards `schedbench report --results DIR/results.db` shows every table, `--html` the charts.
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


#: Offline models asked with a strategy other than direct, beside the others: (model, strategy, options).
STRATEGY_RUNS = [("oracle/tooluser", "direct", {}), ("oracle/tooluser", "tools", {"tools": ["check"]})]


def comparison_table(name: str, documents: list[dict[str, Any]]) -> Table:
    """One row per model: feasibility with its Wilson interval, optimality, gaps, WAUC, breakpoint."""
    table = Table(
        title=f"{name}: {documents[0]['n'] if documents else 0} items per model "
        f"(suite {documents[0]['suite'] if documents else '-'}; rules are baseline/<name>)"
    )
    for column in ("model", "feasible %", "95% CI", "parse %", "optimal %", "gap %", "norm gap", "WAUC", "break"):
        table.add_column(column, justify="left" if column == "model" else "right", no_wrap=True)
    for d in documents:
        low, high = d["feasible_ci"]
        strategy = d.get("strategy", "direct")
        table.add_row(
            d["model"].removeprefix("baseline/") + ("" if strategy == "direct" else f" +{strategy}"),
            f"{100 * d['feasible_rate']:.0f}",
            f"{100 * low:.0f}–{100 * high:.0f}",
            f"{100 * d['parse_error_rate']:.0f}",
            _num(None if d["optimal_rate"] is None else 100 * d["optimal_rate"], 0),
            _num(d["mean_gap_pct"], 1),
            _num(d["mean_normalised_gap"], 3),
            _num(d["wauc"], 3),
            "-" if d["breakpoint_level"] is None else str(d["breakpoint_level"]),
        )
    return table


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    parser.add_argument("--families", default=",".join(family_names()), help="comma list of families")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=110)
    results = args.out / "results.db"
    results.unlink(missing_ok=True)
    tables = []
    for name in [f.strip() for f in args.families.split(",") if f.strip()]:
        folder = make_suite(name, args.out / name)
        instances = load_instances(folder)
        runs = []
        for spec in demo_models(name):
            outcome = evaluate(
                EvalConfig(model=spec, suite=str(folder), results=results, run=f"{name}:{spec}", show_progress=False),
                instances,
            )
            runs.append(outcome.run)
        for spec, strategy, options in STRATEGY_RUNS:
            config = EvalConfig(
                model=spec,
                suite=str(folder),
                results=results,
                run=f"{name}:{spec}:{strategy}",
                show_progress=False,
                strategy=strategy,
                strategy_options=options,
            )
            runs.append(evaluate(config, instances).run)
        with Store(results) as store:
            tables.append(comparison_table(name, build_reports(store, runs)))
    for table in tables:
        console.print(table)
    console.print(
        f"Stored in {results}: `schedbench report --results {results}` for every table, "
        f"`--html report.html` for charts."
    )


if __name__ == "__main__":
    main()
