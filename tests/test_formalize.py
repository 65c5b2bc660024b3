"""The formalize strategy: the model writes a program, the program runs only in the sandbox, what it prints is
verified like a direct answer. End to end through both official SDKs against the stub server on 127.0.0.1:
correct, wrong, failing and hostile programs each get their failure type, are contained, leave nothing
running and no key in any stored byte; with rounds, failures and findings go back to the model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from hostile_programs import REBIND, SECRET, Target, harm, programs
from stub_commands import stub_evaluate

import schedbench as sb
from schedbench.errors import OptionError
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.evaluate.runner import default_run_name
from schedbench.evaluate.strategies import Formalize
from schedbench.llm.stub_server import StubReply, StubServer, conversation_script, prompt_digest
from schedbench.problems import Instance, family_names, get_family
from schedbench.prompts import (
    PROGRAM_FAILURES,
    PromptOptions,
    answer_for_mode,
    answer_text,
    build_messages,
    build_program_messages,
    extract_program,
    offline_program,
    program_input,
    reference_answer,
)
from schedbench.results import Store
from schedbench.results.report import build_report
from schedbench.sandbox import isolation

TIMEOUT_S, MEMORY_MB = 3.0, 512
APIS = [("openai", "openai-compatible/stub"), ("anthropic", "anthropic/claude-x")]


def _config(**changes) -> EvalConfig:
    base = EvalConfig(model="openai/gpt-4o", suite="suites/ramp", base_url="http://127.0.0.1:9/v1")
    return EvalConfig(**{**base.__dict__, **changes})


def test_formalize_and_its_options_are_part_of_the_run_name() -> None:
    plain = _config(strategy="formalize")
    names = {
        default_run_name(c, "abc")
        for c in (
            _config(),
            _config(strategy="repair", strategy_options={"rounds": 1}),
            plain,
            _config(strategy="formalize", strategy_options={"program_timeout_s": 5.0}),
            _config(strategy="formalize", strategy_options={"program_memory_mb": 512}),
            _config(strategy="formalize", strategy_options={"rounds": 2}),
        )
    }
    assert len(names) == 6
    assert plain.identity()["strategy"] == "formalize" and plain.identity()["program_timeout_s"] == 60.0
    assert plain.identity()["program_memory_mb"] == 2048 and plain.identity()["rounds"] == 1


@pytest.mark.parametrize("options", [{"program_timeout_s": 0}, {"program_memory_mb": 10}, {"rounds": 0}])
def test_bad_formalize_options_are_refused(options) -> None:
    with pytest.raises(OptionError):
        Formalize(**options)


@pytest.fixture(scope="module")
def every_family() -> list[Instance]:
    return [inst for name in family_names() for inst in sb.generate(name, levels="3,4", per_level=1)]


def test_program_questions_hold_the_instance_and_never_the_reference(every_family) -> None:
    for inst in every_family:
        for mode in sorted(get_family(inst.family).prompts):
            messages = build_program_messages(inst, PromptOptions(mode=mode), TIMEOUT_S, MEMORY_MB)
            question = messages[-1]["content"]
            assert program_input(inst).decode() in question and "```python" in question
            assert json.loads(program_input(inst)) == json.loads(json.dumps(inst.data))  # the data: no id, no reference
            witness = (inst.reference.witness or {}) if inst.reference else {}
            for part in witness.values():
                if isinstance(part, dict | list) and len(part) > 1:
                    assert json.dumps(part) not in question


def test_extract_program_takes_the_last_python_block() -> None:
    text = "First\n```python\nprint(1)\n```\nthen\n```json\n{}\n```\n```python\nprint(2)\n```\n"
    assert extract_program(text) == "print(2)\n"
    assert extract_program("```\nprint(3)\n```") == "print(3)\n"
    assert extract_program("no code here") is None


@pytest.mark.parametrize(
    ("name", "mode"), [(name, mode) for name in family_names() for mode in get_family(name).prompt_modes]
)
def test_oracle_formalizer_solves_every_family_through_the_sandbox(name, mode, tmp_path) -> None:
    assert offline_program(name, None, mode) is not None, f"{name} names no formalizer program"
    suite = sb.generate(name, levels="3,5", per_level=1)
    config = EvalConfig(
        model="oracle/formalizer",
        suite=name,
        results=tmp_path / "r.db",
        strategy="formalize",
        strategy_options={"program_timeout_s": 30.0},
        show_progress=False,
        prompt=PromptOptions(mode=mode),
    )
    outcome = evaluate(config, suite)
    with Store(tmp_path / "r.db") as store:
        run = store.run(outcome.run)
        document = build_report(store, run)
        rounds = store.rounds(run.id)
    assert document["n"] == len(suite) and document["feasible_rate"] == 1.0, document["errors_by_kind"]
    assert document["formalize"]["programs"] == len(suite) and document["formalize"]["failures"] == {}
    one = next(iter(rounds.values()))[0]["extra"]
    assert "cp_model" in one["program"] and one["program_wall_s"] > 0 and one["program_failure"] is None


# --- programs of every kind, over HTTP through both SDKs ----------------------------------------------------


def _kinds(target: Target, port: int, correct: str) -> dict[str, tuple[str, str | None]]:
    """name → (program, the failure type it must get; None: ran and printed an answer to verify)."""
    marker = "37.25"
    return {
        "correct": (correct, None),
        "wrong": ('import json\nprint(json.dumps({"starts": {}}))\n', None),
        "crashing": ("import json, sys\ndata = json.load(sys.stdin)\nprint(data['no such field'])\n", "runtime_error"),
        "syntax": ("def broken(:\n    pass\n", "syntax_error"),
        "import": ("import no_such_module_anywhere\n", "import_error"),
        "hanging": ("while True:\n    pass\n", "timeout"),
        "memory-hungry": ("block = bytearray(4 * 2**30)\nprint(len(block))\n", "memory"),
        "silent": ("x = 1\n", "no_output"),
        "chatty": ("print('the answer is 42')\n", "bad_output"),
        "network-using": (f"import socket\nsocket.create_connection(('127.0.0.1', {port}))\n", "import_error"),
        "network-using, policy off": (
            f"import sys\n{REBIND}\nimport socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n",
            "import_error",  # not loaded before the lock-down: the dropped user cannot import it
        ),
        "key-reading": (
            "import os\nprint(dict(os.environ))\nprint(open('/proc/self/environ').read())\n",
            "runtime_error",
        ),
        "key-reading, policy off": (
            f"import os, sys\n{REBIND}\nprint(dict(os.environ))\nprint(open('/proc/1/environ', 'rb').read())\n",
            "runtime_error",
        ),
        "file-writing": (f"open({str(target.home / '.bashrc')!r}, 'a').write('pwned')\n", "runtime_error"),
        "file-writing, policy off": (
            f"import sys\n{REBIND}\nopen({str(target.run_dir / 'planted.txt')!r}, 'w').write('pwned')\n",
            "runtime_error",
        ),
        "process-spawning": (f"import os\nos.system('sleep {marker} &')\n", "runtime_error"),
        "process-spawning, policy off": (
            f"import os, sys\n{REBIND}\nos.fork()\nos.system('sleep {marker}')\n",
            "runtime_error",
        ),
    }


def _descendants(pid: int) -> list[str]:
    """Command lines of every process below `pid`."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                names[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(names.get(child, "?"))
        todo += children.get(child, [])
    return found


