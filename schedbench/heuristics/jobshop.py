"""Job-shop baselines: Giffler–Thompson active schedules driven by dispatching priorities.

At each step every job offers its next operation; a flexible operation takes its earliest-completion
machine. The (operation, machine) pair that could complete first fixes a machine and a time; the conflict
set is every offered operation on that machine that could start before then, and the priority rule picks
one of them, placed at its earliest start. Starts respect job order, releases and machine downtime
(an operation never straddles a downtime stretch); deadlines are not searched for, so a rule can produce a
schedule that misses one (the verifier reports it, as for any model).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from schedbench.problems.jobshop import JobshopData, downtime_blocks


class Candidate(NamedTuple):
    """An operation offered for dispatch: its job, position, chosen machine, earliest start and duration."""

    job: int
    position: int
    machine: str
    start: int
    duration: int
    ready: int


Priority = Callable[[Candidate], float]
"""Smaller values are dispatched first (ties by job index)."""

Schedule = dict[str, dict[str, int] | dict[str, str]]
"""A job-shop answer: "starts" (operation → start) and, when any operation is flexible, "machines"."""


def earliest_fit(blocks: list[tuple[int, int]], block_ends: list[int], earliest: int, duration: int) -> int:
    """The first start ≥ earliest where [start, start + duration) misses every downtime stretch."""
    t = earliest
    if duration == 0:
        return t
    i = bisect.bisect_right(block_ends, t)
    while i < len(blocks) and blocks[i][0] < t + duration:
        t = blocks[i][1]
        i += 1
    return t


def giffler_thompson(data: JobshopData, priority: Priority) -> Schedule:
    """An active schedule ({"starts", "machines"}) built by Giffler–Thompson with `priority`.

    Incremental: each job's offer is kept, and after a dispatch only the offers that can change are made again
    (the dispatched job's next operation, and every offer eligible on the machine that just got busy); the offer
    that could complete first comes from a heap. The same schedule as re-offering every job at every step, in
    O(operations × (jobs per machine + log jobs)) instead of O(operations × jobs).
    """
    blocks = downtime_blocks(data)
    ends = {m: [b for _, b in stretches] for m, stretches in blocks.items()}
    free = {m.id: 0 for m in data.machines}
    ready = [job.release for job in data.jobs]
    position = [0] * len(data.jobs)
    offers: dict[int, Candidate] = {}
    eligible: dict[str, set[int]] = {m.id: set() for m in data.machines}  # jobs whose offer may use the machine
    heap: list[tuple[int, int, int]] = []  # (could complete at, job, version): stale entries are skipped
    version = [0] * len(data.jobs)

    def offer(j: int) -> None:
        durations = data.jobs[j].operations[position[j]].durations
        if len(durations) == 1 and not blocks[machine := next(iter(durations))]:  # one machine, never down
            duration = durations[machine]
            candidate = Candidate(j, position[j], machine, max(ready[j], free[machine]), duration, ready[j])
        else:
            candidate = _best_machine(j, position[j], durations, ready[j], free, blocks, ends)
        offers[j] = candidate
        version[j] += 1
        heapq.heappush(heap, (candidate.start + candidate.duration, j, version[j]))

    for j, job in enumerate(data.jobs):
        if job.operations:
            offer(j)
            for machine in job.operations[0].durations:
                eligible[machine].add(j)
    starts: dict[str, int] = {}
    chosen: dict[str, str] = {}
    while heap:
        finish_by, j, stamp = heapq.heappop(heap)
        if stamp != version[j] or j not in offers:
            continue
        first = offers[j]
        conflict = [
            offers[k]
            for k in eligible[first.machine]
            if offers[k].machine == first.machine and offers[k].start < finish_by
        ] or [first]
        # a pick other than `first` completes no earlier, so it takes first's machine for a positive time: first's
        # job is offered again below with every other offer eligible on that machine
        pick = min(conflict, key=lambda c: (priority(c), c.job))
        op = data.jobs[pick.job].operations[pick.position]
        starts[op.id] = pick.start
        chosen[op.id] = pick.machine
        end = pick.start + pick.duration
        ready[pick.job] = end
        for machine in op.durations:
            eligible[machine].discard(pick.job)
        del offers[pick.job]
        position[pick.job] += 1
        if position[pick.job] < len(data.jobs[pick.job].operations):
            offer(pick.job)
            for machine in data.jobs[pick.job].operations[position[pick.job]].durations:
                eligible[machine].add(pick.job)
        if pick.duration > 0:
            free[pick.machine] = end
            for k in eligible[pick.machine]:
                if k != pick.job:
                    offer(k)
    machines = {op.id: chosen[op.id] for _, _, op in data.operations() if len(op.durations) > 1}
    return {"starts": starts, "machines": machines} if machines else {"starts": starts}


def _best_machine(
    job: int,
    position: int,
    durations: dict[str, int],
    ready: int,
    free: dict[str, int],
    blocks: dict[str, list[tuple[int, int]]],
    ends: dict[str, list[int]],
) -> Candidate:
    """The operation on its earliest-completion eligible machine (first listed on ties)."""
    best: Candidate | None = None
    for machine, duration in durations.items():
        start = earliest_fit(blocks[machine], ends[machine], max(ready, free[machine]), duration)
        if best is None or start + duration < best.start + best.duration:
            best = Candidate(job, position, machine, start, duration, ready)
    assert best is not None  # every operation has an eligible machine
    return best


def work_remaining(data: JobshopData) -> list[list[int]]:
    """Per job and position: the sum of shortest durations from that operation to the job's end."""
    out = []
    for job in data.jobs:
        tail, row = 0, []
        for op in reversed(job.operations):
            tail += min(op.durations.values())
            row.append(tail)
        out.append(row[::-1])
    return out


def spt(data: JobshopData) -> Priority:
    """Shortest processing time first."""
    return lambda c: c.duration


def lpt(data: JobshopData) -> Priority:
    """Longest processing time first."""
    return lambda c: -c.duration


def mwkr(data: JobshopData) -> Priority:
    """Most work remaining in the job first (this operation included)."""
    work = work_remaining(data)
    return lambda c: -work[c.job][c.position]


def mopnr(data: JobshopData) -> Priority:
    """Most operations remaining in the job first."""
    lengths = [len(job.operations) for job in data.jobs]
    return lambda c: -(lengths[c.job] - c.position)


def fifo(data: JobshopData) -> Priority:
    """First in, first out: the operation that became ready earliest."""
    return lambda c: c.ready


def random_rule(data: JobshopData, seed: int = 0) -> Priority:
    """A random priority per operation (seeded)."""
    rng = np.random.default_rng(seed)
    keys = [rng.random(len(job.operations)).tolist() for job in data.jobs]
    return lambda c: keys[c.job][c.position]


RULES: dict[str, Callable[[JobshopData], Priority]] = {
    "spt": spt,
    "lpt": lpt,
    "mwkr": mwkr,
    "mopnr": mopnr,
    "fifo": fifo,
    "random": random_rule,
}


def _baseline(rule: Callable[[JobshopData], Priority]) -> Callable[[JobshopData], Schedule]:
    def baseline(data: JobshopData) -> Schedule:
        return giffler_thompson(data, rule(data))

    baseline.__doc__ = f"Giffler–Thompson with priority: {rule.__doc__}"
    return baseline


BASELINES = {name: _baseline(rule) for name, rule in RULES.items()}


def makespan(data: JobshopData, schedule: Schedule) -> int:
    """The makespan of a complete schedule produced here (machines implied for single-machine operations)."""
    starts, named = schedule["starts"], schedule.get("machines", {})
    total = 0
    for _, _, op in data.operations():
        machine = named.get(op.id) or next(iter(op.durations))
        total = max(total, int(starts[op.id]) + op.durations[str(machine)])
    return total
