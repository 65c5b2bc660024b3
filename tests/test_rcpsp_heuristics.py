"""RCPSP baselines: the event-based serial SGS against a unit-step first fit, and every rule on generated suites."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.generators.rcpsp import RcpspGeneratorConfig, generate
from schedbench.heuristics.rcpsp import BASELINES, serial_sgs
from schedbench.problems.rcpsp import RcpspData
from schedbench.verifiers.rcpsp import verify


@st.composite
def orderable_instances(draw: st.DrawFn) -> dict[str, Any]:
    """Instances whose precedences go from lower to higher index, so priority = index fixes the SGS order."""
    n = draw(st.integers(1, 7))
    ids = [f"T{i}" for i in range(n)]
    resources = [{"id": f"R{k}", "capacity": draw(st.integers(0, 4))} for k in range(draw(st.integers(1, 3)))]
    tasks = [
        {
            "id": t,
            "duration": draw(st.integers(0, 5)),
            "demands": draw(st.dictionaries(st.sampled_from([r["id"] for r in resources]), st.integers(0, 5))),
        }
        for t in ids
    ]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    downtimes = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 15))
        downtimes.append(
            {
                "resource": draw(st.sampled_from([r["id"] for r in resources])),
                "start": start,
                "end": start + draw(st.integers(0, 8)),
                "capacity": draw(st.integers(0, 4)),
            }
        )
    return {
        "horizon": 100,
        "resources": resources,
        "tasks": tasks,
        "downtimes": downtimes,
        "precedences": draw(st.lists(st.sampled_from(pairs), unique=True, max_size=5)) if pairs else [],
        "disjunctive": draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3)) if pairs else [],
        "windows": {
            t: {"release": draw(st.integers(0, 10))}
            for t in draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
        },
    }


def unit_step_sgs(data: RcpspData) -> dict[str, int]:
    """Tasks in index order, each at the first time unit from its earliest start where it fits."""
    starts: dict[str, int] = {}
    duration = {t.id: t.duration for t in data.tasks}
    capacity = {r.id: r.capacity for r in data.resources}

    def free(resource: str, unit: int) -> int:
        downs = [d.capacity for d in data.downtimes if d.resource == resource and d.start <= unit < d.end]
        used = sum(
            t.demands.get(resource, 0)
            for t in data.tasks
            if t.id in starts
            and duration[t.id] > 0
            and t.demands.get(resource, 0) <= capacity[resource]
            and starts[t.id] <= unit < starts[t.id] + duration[t.id]
        )
        return min([capacity[resource], *downs]) - used

    def fits(task: Any, t: int) -> bool:
        partners = [b if a == task.id else a for a, b in data.disjunctive if task.id in (a, b)]
        if task.duration and any(
            p in starts and duration[p] and starts[p] < t + task.duration and t < starts[p] + duration[p]
            for p in partners
        ):
            return False
        return task.duration == 0 or all(
            free(r, u) >= q
            for r, q in task.demands.items()
            if 0 < q <= capacity[r]
            for u in range(t, t + task.duration)
        )

    for task in data.tasks:
        window = data.windows.get(task.id)
        t = max(
            [window.release if window else 0, *(starts[a] + duration[a] for a, b in data.precedences if b == task.id)]
        )
        while not fits(task, t):
            t += 1
        starts[task.id] = t
    return starts


@settings(max_examples=300, deadline=None)
@given(orderable_instances())
def test_event_based_sgs_equals_unit_step_first_fit(raw: dict[str, Any]) -> None:
    data = RcpspData.model_validate(raw)
    assert serial_sgs(data, {t.id: float(i) for i, t in enumerate(data.tasks)}) == unit_step_sgs(data)


def test_every_rule_respects_all_but_deadlines_and_horizon_on_generated_suites() -> None:
    drafts = generate(RcpspGeneratorConfig(levels="1-40", stage="all", seed=4, per_level=1))
    violated: dict[str, set[str]] = {name: set() for name in BASELINES}
    for draft in drafts:
        data = RcpspData.model_validate(draft.instance.data)
        for name, rule in BASELINES.items():
            result = verify(data, rule(data))
            assert result.objective is not None
            violated[name] |= result.violation_types()
    for name, kinds in violated.items():
        assert kinds <= {"deadline", "horizon"}, (name, kinds)


def test_sgs_handles_huge_time_scales() -> None:
    """A time-indexed profile would need 10^13 cells here; the event-based one has a few dozen breakpoints."""
    scale = 10**12
    data = RcpspData.model_validate(
        {
            "horizon": 50 * scale,
            "resources": [{"id": "R1", "capacity": 2}],
            "tasks": [{"id": f"T{i}", "duration": (i + 1) * scale, "demands": {"R1": 1 + i % 2}} for i in range(40)],
            "downtimes": [{"resource": "R1", "start": 3 * scale, "end": 9 * scale}],
            "precedences": [[f"T{i}", f"T{i + 7}"] for i in range(0, 33, 3)],
        }
    )
    for rule in BASELINES.values():
        starts = rule(data)["starts"]
        assert verify(data, {"starts": starts}).violation_types() <= {"horizon"}
        assert all(s % scale == 0 for s in starts.values())