def _stored_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


@pytest.mark.parametrize(("api", "model"), APIS)
def test_every_kind_of_program_is_contained_with_its_failure_type(tmp_path, monkeypatch, api, model) -> None:
    assert isolation().available  # the sandbox's bubblewrap is part of the test setup (make sandbox-deps)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    target = Target(tmp_path / "target", os.getpid()).make()
    hostile = programs(target)
    suite = sb.generate("rcpsp", levels="1-30", per_level=1, stage="precedence")
    with StubServer() as server:
        kinds = _kinds(target, server.port, offline_program("rcpsp") or "")
        plan = {**{name: (source, "bad_output") for name, source in hostile.items()}, **kinds}
        assert len(plan) == len(hostile) + len(kinds)
        assert len(suite) >= len(plan)
        items = dict(zip(plan, suite, strict=False))
        replies = {
            prompt_digest(_question(inst)): [f"Here it is.\n```python\n{plan[name][0]}```\n"]
            for name, inst in items.items()
        }
        server.script = conversation_script(replies)
        before = target.snapshot()
        config = EvalConfig(
            model=model,
            suite="x",
            results=tmp_path / "r.db",
            base_url=server.openai_url if api == "openai" else server.anthropic_url,
            strategy="formalize",
            strategy_options={"program_timeout_s": TIMEOUT_S, "program_memory_mb": MEMORY_MB},
            concurrency=4,
            show_progress=False,
        )
        outcome = evaluate(config, list(items.values()))
        assert server.stats.requests == len(items)  # the model's requests only: no program reached the server
    assert harm(target, before, "", harness_alive=True) == []
    assert not [p for p in _descendants(os.getpid()) if "sleep" in p or "_runner" in p or "bwrap" in p]
    with Store(tmp_path / "r.db") as store:
        run = store.run(outcome.run)
        rounds = store.rounds(run.id)
        document = build_report(store, run)
    got = {name: rounds[(inst.id, 0)][0]["extra"]["program_failure"] for name, inst in items.items()}
    assert got == {name: failure for name, (_, failure) in plan.items()}
    for name, inst in items.items():
        extra = rounds[(inst.id, 0)][0]["extra"]
        assert extra["program"] == plan[name][0]
        if name in hostile:
            assert harm(target, before, extra["program_stdout"] + extra["program_stderr"], True) == [], name
        assert "***" not in extra["program_stdout"] + extra["program_stderr"]  # nothing to redact: no key seen
    verdicts = {name: rounds[(inst.id, 0)][0]["verification"] for name, inst in items.items()}
    assert verdicts["correct"]["correct"] and not verdicts["wrong"]["feasible"]
    assert verdicts["crashing"] is None
    assert SECRET.encode() not in _stored_bytes(tmp_path / "r.db")
    failures = document["formalize"]["failures"]
    assert set(failures) <= set(PROGRAM_FAILURES)
    assert failures["bad_output"] == len(hostile) + 1 and failures["timeout"] == 1 and failures["memory"] == 1
    assert document["feasible_rate"] == pytest.approx(1 / len(items), abs=1e-4)


