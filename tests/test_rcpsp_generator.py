"""The RCPSP generator: ramp structure, stage contents, scenario neutrality, determinism, infeasible share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.generators.rcpsp import (
    STAGES,
    RcpspGeneratorConfig,
    consecutive_capacity,
    energy_bound,
    generate,
    layered_dag,
    makespan_lower_bound,
)
from schedbench.problems import get_family
from schedbench.problems.rcpsp import RcpspData
from schedbench.references import check_reference, solve_references
from schedbench.suites import load_instances

KINDS = {"downtime": "downtimes", "windows": "windows", "disjunctive": "disjunctive"}


def numbers(data: dict[str, Any]) -> dict[str, Any]:
    """The instance data without its names: what a scenario must never change."""
    stripped = json.loads(json.dumps(data))
    for item in stripped["tasks"] + stripped["resources"]:
        item.pop("name", None)
    return stripped


def graph_of(data: dict[str, Any]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(t["id"] for t in data["tasks"])
    graph.add_edges_from(map(tuple, data["precedences"]))
    return graph


@pytest.fixture(scope="module")
def drafts() -> list[Any]:
    """Independent ramp: every stage, levels 0–40, two copies per level, a quarter infeasible (no references)."""
    return generate(
        RcpspGeneratorConfig(
            levels="0-40", stage="all", per_level=2, seed=11, infeasible_share=0.25, ramp="independent"
        )
    )


def test_every_level_has_exactly_that_many_edges_acyclic_and_transitively_reduced(drafts: list[Any]) -> None:
    assert len(drafts) == len(STAGES) * 41 * 2
    for draft in drafts:
        data = draft.instance.data
        graph = graph_of(data)
        assert len(data["precedences"]) == draft.instance.level == graph.number_of_edges()
        assert nx.is_directed_acyclic_graph(graph)
        assert set(nx.transitive_reduction(graph).edges) == set(graph.edges)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_layered_dag_reaches_any_feasible_level(n: int, seed: int, data: st.DataObject) -> None:
    level = data.draw(st.integers(0, consecutive_capacity(n, 2)))
    ids = [f"T{i}" for i in range(n)]
    graph = nx.DiGraph(layered_dag(ids, level, np.random.default_rng(seed)))
    assert graph.number_of_edges() == level
    assert nx.is_directed_acyclic_graph(graph)
    assert set(nx.transitive_reduction(graph).edges) == set(graph.edges)


def test_too_many_edges_for_the_tasks_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="--tasks"):
        layered_dag(["T1", "T2", "T3"], 3, np.random.default_rng(0))


def test_each_stage_injects_only_its_own_kinds(drafts: list[Any]) -> None:
    seen: dict[str, set[str]] = {stage: set() for stage in STAGES}
    for draft in drafts:
        if draft.expect == "infeasible":
            continue  # checked below: infeasibility may add windows only where windows belong
        data = draft.instance.data
        seen[draft.instance.stage] |= {kind for kind, key in KINDS.items() if data[key]}
    assert seen == {
        "precedence": set(),
        "downtime": {"downtime"},
        "windows": {"windows"},
        "disjunctive": {"disjunctive"},
        "combined": {"downtime", "windows", "disjunctive"},
    }
    for draft in drafts:
        data = draft.instance.data
        if draft.instance.stage in ("precedence", "downtime", "disjunctive"):
            assert not data["windows"]


def test_stages_share_the_base_project_and_combined_reuses_the_single_kind_draws(drafts: list[Any]) -> None:
    by_key = {(d.instance.stage, d.instance.level, d.instance.id[-2:]): d.instance.data for d in drafts}
    for level in (5, 20, 40):
        base = {stage: by_key[(stage, level, "00")] for stage in STAGES}
        for stage in STAGES:
            assert base[stage]["tasks"] == base["precedence"]["tasks"]
            assert base[stage]["precedences"] == base["precedence"]["precedences"]
        assert base["combined"]["downtimes"] == base["downtime"]["downtimes"]
        assert base["combined"]["disjunctive"] == base["disjunctive"]["disjunctive"]


def test_injection_probability_controls_the_amount() -> None:
    def count(p: float) -> int:
        config = RcpspGeneratorConfig(levels="5-15", stage="combined", per_level=3, seed=3, inject_p=p)
        return sum(len(d.instance.data[key]) for d in generate(config) for key in KINDS.values())

    assert count(0.0) == 0
    assert count(0.25) < count(0.75) < count(1.0)


def test_scenarios_change_names_only() -> None:
    common = {"levels": "1-12", "stage": "all", "seed": 5, "infeasible_share": 0.3}
    abstract = generate(RcpspGeneratorConfig(scenario="abstract", **common))
    themed = generate(RcpspGeneratorConfig(scenario="datacenter", **common))
    assert [d.instance.id for d in abstract] == [d.instance.id for d in themed]
    for a, b in zip(abstract, themed, strict=True):
        assert numbers(a.instance.data) == numbers(b.instance.data)
        assert (a.instance.seed, a.expect, a.hint) == (b.instance.seed, b.expect, b.hint)
        assert [t["name"] for t in a.instance.data["tasks"]] != [t["name"] for t in b.instance.data["tasks"]]
        for items in (b.instance.data["tasks"], b.instance.data["resources"]):
            assert len({item["name"] for item in items}) == len(items)  # a theme never reuses a name
    assert "forklifts" in json.dumps(themed[0].instance.data) or "engineers" in json.dumps(themed[0].instance.data)


def test_witness_hints_are_feasible_and_infeasible_drafts_beat_a_lower_bound(drafts: list[Any]) -> None:
    family = get_family("rcpsp")
    for draft in drafts:
        data = RcpspData.model_validate(draft.instance.data)
        if draft.expect == "feasible":
            assert family.verify(data, draft.hint).feasible
            assert makespan_lower_bound(data) <= data.horizon
    shares = [d.expect == "infeasible" for d in drafts]
    assert 0.15 < sum(shares) / len(shares) < 0.35


def test_energy_bound_counts_capacity_lost_to_downtime() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 50,
            "resources": [{"id": "R1", "capacity": 2}],
            "tasks": [
                {"id": "T1", "duration": 4, "demands": {"R1": 2}},
                {"id": "T2", "duration": 2, "demands": {"R1": 1}},
            ],
            "downtimes": [{"resource": "R1", "start": 1, "end": 3, "capacity": 0}],
        }
    )
    # need 10 units; [0, H) offers 2H minus 4 lost to the downtime: H = 7
    assert energy_bound(data, "R1", 2) == 7


def test_suite_references_agree_with_the_construction(drafts: list[Any]) -> None:
    """Every feasible instance's witness verifies; every instance built infeasible is proven infeasible."""
    sample = drafts[::3]
    instances = [d.instance for d in sample]
    references = solve_references(instances, [d.hint for d in sample], time_limit=20.0, workers=2, show_progress=False)
    statuses = set()
    for draft, reference in zip(sample, references, strict=True):
        draft.instance.reference = reference
        assert check_reference(draft.instance, draft.expect) is None, draft.instance.id
        statuses.add(reference.status)
        if draft.expect == "infeasible":
            assert reference.status == "infeasible"
        else:
            assert reference.status in ("optimal", "feasible") and reference.objective <= draft.instance.data["horizon"]
    assert statuses >= {"optimal", "infeasible"}


