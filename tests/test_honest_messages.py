"""Findings speak the answer's own language: a JSON `null` anywhere in an answer, of any family, never comes
back as Python's `None` in a violation's detail or items (nor in the repair feedback built from them)."""

from __future__ import annotations

from typing import Any

import pytest
from conformance import small_suite

from schedbench.problems import family_names


def null_answers(witness: Any) -> list[Any]:
    """Answers shaped like the witness with nulls put where ids and values belong."""
    answers: list[Any] = [None, {}, {"infeasible": None}, {"makespan": None}, {"total": None, "unit": None}]
    answers.append({"total": 3, "unit": None})
    if isinstance(witness, dict):
        for key, value in witness.items():
            if isinstance(value, dict):
                answers.append({**witness, key: {k: None for k in value}})
                answers.append({**witness, key: [[None, None], [None, 1], None]})
                answers.append({**witness, key: [{"id": None, "start": None}]})
            elif isinstance(value, list):
                answers.append({**witness, key: [None, *value[1:]]})
                answers.append({**witness, key: None})
    return answers


@pytest.mark.parametrize("family_name", family_names())
def test_no_python_none_in_any_finding(family_name: str) -> None:
    from schedbench.problems import get_family

    family = get_family(family_name)
    suite = small_suite(family_name)
    checked = 0
    for inst in suite:
        data = family.parse_data(inst.data)
        witness = inst.reference.witness if inst.reference else None
        for answer in null_answers(witness):
            result = family.verify(data, answer, inst.reference)
            for violation in result.violations:
                assert "None" not in violation.detail, (answer, violation)
                assert all("None" not in item for item in violation.items), (answer, violation)
                checked += 1
    assert checked > 0
