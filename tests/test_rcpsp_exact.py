"""The CP-SAT reference against exhaustive enumeration on tiny instances, and its building blocks."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedbench.problems.rcpsp import RcpspData
from schedbench.solvers.rcpsp_cpsat import (
    branching_pairs,
    downtime_profile,
    project_delays,
    solve,
    time_bounds,
    warm_start,
)
from schedbench.verifiers.rcpsp import verify


@st.composite
def tiny_instances(draw: st.DrawFn) -> dict[str, Any]:
    """Instances small enough to enumerate every schedule: zero durations, over-demands and overlapping
    downtimes (some above the normal capacity) included."""
    n = draw(st.integers(1, 4))
    horizon = draw(st.integers(1, 7 if n <= 3 else 5))
    ids = [f"T{i + 1}" for i in range(n)]
    resources = [{"id": f"R{k + 1}", "capacity": draw(st.integers(0, 3))} for k in range(draw(st.integers(1, 2)))]
    tasks = [
        {
            "id": t,
            "duration": draw(st.integers(0, 3)),
            "demands": draw(st.dictionaries(st.sampled_from([r["id"] for r in resources]), st.integers(0, 3))),
        }
        for t in ids
    ]
    pairs = list(itertools.combinations(ids, 2))
    downtimes = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, horizon))
        downtimes.append(
            {
                "resource": draw(st.sampled_from([r["id"] for r in resources])),
                "start": start,
                "end": start + draw(st.integers(0, 4)),
                "capacity": draw(st.integers(0, 4)),
            }
        )
    windows = {
        t: {"release": draw(st.integers(0, 3)), "deadline": draw(st.none() | st.integers(0, horizon))}
        for t in draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    }
    return {
        "horizon": horizon,
        "resources": resources,
        "tasks": tasks,
        "precedences": draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3)) if pairs else [],
        "disjunctive": draw(st.lists(st.sampled_from(pairs), unique=True, max_size=2)) if pairs else [],
        "downtimes": downtimes,
        "windows": windows,
    }


def enumerated_optimum(data: RcpspData) -> int | None:
    """The smallest makespan over every schedule with starts in 0..horizon (None: no feasible schedule)."""
    best = None
    ranges = [range(0, max(0, data.horizon - t.duration) + 1) for t in data.tasks]
    for starts in itertools.product(*ranges):
        result = verify(data, {"starts": dict(zip((t.id for t in data.tasks), starts, strict=True))})
        if result.feasible and (best is None or result.objective < best):
            best = result.objective
    return best


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_cpsat_matches_exhaustive_enumeration(raw: dict[str, Any]) -> None:
    data = RcpspData.model_validate(raw)
    expected = enumerated_optimum(data)
    reference = solve(data, time_limit=10.0, workers=1)
    if expected is None:
        assert reference.status == "infeasible" and reference.witness is None
    else:
        assert (reference.status, reference.objective, reference.bound) == ("optimal", expected, expected)
        assert verify(data, reference.witness).objective == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_delay_phase_keeps_the_exhaustive_optimum(raw: dict[str, Any]) -> None:
    """Forced second solve with delays (no first solve), on instances given a join (T1 and T2 before the last
    task) so that there are branching pairs: the delays are proven on a relaxation without downtimes or
    windows, so they may never cut off an optimal schedule."""
    last = raw["tasks"][-1]["id"]
    if len(raw["tasks"]) >= 3:
        raw["precedences"] = sorted({*map(tuple, raw["precedences"]), ("T1", last), ("T2", last)})
    data = RcpspData.model_validate(raw)
    assert len(raw["tasks"]) < 3 or branching_pairs(data)
    expected = enumerated_optimum(data)
    reference = solve(data, time_limit=10.0, workers=1, delay_after=0.0)
    if expected is None:
        assert reference.status == "infeasible" and reference.witness is None
    else:
        assert (reference.status, reference.objective, reference.bound) == ("optimal", expected, expected)
        assert verify(data, reference.witness).objective == expected


DIAMONDS = {
    "horizon": 40,
    "resources": [{"id": "R1", "capacity": 2}],
    "tasks": [
        {"id": t, "duration": d, "demands": {"R1": 2 if t in "BCEF" else 1}}
        for t, d in zip("ABCDEFG", (1, 3, 4, 0, 2, 5, 1), strict=True)
    ],
    "precedences": [["A", "B"], ["A", "C"], ["B", "D"], ["C", "D"], ["D", "E"], ["D", "F"], ["E", "G"], ["F", "G"]],
    "downtimes": [{"resource": "R1", "start": 3, "end": 6, "capacity": 0}],
    "windows": {"E": {"release": 30}},
}


def test_branching_pairs_find_the_diamonds_smallest_first() -> None:
    pairs = branching_pairs(RcpspData.model_validate(DIAMONDS))
    assert [(a, b) for a, b, _ in pairs][:2] == [("A", "D"), ("D", "G")]
    assert ("A", "D", ("B", "C")) in pairs and (None, None, tuple("ABCDEFG")) not in pairs


def test_project_delays_ignore_downtimes_and_windows_but_stay_valid() -> None:
    data = RcpspData.model_validate(DIAMONDS)
    delays, _ = project_delays(data, budget=5.0, workers=1)
    values = {(d.earlier, d.later): d.value for d in delays}
    assert values[("A", "D")] == 7 and values[("D", "G")] == 7  # B and C (E and F) cannot overlap
    reference = solve(data, workers=1, delay_after=0.0)
    starts = reference.witness["starts"]
    duration = {t.id: t.duration for t in data.tasks}
    assert reference.status == "optimal" and reference.objective == solve(data, workers=1).objective
    for d in delays:
        earlier = 0 if d.earlier is None else starts[d.earlier] + duration[d.earlier]
        later = reference.objective if d.later is None else starts[d.later]
        assert later - earlier >= d.value


def test_zero_duration_task_may_sit_inside_its_disjunctive_partner() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 4,
            "resources": [{"id": "R1", "capacity": 1}],
            "tasks": [{"id": "T1", "duration": 4}, {"id": "T2", "duration": 0}],
            "disjunctive": [["T1", "T2"]],
            "windows": {"T2": {"release": 2, "deadline": 2}},
        }
    )
    reference = solve(data)
    assert (reference.status, reference.objective) == ("optimal", 4)


def test_downtime_profile_merges_overlaps_at_the_lowest_capacity() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 30,
            "resources": [{"id": "R1", "capacity": 4}],
            "tasks": [{"id": "T1", "duration": 1}],
            "downtimes": [
                {"resource": "R1", "start": 2, "end": 8, "capacity": 2},
                {"resource": "R1", "start": 5, "end": 10, "capacity": 1},
                {"resource": "R1", "start": 12, "end": 12},
                {"resource": "R1", "start": 14, "end": 16, "capacity": 9},
            ],
        }
    )
    assert downtime_profile(data, "R1", 4) == [(2, 5, 2), (5, 10, 1)]


def test_time_bounds_follow_releases_deadlines_and_chains() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 40,
            "resources": [{"id": "R1", "capacity": 1}],
            "tasks": [{"id": "A", "duration": 3}, {"id": "B", "duration": 2}, {"id": "C", "duration": 4}],
            "precedences": [["A", "B"], ["B", "C"]],
            "windows": {"A": {"release": 5}, "B": {"deadline": 15}},
        }
    )
    assert time_bounds(data, upper=30) == {"A": (5, 10), "B": (8, 13), "C": (10, 26)}


def test_warm_start_uses_a_feasible_hint_and_ignores_a_broken_one() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 20,
            "resources": [{"id": "R1", "capacity": 1}],
            "tasks": [
                {"id": "A", "duration": 3, "demands": {"R1": 1}},
                {"id": "B", "duration": 2, "demands": {"R1": 1}},
            ],
        }
    )
    assert warm_start(data, {"A": 5, "B": 0}) == ({"A": 5, "B": 0}, 8)
    starts, makespan = warm_start(data, {"A": 0, "B": 0})  # overlapping: falls back to the LFT SGS schedule
    assert makespan == 5 and verify(data, {"starts": starts}).feasible
    reference = solve(data, hint={"starts": {"A": 5, "B": 0}})
    assert (reference.status, reference.objective) == ("optimal", 5)
