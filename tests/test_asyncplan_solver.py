"""The asyncplan exact solver and baselines: the ORS3D example, the longest path with unlimited agents,
a brute-force optimum on tiny plans, and the baselines' feasibility and ordering against the optimum."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.generators.asyncplan import STAGES, AsyncplanGeneratorConfig, generate
from schedbench.heuristics.asyncplan import BASELINES, assign_agents, list_scheduler, sequential
from schedbench.problems import get_family
from schedbench.problems.asyncplan import AsyncplanData
from schedbench.solvers.asyncplan_cpsat import lower_bound, solve, window_energy_bound
from schedbench.verifiers.asyncplan import verify


def ors3d(microwave_setup: int) -> AsyncplanData:
    """ORS3D/GRANT: sink 4 min, microwave 15 min that runs alone after being started, wipe 5 min; one agent."""
    return AsyncplanData.model_validate(
        {
            "agents": 1,
            "steps": [
                {"id": "sink", "name": "Wash at the sink", "duration": 4, "attended": 4},
                {"id": "microwave", "name": "Heat food in the microwave", "duration": 15, "attended": microwave_setup},
                {"id": "wipe", "name": "Wipe the table", "duration": 5, "attended": 5},
            ],
        }
    )


@pytest.mark.parametrize("setup", [0, 1])
def test_ors3d_example_optimum_15_sequential_24(setup: int) -> None:
    data = ors3d(setup)
    reference = solve(data, time_limit=10)
    assert reference.status == "optimal" and reference.objective == 15 and reference.bound == 15
    assert verify(data, reference.witness, reference).optimal
    naive = verify(data, sequential(data), reference)
    assert naive.feasible and naive.objective == 24 and naive.gap_pct == 60.0
    assert verify(data, list_scheduler(data), reference).objective == 15


def longest_path(data: AsyncplanData) -> int:
    """The critical path by networkx: node durations moved onto out-edges towards a sink."""
    graph = nx.DiGraph()
    durations = {s.id: s.duration for s in data.steps}
    graph.add_weighted_edges_from((a, b, durations[a]) for a, b in data.precedences)
    graph.add_weighted_edges_from((s, "__end__", d) for s, d in durations.items())
    return nx.dag_longest_path_length(graph)


def test_unlimited_agents_without_stations_optimum_is_the_longest_path() -> None:
    config = AsyncplanGeneratorConfig(levels="1-12,15,20,30,40,60,80,100", stage="unlimited", per_level=2, seed=11)
    for draft in generate(config):
        data = AsyncplanData.model_validate(draft.instance.data)
        assert data.agents is None and not data.stations
        reference = solve(data, time_limit=10, hint=draft.hint)
        assert reference.status == "optimal", draft.instance.id
        assert reference.objective == longest_path(data), draft.instance.id
        assert verify(data, {"makespan": longest_path(data)}, None).correct


def test_every_stage_gets_a_verified_reference_and_baselines_bracket_it() -> None:
    config = AsyncplanGeneratorConfig(levels="5,9,14", stage="all", per_level=2, seed=3)
    family = get_family("asyncplan")
    for draft in generate(config):
        data = family.parse_data(draft.instance.data)
        reference = solve(data, time_limit=5, hint=draft.hint)
        assert reference.status in ("optimal", "feasible")
        assert reference.bound <= reference.objective
        assert verify(data, reference.witness, reference).feasible, draft.instance.id
        for rule, baseline in BASELINES.items():
            result = verify(data, baseline(data), reference)
            assert result.feasible, (draft.instance.id, rule, result.violations[:2])
            assert result.objective >= reference.bound
        assert verify(data, sequential(data), reference).objective == sum(s.duration for s in data.steps)
    assert {d.instance.stage for d in generate(config)} == set(STAGES)


def test_more_agents_never_hurt_on_the_same_task_graph() -> None:
    config = AsyncplanGeneratorConfig(
        levels="8,15,25", stage="one_agent,two_agents,three_agents,unlimited", per_level=2, seed=9
    )
    optimum: dict[tuple[int, str], dict[str, int]] = {}
    for draft in generate(config):
        data = AsyncplanData.model_validate(draft.instance.data)
        reference = solve(data, time_limit=10, hint=draft.hint)
        assert reference.status == "optimal"
        key = (draft.instance.level, draft.instance.id[-2:])
        optimum.setdefault(key, {})[draft.instance.stage] = reference.objective
    for by_stage in optimum.values():
        assert by_stage["one_agent"] >= by_stage["two_agents"] >= by_stage["three_agents"] >= by_stage["unlimited"]


@st.composite
def tiny_instances(draw: st.DrawFn) -> AsyncplanData:
    n = draw(st.integers(1, 4))
    with_station = draw(st.booleans())
    steps = []
    for i in range(n):
        duration = draw(st.integers(0, 4))
        steps.append(
            {
                "id": f"S{i + 1}",
                "duration": duration,
                "attended": draw(st.integers(0, duration)),
                "station": "K" if with_station and draw(st.booleans()) else None,
            }
        )
    pairs = [(f"S{i + 1}", f"S{j + 1}") for i, j in itertools.combinations(range(n), 2)]
    return AsyncplanData.model_validate(
        {
            "agents": draw(st.one_of(st.none(), st.integers(1, 2))),
            "stations": [{"id": "K", "capacity": draw(st.integers(1, 2))}] if with_station else [],
            "steps": steps,
            "precedences": [p for p in pairs if draw(st.integers(0, 2)) == 0],
        }
    )


def brute_force_optimum(data: AsyncplanData) -> int:
    """Smallest makespan over every start vector within the list scheduler's makespan (time-indexed check)."""
    plan = list_scheduler(data)["starts"]
    best = max(plan[s.id] + s.duration for s in data.steps)
    for starts in itertools.product(*(range(best - s.duration + 1) for s in data.steps)):
        plan = {s.id: t for s, t in zip(data.steps, starts, strict=True)}
        makespan = max(plan[s.id] + s.duration for s in data.steps)
        if makespan < best and _feasible(data, plan, makespan):
            best = makespan
    return best


