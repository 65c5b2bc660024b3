"""No silent loss: replies with huge numbers or lone surrogates are stored (safely), a write failure stops the
run with exit 1, a run is complete only when every item is stored, and the cache holds only processed replies.
Through the stub server (official SDK over HTTP) and through `replay/`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from schedbench.errors import StorageError
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.llm._offline import answer_text
from schedbench.llm.stub_server import StubServer
from schedbench.problems import Instance, get_family
from schedbench.prompts import render_question
from schedbench.references import generate_suite
from schedbench.results import ItemRecord, Store
from schedbench.suites import load_instances

HOSTILE = ("huge_int", "huge_float", "surrogate", "plain")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Instance]]:
    family = get_family("rcpsp")
    config = family.generator_config(levels="2-6", per_level=4, stage="precedence", seed=3, time_limit=5, workers=1)
    folder = generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)
    return folder, load_instances(folder)


def hostile_reply(inst: Instance, kind: str) -> str:
    """The reference witness, with one start made huge or a lone surrogate added."""
    starts = dict(inst.reference.witness["starts"])
    first = next(iter(starts))
    if kind == "huge_int":
        starts[first] = 10**30
    elif kind == "huge_float":
        starts[first] = 1e308
    text = answer_text({"starts": starts})
    return text + "\n\ud800 done" if kind == "surrogate" else text


def _kinds(instances: list[Instance]) -> dict[str, str]:
    return {inst.id: HOSTILE[k % len(HOSTILE)] for k, inst in enumerate(instances)}


def _rows(db: Path) -> tuple[str, list[sqlite3.Row]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        status = conn.execute("SELECT status FROM runs").fetchone()[0]
        return status, conn.execute("SELECT * FROM items WHERE error IS NULL").fetchall()


def _check_all_stored(db: Path, instances: list[Instance]) -> None:
    status, rows = _rows(db)
    assert status == "complete"
    assert {r["instance_id"] for r in rows} == {inst.id for inst in instances}
    kinds = _kinds(instances)
    for row in rows:
        kind = kinds[row["instance_id"]]
        verification = json.loads(row["verification"])
        if kind == "huge_int":  # the exact value survives in the JSON, the REAL column holds a float
            assert json.loads(row["answer"])["starts"][next(iter(json.loads(row["answer"])["starts"]))] == 10**30
            assert not verification["feasible"]
        if kind == "surrogate":
            assert "\\ud800" in row["response"] and verification["feasible"]
        if kind == "plain":
            assert verification["feasible"] and verification["optimal"]


def test_hostile_replies_through_the_stub_are_all_stored_and_cached(suite, tmp_path) -> None:
    folder, instances = suite
    by_prompt = {render_question(inst): inst for inst in instances}
    kinds = _kinds(instances)
    db = tmp_path / "r.db"

    def script(request):
        inst = by_prompt[request.prompt]
        return hostile_reply(inst, kinds[inst.id])

    with StubServer(script) as server:
        config = EvalConfig(
            model="openai-compatible/stub", suite=str(folder), results=db, base_url=server.openai_url, concurrency=4
        )
        config.show_progress = False
        outcome = evaluate(config)
        assert outcome.answered == len(instances) and outcome.errors == 0
        _check_all_stored(db, instances)
        # a second run under another name is answered from the cache, every item again
        again = evaluate(EvalConfig(**{**config.__dict__, "run": "second"}))
        assert again.cached == len(instances)
        assert server.stats.requests == len(instances)


def test_hostile_replies_through_replay_are_all_stored(suite, tmp_path, cli) -> None:
    folder, instances = suite
    kinds = _kinds(instances)
    replay = tmp_path / "replies.jsonl"
    with open(replay, "w", encoding="utf-8") as fh:
        for inst in instances:
            fh.write(json.dumps({"instance_id": inst.id, "response": hostile_reply(inst, kinds[inst.id])}) + "\n")
    db = tmp_path / "r.db"
    code, _, err = cli(["evaluate", "--model", f"replay/{replay}", "--suite", str(folder), "--results", str(db)])
    assert code == 0, err
    _check_all_stored(db, instances)


def test_a_write_failure_stops_the_run_with_exit_1_and_keeps_nothing_half_done(suite, tmp_path, cli, monkeypatch):
    folder, instances = suite
    db = tmp_path / "r.db"
    original = Store.add_items

    def failing(self, run_id, batch):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "add_items", failing)
    argv = [
        "evaluate",
        "--model",
        "oracle/exact",
        "--suite",
        str(folder),
        "--results",
        str(db),
        "--concurrency",
        "1",
        "--quiet",
    ]
    code, _, err = cli(argv)
    assert code == 1
    assert err.count("\n") == 1 and str(db) in err and "database or disk is full" in err
    status, rows = _rows(db)
    assert status != "complete" and not rows
    monkeypatch.setattr(Store, "add_items", original)
    code, _, err = cli(argv)  # the rerun stores the rest
    assert code == 0, err
    status, rows = _rows(db)
    assert status == "complete" and len(rows) == len(instances)


def test_a_run_is_complete_only_if_every_item_was_stored(suite, tmp_path, monkeypatch) -> None:
    folder, _ = suite
    db = tmp_path / "r.db"
    original = Store.add_items

    def forgetful(self, run_id, batch):  # a store that silently drops the first item of each batch
        return original(self, run_id, batch[1:])

    monkeypatch.setattr(Store, "add_items", forgetful)
    evaluate(EvalConfig(model="oracle/exact", suite=str(folder), results=db, show_progress=False))
    assert _rows(db)[0] == "incomplete"


def test_the_store_takes_any_value_a_reply_can_hold(tmp_path) -> None:
    with Store(tmp_path / "r.db") as store:
        run = store.create_run("r", "m", "s", "h", {"x": "\ud800"}, {}, None, 1)
        item = ItemRecord("i\udfff", 0, "rcpsp", 1, "s", "a", "plan", response="\ud800 " + "x", answer={"a": 10**400})
        item.verification = {"feasible": False, "objective": 10**30, "gap_pct": float("nan"), "violations": []}
        item.parse_error, item.error = "bad \udc80", None
        store.add_items(run.id, [(item, "key")])
        stored = next(store.items(run.id))
        assert stored["answer"] == {"a": 10**400}
        assert stored["objective"] == 1e30 and stored["gap_pct"] is None
        assert stored["verification"]["objective"] == 10**30 and stored["verification"]["gap_pct"] is None
        assert stored["response"] == "\\ud800 x" and store.cached("key").response == "\\ud800 x"


def test_a_failing_check_is_not_cached(suite, tmp_path, monkeypatch) -> None:
    from schedbench.evaluate import _work

    folder, instances = suite
    db = tmp_path / "r.db"
    monkeypatch.setattr(_work, "_check_one", lambda *a: (_ for _ in ()).throw(RuntimeError("checker bug")))
    with StubServer(lambda request: "```json\n{}\n```") as server:
        config = EvalConfig(model="openai-compatible/stub", suite=str(folder), results=db, base_url=server.openai_url)
        config.show_progress = False
        outcome = evaluate(config)
    assert outcome.errors == len(instances)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0


def test_storage_error_names_the_database() -> None:
    assert "results/x.db" in str(StorageError("results/x.db", "disk full"))


def test_stored_verification_size_is_bounded(tmp_path) -> None:
    from schedbench.results.store import MAX_STORED_VIOLATIONS

    violations = [{"type": "unknown", "items": [f"X{i}"] * 50, "detail": "y" * 5000} for i in range(20_000)]
    item = ItemRecord("i", 0, "rcpsp", 1, "s", "a", "plan", response="r")
    item.verification = {"feasible": False, "violations": violations}
    with Store(tmp_path / "r.db") as store:
        run = store.create_run("r", "m", "s", "h", {}, {}, None, 1)
        store.add_items(run.id, [(item, None)])
        (text, types) = store.db.execute("SELECT verification, violation_types FROM items").fetchone()
    stored = json.loads(text)
    assert len(text) < 200_000 and len(stored["violations"]) == MAX_STORED_VIOLATIONS
    assert stored["violations_omitted"] == 20_000 - MAX_STORED_VIOLATIONS
    assert stored["violations"][0]["items_omitted"] == 30 and json.loads(types) == ["unknown"]
