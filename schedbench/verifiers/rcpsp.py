"""RCPSP verifier: every constraint and violation type of docs/formats.md, by event sweep."""

from __future__ import annotations

from typing import Any

import numpy as np

from schedbench.problems._envelope import Reference, Verification, Violation
from schedbench.problems.rcpsp import RcpspData
from schedbench.verifiers import _result
from schedbench.verifiers._result import finish

VIOLATION_TYPES = (
    "missing",
    "unknown",
    "duplicate",
    "invalid_value",
    "precedence",
    "capacity",
    "downtime",
    "release",
    "deadline",
    "disjunctive",
    "horizon",
    "infeasible_claim",
)
_INT64_SAFE = 2**61


def verify(data: RcpspData, solution: Any, reference: Reference | None = None) -> Verification:
    """Check a solution (any JSON value) against an RCPSP instance; never raises."""
    if isinstance(solution, dict) and solution.get("infeasible") is True:
        return finish([], None, reference, claimed_infeasible=True)
    raw = solution.get("starts") if isinstance(solution, dict) else None
    starts, violations = read_starts(data, raw)
    violations += check_schedule(data, starts)
    complete = len(starts) == len(data.tasks)
    durations = {t.id: t.duration for t in data.tasks}
    makespan = max((s + durations[t] for t, s in starts.items()), default=0) if complete else None
    return finish(violations, makespan, reference)


def read_starts(data: RcpspData, raw: Any) -> tuple[dict[str, int], list[Violation]]:
    """Valid starts by task id, and the missing/unknown/duplicate/invalid_value violations."""
    return _result.read_starts(raw, [t.id for t in data.tasks], ("task", "id"), "task")


def check_schedule(data: RcpspData, starts: dict[str, int]) -> list[Violation]:
    """Constraint violations among the tasks that have a valid start."""
    dur = {t.id: t.duration for t in data.tasks}
    out: list[Violation] = []
    for a, b in data.precedences:
        if a in starts and b in starts and starts[b] < starts[a] + dur[a]:
            out.append(
                Violation(
                    type="precedence",
                    items=[a, b],
                    detail=f"{b} starts at {starts[b]}, {a} ends at {starts[a] + dur[a]}",
                )
            )
    for task, start in starts.items():
        if start + dur[task] > data.horizon:
            out.append(
                Violation(
                    type="horizon", items=[task], detail=f"{task} ends at {start + dur[task]} > horizon {data.horizon}"
                )
            )
    for task, window in data.windows.items():
        if task not in starts:
            continue
        if starts[task] < window.release:
            out.append(
                Violation(
                    type="release", items=[task], detail=f"{task} starts at {starts[task]} < release {window.release}"
                )
            )
        if window.deadline is not None and starts[task] + dur[task] > window.deadline:
            out.append(
                Violation(
                    type="deadline",
                    items=[task],
                    detail=f"{task} ends at {starts[task] + dur[task]} > deadline {window.deadline}",
                )
            )
    for a, b in data.disjunctive:
        if a in starts and b in starts and _overlap(starts[a], dur[a], starts[b], dur[b]):
            out.append(
                Violation(
                    type="disjunctive",
                    items=[a, b],
                    detail=f"{a} [{starts[a]}, {starts[a] + dur[a]}) overlaps {b} [{starts[b]}, {starts[b] + dur[b]})",
                )
            )
    for resource in data.resources:
        out += _resource_violations(data, resource.id, resource.capacity, starts, dur)
    return out


def _overlap(s1: int, d1: int, s2: int, d2: int) -> bool:
    return d1 > 0 and d2 > 0 and s1 < s2 + d2 and s2 < s1 + d1


def _resource_violations(
    data: RcpspData, rid: str, capacity: int, starts: dict[str, int], dur: dict[str, int]
) -> list[Violation]:
    """Sweep the load of one resource over its event points; one violation per overloaded stretch."""
    users = [
        (t.id, starts[t.id], t.demands.get(rid, 0))
        for t in data.tasks
        if t.id in starts and t.demands.get(rid, 0) > 0 and t.duration > 0
    ]
    if not users:
        return []
    downs = [d for d in data.downtimes if d.resource == rid and d.end > d.start]
    s = [u[1] for u in users]
    e = [u[1] + dur[u[0]] for u in users]
    q = [u[2] for u in users]
    magnitudes = [max(e), sum(q), capacity, *(d.end for d in downs), *(d.capacity for d in downs)]
    dtype: Any = object if max(magnitudes) >= _INT64_SAFE else np.int64  # exact Python ints past int64
    s_arr, e_arr, q_arr = np.array(s, dtype=dtype), np.array(e, dtype=dtype), np.array(q, dtype=dtype)
    points = np.unique(
        np.concatenate([s_arr, e_arr, np.array([x for d in downs for x in (d.start, d.end)], dtype=dtype)])
    )
    delta = np.zeros(len(points), dtype=dtype)
    np.add.at(delta, np.searchsorted(points, s_arr), q_arr)
    np.subtract.at(delta, np.searchsorted(points, e_arr), q_arr)
    load = np.cumsum(delta)
    cap = np.full(len(points), capacity, dtype=dtype)
    in_down = np.zeros(len(points), dtype=bool)
    for d in downs:
        mask = (points >= d.start) & (points < d.end)
        cap[mask] = np.minimum(cap[mask], d.capacity)
        in_down |= mask
    over = np.nonzero(load > cap)[0]
    if len(over) == 0:
        return []
    kinds = np.where(in_down[over] & (load[over] <= capacity), "downtime", "capacity")
    out: list[Violation] = []
    run_start = 0
    for i in range(1, len(over) + 1):
        k = over[run_start]
        if i < len(over) and over[i] == over[i - 1] + 1 and (load[over[i]], cap[over[i]]) == (load[k], cap[k]):
            continue  # one violation per stretch of constant load and capacity: its interval is exact
        k1 = over[i - 1]
        t0, t1 = points[k], points[k1 + 1] if k1 + 1 < len(points) else points[k1]
        running = sorted({u[0] for u, a, b in zip(users, s, e, strict=True) if a < t1 and b > t0})
        reduced = " (reduced by downtime)" if in_down[k] and cap[k] < capacity else ""
        out.append(
            Violation(
                type=str(kinds[run_start]),
                items=[rid, *running],
                detail=f"{rid} load {load[k]} > capacity {cap[k]}{reduced} during [{t0}, {t1})",
            )
        )
        run_start = i
    return out
