"""Verifier and baseline cost per asynchronous plan, by level: what the evaluate loop pays per answer.

For each level, generates `combined`-stage plans (2 agents, stations) and times the verifier on the list
scheduler's plan and on a broken copy (every start shifted to 0: many overlaps to sweep and report), plus
the list scheduler itself.

    .venv/bin/python bench/asyncplan_verify.py [--per-level 20] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from schedbench.generators.asyncplan import AsyncplanGeneratorConfig, generate
from schedbench.heuristics.asyncplan import list_scheduler
from schedbench.problems.asyncplan import AsyncplanData
from schedbench.verifiers.asyncplan import verify


def per_call_us(fn: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return 1e6 * (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="10,25,50,100")
    parser.add_argument("--per-level", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'level':>6} {'verify ok µs':>13} {'verify broken µs':>17} {'violations':>11} {'list sched µs':>14}")
    drafts = generate(AsyncplanGeneratorConfig(levels=args.levels, stage="combined", per_level=args.per_level))
    for level in sorted({d.instance.level for d in drafts}):
        ok = broken = sched = 0.0
        found = 0
        batch = [AsyncplanData.model_validate(d.instance.data) for d in drafts if d.instance.level == level]
        for data in batch:
            plan = list_scheduler(data)
            bad = {"starts": dict.fromkeys(plan["starts"], 0), "agents": plan["agents"]}
            ok += per_call_us(lambda data=data, plan=plan: verify(data, plan), args.repeat)
            broken += per_call_us(lambda data=data, bad=bad: verify(data, bad), args.repeat)
            sched += per_call_us(lambda data=data: list_scheduler(data), args.repeat)
            found += len(verify(data, bad).violations)
        n = len(batch)
        print(f"{level:>6} {ok / n:>13.0f} {broken / n:>17.0f} {found / n:>11.0f} {sched / n:>14.0f}")


if __name__ == "__main__":
    main()
