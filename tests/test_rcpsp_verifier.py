"""The RCPSP verifier against an independent brute-force checker (property-based), plus worked examples.

The brute-force checker below is written from docs/formats.md alone: it reads the answer entry by entry and
checks resources time unit by time unit (only the units where some task runs, so huge starts stay cheap).
Its violation TYPE SET, feasibility and objective must equal the verifier's on every generated pair.
"""

from __future__ import annotations

import math
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.problems import Reference
from schedbench.problems.rcpsp import RcpspData
from schedbench.verifiers.rcpsp import VIOLATION_TYPES, verify

HUGE_VALUES = [2**61 - 1, 2**61, 2**62, 2**63, 2**64 + 3, 10**30, 1e300]
"""Starts far beyond any horizon, around and past the int64 range."""


# --------------------------------------------------------------------------------------------- brute force
def _answer_entries(starts: Any) -> list[tuple[Any, Any]]:
    """The (key, value) entries of an answer's `starts`: object items, [id, start] pairs or {id/task, start}."""
    if isinstance(starts, dict):
        return list(starts.items())
    if not isinstance(starts, list):
        return []
    out: list[tuple[Any, Any]] = []
    for entry in starts:
        if isinstance(entry, list) and len(entry) == 2:
            out.append((entry[0], entry[1]))
        elif isinstance(entry, dict):
            key = entry["task"] if "task" in entry else entry.get("id")
            out.append((key, entry.get("start")))
        else:
            out.append((None, None))
    return out


def _as_start(value: Any) -> int | None:
    if type(value) is int and value >= 0:
        return value
    if type(value) is float and math.isfinite(value) and value == int(value) and value >= 0:
        return int(value)
    return None


def _as_task(key: Any, ids: set[str]) -> str | None:
    if type(key) is int:
        key = str(key)
    return key if isinstance(key, str) and key in ids else None


def brute_force(data: dict[str, Any], answer: Any) -> tuple[set[str], int | None]:
    """(violation types, makespan or None) of a schedule answer, time unit by time unit."""
    tasks = {t["id"]: t for t in data["tasks"]}
    types: set[str] = set()
    counts: dict[str, int] = {}
    valid: dict[str, int] = {}
    for key, value in _answer_entries(answer.get("starts") if isinstance(answer, dict) else None):
        task = _as_task(key, set(tasks))
        if task is None:
            types.add("unknown")
            continue
        counts[task] = counts.get(task, 0) + 1
        if counts[task] > 1:
            types.add("duplicate")
        start = _as_start(value)
        if counts[task] == 1 and start is None:
            types.add("invalid_value")
        if start is not None:
            valid[task] = start
    valid = {t: s for t, s in valid.items() if counts[t] == 1}
    if any(t not in counts for t in tasks):
        types.add("missing")
    duration = {t: tasks[t]["duration"] for t in tasks}
    end = {t: s + duration[t] for t, s in valid.items()}
    for a, b in data["precedences"]:
        if a in valid and b in valid and valid[b] < end[a]:
            types.add("precedence")
    for t in valid:
        if end[t] > data["horizon"]:
            types.add("horizon")
        window = data["windows"].get(t)
        if window and valid[t] < window.get("release", 0):
            types.add("release")
        if window and window.get("deadline") is not None and end[t] > window["deadline"]:
            types.add("deadline")
    for a, b in data["disjunctive"]:
        if a in valid and b in valid and len(range(max(valid[a], valid[b]), min(end[a], end[b]))) > 0:
            types.add("disjunctive")
    busy_units = {u for t, s in valid.items() for u in range(s, end[t])}
    for resource in data["resources"]:
        for unit in busy_units:
            load = sum(tasks[t]["demands"].get(resource["id"], 0) for t, s in valid.items() if s <= unit < end[t])
            downs = [d for d in data["downtimes"] if d["resource"] == resource["id"] and d["start"] <= unit < d["end"]]
            capacity = min([resource["capacity"], *(d.get("capacity", 0) for d in downs)])
            if load > capacity:
                types.add("downtime" if downs and load <= resource["capacity"] else "capacity")
    makespan = max(end.values(), default=0) if len(valid) == len(tasks) else None
    return types, makespan


