"""SIGKILL mid-run, rerun the same command: the same results as an uninterrupted run, nothing duplicated or
lost, no request repeated for an item already stored. And no API key anywhere the harness writes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from schedbench.llm._offline import answer_text
from schedbench.llm.stub_server import StubReply, StubServer
from schedbench.problems import Instance, get_family
from schedbench.prompts import render_question
from schedbench.references import generate_suite
from schedbench.suites import load_instances

KEY = "sk-proj-LEAKCHECK-4b1d2e9f0a7c"
SAMPLES = 3
ITEM_FIELDS = ("instance_id", "sample", "response", "answer", "parse_error", "verification", "feasible", "error")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Instance]]:
    family = get_family("rcpsp")
    config = family.generator_config(levels="2-5", stage="precedence,windows", seed=5, time_limit=5, workers=2)
    folder = generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)
    return folder, load_instances(folder)


class Recorder:
    """A deterministic script (every third instance gets an empty schedule) that counts requests per instance."""

    def __init__(self, instances: list[Instance]) -> None:
        self.by_prompt = {render_question(inst): (k, inst) for k, inst in enumerate(instances)}
        self.requests: Counter[str] = Counter()

    def __call__(self, request):
        k, inst = self.by_prompt[request.prompt]
        self.requests[inst.id] += 1
        return answer_text({"starts": {}} if k % 3 == 0 else inst.reference.witness)


def _command(folder: Path, db: Path, url: str, worker: bool = False) -> list[str]:
    """The evaluate command line; with `worker`, the same run through the API with checks in the worker process."""
    if worker:
        code = (
            "from schedbench.evaluate import EvalConfig, evaluate; "
            f"evaluate(EvalConfig(model='openai-compatible/stub', suite={str(folder)!r}, results={str(db)!r}, "
            f"base_url={url!r}, concurrency=2, samples={SAMPLES}, show_progress=False, offload=True))"
        )
        return [sys.executable, "-c", code]
    return [
        sys.executable,
        "-m",
        "schedbench",
        "evaluate",
        "--model",
        "openai-compatible/stub",
        "--suite",
        str(folder),
        "--results",
        str(db),
        "--base-url",
        url,
        "--concurrency",
        "2",
        "--samples",
        str(SAMPLES),
        "--quiet",
    ]


def _stored(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(f"SELECT {', '.join(ITEM_FIELDS)} FROM items ORDER BY instance_id, sample").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        conn.close()


@pytest.mark.parametrize("worker", [False, True], ids=["inline", "worker-process"])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(worker: bool, suite, tmp_path) -> None:
    folder, instances = suite
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    recorder = Recorder(instances)
    # 0.25 s a reply, two at a time: the two thirds of the run left when the kill is sent take seconds, so the
    # kill lands mid-run even when this process is slow to send it (load 30+)
    with StubServer(recorder, latency_s=0.25) as server:
        process = subprocess.Popen(
            _command(folder, killed_db, server.openai_url, worker), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(_stored(killed_db)) < len(instances) and time.monotonic() < deadline:
            time.sleep(0.02)
        children = _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        _assert_gone(children)
        at_kill = Counter(row[0] for row in _stored(killed_db))
        assert 0 < sum(at_kill.values()) < SAMPLES * len(instances), "the kill must land mid-run"
        rerun = subprocess.run(
            _command(folder, killed_db, server.openai_url, worker), capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
        for instance_id in (i for i, stored in at_kill.items() if stored == SAMPLES):
            assert recorder.requests[instance_id] == SAMPLES, f"{instance_id} was asked again after it was stored"
    # the uninterrupted run needs the same replies, not the slow server that gave the kill its time
    with StubServer(Recorder(instances)) as server:
        clean = subprocess.run(
            _command(folder, clean_db, server.openai_url), capture_output=True, text=True, timeout=120
        )
        assert clean.returncode == 0, clean.stderr
    resumed, uninterrupted = _stored(killed_db), _stored(clean_db)
    assert len(resumed) == SAMPLES * len(instances) == len({row[:2] for row in resumed})
    assert resumed == uninterrupted


def test_no_api_key_in_database_logs_reports_or_errors(suite, tmp_path, cli, monkeypatch) -> None:
    folder, instances = suite
    by_prompt = {render_question(inst): (k, inst) for k, inst in enumerate(instances[:6])}

    def script(request):
        k, inst = by_prompt[request.prompt]
        auth = request.headers.get("authorization", "")
        if k % 2:
            return StubReply(status=401, error_message=f"invalid credentials: {auth}")
        return f"Your key {auth} works. " + answer_text(inst.reference.witness)

    db = tmp_path / "r.db"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with StubServer(script) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        steps = [
            [
                "evaluate",
                "--model",
                "openai/gpt-stub",
                "--suite",
                str(folder),
                "--limit",
                "6",
                "--results",
                str(db),
                "--max-retries",
                "0",
            ],
            ["report", "--results", str(db)],
            [
                "report",
                "--results",
                str(db),
                "--json",
                "--export",
                str(tmp_path / "items.jsonl"),
                "--export",
                str(tmp_path / "items.csv"),
            ],
            ["evaluate", "--model", "openai/gpt-stub", "--suite", str(tmp_path / "nosuch"), "--results", str(db)],
        ]
        outputs = [cli(step) for step in steps]
    assert [code for code, _, _ in outputs] == [1, 0, 0, 2]  # the run ended with errors (401s): exit 1
    document = json.loads(outputs[2][1])
    assert document["n"] == 6 and document["error_rate"] == 0.5
    written = [out + err for _, out, err in outputs]
    written += [p.read_bytes().decode("latin-1") for p in tmp_path.iterdir() if p.is_file()]
    assert any("Your key" in text for text in written), "the server's echo must have reached the store"
    for text in written:
        assert KEY not in text


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _assert_gone(pids: list[int], within_s: float = 60.0) -> None:
    """The killed run's worker process exits with its parent instead of lingering."""
    deadline = time.monotonic() + within_s
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [
            pid
            for pid in alive
            if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        ]
    assert not alive, f"processes left behind by the killed run: {alive}"
