"""Nested RCPSP ramps: chains that add one non-redundant precedence per level on one project; the independent
ramp reproduces the suites generated before nesting existed."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from schedbench.generators.rcpsp import STAGES, RcpspGeneratorConfig, generate
from schedbench.problems import get_family
from schedbench.problems.rcpsp import RcpspData
from schedbench.references import check_reference, solve_references
from schedbench.suites import load_instances, read_manifest

GOLDEN = Path(__file__).parent / "data" / "rcpsp_independent_golden.jsonl"
"""`generate rcpsp --levels 1-4,9 --per-level 2 --stage all --scenario datacenter --seed 11
--infeasible-share 0.3`, written by the code before `--ramp` existed (references cut to status and objective)."""


def chains_of(drafts: list[Any]) -> dict[str, list[Any]]:
    """Drafts grouped by chain, each chain in level order."""
    chains: dict[str, list[Any]] = defaultdict(list)
    for draft in drafts:
        chains[draft.instance.model_extra["chain"]].append(draft)
    return {name: sorted(members, key=lambda d: d.instance.level) for name, members in chains.items()}


def is_own_reduction(edges: list[tuple[str, str]], tasks: list[str]) -> bool:
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(tasks)
    return nx.is_directed_acyclic_graph(graph) and set(nx.transitive_reduction(graph).edges) == set(graph.edges)


@pytest.fixture(scope="module")
def nested() -> list[Any]:
    """Every stage, levels 0–40, four chains, half of them tipping into infeasibility."""
    return generate(RcpspGeneratorConfig(levels="0-40", stage="all", per_level=4, seed=21, infeasible_share=0.5))


def test_each_level_adds_exactly_one_non_redundant_edge_to_the_level_below(nested: list[Any]) -> None:
    chains = chains_of(nested)
    assert len(chains) == len(STAGES) * 4
    for name, chain in chains.items():
        assert [d.instance.level for d in chain] == list(range(41)), name
        assert len({d.instance.seed for d in chain}) == 1
        tasks = [t["id"] for t in chain[0].instance.data["tasks"]]
        for lower, upper in itertools.pairwise(chain):
            below = [tuple(e) for e in lower.instance.data["precedences"]]
            above = [tuple(e) for e in upper.instance.data["precedences"]]
            assert above[: len(below)] == below and len(above) == len(below) + 1 == upper.instance.level
            assert is_own_reduction(above, tasks), (name, upper.instance.level)


def test_everything_but_the_precedences_is_the_same_along_a_chain(nested: list[Any]) -> None:
    kinds = set()
    for name, chain in chains_of(nested).items():
        fixed = [{k: v for k, v in d.instance.data.items() if k != "precedences"} for d in chain]
        assert all(f == fixed[0] for f in fixed), name
        kinds |= {key for key in ("downtimes", "windows", "disjunctive") if fixed[0][key]}
    assert kinds == {"downtimes", "windows", "disjunctive"}  # the kept constraints are not all empty


def test_stages_pair_on_the_same_chain_project(nested: list[Any]) -> None:
    by_key = {(d.instance.stage, d.instance.level, d.instance.id[-2:]): d.instance.data for d in nested}
    for level in (3, 40):
        base = {stage: by_key[(stage, level, "01")] for stage in STAGES}
        for stage in STAGES:
            assert base[stage]["tasks"] == base["precedence"]["tasks"]
            assert base[stage]["precedences"] == base["precedence"]["precedences"]
        assert base["combined"]["downtimes"] == base["downtime"]["downtimes"]
        assert base["combined"]["disjunctive"] == base["disjunctive"]["disjunctive"]


def test_feasible_levels_carry_a_verified_witness_and_infeasibility_never_recedes(nested: list[Any]) -> None:
    family = get_family("rcpsp")
    tipped = 0
    for name, chain in chains_of(nested).items():
        expects = [d.expect for d in chain]
        if "infeasible" in expects:
            tip = expects.index("infeasible")
            assert set(expects[tip:]) == {"infeasible"}, name  # more precedences never restore feasibility
            tipped += 1
        for draft in chain:
            if draft.expect == "feasible":
                assert family.verify(RcpspData.model_validate(draft.instance.data), draft.hint).feasible
    assert 0 < tipped < len(STAGES) * 4


def test_windowed_chains_tip_inside_the_ramp(nested: list[Any]) -> None:
    """With windows, a tipping chain is feasible below its tip and infeasible from it on (not all-or-nothing)."""
    tips = []
    for chain in chains_of(nested).values():
        expects = [d.expect for d in chain]
        if chain[0].instance.stage == "windows" and "infeasible" in expects:
            tips.append(expects.index("infeasible"))
    assert tips and any(tip > 0 for tip in tips)


@pytest.mark.parametrize("stage", ["precedence", "combined"])
def test_references_along_a_chain_agree_with_the_construction_and_never_decrease(stage: str) -> None:
    drafts = generate(RcpspGeneratorConfig(levels="0-24", stage=stage, per_level=3, seed=5, infeasible_share=0.4))
    references = solve_references(
        [d.instance for d in drafts], [d.hint for d in drafts], time_limit=20.0, workers=2, show_progress=False
    )
    for draft, reference in zip(drafts, references, strict=True):
        draft.instance.reference = reference
        assert check_reference(draft.instance, draft.expect) is None, draft.instance.id
    statuses = set()
    for name, chain in chains_of(drafts).items():
        solved = [d.instance.reference for d in chain if d.instance.reference.status == "optimal"]
        statuses |= {d.instance.reference.status for d in chain}
        objectives = [r.objective for r in solved]
        assert objectives == sorted(objectives), name  # one more precedence never shortens the optimum
        assert len(solved) + sum(d.expect == "infeasible" for d in chain) == len(chain)
    assert "optimal" in statuses


def test_per_level_counts_chains_and_the_manifest_records_the_ramp(tmp_path: Path, cli: Any) -> None:
    code, _, err = cli(
        f"generate rcpsp --out {tmp_path / 's'} --levels 2-4 --per-level 2 --stage precedence --quiet".split()
    )
    assert code == 0, err
    instances = load_instances(tmp_path / "s")
    assert len(instances) == 6 and {i.model_extra["chain"] for i in instances} == {
        "rcpsp-precedence-C00",
        "rcpsp-precedence-C01",
    }
    assert all(i.model_extra["ramp"] == "nested" for i in instances)
    assert read_manifest(tmp_path / "s")["parameters"]["ramp"] == "nested"
    parquet = load_instances(tmp_path / "s" / "instances.parquet")
    assert [i.model_dump() for i in parquet] == [i.model_dump() for i in instances]


def _draft_digest(drafts: list[Any]) -> str:
    digest = hashlib.sha256()
    for draft in drafts:
        digest.update(draft.instance.to_json_line().encode())
        digest.update(json.dumps([draft.expect, draft.hint], sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def test_independent_drafts_hash_as_before_nesting_existed() -> None:
    """Digests of drafts (instances without references, expectations, witness hints) taken before the change."""
    config = RcpspGeneratorConfig(
        levels="1-12,20", per_level=3, stage="all", scenario="datacenter", seed=7, infeasible_share=0.3
    )
    drafts = generate(config.model_copy(update={"ramp": "independent"}))
    assert len(drafts) == 195
    assert _draft_digest(drafts) == "2d4c26c398ec6dbd9d2353fcbc2dc73b3b144d26f434ddb8b3500212a9ab9bc0"
    assert _draft_digest(generate(config)) != _draft_digest(drafts)  # nested is the default, and differs
    other = RcpspGeneratorConfig(levels="1-30", per_level=2, stage="precedence,combined", ramp="independent")
    assert _draft_digest(generate(other)) == "4d5d3998c2acf5cda2fafa267499fc2be65e93659699fdeddbdde699bcf05175"


def test_independent_ramp_reproduces_the_suite_written_before_nesting(tmp_path: Path, cli: Any) -> None:
    code, _, err = cli(
        f"generate rcpsp --out {tmp_path / 's'} --levels 1-4,9 --per-level 2 --stage all --scenario datacenter "
        "--seed 11 --infeasible-share 0.3 --ramp independent --quiet".split()
    )
    assert code == 0, err
    written = [json.loads(line) for line in (tmp_path / "s" / "instances.jsonl").read_text().splitlines()]
    golden = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    for row in written:
        row["reference"] = {"status": row["reference"]["status"], "objective": row["reference"]["objective"]}
    assert len(written) == 50 and written == golden