# ----------------------------------------------------------------------------------------------- strategies
# Instances and answers are built from a hypothesis-drawn seed with `random.Random`: thousands of examples stay
# cheap (hypothesis' per-value draws cost ~20 ms per instance), and a failure still reproduces from its seed.


def random_instance(rng: random.Random, max_tasks: int = 6) -> dict[str, Any]:
    """A small RCPSP instance exercising every constraint kind, zero durations and over-demands included."""
    n = rng.randint(1, max_tasks)
    ids = [f"T{i + 1}" for i in range(n)]
    resources = [{"id": f"R{k + 1}", "capacity": rng.randint(0, 4)} for k in range(rng.randint(1, 3))]
    rids = [r["id"] for r in resources]
    tasks = [
        {
            "id": t,
            "duration": rng.choice([0, 1, 1, 2, 3, 4]),
            "demands": {r: rng.randint(0, 5) for r in rng.sample(rids, rng.randint(0, len(rids)))},
        }
        for t in ids
    ]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    downtimes = []
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(0, 12)
        downtimes.append(
            {
                "resource": rng.choice(rids),
                "start": start,
                "end": start + rng.randint(0, 6),
                "capacity": rng.randint(0, 5),
            }
        )
    windows = {
        t: {"release": rng.randint(0, 8), "deadline": rng.choice([None, rng.randint(0, 16)])}
        for t in rng.sample(ids, rng.randint(0, n))
    }
    return {
        "horizon": rng.randint(1, 16),
        "resources": resources,
        "tasks": tasks,
        "precedences": rng.sample(pairs, min(len(pairs), rng.randint(0, 4))),
        "disjunctive": rng.sample(pairs, min(len(pairs), rng.randint(0, 3))),
        "downtimes": downtimes,
        "windows": windows,
    }


ODD_VALUES = [-1, -3.0, 2.5, math.nan, math.inf, -math.inf, True, False, None, "3", "T1", [], {}, [1], *HUGE_VALUES]
ODD_KEYS = ["T0", "T99", "", "t1", 1, 2.0, None, True, ["T1"]]
SHAPES = ["object", "pairs", "records", "records_id", "junk_entries", "not_a_dict", "no_starts"]


def random_start(rng: random.Random, odd_share: float) -> Any:
    if rng.random() >= odd_share:
        return rng.randint(0, 18)
    return rng.choice([float(rng.randint(0, 18)), rng.choice(ODD_VALUES)])


def random_answer(rng: random.Random, data: dict[str, Any]) -> Any:
    """A schedule in any accepted shape, with missing, unknown, duplicate and invalid entries mixed in."""
    ids = [t["id"] for t in data["tasks"]]
    odd_share = rng.choice([0.0, 0.1, 0.5])
    entries = [(t, random_start(rng, odd_share)) for t in rng.sample(ids, max(0, len(ids) - rng.randint(0, 2)))]
    for _ in range(rng.randint(0, 3)):
        entries.append((rng.choice(ids + ODD_KEYS), random_start(rng, 0.5)))
    rng.shuffle(entries)
    shape = rng.choice(SHAPES)
    if shape == "object":
        return {"starts": {k: v for k, v in entries if isinstance(k, str)}}
    if shape == "pairs":
        return {"starts": [[k, v] for k, v in entries]}
    if shape in ("records", "records_id"):
        field = "task" if shape == "records" else "id"
        return {"starts": [{field: k, "start": v} for k, v in entries]}
    if shape == "junk_entries":
        return {"starts": [[k, v] for k, v in entries] + [rng.choice([None, 3, "x", [1, 2, 3]])]}
    if shape == "not_a_dict":
        return rng.choice([None, 3, "starts", [], [[k, v] for k, v in entries]])
    return rng.choice([{}, {"starts": None}, {"starts": "T1=0"}, {"start": {ids[0]: 0}}, {"infeasible": False}])


