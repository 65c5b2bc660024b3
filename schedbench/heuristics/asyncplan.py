"""Asynchronous-planning baselines: a dispatch (list) scheduler with pluggable priorities, and the naive plan.

`dispatch` is the parallel schedule-generation scheme: time moves from event to event; at each time the
ready steps are tried in priority order and every step that fits starts at once — it needs a free agent for
its attended prefix (if any) and a free unit of its station. Since every step already running started no
later than now, a station's load can only fall from now on, so checking the load at the start suffices.
Every plan it builds is feasible; `sequential` is what a model that does one thing at a time answers.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from schedbench.problems.asyncplan import AsyncplanData, precedence_graph, remaining_path

Priority = Callable[[AsyncplanData], dict[str, float]]
"""A priority rule: step id → value; smaller values are dispatched first."""


def assign_agents(data: AsyncplanData, starts: Mapping[str, int]) -> dict[str, str]:
    """Agent ids for the attended prefixes of a schedule, by greedy interval colouring in start order.

    Greedy colouring by start time is optimal on interval graphs, so it needs exactly as many agents as the
    largest number of attended prefixes running at once; when that fits `data.agents`, the result is valid.
    """
    prefixes = sorted(
        (starts[s.id], starts[s.id] + s.attended, s.id) for s in data.steps if s.attended > 0 and s.id in starts
    )
    free: list[int] = []  # agent numbers whose last prefix has ended
    busy: list[tuple[int, int]] = []  # (end, agent number)
    assigned: dict[str, str] = {}
    next_agent = 1
    for start, end, step_id in prefixes:
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            agent = heapq.heappop(free)
        else:
            agent, next_agent = next_agent, next_agent + 1
        assigned[step_id] = f"A{agent}"
        heapq.heappush(busy, (end, agent))
    return assigned


def dispatch(data: AsyncplanData, priority: Mapping[str, float]) -> dict[str, Any]:
    """A feasible plan by the parallel scheme: at each event, start every ready step that fits, by priority.

    The ready steps stay sorted by (priority, id) as they arrive, and a pass over them stops once no agent is
    free and no ready step runs unattended: events cost what they start, not the length of the queue."""
    graph = precedence_graph(data)
    steps = {s.id: s for s in data.steps}
    capacity = data.station_capacity()
    waiting = {step_id: graph.in_degree(step_id) for step_id in graph}
    ready = sorted((priority[step_id], step_id) for step_id, k in waiting.items() if k == 0)
    agents_free = data.agents if data.agents is not None else len(steps)
    station_load = dict.fromkeys(capacity, 0)
    events: list[tuple[int, int, str, str]] = []  # (time, order, kind, step) with kind "agent" or "end"
    starts: dict[str, int] = {}
    unattended = sum(steps[step_id].attended == 0 for _, step_id in ready)  # ready steps that need no agent
    now = 0
    while len(starts) < len(steps):
        started = _start_fitting(steps, ready, now, agents_free, station_load, capacity, starts, unattended)
        for step_id in started:
            step = steps[step_id]
            if step.attended > 0:
                agents_free -= 1
                heapq.heappush(events, (now + step.attended, 0, "agent", step_id))
            else:
                unattended -= 1
            if step.station is not None:
                station_load[step.station] += 1
            heapq.heappush(events, (now + step.duration, 1, "end", step_id))
        if not events:
            raise ValueError("no step can ever start (a station or the agents cannot hold a single step)")
        now = events[0][0]
        while events and events[0][0] == now:
            _, _, kind, step_id = heapq.heappop(events)
            if kind == "agent":
                agents_free += 1
                continue
            station = steps[step_id].station
            if station is not None:
                station_load[station] -= 1
            for succ in graph.successors(step_id):
                waiting[succ] -= 1
                if waiting[succ] == 0:
                    bisect.insort(ready, (priority[succ], succ))
                    unattended += steps[succ].attended == 0
    return {"starts": starts, "agents": assign_agents(data, starts)}


def _start_fitting(
    steps: Mapping[str, Any],
    ready: list[tuple[float, str]],
    now: int,
    agents_free: int,
    station_load: dict[str, int],
    capacity: Mapping[str, int],
    starts: dict[str, int],
    unattended: int,
) -> list[str]:
    """Start (in `starts`) each ready step, in order, that has an agent and a station unit free; remove them.
    `unattended` counts the ready steps that need no agent: with no agent free, the pass ends after the last."""
    started: list[str] = []
    load = dict(station_load)
    taken: list[int] = []
    for index, (_, step_id) in enumerate(ready):
        if agents_free == 0 and unattended == 0:
            break
        step = steps[step_id]
        if step.attended == 0:
            unattended -= 1
        elif agents_free == 0:
            continue
        if step.station is not None and load[step.station] >= capacity[step.station]:
            continue
        if step.attended > 0:
            agents_free -= 1
        if step.station is not None:
            load[step.station] += 1
        starts[step_id] = now
        started.append(step_id)
        taken.append(index)
    for index in reversed(taken):
        del ready[index]
    return started


def longest_remaining_path_priority(data: AsyncplanData) -> dict[str, float]:
    """Longest remaining path (tail, own duration included) first."""
    return {step_id: -float(tail) for step_id, tail in remaining_path(data).items()}


def random_priority(data: AsyncplanData, seed: int = 0) -> dict[str, float]:
    """A random order (seeded)."""
    rng = np.random.default_rng(seed)
    return {s.id: float(x) for s, x in zip(data.steps, rng.random(len(data.steps)), strict=True)}


def list_scheduler(data: AsyncplanData) -> dict[str, Any]:
    """List scheduling, longest remaining path first: the critical-path dispatch rule."""
    return dispatch(data, longest_remaining_path_priority(data))


def random_plan(data: AsyncplanData, seed: int = 0) -> dict[str, Any]:
    """A random valid plan: dispatch in a random (seeded) priority order."""
    return dispatch(data, random_priority(data, seed))


def sequential(data: AsyncplanData) -> dict[str, Any]:
    """One thing at a time: each step starts when the previous one has finished, all by agent A1.

    Steps follow the plan's own order as far as precedences allow (what a naive reader does).
    """
    order = {s.id: i for i, s in enumerate(data.steps)}
    now = 0
    starts: dict[str, int] = {}
    durations = {s.id: s.duration for s in data.steps}
    for step_id in nx.lexicographical_topological_sort(precedence_graph(data), key=order.__getitem__):
        starts[step_id] = now
        now += durations[step_id]
    agents = {s.id: "A1" for s in data.steps if s.attended > 0}
    return {"starts": starts, "agents": agents}


BASELINES = {
    "list": list_scheduler,
    "sequential": sequential,
    "random": random_plan,
}


def justify(data: AsyncplanData, solution: dict[str, Any]) -> dict[str, Any]:
    """Forward–backward improvement for the dispatch scheme: a backward pass over the precedences gives each
    step its latest start against the plan's makespan; the dispatcher then runs forward once in the plan's own
    start order and once in latest-start order (ties by the plan's starts). Returns the shorter of the two
    plans (or the given one if both are longer); every plan the dispatcher builds is feasible."""
    starts = solution.get("starts")
    steps = {s.id: s for s in data.steps}
    if not isinstance(starts, dict) or set(starts) != set(steps):
        return solution
    graph = precedence_graph(data)
    makespan = max((int(starts[s]) + steps[s].duration for s in steps), default=0)
    latest: dict[str, int] = {}
    for step_id in reversed(list(nx.topological_sort(graph))):
        finish = min([makespan, *(latest[s] for s in graph.successors(step_id))])
        latest[step_id] = finish - steps[step_id].duration
    scale = makespan + 1
    candidates = [
        solution,
        dispatch(data, {s: float(starts[s]) for s in steps}),
        dispatch(data, {s: float(latest[s] * scale + int(starts[s])) for s in steps}),
    ]
    return min(candidates, key=lambda plan: max(int(plan["starts"][s]) + steps[s].duration for s in steps))
