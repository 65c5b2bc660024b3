"""Importing and solving every AsyncHow plan: the command as a user runs it, per stage.

Runs `schedbench import asynchow` on the three published files (1,998 plans) for the `unlimited` stage
(AsyncHow's own question: the longest path, exact) and then for `two_agents` (CP-SAT, one thread per plan,
`--workers` plans at a time), each as a fresh process, and reports the wall time of the whole command, the
share of references proven optimal, the solve-time distribution and how the two-agent optimum compares with
the unlimited one (how much longer real plans take with two pairs of hands).

    .venv/bin/python bench/asynchow_import.py [--workers 2] [--time-limit 10] [--stages unlimited,two_agents]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import schedbench

DATA = Path(schedbench.__file__).parent / "datasets" / "asynchow"


def run_import(stage: str, out: Path, workers: int, time_limit: float) -> tuple[float, float, list[dict]]:
    """Wall seconds and CPU seconds (the command and its worker processes) of one `schedbench import asynchow`
    process, and the instances it wrote."""
    files = sorted(str(p) for p in DATA.glob("asynchow_*.jsonl"))
    command = [sys.executable, "-m", "schedbench", "import", "asynchow", *files, "--out", str(out), "--stage", stage]
    command += ["--workers", str(workers), "--time-limit", str(time_limit), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rows = [json.loads(line) for line in (out / "instances.jsonl").read_text().splitlines()]
    return seconds, cpu, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--stages", default="unlimited,two_agents")
    args = parser.parse_args()
    optimum: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for stage in args.stages.split(","):
            seconds, cpu, rows = run_import(stage, Path(folder) / stage, args.workers, args.time_limit)
            proven = sum(r["reference"]["status"] == "optimal" for r in rows)
            times = sorted(r["reference"]["time_s"] for r in rows)
            p99 = times[int(0.99 * (len(times) - 1))]
            optimum[stage] = {r["id"].removesuffix(f"-{stage}"): r["reference"]["objective"] for r in rows}
            print(
                f"{stage:>10}: {len(rows)} plans in {seconds:.1f} s wall, {cpu:.1f} s CPU (whole command, "
                f"{args.workers} workers); "
                f"proven optimal {proven}/{len(rows)} ({100 * proven / len(rows):.1f}%); solve median "
                f"{statistics.median(times):.4f} s, p99 {p99:.3f} s, max {times[-1]:.3f} s"
            )
    if "unlimited" in optimum and "two_agents" in optimum:
        ratios = [optimum["two_agents"][k] / v for k, v in optimum["unlimited"].items() if v > 0]
        longer = sum(r > 1 for r in ratios)
        print(
            f"two agents vs unlimited (two_agents at the longest durations): optimum longer for {longer}/{len(ratios)} "
            f"plans; ratio mean {statistics.mean(ratios):.3f}, max {max(ratios):.2f}"
        )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
