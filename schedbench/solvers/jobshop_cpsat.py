"""CP-SAT model of the (flexible) job shop with releases, deadlines, a horizon and machine downtime.

An interval per operation; with several eligible machines, one optional interval per machine, exactly one
present, sharing the operation's start and end. A no-overlap per machine holds its intervals and its downtime
stretches as fixed intervals; job chains are precedences. The makespan is bounded by each job's last end.

The model is tightened before solving: an upper bound from the best verified dispatching schedule (every
Giffler–Thompson rule, and the caller's hint) sets the horizon and is the warm start; each operation's start
domain is cut to [head, upper − tail], head and tail being its job's shortest work before and after it (and
the release); the makespan starts at `lower_bound`: the longest job, and for machine sets (each machine, each
eligibility set, all machines) the work that can only run there, between heads and tails, net of downtime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from schedbench.problems._envelope import Reference, ReferenceStatus
from schedbench.problems.jobshop import JobshopData, downtime_blocks
from schedbench.solvers import _cpsat, _deadline

#: CP-SAT parameters for job shops, on top of the shared fixed seed and limits. With two or more threads the
#: portfolio gets a lower-bound tree search worker, which is what closes the gap on classic instances.
PARAMETERS: dict[str, Any] = {"use_strong_propagation_in_disjunctive": True}
#: Share of the time limit for the optimisation solve; the rest goes to the descent that proves the bound.
OPTIMISE_SHARE = 0.5
PARALLEL_SUBSOLVERS: tuple[str, ...] = ("default_lp", "quick_restart", "lb_tree_search", "max_lp", "core", "no_lp")
#: Put an interval [makespan, upper) on every machine without downtime (as OR-Tools' job-shop example does), so
#: the no-overlap reasoning (edge finding, energy) pushes the makespan up directly.
MAKESPAN_INTERVAL = True
#: The load bound tries at most this many machine sets (flexible shops can have one per operation).
MAX_MACHINE_SETS = 400


@dataclass
class Model:
    """A built CP-SAT model with the variables needed to read a schedule back."""

    model: Any
    starts: dict[str, Any]
    presence: dict[str, dict[str, Any]] = field(default_factory=dict)
    makespan: Any = None


def serial_horizon(data: JobshopData) -> int:
    """A makespan every left-justified feasible schedule stays within: past the last release and the last
    downtime, one operation after another on its longest machine."""
    last_event = max(
        [*(job.release for job in data.jobs), *(d.end for d in data.downtimes)],
        default=0,
    )
    return last_event + sum(max(op.durations.values()) for _, _, op in data.operations())


def heads_and_tails(data: JobshopData) -> tuple[dict[str, int], dict[str, int]]:
    """Per operation: the earliest start from its job's release and shortest preceding work, and the shortest
    work that must follow it in its job."""
    heads, tails = {}, {}
    for job in data.jobs:
        t = job.release
        for op in job.operations:
            heads[op.id] = t
            t += min(op.durations.values())
        t = 0
        for op in reversed(job.operations):
            tails[op.id] = t
            t += min(op.durations.values())
    return heads, tails


def basic_lower_bound(data: JobshopData) -> int:
    """max(longest job from its release, heaviest load of single-machine operations plus the downtime inside it).
    The generator's infeasible horizons are one below this bound, so it stays as it is."""
    heads, _ = heads_and_tails(data)
    chains = [
        heads[job.operations[-1].id] + min(job.operations[-1].durations.values()) for job in data.jobs if job.operations
    ]
    loads: dict[str, int] = {m.id: 0 for m in data.machines}
    for _, _, op in data.operations():
        if len(op.durations) == 1:
            machine, duration = next(iter(op.durations.items()))
            loads[machine] += duration
    blocks = downtime_blocks(data)
    machine_bounds = [_load_bound(load, blocks[m]) for m, load in loads.items() if load > 0]
    return max([0, *chains, *machine_bounds])


