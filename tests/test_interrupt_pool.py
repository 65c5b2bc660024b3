"""Ctrl-C while `generate` solves references stops the worker pool at once, wherever the interrupt lands.

A SIGINT arriving while the pool forks its workers used to be dropped: Python handles it inside the standard
library's after-fork hooks, prints the KeyboardInterrupt as "ignored" and goes on, so the command ran on.
The first test sends the signal exactly there, from an after-fork hook of its own.

The interrupt usually lands while the main process waits for a result, inside the pool's iterator, which
always stopped the workers. When it lands elsewhere — in the code consuming the results, or with the
iterator kept alive by a reference cycle — the standard library used to drain the pool of all its queued work
at interpreter exit, so under load Ctrl-C took minutes. Here the interrupt is raised in the consumer on purpose
and the iterator is kept alive, with 60 queued jobs of 2 s each on 2 workers (a minute of work queued)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from stub_commands import default_sigint

FORK_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from schedbench.cli import main

    SENT = sys.argv[2]  # created when the interrupt is sent

    sent = []

    def interrupt_once():  # Ctrl-C in the middle of the pool's first fork
        if not sent:
            sent.append(True)
            open(SENT, "w").close()
            os.kill(os.getpid(), signal.SIGINT)

    os.register_at_fork(after_in_parent=interrupt_once)
    sys.argv = ["schedbench", "generate", "rcpsp", "--out", sys.argv[1], "--levels", "30-60", "--per-level", "50",
                "--tasks", "60", "--workers", "2", "--time-limit", "30", "--quiet"]
    main()
    """
)


def test_ctrl_c_while_the_pool_forks_is_not_lost(tmp_path: Path) -> None:
    out, sent = tmp_path / "suite", tmp_path / "sent"
    command = [sys.executable, "-c", FORK_SCRIPT, str(out), str(sent)]
    code, err = run_until_interrupted(command, sent, stop_within_s=60)  # 1,550 references when it is lost
    assert code == 130 and err.strip() == "interrupted", err
    assert not out.exists()


def run_until_interrupted(command: list[str], sent: Path, stop_within_s: float) -> tuple[int | None, str]:
    """Run `command`, which creates `sent` when it interrupts itself; its exit code (None when it was still
    running `stop_within_s` after the interrupt) and its stderr. Start-up time, which grows with the machine's
    load, is not counted."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + 300
        while not sent.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            code: int | None = process.wait(stop_within_s)
        except subprocess.TimeoutExpired:
            code = None
    finally:
        process.kill()
        process.wait()
    return code, process.stderr.read() if process.stderr else ""


SCRIPT = textwrap.dedent(
    """
    import sys, time
    import schedbench.references as references
    from schedbench.cli import main

    SENT = sys.argv[2]  # created when the interrupt is sent

    def slow(payload):  # stands for a long solve
        time.sleep(2)
        return {"status": "feasible", "objective": 1, "solver": "slow", "time_s": 2.0}

    def interrupt(inst, reference):  # Ctrl-C landing in the consumer, after the first result
        open(SENT, "w").close()
        raise KeyboardInterrupt

    kept = []
    map_ordered = references.map_ordered

    def kept_alive(*args, **kwargs):  # as a reference cycle would keep it
        kept.append(map_ordered(*args, **kwargs))
        return iter(kept[-1])

    references.solve_payload, references.with_published = slow, interrupt
    references.map_ordered = kept_alive
    sys.argv = ["schedbench", "generate", "smtt", "--out", sys.argv[1], "--levels", "5-64", "--stage", "unweighted",
                "--tf", "0.2", "--rdd", "0.2", "--workers", "2", "--quiet"]
    main()
    """
)


def test_ctrl_c_during_generate_stops_the_pool_without_draining_its_queue(tmp_path: Path) -> None:
    out, sent = tmp_path / "suite", tmp_path / "sent"
    command = [sys.executable, "-c", SCRIPT, str(out), str(sent)]
    code, err = run_until_interrupted(command, sent, stop_within_s=45)  # draining takes 58 s more
    assert code == 130 and err.strip() == "interrupted", err
    assert not out.exists()
