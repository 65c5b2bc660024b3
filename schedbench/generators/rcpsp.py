"""RCPSP generator with R-ConstraintBench ramps.

Level k is a layered random DAG with exactly k precedence edges, each added only when no path already joins
its ends and when it makes no existing edge redundant, so the edge set is its own transitive reduction.
Stages then inject downtime, time windows and disjunctive pairs, each with probability `inject_p` on its
eligible elements. Feasibility is by construction: downtime and disjunctive pairs are drawn first, a serial
SGS builds a witness that respects them, and windows are drawn around the witness.

On the independent ramp a requested share of instances is made infeasible on purpose, with the stage's own
constraint kinds only: a window that contradicts a precedence chain (stages with windows), or a horizon one
unit below a simple lower bound — critical path, resource energy net of downtime, disjunctive pair — (every
stage); CP-SAT must prove it.

Ramps (`ramp`): `independent` draws every (seed, level, copy) from its own seed, a new project per level.
`nested` (the default) draws `per_level` chains: one project per chain whose ordered precedences are drawn for
the top level, level k keeping the first k (each prefix of the greedy order is its own transitive reduction, as
each added edge joins unconnected tasks and makes no earlier edge redundant); the other constraints are drawn
once per chain around a schedule of the top level (see `make_chain`), and infeasibility tips a chain from one
level on (see `tip_chain`).

Paired design: the base project of (seed, level, copy) — or of a chain — (durations, demands, capacities,
DAG) is the same in every stage, and each constraint kind is drawn from its own random stream, so a `combined`
instance holds exactly the downtimes and disjunctive pairs of the `downtime` and `disjunctive` instances of the same
coordinates (windows follow each stage's own witness). Scenario themes draw names from a separate stream.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from schedbench.generators import scenarios
from schedbench.generators._common import (
    MAX_INSTANCES,
    MAX_SIZE,
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
from schedbench.heuristics.rcpsp import random_priority, serial_sgs
from schedbench.problems._envelope import Instance
from schedbench.problems.rcpsp import Downtime, RcpspData, Resource, Task, Window, downtime_profile, earliest_starts

STAGES = ("precedence", "downtime", "windows", "disjunctive", "combined")
SCENARIOS = ("abstract", "datacenter")
_INJECTS = {
    "precedence": (),
    "downtime": ("downtime",),
    "windows": ("windows",),
    "disjunctive": ("disjunctive",),
    "combined": ("downtime", "windows", "disjunctive"),
}


class RcpspGeneratorConfig(GeneratorConfig):
    """Options of `schedbench generate rcpsp`."""

    per_level: int = Field(
        1, ge=1, le=MAX_INSTANCES, description="instances per level and stage; chains per stage on a nested ramp"
    )
    tasks: int = Field(15, ge=2, le=MAX_SIZE, description="tasks per instance")
    resources: int = Field(2, ge=1, le=MAX_SIZE, description="renewable resources per instance")
    inject_p: float = Field(0.75, ge=0, le=1, description="probability of injecting each extra constraint")
    infeasible_share: float = Field(0.0, ge=0, le=1, description="share of instances made infeasible")
    max_duration: int = Field(10, ge=1, le=MAX_VALUE, description="durations are drawn from 1..max_duration")
    max_capacity: int = Field(6, ge=1, le=MAX_VALUE, description="capacities are drawn from 2..max_capacity")
    horizon_slack: float = Field(0.5, ge=0, le=1000, description="horizon = witness makespan × (1 + slack)")
    ramp: Ramp = Field(
        "nested",
        description="nested: per chain one project, each level adds one precedence to the level below; "
        "independent: a new project per level",
    )

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: str) -> str:
        _checked(parse_levels, value)
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        _checked(parse_stages, value, STAGES)
        return value

    @field_validator("scenario")
    @classmethod
    def _scenario(cls, value: str) -> str:
        if value not in SCENARIOS:
            raise PydanticCustomError("scenario", f"unknown scenario {value!r}; known: {', '.join(SCENARIOS)}")
        return value


def _checked(parse: Any, *args: Any) -> None:
    """Run a parser, turning its ValueError into a clean pydantic error (shown as '--option: message')."""
    try:
        parse(*args)
    except ValueError as exc:
        raise PydanticCustomError("option", str(exc)) from None


def generate(config: RcpspGeneratorConfig) -> list[Draft]:
    """Every instance of the requested stages × levels × per_level, without references."""
    levels = parse_levels(config.levels)
    stages = parse_stages(config.stage, STAGES)
    if config.ramp == "nested":
        return nested_drafts(config, stages, levels, make_chain)
    instances = []
    for stage, level, k in itertools.product(stages, levels, range(config.per_level)):
        seed = instance_seed(config.seed, level, k)
        instances.append(make_instance(config, stage, level, k, seed))
    return instances


def _stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent random stream of an instance for one purpose (base project, one constraint kind, …)."""
    return np.random.default_rng([seed, _PURPOSES.index(purpose)])


