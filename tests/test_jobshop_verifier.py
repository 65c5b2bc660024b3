"""Job-shop verifier: hand cases, hostile JSON, and agreement with a unit-by-unit brute-force check."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.problems import Reference
from schedbench.problems.jobshop import JobshopData
from schedbench.verifiers.jobshop import VIOLATION_TYPES, verify

SHOP = {
    "machines": [{"id": "M1"}, {"id": "M2"}],
    "jobs": [
        {"id": "J1", "operations": [{"id": "A1", "durations": {"M1": 3}}, {"id": "A2", "durations": {"M2": 2}}]},
        {
            "id": "J2",
            "release": 1,
            "deadline": 9,
            "operations": [{"id": "B1", "durations": {"M2": 2, "M1": 4}}, {"id": "B2", "durations": {"M1": 1}}],
        },
    ],
    "downtimes": [{"machine": "M2", "start": 6, "end": 8}],
    "horizon": 12,
}


def shop(**changes: Any) -> JobshopData:
    return JobshopData.model_validate({**SHOP, **changes})


def types(data: JobshopData, answer: Any) -> set[str]:
    return verify(data, answer).violation_types()


def test_a_feasible_schedule_has_its_makespan_and_gap() -> None:
    answer = {"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 3}, "machines": {"B1": "M2"}}
    result = verify(shop(), answer, Reference(status="optimal", objective=5, bound=5))
    assert result.feasible and result.correct and result.objective == 5 and result.optimal


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"starts": {"A1": 4, "A2": 8, "B1": 1, "B2": 2}, "machines": {"B1": "M2"}}, {"job_order"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 3, "B2": 7}, "machines": {"B1": "M2"}}, {"machine_overlap"}),
        ({"starts": {"A1": 0, "A2": 5, "B1": 1, "B2": 3}, "machines": {"B1": "M2"}}, {"downtime"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 0, "B2": 3}, "machines": {"B1": "M2"}}, {"release"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 9}, "machines": {"B1": "M2"}}, {"deadline"}),
        ({"starts": {"A1": 0, "A2": 11, "B1": 1, "B2": 3}, "machines": {"B1": "M2"}}, {"horizon"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 3}, "machines": {"B1": "M7"}}, {"eligibility"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 3}}, {"missing"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1}, "machines": {"B1": "M2"}}, {"missing"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 3, "Z9": 0}, "machines": {"B1": "M2"}}, {"unknown"}),
        ({"starts": [["A1", 0], ["A1", 0], ["A2", 3], ["B1", 1], ["B2", 3]], "machines": {"B1": "M2"}}, {"duplicate"}),
        ({"starts": {"A1": -1, "A2": 3, "B1": 1, "B2": 3}, "machines": {"B1": "M2"}}, {"invalid_value"}),
        ({"starts": {"A1": 0.5, "A2": 3, "B1": 1, "B2": 3}, "machines": {"B1": "M2"}}, {"invalid_value"}),
        ({"starts": {"A1": 0, "A2": 3, "B1": 1, "B2": 3}, "machines": [["B1", "M2"], ["B1", "M1"]]}, {"duplicate"}),
    ],
)
def test_each_broken_constraint_is_named(answer: dict[str, Any], expected: set[str]) -> None:
    assert types(shop(), answer) == expected


def test_infeasibility_claims() -> None:
    wrong = verify(shop(), {"infeasible": True}, Reference(status="optimal", objective=5))
    assert not wrong.correct and wrong.violation_types() == {"infeasible_claim"}
    right = verify(shop(), {"infeasible": True}, Reference(status="infeasible"))
    assert right.correct and not right.feasible


@pytest.mark.parametrize(
    "answer",
    [None, [], "x", 3, {"starts": None}, {"starts": "abc"}, {"starts": [1, 2, [3]]}, {"starts": {"A1": [0]}},
     {"starts": {"A1": 10**40}, "machines": {"B1": ["M1"]}}, {"machines": 5}, {"starts": [{"op": None}]},
     {"starts": {"A1": float("nan")}}, {"infeasible": "yes"}],
)  # fmt: skip
def test_never_raises_on_hostile_json(answer: Any) -> None:
    result = verify(shop(), answer)
    assert not result.feasible and result.violation_types() <= set(VIOLATION_TYPES)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=4),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=3), c),
    )
)
@settings(max_examples=150, deadline=None)
def test_never_raises_on_any_json(value: Any) -> None:
    for answer in (value, {"starts": value}, {"starts": {"A1": 0}, "machines": value}):
        verify(shop(), answer)


# --- brute force: time unit by time unit ------------------------------------------------------------------


def brute_force_types(data: JobshopData, starts: dict[str, int], machines: dict[str, str]) -> set[str]:
    """Violation types of a complete answer (every operation has a start and a named machine), by walking
    every time unit; written independently of the verifier."""
    found: set[str] = set()
    ops = {op.id: (job, op) for job in data.jobs for op in job.operations}
    chosen = {}
    for op_id, (_, op) in ops.items():
        machine = machines.get(op_id, next(iter(op.durations)) if len(op.durations) == 1 else None)
        if machine is None:
            found.add("missing")
        elif machine not in op.durations:
            found.add("eligibility")
        else:
            chosen[op_id] = (machine, op.durations[machine])
    end_of = {o: starts[o] + d for o, (_, d) in chosen.items()}
    for job in data.jobs:
        ids = [op.id for op in job.operations if op.id in chosen]
        if any(starts[b] < end_of[a] for a, b in itertools.pairwise(ids)):
            found.add("job_order")
        if ids and min(starts[o] for o in ids) < job.release:
            found.add("release")
        if ids and job.deadline is not None and max(end_of[o] for o in ids) > job.deadline:
            found.add("deadline")
        if ids and data.horizon is not None and max(end_of[o] for o in ids) > data.horizon:
            found.add("horizon")
    last = max([1, *end_of.values()])
    for t in range(last):
        for machine in data.machines:
            running = [o for o, (m, d) in chosen.items() if m == machine.id and starts[o] <= t < starts[o] + d]
            if len(running) > 1:
                found.add("machine_overlap")
            down = any(d.machine == machine.id and d.start <= t < d.end for d in data.downtimes)
            if running and down:
                found.add("downtime")
    return found


def random_shop(rng: np.random.Generator) -> JobshopData:
    m = int(rng.integers(1, 4))
    jobs = []
    for j in range(int(rng.integers(1, 4))):
        ops = []
        for k in range(int(rng.integers(1, 4))):
            eligible = rng.choice(m, size=int(rng.integers(1, m + 1)), replace=False)
            ops.append({"id": f"J{j}.{k}", "durations": {f"M{e}": int(rng.integers(0, 4)) for e in eligible}})
        release = int(rng.integers(0, 3))
        deadline = int(rng.integers(release, 14)) if rng.random() < 0.5 else None
        jobs.append({"id": f"J{j}", "operations": ops, "release": release, "deadline": deadline})
    downs = [
        {
            "machine": f"M{int(rng.integers(m))}",
            "start": (s := int(rng.integers(0, 10))),
            "end": s + int(rng.integers(0, 4)),
        }
        for _ in range(int(rng.integers(0, 3)))
    ]
    horizon = int(rng.integers(4, 16)) if rng.random() < 0.5 else None
    machines = [{"id": f"M{i}"} for i in range(m)]
    return JobshopData.model_validate({"machines": machines, "jobs": jobs, "downtimes": downs, "horizon": horizon})


def test_verifier_agrees_with_brute_force_on_random_schedules() -> None:
    rng = np.random.default_rng(2024)
    seen: set[str] = set()
    for _ in range(600):
        data = random_shop(rng)
        starts, machines = {}, {}
        for job in data.jobs:
            for op in job.operations:
                starts[op.id] = int(rng.integers(0, 12))
                if (len(op.durations) > 1 and rng.random() < 0.95) or rng.random() < 0.2:
                    pool = [*op.durations, "M9"] if rng.random() < 0.1 else list(op.durations)
                    machines[op.id] = str(rng.choice(pool))
        result = verify(data, json.loads(json.dumps({"starts": starts, "machines": machines})))
        expected = brute_force_types(data, starts, machines)
        assert result.violation_types() == expected, (data, starts, machines)
        assert result.feasible == (not expected)
        seen |= expected
    assert seen >= {
        "job_order",
        "machine_overlap",
        "downtime",
        "release",
        "deadline",
        "horizon",
        "eligibility",
        "missing",
    }


def test_downtime_findings_name_the_exact_overlap_of_each_stretch_hit() -> None:
    """An operation [3, 12) on M2 crossing two downtime stretches [6, 8) and [10, 11): one finding per stretch,
    each with the overlap, not only the first stretch."""
    data = shop(downtimes=[{"machine": "M2", "start": 6, "end": 8}, {"machine": "M2", "start": 10, "end": 11}])
    data = JobshopData.model_validate(
        {**data.model_dump(), "jobs": [{"id": "J1", "operations": [{"id": "A1", "durations": {"M2": 9}}]}]}
    )
    details = [v.detail for v in verify(data, {"starts": {"A1": 3}}).violations]
    assert details == [
        "A1 runs on M2 during [6, 8) while M2 is down during [6, 8)",
        "A1 runs on M2 during [10, 11) while M2 is down during [10, 11)",
    ]
