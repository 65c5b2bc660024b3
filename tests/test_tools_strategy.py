"""The tools strategy: the model calls check_schedule (and run_python) before it answers. End to end through both
official SDKs against the stub server on 127.0.0.1: the wire shapes of tool calls and results, results reaching
the model, the call limit, every call stored, the metrics, resume after SIGKILL in the middle of a tool loop,
--max-cost counting every tool turn, run_python contained, and no reference in anything the model reads."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from stub_commands import stub_evaluate

import schedbench as sb
from schedbench.errors import OptionError
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.evaluate._tool_turns import with_tools_note
from schedbench.evaluate.runner import default_run_name
from schedbench.evaluate.strategies import Tools
from schedbench.llm.stub_server import StubReply, StubServer, prompt_digest, tool_script
from schedbench.problems import Instance, family_names, get_family
from schedbench.prompts import PromptOptions, answer_text, build_messages, check_text, reference_answer
from schedbench.results import Store
from schedbench.results.report import build_report

APIS = [("openai", "openai-compatible/stub"), ("anthropic", "anthropic/claude-x")]
KEY = "sk-ant-TOOLSLEAK-7f3e1d2c9b"
LIMIT = 3


@pytest.fixture(scope="module")
def rcpsp() -> list[Instance]:
    return [i for i in sb.generate("rcpsp", levels="3,4", per_level=3) if i.reference.status != "infeasible"][:4]


@pytest.fixture(scope="module")
def every_family() -> list[Instance]:
    return [inst for name in family_names() for inst in sb.generate(name, levels="3,4", per_level=1)]


def _question(inst: Instance, tools: list[str], limit: int) -> str:
    messages = with_tools_note(build_messages(inst, PromptOptions()), tools, limit)
    return next(m for m in reversed(messages) if m["role"] == "user")["content"]


def _check(answer: str) -> dict:
    return {"name": "check_schedule", "arguments": {"answer": answer}}


WRONG = '```json\n{"starts": {}}\n```'


def _plans(suite: list[Instance], limit: int = LIMIT) -> dict[str, list]:
    """Item 0 checks a wrong answer, then the right one, then answers right (2 calls); item 1 answers at once;
    item 2 asks for two checks in one reply, then answers something unchecked and wrong; item 3 asks for a
    check on every turn (only `limit` run; one refusal, then the loop ends without an answer)."""
    right = [answer_text(reference_answer(inst)) for inst in suite]
    partial = '```json\n{"starts": {"T1": 0}}\n```'
    plans = [
        [[_check(WRONG)], [_check(right[0])], right[0]],
        [right[1]],
        [[_check(WRONG), _check(right[2])], partial],
        [[_check(right[3])]],
    ]
    return {prompt_digest(_question(inst, ["check"], limit)): plan for inst, plan in zip(suite, plans, strict=True)}


def _config(model: str, url: str, db: Path, **changes) -> EvalConfig:
    values = {
        "model": model,
        "suite": "x",
        "results": db,
        "base_url": url,
        "strategy": "tools",
        "strategy_options": {"tools": ["check"], "max_tool_calls": LIMIT},
        "show_progress": False,
        "concurrency": 2,
        **changes,
    }
    return EvalConfig(**values)


@pytest.mark.parametrize(("api", "model"), APIS)
def test_tool_calls_over_http_have_the_right_shapes_and_their_results_reach_the_model(
    rcpsp, tmp_path, monkeypatch, api, model
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    bodies: list[dict] = []
    script = tool_script(_plans(rcpsp))

    def recording(request):
        bodies.append(request.body)
        return script(request)

    with StubServer(recording) as server:
        url = server.openai_url if api == "openai" else server.anthropic_url
        outcome = evaluate(_config(model, url, tmp_path / "r.db"), rcpsp)
        assert "400" not in server.stats.as_dict()["by_status"]  # the stub refuses malformed tool turns as the APIs do
        assert server.stats.requests == 3 + 1 + 2 + (LIMIT + 2)
    for body in bodies:
        offered = body["tools"]
        names = [t["function"]["name"] if api == "openai" else t["name"] for t in offered]
        assert names == ["check_schedule"]
        if api == "openai":
            assert offered[0]["type"] == "function" and offered[0]["function"]["parameters"]["required"] == ["answer"]
        else:
            assert offered[0]["input_schema"]["required"] == ["answer"]
    results = _tool_results(api, bodies)
    assert any("has no start" in text for text in results)  # the findings on the wrong answer reached the model
    assert any(text.startswith("No violation found.\nThe schedule is feasible, with objective") for text in results)
    assert any(text.startswith("Not run: the limit of 3 tool calls") for text in results)
    _assert_ids_match(api, bodies)
    with Store(tmp_path / "r.db") as store:
        run = store.run(outcome.run)
        document = build_report(store, run)
        conversations = store.rounds(run.id)
    assert run.config["tools"] == ["check"] and run.config["max_tool_calls"] == LIMIT
    assert document["strategy"] == "tools" and document["feasible_rate"] == 0.5
    tools = document["tools"]
    assert tools["calls"] == {"0": 1, "2": 2, "3": 1} and tools["by_tool"] == {"check_schedule": 7}
    assert tools["success_by_calls"] == {
        "0": {"items": 1, "success_rate": 1.0},
        "2": {"items": 2, "success_rate": 0.5},
        "3": {"items": 1, "success_rate": 0.0},
    }
    assert tools["unchecked_final_rate"] == 0.75 and tools["items_with_refused_calls"] == 1
    first = conversations[(rcpsp[0].id, 0)][0]
    calls = first["extra"]["tool_calls"]
    assert [c["arguments"]["answer"] for c in calls] == [WRONG, answer_text(reference_answer(rcpsp[0]))]
    assert "has no start" in calls[0]["result"] and first["extra"]["final_checked"]
    assert len(first["extra"]["turns"]) == 3 and first["input_tokens"] == sum(
        t["input_tokens"] for t in first["extra"]["turns"]
    )
    limited = conversations[(rcpsp[3].id, 0)][0]
    assert [c["ran"] for c in limited["extra"]["tool_calls"]] == [True] * LIMIT + [False]
    assert limited["parse_error"] and len(limited["extra"]["turns"]) == LIMIT + 2


def _tool_results(api: str, bodies: list[dict]) -> list[str]:
    """The tool results in the requests, as the model reads them."""
    out = []
    for body in bodies:
        for message in body["messages"]:
            if api == "openai" and message["role"] == "tool":
                out.append(message["content"])
            elif api == "anthropic" and isinstance(message["content"], list):
                out += [b["content"] for b in message["content"] if b.get("type") == "tool_result"]
    return out


def _assert_ids_match(api: str, bodies: list[dict]) -> None:
    """Each result answers, by id and in order, the calls of the assistant message just before it."""
    pairs = 0
    for body in bodies:
        messages = body["messages"]
        for position, message in enumerate(messages):
            if api == "openai" and message.get("tool_calls"):
                ids = [c["id"] for c in message["tool_calls"]]
                following = messages[position + 1 : position + 1 + len(ids)]
                assert [m["role"] for m in following] == ["tool"] * len(ids)
                assert [m["tool_call_id"] for m in following] == ids
                assert all(isinstance(c["function"]["arguments"], str) for c in message["tool_calls"])
                pairs += 1
            elif api == "anthropic" and message["role"] == "assistant" and isinstance(message["content"], list):
                ids = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
                following = messages[position + 1]
                assert following["role"] == "user"
                assert [b["tool_use_id"] for b in following["content"]] == ids
                assert all(b["type"] == "tool_result" for b in following["content"])
                pairs += 1
    assert pairs > 5


def test_the_stub_refuses_malformed_tool_turns_as_the_apis_do() -> None:
    from schedbench.llm.stub_server import tool_shape_error

    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    openai_ok = [{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": [call]}]
    assert tool_shape_error("openai", {"messages": [*openai_ok, {"role": "tool", "tool_call_id": "c1"}]}) is None
    assert tool_shape_error("openai", {"messages": [*openai_ok, {"role": "tool", "tool_call_id": "c2"}]})
    assert tool_shape_error("openai", {"messages": [*openai_ok, {"role": "user", "content": "x"}]})
    use = {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]}
    question = {"role": "user", "content": "q"}
    assert tool_shape_error("anthropic", {"tools": [{}], "messages": [question, use, result]}) is None
    assert tool_shape_error("anthropic", {"messages": [question, use, result]})  # no tools defined
    assert tool_shape_error("anthropic", {"tools": [{}], "messages": [question, use, question]})
    assert tool_shape_error("anthropic", {"tools": [{}], "messages": [question, result]})


def test_tools_options_are_the_run_identity_and_bad_ones_are_refused() -> None:
    def config(**options) -> EvalConfig:
        return EvalConfig(model="m/x", suite="s", strategy="tools", strategy_options=options)

    names = {
        default_run_name(c, "h")
        for c in (config(), config(max_tool_calls=4), config(tools=["check", "python"]), EvalConfig("m/x", "s"))
    }
    assert len(names) == 4
    assert config().identity()["tools"] == ["check"] and config().identity()["max_tool_calls"] == 8
    for bad in ({"tools": ["shell"]}, {"tools": []}, {"max_tool_calls": 0}):
        with pytest.raises(OptionError):
            Tools(**bad)


@pytest.mark.parametrize("flags", [["--tools", "shell"], ["--max-tool-calls", "0"]])
def test_bad_tool_flags_exit_2(rcpsp, tmp_path, cli, flags) -> None:
    (tmp_path / "s.jsonl").write_text(rcpsp[0].to_json_line() + "\n")
    code, _, err = cli(
        [
            "evaluate",
            "--model",
            "oracle/tooluser",
            "--suite",
            str(tmp_path / "s.jsonl"),
            "--results",
            str(tmp_path / "r.db"),
            "--quiet",
            "--strategy",
            "tools",
            *flags,
        ]
    )
    assert code == 2, err


def test_the_offline_tool_user_succeeds_through_its_checks_and_fails_without_enough_calls(
    every_family, tmp_path
) -> None:
    suite = every_family  # infeasible instances included
    rates, calls = {}, {}
    for limit in (8, 1):
        config = EvalConfig(
            model="oracle/tooluser",
            suite="every",
            results=tmp_path / "r.db",
            strategy="tools",
            strategy_options={"max_tool_calls": limit},
            show_progress=False,
        )
        outcome = evaluate(config, suite)
        with Store(tmp_path / "r.db") as store:
            document = build_report(store, store.run(outcome.run))
        rates[limit], calls[limit] = document["feasible_rate"], document["tools"]
    direct = evaluate(EvalConfig(model="oracle/tooluser", suite="every", results=tmp_path / "r.db"), suite)
    assert direct.feasible < len(suite)  # without tools its answer leaves entries out
    assert rates[8] == 1.0 and calls[8]["unchecked_final_rate"] == 0.0
    assert rates[1] < 1.0 and set(calls[1]["calls"]) == {"1"}  # one check cannot find two missing entries


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text))


def test_check_results_never_leak_the_reference(every_family) -> None:
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
                text = check_text(inst, mode, None, v)
                assert answer_text(truth) not in text and json.dumps(truth) not in text
                for part in truth.values():
                    if isinstance(part, dict | list) and len(part) > 1:
                        assert json.dumps(part) not in text
                own = _numbers(json.dumps(answer)) | _numbers(
                    " ".join(x.get("detail", "") for x in v.get("violations", []) if x["type"] != "infeasible_claim")
                )
                if v.get("feasible") and v.get("objective") is not None:
                    own |= _numbers(str(v["objective"]))
                for hidden in (ref.objective, ref.bound):
                    if hidden is not None and str(hidden) not in own:
                        assert str(hidden) not in _numbers(text), (inst.id, mode, answer, text)
                assert "reference" not in text.lower() and "optim" not in text.lower() and "better" not in text
                checked += 1
    assert checked > 50


def test_nothing_the_model_reads_holds_the_reference(rcpsp, tmp_path) -> None:
    """Over HTTP: every tool result and message sent holds neither the reference schedule nor, unless the
    answer checked had it, its objective."""
    seen: list[dict] = []
    script = tool_script(_plans(rcpsp))

    def recording(request):
        seen.append(request.body)
        return script(request)

    with StubServer(recording) as server:
        evaluate(_config("openai-compatible/stub", server.openai_url, tmp_path / "r.db"), rcpsp)
    for body in seen:
        sent = " ".join(m["content"] or "" for m in body["messages"] if m["role"] in ("tool", "user"))
        for inst in rcpsp:
            assert json.dumps(reference_answer(inst)["starts"]) not in sent.replace(
                answer_text(reference_answer(inst)), ""
            )


def _priced(tmp_path: Path) -> Path:
    prices = tmp_path / "prices.toml"
    prices.write_text('["openai-compatible/priced"]\ninput = 100.0\noutput = 100.0\n')
    return prices


def test_max_cost_counts_every_tool_turn(rcpsp, tmp_path) -> None:
    with StubServer(tool_script(_plans(rcpsp))) as server:
        config = _config(
            "openai-compatible/priced", server.openai_url, tmp_path / "full.db", prices=_priced(tmp_path), concurrency=1
        )
        full = evaluate(config, rcpsp)
        assert server.stats.requests == 11
        with Store(tmp_path / "full.db") as store:
            run = store.run(full.run)
            conversations = list(store.rounds(run.id).values())
            spent = store.spent(run.id)
        turns = [t for c in conversations for t in c[0]["extra"]["turns"]]
        assert len(turns) == 11 and spent == pytest.approx(sum(t["cost_usd"] for t in turns))
        finals = sum(c[0]["extra"]["turns"][-1]["cost_usd"] for c in conversations)
        assert full.cost_usd == pytest.approx(spent) and full.cost_usd > finals > 0  # tool turns are paid for too
        budget = full.cost_usd / 2
        before = server.stats.requests
        half = evaluate(EvalConfig(**{**config.__dict__, "results": tmp_path / "half.db", "max_cost": budget}), rcpsp)
        assert server.stats.requests - before < 11
    assert half.stopped_by_budget and 0 < half.cost_usd <= budget


HOSTILE = {
    "environment": "import os\nprint(sorted(os.environ))\nprint([v for v in os.environ.values() if 'sk-' in v])",
    "flood": "print('x' * 100000)",
    "network": "import socket\nsocket.create_connection(('127.0.0.1', 1))",
    "spawn": "import subprocess\nsubprocess.run(['true'])",
    "stdin": "import json, sys\nd = json.load(sys.stdin)\nprint(sorted(d), 'reference' in json.dumps(d))",
    "solver": (
        "from ortools.sat.python import cp_model\nm = cp_model.CpModel()\nx = m.NewIntVar(0, 7, 'x')\n"
        "m.Maximize(x)\ns = cp_model.CpSolver()\ns.parameters.num_workers = 1\ns.Solve(m)\nprint('x =', s.Value(x))"
    ),
}


def test_run_python_runs_contained_in_the_sandbox_and_no_key_is_stored(rcpsp, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    inst = rcpsp[0]
    calls = [{"name": "run_python", "arguments": {"code": code}} for code in HOSTILE.values()]
    plan = {prompt_digest(_question(inst, ["check", "python"], 8)): [calls, answer_text(reference_answer(inst))]}
    seen: list[dict] = []
    script = tool_script(plan)

    def recording(request):
        seen.append(request.body)
        return script(request)

    db = tmp_path / "r.db"
    with StubServer(recording) as server:
        config = _config(
            "openai/gpt-stub",
            server.openai_url,
            db,
            strategy_options={"tools": ["check", "python"], "max_tool_calls": 8},
        )
        outcome = evaluate(config, [inst])
    assert outcome.feasible == 1
    results = dict(zip(HOSTILE, (m["content"] for m in seen[-1]["messages"] if m["role"] == "tool"), strict=True))
    assert "OPENAI" not in results["environment"] and "sk-" not in results["environment"].split("stdout:")[1]
    assert "[... output truncated to the first 4000 characters]" in results["flood"] and len(results["flood"]) < 4200
    assert results["network"].startswith("status: exit_code") and "not allowed" in results["network"]
    assert results["spawn"].startswith("status: exit_code")
    assert "['data', 'family', 'id'] False" in results["stdin"]  # the instance, never its reference
    assert "x = 7" in results["solver"]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def _stored_tool_rounds(db: Path) -> dict:
    with Store(db) as store:
        run = store.runs()[0]
        conversations = store.rounds(run.id)
        document = build_report(store, run)
    strip = ("latency_s", "cached")
    out = {}
    for key, conversation in conversations.items():
        final = {k: v for k, v in conversation[0].items() if k not in (*strip, "extra")}
        extra = dict(conversation[0]["extra"])
        extra["turns"] = [{k: v for k, v in t.items() if k not in strip} for t in extra["turns"]]
        out[key] = (final, extra)
    return out, {k: document[k] for k in ("feasible_rate", "tools", "n")}


def _evaluate_command(suite: Path, db: Path, url: str) -> list[str]:
    return stub_evaluate(suite, db, url, "--strategy", "tools", "--max-tool-calls", str(LIMIT), "--concurrency", "1")


def test_sigkill_in_a_tool_loop_then_rerun_asks_no_stored_turn_again(rcpsp, tmp_path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(inst.to_json_line() + "\n" for inst in rcpsp))
    plain = tool_script(_plans(rcpsp))
    last = prompt_digest(_question(rcpsp[0], ["check"], LIMIT))  # dispatched first: its loop is where the kill lands
    hung = threading.Event()
    asked: list[str] = []

    def hanging(request):  # item 0's third turn never comes back
        asked.append(request.prompt_key)
        if prompt_digest(request.question) == last and request.turn == 3:
            hung.set()
            return StubReply(hang=True)
        return plain(request)

    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    with StubServer(hanging) as server:
        port = server.port
        process = subprocess.Popen(
            _evaluate_command(suite, killed, server.openai_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert hung.wait(60), process.stderr.read().decode() if process.poll() is not None else "no third turn"
        time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    before = list(asked)
    assert len(before) == 3  # turns 1 and 2 answered (and cached), the third hung
    with StubServer(plain, port=port) as server:  # the same address: the same run and cache keys
        rerun = subprocess.run(
            _evaluate_command(suite, killed, server.openai_url), capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
        resumed = dict(server.stats.by_prompt)
        assert server.stats.requests == 11 - 2  # every turn but the two stored ones
        assert not set(before[:2]) & set(resumed)  # the stored turns were not asked again
        uninterrupted = subprocess.run(
            _evaluate_command(suite, clean, server.openai_url), capture_output=True, text=True, timeout=120
        )
        assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert _stored_tool_rounds(killed) == _stored_tool_rounds(clean)
