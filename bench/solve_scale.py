"""Solving large instances under a short time limit: does `schedbench solve` still return a schedule?

For each family and size, a wide random instance (about N tasks: RCPSP tasks with two resources and short-range
precedences; job-shop operations, 10 machines, 10 per job; attended asynchronous-plan steps with short-range
precedences and 3 agents; SMTT jobs) is written to a file and solved by the whole command, `schedbench solve FILE
--time-limit T --json`, in its own process. Printed per run: the status (`optimal`, `feasible`, or `unknown` when
the limit came before any schedule), the objective, which method produced it, the wall seconds of the command, and
the family's first baseline rule timed alone in this process (the warm start every solve needs first).

    .venv/bin/python bench/solve_scale.py [--sizes 5000,20000] [--families rcpsp,jobshop,asyncplan,smtt]
                                          [--time-limit 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from schedbench.problems import get_family

FIRST_RULE = {"rcpsp": "lft", "jobshop": "spt", "asyncplan": "list", "smtt": "edd"}


def wide_instance(family: str, n: int) -> dict[str, Any]:
    """The instance data of a wide random instance of `family` with about n tasks (seeded: the same every run)."""
    rnd = random.Random(1)
    if family == "rcpsp":
        tasks = [
            {"id": f"t{i}", "duration": rnd.randint(1, 10), "demands": {r: rnd.randint(0, 3) for r in ("r1", "r2")}}
            for i in range(n)
        ]
        precedences = [[f"t{rnd.randrange(max(0, i - 20), i)}", f"t{i}"] for i in range(1, n) if rnd.random() < 0.7]
        resources = [{"id": "r1", "capacity": 4}, {"id": "r2", "capacity": 4}]
        return {"horizon": 10 * n, "resources": resources, "tasks": tasks, "precedences": precedences}
    if family == "jobshop":
        return {
            "machines": [{"id": f"m{k}"} for k in range(10)],
            "jobs": [
                {
                    "id": f"j{j}",
                    "operations": [
                        {"id": f"j{j}o{k}", "durations": {f"m{(j + k) % 10}": rnd.randint(1, 20)}} for k in range(10)
                    ],
                }
                for j in range(n // 10)
            ],
        }
    if family == "asyncplan":
        steps = [{"id": f"s{i}", "duration": rnd.randint(1, 10), "attended": 1} for i in range(n)]
        precedences = [[f"s{rnd.randrange(max(0, i - 20), i)}", f"s{i}"] for i in range(1, n) if rnd.random() < 0.7]
        return {"agents": 3, "steps": steps, "precedences": precedences}
    return {"jobs": [{"id": f"j{i}", "p": rnd.randint(1, 100), "d": rnd.randint(0, 50 * n)} for i in range(n)]}


def rule_seconds(family_name: str, data: dict[str, Any]) -> float:
    family = get_family(family_name)
    typed = family.parse_data(data)
    began = time.perf_counter()
    family.baselines[FIRST_RULE[family_name]](typed)
    return time.perf_counter() - began


def solve_seconds(path: Path, time_limit: float) -> tuple[dict[str, Any], float]:
    command = [sys.executable, "-m", "schedbench", "solve", str(path), "--time-limit", str(time_limit), "--json"]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{path.name}: schedbench solve exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,20000", help="tasks (operations, steps, jobs) per instance")
    parser.add_argument("--families", default="rcpsp,jobshop,asyncplan,smtt")
    parser.add_argument("--time-limit", type=float, default=5.0)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(f"{'family':<10} {'size':>7} {'status':<9} {'objective':>10} {'by':<34} {'solve s':>8} {'rule s':>7}")
    unknown = 0
    with tempfile.TemporaryDirectory() as folder:
        for family in args.families.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                data = wide_instance(family, size)
                path = Path(folder) / f"{family}-{size}.json"
                envelope = {"id": f"wide-{family}-{size}", "family": family, "level": 1, "data": data}
                path.write_text(json.dumps(envelope), encoding="utf-8")
                reference, seconds = solve_seconds(path, args.time_limit)
                rule = rule_seconds(family, data)
                unknown += reference["status"] == "unknown"
                by = str(reference.get("incumbent") or reference.get("solver") or "-")[:34]
                objective = "-" if reference.get("objective") is None else str(reference["objective"])
                status = reference["status"]
                print(
                    f"{family:<10} {size:>7} {status:<9} {objective:>10} {by:<34} {seconds:>8.2f} {rule:>7.2f}",
                    flush=True,
                )
    print(f"without any schedule: {unknown}; load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