def _feasible(data: AsyncplanData, plan: dict[str, int], makespan: int) -> bool:
    steps = {s.id: s for s in data.steps}
    if any(plan[b] < plan[a] + steps[a].duration for a, b in data.precedences):
        return False
    capacity = data.station_capacity()
    for t in range(makespan):
        attended = sum(plan[s.id] <= t < plan[s.id] + s.attended for s in data.steps)
        if data.agents is not None and attended > data.agents:
            return False
        held = sum(s.station == "K" and plan[s.id] <= t < plan[s.id] + s.duration for s in data.steps)
        if held > capacity.get("K", 0) and held:
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(tiny_instances())
def test_cpsat_optimum_equals_brute_force_on_tiny_plans(data: AsyncplanData) -> None:
    reference = solve(data, time_limit=10)
    optimum = brute_force_optimum(data)
    assert reference.status == "optimal" and reference.objective == optimum
    assert lower_bound(data) <= optimum
    for rule in ("sequential", "list", "random"):
        plan = verify(data, BASELINES[rule](data), reference)
        assert plan.feasible and plan.objective >= optimum, rule
    assert verify(data, reference.witness, reference).feasible


def test_brute_force_finds_the_ors3d_optimum() -> None:
    assert brute_force_optimum(ors3d(1)) == 15


@settings(max_examples=150, deadline=None)
@given(tiny_instances(), st.integers(0, 3))
def test_baselines_are_always_feasible(data: AsyncplanData, seed: int) -> None:
    for baseline in BASELINES.values():
        assert verify(data, baseline(data), None).feasible
    plan = BASELINES["random"](data, seed)
    assert verify(data, plan, None).feasible


def test_window_energy_bound_counts_work_between_heads_and_tails() -> None:
    # two prefixes of 4 that cannot start before 3 and leave 5 after them, on one agent: 3 + 8 + 5
    assert window_energy_bound([(3, 4, 5), (3, 4, 5), (0, 1, 0)], 1) == 16
    assert window_energy_bound([(3, 4, 5), (3, 4, 5)], 2) == 12
    assert window_energy_bound([], 2) == 0


def test_interval_colouring_uses_no_more_agents_than_overlap() -> None:
    data = AsyncplanData.model_validate(
        {"agents": 2, "steps": [{"id": f"S{i}", "duration": 4, "attended": 4} for i in range(1, 6)]}
    )
    starts = {"S1": 0, "S2": 0, "S3": 4, "S4": 5, "S5": 8}  # at most two at once; S4 must reuse a freed agent
    agents = assign_agents(data, starts)
    assert set(agents.values()) == {"A1", "A2"}
    assert verify(data, {"starts": starts, "agents": agents}, None).feasible
