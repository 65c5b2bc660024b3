"""CP-SAT model of RCPSP with downtime, windows and disjunctive pairs, minimising makespan.

An interval per task; a cumulative per resource in which each downtime stretch is a fixed interval that
uses the capacity it removes; windows as variable bounds; a no-overlap per disjunctive pair.
"""

from __future__ import annotations

import itertools
from typing import Any

from schedbench.problems._envelope import Reference
from schedbench.problems.rcpsp import RcpspData
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


def build_model(data: RcpspData, hint: dict[str, int] | None = None) -> tuple[Any, dict[str, Any]]:
    """The CP-SAT model and its start variables by task id."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    horizon = data.horizon
    starts: dict[str, Any] = {}
    intervals: dict[str, Any] = {}
    for task in data.tasks:
        window = data.windows.get(task.id)
        release = window.release if window else 0
        latest_end = min(horizon, window.deadline) if window and window.deadline is not None else horizon
        latest_start = latest_end - task.duration
        start = model.new_int_var(release, max(release, latest_start), f"s_{task.id}")
        if latest_start < release:
            model.add(start <= latest_start)  # provably infeasible; CP-SAT reports it
        starts[task.id] = start
        intervals[task.id] = model.new_fixed_size_interval_var(start, task.duration, f"i_{task.id}")
    durations = {t.id: t.duration for t in data.tasks}
    for a, b in data.precedences:
        model.add(starts[b] >= starts[a] + durations[a])
    for resource in data.resources:
        users = [t for t in data.tasks if t.demands.get(resource.id, 0) > 0 and t.duration > 0]
        if not users:
            continue
        ivs = [intervals[t.id] for t in users]
        demands = [t.demands[resource.id] for t in users]
        for a, b, level in downtime_profile(data, resource.id, resource.capacity):
            ivs.append(model.new_fixed_size_interval_var(a, b - a, f"down_{resource.id}_{a}"))
            demands.append(resource.capacity - level)
        model.add_cumulative(ivs, demands, resource.capacity)
    for a, b in data.disjunctive:
        model.add_no_overlap([intervals[a], intervals[b]])
    makespan = model.new_int_var(0, horizon, "makespan")
    if data.tasks:
        model.add_max_equality(makespan, [starts[t.id] + t.duration for t in data.tasks])
    model.minimize(makespan)
    for task_id, value in (hint or {}).items():
        if task_id in starts:
            model.add_hint(starts[task_id], value)
    return model, starts


def solve(data: RcpspData, time_limit: float = 10.0, workers: int = 1,
          hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference: minimum makespan, proven bound and a witness schedule."""
    model, starts = build_model(data, (hint or {}).get("starts"))
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    witness = None
    if _cpsat.status_name(status) in ("optimal", "feasible"):
        witness = {"starts": {task_id: int(solver.value(var)) for task_id, var in starts.items()}}
    return _cpsat.reference(solver, status, seconds, witness)
