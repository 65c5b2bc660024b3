"""Reference solving time of asynchronous plans by level (5…100 steps, 2 agents).

Generates every 2-agent stage (two_agents, attended_only, mostly_unattended, stations, combined) at each
level and solves the references as `schedbench generate` does: one CP-SAT thread per instance, `--workers`
instances at a time, the list scheduler's plan as hint. Figures per level (all stages pooled) and per stage:
the share proven optimal within the time limit, the median and slowest solve time (whole `solve()` call:
bounds, model, search, agent colouring), and the mean remaining gap (objective − bound) / bound of the
unproven ones. `--plain-model` drops the window energy bound and the redundant lanes (ablation).

    .venv/bin/python bench/asyncplan_solve.py [--per-level 10] [--time-limit 10] [--workers 2] [--plain-model]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from schedbench.generators.asyncplan import STAGE_KNOBS, AsyncplanGeneratorConfig, generate
from schedbench.problems.asyncplan import AsyncplanData, remaining_path
from schedbench.solvers import asyncplan_cpsat

TWO_AGENT_STAGES = [name for name, knobs in STAGE_KNOBS.items() if knobs.agents == 2]


def timed_solve(payload: tuple[dict[str, Any], dict[str, Any], float]) -> tuple[str, int, int, float]:
    """(status, objective, bound, wall seconds) of one reference solve."""
    raw, hint, time_limit = payload
    data = AsyncplanData.model_validate(raw)
    start = time.perf_counter()
    reference = asyncplan_cpsat.solve(data, time_limit=time_limit, workers=1, hint=hint)
    return reference.status, reference.objective, reference.bound, time.perf_counter() - start


def warm_up() -> None:
    """Import the solver in each worker before timing (the first import costs about a second)."""
    from ortools.sat.python import cp_model  # noqa: F401


def use_plain_model() -> None:
    """Ablation: only the longest-path bound, no agent lanes (inherited by forked workers)."""
    asyncplan_cpsat.lower_bound = lambda data: max(remaining_path(data).values(), default=0)
    asyncplan_cpsat.REDUNDANT_LANES = False


def summary(rows: list[tuple[str, int, int, float]]) -> str:
    proven = [r for r in rows if r[0] == "optimal"]
    open_gaps = [(r[1] - r[2]) / max(1, r[2]) for r in rows if r[0] != "optimal"]
    times = [r[3] for r in rows]
    gap = f"{100 * statistics.mean(open_gaps):.2f}%" if open_gaps else "-"
    return (
        f"{len(rows):>4} {len(proven) / len(rows):>8.2f} {statistics.median(times):>9.3f} {max(times):>8.2f} {gap:>9}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="5,10,20,30,40,50,60,70,80,90,100")
    parser.add_argument("--per-level", type=int, default=10, help="instances per level and stage")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--plain-model", action="store_true")
    args = parser.parse_args()
    if args.plain_model:
        use_plain_model()
    drafts = generate(
        AsyncplanGeneratorConfig(
            levels=args.levels, stage=",".join(TWO_AGENT_STAGES), per_level=args.per_level, seed=args.seed
        )
    )
    print(
        f"{len(drafts)} asyncplan instances, 2 agents, stages {', '.join(TWO_AGENT_STAGES)}; "
        f"{args.per_level} per level and stage; time limit {args.time_limit:g} s, {args.workers} workers "
        f"(1 CP-SAT thread each); model {'plain' if args.plain_model else 'full'}; {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    payloads = [(d.instance.data, d.hint, args.time_limit) for d in drafts]
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers, initializer=warm_up) as pool:
        results = list(pool.map(timed_solve, payloads, chunksize=1))
    wall = time.perf_counter() - began
    header = f"{'':>18} {'n':>4} {'optimal':>8} {'median s':>9} {'max s':>8} {'open gap':>9}"
    print(header)
    by_level: dict[int, list] = {}
    by_stage: dict[str, list] = {}
    for draft, row in zip(drafts, results, strict=True):
        by_level.setdefault(draft.instance.level, []).append(row)
        by_stage.setdefault(draft.instance.stage, []).append(row)
    for level, rows in sorted(by_level.items()):
        print(f"{f'level {level}':>18} {summary(rows)}")
    for stage, rows in by_stage.items():
        print(f"{stage:>18} {summary(rows)}")
    print(f"{'all':>18} {summary(results)}")
    print(f"wall time {wall:.1f} s; load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
