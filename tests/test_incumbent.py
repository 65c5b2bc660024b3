"""References are never weaker than a baseline rule (every family, also at a tiny limit); the SMTT local search
always returns a permutation no costlier than its start; the SMTT limit counts work, so load changes nothing."""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import numpy as np
import pytest
from conformance import small_suite
from hypothesis import given, settings
from hypothesis import strategies as st

from schedbench.generators.smtt import draw
from schedbench.problems import Instance, Reference, family_names, get_family
from schedbench.problems.smtt import from_arrays, total_tardiness
from schedbench.solvers import smtt_exact
from schedbench.solvers.incumbent import with_incumbent


@cache
def suite_of(name: str) -> list[Instance]:
    return small_suite(name, seed=23)


def assert_not_weaker(name: str, data: object, reference: Reference) -> None:
    """The witness verifies with the reference objective, which is ≤ every feasible baseline's objective."""
    family = get_family(name)
    assert reference.incumbent, reference
    if reference.status == "infeasible":
        return
    checked = family.verify(data, reference.witness, reference)
    assert checked.feasible and checked.objective == reference.objective
    assert reference.bound is None or reference.bound <= reference.objective
    for rule, baseline in family.baselines.items():
        try:
            answer = baseline(data)
        except ValueError:
            continue
        result = family.verify(data, answer, reference)
        if result.feasible:
            assert reference.objective <= result.objective, (name, rule, reference.objective, result.objective)


@pytest.mark.parametrize("limit", [5.0, 1e-6], ids=["normal-limit", "tiny-limit"])
@pytest.mark.parametrize("name", family_names())
def test_reference_never_weaker_than_a_baseline(name: str, limit: float) -> None:
    family = get_family(name)
    suite = suite_of(name)
    assert suite
    for inst in suite:
        data = family.parse_data(inst.data)
        assert_not_weaker(name, data, family.solve(data, time_limit=limit, workers=1, hint=None))


@pytest.mark.parametrize(("tf", "rdd"), [(0.6, 0.2), (0.4, 0.2), (0.8, 0.4)])
def test_smtt_unproven_reference_is_the_best_rule_improved(tf: float, rdd: float) -> None:
    """A hard n=300 instance stopped at once: `feasible`, no weaker than any of the 12 rules, and made by
    local search from a rule (its sequence beats the rule it started from)."""
    p, d, w = draw(300, tf, rdd, np.random.default_rng(31))
    data = from_arrays(p, d, w)
    reference = get_family("smtt").solve(data, time_limit=1e-6, workers=1, hint=None)
    assert reference.status == "feasible" and reference.incumbent.startswith("baseline/")
    assert reference.incumbent.endswith("+local-search")
    assert_not_weaker("smtt", data, reference)


def test_a_missing_incumbent_is_replaced_by_the_best_baseline() -> None:
    """A solver that found nothing (status unknown) gets the best baseline's schedule, named as such."""
    family = get_family("smtt")
    data = from_arrays([4, 3, 7, 2, 5], [5, 6, 8, 3, 9])
    empty = Reference(status="unknown", solver="stub")
    reference = with_incumbent(empty, data, family.baselines, family.verify)
    assert reference.status == "feasible" and reference.incumbent.startswith("baseline/")
    assert_not_weaker("smtt", data, reference)
    proven = Reference(status="optimal", objective=1, bound=1, solver="stub", witness={})
    assert with_incumbent(proven, data, family.baselines, family.verify).incumbent == "stub"


@st.composite
def sequences(draw_: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw_(st.integers(1, 40))
    p = np.array(draw_(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=np.int64)
    d = np.array(draw_(st.lists(st.integers(-20, 50 * n), min_size=n, max_size=n)), dtype=np.int64)
    w = np.array(draw_(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=np.int64)
    order = np.array(draw_(st.permutations(range(n))), dtype=np.int64)
    return p, d, w, order, draw_(st.integers(1, 60))


@settings(max_examples=400, deadline=None)
@given(sequences())
def test_local_search_returns_a_permutation_no_costlier(case: tuple) -> None:
    p, d, w, order, window = case
    improved = smtt_exact.local_search(p, d, w, order, window=window)
    assert sorted(improved.tolist()) == list(range(len(p)))
    assert total_tardiness(p, d, w, improved) <= total_tardiness(p, d, w, order)


def test_local_search_rejects_a_sequence_that_is_not_a_permutation() -> None:
    with pytest.raises(ValueError, match="permutation"):
        smtt_exact.core().improve([1, 2], [0, 0], [1, 1], [0, 0])


def hard_suite() -> list:
    return [from_arrays(*draw(300, tf, 0.2, np.random.default_rng(k))) for k, tf in enumerate((0.4, 0.6, 0.8))]


def fingerprint(reference: Reference) -> tuple:
    return reference.status, reference.objective, reference.bound, str(reference.witness), reference.incumbent


def test_same_references_beside_a_cpu_hog() -> None:
    """The SMTT limit counts work, not seconds: a suite stopped mid-search by its limit gets the very same
    references (objective, bound, witness) whether the machine is idle or two busy processes compete."""
    family = get_family("smtt")
    suite = hard_suite()
    quiet = [fingerprint(family.solve(data, time_limit=0.05)) for data in suite]
    assert any(status == "feasible" for status, *_ in quiet)  # the limit really stops some searches
    spin = "import time\nend = time.time() + 120\nwhile time.time() < end:\n    pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        loaded = [fingerprint(family.solve(data, time_limit=0.05)) for data in suite]
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert loaded == quiet


@pytest.mark.parametrize(("tf", "rdd"), [(0.6, 0.2), (0.4, 0.2), (0.2, 0.6)])
def test_weighted_n100_reference_is_at_most_the_improved_rule(tf: float, rdd: float) -> None:
    """Weighted, n=100 (beyond the DP): at a tiny limit the reference is at most the best weighted rule improved
    by the local search, and at most every baseline rule."""
    from schedbench.solvers.smtt_weighted import best_hint

    p, d, w = draw(100, tf, rdd, np.random.default_rng(47), weighted=True)
    data = from_arrays(p, d, w)
    reference = get_family("smtt").solve(data, time_limit=1e-3, workers=1, hint=None)
    improved, _, _ = best_hint(p, d, w)
    assert reference.objective <= improved
    assert_not_weaker("smtt", data, reference)
