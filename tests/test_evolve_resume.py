"""Interrupt the controller (Ctrl-C, then SIGKILL) mid-run and rerun the same command: the run continues from
the database, no program is lost or evaluated twice, no stored model reply is asked for again, and the run
folder matches the database. The model is a local OpenAI-compatible server reached through the real adapter."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from stub_commands import default_sigint

from schedbench.llm.stub_server import StubReply, StubRequest, StubServer

ITERATIONS = 24
WORKERS = 2
URL: list[str] = []


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    """A stand-in LLM answering every prompt with a new priority rule (a full rewrite of the EVOLVE block)."""
    counter, lock = itertools.count(1), threading.Lock()

    def script(request: StubRequest) -> StubReply:
        with lock:
            k = next(counter)
        rule = (
            f"def priorities(instance):\n    return [instance['duration'][i] * {k % 7 - 3} + "
            f"len(instance['successors'][i]) * {k} for i in range(instance['n'])]\n"
        )
        return StubReply(text=f"Try this.\n```python\n{rule}```\n")

    monkeypatch.setenv("OPENAI_API_KEY", "sk-resume-test")
    with StubServer(script, latency_s=0.05) as stub:
        URL[:] = [stub.openai_url]
        yield stub


def command(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schedbench",
        "evolve",
        "--family",
        "rcpsp",
        "--model",
        "openai-compatible/stand-in",
        "--base-url",
        URL[0],
        "--out",
        str(out),
        "--iterations",
        str(ITERATIONS),
        "--workers",
        str(WORKERS),
        "--seed",
        "3",
        "--quiet",
    ]


def done_iterations(out: Path) -> int:
    try:
        with sqlite3.connect(out / "evolve.db", timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM iterations WHERE state = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_and_interrupt(out: Path, after: int, sig: int) -> int:
    """Run the command until `after` iterations are done, then send `sig` to it; returns its exit code."""
    process = subprocess.Popen(
        command(out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 120
    while done_iterations(out) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be interrupted"
    os.kill(process.pid, sig)
    return process.wait(30)


def snapshot(out: Path) -> dict[int, tuple[str, str | None]]:
    with sqlite3.connect(out / "evolve.db") as conn:
        rows = conn.execute("SELECT iteration, state, program_id FROM iterations")
        return {k: (state, pid) for k, state, pid in rows}


def test_interrupted_runs_resume_without_losing_or_repeating_work(tmp_path: Path, server: StubServer):
    out = tmp_path / "run"
    code = start_and_interrupt(out, after=4, sig=signal.SIGINT)
    assert code == 130, code
    start_and_interrupt(out, after=11, sig=signal.SIGKILL)
    before = snapshot(out)
    assert len(before) < ITERATIONS + 1

    finished = subprocess.run(command(out), capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr

    with sqlite3.connect(out / "evolve.db") as conn:
        iterations = conn.execute("SELECT iteration, state, program_id FROM iterations ORDER BY iteration").fetchall()
        answered = conn.execute("SELECT COUNT(*) FROM iterations WHERE response IS NOT NULL").fetchone()[0]
        programs = {
            pid: (status, evaluations, iteration)
            for pid, status, evaluations, iteration in conn.execute(
                "SELECT id, status, evaluations, iteration FROM programs"
            )
        }
    assert [row[0] for row in iterations] == list(range(ITERATIONS + 1))
    assert {row[1] for row in iterations} == {"done"}
    for iteration, _, program_id in iterations:
        if program_id is not None:
            assert program_id in programs  # no program lost
            assert programs[program_id][2] == iteration
    for program_id, (status, evaluations, _) in programs.items():
        assert status in ("ok", "failed", "rejected"), program_id
        assert evaluations == (0 if status == "rejected" else 1), program_id  # evaluated exactly once
    final = {k: p for k, _, p in iterations}
    for iteration, (_, program_id) in before.items():
        if program_id is not None:  # a child stored before the kill is the one evaluated after it
            assert final[iteration] == program_id

    # every stored reply was asked for once; only requests in flight at the two interruptions were asked again
    assert answered == ITERATIONS
    assert answered <= server.stats.requests <= answered + 2 * WORKERS

    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == list(range(ITERATIONS + 1))
    best = json.loads((out / "best.json").read_text())
    assert best["score"] == max(row["score"] for row in history if row["status"] == "ok")
    assert (out / "best_program.py").read_text().count("# EVOLVE-BLOCK-START") == 1