def _generate_cli(out: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "generate",
            "rcpsp",
            "--out",
            str(out),
            "--levels",
            "3,9,14",
            "--stage",
            "combined,windows",
            "--infeasible-share",
            "0.3",
            "--seed",
            "9",
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _without_volatile(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row["reference"].pop("time_s")
        row["reference"].pop("witness")
    return rows


def test_same_command_twice_gives_the_same_instances_except_time_and_witness(tmp_path: Path) -> None:
    _generate_cli(tmp_path / "a")
    _generate_cli(tmp_path / "b", "--workers", "1")
    first, second = (_without_volatile(tmp_path / name / "instances.jsonl") for name in ("a", "b"))
    assert first == second
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["family"] == "rcpsp" and manifest["count"] == 6 and manifest["seed"] == 9
    assert manifest["parameters"]["inject_p"] == 0.75
    parquet = load_instances(tmp_path / "a" / "instances.parquet")
    assert [i.model_dump() for i in parquet] == [i.model_dump() for i in load_instances(tmp_path / "a")]


def test_different_seeds_give_different_instances() -> None:
    one = generate(RcpspGeneratorConfig(levels="10", seed=1))[0].instance.data
    two = generate(RcpspGeneratorConfig(levels="10", seed=2))[0].instance.data
    assert one != two