def _question(inst: Instance, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB) -> str:
    return build_program_messages(inst, PromptOptions(), timeout_s, memory_mb)[-1]["content"]


# --- rounds: failures and findings go back --------------------------------------------------------------------


@pytest.mark.parametrize(("api", "model"), APIS)
def test_formalize_rounds_send_failures_and_findings_back(tmp_path, monkeypatch, api, model) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    suite = sb.generate("rcpsp", levels="3,4", per_level=2)[:4]
    right = f"```python\n{offline_program('rcpsp')}```"
    crash = "```python\nprint(1 // 0)\n```"
    wrong = '```python\nimport json\nprint(json.dumps({"starts": {}}))\n```'
    plans = [[right], [crash, right], [wrong, "no program, sorry", right], [crash]]
    script = conversation_script(
        {prompt_digest(_question(inst, 10.0)): plan for inst, plan in zip(suite, plans, strict=True)}
    )
    seen: list[list[dict[str, str]]] = []

    def recording(request):
        seen.append(request.messages)
        return script(request)

    with StubServer(recording) as server:
        config = EvalConfig(
            model=model,
            suite="x",
            results=tmp_path / "r.db",
            base_url=server.openai_url if api == "openai" else server.anthropic_url,
            strategy="formalize",
            strategy_options={"rounds": 3, "program_timeout_s": 10.0, "program_memory_mb": MEMORY_MB},
            show_progress=False,
        )
        outcome = evaluate(config, suite)
        assert server.stats.requests == 1 + 2 + 3 + 3
    with Store(tmp_path / "r.db") as store:
        run = store.run(outcome.run)
        document = build_report(store, run)
        rounds = store.rounds(run.id)
    assert document["strategy"] == "formalize"
    assert document["multi_turn"]["success_at"] == {"1": 0.25, "2": 0.5, "3": 0.75}
    assert document["formalize"]["final_failures"] == {"runtime_error": 1}
    assert document["formalize"]["failures"] == {"no_program": 1, "runtime_error": 4}
    after_crash = rounds[(suite[1].id, 0)][1]["user"]
    assert "stopped with an error" in after_crash and "ZeroDivisionError" in after_crash and "```python" in after_crash
    after_wrong = rounds[(suite[2].id, 0)][1]["user"]
    assert "The checker found these problems" in after_wrong and "Fix your program" in after_wrong
    assert "no Python program" in rounds[(suite[2].id, 0)][2]["user"]
    for messages in seen:  # what reached the model: its program's output and findings, never the reference
        text = " ".join(m["content"] for m in messages[2:] if m["role"] == "user")
        for inst in suite:
            assert json.dumps((inst.reference.witness or {}).get("starts")) not in text