SEEDS = st.integers(0, 2**64 - 1)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


# ------------------------------------------------------------------------------------------------ properties
@settings(max_examples=3000, deadline=None)
@given(SEEDS)
def test_verifier_agrees_with_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    raw = random_instance(rng)
    answer = random_answer(rng, raw)
    expected_types, expected_makespan = brute_force(raw, answer)
    result = verify(RcpspData.model_validate(raw), answer)
    assert result.violation_types() == expected_types
    assert result.feasible == (not expected_types)
    assert result.objective == expected_makespan
    assert result.violation_types() <= set(VIOLATION_TYPES)


@settings(max_examples=1500, deadline=None)
@given(SEEDS)
def test_complete_schedules_agree(seed: int) -> None:
    """Complete schedules with only small valid starts: the resource/window/precedence checks in isolation."""
    rng = random.Random(seed)
    raw = random_instance(rng, max_tasks=8)
    starts = {t["id"]: rng.randint(0, 14) for t in raw["tasks"]}
    expected_types, expected_makespan = brute_force(raw, {"starts": starts})
    result = verify(RcpspData.model_validate(raw), {"starts": starts})
    assert (result.violation_types(), result.objective) == (expected_types, expected_makespan)


def test_the_random_answers_cover_every_violation_type() -> None:
    """The generated pairs do reach every type (else the agreement above would prove little)."""
    seen: set[str] = set()
    for seed in range(400):
        rng = random.Random(seed)
        raw = random_instance(rng)
        seen |= brute_force(raw, random_answer(rng, raw))[0]
        seen |= brute_force(raw, {"starts": {t["id"]: rng.randint(0, 14) for t in raw["tasks"]}})[0]
    assert seen == set(VIOLATION_TYPES) - {"infeasible_claim"}


@settings(max_examples=400, deadline=None)
@given(SEEDS, JSON)
def test_verifier_never_raises_on_any_json(seed: int, answer: Any) -> None:
    data = RcpspData.model_validate(random_instance(random.Random(seed)))
    for candidate in (
        answer,
        {"starts": answer},
        {"starts": {t.id: answer for t in data.tasks}},
        {"starts": [[t.id, answer] for t in data.tasks]},
        {"infeasible": answer},
    ):
        result = verify(data, candidate)
        assert result.feasible is False or not result.violations


# -------------------------------------------------------------------------------------------- worked examples
def _example() -> RcpspData:
    return RcpspData.model_validate(
        {
            "horizon": 20,
            "resources": [{"id": "R1", "capacity": 3}],
            "tasks": [
                {"id": "T1", "duration": 4, "demands": {"R1": 2}},
                {"id": "T2", "duration": 3, "demands": {"R1": 2}},
                {"id": "T3", "duration": 0, "demands": {"R1": 9}},
            ],
            "precedences": [["T1", "T3"]],
            "downtimes": [{"resource": "R1", "start": 10, "end": 12, "capacity": 1}],
            "windows": {"T2": {"release": 2, "deadline": 15}},
            "disjunctive": [["T2", "T3"]],
        }
    )


def test_feasible_schedule_reports_makespan_gap_and_optimality() -> None:
    reference = Reference(status="optimal", objective=7, bound=7)
    result = verify(_example(), {"starts": {"T1": 0, "T2": 4, "T3": 5}}, reference)
    assert result.feasible and result.correct and result.objective == 7 and result.optimal
    assert result.gap_pct == 0
    later = verify(_example(), {"starts": {"T1": 0, "T2": 7, "T3": 4}}, reference)
    assert later.feasible and later.objective == 10 and not later.optimal
    assert later.gap_pct == round(100 * 3 / 7, 4)


def test_overload_inside_downtime_is_downtime_when_normal_capacity_suffices() -> None:
    result = verify(_example(), {"starts": {"T1": 10, "T2": 2, "T3": 14}})
    assert result.violation_types() == {"downtime"}
    both = verify(_example(), {"starts": {"T1": 9, "T2": 10, "T3": 13}})
    assert both.violation_types() == {"capacity"}  # load 4 exceeds even the normal capacity 3


