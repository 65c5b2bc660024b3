"""Concurrency and interruption: a second process on the same run exits 2 naming it (a lock in the database),
never a crash or a request asked twice; Ctrl-C prints one line and stops within seconds; read-only or corrupted
databases are reported from or named."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stub_commands import default_sigint, stub_evaluate

from schedbench.llm.stub_server import StubReply, StubRequest, StubServer
from schedbench.problems import get_family
from schedbench.references import generate_suite
from schedbench.results import Store


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    family = get_family("smtt")
    config = family.generator_config(levels="5-9", stage="unweighted", tf="0.2,0.4", rdd="0.2", workers=1)
    return generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)


def evaluate_command(suite: Path, db: Path, url: str, run: str = "shared") -> list[str]:
    return stub_evaluate(suite, db, url, "--run", run, "--concurrency", "2")


def test_a_run_held_by_a_live_process_is_refused_with_exit_2(suite, tmp_path) -> None:
    db = tmp_path / "r.db"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with Store(db) as store:
            store.db.execute("INSERT INTO run_locks VALUES ('shared', ?, ?, 'now')", (holder.pid, os.uname().nodename))
        with StubServer(lambda request: "```json\n{}\n```") as server:
            done = subprocess.run(evaluate_command(suite, db, server.openai_url), capture_output=True, text=True)
            assert done.returncode == 2, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1 and str(db) in done.stderr
            assert f"in use by process {holder.pid}" in done.stderr and server.stats.requests == 0
    finally:
        holder.kill()
        holder.wait()
    with StubServer(lambda request: "```json\n{}\n```") as server:  # the holder died: its lock is taken over
        done = subprocess.run(evaluate_command(suite, db, server.openai_url), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM run_locks").fetchone()[0] == 0  # released at the end


def test_two_processes_starting_the_same_new_run_never_ask_twice(suite, tmp_path) -> None:
    db = tmp_path / "r.db"
    with StubServer(lambda request: "```json\n{}\n```", latency_s=0.3) as server:
        command = evaluate_command(suite, db, server.openai_url)
        first, second = (subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2))
        results = [(p.wait(120), p.stderr.read()) for p in (first, second)]
        codes = sorted(code for code, _ in results)
        assert all("Traceback" not in err for _, err in results), results
        assert codes in ([0, 0], [0, 2]), results  # the second waited for the first, or was told the run is busy
        per_prompt = server.stats.by_prompt
        assert per_prompt and max(per_prompt.values()) == 1  # no item asked twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_ctrl_c_stops_generate_within_seconds_with_one_line(tmp_path) -> None:
    command = [
        sys.executable,
        "-m",
        "schedbench",
        "generate",
        "rcpsp",
        "--out",
        str(tmp_path / "s"),
        "--levels",
        "30-60",
        "--per-level",
        "50",
        "--tasks",
        "60",
        "--workers",
        "2",
        "--time-limit",
        "30",
        "--quiet",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 120
    while process.poll() is None and not children.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)  # until the solver pool runs: thousands of references are then still to come
    assert process.poll() is None
    os.kill(process.pid, signal.SIGINT)
    started = time.monotonic()
    code = process.wait(60)
    stopped_after = time.monotonic() - started
    err = process.stderr.read()
    assert code == 130 and err.strip() == "interrupted", err
    assert stopped_after < 30, stopped_after  # seconds, not the minutes the queued solves would take
    assert not (tmp_path / "s").exists()


def test_ctrl_c_stops_evaluate_with_one_line_and_keeps_what_arrived(suite, tmp_path) -> None:
    db = tmp_path / "r.db"
    answered: set[str] = set()

    def three_then_hang(request: StubRequest) -> StubReply:  # the run cannot finish before Ctrl-C, whatever the load
        if len(answered) < 3 or request.prompt_key in answered:
            answered.add(request.prompt_key)
            return StubReply(text="```json\n{}\n```")
        return StubReply(delay_s=600)

    with StubServer(three_then_hang) as server:
        command = evaluate_command(suite, db, server.openai_url)
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        deadline = time.monotonic() + 120
        while stored_items(db) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None
        os.kill(process.pid, signal.SIGINT)
        code = process.wait(60)
        err = process.stderr.read()
    assert code == 130 and err.strip() == "interrupted", err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3  # what arrived is kept
        assert conn.execute("SELECT COUNT(*) FROM run_locks").fetchone()[0] == 0


def stored_items(db: Path) -> int:
    """Items stored so far by another process (0 before the database or its tables exist)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_read_only_database_can_be_reported_from(suite, tmp_path, cli) -> None:
    db = tmp_path / "r.db"
    code, _, err = cli(["evaluate", "--model", "oracle/exact", "--suite", str(suite), "--results", str(db), "--quiet"])
    assert code == 0, err
    with Store(db, readonly=True) as store:
        assert store.runs()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.db.execute("DELETE FROM runs")
    code, out, err = cli(["report", "--results", str(db), "--json"])
    assert code == 0 and '"run"' in out, err


def test_a_corrupted_database_is_bad_input_naming_the_file(suite, tmp_path, cli) -> None:
    db = tmp_path / "r.db"
    db.write_bytes(b"this is not a database" * 100)
    for argv in (
        ["report", "--results", str(db)],
        ["evaluate", "--model", "oracle/exact", "--suite", str(suite), "--results", str(db)],
    ):
        code, _, err = cli(argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and str(db) in err, err