# --- the baseline rules as programs --------------------------------------------------------------------------


def _rule_cases() -> list:
    """(family, rule, mode) of every rule program in every question mode; beyond each family's first rule in
    each mode, the slow tier."""
    cases = []
    for name in family_names():
        for mode in get_family(name).prompt_modes:
            for k, rule in enumerate(get_family(name).rule_programs):
                slow = [pytest.mark.slow] if k else []
                cases.append(pytest.param(name, rule, mode, marks=slow, id=f"{name}-{rule}-{mode}"))
    return cases


@pytest.mark.parametrize(("name", "rule", "mode"), _rule_cases())
def test_rule_programs_answer_exactly_as_their_rules(name, rule, mode, tmp_path) -> None:
    family = get_family(name)
    suite = sb.generate(name, levels="3,6", per_level=1)
    config = EvalConfig(
        model=f"baseline/{rule}",
        suite=name,
        results=tmp_path / "r.db",
        strategy="formalize",
        strategy_options={"program_timeout_s": 30.0},
        show_progress=False,
        prompt=PromptOptions(mode=mode),
    )
    outcome = evaluate(config, suite)
    with Store(tmp_path / "r.db") as store:
        rounds = store.rounds(store.run(outcome.run).id)
    for inst in suite:
        stored = rounds[(inst.id, 0)][0]
        assert stored["extra"]["program_failure"] is None, stored["extra"]
        expected = json.loads(
            json.dumps(answer_for_mode(inst, mode, family.baselines[rule](family.parse_data(inst.data))))
        )
        assert stored["answer"] == expected, inst.id
        assert f'RULE = "{rule}"' in stored["extra"]["program"]


# --- SIGKILL between rounds, then the same command ---------------------------------------------------------


def _evaluate_command(suite: Path, db: Path, url: str, strategy: str) -> list[str]:
    more = ["--rounds", "2", "--program-timeout", "20"] if strategy == "formalize" else ["--rounds", "2"]
    no_probe = "--no-preflight"  # both conversations start at once (a probing first one would hang alone)
    return stub_evaluate(suite, db, url, "--concurrency", "2", no_probe, "--strategy", strategy, *more)


def _results(db: Path) -> tuple[list[tuple], list[tuple]]:
    """The items (answers and verdicts) and the rounds (without timings) of the one run in `db`."""
    with Store(db) as store:
        run = store.runs()[0]
        items = sorted(
            (row[0], json.dumps(row[1:], sort_keys=True, default=str))
            for row in store.item_rows(run.id, ("instance_id", "answer", "feasible", "correct", "error"))
        )
        timing = {"latency_s", "program_wall_s", "cached"}
        rounds = sorted(
            (
                key[0],
                n,
                json.dumps(
                    {k: v for k, v in r.items() if k not in timing}
                    | {"extra": {k: v for k, v in (r.get("extra") or {}).items() if k not in timing}},
                    sort_keys=True,
                ),
            )
            for key, conversation in store.rounds(run.id).items()
            for n, r in enumerate(conversation)
        )
    return items, rounds


