"""Giffler–Thompson: the incremental version (offers kept between steps, a heap for the earliest completion)
builds exactly the schedule of the plain algorithm that re-offers every job at every step, for every priority
rule, on instances with flexible operations, zero durations, releases and downtime; and it stays fast where the
plain one is quadratic."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedbench.heuristics.jobshop import (
    RULES,
    Candidate,
    Priority,
    Schedule,
    _best_machine,
    giffler_thompson,
)
from schedbench.problems.jobshop import JobshopData, downtime_blocks


def reoffer_every_step(data: JobshopData, priority: Priority) -> Schedule:
    """The textbook loop: every job offers its next operation at every step (O(operations × jobs))."""
    blocks = downtime_blocks(data)
    ends = {m: [b for _, b in stretches] for m, stretches in blocks.items()}
    free = {m.id: 0 for m in data.machines}
    ready = [job.release for job in data.jobs]
    position = [0] * len(data.jobs)
    starts: dict[str, int] = {}
    chosen: dict[str, str] = {}
    for _ in range(data.n_operations()):
        offered: list[Candidate] = []
        for j, job in enumerate(data.jobs):
            if position[j] < len(job.operations):
                op = job.operations[position[j]]
                offered.append(_best_machine(j, position[j], op.durations, ready[j], free, blocks, ends))
        first = min(offered, key=lambda c: (c.start + c.duration, c.job))
        finish_by = first.start + first.duration
        conflict = [c for c in offered if c.machine == first.machine and c.start < finish_by] or [first]
        pick = min(conflict, key=lambda c: (priority(c), c.job))
        op = data.jobs[pick.job].operations[pick.position]
        starts[op.id] = pick.start
        chosen[op.id] = pick.machine
        end = pick.start + pick.duration
        if pick.duration > 0:
            free[pick.machine] = end
        ready[pick.job] = end
        position[pick.job] += 1
    machines = {op.id: chosen[op.id] for _, _, op in data.operations() if len(op.durations) > 1}
    return {"starts": starts, "machines": machines} if machines else {"starts": starts}


@st.composite
def shops(draw: st.DrawFn) -> JobshopData:
    """Small shops full of ties: 1–4 machines, 1–7 jobs of 1–5 operations, durations 0–4 on 1–3 machines,
    releases, and downtime stretches."""
    machines = [f"m{k}" for k in range(draw(st.integers(1, 4)))]
    jobs: list[dict[str, Any]] = []
    for j in range(draw(st.integers(1, 7))):
        operations = []
        for k in range(draw(st.integers(1, 5))):
            eligible = draw(st.lists(st.sampled_from(machines), min_size=1, max_size=3, unique=True))
            operations.append({"id": f"j{j}o{k}", "durations": {m: draw(st.integers(0, 4)) for m in eligible}})
        jobs.append({"id": f"j{j}", "operations": operations, "release": draw(st.integers(0, 6))})
    downtimes = []
    for machine in machines:
        at = 0
        for _ in range(draw(st.integers(0, 2))):
            at += draw(st.integers(0, 5))
            length = draw(st.integers(1, 3))
            downtimes.append({"machine": machine, "start": at, "end": at + length})
            at += length
    return JobshopData.model_validate({"machines": [{"id": m} for m in machines], "jobs": jobs, "downtimes": downtimes})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(), st.sampled_from(sorted(RULES)))
def test_the_incremental_schedule_is_the_plain_algorithms(data: JobshopData, rule: str) -> None:
    priority = RULES[rule](data)
    assert giffler_thompson(data, priority) == reoffer_every_step(data, priority)


def test_a_large_shop_is_scheduled_the_same_way() -> None:
    """200 jobs × 10 machines, one operation per machine each (a classic shop): the same schedule."""
    jobs = [
        {
            "id": f"j{j}",
            "operations": [{"id": f"j{j}o{k}", "durations": {f"m{(j + k) % 10}": 1 + (j * k) % 17}} for k in range(10)],
        }
        for j in range(200)
    ]
    data = JobshopData.model_validate({"machines": [{"id": f"m{k}"} for k in range(10)], "jobs": jobs})
    for rule in ("spt", "mwkr", "fifo"):
        priority = RULES[rule](data)
        assert giffler_thompson(data, priority) == reoffer_every_step(data, priority)
