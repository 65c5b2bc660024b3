"""RCPSP baselines: priority rules feeding a serial schedule-generation scheme (SGS).

The SGS honours precedences, releases, downtime and disjunctive pairs; deadlines and the horizon are not
searched for, so a rule can produce an infeasible schedule (the verifier reports it, as for any model).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable

import networkx as nx
import numpy as np

from schedbench.problems.rcpsp import RcpspData, Task, downtime_profile

Priority = Callable[[RcpspData], dict[str, float]]


class FreeCapacity:
    """A resource's free capacity over time as a step function (breakpoints, free amount from each on).

    Event-based, so memory and time depend on the number of tasks and downtimes, never on the time scale.
    """

    def __init__(self, capacity: int, stretches: list[tuple[int, int, int]]) -> None:
        self.times: list[int] = [0]
        self.free: list[int] = [capacity]
        for a, b, level in stretches:
            self.reserve(a, b, capacity - level)

    def _split(self, t: int) -> int:
        """Index of the breakpoint at t, inserted if absent."""
        i = bisect.bisect_right(self.times, t) - 1
        if self.times[i] != t:
            self.times.insert(i + 1, t)
            self.free.insert(i + 1, self.free[i])
            i += 1
        return i

    def reserve(self, start: int, end: int, amount: int) -> None:
        """Use `amount` during [start, end)."""
        if end <= start or amount == 0:
            return
        first, last = self._split(start), self._split(end)
        for i in range(first, last):
            self.free[i] -= amount

    def first_fit(self, start: int, duration: int, amount: int) -> int:
        """The earliest s ≥ start with at least `amount` free throughout [s, s + duration): one forward pass over
        the breakpoints, each stretch short of `amount` moving s to its end."""
        times, free = self.times, self.free
        i = bisect.bisect_right(times, start) - 1
        s = start
        while True:
            if free[i] < amount:
                if i + 1 == len(times):  # short for ever: cannot happen for a finite reservation
                    raise ValueError("demand exceeds the capacity for ever")
                s = times[i + 1]
            elif i + 1 == len(times) or times[i + 1] >= s + duration:
                return s
            i += 1


def serial_sgs(data: RcpspData, priority: dict[str, float]) -> dict[str, int]:
    """Schedule tasks one by one, the eligible task with the smallest priority value first, each at its
    earliest start that respects precedences, releases, resources, downtime and disjunctive pairs.

    A task demanding more than a resource's capacity is placed as if it fitted (its schedule is then
    infeasible, which the verifier reports).
    """
    durations = {t.id: t.duration for t in data.tasks}
    profiles = {r.id: FreeCapacity(r.capacity, downtime_profile(data, r.id, r.capacity)) for r in data.resources}
    capacity = {r.id: r.capacity for r in data.resources}
    graph = nx.DiGraph()
    graph.add_nodes_from(durations)
    graph.add_edges_from(data.precedences)
    partners: dict[str, list[str]] = {t: [] for t in durations}
    for a, b in data.disjunctive:
        partners[a].append(b)
        partners[b].append(a)
    remaining_preds = {t: graph.in_degree(t) for t in graph}
    eligible = [(priority[t], t) for t, k in remaining_preds.items() if k == 0]
    heapq.heapify(eligible)
    starts: dict[str, int] = {}
    tasks = {t.id: t for t in data.tasks}
    while eligible:
        task = tasks[heapq.heappop(eligible)[1]]
        window = data.windows.get(task.id)
        earliest = max(
            [window.release if window else 0, *(starts[p] + durations[p] for p in graph.predecessors(task.id))]
        )
        busy = [(starts[p], starts[p] + durations[p]) for p in partners[task.id] if p in starts]
        demands = {r: q for r, q in task.demands.items() if 0 < q <= capacity[r]}
        start = earliest_fit(task, earliest, profiles, demands, busy)
        starts[task.id] = start
        for rid, q in demands.items():
            profiles[rid].reserve(start, start + task.duration, q)
        for succ in graph.successors(task.id):
            remaining_preds[succ] -= 1
            if remaining_preds[succ] == 0:
                heapq.heappush(eligible, (priority[succ], succ))
    return starts


def earliest_fit(
    task: Task, earliest: int, profiles: dict[str, FreeCapacity], demands: dict[str, int], busy: list[tuple[int, int]]
) -> int:
    """The first start ≥ earliest where every demand fits and no busy interval overlaps: each resource and busy
    interval moves the start to the earliest it allows, until none moves it (no start skipped can fit)."""
    if task.duration == 0:
        return earliest
    t = earliest
    while True:
        start = t
        for rid, q in demands.items():
            start = profiles[rid].first_fit(start, task.duration, q)
        end = start + task.duration
        start = max((b for a, b in busy if a < end and start < b and b > a), default=start)
        if start == t:
            return t
        t = start


def latest_finish_times(data: RcpspData) -> dict[str, float]:
    """Backward pass over precedences from the horizon (and deadlines): the LFT of each task."""
    graph = nx.DiGraph(list(data.precedences))
    graph.add_nodes_from(t.id for t in data.tasks)
    durations = {t.id: t.duration for t in data.tasks}
    lft: dict[str, float] = {}
    for task_id in reversed(list(nx.topological_sort(graph))):
        window = data.windows.get(task_id)
        own = window.deadline if window and window.deadline is not None else data.horizon
        succ = [lft[s] - durations[s] for s in graph.successors(task_id)]
        lft[task_id] = min([own, *succ])
    return lft


def lft_priority(data: RcpspData) -> dict[str, float]:
    """Latest finish time first."""
    return latest_finish_times(data)


def mts_priority(data: RcpspData) -> dict[str, float]:
    """Most total successors first."""
    graph = nx.DiGraph(list(data.precedences))
    graph.add_nodes_from(t.id for t in data.tasks)
    return {t: -float(len(nx.descendants(graph, t))) for t in graph}


def spt_priority(data: RcpspData) -> dict[str, float]:
    """Shortest processing time first."""
    return {t.id: float(t.duration) for t in data.tasks}


def random_priority(data: RcpspData, seed: int = 0) -> dict[str, float]:
    """A random order (seeded)."""
    rng = np.random.default_rng(seed)
    return {t.id: float(x) for t, x in zip(data.tasks, rng.random(len(data.tasks)), strict=True)}


def _rule(priority: Priority) -> Callable[[RcpspData], dict[str, object]]:
    def baseline(data: RcpspData) -> dict[str, object]:
        return {"starts": serial_sgs(data, priority(data))}

    baseline.__doc__ = f"Serial SGS with priority: {priority.__doc__}"
    return baseline


BASELINES = {
    "lft": _rule(lft_priority),
    "mts": _rule(mts_priority),
    "spt": _rule(spt_priority),
    "random": _rule(random_priority),
}


def mirrored(data: RcpspData, makespan: int) -> RcpspData:
    """The project read backwards from `makespan`: time t becomes makespan − t, precedences turn round,
    downtimes are reflected, a deadline becomes a release and a release a deadline."""
    downtimes = [
        d.model_copy(update={"start": max(0, makespan - d.end), "end": max(0, makespan - d.start)})
        for d in data.downtimes
        if d.start < makespan
    ]
    windows = {
        task_id: w.model_copy(
            update={
                "release": max(0, makespan - w.deadline) if w.deadline is not None else 0,
                "deadline": makespan - w.release if w.release > 0 else None,
            }
        )
        for task_id, w in data.windows.items()
    }
    return data.model_copy(
        update={
            "horizon": max(data.horizon, makespan),
            "precedences": [(b, a) for a, b in data.precedences],
            "downtimes": downtimes,
            "windows": windows,
        }
    )


def justify(data: RcpspData, solution: dict[str, object]) -> dict[str, object]:
    """Forward–backward improvement (double justification, Valls, Ballestín & Quintanilla 2005): a backward
    serial SGS in order of latest finish (right-justifies every task against the makespan), then a forward
    serial SGS in order of those starts (left-justifies). Returns the forward schedule when the backward one
    fits within the makespan, else the given solution; the caller verifies and keeps the better one."""
    starts = solution.get("starts")
    if not isinstance(starts, dict) or set(starts) != {t.id for t in data.tasks}:
        return solution
    durations = {t.id: t.duration for t in data.tasks}
    makespan = max((int(starts[t]) + durations[t] for t in durations), default=0)
    backward = serial_sgs(
        mirrored(data, makespan), {t: float(makespan - int(starts[t]) - durations[t]) for t in starts}
    )
    if max((backward[t] + durations[t] for t in durations), default=0) > makespan:
        return solution
    right = {t: makespan - backward[t] - durations[t] for t in durations}
    return {"starts": serial_sgs(data, {t: float(s) for t, s in right.items()})}