def lower_bound(data: JobshopData) -> int:
    """A makespan lower bound at least `basic_lower_bound`: for each candidate machine set S (each machine, each
    distinct eligibility set, all machines), the operations that can only run on S, with their shortest
    durations, must fit on S between their heads and tails. Sweeping head thresholds a, the operations with
    head ≥ a need a + (their work spread over S, outside downtime) + their least tail; without downtime the
    same sweep runs over tail thresholds. For a single machine this is the one-machine head-body-tail bound."""
    heads, tails = heads_and_tails(data)
    blocks = downtime_blocks(data)
    best = basic_lower_bound(data)
    operations = [op for _, _, op in data.operations()]
    for machines in machine_sets(data):
        items = [
            (heads[op.id], min(op.durations.values()), tails[op.id])
            for op in operations
            if op.durations.keys() <= machines
        ]
        if not items:
            continue
        stretches = [blocks[m] for m in sorted(machines)]
        best = max(best, _set_bound(items, stretches))
        if not any(stretches):  # downtime is not symmetric in time; without it, tails bound like heads
            best = max(best, _set_bound([(tail, work, head) for head, work, tail in items], stretches))
    return best


def machine_sets(data: JobshopData) -> list[frozenset[str]]:
    """Candidate machine sets of the load bound: each machine, each distinct eligibility set, all machines (at
    most MAX_MACHINE_SETS, smallest first)."""
    sets = {frozenset([m.id]) for m in data.machines}
    sets |= {frozenset(op.durations) for _, _, op in data.operations()}
    sets.add(frozenset(m.id for m in data.machines))
    return sorted(sets, key=lambda s: (len(s), sorted(s)))[:MAX_MACHINE_SETS]


def _set_bound(items: list[tuple[int, int, int]], stretches: list[list[tuple[int, int]]]) -> int:
    """max over head thresholds a of: the earliest end of the work of the (head, work, tail) items with head ≥ a
    on the set's machines from a, plus their least tail."""
    best, work, least_tail = 0, 0, None
    for head, duration, tail in sorted(items, reverse=True):
        work += duration
        least_tail = tail if least_tail is None else min(least_tail, tail)
        best = max(best, _fill_end(stretches, head, work) + least_tail)
    return best