_PURPOSES = ("base", "downtime", "disjunctive", "windows", "infeasible", "witness")


def make_instance(config: RcpspGeneratorConfig, stage: str, level: int, k: int, seed: int) -> Draft:
    """One instance from its own seed."""
    data = base_project(config, level, seed)
    injects = _INJECTS[stage]
    estimate = makespan_estimate(data)
    if "downtime" in injects:
        data.downtimes = draw_downtimes(data, estimate, config.inject_p, _stream(seed, "downtime"))
    if "disjunctive" in injects:
        data.disjunctive = draw_disjunctive(data, config.inject_p, _stream(seed, "disjunctive"))
    witness = serial_sgs(data, random_priority(data, int(_stream(seed, "witness").integers(2**32))))
    makespan = max(witness[t.id] + t.duration for t in data.tasks)
    data.horizon = max(1, math.ceil(makespan * (1 + config.horizon_slack)))
    if "windows" in injects:
        data.windows = draw_windows(data, witness, makespan, config.inject_p, _stream(seed, "windows"))
    chance = _stream(seed, "infeasible")
    infeasible = chance.random() < config.infeasible_share
    if infeasible:
        make_infeasible(data, witness, "windows" in injects, chance)
    data = RcpspData.model_validate(data.model_dump())  # re-check ids and acyclicity
    instance = Instance(
        id=f"rcpsp-{stage}-L{level:03d}-{k:02d}",
        family="rcpsp",
        level=level,
        stage=stage,
        scenario=config.scenario,
        seed=seed,
        data=data.model_dump(),
    )
    if infeasible:
        return Draft(instance, expect="infeasible")
    return Draft(instance, expect="feasible", hint={"starts": witness})


def make_chain(config: RcpspGeneratorConfig, stage: str, levels: list[int], chain: int, seed: int) -> list[Draft]:
    """Every level of one nested chain.

    The base project and its ordered precedences come from the chain's seed, drawn for the top level; level k
    keeps the first k. Downtimes and disjunctive pairs are drawn on the top level (pairs unrelated there are
    unrelated at every level), the witness is a schedule of the top level — so it satisfies every level — and
    windows and the horizon are drawn around it once. A chain drawn infeasible (`tip_chain`) is feasible below
    its tipping level and infeasible from it on.
    """
    top = base_project(config, levels[-1], seed)
    edges = list(top.precedences)
    injects = _INJECTS[stage]
    estimate = makespan_estimate(top)
    if "downtime" in injects:
        top.downtimes = draw_downtimes(top, estimate, config.inject_p, _stream(seed, "downtime"))
    if "disjunctive" in injects:
        top.disjunctive = draw_disjunctive(top, config.inject_p, _stream(seed, "disjunctive"))
    chance = _stream(seed, "infeasible")
    tip = None
    hint: dict[str, Any] | None
    if chance.random() < config.infeasible_share:
        tip = tip_chain(config, top, edges, levels, "windows" in injects, seed, chance)
    else:
        witness = _witness(top, edges, seed)
        _place_windows(config, top, witness, "windows" in injects, seed)
        hint = {"starts": witness}
    if tip is not None:
        hint = tip.hint
    drafts = []
    for level in levels:
        data = RcpspData.model_validate({**top.model_dump(), "precedences": edges[:level]})
        instance = Instance(
            id=f"rcpsp-{stage}-L{level:03d}-{chain:02d}",
            family="rcpsp",
            level=level,
            stage=stage,
            scenario=config.scenario,
            seed=seed,
            data=data.model_dump(),
            **chain_fields("rcpsp", stage, chain),
        )
        if tip is not None and level >= tip.level:
            drafts.append(Draft(instance, expect="infeasible"))
        else:
            drafts.append(Draft(instance, expect="feasible", hint=hint))
    return drafts