def test_zero_duration_tasks_neither_overlap_nor_load() -> None:
    # T3 (duration 0, demand 9 > capacity) sits inside T2's interval: no capacity, no disjunctive violation.
    result = verify(_example(), {"starts": {"T1": 0, "T2": 4, "T3": 5}})
    assert result.feasible


def test_each_answer_defect_gets_its_type_and_stays_out_of_other_checks() -> None:
    result = verify(_example(), {"starts": [["T1", 0], ["T1", 1], ["T2", -1], ["T9", 0], ["T3", "soon"]]})
    assert result.violation_types() == {"duplicate", "invalid_value", "unknown"}
    assert result.objective is None and not result.feasible
    missing = verify(_example(), {"starts": {"T1": 0}})
    assert missing.violation_types() == {"missing"}


def test_infeasibility_claims_are_correct_only_when_proven() -> None:
    claim = {"infeasible": True}
    proven = verify(_example(), claim, Reference(status="infeasible"))
    assert proven.correct and proven.claimed_infeasible and not proven.feasible
    wrong = verify(_example(), claim, Reference(status="optimal", objective=7, bound=7))
    assert not wrong.correct and "infeasible_claim" in wrong.violation_types()


def test_numbers_near_the_supported_bound_and_answers_past_int64_are_exact() -> None:
    data = RcpspData.model_validate(
        {
            "horizon": 2**60,
            "resources": [{"id": "R1", "capacity": 2**60 + 2**59}],
            "tasks": [
                {"id": "T1", "duration": 2**58, "demands": {"R1": 2**60}},
                {"id": "T2", "duration": 3, "demands": {"R1": 2**59 + 1}},
            ],
            "downtimes": [{"resource": "R1", "start": 2**59 - 10, "end": 2**59, "capacity": 2**59}],
        }
    )
    assert verify(data, {"starts": {"T1": 0, "T2": 2**58}}).feasible
    overlap = verify(data, {"starts": {"T1": 0, "T2": 2**58 - 1}})
    assert overlap.violation_types() == {"capacity"} and overlap.objective == 2**58 + 2
    assert verify(data, {"starts": {"T1": 0, "T2": 2**59 - 5}}).violation_types() == {"downtime"}
    late = verify(data, {"starts": {"T1": 0, "T2": 2**64}})
    assert late.objective == 2**64 + 3 and any(str(2**64 + 3) in v.detail for v in late.violations)


def test_instance_numbers_past_int64_are_rejected_by_validation() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="horizon"):
        RcpspData.model_validate({"horizon": 10**30, "resources": [], "tasks": []})


def test_violation_intervals_are_exactly_the_overlap_of_load_and_capacity_segments() -> None:
    """A downtime [13, 15) shorter than an overloading task [13, 17): two findings, each with its own load,
    capacity and interval, never one stretch [13, 17) at the downtime's capacity."""
    data = RcpspData.model_validate(
        {
            "horizon": 30,
            "resources": [{"id": "R1", "capacity": 2}],
            "tasks": [{"id": "T1", "duration": 4, "demands": {"R1": 3}}, {"id": "T2", "duration": 2, "demands": {}}],
            "downtimes": [{"resource": "R1", "start": 13, "end": 15, "capacity": 1}],
        }
    )
    details = [v.detail for v in verify(data, {"starts": {"T1": 13, "T2": 0}}).violations]
    assert details == [
        "R1 load 3 > capacity 1 (reduced by downtime) during [13, 15)",
        "R1 load 3 > capacity 2 during [15, 17)",
    ]
    inside = RcpspData.model_validate(
        {**data.model_dump(), "tasks": [{"id": "T1", "duration": 6, "demands": {"R1": 2}}]}
    )
    found = verify(inside, {"starts": {"T1": 11}}).violations
    assert [(v.type, v.detail) for v in found] == [
        ("downtime", "R1 load 2 > capacity 1 (reduced by downtime) during [13, 15)")
    ]
