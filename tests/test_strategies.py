"""Strategies: direct keeps its run names and cache keys; repair sends the verifier's findings back, stores every
round, resumes without re-asking stored rounds, counts every round against --max-cost and never leaks the
reference. End to end through both official SDKs against the stub server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from stub_commands import stub_evaluate

import schedbench as sb
from schedbench.errors import OptionError
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.evaluate._work import Prepared
from schedbench.evaluate.runner import ConversationHash, _Runner, default_run_name
from schedbench.evaluate.strategies import Repair
from schedbench.llm.stub_server import StubReply, StubServer, conversation_script, prompt_digest
from schedbench.problems import Instance, family_names, get_family
from schedbench.prompts import (
    PromptOptions,
    answer_text,
    build_messages,
    feedback_text,
    prompt_hash,
    reference_answer,
)
from schedbench.results import Store
from schedbench.results.report import build_report

K = 3


def _config(**changes) -> EvalConfig:
    base = EvalConfig(
        model="openai/gpt-4o",
        suite="suites/ramp",
        base_url="http://127.0.0.1:9/v1",
        temperature=0.2,
        model_args={"max_tokens": 100},
        prompt=PromptOptions(cot=True),
    )
    return EvalConfig(**{**base.__dict__, **changes})


def _key(config: EvalConfig) -> str:
    runner = SimpleNamespace(
        config=config, params={"temperature": 0.2}, strategy_identity=config.make_strategy().identity()
    )
    return _Runner.cache_key(runner, Prepared([], "ph" * 32, 10), 1)  # type: ignore[arg-type]  # only the fields cache_key reads


def test_direct_keeps_the_run_name_and_cache_key_of_before_strategies() -> None:
    # both values computed by main's code before strategies existed, for this very configuration
    assert default_run_name(_config(), "abc123") == "openai/gpt-4o@ramp#650de785"
    assert _key(_config()) == "c9539152bd0610f2a2c29006103bd3718d4850c723bba9d6f7ff81b524d11eee"


def test_repair_and_its_options_change_the_run_name_and_cache_key() -> None:
    repair = _config(strategy="repair", strategy_options={"rounds": 3})
    bare = _config(strategy="repair", strategy_options={"rounds": 3, "feedback": "bare"})
    names = {default_run_name(c, "abc123") for c in (_config(), repair, bare)}
    keys = {_key(c) for c in (_config(), repair, bare)}
    assert len(names) == 3 and len(keys) == 3
    assert repair.identity()["strategy"] == "repair" and "strategy" not in _config().identity()


def test_a_conversation_hash_grown_turn_by_turn_is_the_prompt_hash(rcpsp) -> None:
    hashed = ConversationHash()
    messages = build_messages(rcpsp[0], PromptOptions(cot=True))
    assert hashed(messages) == prompt_hash(messages)
    for turn in range(3):
        messages = [*messages, {"role": "assistant", "content": f"reply {turn} é"}, {"role": "user", "content": "no"}]
        assert hashed(messages) == prompt_hash(messages)
    other = build_messages(rcpsp[1], PromptOptions())  # not a continuation: hashed from the start
    assert hashed(other) == prompt_hash(other) and hashed([]) == prompt_hash([])
    assert hashed(messages[:3]) == prompt_hash(messages[:3])


@pytest.mark.parametrize("options", [{"rounds": 0}, {"feedback": "loud"}])
def test_bad_repair_options_are_refused(options) -> None:
    with pytest.raises(OptionError):
        Repair(**options)


@pytest.fixture(scope="module")
def every_family() -> list[Instance]:
    return [inst for name in family_names() for inst in sb.generate(name, levels="3,4", per_level=1)]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text))


def test_feedback_never_leaks_the_reference(every_family) -> None:
    checked = 0
    for inst in every_family:
        family = get_family(inst.family)
        data = family.parse_data(inst.data)
        ref = inst.reference
        for mode in sorted(family.prompts):
            truth = reference_answer(inst, mode)
            answers = [{"infeasible": True}, {}]
            answers += [family.baselines[rule](data) for rule in family.baselines] if mode == "plan" else []
            if "makespan" in truth:
                answers += [{"makespan": truth["makespan"] + 3}, {"makespan": max(truth["makespan"] - 1, 0)}]
            for answer in answers:
                v = family.verify(data, answer, ref).model_dump(exclude_none=True)
                for style in ("full", "types", "bare"):
                    text = feedback_text(inst, mode, style, None, v, objective_turn=True) or ""
                    assert answer_text(truth) not in text and json.dumps(truth) not in text
                    for part in truth.values():
                        if isinstance(part, dict | list) and len(part) > 1:
                            assert json.dumps(part) not in text
                    own = _numbers(json.dumps(answer)) | _numbers(
                        " ".join(
                            x.get("detail", "") for x in v.get("violations", []) if x["type"] != "infeasible_claim"
                        )
                    )
                    for hidden in (ref.objective, ref.bound):
                        if hidden is not None and str(hidden) not in own:
                            assert str(hidden) not in _numbers(text), (inst.id, mode, answer, text)
                    assert "reference" not in text.lower() and "optim" not in text.lower()
                    checked += 1
    assert checked > 100


def test_repairer_improves_only_from_findings(every_family, tmp_path) -> None:
    feasible = [i for i in every_family if i.reference.status != "infeasible"]
    rates = {}
    for style in ("full", "types", "bare"):
        config = EvalConfig(
            model="oracle/repairer",
            suite="every",
            results=tmp_path / "r.db",
            strategy="repair",
            strategy_options={"rounds": K, "feedback": style},
            show_progress=False,
        )
        outcome = evaluate(config, feasible)
        with Store(tmp_path / "r.db") as store:
            rates[style] = build_report(store, store.run(outcome.run))["repair"]["success_at"]
    assert rates["full"]["1"] == 0.0 and 0 < rates["full"]["2"] < 1 and rates["full"]["3"] == 1.0
    assert rates["bare"] == rates["types"] == {"1": 0.0, "2": 0.0, "3": 0.0}


@pytest.fixture(scope="module")
def rcpsp() -> list[Instance]:
    return sb.generate("rcpsp", levels="3,4", per_level=2)[:4]


def _question(inst: Instance) -> str:
    return next(m for m in build_messages(inst, PromptOptions()) if m["role"] == "user")["content"]


def _replies(suite: list[Instance]) -> dict[str, list[str]]:
    """Item 0 right at once; item 1 a parse error, then right; item 2 an empty schedule twice, then right; item 3
    always claims infeasibility. So success@1..3 = 1/4, 2/4, 3/4."""
    right = [answer_text(reference_answer(inst)) for inst in suite]
    wrong = '```json\n{"starts": {}}\n```'
    claim = '```json\n{"infeasible": true}\n```'
    plans = [[right[0]], ["I am not sure.", right[1]], [wrong, wrong, right[2]], [claim]]
    return {prompt_digest(_question(inst)): plan for inst, plan in zip(suite, plans, strict=True)}


def _args(db: Path, url: str, model: str, *more: str) -> list[str]:
    return ["evaluate", "--model", model, "--suite", "x", "--results", str(db), "--base-url", url, "--quiet", *more]


APIS = [("openai", "openai-compatible/stub"), ("anthropic", "anthropic/claude-x")]


@pytest.mark.parametrize(("api", "model"), APIS)
def test_scripted_repair_over_http_gives_the_exact_success_at_k(rcpsp, tmp_path, monkeypatch, api, model) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    seen: list[list[dict[str, str]]] = []
    script = conversation_script(_replies(rcpsp))

    def recording(request):
        seen.append(request.messages)
        return script(request)

    with StubServer(recording) as server:
        url = server.openai_url if api == "openai" else server.anthropic_url
        config = EvalConfig(
            model=model,
            suite="x",
            results=tmp_path / "r.db",
            base_url=url,
            strategy="repair",
            strategy_options={"rounds": K},
            show_progress=False,
        )
        outcome = evaluate(config, rcpsp)
        assert server.stats.requests == 1 + 2 + 3 + 3
        evaluate(EvalConfig(**{**config.__dict__, "run": "again"}), rcpsp)  # every round from the cache
        assert server.stats.requests == 9
    with Store(tmp_path / "r.db") as store:
        run = store.run(outcome.run)
        document = build_report(store, run)
        rounds = store.rounds(run.id)
    assert document["strategy"] == "repair" and run.config["rounds"] == K
    assert document["repair"]["success_at"] == {"1": 0.25, "2": 0.5, "3": 0.75}
    assert document["repair"]["rounds_used"] == {"1": 1, "2": 1, "3": 2}
    assert document["feasible_rate"] == 0.75  # the item's result is its last round
    second = rounds[(rcpsp[2].id, 0)][1]
    assert second["user"].startswith("Your answer is not correct") and "has no start" in second["user"]
    assert second["input_tokens"] > 0 and second["cost_usd"] == 0.0 and not second["cached"]
    parse = rounds[(rcpsp[1].id, 0)][1]["user"]
    assert "could not be read" in parse and "JSON schema" in parse
    for messages in seen:  # what reached the model: the findings, never the reference
        for inst in rcpsp:
            if messages[-1]["content"] != _question(inst) and len(messages) > 2:
                text = " ".join(m["content"] for m in messages[2:] if m["role"] == "user")
                assert json.dumps(reference_answer(inst)["starts"]) not in text
    claims = [m[-1]["content"] for m in seen if len(m) > 2 and "no valid schedule" in m[-1]["content"]]
    assert claims and all(str(rcpsp[3].reference.objective) not in _numbers(c) for c in claims)


def test_repair_resumes_without_reasking_stored_rounds(rcpsp, tmp_path, cli) -> None:
    script = conversation_script(_replies(rcpsp))
    db = tmp_path / "r.db"

    def third_round_fails(request):  # a fault that a retry cannot fix, at the third answer only
        from schedbench.llm.stub_server import StubReply

        return StubReply(status=400, error_message="bad turn") if request.turn == 3 else script(request)

    (tmp_path / "s.jsonl").write_text("".join(inst.to_json_line() + "\n" for inst in rcpsp))
    suite = str(tmp_path / "s.jsonl")
    with StubServer(third_round_fails) as server:
        args = [*_args(db, server.openai_url, "openai-compatible/stub", "--strategy", "repair"), "--suite", suite]
        cli(args)
        first, port = server.stats.requests, server.port
    assert first == 1 + 2 + 3 + 3
    with StubServer(script, port=port) as server:  # the same server address: the same run and cache keys
        code, _, err = cli(
            [*_args(db, server.openai_url, "openai-compatible/stub", "--strategy", "repair"), "--suite", suite]
        )
        assert code == 0, err
        assert server.stats.requests == 2  # only the two third answers that failed
    code, listing, _ = cli(["runs", "--results", str(db), "--strategy", "repair", "--json"])
    assert code == 0 and "repair" in listing
    code, text, _ = cli(["report", "--results", str(db), "--json"])
    document = json.loads(text)
    assert document["strategy"] == "repair" and document["repair"]["success_at"] == {"1": 0.25, "2": 0.5, "3": 0.75}


def _stored_items(db: Path) -> int:
    """Items committed so far (read beside the writing process, as any reader would)."""
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0


def test_finished_conversations_are_committed_while_the_run_waits_and_survive_sigkill(rcpsp, tmp_path) -> None:
    """Writes are batched, never held back: the conversations that ended are committed (item, rounds, cache)
    while the run still waits for another reply, so a SIGKILL then costs no paid turn again."""
    from test_formalize import _results

    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(inst.to_json_line() + "\n" for inst in rcpsp))
    script = conversation_script(_replies(rcpsp))
    waiting = prompt_digest(_question(rcpsp[3]))
    hold = threading.Event()
    asked: list[tuple[str, int]] = []

    def held(request):  # item 3's first answer comes only once `hold` is set
        asked.append((prompt_digest(request.question), request.turn))
        if prompt_digest(request.question) == waiting and not hold.is_set():
            return StubReply(hang=True)
        return script(request)

    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    with StubServer(held) as server:
        command = [*stub_evaluate(suite, killed, server.openai_url, "--strategy", "repair"), "--no-preflight"]
        process = subprocess.Popen([*command, "--concurrency", "4"], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _stored_items(killed) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        assert _stored_items(killed) == 3, "the three finished conversations are committed while the run waits"
        assert len(asked) == 1 + 2 + 3 + 1
        hold.set()
        rerun = subprocess.run([*command, "--concurrency", "4"], capture_output=True)
        assert rerun.returncode == 0, rerun.stderr
        assert asked[7:] == [(waiting, 1), (waiting, 2), (waiting, 3)]  # only the conversation that had no reply
        done = subprocess.run([*stub_evaluate(suite, clean, server.openai_url, "--strategy", "repair")])
        assert done.returncode == 0
    assert _results(killed) == _results(clean)


def test_max_cost_counts_every_round(rcpsp, tmp_path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('["openai-compatible/priced"]\ninput = 100.0\noutput = 100.0\n')
    with StubServer(conversation_script(_replies(rcpsp))) as server:
        config = EvalConfig(
            model="openai-compatible/priced",
            suite="x",
            results=tmp_path / "full.db",
            base_url=server.openai_url,
            prices=prices,
            strategy="repair",
            concurrency=1,
            show_progress=False,
        )
        full = evaluate(config, rcpsp)
        assert server.stats.requests == 9
        budget = full.cost_usd / 2
        half = evaluate(EvalConfig(**{**config.__dict__, "results": tmp_path / "half.db", "max_cost": budget}), rcpsp)
    with Store(tmp_path / "full.db") as store:
        run = store.run(full.run)
        assert store.spent(run.id) == pytest.approx(
            sum(r["cost_usd"] for c in store.rounds(run.id).values() for r in c)
        )
    first_rounds = sum(r[0]["cost_usd"] for r in store_rounds(tmp_path / "full.db").values())
    assert full.cost_usd > first_rounds > 0  # later rounds are paid for too
    assert half.stopped_by_budget and 0 < half.cost_usd <= budget


def store_rounds(db: Path) -> dict:
    with Store(db) as store:
        return store.rounds(store.runs()[0].id)


@pytest.mark.parametrize("flags", [["--rounds", "0"], ["--feedback", "loud"], ["--strategy", "guess"]])
def test_bad_strategy_flags_exit_2(tmp_path, cli, rcpsp, flags) -> None:
    (tmp_path / "s.jsonl").write_text(rcpsp[0].to_json_line() + "\n")
    code, _, err = cli(
        [
            "evaluate",
            "--model",
            "oracle/repairer",
            "--suite",
            str(tmp_path / "s.jsonl"),
            "--results",
            str(tmp_path / "r.db"),
            "--quiet",
            "--strategy",
            "repair",
            *flags,
        ]
    )
    assert code == 2, err
    assert not (tmp_path / "r.db").exists() or not store_rounds_any(tmp_path / "r.db")


def store_rounds_any(db: Path) -> bool:
    with Store(db) as store:
        return bool(store.runs())


def test_repair_objective_tells_a_feasible_improvable_answer_its_objective_once(tmp_path) -> None:
    suite = sb.generate("smtt", levels="6,8", per_level=3)
    rule = get_family("smtt").gap_baseline or next(iter(get_family("smtt").baselines))
    config = EvalConfig(
        model=f"baseline/{rule}",
        suite="smtt",
        results=tmp_path / "r.db",
        strategy="repair",
        strategy_options={"rounds": K, "objective_turn": True},
        show_progress=False,
    )
    outcome = evaluate(config, suite)
    with Store(tmp_path / "r.db") as store:
        conversations = store.rounds(store.run(outcome.run).id)
    told = 0
    for inst in suite:
        turns = conversations[(inst.id, 0)]
        first = turns[0]["verification"]
        improvable = first["feasible"] and (first.get("gap_pct") or first.get("gap_abs") or 0) > 0
        assert len(turns) == (2 if improvable else 1)  # one objective turn at most, the rule answers the same
        if improvable:
            text = turns[1]["user"]
            assert f"feasible, with objective {first['objective']}," in text
            assert str(inst.reference.objective) not in _numbers(text)
            told += 1
    assert told >= 1


def test_findings_use_the_scenario_words(every_family) -> None:
    inst = next(i for i in every_family if i.family == "asyncplan").model_copy(update={"scenario": "kitchen"})
    violation = {"type": "agent_overlap", "items": ["S1", "S2"], "detail": "S2 starts at 3 while S1 runs until 5"}
    text = feedback_text(inst, "plan", "full", None, {"feasible": False, "violations": [violation]}) or ""
    assert "one cook does two steps at once: S2 starts at 3 while S1 runs until 5" in text
    assert "S1, S2" in text
