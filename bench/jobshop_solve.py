"""Job-shop exact references on published and generated sets, one instance at a time with `--workers` threads.

Sets: `ft10` (target: proven optimal within 5 s), `la` (la01–la40, target: at least 38 proven within 60 s
each, none more than 1% above the published optimum), `ta` (ta01–ta10: proven count and gap to the best
known at 60 s), `generated` (the generator's stages at 2×2 … 10×10, target: every instance proven within
10 s). Published values come from the tables shipped in schedbench/datasets. A reference whose objective
equals a published optimum counts as proven only when CP-SAT proved it itself (column `cp-sat`). Each line
also gives the process CPU time: on a shared machine, CPU seconds / workers estimates the wall time on idle
cores.

    .venv/bin/python bench/jobshop_solve.py [--set ft10|la|ta|generated|all] [--time-limit S] [--workers 2]

One command per target (defaults: 2 workers, the set's own limit); each set ends with a `target met` or
`target NOT met` line (ta has no target: it reports), and the exit code is 0 only when every target was met:

    .venv/bin/python bench/jobshop_solve.py --set ft10        # proven optimal within 5 s
    .venv/bin/python bench/jobshop_solve.py --set la          # >= 38/40 proven within 60 s each, gap <= 1 %
    .venv/bin/python bench/jobshop_solve.py --set ta          # proven count and gap to the best known at 60 s
    .venv/bin/python bench/jobshop_solve.py --set generated   # every instance up to 10x10 proven within 10 s
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from schedbench.generators.jobshop import JobshopGeneratorConfig, generate
from schedbench.importers.jobshop import DATASETS, read_jsplib
from schedbench.problems import Instance
from schedbench.problems.jobshop import JobshopData
from schedbench.solvers.jobshop_cpsat import solve

SETS = {
    "ft10": (["ft10"], 5.0),
    "la": ([f"la{i:02d}" for i in range(1, 41)], 60.0),
    "ta": ([f"ta{i:02d}" for i in range(1, 11)], 60.0),
}


def load(name: str) -> Instance:
    (inst,) = read_jsplib(DATASETS / "jsplib" / "instances" / name)
    return inst


def run_published(names: list[str], time_limit: float, workers: int) -> tuple[int, list[float], float]:
    """Solve each instance; print one line each; return (proven, gaps %, worst time of a proven one)."""
    proven, gaps, worst = 0, [], 0.0
    for name in names:
        inst = load(name)
        extra = inst.model_extra or {}
        best_known = extra.get("published_optimum") or (extra.get("published_bounds") or {}).get("upper")
        began, cpu = time.perf_counter(), time.process_time()
        ref = solve(JobshopData.model_validate(inst.data), time_limit=time_limit, workers=workers)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        gap = 100.0 * (ref.objective - best_known) / best_known if ref.objective and best_known else float("nan")
        gaps.append(gap)
        if ref.status == "optimal":
            proven += 1
            worst = max(worst, seconds)
        print(
            f"{name}: cp-sat {ref.status:8} makespan {ref.objective} bound {ref.bound} published {best_known} "
            f"gap {gap:.2f}% in {seconds:.2f} s (cpu {cpu:.2f} s)",
            flush=True,
        )
    return proven, gaps, worst


def run_generated(time_limit: float, workers: int) -> tuple[int, int, float]:
    """Every stage at 4 … 100 operations (2×2 … 10×10), three instances per level."""
    config = JobshopGeneratorConfig(levels="4,9,16,25,36,49,64,81,100", per_level=3, stage="all", seed=11)
    drafts = generate(config)
    proven, times = 0, []
    for draft in drafts:
        began = time.perf_counter()
        ref = solve(JobshopData.model_validate(draft.instance.data), time_limit, workers, draft.hint)
        times.append(time.perf_counter() - began)
        proven += ref.status in ("optimal", "infeasible")
        if ref.status not in ("optimal", "infeasible"):
            print(f"{draft.instance.id}: {ref.status} {ref.objective} bound {ref.bound} in {times[-1]:.2f} s")
    print(
        f"generated: {proven}/{len(drafts)} proven within {time_limit:g} s; time median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s",
        flush=True,
    )
    return proven, len(drafts), max(times)


def run_set(name: str, time_limit: float | None, workers: int, start_at: str | None) -> bool | None:
    """Run one set and print its summary; whether its target was met (None: the set has no target)."""
    if name == "generated":
        proven, total, _ = run_generated(time_limit or 10.0, workers)
        return proven == total
    names, default_limit = SETS[name]
    if start_at in names:
        names = names[names.index(start_at) :]
    proven, gaps, worst = run_published(names, time_limit or default_limit, workers)
    finite = [g for g in gaps if g == g]
    print(
        f"{name}: {proven}/{len(names)} proven, mean gap {statistics.fmean(finite):.2f}%, max gap "
        f"{max(finite):.2f}%, slowest proof {worst:.2f} s",
        flush=True,
    )
    if name == "la":
        return proven >= 38 and max(finite) <= 1.0
    if name == "ft10":
        return proven == 1
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="ft10", choices=[*SETS, "generated", "all"])
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per instance (default per set)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start-at", default=None, help="skip the set's instances before this name (la23)")
    args = parser.parse_args()
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    ok = True
    for name in [*SETS, "generated"] if args.set == "all" else [args.set]:
        met = run_set(name, args.time_limit, args.workers, args.start_at)
        if met is not None:
            print(f"{name}: target {'met' if met else 'NOT met'}", flush=True)
            ok &= met
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
