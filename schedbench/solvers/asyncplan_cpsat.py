"""CP-SAT model of asynchronous planning, minimising the makespan.

One start variable per step. The attended prefixes are intervals under a cumulative of capacity = agents (a
no-overlap for one agent, nothing when agents are unlimited); each station is a cumulative over the full
steps that use it (a no-overlap at capacity 1); above capacity 1 both get redundant lanes. The makespan is
bounded below by the longest path and by a window energy bound per agent pool and station. The list
scheduler's plan gives the horizon and a hint, so the model always has a solution. Agent ids are recovered
from the optimal starts by interval colouring, which is exact on interval graphs: it never needs more agents
than the cumulative allows.
"""

from __future__ import annotations

import time
from typing import Any

import networkx as nx
import numpy as np

from schedbench.heuristics.asyncplan import assign_agents, list_scheduler
from schedbench.problems._envelope import Reference
from schedbench.problems.asyncplan import AsyncplanData, precedence_graph, remaining_path
from schedbench.solvers import _cpsat

REDUNDANT_LANES = True
"""Add lanes beside each cumulative of capacity > 1 (set False only for ablations, as bench/ does)."""


def build_model(data: AsyncplanData, horizon: int, hint: dict[str, int] | None = None) -> tuple[Any, dict[str, Any]]:
    """The CP-SAT model and its start variables by step id."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    steps = {s.id: s for s in data.steps}
    tails = remaining_path(data)
    heads = _heads(data)
    starts = {
        s.id: model.new_int_var(heads[s.id], max(heads[s.id], horizon - tails[s.id]), f"s_{s.id}") for s in data.steps
    }
    for a, b in data.precedences:
        model.add(starts[b] >= starts[a] + steps[a].duration)
    if data.agents is not None:
        prefixes = [(starts[s.id], s.attended, s.id) for s in data.steps if s.attended > 0]
        _add_capacity(model, prefixes, data.agents, "agent")
    for station in data.stations:
        holds = [(starts[s.id], s.duration, s.id) for s in data.steps if s.station == station.id and s.duration > 0]
        _add_capacity(model, holds, station.capacity, station.id)
    makespan = model.new_int_var(min(lower_bound(data), horizon), max(horizon, 0), "makespan")
    for s in data.steps:
        model.add(makespan >= starts[s.id] + tails[s.id])
    model.minimize(makespan)
    for step_id, value in (hint or {}).items():
        if step_id in starts:
            model.add_hint(starts[step_id], value)
    return model, starts


def lower_bound(data: AsyncplanData) -> int:
    """A redundant lower bound on the makespan that CP-SAT's propagation does not find on its own.

    The longest path, and for the agents and for every station a window energy bound: the work that can
    start no earlier than r (head) and must leave at least q after it ends (tail) fits in [r, C − q] on
    `capacity` units, so C ≥ r + q + ⌈work / capacity⌉. It closes most gaps where agents are the bottleneck.
    """
    heads, tails = _heads(data), remaining_path(data)
    bounds = [max(tails.values(), default=0)]
    if data.agents is not None:
        prefixes = [(heads[s.id], s.attended, tails[s.id] - s.attended) for s in data.steps if s.attended > 0]
        bounds.append(window_energy_bound(prefixes, data.agents))
    for station in data.stations:
        holds = [
            (heads[s.id], s.duration, tails[s.id] - s.duration)
            for s in data.steps
            if s.station == station.id and s.duration > 0
        ]
        bounds.append(window_energy_bound(holds, station.capacity))
    return max(bounds)


def window_energy_bound(items: list[tuple[int, int, int]], capacity: int) -> int:
    """max over (r, q) of r + q + ⌈Σ work of items with head ≥ r and tail ≥ q / capacity⌉, in O(n² log n)."""
    if not items:
        return 0
    head, work, tail = (np.array(column, dtype=np.int64) for column in zip(*items, strict=True))
    best = 0
    for r in np.unique(head):
        chosen = head >= r
        order = np.argsort(-tail[chosen], kind="stable")
        tails_desc, energy = tail[chosen][order], np.cumsum(work[chosen][order])
        last_of_tie = np.append(tails_desc[1:] != tails_desc[:-1], True)  # all items with tail ≥ q included
        candidates = r + tails_desc[last_of_tie] + -(-energy[last_of_tie] // capacity)
        best = max(best, int(candidates.max()))
    return best


def _add_capacity(model: Any, items: list[tuple[Any, int, str]], capacity: int, tag: str) -> None:
    """At most `capacity` of the intervals (start variable, size, step id) at any time.

    A no-overlap at capacity 1; otherwise a cumulative plus redundant lanes: each interval on exactly one of
    `capacity` lanes, a no-overlap per lane. The cumulative alone propagates weakly when the units are the
    bottleneck (plain parallel-machine scheduling); disjunctive lanes bring edge-finding and close many such
    gaps. Lanes are interchangeable, so the i-th interval may only use lanes 0..i.
    """
    if len(items) <= capacity:
        return
    intervals = [model.new_fixed_size_interval_var(start, size, f"{tag}_{step_id}") for start, size, step_id in items]
    if capacity == 1:
        model.add_no_overlap(intervals)
        return
    model.add_cumulative(intervals, [1] * len(intervals), capacity)
    if not REDUNDANT_LANES:
        return
    lanes: list[list[Any]] = [[] for _ in range(capacity)]
    for i, (start, size, step_id) in enumerate(items):
        choices = []
        for lane in range(min(capacity, i + 1)):
            on_lane = model.new_bool_var(f"{tag}_{step_id}_on_{lane}")
            lanes[lane].append(
                model.new_optional_fixed_size_interval_var(start, size, on_lane, f"{tag}_{step_id}_lane_{lane}")
            )
            choices.append(on_lane)
        model.add_exactly_one(choices)
    for lane_intervals in lanes:
        model.add_no_overlap(lane_intervals)


def _heads(data: AsyncplanData) -> dict[str, int]:
    """Earliest start of each step by precedences alone (the longest path into it)."""
    graph = precedence_graph(data)
    head: dict[str, int] = {}
    for step_id in nx.topological_sort(graph):
        head[step_id] = max((head[p] + graph.nodes[p]["duration"] for p in graph.predecessors(step_id)), default=0)
    return head


def solve(
    data: AsyncplanData, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None
) -> Reference:
    """Exact reference: minimum makespan, proven bound and a witness plan with agent ids.

    With unlimited agents and no stations the minimum is the longest path (the AsyncHow question), computed
    directly. A plan with durations given as ranges is solved at its shortest durations, and again at its
    longest: that optimum is the reference's `objective_max` (with `bound_max`).
    """
    reference = _solve_fixed(data, time_limit, workers, hint)
    if data.has_ranges():
        longest = _solve_fixed(data.at_longest(), time_limit, workers, None)
        extra = {"objective_max": longest.objective, "bound_max": longest.bound}  # extra fields of Reference
        reference = reference.model_copy(update={**extra, "time_s": round(reference.time_s + longest.time_s, 4)})
    return reference


def longest_path_reference(data: AsyncplanData) -> Reference:
    """The proven optimum with unlimited agents and no stations: every step at its earliest start."""
    began = time.perf_counter()
    starts = _heads(data)
    makespan = max((starts[s.id] + s.duration for s in data.steps), default=0)
    return Reference(
        status="optimal",
        objective=makespan,
        bound=makespan,
        solver="longest path",
        time_s=round(time.perf_counter() - began, 6),
        witness={"starts": starts, "agents": assign_agents(data, starts)},
    )


def _solve_fixed(data: AsyncplanData, time_limit: float, workers: int, hint: dict[str, Any] | None) -> Reference:
    if data.agents is None and not data.stations:
        return longest_path_reference(data)
    fallback = list_scheduler(data)
    horizon = max((fallback["starts"][s.id] + s.duration for s in data.steps), default=0)
    model, starts = build_model(data, horizon, (hint or fallback).get("starts"))
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    witness = None
    if _cpsat.status_name(status) in ("optimal", "feasible"):
        plan = {step_id: int(solver.value(var)) for step_id, var in starts.items()}
        witness = {"starts": plan, "agents": assign_agents(data, plan)}
    return _cpsat.reference(solver, status, seconds, witness)
