"""A model or server that cannot answer stops the run at once, says why on one line and exits 1; a command
rejected before its first request leaves no run behind. Through the official SDKs against a real server on
127.0.0.1 (and a port where nothing listens)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from schedbench.demo import make_suite
from schedbench.llm import classify, describe, kind_of
from schedbench.llm.stub_server import StubReply, StubServer
from schedbench.results import Store


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_suite("smtt", tmp_path_factory.mktemp("suite"), show_progress=False, levels="5,6,7,8")


def runs_in(db: Path) -> list[str]:
    if not db.exists():
        return []
    with Store(db) as store:
        return [run.name for run in store.runs()]


def evaluate_args(suite: Path, db: Path, url: str, model: str = "openai-compatible/stub") -> list[str]:
    return ["evaluate", "--model", model, "--suite", str(suite), "--results", str(db), "--base-url", url, "--quiet"]


@pytest.mark.parametrize(("api", "model"), [("openai", "openai-compatible/stub"), ("anthropic", "anthropic/claude-x")])
def test_a_rejected_key_stops_at_the_first_request_without_retries(suite, tmp_path, cli, monkeypatch, api, model):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    with StubServer(lambda request: StubReply(status=401, error_message="invalid x-api-key")) as server:
        url = server.openai_url if api == "openai" else server.anthropic_url
        started = time.monotonic()
        code, _, err = cli(evaluate_args(suite, tmp_path / "r.db", url, model))
        elapsed = time.monotonic() - started
        assert server.stats.requests == 1  # the probe, not retried, and nothing sent after it
    assert code == 1 and err.strip().count("\n") == 0, err
    assert "authentication" in err and "invalid x-api-key" in err
    assert elapsed < 90  # not the minutes of backed-off retries (a loaded CI machine takes 30+ s to start)
    with Store(tmp_path / "r.db") as store:
        (run,) = store.runs()
        assert run.status == "failed"


def test_nothing_listening_stops_within_seconds(suite, tmp_path, cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    started = time.monotonic()
    code, _, err = cli(evaluate_args(suite, tmp_path / "r.db", f"http://127.0.0.1:{port}/v1"))
    assert code == 1 and "connection_refused" in err and err.strip().count("\n") == 0, err
    assert time.monotonic() - started < 90  # not the minutes of backed-off retries


def test_identical_errors_in_a_row_stop_the_run(suite, tmp_path, cli) -> None:
    answered = {"count": 0}

    def script(request):
        answered["count"] += 1
        if answered["count"] == 1:
            return StubReply(text="not an answer")  # the server works
        return StubReply(status=404, error_message="model stub was removed")

    with StubServer(script) as server:
        args = evaluate_args(suite, tmp_path / "r.db", server.openai_url)
        code, _, err = cli([*args, "--concurrency", "1", "--max-consecutive-errors", "3"])
        assert server.stats.requests == 1 + 3
    assert code == 1 and "3 requests in a row failed with not_found" in err, err
    code, out, _ = cli(["report", "--results", str(tmp_path / "r.db"), "--json"])
    document = json.loads(out)  # one run: one document
    assert document["errors_by_kind"]["not_found"]["count"] == 3
    assert "model stub was removed" in document["errors_by_kind"]["not_found"]["example"]


def test_passing_errors_are_counted_by_kind_and_the_run_exits_1(suite, tmp_path, cli) -> None:
    seen = {"count": 0}

    def script(request):
        seen["count"] += 1
        return StubReply(status=500) if seen["count"] <= 2 else StubReply(text="no answer here")

    with StubServer(script) as server:
        args = evaluate_args(suite, tmp_path / "r.db", server.openai_url)
        code, _, err = cli([*args, "--max-retries", "0", "--no-preflight"])
    lines = err.strip().splitlines()
    assert code == 1 and any(line.startswith("score: success 0.0%") for line in lines), err
    assert "errors: 2 (rerun the same command to retry them)" in lines, err
    assert any(line.strip().startswith("server_error 2, e.g.") for line in lines), err


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("baseline/nosuch", "no family has a baseline rule 'nosuch'"),
        ("nosuch/model", "--model"),
        ("openai/x", "OPENAI_API_KEY"),
    ],
)
def test_a_rejected_command_leaves_no_run(suite, tmp_path, cli, monkeypatch, model, needle) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    db = tmp_path / "r.db"
    code, _, err = cli(["evaluate", "--model", model, "--suite", str(suite), "--results", str(db), "--quiet"])
    assert code == 2 and needle in err and err.strip().count("\n") == 0, err
    assert runs_in(db) == []


def test_kinds_follow_the_status_and_the_cause_not_the_sdks_label() -> None:
    import openai

    refused = openai.APITimeoutError(request=None)  # type: ignore[arg-type]  # the SDK's label for a refusal
    try:
        raise refused from ConnectionRefusedError(111, "Connection refused")
    except openai.APITimeoutError as exc:
        assert classify(exc) == "connection_refused"
    assert classify(openai.APITimeoutError(request=None)) == "timeout"  # type: ignore[arg-type]  # the SDK accepts no request here
    assert kind_of(describe(ValueError("x"))) == "other" and kind_of("APITimeoutError: old row") == "other"


def test_evolve_stops_when_the_model_cannot_answer(tmp_path, cli) -> None:
    config = tmp_path / "evolve.toml"
    config.write_text('[evaluator]\ntrain = { levels = "8", per_level = 1 }\n[database]\nislands = 1\n')
    with StubServer(lambda request: StubReply(status=401, error_message="invalid key")) as server:
        args = ["evolve", "--family", "smtt", "--model", "openai-compatible/stub", "--base-url", server.openai_url]
        code, _, err = cli([*args, "--out", str(tmp_path / "run"), "--iterations", "20", "--config", str(config)])
        assert server.stats.requests <= 2  # one probing call per worker, none retried
    assert code == 1 and "authentication" in err and "invalid key" in err, err
    history = (tmp_path / "run" / "history.jsonl").read_text().splitlines()
    assert len(history) <= 3  # the seed and the failed calls, not 20 iterations of the same error
