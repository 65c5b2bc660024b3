"""Asynchronous-plan generator: recipe-like task graphs where some steps run alone once started.

Level n is the number of steps. A plan is a few components (dishes, chores), each a recipe template: a
phase of parallel preparation steps, then phases of one or two steps, each depending on some steps of the
phase before (every step feeds the next phase); a final step joins every component. A step is *attended*
(an agent is busy throughout) or *unattended* (a short attended set-up, sometimes none, then it runs alone).

Stages are a paired design: the task graph, durations and random draws of an instance depend only on
(seed, level, index), and the stage sets the knobs — the number of agents, the share of unattended steps
and station contention — so that stages differ only in what they vary:

| stage | agents | unattended share | stations |
|---|---|---|---|
| unlimited | ∞ | 0.5 | none (AsyncHow: the answer is the longest path) |
| one_agent, two_agents, three_agents | 1, 2, 3 | 0.5 | none |
| attended_only | 2 | 0.0 | none (plain parallel-machine scheduling) |
| mostly_unattended | 2 | 0.8 | none |
| stations | 2 | 0.5 | 2–3 stations of capacity 1–2 |
| combined | 2 | 0.65 | 2–3 stations of capacity 1 |

Every plan is feasible (agents ≥ 1, capacities ≥ 1); the list scheduler's plan is the witness handed to the
exact solver as a hint.

Ramps (`ramp`): `independent` (the default) draws a new plan per (seed, level, index). `nested` draws one plan
per chain for the top level, puts its steps in a random topological order (components interleave, the
finishing step last) and numbers them in that order; level n is the first n steps with the dependencies among
them, so level n+1 is level n plus one step and its incoming dependencies, every draw of a step (kind,
duration, station) is the same at every level, and so are the agents and the stations with their capacities.
The level stays the number of steps (a plan grows; its precedences are not a ramp of their own: a fixed set of
steps with one dependency more per level would need a graph whose every prefix is a recipe, which the recipe
template does not give). The optimal makespan never decreases along a chain.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from schedbench.generators import asyncplan_themes as themes
from schedbench.generators._common import (
    MAX_INSTANCES,
    MAX_VALUE,
    Draft,
    GeneratorConfig,
    Ramp,
    chain_fields,
    instance_seed,
    nested_drafts,
    parse_levels,
    parse_stages,
)
from schedbench.heuristics.asyncplan import list_scheduler
from schedbench.problems._envelope import Instance
from schedbench.problems.asyncplan import AsyncplanData, Station, Step

Contention = Literal["none", "moderate", "tight"]


@dataclass(frozen=True)
class StageKnobs:
    agents: int | None
    unattended_share: float
    contention: Contention


STAGE_KNOBS: dict[str, StageKnobs] = {
    "unlimited": StageKnobs(None, 0.5, "none"),
    "one_agent": StageKnobs(1, 0.5, "none"),
    "two_agents": StageKnobs(2, 0.5, "none"),
    "three_agents": StageKnobs(3, 0.5, "none"),
    "attended_only": StageKnobs(2, 0.0, "none"),
    "mostly_unattended": StageKnobs(2, 0.8, "none"),
    "stations": StageKnobs(2, 0.5, "moderate"),
    "combined": StageKnobs(2, 0.65, "tight"),
}
STAGES = tuple(STAGE_KNOBS)
SCENARIOS = tuple(themes.THEMES)
_STATION_USE = {"unattended": 0.85, "attended": 0.25}  # chance a step of each kind uses a station


class AsyncplanGeneratorConfig(GeneratorConfig):
    """Options of `schedbench generate asyncplan`."""

    levels: str = Field(
        "5,10,15,20,30,40,50,60,70,80,90,100",
        description="numbers of steps as a range, a comma list or both: 5-100, 5,10,20",
    )
    stage: str = Field("combined", description="a stage, a comma list or 'all': " + ", ".join(STAGE_KNOBS))
    scenario: str = Field("kitchen", description="theme: kitchen, household or abstract (wording only)")
    per_level: int = Field(
        1, ge=1, le=MAX_INSTANCES, description="instances per level and stage; chains per stage on a nested ramp"
    )
    max_attended: int = Field(8, ge=1, le=MAX_VALUE, description="attended steps last 1..max_attended")
    max_unattended: int = Field(30, ge=3, le=MAX_VALUE, description="unattended steps last 3..max_unattended")
    ramp: Ramp = Field(
        "independent",
        description="independent: a new plan per level; nested: per chain one plan, each level one step more",
    )


def generate(config: AsyncplanGeneratorConfig) -> list[Draft]:
    """Every instance of the requested levels × stages × per_level, without references."""
    if config.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {config.scenario!r}; known: {', '.join(SCENARIOS)}")
    levels = parse_levels(config.levels)
    if levels and levels[0] < 1:
        raise ValueError("levels are numbers of steps and start at 1")
    stages = parse_stages(config.stage, STAGES)
    if config.ramp == "nested":
        return nested_drafts(config, stages, levels, make_chain)
    drafts = []
    for stage, level, k in itertools.product(stages, levels, range(config.per_level)):
        drafts.append(make_instance(config, stage, level, k, instance_seed(config.seed, level, k)))
    return drafts


@dataclass
class PlanDraw:
    """The random draws of one plan of n steps, step i at position i (a topological order)."""

    component_of: list[int]
    edges: list[tuple[int, int]]
    kinds: list[str]
    slots: list[int | None]
    durations: list[int]
    attended: list[int]
    capacity_draw: np.ndarray


def draw_plan(config: AsyncplanGeneratorConfig, knobs: StageKnobs, level: int, seed: int) -> PlanDraw:
    """Task graph, kinds, station slots and durations of a plan of `level` steps from `seed`."""
    rng = np.random.default_rng(seed)
    component_of, edges = recipe_graph(level, rng)
    finish = level >= 4  # the last step joins every component
    kind_draw, station_draw, slot_draw = rng.random(level), rng.random(level), rng.integers(0, 3, size=level)
    attended_len = rng.integers(1, config.max_attended + 1, size=level)
    unattended_len = rng.integers(3, config.max_unattended + 1, size=level)
    setup_len = rng.choice([0, 1, 1, 1, 2, 2, 3], size=level)
    n_slots = int(rng.integers(2, 4))
    capacity_draw = rng.integers(1, 3, size=3)
    kinds = ["unattended" if kind_draw[i] < knobs.unattended_share else "attended" for i in range(level)]
    if finish:
        kinds[-1] = "finish"
    slots: list[int | None] = [None] * level
    if knobs.contention != "none":
        for i, kind in enumerate(kinds):
            if kind != "finish" and station_draw[i] < _STATION_USE[kind]:
                slots[i] = int(slot_draw[i]) % n_slots
    durations = [int(unattended_len[i] if kind == "unattended" else attended_len[i]) for i, kind in enumerate(kinds)]
    attended = [
        min(int(setup_len[i]), durations[i]) if kind == "unattended" else durations[i] for i, kind in enumerate(kinds)
    ]
    return PlanDraw(component_of, edges, kinds, slots, durations, attended, capacity_draw)


def plan_data(config: AsyncplanGeneratorConfig, knobs: StageKnobs, draw: PlanDraw, seed: int) -> AsyncplanData:
    """The plan of a draw: steps S1..Sn in draw order, named by the theme, with the stations they use."""
    n = len(draw.kinds)
    roles = [(draw.kinds[i], draw.slots[i], draw.component_of[i]) for i in range(n)]
    names = themes.step_names(config.scenario, roles, seed)
    steps = []
    for i in range(n):
        slot = draw.slots[i]
        station = themes.station_words(config.scenario, slot).id if slot is not None else None
        steps.append(
            Step(id=f"S{i + 1}", name=names[i], duration=draw.durations[i], attended=draw.attended[i], station=station)
        )
    used = sorted({s for s in draw.slots if s is not None})
    stations = [
        Station(
            id=themes.station_words(config.scenario, s).id,
            name=themes.station_words(config.scenario, s).name,
            capacity=1 if knobs.contention == "tight" else int(draw.capacity_draw[s]),
        )
        for s in used
    ]
    return AsyncplanData(
        agents=knobs.agents,
        stations=stations,
        steps=steps,
        precedences=[(f"S{a + 1}", f"S{b + 1}") for a, b in draw.edges],
    )


def make_instance(config: AsyncplanGeneratorConfig, stage: str, level: int, k: int, seed: int) -> Draft:
    """One instance: the task graph and draws from `seed`, the knobs from `stage`, names from the theme."""
    knobs = STAGE_KNOBS[stage]
    data = plan_data(config, knobs, draw_plan(config, knobs, level, seed), seed)
    instance = Instance(
        id=f"asyncplan-{stage}-L{level:03d}-{k:02d}",
        family="asyncplan",
        level=level,
        stage=stage,
        scenario=config.scenario,
        seed=seed,
        data=data.model_dump(),
    )
    return Draft(instance, expect="feasible", hint=list_scheduler(data))


def make_chain(config: AsyncplanGeneratorConfig, stage: str, levels: list[int], chain: int, seed: int) -> list[Draft]:
    """Every level of one nested chain: level n is the first n steps of the top level's plan.

    The top plan's steps are put in a random topological order (components interleave, the finishing step
    stays last), so each prefix is a plan in its own right — every step's predecessors come before it — and
    level n+1 adds one step with its dependencies to level n. Stations (and their capacities) are the top
    plan's at every level.
    """
    knobs = STAGE_KNOBS[stage]
    draw = reorder(draw_plan(config, knobs, levels[-1], seed), np.random.default_rng([seed, 1]))
    top = plan_data(config, knobs, draw, seed)
    drafts = []
    for level in levels:
        ids = {s.id for s in top.steps[:level]}
        data = top.model_copy(
            update={
                "steps": top.steps[:level],
                "precedences": [(a, b) for a, b in top.precedences if a in ids and b in ids],
            }
        )
        instance = Instance(
            id=f"asyncplan-{stage}-L{level:03d}-{chain:02d}",
            family="asyncplan",
            level=level,
            stage=stage,
            scenario=config.scenario,
            seed=seed,
            data=data.model_dump(),
            **chain_fields("asyncplan", stage, chain),
        )
        drafts.append(Draft(instance, expect="feasible", hint=list_scheduler(data)))
    return drafts


def reorder(draw: PlanDraw, rng: np.random.Generator) -> PlanDraw:
    """The same plan with its steps in a random topological order (a random ready step next each time)."""
    n = len(draw.kinds)
    predecessors: list[set[int]] = [set() for _ in range(n)]
    for a, b in draw.edges:
        predecessors[b].add(a)
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < n:
        ready = [i for i in range(n) if i not in placed and predecessors[i] <= placed]
        pick = ready[int(rng.integers(len(ready)))]
        order.append(pick)
        placed.add(pick)
    position = {old: new for new, old in enumerate(order)}
    return PlanDraw(
        component_of=[draw.component_of[i] for i in order],
        edges=sorted((position[a], position[b]) for a, b in draw.edges),
        kinds=[draw.kinds[i] for i in order],
        slots=[draw.slots[i] for i in order],
        durations=[draw.durations[i] for i in order],
        attended=[draw.attended[i] for i in order],
        capacity_draw=draw.capacity_draw,
    )


def recipe_graph(n: int, rng: np.random.Generator) -> tuple[list[int], list[tuple[int, int]]]:
    """Component of each of n steps and the precedence edges (indices) of a recipe-like DAG.

    From 4 steps on, the last step is a finishing step that depends on the last phase of every component.
    """
    body = n - 1 if n >= 4 else n
    n_components = max(1, min(body, round(body / rng.integers(4, 8))))
    sizes = 1 + rng.multinomial(body - n_components, np.full(n_components, 1 / n_components))
    component_of: list[int] = []
    edges: list[tuple[int, int]] = []
    last_phases: list[list[int]] = []
    for c, size in enumerate(sizes):
        first = len(component_of)
        component_of += [c] * int(size)
        phases = _phases(list(range(first, first + int(size))), rng)
        for before, after in itertools.pairwise(phases):
            edges += _link(before, after, rng)
        last_phases.append(phases[-1])
    if n >= 4:
        component_of.append(len(sizes))
        edges += [(i, n - 1) for phase in last_phases for i in phase]
    return component_of, sorted(edges)


def _phases(ids: list[int], rng: np.random.Generator) -> list[list[int]]:
    """Split a component's steps into phases: up to 3 parallel preparations, then phases of 1 or 2 steps."""
    width = min(len(ids), int(rng.integers(1, 4)))
    phases = [ids[:width]]
    rest = ids[width:]
    while rest:
        width = min(len(rest), int(rng.integers(1, 3)))
        phases.append(rest[:width])
        rest = rest[width:]
    return phases


def _link(before: list[int], after: list[int], rng: np.random.Generator) -> list[tuple[int, int]]:
    """Edges from one phase to the next: every later step has a predecessor, every earlier one a successor."""
    edges = {(int(rng.choice(before)), b) for b in after}
    edges |= {(a, int(rng.choice(after))) for a in before}
    edges |= {(a, b) for a in before for b in after if rng.random() < 0.3}
    return sorted(edges)
