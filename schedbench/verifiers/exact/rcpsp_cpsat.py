"""CP-SAT model of RCPSP with downtime, windows and disjunctive pairs, minimising makespan.

An interval per task; a cumulative per resource in which each downtime stretch is a fixed interval that
uses the capacity it removes; windows as variable bounds; a no-overlap per disjunctive pair (pairs with a
zero-duration task are dropped: an empty interval overlaps nothing, while CP-SAT would still forbid a point
inside the other interval). Start domains are tightened by a forward/backward critical-path pass from an
upper bound — the makespan of a verified warm start (the caller's hint or a latest-finish-time serial SGS
schedule), which is also handed to CP-SAT as a hint. The makespan is bounded by the ends of the sink tasks
only, so the precedence propagators carry it.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx

from schedbench.problems._envelope import Reference
from schedbench.problems.rcpsp import RcpspData, earliest_starts
from schedbench.verifiers.exact import _cpsat


def downtime_profile(data: RcpspData, resource_id: str, capacity: int) -> list[tuple[int, int, int]]:
    """Disjoint (start, end, capacity) stretches where the resource's capacity is below normal.

    Overlapping downtimes take the smallest capacity, so blocking intervals never double-count.
    """
    downs = [d for d in data.downtimes if d.resource == resource_id and d.end > d.start]
    points = sorted({x for d in downs for x in (d.start, d.end)})
    stretches: list[tuple[int, int, int]] = []
    for a, b in itertools.pairwise(points):
        caps = [d.capacity for d in downs if d.start <= a and b <= d.end]
        level = min([capacity, *caps])
        if level < capacity:
            if stretches and stretches[-1][1] == a and stretches[-1][2] == level:
                stretches[-1] = (stretches[-1][0], b, level)
            else:
                stretches.append((a, b, level))
    return stretches


def time_bounds(data: RcpspData, upper: int) -> dict[str, tuple[int, int]]:
    """(earliest start, latest start) per task from releases, deadlines, precedences and an upper bound
    on every end (the earliest may exceed the latest: the instance is then infeasible within `upper`)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(t.id for t in data.tasks)
    graph.add_edges_from(data.precedences)
    earliest = earliest_starts(data)
    order = list(earliest)
    duration = {t.id: t.duration for t in data.tasks}
    latest_end: dict[str, int] = {}
    for task in reversed(order):
        window = data.windows.get(task)
        own = min(upper, window.deadline) if window and window.deadline is not None else upper
        latest_end[task] = min([own, *(latest_end[s] - duration[s] for s in graph.successors(task))])
    return {t: (earliest[t], latest_end[t] - duration[t]) for t in order}


def build_model(data: RcpspData, hint: dict[str, int] | None = None,
                upper: int | None = None) -> tuple[Any, dict[str, Any]]:
    """The CP-SAT model and its start variables by task id; `upper` bounds the makespan (default: horizon)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    upper = data.horizon if upper is None else min(upper, data.horizon)
    bounds = time_bounds(data, upper)
    starts: dict[str, Any] = {}
    intervals: dict[str, Any] = {}
    for task in data.tasks:
        low, high = bounds[task.id]
        start = model.new_int_var(low, max(low, high), f"s_{task.id}")
        if high < low:
            model.add(start <= high)  # provably infeasible; CP-SAT reports it
        starts[task.id] = start
        intervals[task.id] = model.new_fixed_size_interval_var(start, task.duration, f"i_{task.id}")
    durations = {t.id: t.duration for t in data.tasks}
    for a, b in data.precedences:
        model.add(starts[b] >= starts[a] + durations[a])
    for resource in data.resources:
        _add_resource(model, data, resource.id, resource.capacity, intervals)
    for a, b in data.disjunctive:
        if durations[a] > 0 and durations[b] > 0:
            model.add_no_overlap([intervals[a], intervals[b]])
    lower = max((low + durations[t] for t, (low, _) in bounds.items()), default=0)
    makespan = model.new_int_var(min(lower, upper), upper, "makespan")
    with_successors = {a for a, _ in data.precedences}
    for task in data.tasks:
        if task.id not in with_successors:
            model.add(makespan >= starts[task.id] + task.duration)
    model.minimize(makespan)
    for task_id, value in (hint or {}).items():
        if task_id in starts:
            model.add_hint(starts[task_id], value)
    return model, starts


def _add_resource(model: Any, data: RcpspData, resource_id: str, capacity: int, intervals: dict[str, Any]) -> None:
    users = [t for t in data.tasks if t.demands.get(resource_id, 0) > 0 and t.duration > 0]
    if not users:
        return
    ivs = [intervals[t.id] for t in users]
    demands = [t.demands[resource_id] for t in users]
    for a, b, level in downtime_profile(data, resource_id, capacity):
        ivs.append(model.new_fixed_size_interval_var(a, b - a, f"down_{resource_id}_{a}"))
        demands.append(capacity - level)
    model.add_cumulative(ivs, demands, capacity)


def warm_start(data: RcpspData, hint: dict[str, Any] | None) -> tuple[dict[str, int] | None, int | None]:
    """A verified feasible schedule and its makespan: the given hint if it verifies, else an LFT serial SGS
    schedule if that one does; (None, None) when neither is feasible."""
    from schedbench.heuristics.rcpsp import lft_priority, serial_sgs
    from schedbench.verifiers.rcpsp import verify

    candidates = [hint] if isinstance(hint, dict) else []
    candidates.append(serial_sgs(data, lft_priority(data)))
    for starts in candidates:
        result = verify(data, {"starts": starts})
        if result.feasible:
            return {t: int(s) for t, s in starts.items()}, int(result.objective or 0)
    return None, None


def solve(data: RcpspData, time_limit: float = 10.0, workers: int = 1,
          hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference: minimum makespan, proven bound and a witness schedule."""
    start_hint, upper = warm_start(data, (hint or {}).get("starts"))
    model, starts = build_model(data, start_hint, upper)
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    if _cpsat.status_name(status) in ("optimal", "feasible"):
        witness = {"starts": {task_id: int(solver.value(var)) for task_id, var in starts.items()}}
        return _cpsat.reference(solver, status, seconds, witness)
    if start_hint is not None:  # out of time before CP-SAT reported a solution: the warm start still stands
        return Reference(status="feasible", objective=upper, bound=None, solver=_cpsat.solver_name(),
                         time_s=round(seconds, 4), witness={"starts": start_hint})
    return _cpsat.reference(solver, status, seconds, None)
