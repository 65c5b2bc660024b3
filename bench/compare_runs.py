"""`schedbench compare` on 5 runs × 10,000 items with 10,000 paired bootstrap resamples.

Writes 5 synthetic runs of the same suite into a fresh results database (levels 1–20 × 5 stages, 100 items per
cell, success probabilities 0.50–0.70, gaps on the successes), then times the whole command in-process
(reading the runs from SQLite, McNemar tests, the stratified paired bootstrap and the document) and, apart,
the statistics alone on arrays already in memory, in wall time and in CPU time of the process (the figure
that does not grow with other processes' load). Best of `--repeat` runs.

    .venv/bin/python bench/compare_runs.py [--runs 5] [--items 10000] [--resamples 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from schedbench.evaluate.paired import compare_items
from schedbench.results import ItemRecord, Store
from schedbench.results.compare import compare_runs, find_runs, paired_items

LEVELS = 20
STAGES = ("s1", "s2", "s3", "s4", "s5")


def write_runs(db: Path, runs: int, items: int) -> list[str]:
    """`runs` synthetic runs of `items` items each; returns their names."""
    rng = np.random.default_rng(0)
    names = []
    with Store(db) as store:
        for r in range(runs):
            name = f"run{r}"
            run = store.create_run(name, f"model/{r}", "suites/bench", "hash", {}, {}, None, items)
            success = rng.random(items) < 0.5 + 0.05 * r
            gaps = rng.exponential(5.0, items)
            batch = []
            for i in range(items):
                verification = {"feasible": bool(success[i]), "correct": bool(success[i])}
                if success[i]:
                    verification["gap_pct"] = float(gaps[i])
                record = ItemRecord(
                    instance_id=f"i{i:05d}",
                    sample=0,
                    family="rcpsp",
                    level=1 + i % LEVELS,
                    stage=STAGES[(i // LEVELS) % len(STAGES)],
                    scenario="abstract",
                    mode="plan",
                    verification=verification,
                )
                batch.append((record, None))
            store.add_items(run.id, batch)
            names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "results.db"
        names = write_runs(db, args.runs, args.items)
        with Store(db) as store:
            items, _ = paired_items(store, find_runs(store, names, str(db)))
            whole, stats, cpu = [], [], []
            for _ in range(args.repeat):
                began = time.perf_counter()
                document = compare_runs(store, names, resamples=args.resamples)
                whole.append(time.perf_counter() - began)
                began, began_cpu = time.perf_counter(), time.process_time()
                compare_items(items, resamples=args.resamples)
                stats.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
    print(f"{args.runs} runs x {args.items:,} items, {args.resamples:,} resamples, {len(document['pairs'])} pairs")
    print(
        f"whole comparison (store + statistics): best {min(whole):.2f} s, runs {', '.join(f'{t:.2f}' for t in whole)}"
    )
    print(f"statistics alone: best {min(stats):.2f} s, runs {', '.join(f'{t:.2f}' for t in stats)}")
    print(f"statistics alone, CPU time of the process (all threads): best {min(cpu):.2f} s")
    print(f"load average {' '.join(os.getloadavg().__str__().strip('()').split(', '))}")


if __name__ == "__main__":
    main()
