"""Interrupt the controller (Ctrl-C, then SIGKILL) mid-run and rerun the same command: the run continues from
the database, no program is lost or evaluated twice, and the run folder matches the database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ITERATIONS = 24


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "schedbench", "evolve", "--family", "rcpsp", "--model", "baseline/mutator",
            "--out", str(out), "--iterations", str(ITERATIONS), "--workers", "2", "--seed", "3", "--quiet"]


def done_iterations(out: Path) -> int:
    try:
        with sqlite3.connect(out / "evolve.db", timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM iterations WHERE state = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_and_interrupt(out: Path, after: int, sig: int) -> int:
    """Run the command until `after` iterations are done, then send `sig` to it; returns its exit code."""
    process = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
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


def test_interrupted_runs_resume_without_losing_or_repeating_work(tmp_path: Path):
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
        programs = {pid: (status, evaluations, iteration) for pid, status, evaluations, iteration in
                    conn.execute("SELECT id, status, evaluations, iteration FROM programs")}
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

    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == list(range(ITERATIONS + 1))
    best = json.loads((out / "best.json").read_text())
    assert best["score"] == max(row["score"] for row in history if row["status"] == "ok")
    assert (out / "best_program.py").read_text().count("# EVOLVE-BLOCK-START") == 1
