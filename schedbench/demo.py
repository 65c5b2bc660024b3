"""The main job on an embedded default: no API key, no server (`make demo`).

Generates a small suite of every registered family, solves exact references, runs each family's offline
baseline rules through the verifier, and prints feasibility and optimality gaps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from schedbench.cli.generate import run_generate
from schedbench.problems import family_names, get_family
from schedbench.suites import load_instances

DEMO_LEVELS = {"rcpsp": "2,6,10,15,20,25"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    args = parser.parse_args()
    console = Console()
    table = Table("family", "baseline", "n", "feasible", "optimal", "mean gap %", title="Offline baselines")
    for name in family_names():
        family = get_family(name)
        config = family.generator_config(levels=DEMO_LEVELS.get(name, "5,10,20"), stage="all", seed=7)
        folder = run_generate(family, config, args.out / name)
        instances = load_instances(folder)
        for rule, baseline in family.baselines.items():
            results = []
            for inst in instances:
                data = family.parse_data(inst.data)
                results.append(family.verify(data, baseline(data), inst.reference))
            feasible = [r for r in results if r.feasible]
            gaps = [r.gap_pct for r in feasible if r.gap_pct is not None]
            table.add_row(name, rule, str(len(results)), f"{len(feasible) / len(results):.2f}",
                          f"{sum(r.optimal for r in results) / len(results):.2f}",
                          f"{sum(gaps) / len(gaps):.1f}" if gaps else "-")
    console.print(table)


if __name__ == "__main__":
    main()