def _fill_end(stretches: list[list[tuple[int, int]]], start: int, work: int) -> int:
    """The earliest E by which machines with these downtime stretches offer `work` units of time from `start`."""
    low = start + -(-work // len(stretches))
    if not any(stretches):
        return low
    high = start + work + max(sum(b - a for a, b in blocks) for blocks in stretches)
    while low < high:  # free time grows with E: bisect
        middle = (low + high) // 2
        if sum(_free_time(blocks, start, middle) for blocks in stretches) >= work:
            high = middle
        else:
            low = middle + 1
    return low


def _free_time(blocks: list[tuple[int, int]], start: int, end: int) -> int:
    """Time in [start, end) outside the downtime stretches."""
    return max(0, end - start) - sum(max(0, min(end, b) - max(start, a)) for a, b in blocks)


def _load_bound(load: int, blocks: list[tuple[int, int]]) -> int:
    """The earliest time by which `load` units of work fit on a machine outside its downtime stretches."""
    t = load
    for a, b in blocks:  # sorted, disjoint: each stretch starting before t pushes t by its length
        if a < t:
            t += b - a
    return t


def build_model(data: JobshopData, upper: int, hint: dict[str, Any] | None = None) -> Model:
    """The CP-SAT model with every end ≤ `upper` (and the horizon); `hint` is a schedule to start from."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    if data.horizon is not None:
        upper = min(upper, data.horizon)
    heads, tails = heads_and_tails(data)
    built = Model(model, {})
    ends: dict[str, Any] = {}
    by_machine: dict[str, list[Any]] = {m.id: [] for m in data.machines}
    for job, _, op in data.operations():
        low = heads[op.id]
        shortest = min(op.durations.values())
        latest_end = upper - tails[op.id]
        if job.deadline is not None:
            latest_end = min(latest_end, job.deadline - tails[op.id])
        high = max(low, latest_end - shortest)
        start = model.new_int_var(low, high, f"s_{op.id}")
        if latest_end - shortest < low:
            model.add(start < low)  # provably infeasible; CP-SAT reports it
        built.starts[op.id] = start
        if len(op.durations) == 1:
            machine, duration = next(iter(op.durations.items()))
            ends[op.id] = start + duration
            if duration > 0:
                by_machine[machine].append(model.new_fixed_size_interval_var(start, duration, f"i_{op.id}"))
            continue
        end = model.new_int_var(low + shortest, max(low + shortest, latest_end), f"e_{op.id}")
        model.add(end <= latest_end)
        ends[op.id] = end
        literals = {}
        for machine, duration in op.durations.items():
            present = model.new_bool_var(f"p_{op.id}_{machine}")
            literals[machine] = present
            model.add(end == start + duration).only_enforce_if(present)
            if duration > 0:
                interval = model.new_optional_fixed_size_interval_var(start, duration, present, f"i_{op.id}_{machine}")
                by_machine[machine].append(interval)
        model.add_exactly_one(literals.values())
        built.presence[op.id] = literals
    lower = min(lower_bound(data), upper)
    makespan = model.new_int_var(lower, max(lower, upper), "makespan")
    tail = model.new_interval_var(makespan, max(lower, upper) - makespan, max(lower, upper), "after_makespan")
    blocks = downtime_blocks(data)
    for machine, intervals in by_machine.items():
        fixed = [model.new_fixed_size_interval_var(a, b - a, f"down_{machine}_{a}") for a, b in blocks[machine]]
        if MAKESPAN_INTERVAL and intervals and not fixed:
            fixed = [tail]  # nothing runs after the makespan: the machine's reasoning then bounds the makespan
        if len(intervals) + len(fixed) > 1 and intervals:
            model.add_no_overlap(intervals + fixed)
    for job in data.jobs:
        for a, b in zip(job.operations, job.operations[1:], strict=False):
            model.add(built.starts[b.id] >= ends[a.id])
        last = ends[job.operations[-1].id]
        model.add(makespan >= last)
        if job.deadline is not None:
            model.add(last <= job.deadline)
    model.minimize(makespan)
    built.makespan = makespan
    _add_hint(built, hint)
    return built


def _add_hint(built: Model, hint: dict[str, Any] | None) -> None:
    """Hint every start, and the machine choice of flexible operations, from a schedule."""
    if not hint:
        return
    starts, machines = hint.get("starts") or {}, hint.get("machines") or {}
    for op_id, var in built.starts.items():
        if op_id in starts:
            built.model.add_hint(var, int(starts[op_id]))
    for op_id, literals in built.presence.items():
        for machine, literal in literals.items():
            built.model.add_hint(literal, machines.get(op_id) == machine)


def warm_start(data: JobshopData, hint: dict[str, Any] | None) -> tuple[dict[str, Any] | None, int | None]:
    """The best verified schedule among the caller's hint and every dispatching rule, with its makespan."""
    from schedbench.heuristics.jobshop import BASELINES
    from schedbench.verifiers.jobshop import verify

    candidates = [hint] if isinstance(hint, dict) else []
    candidates += [rule(data) for rule in BASELINES.values()]
    best, best_value = None, None
    for schedule in candidates:
        result = verify(data, schedule)
        if result.feasible and result.objective is not None and (best_value is None or result.objective < best_value):
            best, best_value = schedule, int(result.objective)
    return best, best_value


def solve(
    data: JobshopData, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None
) -> Reference:
    """Exact reference: minimum makespan, proven bound and a witness schedule (`optimal`, `feasible` with
    the bound at the limit, `infeasible`, or `unknown`). Limits follow the shared CP-SAT rule: deterministic
    time with one worker, wall-clock seconds with several."""
    began = time.perf_counter()
    _deadline.stage("finding a warm start (dispatching rules)")
    start, upper = warm_start(data, hint)
    bound = lower_bound(data)
    if upper is not None and upper <= bound:  # the dispatching schedule is already optimal
        return _record("optimal", upper, upper, start, began)
    if start is not None:
        _deadline.offer(_record("feasible", upper, None, start, began))
    _deadline.stage("building the CP-SAT model")
    built = build_model(data, upper if upper is not None else serial_horizon(data), start)
    _deadline.stage("solving with CP-SAT")
    solver, status, _ = _cpsat.run(built.model, time_limit * OPTIMISE_SHARE, workers, _parameters(workers))
    used = _used(solver, workers, began)
    name = _cpsat.status_name(status)
    if name in ("optimal", "feasible"):
        start, upper = read_schedule(data, built, solver), round(solver.objective_value)
        bound = max(bound, round(solver.best_objective_bound))
    elif name == "infeasible" or start is None or upper is None:
        return _record(name, None, None, None, began)
    else:  # out of time before CP-SAT reported: the warm start stands
        bound = max(bound, round(solver.best_objective_bound))
    _deadline.offer(_record("feasible", upper, min(bound, upper), start, began))
    if bound < upper:
        _deadline.stage("proving the bound by descent")
        wall_end = began + time_limit * (_cpsat.WALL_CLOCK_BACKSTOP if workers <= 1 else 1.0)
        start, upper, bound = prove_by_descent(data, start, upper, bound, time_limit - used, workers, wall_end)
    return _record("optimal" if bound >= upper else "feasible", upper, min(bound, upper), start, began)


def prove_by_descent(
    data: JobshopData,
    schedule: dict[str, Any],
    upper: int,
    bound: int,
    budget: float,
    workers: int,
    wall_end: float = float("inf"),
) -> tuple[dict[str, Any], int, int]:
    """Close the gap from above: ask CP-SAT for any schedule with makespan ≤ upper − 1 (no objective, so
    the no-overlap propagation works on tight time windows); infeasible proves `upper` optimal, a schedule
    lowers `upper` and the question is asked again, until `budget` (deterministic time with one worker,
    else seconds) runs out or the wall clock reaches `wall_end` (the whole solve's backstop under load).
    Returns the best schedule, its makespan and the proven bound."""
    while bound < upper and budget > 0 and time.perf_counter() < wall_end:
        began = time.perf_counter()
        built = build_model(data, upper - 1)
        built.model.clear_objective()
        backstop = _cpsat.WALL_CLOCK_BACKSTOP if workers <= 1 else 1.0
        limit = min(budget, (wall_end - time.perf_counter()) / backstop)
        solver, status, _ = _cpsat.run(built.model, max(limit, 0.01), workers, _parameters(workers))
        budget -= _used(solver, workers, began)
        name = _cpsat.status_name(status)
        if name == "infeasible":
            bound = upper
        elif name in ("optimal", "feasible"):
            schedule = read_schedule(data, built, solver)
            upper = schedule_makespan(data, schedule)
        else:
            break
    return schedule, upper, bound


def schedule_makespan(data: JobshopData, schedule: dict[str, Any]) -> int:
    """The makespan of a complete schedule read from the solver."""
    from schedbench.heuristics.jobshop import makespan

    return makespan(data, schedule)


def _used(solver: Any, workers: int, began: float) -> float:
    """Time a solve used: CP-SAT's deterministic time with one worker, else wall-clock seconds."""
    return solver.deterministic_time if workers <= 1 else time.perf_counter() - began


def _record(status: ReferenceStatus, objective: int | None, bound: int | None, witness: Any, began: float) -> Reference:
    return Reference(
        status=status,
        objective=objective,
        bound=bound,
        solver=_cpsat.solver_name(),
        time_s=round(time.perf_counter() - began, 4),
        witness=witness,
    )


def _parameters(workers: int) -> dict[str, Any]:
    params = dict(PARAMETERS)
    if workers > 1:
        params["subsolvers"] = list(PARALLEL_SUBSOLVERS[:workers])
    return params


def read_schedule(data: JobshopData, built: Model, solver: Any) -> dict[str, Any]:
    """The solver's schedule as an answer: starts, and machines of operations with several eligible ones."""
    starts = {op_id: int(solver.value(var)) for op_id, var in built.starts.items()}
    machines = {
        op_id: next(m for m, literal in literals.items() if solver.boolean_value(literal))
        for op_id, literals in built.presence.items()
    }
    return {"starts": starts, "machines": machines} if machines else {"starts": starts}
