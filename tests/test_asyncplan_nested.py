"""Nested asyncplan ramps: one plan per chain growing by one step (with its dependencies) per level."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from typing import Any

import networkx as nx

from schedbench.generators.asyncplan import AsyncplanGeneratorConfig, generate
from schedbench.problems import get_family
from schedbench.references import check_reference, solve_references


def chains_of(drafts: list[Any]) -> dict[str, list[Any]]:
    chains: dict[str, list[Any]] = defaultdict(list)
    for draft in drafts:
        chains[draft.instance.model_extra["chain"]].append(draft)
    return {name: sorted(members, key=lambda d: d.instance.level) for name, members in chains.items()}


def test_independent_stays_the_default_and_hashes_as_before_nesting_existed() -> None:
    drafts = generate(AsyncplanGeneratorConfig(levels="3-12,20", per_level=2, stage="all", seed=3))
    assert all("chain" not in (d.instance.model_extra or {}) for d in drafts)
    digest = hashlib.sha256()
    for draft in drafts:
        digest.update(draft.instance.to_json_line().encode())
        digest.update(json.dumps([draft.expect, draft.hint], sort_keys=True).encode() + b"\n")
    assert digest.hexdigest() == "31fa28bdf82d2e91077cb3df00192f1c494f8658538d1b459007c62febfc6c48"


def test_each_level_adds_one_step_with_its_dependencies_and_keeps_the_rest() -> None:
    config = AsyncplanGeneratorConfig(levels="1-24", stage="all", per_level=3, seed=8, ramp="nested")
    chains = chains_of(generate(config))
    assert len(chains) == 8 * 3
    for name, chain in chains.items():
        for lower, upper in itertools.pairwise(chain):
            below, above = lower.instance.data, upper.instance.data
            assert above["steps"][:-1] == below["steps"] and len(above["steps"]) == upper.instance.level
            new = above["steps"][-1]["id"]
            assert set(map(tuple, above["precedences"])) - set(map(tuple, below["precedences"])) == {
                tuple(e) for e in above["precedences"] if e[1] == new
            }
            assert set(map(tuple, below["precedences"])) <= set(map(tuple, above["precedences"]))
            assert (above["agents"], above["stations"]) == (below["agents"], below["stations"]), name
            graph = nx.DiGraph(map(tuple, above["precedences"]))
            assert nx.is_directed_acyclic_graph(graph)
            assert all(e[0] != new for e in above["precedences"])  # the new step depends on earlier ones only


def test_references_never_decrease_along_a_chain() -> None:
    config = AsyncplanGeneratorConfig(levels="2-14", stage="one_agent,combined", per_level=2, seed=4, ramp="nested")
    drafts = generate(config)
    references = solve_references(
        [d.instance for d in drafts], [d.hint for d in drafts], time_limit=20.0, workers=2, show_progress=False
    )
    family = get_family("asyncplan")
    for draft, reference in zip(drafts, references, strict=True):
        draft.instance.reference = reference
        assert check_reference(draft.instance, draft.expect) is None
        assert family.verify(family.parse_data(draft.instance.data), draft.hint).feasible
    for name, chain in chains_of(drafts).items():
        assert all(d.instance.reference.status == "optimal" for d in chain), name
        objectives = [d.instance.reference.objective for d in chain]
        assert objectives == sorted(objectives), name  # one more step never shortens the optimal plan
