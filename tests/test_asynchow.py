"""AsyncHow import: all 1,998 plans, the exact longest-path reference against the gold ranges, exact unit
conversion of time answers, prompts that state every step and dependency, the agent stages, the command."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

import schedbench
from schedbench.importers.asynchow import read_file, read_files
from schedbench.problems import get_family
from schedbench.problems.asyncplan import UNIT_SECONDS, total_in_units
from schedbench.prompts import render_question

DATA = Path(schedbench.__file__).parent / "datasets" / "asynchow"
FILES = sorted(DATA.glob("asynchow_*.jsonl"))
EXCEPTIONS = {"asynchow_async_0829", "asynchow_async_1113"}
FAMILY = get_family("asyncplan")


@pytest.fixture(scope="module")
def plans() -> list:
    return read_files(FILES)


def test_every_plan_is_read(plans: list) -> None:
    assert len(plans) == 1998 == len({inst.id for inst in plans})
    assert {inst.stage for inst in plans} == {"unlimited"}
    for inst in plans:
        data = FAMILY.parse_data(inst.data)
        assert inst.level == len(data.steps) and data.agents is None
        assert all(step.attended == step.duration for step in data.steps)  # one agent per step, whole duration


def test_exact_reference_equals_the_gold_range_except_two(plans: list) -> None:
    differing = {}
    for inst in plans:
        data = FAMILY.parse_data(inst.data)
        reference = FAMILY.solve(data)
        assert reference.status == "optimal"
        assert FAMILY.verify(data, reference.witness, reference).feasible
        computed = (reference.objective, getattr(reference, "objective_max", None) or reference.objective)
        gold = tuple(data.answer_range)
        size = UNIT_SECONDS[data.unit]
        assert gold == tuple(s // size for s in inst.published_answer_s)
        if computed != gold:
            differing[inst.id] = (computed, gold)
    assert set(differing) == EXCEPTIONS
    # both: the gold lower end is below the longest path at the shortest durations; the upper ends agree
    assert differing["asynchow_async_0829"] == ((72, 78), (70, 78))  # days
    assert differing["asynchow_async_1113"] == ((483915, 535755), (483851, 535755))  # minutes


def test_answers_inside_the_gold_range_are_correct_and_outside_wrong(plans: list) -> None:
    for inst in plans[::7]:
        data = FAMILY.parse_data(inst.data)
        low, high = data.answer_range
        for total, ok in ((low, True), (high, True), (low - 1, False), (high + 1, False)):
            result = FAMILY.verify(data, {"total": total, "unit": data.unit}, None)
            assert result.correct is ok, (inst.id, total)
            if not ok:
                assert result.violation_types() == {"wrong_time"}
        seconds = inst.published_answer_s[0]
        assert FAMILY.verify(data, {"total": seconds, "unit": "seconds"}, None).correct


def test_unit_conversion_is_exact_and_round_trips() -> None:
    for unit, size in UNIT_SECONDS.items():
        for other, other_size in UNIT_SECONDS.items():
            for total in (0, 1, 7, 90, 12345):
                there = total_in_units(total, unit, other)
                assert there == Fraction(total * size, other_size)
                if size >= other_size:  # into a smaller unit: a whole number, which converts back exactly
                    assert there.denominator == 1 and total_in_units(int(there), other, unit) == total
                else:  # into a larger unit: back through the decimal it prints as, when that is exact
                    decimal = float(there)
                    if Fraction(repr(decimal)) == there:
                        assert total_in_units(decimal, other, unit) == total
    assert total_in_units(1.5, "hours", "minutes") == 90
    assert total_in_units(0.1, "hours", "minutes") == 6  # read as the decimal 0.1, not its binary value
    assert total_in_units(2, "hr", "minutes") == 120 and total_in_units(3, "Minute", "seconds") == 180
    assert "fixed length" in total_in_units(2, "months", "days")
    assert "not a non-negative number" in total_in_units(-1, "hours", "minutes")
    assert "not a non-negative number" in total_in_units(True, "hours", "minutes")


def test_time_answers_in_other_units_and_bad_answers() -> None:
    plan = next(i for i in read_file(DATA / "asynchow_async.jsonl") if i.id == "asynchow_async_0001")
    data = FAMILY.parse_data(plan.data)
    assert data.unit == "minutes" and data.answer_range == (85, 85)
    assert FAMILY.verify(data, {"total": 85, "unit": "minutes"}, None).correct
    assert FAMILY.verify(data, {"total": 5100, "unit": "seconds"}, None).correct
    assert not FAMILY.verify(data, {"total": 1.4, "unit": "hours"}, None).correct
    assert FAMILY.verify(data, {"makespan": 85}, None).correct  # the plan's own unit
    for answer in ({"total": 85}, {"total": 2, "unit": "months"}, {"total": "85", "unit": "minutes"}):
        result = FAMILY.verify(data, answer, None)
        assert not result.correct and result.violation_types() == {"invalid_value"}, answer


def test_prompts_state_every_step_and_dependency(plans: list) -> None:
    for inst in plans:
        data = FAMILY.parse_data(inst.data)
        text = render_question(inst, "time", data=data, style="graph")
        for step in data.steps:
            assert f'- {step.id} "{step.name}": duration {step.duration}' in text
            assert f"({step.duration_text})" in text
        for a, b in data.precedences:
            assert f"- {a} before {b}\n" in text
            assert f"\n{a} -> {b}\n" in text
        for a, b in data.graph_edges():
            assert f"\n{a} -> {b}\n" in text
        assert '"unit"' in text
    plain = render_question(plans[0], "time")
    assert "->" not in plain  # the graph only with the graph style


def test_agent_stages_take_the_longest_durations_and_cp_sat_proves_them() -> None:
    instances = read_file(DATA / "asynchow_para.jsonl", ["unlimited", "one_agent", "two_agents"])[:60]
    by_id = {inst.id: inst for inst in instances}
    for inst in instances:
        if inst.stage == "unlimited":
            continue
        data = FAMILY.parse_data(inst.data)
        assert data.answer_range is None and not data.has_ranges()
        reference = FAMILY.solve(data, time_limit=5.0)
        assert reference.status == "optimal"
        assert FAMILY.verify(data, reference.witness, reference).correct
        base = FAMILY.parse_data(by_id[inst.id.rsplit("-", 1)[0]].data)
        longest_path = max(FAMILY.solve(base.at_longest()).objective, 0)
        if inst.stage == "one_agent":  # one agent busy for every step's whole duration: one step at a time
            assert reference.objective == sum(step.duration for step in data.steps)
        else:
            assert longest_path <= reference.objective <= sum(step.duration for step in data.steps)


def test_import_command_writes_a_suite_that_evaluates(tmp_path: Path, cli) -> None:
    source = tmp_path / "few.jsonl"
    lines = (DATA / "asynchow_async.jsonl").read_text().splitlines()
    source.write_text("\n".join([*lines[:4], lines[829]]) + "\n")
    code, _, err = cli(
        ["import", "asynchow", str(source), "--out", str(tmp_path / "suite"), "--stage", "all", "--quiet"]
    )
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "suite" / "instances.jsonl").read_text().splitlines()]
    assert len(rows) == 15 and {r["stage"] for r in rows} == {"unlimited", "one_agent", "two_agents"}
    assert all(r["reference"]["status"] == "optimal" for r in rows)
    code, _, err = cli(["import", "asynchow", str(source), "--out", str(tmp_path / "x"), "--stage", "three"])
    assert code == 2 and "stage" in err and len(err.strip().splitlines()) == 1
    db = tmp_path / "r.db"
    base = ["evaluate", "--model", "oracle/exact", "--suite", str(tmp_path / "suite"), "--results", str(db), "--quiet"]
    code, _, err = cli([*base, "--mode", "time", "--prompt-style", "graph"])
    assert code == 0, err
    code, out, err = cli(["report", "--results", str(db), "--json"])
    assert code == 0, err
    assert json.loads(out)["feasible_rate"] == 1.0
    code, _, err = cli([*base, "--prompt-style", "tree"])
    assert code == 2 and "--prompt-style" in err
