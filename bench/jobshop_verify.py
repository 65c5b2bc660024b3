"""Job-shop verifier speed: a 100-job × 20-machine schedule (2,000 operations) in under 50 ms.

The instance is flexible (1–3 eligible machines per operation) with downtime on every machine, releases
and deadlines; the schedule is a Giffler–Thompson MWKR schedule (feasible except where a deadline is
missed). A second variant with every start folded onto a few time points exercises violation reporting.
Figures: best and median wall time of `verify()` over `--repeat` runs, and the median CPU time (what the
call costs when the machine's other work does not preempt it).

    .venv/bin/python bench/jobshop_verify.py [--jobs 100] [--machines 20] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

from schedbench.heuristics.jobshop import BASELINES
from schedbench.problems.jobshop import JobshopData
from schedbench.verifiers.jobshop import verify


def big_instance(n_jobs: int, n_machines: int, seed: int = 0) -> JobshopData:
    """Every job visits every machine once, each operation with 1–3 eligible machines."""
    rng = np.random.default_rng(seed)
    jobs = []
    for j in range(n_jobs):
        ops = []
        for k, machine in enumerate(rng.permutation(n_machines)):
            extra = rng.choice(n_machines, size=int(rng.integers(0, 3)), replace=False)
            eligible = dict.fromkeys([int(machine), *(int(e) for e in extra)])
            ops.append({"id": f"J{j}.{k}", "durations": {f"M{e}": int(rng.integers(1, 100)) for e in eligible}})
        release = int(rng.integers(0, 50))
        jobs.append({"id": f"J{j}", "operations": ops, "release": release, "deadline": release + 20_000})
    downtimes = [
        {"machine": f"M{m}", "start": (s := int(rng.integers(0, 3000))), "end": s + 40} for m in range(n_machines)
    ]
    machines = [{"id": f"M{m}"} for m in range(n_machines)]
    return JobshopData.model_validate({"machines": machines, "jobs": jobs, "downtimes": downtimes})


def timed(data: JobshopData, answer: dict[str, Any], repeat: int) -> tuple[float, float, float, Any]:
    """(best wall, median wall, median CPU seconds, result) of `verify` over `repeat` runs."""
    runs, cpu = [], []
    for _ in range(repeat):
        began, on_cpu = time.perf_counter(), time.process_time()
        result = verify(data, answer)
        runs.append(time.perf_counter() - began)
        cpu.append(time.process_time() - on_cpu)
    return min(runs), statistics.median(runs), statistics.median(cpu), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data = big_instance(args.jobs, args.machines)
    answer = BASELINES["mwkr"](data)
    best, median, cpu, result = timed(data, answer, args.repeat)
    print(
        f"{data.n_operations()} operations on {args.machines} machines: feasible {result.feasible}, makespan "
        f"{result.objective}, verify best {1000 * best:.1f} ms, median {1000 * median:.1f} ms "
        f"(median CPU {1000 * cpu:.1f} ms)"
    )
    folded = {**answer, "starts": {op: s % 97 for op, s in answer["starts"].items()}}
    best_bad, median_bad, cpu_bad, bad = timed(data, folded, args.repeat)
    print(
        f"folded variant: {len(bad.violations)} violations ({', '.join(sorted(bad.violation_types()))}), "
        f"verify best {1000 * best_bad:.1f} ms, median {1000 * median_bad:.1f} ms (median CPU {1000 * cpu_bad:.1f} ms)"
    )
    return 0 if result.feasible and best < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
