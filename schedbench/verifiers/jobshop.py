"""Job-shop verifier: every constraint of a (flexible) job shop with windows and downtime, by event sweep.

An answer is `{"starts": {op: start}, "machines": {op: machine}}`; a machine is needed only for operations
with several eligible machines (with one, it is implied; naming it anyway is checked). Lists of `[op, value]`
pairs or `{"op": .., "start": ..}` records also read, so repeated operations can be named as duplicates.
Operations of zero duration occupy no machine. Types beyond the shared ones: `job_order` (an operation starts
before its job predecessor ends), `machine_overlap` (two operations on one machine at once), `eligibility`
(a machine that cannot process the operation, or no such machine), and `downtime` (running while the machine
is down). `release`/`deadline` concern a job's first start and last end, `horizon` (when given) every job's last end.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Any

from schedbench.problems._envelope import Reference, Verification, Violation
from schedbench.problems.jobshop import JobshopData, downtime_blocks
from schedbench.verifiers import _result
from schedbench.verifiers._result import entries, finish, hashable_id, shown

VIOLATION_TYPES = (
    "missing",
    "unknown",
    "duplicate",
    "invalid_value",
    "eligibility",
    "job_order",
    "machine_overlap",
    "downtime",
    "release",
    "deadline",
    "horizon",
    "infeasible_claim",
)
_KEYS = ("op", "operation", "id", "task")


def verify(data: JobshopData, solution: Any, reference: Reference | None = None) -> Verification:
    """Check a solution (any JSON value) against a job-shop instance; never raises."""
    if isinstance(solution, dict) and solution.get("infeasible") is True:
        return finish([], None, reference, claimed_infeasible=True)
    raw_starts = solution.get("starts") if isinstance(solution, dict) else None
    raw_machines = solution.get("machines") if isinstance(solution, dict) else None
    starts, violations = read_starts(data, raw_starts)
    machines, machine_violations = read_machines(data, raw_machines)
    violations += machine_violations
    violations += check_schedule(data, starts, machines)
    complete = len(starts) == len(machines) == data.n_operations()
    makespan = None
    if complete:
        makespan = max(
            (starts[op.id] + op.durations[machines[op.id]] for _, _, op in data.operations()),
            default=0,
        )
    return finish(violations, makespan, reference)


def read_starts(data: JobshopData, raw: Any) -> tuple[dict[str, int], list[Violation]]:
    """Valid starts by operation id, and the missing/unknown/duplicate/invalid_value violations."""
    return _result.read_starts(raw, [op.id for _, _, op in data.operations()], _KEYS, "operation")


def read_machines(data: JobshopData, raw: Any) -> tuple[dict[str, str], list[Violation]]:
    """The machine of every operation whose machine is known (named and eligible, or its only one), and the
    violations of the `machines` part (unknown/duplicate operations, ineligible or absent machines)."""
    ops = {op.id: op for _, _, op in data.operations()}
    named: dict[str, Any] = {}
    repeated: set[str] = set()
    violations: list[Violation] = []
    for key, value in entries(raw, _KEYS, "machine") or []:
        op = hashable_id(key)
        if op is None or op not in ops:
            violations.append(Violation(type="unknown", items=[shown(key)], detail=f"no operation {shown(key)}"))
        elif op in named:
            if op not in repeated:
                violations.append(Violation(type="duplicate", items=[op], detail=f"{op} is given two machines"))
            repeated.add(op)
        else:
            named[op] = value
    machines: dict[str, str] = {}
    for op_id, operation in ops.items():
        if op_id in repeated:
            continue
        if op_id not in named:
            if len(operation.durations) == 1:
                machines[op_id] = next(iter(operation.durations))
            else:
                violations.append(Violation(type="missing", items=[op_id], detail=f"{op_id} has no machine"))
            continue
        machine = hashable_id(named[op_id])
        if machine is None or machine not in operation.durations:
            violations.append(
                Violation(
                    type="eligibility",
                    items=[op_id, machine if machine is not None else shown(named[op_id])],
                    detail=f"{op_id} cannot run on {shown(named[op_id])} (eligible: {', '.join(operation.durations)})",
                )
            )
        else:
            machines[op_id] = machine
    return machines, violations


def check_schedule(data: JobshopData, starts: dict[str, int], machines: dict[str, str]) -> list[Violation]:
    """Constraint violations among the operations that have a valid start and a known machine."""
    placed = {
        op.id: (starts[op.id], starts[op.id] + op.durations[machines[op.id]])
        for _, _, op in data.operations()
        if op.id in starts and op.id in machines
    }
    out = _job_violations(data, placed)
    out += _machine_violations(data, placed, machines)
    return out


def _job_violations(data: JobshopData, placed: dict[str, tuple[int, int]]) -> list[Violation]:
    """Job order between consecutive placed operations, the job's release and its deadline."""
    out: list[Violation] = []
    for job in data.jobs:
        times = [(op.id, placed[op.id]) for op in job.operations if op.id in placed]
        for (a, (_, end_a)), (b, (start_b, _)) in itertools.pairwise(times):
            if start_b < end_a:
                out.append(
                    Violation(type="job_order", items=[a, b], detail=f"{b} starts at {start_b}, {a} ends at {end_a}")
                )
        if not times:
            continue
        first = min(times, key=lambda item: item[1][0])
        if first[1][0] < job.release:
            out.append(
                Violation(
                    type="release",
                    items=[job.id, first[0]],
                    detail=f"{first[0]} starts at {first[1][0]} < release {job.release} of {job.id}",
                )
            )
        last = max(times, key=lambda item: item[1][1])
        if data.horizon is not None and last[1][1] > data.horizon:
            out.append(
                Violation(
                    type="horizon",
                    items=[job.id, last[0]],
                    detail=f"{last[0]} ends at {last[1][1]} > horizon {data.horizon}",
                )
            )
        if job.deadline is not None and last[1][1] > job.deadline:
            out.append(
                Violation(
                    type="deadline",
                    items=[job.id, last[0]],
                    detail=f"{last[0]} ends at {last[1][1]} > deadline {job.deadline} of {job.id}",
                )
            )
    return out


