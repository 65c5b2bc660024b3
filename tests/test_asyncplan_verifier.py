"""The asyncplan verifier: hand-made cases per violation type, time answers, agreement with a brute-force
time-indexed check on random plans, and no exception on any JSON value."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedbench.problems import Reference
from schedbench.problems.asyncplan import AsyncplanData
from schedbench.verifiers.asyncplan import verify

KITCHEN = AsyncplanData.model_validate(
    {
        "agents": 1,
        "stations": [{"id": "stove", "capacity": 1}],
        "steps": [
            {"id": "S1", "duration": 10, "attended": 1, "station": "stove"},  # boil
            {"id": "S2", "duration": 3, "attended": 3},  # chop
            {"id": "S3", "duration": 4, "attended": 2, "station": "stove"},  # fry
            {"id": "S4", "duration": 2, "attended": 2},  # serve
        ],
        "precedences": [["S1", "S4"], ["S2", "S3"], ["S3", "S4"]],
    }
)
OPTIMAL = Reference(status="optimal", objective=16, bound=16)


def types(solution: Any, data: AsyncplanData = KITCHEN, reference: Reference | None = OPTIMAL) -> set[str]:
    return verify(data, solution, reference).violation_types()


def good_plan() -> dict[str, Any]:
    return {
        "starts": {"S1": 0, "S2": 1, "S3": 10, "S4": 14},
        "agents": {"S1": "A1", "S2": "A1", "S3": "A1", "S4": "A1"},
    }


def test_a_valid_plan_is_feasible_with_its_gap() -> None:
    result = verify(KITCHEN, good_plan(), OPTIMAL)
    assert result.feasible and result.correct and result.violations == []
    assert result.objective == 16 and result.optimal and result.gap_pct == 0


def test_each_violation_type_is_named() -> None:
    plan = good_plan()
    plan["starts"]["S3"] = 4  # the stove is still boiling S1 until 10
    assert types(plan) == {"station_capacity"}
    plan = good_plan()
    plan["starts"]["S4"] = 12  # before S3 ends at 14
    assert types(plan) == {"precedence"}
    plan = good_plan()
    plan["starts"]["S2"] = 0  # the only agent is starting the boil during [0, 1)
    assert types(plan) == {"agent_overlap"}
    plan = good_plan()
    plan["agents"]["S2"] = "A2"  # one agent only
    assert types(plan) == {"unknown_agent"}
    plan = good_plan()
    del plan["agents"]["S4"]
    assert types(plan) == {"unknown_agent"}
    plan = good_plan()
    del plan["starts"]["S4"]
    assert types(plan) == {"missing"}
    plan = good_plan()
    plan["starts"]["S9"] = 3
    assert types(plan) == {"unknown"}
    plan = good_plan()
    plan["starts"]["S2"] = -1
    assert types(plan) == {"invalid_value"}
    pairs = [[k, v] for k, v in good_plan()["starts"].items()] + [["S1", 0]]
    assert types({"starts": pairs, "agents": good_plan()["agents"]}) == {"duplicate"}


def test_huge_and_float_starts_are_handled() -> None:
    plan = good_plan()
    plan["starts"]["S4"] = 10**30
    plan["starts"]["S2"] = 1.0
    result = verify(KITCHEN, plan, OPTIMAL)
    assert result.feasible and result.objective == 10**30 + 2


def test_objective_is_reported_for_an_infeasible_complete_plan() -> None:
    plan = good_plan()
    plan["starts"]["S4"] = 12
    result = verify(KITCHEN, plan, OPTIMAL)
    assert not result.feasible and result.objective == 14 and result.gap_pct is None


def test_unattended_steps_need_no_agent_and_unlimited_agents_need_no_ids() -> None:
    data = AsyncplanData.model_validate(
        {
            "agents": None,
            "steps": [
                {"id": "S1", "duration": 5, "attended": 0},
                {"id": "S2", "duration": 5, "attended": 5},
                {"id": "S3", "duration": 5, "attended": 5},
            ],
        }
    )
    assert verify(data, {"starts": {"S1": 0, "S2": 0, "S3": 0}}).feasible
    shared = {"starts": {"S1": 0, "S2": 0, "S3": 0}, "agents": {"S2": "A7", "S3": "A7"}}
    assert verify(data, shared).violation_types() == {"agent_overlap"}
    assert verify(data, {"starts": {"S1": 0, "S2": 0, "S3": 5}, "agents": {"S2": "B1"}}).violation_types() == {
        "unknown_agent"
    }


def test_time_answers() -> None:
    assert verify(KITCHEN, {"makespan": 16}, OPTIMAL).correct
    low = verify(KITCHEN, {"makespan": 15}, OPTIMAL)
    assert not low.feasible and low.violation_types() == {"wrong_time"}
    assert verify(KITCHEN, {"makespan": 17}, OPTIMAL).violation_types() == {"wrong_time"}
    assert verify(KITCHEN, {"makespan": "soon"}, OPTIMAL).violation_types() == {"invalid_value"}
    unproven = Reference(status="feasible", objective=18, bound=15)
    assert verify(KITCHEN, {"makespan": 16}, unproven).violation_types() == {"unverified_time"}
    assert verify(KITCHEN, {"makespan": 14}, unproven).violation_types() == {"wrong_time"}
    assert verify(KITCHEN, {"makespan": 16}, None).violation_types() == {"unverified_time"}


def test_time_answers_with_unlimited_agents_need_no_reference() -> None:
    data = KITCHEN.model_copy(update={"agents": None, "stations": []})
    data = AsyncplanData.model_validate(
        {**data.model_dump(), "steps": [{**s.model_dump(), "station": None} for s in KITCHEN.steps]}
    )
    result = verify(data, {"makespan": 12}, None)  # longest path S1 → S4 = 10 + 2
    assert result.correct and result.optimal and result.gap_pct == 0
    assert verify(data, {"makespan": 11}, None).violation_types() == {"wrong_time"}


# --- brute force: a time-indexed check written independently of the verifier's sweep -----------------------


def _start_value(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def brute_force_types(data: AsyncplanData, starts_pairs: list[list[Any]], agent_pairs: list[list[Any]]) -> set[str]:
    steps = {s.id: s for s in data.steps}
    found: set[str] = set()
    start_count = Counter(k for k, _ in starts_pairs)
    agent_count = Counter(k for k, _ in agent_pairs)
    if any(k not in steps for k in start_count) or any(k not in steps for k in agent_count):
        found.add("unknown")
    if any(start_count[s] > 1 or agent_count[s] > 1 for s in steps):
        found.add("duplicate")
    if any(start_count[s] == 0 for s in steps):
        found.add("missing")
    starts: dict[str, int] = {}
    for key, value in starts_pairs:
        if key in steps and start_count[key] == 1:
            if _start_value(value) is None:
                found.add("invalid_value")
            else:
                starts[key] = _start_value(value)
    agent_of = {k: v for k, v in agent_pairs if k in steps and agent_count[k] == 1}
    agents: dict[str, str] = {}
    for step_id in starts:
        if steps[step_id].attended == 0 or agent_count[step_id] > 1:
            continue
        if step_id not in agent_of and data.agents is None:
            continue
        value = agent_of.get(step_id)
        number = re.fullmatch(r"A([1-9]\d*)", value) if isinstance(value, str) else None
        if number is None or (data.agents is not None and int(number.group(1)) > data.agents):
            found.add("unknown_agent")
        else:
            agents[step_id] = value
    for a, b in data.precedences:
        if a in starts and b in starts and starts[b] < starts[a] + steps[a].duration:
            found.add("precedence")
    end = max((starts[s] + steps[s].duration for s in starts), default=0)
    capacity = data.station_capacity()
    for t in range(end + 1):
        busy = Counter(agents[s] for s in agents if starts[s] <= t < starts[s] + steps[s].attended)
        if any(c > 1 for c in busy.values()):
            found.add("agent_overlap")
        held = Counter(
            steps[s].station
            for s in starts
            if steps[s].station is not None and starts[s] <= t < starts[s] + steps[s].duration
        )
        if any(c > capacity[station] for station, c in held.items()):
            found.add("station_capacity")
    return found


@st.composite
def instances(draw: st.DrawFn) -> AsyncplanData:
    n = draw(st.integers(1, 6))
    n_stations = draw(st.integers(0, 2))
    steps = []
    for i in range(n):
        duration = draw(st.integers(0, 5))
        station = draw(st.sampled_from([None] + [f"K{k + 1}" for k in range(n_stations)]))
        steps.append(
            {"id": f"S{i + 1}", "duration": duration, "attended": draw(st.integers(0, duration)), "station": station}
        )
    edges = [[f"S{i + 1}", f"S{j + 1}"] for i in range(n) for j in range(i + 1, n) if draw(st.booleans())]
    return AsyncplanData.model_validate(
        {
            "agents": draw(st.one_of(st.none(), st.integers(1, 3))),
            "stations": [{"id": f"K{k + 1}", "capacity": draw(st.integers(1, 2))} for k in range(n_stations)],
            "steps": steps,
            "precedences": edges[: draw(st.integers(0, len(edges)))],
        }
    )


@st.composite
def instance_and_plan(draw: st.DrawFn) -> tuple[AsyncplanData, list[list[Any]], list[list[Any]]]:
    data = draw(instances())
    ids = [s.id for s in data.steps]
    sloppy = draw(st.booleans())  # sloppy plans also have unknown ids, duplicates and bad values
    starts: list[list[Any]] = []
    agents: list[list[Any]] = []
    for step_id in ids:
        if not sloppy or draw(st.integers(0, 9)) > 0:
            starts.append([step_id, draw(st.integers(0, 12))])
        if not sloppy or draw(st.integers(0, 9)) > 0:
            agents.append([step_id, f"A{draw(st.integers(1, 3))}"])
    if sloppy:
        small_floats = st.floats(-3, 20) | st.sampled_from([math.nan, math.inf, 2.0])  # time-indexed: keep small
        junk = st.one_of(st.integers(-3, 12), small_floats, st.text(max_size=2), st.none(), st.booleans())
        keys = st.sampled_from([*ids, "S99", "x"])
        starts += draw(st.lists(st.tuples(keys, junk).map(list), max_size=3))
        agents += draw(
            st.lists(st.tuples(keys, st.one_of(junk, st.sampled_from(["A0", "A4", "a1"]))).map(list), max_size=3)
        )
    return data, starts, agents


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_and_plan())
def test_verifier_agrees_with_a_brute_force_time_indexed_check(case: tuple[AsyncplanData, list, list]) -> None:
    data, starts, agents = case
    result = verify(data, {"starts": starts, "agents": agents})
    assert result.violation_types() == brute_force_types(data, starts, agents)
    assert result.feasible == (not result.violations)
    if result.feasible:
        durations = {s.id: s.duration for s in data.steps}
        assert result.objective == max((v + durations[k] for k, v in starts), default=0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["starts", "agents", "makespan", None]))
def test_verifier_never_raises_on_any_json(value: Any, key: str | None) -> None:
    answer = value if key is None else {key: value, **({"starts": {"S1": 0}} if key == "agents" else {})}
    result = verify(KITCHEN, answer, OPTIMAL)
    assert result.feasible == (not result.violations) or result.claimed_infeasible


def test_station_overloads_are_reported_per_stretch_of_constant_load() -> None:
    """Three steps on a one-place station: [0, 6), [2, 8), [4, 10). Each finding names the load held during its
    own interval, never a peak stretched over a longer one."""
    data = AsyncplanData.model_validate(
        {
            "agents": 3,
            "stations": [{"id": "oven", "capacity": 1}],
            "steps": [{"id": f"S{k}", "duration": 6, "attended": 0, "station": "oven"} for k in (1, 2, 3)],
            "precedences": [],
        }
    )
    plan = {"starts": {"S1": 0, "S2": 2, "S3": 4}, "agents": {"S1": "A1", "S2": "A2", "S3": "A3"}}
    found = [(v.items, v.detail) for v in verify(data, plan, None).violations]
    assert found == [
        (["oven", "S1", "S2"], "oven holds 2 steps > capacity 1 during [2, 4)"),
        (["oven", "S1", "S2", "S3"], "oven holds 3 steps > capacity 1 during [4, 6)"),
        (["oven", "S2", "S3"], "oven holds 2 steps > capacity 1 during [6, 8)"),
    ]