def _witness(data: RcpspData, edges: list[tuple[str, str]], seed: int) -> dict[str, int]:
    """A serial-SGS schedule of the project with these edges (its downtimes and pairs respected)."""
    project = data.model_copy(update={"precedences": edges})
    return serial_sgs(project, random_priority(project, int(_stream(seed, "witness").integers(2**32))))


def _place_windows(
    config: RcpspGeneratorConfig, data: RcpspData, witness: dict[str, int], windows: bool, seed: int
) -> None:
    """The horizon (and, in stages with windows, the windows) around a witness, in place."""
    makespan = max(witness[t.id] + t.duration for t in data.tasks)
    data.horizon = max(1, math.ceil(makespan * (1 + config.horizon_slack)))
    if windows:
        data.windows = draw_windows(data, witness, makespan, config.inject_p, _stream(seed, "windows"))


@dataclass(frozen=True)
class Tip:
    """Where an infeasible chain tips: levels from `level` on are infeasible; `hint` solves the others."""

    level: int
    hint: dict[str, Any] | None


def tip_chain(
    config: RcpspGeneratorConfig,
    data: RcpspData,
    edges: list[tuple[str, str]],
    levels: list[int],
    windows: bool,
    seed: int,
    rng: np.random.Generator,
) -> Tip:
    """Make a chain infeasible from a tipping level on, in place (horizon and windows); returns the tip.

    The tipping level is drawn uniformly over the chain's levels. With windows, the precedence a → b that
    the tipping level adds is contradicted: the witness of the levels below schedules b before a (they are
    unrelated there), a is released at its start and b must end before a, then b, could both run. Without
    windows the horizon is set one unit below the tipping level's lower bound when a witness of the level
    below fits under it; the other levels are tried in random order, and when none allows it the whole chain
    is infeasible (horizon below the lowest level's bound). Feasibility is monotone along a chain, so no
    level above the tip can become feasible again.
    """
    order = [int(i) for i in rng.permutation(len(levels))]
    if windows:
        tip = levels[order[0]]
        if tip == 0:  # no precedence to contradict: a window shorter than the longest task
            _place_windows(config, data, _witness(data, [], seed), True, seed)
            longest = max(data.tasks, key=lambda t: t.duration)
            data.windows[longest.id] = Window(release=0, deadline=longest.duration - 1)
            return Tip(0, None)
        a, b = edges[tip - 1]
        witness = _witness(data, [*edges[: tip - 1], (b, a)], seed)
        _place_windows(config, data, witness, True, seed)
        duration = {t.id: t.duration for t in data.tasks}
        data.windows[a] = Window(release=witness[a], deadline=data.windows.get(a, Window()).deadline)
        data.windows[b] = Window(
            release=data.windows.get(b, Window()).release, deadline=witness[a] + duration[a] + duration[b] - 1
        )
        return Tip(tip, {"starts": witness})
    for tip in (levels[i] for i in order if i > 0):
        bound = makespan_lower_bound(data.model_copy(update={"precedences": edges[:tip]}))
        witness = _witness(data, edges[: tip - 1], seed)
        if max(witness[t.id] + t.duration for t in data.tasks) < bound:
            data.horizon = bound - 1
            return Tip(tip, {"starts": witness})
    bound = makespan_lower_bound(data.model_copy(update={"precedences": edges[: levels[0]]}))
    if bound <= 1:
        raise ValueError("cannot make this chain infeasible without windows (every lower bound is 1)")
    data.horizon = bound - 1
    return Tip(levels[0], None)


def base_project(config: RcpspGeneratorConfig, n_edges: int, seed: int) -> RcpspData:
    """The base project of a seed: capacities, durations, demands, names and `n_edges` precedences (in the
    order they were added, so every prefix is itself transitively reduced)."""
    rng = _stream(seed, "base")
    n, m = config.tasks, config.resources
    task_ids = [f"T{i + 1}" for i in range(n)]
    resource_ids = [f"R{j + 1}" for j in range(m)]
    capacities = rng.integers(2, max(2, config.max_capacity) + 1, size=m)
    durations = rng.integers(1, config.max_duration + 1, size=n)
    demands = [
        {rid: int(rng.integers(1, capacities[j] + 1)) for j, rid in enumerate(resource_ids) if rng.random() < 0.5}
        for _ in range(n)
    ]
    edges = layered_dag(task_ids, n_edges, rng)
    task_names, resource_names = scenarios.rcpsp_names(config.scenario, n, m, seed)
    return RcpspData(
        horizon=max(1, int(durations.sum())) * 2,
        resources=[
            Resource(id=rid, name=resource_names[j], capacity=int(capacities[j])) for j, rid in enumerate(resource_ids)
        ],
        tasks=[
            Task(id=tid, name=task_names[i], duration=int(durations[i]), demands=demands[i])
            for i, tid in enumerate(task_ids)
        ],
        precedences=edges,
    )


