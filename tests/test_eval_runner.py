"""The harness end to end against a real HTTP server on 127.0.0.1, through the official SDKs: faults,
resume, cache, budget, adaptive concurrency, and the rates the report shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schedbench.errors import OptionError
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.llm._offline import answer_text
from schedbench.llm.stub_server import StubReply, StubServer
from schedbench.problems import Instance, get_family
from schedbench.prompts import render_question
from schedbench.references import generate_suite
from schedbench.results import Store
from schedbench.results.report import build_reports
from schedbench.suites import load_instances

KEY = "sk-test-UNIQUE-SECRET-7f3a9c21"
BEHAVIOURS = (
    "correct",
    "wrong",
    "prose",
    "nojson",
    "rate_limited",
    "server_error",
    "timeout",
    "truncated",
    "always_500",
)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Instance]]:
    family = get_family("rcpsp")
    config = family.generator_config(
        levels="2-4", stage="precedence,downtime,windows", seed=11, time_limit=5, workers=1
    )
    folder = generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)
    return folder, load_instances(folder)


def _plan(instances: list[Instance]) -> dict[str, tuple[Instance, str]]:
    """Prompt text → (instance, what the server does with it), cycling through every behaviour."""
    return {render_question(inst): (inst, BEHAVIOURS[i % len(BEHAVIOURS)]) for i, inst in enumerate(instances)}


def _scripted(plan: dict[str, tuple[Instance, str]]):
    def script(request):
        inst, behaviour = plan[request.prompt]
        correct = answer_text(inst.reference.witness)
        first = request.attempt == 1
        if behaviour == "wrong":
            return answer_text({"starts": {}})
        if behaviour == "prose":
            return f"Let me think about T1 {{and T2}}.\n{correct}\nThis schedule respects everything."
        if behaviour == "nojson":
            return "I believe the makespan is about 30, starting T1 at 0."
        if behaviour == "rate_limited" and first:
            return StubReply(status=429, retry_after=0.05)
        if behaviour == "server_error" and first:
            return StubReply(status=500)
        if behaviour == "timeout" and first:
            return StubReply(hang=True)
        if behaviour == "truncated" and first:
            return StubReply(text=correct, truncate=True)
        if behaviour == "always_500":
            return StubReply(status=500, error_message=f"upstream rejected key {KEY}")
        return correct

    return script


def _expected(plan: dict[str, tuple[Instance, str]]) -> dict[str, float]:
    behaviours = [b for _, b in plan.values()]
    n = len(behaviours)
    return {
        "feasible_rate": round(sum(b not in ("wrong", "nojson", "always_500") for b in behaviours) / n, 4),
        "parse_error_rate": round(behaviours.count("nojson") / n, 4),
        "error_rate": round(behaviours.count("always_500") / n, 4),
    }


@pytest.mark.parametrize("provider", ["openai-compatible", "anthropic"])
def test_every_fault_ends_verified_or_as_an_error_row(provider, suite, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    folder, instances = suite
    plan = _plan(instances)
    with StubServer(_scripted(plan), latency_s=0.01) as server:
        url = server.openai_url if provider == "openai-compatible" else server.anthropic_url
        config = EvalConfig(
            model=f"{provider}/stub",
            suite=str(folder),
            results=tmp_path / "r.db",
            base_url=url,
            concurrency=8,
            timeout_s=0.5,
            max_retries=2,
            show_progress=False,
        )
        outcome = evaluate(config)
    assert outcome.planned == len(instances) and outcome.answered + outcome.errors == len(instances)
    assert outcome.rate_limits >= 1
    with Store(tmp_path / "r.db") as store:
        (document,) = build_reports(store)
        items = list(store.items(store.runs()[0].id))
    assert document["n"] == len(instances) == len({(i["instance_id"], i["sample"]) for i in items})
    for key, value in _expected(plan).items():
        assert document[key] == value, key
    for item in items:
        assert (item["error"] is None) == (item["verification"] is not None or item["parse_error"] is not None)
        assert KEY not in json.dumps(item)
    errors = [i["error"] for i in items if i["error"]]
    assert errors and all("***" in e for e in errors)  # the echoed key was redacted
    assert document["taxonomy"].get("missing") == 1.0


def test_rerun_resumes_errors_only_and_cache_makes_new_runs_free(suite, tmp_path) -> None:
    folder, instances = suite
    plan = {render_question(inst): (inst, "correct") for inst in instances}
    broken = {"on": True}

    def script(request):
        inst, _ = plan[request.prompt]
        if broken["on"] and inst.id == instances[0].id:
            return StubReply(status=500)
        return answer_text(inst.reference.witness)

    db = tmp_path / "r.db"
    with StubServer(script) as server:
        config = EvalConfig(
            model="openai-compatible/stub",
            suite=str(folder),
            results=db,
            base_url=server.openai_url,
            max_retries=0,
            show_progress=False,
        )
        first = evaluate(config)
        assert first.errors == 1 and first.answered == len(instances) - 1
        broken["on"] = False
        requests_before = server.stats.requests
        second = evaluate(config)
        assert (second.already_done, second.answered, second.errors) == (len(instances) - 1, 1, 0)
        assert server.stats.requests == requests_before + 1  # only the error row was asked again
        third = evaluate(EvalConfig(**{**config.__dict__, "run": "another-name"}))
        assert third.cached == len(instances) and third.cost_usd == 0
        assert server.stats.requests == requests_before + 1  # every answer came from the cache
    with Store(db) as store:
        runs = {r.name: r for r in store.runs()}
        assert runs[first.run].status == "complete" and runs["another-name"].status == "complete"


def test_samples_and_limit_select_items_and_extend_a_run(suite, tmp_path) -> None:
    folder, _ = suite
    base = EvalConfig(
        model="oracle/exact", suite=str(folder), results=tmp_path / "r.db", limit=2, samples=2, show_progress=False
    )
    assert evaluate(base).answered == 4
    more = evaluate(EvalConfig(**{**base.__dict__, "samples": 3, "limit": 3}))
    assert (more.already_done, more.answered) == (4, 5)
    with Store(tmp_path / "r.db") as store:
        assert len(store.runs()) == 1 and len(list(store.items(store.runs()[0].id))) == 9


def test_budget_stops_before_exceeding_and_resumes_with_more(suite, tmp_path) -> None:
    folder, instances = suite
    prices = tmp_path / "prices.toml"
    prices.write_text('["openai-compatible/priced"]\ninput = 100.0\noutput = 100.0\n')
    plan = {render_question(inst): inst for inst in instances}

    def script(request):
        return StubReply(text=answer_text(plan[request.prompt].reference.witness), input_tokens=500, output_tokens=100)

    with StubServer(script) as server:
        config = EvalConfig(
            model="openai-compatible/priced",
            suite=str(folder),
            results=tmp_path / "r.db",
            base_url=server.openai_url,
            prices=prices,
            max_cost=0.5,
            concurrency=2,
            model_args={"max_tokens": 100},
            show_progress=False,
        )
        outcome = evaluate(config)
        assert outcome.stopped_by_budget and 0 < outcome.answered < len(instances)
        assert outcome.cost_usd <= 0.5 + 1e-9
        assert outcome.cost_usd == pytest.approx(outcome.answered * 0.06)
        rest = evaluate(EvalConfig(**{**config.__dict__, "max_cost": 100.0}))
        assert rest.already_done == outcome.answered and rest.answered == len(instances) - outcome.answered


def test_429_storm_lowers_concurrency(suite, tmp_path) -> None:
    folder, instances = suite
    plan = {render_question(inst): inst for inst in instances}

    def script(request):
        if request.attempt <= 2:
            return StubReply(status=429, retry_after=0.02)
        return answer_text(plan[request.prompt].reference.witness)

    with StubServer(script, latency_s=0.01) as server:
        outcome = evaluate(
            EvalConfig(
                model="openai-compatible/stub",
                suite=str(folder),
                results=tmp_path / "r.db",
                base_url=server.openai_url,
                concurrency=10,
                show_progress=False,
            )
        )
    assert outcome.errors == 0 and outcome.rate_limits == 2 * len(instances)
    assert outcome.lowest_concurrency < 10


def test_a_run_name_cannot_be_reused_with_other_options(suite, tmp_path) -> None:
    folder, _ = suite
    config = EvalConfig(
        model="oracle/exact", suite=str(folder), results=tmp_path / "r.db", run="mine", limit=1, show_progress=False
    )
    evaluate(config)
    with pytest.raises(OptionError, match=r"run .* exists with other options"):
        evaluate(EvalConfig(**{**config.__dict__, "model": "baseline/lft"}))


def test_replay_of_an_export_reproduces_the_run(suite, tmp_path) -> None:
    from schedbench.results.export import export

    folder, _ = suite
    db = tmp_path / "r.db"
    evaluate(EvalConfig(model="baseline/mts", suite=str(folder), results=db, show_progress=False))
    with Store(db) as store:
        export(store, store.runs(), tmp_path / "items.jsonl")
    evaluate(EvalConfig(model=f"replay/{tmp_path / 'items.jsonl'}", suite=str(folder), results=db, show_progress=False))
    with Store(db) as store:
        original, replayed = build_reports(store)
    for key in ("n", "feasible_rate", "optimal_rate", "mean_gap_pct", "by_level", "taxonomy"):
        assert original[key] == replayed[key], key


def test_worker_process_gives_the_same_results_as_inline(suite, tmp_path) -> None:
    folder, instances = suite
    plan = _plan(instances)
    results = {}
    with StubServer(_scripted(plan)) as server:
        for offload in (False, True):
            db = tmp_path / f"{offload}.db"
            evaluate(
                EvalConfig(
                    model="openai-compatible/stub",
                    suite=str(folder),
                    results=db,
                    samples=2,
                    base_url=server.openai_url,
                    timeout_s=0.5,
                    max_retries=2,
                    offload=offload,
                    show_progress=False,
                )
            )
            with Store(db) as store:
                (run,) = store.runs()
                results[offload] = [
                    (
                        i["instance_id"],
                        i["sample"],
                        i["answer"],
                        i["parse_error"],
                        i["verification"],
                        i["error"] is None,
                    )
                    for i in store.items(run.id)
                ]
    assert results[True] == results[False] and len(results[True]) == 2 * len(instances)


def test_a_broken_check_becomes_one_error_row(suite, tmp_path, monkeypatch) -> None:
    import dataclasses

    from schedbench.evaluate import _work

    folder, instances = suite
    victim = instances[1].id
    real = get_family("rcpsp")

    def verify(data, answer, reference):
        if reference is instances[1].reference or reference == instances[1].reference:
            raise RuntimeError("verifier bug")
        return real.verify(data, answer, reference)

    monkeypatch.setattr(_work, "get_family", lambda name: dataclasses.replace(real, verify=verify))
    outcome = evaluate(
        EvalConfig(
            model="oracle/exact", suite=str(folder), results=tmp_path / "r.db", offload=False, show_progress=False
        )
    )
    assert outcome.errors >= 1 and outcome.answered + outcome.errors == len(instances)
    with Store(tmp_path / "r.db") as store:
        errors = {i["instance_id"]: i["error"] for i in store.items(store.runs()[0].id) if i["error"]}
    assert victim in errors and "verifier bug" in errors[victim]
