"""CP-SAT model of RCPSP with downtime, windows and disjunctive pairs, minimising makespan.

An interval per task; a cumulative per resource in which each downtime stretch is a fixed interval that
uses the capacity it removes; windows as variable bounds; a no-overlap per disjunctive pair (pairs with a
zero-duration task are dropped: an empty interval overlaps nothing, while CP-SAT would still forbid a point
inside the other interval). Start domains are tightened by a forward/backward critical-path pass from an
upper bound — the makespan of a verified warm start (the caller's hint or a latest-finish-time serial SGS
schedule), which is also handed to CP-SAT as a hint. The makespan is bounded by the ends of the sink tasks
only, so the precedence propagators carry it.

Instances not proven within `DELAY_AFTER` get a second solve with precedence-graph delays (the idea of
OR-Tools' examples/python/rcpsp_sat.py): for each pair of tasks with parallel branches between them (the
project's start and end count as tasks), the smallest gap start(later) - end(earlier) that the tasks in
between allow, proven on a relaxed sub-project (nominal capacities, no downtimes or windows: every feasible
schedule, translated, is one of its schedules), smallest pairs first, each reusing the delays found so far.
"""

from __future__ import annotations

import graphlib
import math
import time
from dataclasses import dataclass
from typing import Any

from schedbench.problems._envelope import Reference
from schedbench.problems.rcpsp import RcpspData, downtime_profile, time_bounds
from schedbench.solvers import _cpsat, _deadline

#: The first solve, without delays, gets this much of the time limit; most instances are proven within it.
DELAY_AFTER = 1.0
#: Share of the time left after the first solve that the delay sub-problems may use.
DELAY_SHARE = 0.25
#: Larger instances skip the delay phase (the pair analysis grows with the cube of the task count).
DELAY_MAX_TASKS = 150


@dataclass(frozen=True)
class Delay:
    """A lower bound on start(later) - end(earlier) valid for every feasible schedule; None stands for the
    project's start (time 0) as `earlier` and for its end (the makespan) as `later`."""

    earlier: str | None
    later: str | None
    between: tuple[str, ...]
    value: int


def build_model(
    data: RcpspData, hint: dict[str, int] | None = None, upper: int | None = None, delays: list[Delay] | None = None
) -> tuple[Any, dict[str, Any]]:
    """The CP-SAT model and its start variables by task id; `upper` bounds the makespan (default: horizon);
    `delays` are added as generalised precedences."""
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
    _add_task_constraints(model, data, starts, intervals, with_downtime=True)
    lower = max((low + durations[t] for t, (low, _) in bounds.items()), default=0)
    makespan = model.new_int_var(min(lower, upper), upper, "makespan")
    with_successors = {a for a, _ in data.precedences}
    for task in data.tasks:
        if task.id not in with_successors:
            model.add(makespan >= starts[task.id] + task.duration)
    for delay in delays or ():
        earlier = 0 if delay.earlier is None else starts[delay.earlier] + durations[delay.earlier]
        later = makespan if delay.later is None else starts[delay.later]
        model.add(later >= earlier + delay.value)
    model.minimize(makespan)
    for task_id, value in (hint or {}).items():
        if task_id in starts:
            model.add_hint(starts[task_id], value)
    return model, starts


def _add_task_constraints(
    model: Any, data: RcpspData, starts: dict[str, Any], intervals: dict[str, Any], with_downtime: bool
) -> None:
    """Precedences, a cumulative per resource (downtime as fixed blocking intervals when `with_downtime`) and a
    no-overlap per disjunctive pair, over the tasks in `starts` (the whole project or a sub-project)."""
    tasks = [t for t in data.tasks if t.id in starts]
    durations = {t.id: t.duration for t in tasks}
    for a, b in data.precedences:
        if a in durations and b in durations:
            model.add(starts[b] >= starts[a] + durations[a])
    for resource in data.resources:
        users = [t for t in tasks if t.demands.get(resource.id, 0) > 0 and t.duration > 0]
        if not users:
            continue
        ivs = [intervals[t.id] for t in users]
        demands = [t.demands[resource.id] for t in users]
        for begin, end, level in downtime_profile(data, resource.id, resource.capacity) if with_downtime else ():
            ivs.append(model.new_fixed_size_interval_var(begin, end - begin, f"down_{resource.id}_{begin}"))
            demands.append(resource.capacity - level)
        model.add_cumulative(ivs, demands, resource.capacity)
    for a, b in data.disjunctive:
        if durations.get(a, 0) > 0 and durations.get(b, 0) > 0:
            model.add_no_overlap([intervals[a], intervals[b]])


