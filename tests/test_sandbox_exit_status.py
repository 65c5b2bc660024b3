"""The reported end of every candidate is exact under load: a program that exits with a code is never reported
as killed, a timeout is a timeout, a signal is named, and a normal program answers (issue: fork-server race)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from schedbench.sandbox import ForkServer, SandboxConfig, open_sandbox

INPUT = {"n": 3}
# A crash that closes its output first and exits with a code 20 ms later: the harness sees end of output long before
# the exit status exists, and waits for it; the old fork server raced there (a status asked for a runner
# that was still exiting came back as "killed by SIGKILL").
EXIT_AFTER_OUTPUT_CLOSES = """import os, time
def schedule(x):
    for fd in range(3, 8):
        try:
            os.close(fd)
        except OSError:
            pass
    end = time.perf_counter() + 0.02
    while time.perf_counter() < end:
        pass
    os._exit(3)
"""
CASES = {
    "normal": ("def schedule(x):\n    return list(range(x['n']))\n", 10.0, None),
    "exit code": (EXIT_AFTER_OUTPUT_CLOSES, 10.0, "the process exited with code 3"),
    "abort": ("import os\ndef schedule(x):\n    os.abort()\n", 10.0, "killed by SIGABRT"),
    "timeout": ("def schedule(x):\n    while True:\n        pass\n", 0.1, "timeout: no answer within 0.1 s"),
}

# Exits weigh most: the race was there. "spawn" gives each candidate a zygote (and a sandbox) of its own.
ORDER = ["normal", "exit code", "exit code", "abort", "exit code", "timeout"]


async def one(name: str, config: SandboxConfig, server: ForkServer | None) -> tuple[str, str | None, list]:
    code, timeout, _ = CASES[name]
    async with open_sandbox(code, config, server=server) as box:
        assert box.load_error is None, box.load_error
        result = await box.run([INPUT], timeout)
    return name, result.error, result.outputs


async def many(runs: int, workers: int, server: ForkServer | None) -> list[tuple[str, str | None, list]]:
    """`runs` candidates cycling through the cases, `workers` at a time, as the evolve evaluator runs them."""
    config = SandboxConfig(cpu_s=20)
    gate = asyncio.Semaphore(workers)
    names = [ORDER[k % len(ORDER)] for k in range(runs)]

    async def gated(name: str):
        async with gate:
            return await one(name, config, server)

    return await asyncio.gather(*(gated(name) for name in names))


def stress(runs: int, workers: int, mode: str) -> None:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]  # busy cores beside
    server = ForkServer(SandboxConfig()) if mode == "fork" else None
    try:
        results = asyncio.run(many(runs, workers, server))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        if server is not None:
            server.close()
    wrong = [(name, error) for name, error, outputs in results if not exact(name, error, outputs)]
    assert wrong == [], f"{len(wrong)} of {runs} runs misreported, e.g. {wrong[:5]}"


def exact(name: str, error: str | None, outputs: list) -> bool:
    expected = CASES[name][2]
    if expected is None:
        return error is None and outputs == [[0, 1, 2]]
    return error is not None and error.startswith(expected) and outputs == []


@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_every_exit_status_is_exact_under_load(mode: str):
    stress(120 if mode == "fork" else 16, 2, mode)


@pytest.mark.slow
def test_every_exit_status_is_exact_over_many_forked_runs():
    stress(400, 2, "fork")
