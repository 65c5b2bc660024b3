"""Verifier throughput: one 10,000-task schedule with 20 resources (target: under 0.5 s).

The schedule is an LFT serial SGS schedule of a random layered project with downtimes, windows and
disjunctive pairs, so it is feasible except where the rule misses deadlines; a second, overloaded variant
(every start shifted onto a few time points) exercises the violation reporting. Figures: best and median
wall time of `verify()` over `--repeat` runs, for both.

    .venv/bin/python bench/rcpsp_verify.py [--tasks 10000] [--resources 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

from schedbench.heuristics.rcpsp import lft_priority, serial_sgs
from schedbench.problems.rcpsp import RcpspData
from schedbench.verifiers.rcpsp import verify


def big_instance(n_tasks: int, n_resources: int, seed: int = 0) -> RcpspData:
    """A random project: 3 demands per task, ~1.5 precedences per task between consecutive layers."""
    rng = np.random.default_rng(seed)
    ids = [f"T{i}" for i in range(n_tasks)]
    layer = np.sort(rng.integers(0, max(2, n_tasks // 50), size=n_tasks))
    resources = [{"id": f"R{k}", "capacity": int(rng.integers(5, 15))} for k in range(n_resources)]
    tasks = []
    for tid in ids:
        used = rng.choice(n_resources, size=3, replace=False)
        tasks.append(
            {
                "id": tid,
                "duration": int(rng.integers(1, 20)),
                "demands": {f"R{k}": int(rng.integers(1, 5)) for k in used},
            }
        )
    by_layer: dict[int, list[int]] = {}
    for i, k in enumerate(layer):
        by_layer.setdefault(int(k), []).append(i)
    precedences = []
    for k, members in by_layer.items():
        nxt = by_layer.get(k + 1)
        if nxt:
            precedences += [(ids[i], ids[int(rng.choice(nxt))]) for i in members if rng.random() < 0.75]
    downtimes = [
        {"resource": f"R{k}", "start": int(rng.integers(0, 2000)), "end": 0, "capacity": 2} for k in range(n_resources)
    ]
    for d in downtimes:
        d["end"] = d["start"] + 50
    windows = {ids[i]: {"release": int(rng.integers(0, 100))} for i in rng.choice(n_tasks, n_tasks // 10, False)}
    disjunctive = [(ids[i], ids[j]) for i, j in rng.integers(0, n_tasks, size=(n_tasks // 20, 2)) if i != j]
    return RcpspData.model_validate(
        {
            "horizon": 10**9,
            "resources": resources,
            "tasks": tasks,
            "precedences": precedences,
            "downtimes": downtimes,
            "windows": windows,
            "disjunctive": disjunctive,
        }
    )


def timed(data: RcpspData, answer: dict[str, Any], repeat: int) -> tuple[float, float, Any]:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = verify(data, answer)
        runs.append(time.perf_counter() - began)
    return min(runs), statistics.median(runs), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = big_instance(args.tasks, args.resources)
    starts = serial_sgs(data, lft_priority(data))
    best, median, result = timed(data, {"starts": starts}, args.repeat)
    print(
        f"{args.tasks} tasks, {args.resources} resources, {len(data.precedences)} precedences: feasible "
        f"{result.feasible}, makespan {result.objective}, verify best {best:.3f} s, median {median:.3f} s"
    )
    crowded = {t: s % 97 for t, s in starts.items()}
    best_bad, median_bad, bad = timed(data, {"starts": crowded}, args.repeat)
    kinds = sorted(bad.violation_types())
    print(
        f"overloaded variant: {len(bad.violations)} violations ({', '.join(kinds)}), verify best {best_bad:.3f} s, "
        f"median {median_bad:.3f} s"
    )
    return 0 if result.feasible and median < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