def branching_pairs(data: RcpspData) -> list[tuple[str | None, str | None, tuple[str, ...]]]:
    """(earlier, later, tasks strictly between) for every pair of the precedence graph, extended by the
    project's start and end (None), where `later` is a transitive successor of `earlier` and at least two
    parallel branches join them (two successors of `earlier` and two predecessors of `later` lie on paths
    between them); fewest tasks in between first. The whole project (start to end) is left out."""
    ids = [t.id for t in data.tasks]
    n = len(ids)
    index = {task: i for i, task in enumerate(ids)}
    succ: list[set[int]] = [set() for _ in range(n + 2)]  # n: project start, n + 1: project end
    for first, second in data.precedences:
        succ[index[first]].add(index[second])
    with_predecessors = set().union(*succ[:n]) if n else set()
    for i in range(n):
        if i not in with_predecessors:
            succ[n].add(i)
        if not succ[i]:
            succ[i].add(n + 1)
    pred: list[set[int]] = [set() for _ in range(n + 2)]
    for i, targets in enumerate(succ):
        for j in targets:
            pred[j].add(i)
    order = list(graphlib.TopologicalSorter({i: pred[i] for i in range(n + 2)}).static_order())
    after, before = _reachable(reversed(order), succ), _reachable(order, pred)
    name = [*ids, None, None]
    pairs = []
    for a in order:
        for b in sorted(after[a]) if len(succ[a]) > 1 else ():
            between = after[a] & before[b]
            if (
                len(pred[b]) > 1
                and len(between) < n
                and len(succ[a] & (between | {b})) > 1
                and len(pred[b] & (between | {a})) > 1
            ):
                pairs.append((name[a], name[b], tuple(ids[i] for i in sorted(between))))
    return sorted(pairs, key=lambda pair: len(pair[2]))


def _reachable(order: Any, edges: list[set[int]]) -> list[set[int]]:
    """Transitive closure along `edges`, filled in an order where every edge target comes first."""
    reach: list[set[int]] = [set() for _ in edges]
    for node in order:
        for other in edges[node]:
            reach[node] |= {other} | reach[other]
    return reach


def relaxed_delay(
    data: RcpspData,
    earlier: str | None,
    later: str | None,
    between: tuple[str, ...],
    known: list[Delay],
    time_limit: float,
    workers: int,
) -> tuple[int | None, float]:
    """(lower bound on start(later) - end(earlier) or None, time used): the makespan of the sub-project of the
    tasks between, relaxed to nominal capacities without downtimes or windows, with the disjunctive pairs and
    the `known` delays inside it. Time used is CP-SAT's deterministic time with one worker (reproducible),
    else seconds."""
    from ortools.sat.python import cp_model

    inside = set(between)
    tasks = {t.id: t for t in data.tasks if t.id in inside}
    horizon = sum(t.duration for t in tasks.values())
    model = cp_model.CpModel()
    starts = {t: model.new_int_var(0, horizon, f"s_{t}") for t in tasks}
    ends = {t: starts[t] + tasks[t].duration for t in tasks}
    intervals = {t: model.new_fixed_size_interval_var(starts[t], tasks[t].duration, f"i_{t}") for t in tasks}
    span = model.new_int_var(0, horizon, "span")
    _add_task_constraints(model, data, starts, intervals, with_downtime=False)
    for task in tasks:
        model.add(span >= ends[task])
    lows: dict[str | None, Any] = {earlier: 0}  # `earlier` ends at time 0, `later` starts at the span
    lows.update(ends)
    highs: dict[str | None, Any] = {later: span}
    highs.update(starts)
    for delay in known:
        low, high = lows.get(delay.earlier), highs.get(delay.later)
        if low is not None and high is not None:  # both ends inside this sub-project
            model.add(high >= low + delay.value)
    model.minimize(span)
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    used = solver.deterministic_time if workers <= 1 else seconds
    if _cpsat.status_name(status) in ("optimal", "feasible"):
        return math.ceil(solver.best_objective_bound - 1e-6), used
    return None, used


def project_delays(data: RcpspData, budget: float, workers: int) -> tuple[list[Delay], float]:
    """(delays, time used) for the branching pairs, smallest first, while `budget` lasts (deterministic
    time with one worker, else seconds); pairs left over get the energetic bound of the tasks between."""
    delays: list[Delay] = []
    used = 0.0
    for earlier, later, between in branching_pairs(data):
        value = energy_gap(data, between)
        if used < budget:
            proven, spent = relaxed_delay(data, earlier, later, between, delays, budget - used, workers)
            used += spent
            value = max(value, proven or 0)
        if value > 0:
            delays.append(Delay(earlier, later, between, value))
    return delays, used


