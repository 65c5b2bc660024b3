"""SMTT verifier: permutation checks, the objective, gaps, and no exception on any JSON value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.problems import Reference
from schedbench.problems.smtt import from_arrays
from schedbench.verifiers.smtt import VIOLATION_TYPES, verify

DATA = from_arrays([3, 2, 4], [2, -1, 9], [1, 2, 1])


def test_objective_of_a_permutation() -> None:
    # J2 (p=2, d=-1, w=2): C=2, T=3 → 6; J1: C=5, T=3 → 3; J3: C=9, T=0
    result = verify(DATA, {"sequence": ["J2", "J1", "J3"]})
    assert result.feasible and result.objective == 9 and not result.violations


def test_gap_and_optimality_against_the_reference() -> None:
    reference = Reference(status="optimal", objective=9, bound=9)
    assert verify(DATA, {"sequence": ["J2", "J1", "J3"]}, reference).optimal
    worse = verify(DATA, {"sequence": ["J1", "J2", "J3"]}, reference)
    # J1: C=3, T=1; J2: C=5, T=6 → 12; J3: C=9 → 13
    assert worse.objective == 13 and not worse.optimal and worse.gap_pct == round(100 * 4 / 9, 4)
    zero = verify(from_arrays([1], [5]), {"sequence": ["J1"]}, Reference(status="optimal", objective=0, bound=0))
    assert zero.gap_abs == 0 and zero.gap_pct is None and zero.optimal


def test_missing_unknown_duplicate() -> None:
    result = verify(DATA, {"sequence": ["J2", "J2", "J9", 7]})
    assert not result.feasible and result.objective is None
    assert result.violation_types() == {"duplicate", "unknown", "missing"}
    missing = next(v for v in result.violations if v.type == "missing")
    assert missing.items == ["J1", "J3"]


def test_answer_shapes_that_are_not_a_sequence() -> None:
    for answer in (None, [], "J1 J2 J3", {"order": ["J1"]}, {"sequence": "J1,J2,J3"}, {"sequence": None}):
        result = verify(DATA, answer)
        assert not result.feasible and "missing" in result.violation_types()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.lists(st.sampled_from(["J1", "J2", "J3", "J4", 1, None, 2.5]), max_size=6))
def test_never_raises(value: object, sequence: list) -> None:
    for answer in (value, {"sequence": value}, {"sequence": sequence}):
        result = verify(DATA, answer)
        assert result.violation_types() <= set(VIOLATION_TYPES)
        assert result.feasible == (result.objective is not None)


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(range(6))), st.lists(st.integers(-50, 400), min_size=6, max_size=6))
def test_objective_matches_a_plain_loop(order: list[int], due: list[int]) -> None:
    p, w = [5, 17, 3, 40, 8, 11], [1, 3, 2, 1, 4, 1]
    data = from_arrays(p, due, w)
    clock, expected = 0, 0
    for j in order:
        clock += p[j]
        expected += w[j] * max(0, clock - due[j])
    result = verify(data, {"sequence": [f"J{j + 1}" for j in order]})
    assert result.objective == expected
    assert isinstance(result.objective, int) and not isinstance(result.objective, np.integer)
