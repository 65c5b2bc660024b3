"""Prompts state every constraint, use the scenario's words, and round-trip the format they ask for."""

from __future__ import annotations

import asyncio

import pytest

from schedbench.llm import ItemContext, get_model
from schedbench.problems import Instance, family_names, get_family
from schedbench.prompts import (
    PromptOptions,
    answer_shape,
    build_messages,
    extract_answer,
    has_template,
    question_modes,
    render_question,
    scenario_terms,
)
from schedbench.references import generate_suite
from schedbench.suites import load_instances

SCENARIOS = {"rcpsp": "datacenter", "asyncplan": "kitchen"}


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Instance]]:
    out = {}
    for name in family_names():
        family = get_family(name)
        scenario = SCENARIOS.get(name, family.scenarios[0])
        config = family.generator_config(levels="4,8", stage="all", seed=3, scenario=scenario, time_limit=5, workers=1)
        folder = generate_suite(family, config, tmp_path_factory.mktemp(name), show_progress=False)
        out[name] = load_instances(folder)
    return out


def test_every_family_mode_has_a_template() -> None:
    for name in family_names():
        for mode in get_family(name).prompt_modes:
            assert has_template(name, mode), f"{name}/{mode} has no prompt template"
        assert question_modes(name) == sorted(get_family(name).prompt_modes)  # what evaluate's --mode check reads


def test_rcpsp_prompt_lists_every_constraint(suites: dict[str, list[Instance]]) -> None:
    for inst in suites["rcpsp"]:
        text = render_question(inst)
        data = inst.data
        for task in data["tasks"]:
            assert f"- {task['id']}" in text and f"duration {task['duration']}" in text
        for a, b in data["precedences"]:
            assert f"{a} before {b}" in text
        for d in data["downtimes"]:
            assert f"{d['resource']}: during [{d['start']}, {d['end']}) capacity {d.get('capacity', 0)}" in text
        for a, b in data["disjunctive"]:
            assert f"{a} and {b}" in text
        for task_id, window in data["windows"].items():
            if window.get("deadline") is not None:
                assert f"- {task_id}: " in text and f"must finish by {window['deadline']}" in text
        assert f"by time {data['horizon']}" in text
        assert scenario_terms("rcpsp", inst.scenario)["project"] in text
        assert '"infeasible": true' in text and "```json" in text


def test_asyncplan_modes_ask_for_their_own_answer(suites: dict[str, list[Instance]]) -> None:
    inst = suites["asyncplan"][-1]
    plan, time = render_question(inst, "plan"), render_question(inst, "time")
    for step in inst.data["steps"]:
        assert f"- {step['id']}" in plan and f"attended {step['attended']}" in plan
    assert "makespan" in time and '"starts"' not in time.split("JSON schema")[0]
    assert scenario_terms("asyncplan", "kitchen")["agent"] in plan


def test_cot_system_and_few_shot(suites: dict[str, list[Instance]]) -> None:
    first, *rest = suites["rcpsp"]
    plain = build_messages(first, PromptOptions())
    assert [m["role"] for m in plain] == ["system", "user"]
    assert "final answer only" in plain[-1]["content"]
    cot = build_messages(first, PromptOptions(cot=True, system=""))
    assert [m["role"] for m in cot] == ["user"] and "step by step" in cot[-1]["content"]
    shots = build_messages(first, PromptOptions(system="Be exact.", few_shot=rest[:2]))
    assert [m["role"] for m in shots] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert shots[0]["content"] == "Be exact."
    family = get_family("rcpsp")
    for example, answer in zip(rest[:2], shots[2:5:2], strict=True):
        found = extract_answer(answer["content"], answer_shape("rcpsp", "plan")).answer
        assert found is not None and family.verify(family.parse_data(example.data), found, example.reference).correct


@pytest.mark.parametrize("spec", ["oracle/exact", "baseline/*"])
def test_offline_answers_round_trip_through_extraction(spec: str, suites: dict[str, list[Instance]]) -> None:
    for name, instances in suites.items():
        family = get_family(name)
        specs = [f"baseline/{rule}" for rule in family.baselines] if spec == "baseline/*" else [spec]
        for model_spec in specs:
            model = get_model(model_spec)
            for mode in family.prompt_modes:
                for inst in instances:
                    text = asyncio.run(model.complete([], context=ItemContext(inst, mode))).text
                    found = extract_answer(text, answer_shape(name, mode))
                    assert found.ok, (model_spec, inst.id, found.error)
                    result = family.verify(family.parse_data(inst.data), found.answer, inst.reference)
                    if spec == "oracle/exact" and inst.reference.status == "optimal":
                        assert result.correct and result.optimal, (inst.id, mode, result)
