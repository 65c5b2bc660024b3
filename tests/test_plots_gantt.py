"""Gantt charts per family: what is drawn matches the schedule, and no answer can break the drawing."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedbench import plots
from schedbench.problems import Instance, get_family

FAMILIES = ("rcpsp", "asyncplan", "smtt")
SERIES = re.compile(r'class="sb-series" data-role="([^"]+)" data-series="([^"]*)"')


@cache
def solved(family_name: str) -> tuple[Any, Instance]:
    """One small solved instance of a family (typed data, instance with its reference)."""
    family = get_family(family_name)
    draft = family.generate(
        family.generator_config(levels="6", stage="combined" if family_name == "rcpsp" else family.stages[-1], seed=2)
    )[0]
    data = family.parse_data(draft.instance.data)
    draft.instance.reference = family.solve(data, time_limit=10.0, workers=1, hint=draft.hint)
    return data, draft.instance


def series(fig: Any) -> list[tuple[str, str]]:
    """(role, label) of every tagged series in the figure's SVG."""
    return SERIES.findall(plots.inline_svg(plots.figure_svg(fig), "t"))


def roles(found: list[tuple[str, str]], role: str) -> list[str]:
    return [label for r, label in found if r == role]


def test_rcpsp_gantt_draws_every_task_twice_and_a_profile_per_resource() -> None:
    data, inst = solved("rcpsp")
    witness = inst.reference.witness
    found = series(plots.schedule_comparison("rcpsp", data, witness, witness))
    assert sorted(roles(found, "task")) == sorted([t.id for t in data.tasks] * 2)
    assert sorted(roles(found, "load")) == sorted([r.id for r in data.resources] * 2)
    assert sorted(roles(found, "capacity")) == sorted([r.id for r in data.resources] * 2)


def test_rcpsp_gantt_leaves_out_bad_starts_and_says_so() -> None:
    data, inst = solved("rcpsp")
    starts = dict(inst.reference.witness["starts"])
    first, second = data.tasks[0].id, data.tasks[1].id
    starts[first], starts[second] = -3, "soon"
    starts["ghost"] = 4
    fig = plots.schedule_comparison("rcpsp", data, {"starts": starts}, None)
    assert sorted(roles(series(fig), "task")) == sorted(t.id for t in data.tasks[2:])
    assert "2 without a drawable start" in fig.axes[0].get_title()


def test_asyncplan_lanes_hold_the_attended_steps_of_each_agent() -> None:
    data, inst = solved("asyncplan")
    witness = inst.reference.witness
    found = series(plots.draw_schedule("asyncplan", data, witness))
    attended = {s.id for s in data.steps if s.attended > 0}
    lanes = roles(found, "agent")
    assert sorted(label.split(":")[1] for label in lanes) == sorted(attended)
    for label in lanes:
        agent, step = label.split(":")
        assert witness["agents"][step] == agent
    assert sorted(roles(found, "step")) == sorted(s.id for s in data.steps)
    assert sorted(roles(found, "load")) == sorted(station.id for station in data.stations)


def test_smtt_chart_reports_the_total_weighted_tardiness_of_the_sequence() -> None:
    data, inst = solved("smtt")
    sequence = inst.reference.witness["sequence"]
    fig = plots.draw_schedule("smtt", data, {"sequence": sequence})
    found = series(fig)
    assert roles(found, "job") == sequence
    assert roles(found, "tardiness") == sequence
    assert f"total weighted tardiness {round(inst.reference.objective)}" in fig.axes[0].get_title()
    reversed_fig = plots.draw_schedule("smtt", data, {"sequence": [*sequence[::-1], "J999", sequence[0]]})
    assert roles(series(reversed_fig), "job") == sequence[::-1]


@pytest.mark.parametrize(
    "answer, note",
    [
        ({"infeasible": True}, "claims the instance is infeasible"),
        ({"makespan": 42}, "only the makespan: 42"),
        ("not an object", "no parsable answer"),
    ],
)
def test_answers_without_a_schedule_are_explained(answer: Any, note: str) -> None:
    data, _ = solved("asyncplan")
    fig = plots.draw_schedule("asyncplan", data, answer)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(note in text for text in texts)
    assert not series(fig)


def test_huge_start_times_are_drawn_without_building_a_timeline() -> None:
    data, inst = solved("rcpsp")
    starts = {t.id: 10**12 + k for k, t in enumerate(data.tasks)}
    fig = plots.schedule_comparison("rcpsp", data, {"starts": starts}, inst.reference.witness)
    assert len(roles(series(fig), "task")) == 2 * len(data.tasks)


@pytest.mark.parametrize("start", [1e20, 10**20, 1.7e308])
@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "smtt"])
def test_a_start_too_large_to_draw_is_left_out_and_said(family: str, start: float) -> None:
    """Found by the property test below: a float start past int64 made matplotlib fail on the whole figure."""
    data, _ = solved(family)
    known = [t.id for t in getattr(data, "tasks", None) or getattr(data, "steps", None) or data.jobs]
    fig = plots.draw_schedule(family, data, {"starts": {known[0]: start}})
    assert plots.figure_svg(fig).startswith("<?xml")
    assert f"{len(known)} without a drawable start" in fig.axes[0].get_title()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**15) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(FAMILIES), junk=json_values, ids=st.data())
def test_no_answer_breaks_the_drawing(family: str, junk: Any, ids: st.DataObject) -> None:
    data, _ = solved(family)
    known = [t.id for t in getattr(data, "tasks", None) or getattr(data, "steps", None) or data.jobs]
    key = ids.draw(st.sampled_from([*known, "x", 3]))
    candidates = [
        junk,
        {"starts": junk},
        {"starts": {key: junk}},
        {"sequence": [key, junk]},
        {"starts": [[key, junk], [key, 1]], "agents": {key: junk}},
    ]
    for answer in candidates:
        fig = plots.draw_schedule(family, data, answer)
        assert plots.figure_svg(fig).startswith("<?xml")