def _machine_violations(
    data: JobshopData, placed: dict[str, tuple[int, int]], machines: dict[str, str]
) -> list[Violation]:
    """Sweep each machine's operations by start: an operation starting before the latest end so far overlaps
    the one that ends last; each operation is also checked against the machine's downtime stretches."""
    by_machine: dict[str, list[tuple[int, int, str]]] = {m.id: [] for m in data.machines}
    for op_id, (start, end) in placed.items():
        if end > start:
            by_machine[machines[op_id]].append((start, end, op_id))
    blocks = downtime_blocks(data)
    out: list[Violation] = []
    for machine, busy in by_machine.items():
        busy.sort()
        latest_end, latest_op = -1, ""
        for start, end, op_id in busy:
            if start < latest_end:
                out.append(
                    Violation(
                        type="machine_overlap",
                        items=[machine, latest_op, op_id],
                        detail=f"{op_id} starts at {start} on {machine} while {latest_op} runs until {latest_end}",
                    )
                )
            if end > latest_end:
                latest_end, latest_op = end, op_id
        out += _downtime_violations(machine, busy, blocks[machine])
    return out


def _downtime_violations(
    machine: str, busy: list[tuple[int, int, str]], blocks: list[tuple[int, int]]
) -> list[Violation]:
    """Operations that overlap a downtime stretch (disjoint, sorted) of their machine."""
    if not blocks:
        return []
    block_ends = [b for _, b in blocks]
    out: list[Violation] = []
    for start, end, op_id in busy:
        i = bisect.bisect_right(block_ends, start)  # first stretch ending after the start
        while i < len(blocks) and blocks[i][0] < end:  # one finding per stretch hit, with the exact overlap
            a, b = blocks[i]
            out.append(
                Violation(
                    type="downtime",
                    items=[machine, op_id],
                    detail=f"{op_id} runs on {machine} during [{max(start, a)}, {min(end, b)}) "
                    f"while {machine} is down during [{a}, {b})",
                )
            )
            i += 1
    return out
