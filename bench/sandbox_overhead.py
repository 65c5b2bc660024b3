"""Per-program overhead of the sandbox: many runs of a tiny correct program, with bubblewrap and without.

    .venv/bin/python bench/sandbox_overhead.py [--runs 1000] [--one-off 50]

Modes: the evolve runner forked by one long-lived zygote (`open_sandbox(server=...)`, the evolve default) and
a zygote per program (`run_python` with no server, the one-off path), each inside bubblewrap and without OS
isolation (`allow_unisolated`: the previous sandbox, rlimits and audit hook only). The program is a sort of
three numbers, so each run's wall time is overhead: start, lock-down, one request and answer, kill, reap,
clean-up. Anchor (issue 11): at most 30 ms of overhead per program.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from schedbench.sandbox import ForkServer, SandboxConfig, isolation, open_sandbox, run_python_async

TINY = "def schedule(x):\n    return sorted(range(x['n']), key=lambda j: x['d'][j])\n"
TINY_SCRIPT = "import sys\nprint(sorted(int(v) for v in sys.stdin.read().split()))\n"
INPUT = {"n": 3, "d": [5, 1, 2]}


async def forked(runs: int, isolated: bool) -> list[float]:
    """Wall time of each of `runs` evolve-protocol runs through one zygote."""
    config = SandboxConfig(allow_unisolated=not isolated, isolation=isolated)
    server = ForkServer(config)
    assert server.isolated == isolated, server.iso.note
    times = []
    try:
        async with open_sandbox(TINY, config, server=server) as box:  # start the zygote outside the timing
            await box.run([INPUT], 10)
        for _ in range(runs):
            began = time.perf_counter()
            async with open_sandbox(TINY, config, server=server) as box:
                result = await box.run([INPUT], 10)
            times.append(time.perf_counter() - began)
            assert result.outputs == [[1, 2, 0]], result.error
    finally:
        server.close()
    return times


async def one_off(runs: int, isolated: bool) -> list[float]:
    """Wall time of each of `runs` `run_python` calls, each with a zygote of its own (started and stopped)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        server = ForkServer(SandboxConfig(allow_unisolated=not isolated, isolation=isolated, preload=[]))
        try:
            result = await run_python_async(TINY_SCRIPT, b"3 1 2", server=server)
        finally:
            server.close()
        times.append(time.perf_counter() - began)
        assert result.ok and result.stdout == b"[1, 2, 3]\n", result
    return times


def row(mode: str, times: list[float]) -> str:
    total = sum(times)
    return (
        f"{mode:<46} {len(times):>6} {len(times) / total:>10.1f} {1000 * statistics.fmean(times):>8.1f} "
        f"{1000 * statistics.median(times):>8.1f} {1000 * sorted(times)[int(0.95 * (len(times) - 1))]:>8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs per fork-server mode")
    parser.add_argument("--one-off", type=int, default=50, help="runs per one-off mode (a zygote each)")
    args = parser.parse_args()
    print(f"isolation: {isolation().note}; load average before: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'mode':<46} {'runs':>6} {'programs/s':>10} {'mean ms':>8} {'median':>8} {'p95':>8}")
    for isolated in (True, False):
        label = "bubblewrap" if isolated else "no OS isolation (previous)"
        print(row(f"fork server, {label}", asyncio.run(forked(args.runs, isolated))), flush=True)
    for isolated in (True, False):
        label = "bubblewrap" if isolated else "no OS isolation (previous)"
        print(row(f"one-off run_python, {label}", asyncio.run(one_off(args.one_off, isolated))), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
