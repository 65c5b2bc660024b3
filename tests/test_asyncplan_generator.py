"""The asyncplan generator (levels, paired stages, themes, determinism) and the command line end to end,
bad inputs included."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from conftest import RunCli

from schedbench.generators.asyncplan import STAGE_KNOBS, STAGES, AsyncplanGeneratorConfig, generate
from schedbench.problems import get_family
from schedbench.problems.asyncplan import AsyncplanData
from schedbench.suites import load_instances


def drafts(**options: object) -> list:
    return generate(AsyncplanGeneratorConfig(**{"levels": "5,17,60", "stage": "all", **options}))


def test_level_is_the_number_of_steps_and_plans_are_recipe_dags() -> None:
    for draft in drafts(levels="1-8,33,100"):
        data = AsyncplanData.model_validate(draft.instance.data)
        assert len(data.steps) == draft.instance.level
        graph = nx.DiGraph(list(data.precedences))
        graph.add_nodes_from(s.id for s in data.steps)
        assert nx.is_directed_acyclic_graph(graph)
        if len(data.steps) >= 4:  # one finishing step that everything leads to
            last = data.steps[-1].id
            assert graph.out_degree(last) == 0 and nx.ancestors(graph, last) == set(graph) - {last}


def test_stages_set_their_knobs() -> None:
    for draft in drafts(levels="60"):
        knobs = STAGE_KNOBS[draft.instance.stage]
        data = AsyncplanData.model_validate(draft.instance.data)
        assert data.agents == knobs.agents
        assert bool(data.stations) == (knobs.contention != "none")
        if knobs.contention == "tight":
            assert all(s.capacity == 1 for s in data.stations)
        share = sum(s.attended < s.duration for s in data.steps[:-1]) / (len(data.steps) - 1)
        assert abs(share - knobs.unattended_share) < 0.2, (draft.instance.stage, share)


def test_stages_are_paired_on_the_same_task_graph() -> None:
    by_stage = {d.instance.stage: AsyncplanData.model_validate(d.instance.data) for d in drafts(levels="30")}
    assert len({tuple(map(tuple, d.precedences)) for d in by_stage.values()}) == 1
    plain, unlimited = by_stage["two_agents"], by_stage["unlimited"]
    assert plain.steps == unlimited.steps and plain.agents == 2 and unlimited.agents is None


def numbers(data: dict) -> tuple:
    """Everything but wording: durations, attended prefixes, station positions, capacities, edges."""
    slot = {s["id"]: k for k, s in enumerate(data["stations"])}
    return (
        data["agents"],
        [s["capacity"] for s in data["stations"]],
        [(s["duration"], s["attended"], slot.get(s["station"])) for s in data["steps"]],
        data["precedences"],
    )


def test_themes_change_wording_only_and_generation_is_deterministic() -> None:
    kitchen, household, abstract = (drafts(scenario=theme, seed=5) for theme in ("kitchen", "household", "abstract"))
    for a, b, c in zip(kitchen, household, abstract, strict=True):
        assert numbers(a.instance.data) == numbers(b.instance.data) == numbers(c.instance.data)
    assert kitchen[-1].instance.data["steps"][0]["name"] != abstract[-1].instance.data["steps"][0]["name"]
    again = drafts(scenario="kitchen", seed=5)
    assert [d.instance.to_json_line() for d in again] == [d.instance.to_json_line() for d in kitchen]
    assert [d.instance.data for d in drafts(seed=6)] != [d.instance.data for d in kitchen]


def test_every_theme_names_the_words_prompts_use() -> None:
    from schedbench.generators.asyncplan_themes import TERMS

    assert set(TERMS) == {"kitchen", "household", "abstract"}
    for words in TERMS.values():
        assert {"agent", "agents", "station", "plan", "unit"} <= set(words)


def test_generate_writes_a_suite_with_verified_references(tmp_path: Path, run_cli: RunCli) -> None:
    suite = tmp_path / "suite"
    done = run_cli(
        "generate",
        "asyncplan",
        "--out",
        str(suite),
        "--levels",
        "5,12",
        "--stage",
        "all",
        "--scenario",
        "household",
        "--time-limit",
        "5",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    instances = load_instances(suite)
    assert len(instances) == 2 * len(STAGES)
    family = get_family("asyncplan")
    for inst in instances:
        assert inst.reference.status in ("optimal", "feasible")
        result = family.verify(family.parse_data(inst.data), inst.reference.witness, inst.reference)
        assert result.feasible and result.objective == inst.reference.objective
    manifest = json.loads((suite / "manifest.json").read_text())
    assert manifest["family"] == "asyncplan" and manifest["count"] == len(instances)

    one = tmp_path / "one.json"
    one.write_text(instances[0].model_dump_json())
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"makespan": instances[0].reference.objective}))
    done = run_cli("verify", "--instance", str(one), "--solution", str(answer), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["correct"] is True
    done = run_cli("solve", str(one), "--json", "--time-limit", "5")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == instances[0].reference.objective


def bad_instance(tmp_path: Path) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "id": "x",
                "family": "asyncplan",
                "level": 1,
                "data": {"agents": 1, "steps": [{"id": "S1", "duration": 2, "attended": 3}]},
            }
        )
    )
    return path


@pytest.mark.parametrize(
    "args, expected",
    [
        (("generate", "asyncplan", "--out", "{tmp}/s", "--stage", "dinner"), "unknown stage 'dinner'"),
        (("generate", "asyncplan", "--out", "{tmp}/s", "--scenario", "garden"), "unknown scenario 'garden'"),
        (("generate", "asyncplan", "--out", "{tmp}/s", "--levels", "0-3"), "levels"),
        (("generate", "asyncplan", "--out", "{tmp}/s", "--max-attended", "0"), "--max-attended"),
        (("solve", "{bad}"), "data.steps.0"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], expected: str, run_cli: RunCli) -> None:
    bad = bad_instance(tmp_path)
    done = run_cli(*(a.format(tmp=tmp_path, bad=bad) for a in args))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr
    if args[0] == "solve":
        assert str(bad) in lines[0] and "exceeds duration" in lines[0]
