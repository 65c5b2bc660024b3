"""Formalize overhead: many runs of a small correct program through the sandbox the formalize strategy uses.

    .venv/bin/python bench/formalize_overhead.py [--runs 1000] [--parallel 2]

The program is the EDD rule program a model could write for a 10-job SMTT instance (the instance JSON on stdin,
the answer JSON on stdout); it also reports its own run time (from its first line to its last) on stderr.
Each run goes through `schedbench.evaluate._programs.Programs` — one fork server (numpy and OR-Tools loaded in
the zygote), bubblewrap, rlimits, a private working directory removed afterwards — exactly as under
`evaluate --strategy formalize`, and its answer is checked. Reported: programs per second with `--parallel`
programs at once (the strategy runs one per core), and the overhead per program beyond its own run — the
harness's wall time for one run, measured one run at a time, minus what the program measured itself. Target
(issue 11): at most 30 ms of overhead per program with the fork server on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from eval_common import load_average

import schedbench as sb
from schedbench.evaluate._programs import Programs
from schedbench.problems import get_family
from schedbench.prompts import offline_program, program_input

TIMED = "import time as _clock\n_began = _clock.perf_counter()\n{body}\nimport sys as _sys\n" + (
    "print(_clock.perf_counter() - _began, file=_sys.stderr)\n"
)


def workload() -> tuple[str, bytes, list[str]]:
    """The program, its stdin and the answer it must print."""
    instance = next(i for i in sb.generate("smtt", levels="10", per_level=1, stage="unweighted"))
    family = get_family("smtt")
    expected = family.baselines["edd"](family.parse_data(instance.data))["sequence"]
    body = offline_program("smtt", "edd") or ""
    return TIMED.format(body=body), program_input(instance), expected


async def one(programs: Programs, source: str, stdin: bytes, expected: list[str]) -> tuple[float, float]:
    """One run: the harness's wall time and the program's own."""
    began = time.perf_counter()
    run = await programs.run(source, stdin)
    wall = time.perf_counter() - began
    assert run.failure is None and json.loads(run.stdout)["sequence"] == expected, run
    return wall, float(run.stderr.strip().splitlines()[-1])


async def measure(runs: int, parallel: int) -> dict[str, float]:
    source, stdin, expected = workload()
    programs = Programs(timeout_s=10.0, memory_mb=2048, parallel=parallel)
    try:
        await one(programs, source, stdin, expected)  # start the zygote outside the timings
        began = time.perf_counter()
        await asyncio.gather(*(one(programs, source, stdin, expected) for _ in range(runs)))
        throughput = runs / (time.perf_counter() - began)
        alone = [await one(programs, source, stdin, expected) for _ in range(max(1, runs // 5))]
    finally:
        programs.close()
    overhead = sorted(wall - own for wall, own in alone)
    return {
        "programs_per_s": throughput,
        "overhead_ms_median": 1000 * statistics.median(overhead),
        "overhead_ms_p95": 1000 * overhead[int(0.95 * (len(overhead) - 1))],
        "own_run_ms_median": 1000 * statistics.median(own for _, own in alone),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="programs run in the throughput part")
    parser.add_argument("--parallel", type=int, default=2, help="programs at once (the strategy: one per core)")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.runs, args.parallel))
    print(
        f"{args.runs} programs, {args.parallel} at once: {figures['programs_per_s']:.1f} programs/s; overhead per "
        f"program beyond its own run (one at a time, {max(1, args.runs // 5)} runs): median "
        f"{figures['overhead_ms_median']:.1f} ms, p95 {figures['overhead_ms_p95']:.1f} ms (own run median "
        f"{figures['own_run_ms_median']:.2f} ms); load average {load_average()}"
    )


if __name__ == "__main__":
    main()