@pytest.mark.parametrize("strategy", ["repair", "formalize"])
def test_sigkill_between_rounds_then_rerun_asks_no_stored_round_again(strategy, tmp_path) -> None:
    from test_eval_resume import _assert_gone, _children

    instances = sb.generate("rcpsp", levels="3,4", per_level=2, stage="precedence")[:4]
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(inst.to_json_line() + "\n" for inst in instances))
    if strategy == "formalize":
        by_question = {_question(inst, 20.0, 2048): inst for inst in instances}
        first, second = "```python\nprint(1 // 0)\n```", f"```python\n{offline_program('rcpsp')}```"
    else:
        by_question = {build_messages(inst, PromptOptions())[-1]["content"]: inst for inst in instances}
        first = '```json\n{"starts": {}}\n```'
    asked: Counter[tuple[str, int]] = Counter()
    hold = threading.Event()

    def script(request):
        inst = by_question[request.question]
        asked[(inst.id, request.turn)] += 1
        if request.turn == 2 and not hold.is_set():
            return StubReply(hang=True)  # the run is killed while it waits for a second round
        if request.turn == 1:
            return first
        return second if strategy == "formalize" else answer_text(reference_answer(inst))

    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    with StubServer(script) as server:
        process = subprocess.Popen(
            _evaluate_command(suite, killed, server.openai_url, strategy), stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while sum(n for (_, turn), n in asked.items() if turn == 2) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        _assert_gone(children)
        first_rounds = {inst_id for (inst_id, turn) in asked if turn == 1}
        assert len(first_rounds) == 2, asked  # two conversations in flight, both between their rounds
        hold.set()
        rerun = subprocess.run(_evaluate_command(suite, killed, server.openai_url, strategy), capture_output=True)
        assert rerun.returncode == 0, rerun.stderr
        for inst_id in first_rounds:
            assert asked[(inst_id, 1)] == 1, f"the stored first round of {inst_id} was asked again"
        # two first rounds, their two second rounds (hung, then asked again) and two whole conversations
        assert sum(asked.values()) == 2 + 2 + 2 + 4
        done = subprocess.run(_evaluate_command(suite, clean, server.openai_url, strategy), capture_output=True)
        assert done.returncode == 0, done.stderr
    resumed, uninterrupted = _results(killed), _results(clean)
    assert len(resumed[0]) == len(instances) and len(resumed[1]) == 2 * len(instances)
    assert resumed == uninterrupted


def test_an_answer_longer_than_the_stored_output_is_read_whole(tmp_path) -> None:
    inst = sb.generate("rcpsp", levels="3", per_level=1, stage="precedence")[0]
    printed = json.dumps(reference_answer(inst))
    program = f"print(' ' * 9000 + {printed!r})\n"
    reply = conversation_script({prompt_digest(_question(inst, 10.0)): [f"```python\n{program}```"]})
    with StubServer(reply) as server:
        config = EvalConfig(
            model="openai-compatible/stub",
            suite="x",
            results=tmp_path / "r.db",
            base_url=server.openai_url,
            strategy="formalize",
            strategy_options={"program_timeout_s": 10.0, "program_memory_mb": MEMORY_MB},
            show_progress=False,
        )
        outcome = evaluate(config, [inst])
    with Store(tmp_path / "r.db") as store:
        stored = store.rounds(store.run(outcome.run).id)[(inst.id, 0)][0]
    assert stored["verification"]["correct"] and stored["extra"]["program_stdout_truncated"]
    assert len(stored["extra"]["program_stdout"]) == 8000 and printed not in stored["extra"]["program_stdout"]