def layered_dag(task_ids: list[str], n_edges: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Exactly n_edges precedence edges on layered tasks, forming a transitively reduced DAG.

    Layers are balanced, and as many as possible (up to √n) while consecutive layers can still hold n_edges
    edges. Candidate edges are tried in random order, consecutive-layer edges favoured; if skip-layer edges
    leave too few valid candidates, the draw is repeated with consecutive-layer edges only (those never make
    one another redundant), so any level up to that capacity succeeds.
    """
    n = len(task_ids)
    n_layers = max(2, round(math.sqrt(n)))
    while n_layers > 2 and consecutive_capacity(n, n_layers) < n_edges:
        n_layers -= 1
    if consecutive_capacity(n, n_layers) < n_edges:
        raise ValueError(
            f"cannot place {n_edges} non-redundant precedences on {n} tasks "
            f"(at most {consecutive_capacity(n, 2)}); use more tasks (--tasks)"
        )
    layer = rng.permutation(np.arange(n) % n_layers)
    candidates = [(i, j) for i in range(n) for j in range(n) if layer[i] < layer[j]]
    gaps = np.array([layer[j] - layer[i] - 1 for i, j in candidates])
    keys = rng.random(len(candidates)) + 0.5 * gaps
    edges = _greedy_reduced_edges(n, [candidates[i] for i in np.argsort(keys, kind="stable")], n_edges)
    if len(edges) < n_edges:
        order = [candidates[i] for i in np.argsort(keys, kind="stable") if gaps[i] == 0]
        edges = _greedy_reduced_edges(n, order, n_edges)
    return [(task_ids[u], task_ids[v]) for u, v in edges]


def consecutive_capacity(n: int, n_layers: int) -> int:
    """How many edges fit between consecutive layers of n tasks split into balanced layers."""
    sizes = [n // n_layers + (1 if k < n % n_layers else 0) for k in range(n_layers)]
    return sum(a * b for a, b in itertools.pairwise(sizes))


def _greedy_reduced_edges(n: int, order: list[tuple[int, int]], n_edges: int) -> list[tuple[int, int]]:
    """Take candidates in order while each joins unconnected tasks and makes no existing edge redundant."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    edges: list[tuple[int, int]] = []
    for u, v in order:
        if len(edges) == n_edges:
            break
        if nx.has_path(graph, u, v):
            continue
        above = nx.ancestors(graph, u) | {u}
        below = nx.descendants(graph, v) | {v}
        if any(x in above and y in below for x, y in edges):
            continue
        graph.add_edge(u, v)
        edges.append((u, v))
    return edges


def makespan_estimate(data: RcpspData) -> int:
    """max(critical path, resource load / capacity): where downtimes are worth placing."""
    durations = {t.id: t.duration for t in data.tasks}
    finish = {t: start + durations[t] for t, start in earliest_starts(data).items()}
    loads = [
        math.ceil(sum(t.duration * t.demands.get(r.id, 0) for t in data.tasks) / max(1, r.capacity))
        for r in data.resources
    ]
    return max([1, *finish.values(), *loads])


def draw_downtimes(data: RcpspData, estimate: int, p: float, rng: np.random.Generator) -> list[Downtime]:
    """Each resource, with probability p, gets one downtime (capacity 0, or reduced in a quarter of cases)."""
    out = []
    for r in data.resources:
        if rng.random() >= p:
            continue
        start = int(rng.integers(0, max(1, estimate)))
        length = int(rng.integers(1, max(2, estimate // 5) + 1))
        capacity = int(rng.integers(1, r.capacity)) if rng.random() < 0.25 and r.capacity > 1 else 0
        out.append(Downtime(resource=r.id, start=start, end=start + length, capacity=capacity))
    return out


def draw_disjunctive(data: RcpspData, p: float, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Up to n/4 pairs of precedence-unrelated tasks, each kept with probability p."""
    graph = nx.DiGraph(list(data.precedences))
    graph.add_nodes_from(t.id for t in data.tasks)
    closure = nx.transitive_closure_dag(graph)
    ids = [t.id for t in data.tasks]
    unrelated = [
        (a, b) for a, b in itertools.combinations(ids, 2) if not closure.has_edge(a, b) and not closure.has_edge(b, a)
    ]
    if not unrelated:
        return []
    count = min(len(unrelated), max(1, len(ids) // 4))
    picked = rng.choice(len(unrelated), size=count, replace=False)
    return [unrelated[i] for i in sorted(picked) if rng.random() < p]


def draw_windows(
    data: RcpspData, witness: dict[str, int], makespan: int, p: float, rng: np.random.Generator
) -> dict[str, Window]:
    """Each task, with probability p, gets a [release, deadline] window around its witness interval."""
    slack = max(2, makespan // 5)
    out = {}
    for t in data.tasks:
        if rng.random() >= p:
            continue
        start = witness[t.id]
        release = max(0, start - int(rng.integers(0, slack + 1)))
        deadline = min(data.horizon, start + t.duration + int(rng.integers(0, slack + 1)))
        out[t.id] = Window(release=release, deadline=deadline)
    return out


def make_infeasible(data: RcpspData, witness: dict[str, int], may_use_windows: bool, rng: np.random.Generator) -> None:
    """Make the instance infeasible with a contradiction CP-SAT can prove.

    With windows allowed, half of the time (always when no lower bound leaves room for a horizon ≥ 1) a
    random precedence a → b is contradicted: a is released at its witness start and b's deadline comes one
    unit before a, then b, could both run; without precedences the longest task gets a window shorter than
    itself. Otherwise the horizon is set one unit below `makespan_lower_bound`.
    """
    bound = makespan_lower_bound(data)
    if may_use_windows and (bound <= 1 or rng.random() < 0.5):
        _contradicting_windows(data, witness, rng)
    elif bound > 1:
        data.horizon = bound - 1
        data.windows = {
            t: w.model_copy(update={"deadline": min(w.deadline, data.horizon)}) if w.deadline is not None else w
            for t, w in data.windows.items()
        }
    else:
        raise ValueError("cannot make this instance infeasible without windows (every lower bound is 1)")


def _contradicting_windows(data: RcpspData, witness: dict[str, int], rng: np.random.Generator) -> None:
    durations = {t.id: t.duration for t in data.tasks}
    if not data.precedences:
        longest = max(data.tasks, key=lambda t: t.duration)
        data.windows[longest.id] = Window(release=0, deadline=longest.duration - 1)
        return
    a, b = data.precedences[int(rng.integers(len(data.precedences)))]
    release = witness[a]
    data.windows[a] = Window(release=release, deadline=data.windows.get(a, Window()).deadline)
    data.windows[b] = Window(
        release=data.windows.get(b, Window()).release, deadline=release + durations[a] + durations[b] - 1
    )


def makespan_lower_bound(data: RcpspData) -> int:
    """max(critical path with releases, per-resource energy net of downtime, longest disjunctive pair)."""
    duration = {t.id: t.duration for t in data.tasks}
    finish = {t: start + duration[t] for t, start in earliest_starts(data).items()}
    pairs = [duration[a] + duration[b] for a, b in data.disjunctive]
    energies = [energy_bound(data, r.id, r.capacity) for r in data.resources]
    return max([0, *finish.values(), *pairs, *energies])


def energy_bound(data: RcpspData, resource_id: str, capacity: int) -> int:
    """The smallest H such that the resource's capacity over [0, H), net of downtime, covers Σ duration × demand."""
    need = sum(t.duration * t.demands.get(resource_id, 0) for t in data.tasks)
    if need == 0:
        return 0
    if capacity == 0:
        return data.horizon + 1  # nothing fits at all
    lost_before: list[tuple[int, int, int]] = downtime_profile(data, resource_id, capacity)
    horizon = math.ceil(need / capacity)
    while True:  # each pass adds back the capacity lost to downtime before the current horizon
        lost = sum((capacity - level) * max(0, min(b, horizon) - a) for a, b, level in lost_before)
        needed = math.ceil((need + lost) / capacity)
        if needed <= horizon:
            return horizon
        horizon = needed