def energy_gap(data: RcpspData, between: tuple[str, ...]) -> int:
    """The smallest gap the tasks between can fit in by energy alone: max over resources of
    ceil(sum of duration x demand / capacity)."""
    inside = set(between)
    gap = 0
    for resource in data.resources:
        energy = sum(t.duration * t.demands.get(resource.id, 0) for t in data.tasks if t.id in inside)
        if energy and resource.capacity:
            gap = max(gap, -(-energy // resource.capacity))
    return gap


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


def solve(
    data: RcpspData,
    time_limit: float = 10.0,
    workers: int = 1,
    hint: dict[str, Any] | None = None,
    delay_after: float = DELAY_AFTER,
) -> Reference:
    """Exact reference: minimum makespan, proven bound and a witness schedule.

    A first solve gets `delay_after` of the time limit (0: no first solve); if it ends unproven, the rest goes
    to the delay phase (`DELAY_SHARE` of it) and a second solve with the delays, from the best schedule found.
    Time limits are in deterministic time with one worker, so both stages are reproducible."""
    began = time.perf_counter()
    _deadline.stage("finding a warm start (latest-finish-time serial schedule)")
    start_hint, upper = warm_start(data, (hint or {}).get("starts"))
    if start_hint is not None:
        _deadline.offer(_warm_reference(start_hint, upper, began))
    first, used = None, 0.0
    if delay_after > 0:
        first, used = _solve_once(data, min(time_limit, delay_after), workers, start_hint, upper)
        if first.status in ("optimal", "infeasible") or used >= time_limit or len(data.tasks) > DELAY_MAX_TASKS:
            return _timed(first, began)
        if first.witness is not None and first.objective is not None:
            start_hint, upper = first.witness["starts"], int(first.objective)
            _deadline.offer(_timed(first, began))
    _deadline.stage("computing precedence delays")
    delays, spent = project_delays(data, (time_limit - used) * DELAY_SHARE, workers)
    second, _ = _solve_once(data, max(0.0, time_limit - used - spent), workers, start_hint, upper, delays)
    return _timed(second if first is None else _combine(first, second), began)


def _warm_reference(starts: dict[str, int], makespan: int | None, began: float) -> Reference:
    """The verified warm start as an unproven reference (what stands if the time limit stops the solve)."""
    return Reference(
        status="feasible",
        objective=makespan,
        solver=_cpsat.solver_name(),
        time_s=round(time.perf_counter() - began, 4),
        witness={"starts": starts},
        incumbent="warm start (hint or baseline/lft)",
    )


def _timed(reference: Reference, began: float) -> Reference:
    """The reference with `time_s` = the whole `solve()` call (warm start, every stage)."""
    return reference.model_copy(update={"time_s": round(time.perf_counter() - began, 4)})


def _solve_once(
    data: RcpspData,
    time_limit: float,
    workers: int,
    start_hint: dict[str, int] | None,
    upper: int | None,
    delays: list[Delay] | None = None,
) -> tuple[Reference, float]:
    """(reference, time used: deterministic time with one worker, else seconds) of one CP-SAT solve."""
    _deadline.stage("building the CP-SAT model")
    model, starts = build_model(data, start_hint, upper, delays)
    _deadline.stage("solving with CP-SAT")
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    used = solver.deterministic_time if workers <= 1 else seconds
    if _cpsat.status_name(status) in ("optimal", "feasible"):
        witness = {"starts": {task_id: int(solver.value(var)) for task_id, var in starts.items()}}
        return _cpsat.reference(solver, status, seconds, witness), used
    if start_hint is not None:  # out of time before CP-SAT reported a solution: the warm start still stands
        return Reference(
            status="feasible",
            objective=upper,
            bound=None,
            solver=_cpsat.solver_name(),
            time_s=round(seconds, 4),
            witness={"starts": start_hint},
        ), used
    return _cpsat.reference(solver, status, seconds, None), used


def _combine(first: Reference, second: Reference) -> Reference:
    """One reference from both solves: the second's schedule (it starts from the first's best) and the
    better bound of the two."""
    if second.objective is None:  # the second solve found nothing: it can only add a proof of infeasibility
        return second if first.objective is None and second.status == "infeasible" else first
    bound = max((b for b in (first.bound, second.bound) if b is not None), default=None)
    if second.status == "optimal" or (bound is not None and bound >= second.objective):
        return second.model_copy(update={"status": "optimal", "bound": second.objective})
    return second.model_copy(update={"status": "feasible", "bound": bound})
