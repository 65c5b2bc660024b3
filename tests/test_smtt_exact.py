"""Exact SMTT solvers against brute force, subset DP and the published optima of the published sets."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedbench.generators.smtt import draw
from schedbench.problems.smtt import SmttData, from_arrays, total_tardiness
from schedbench.solvers import smtt_exact, smtt_weighted
from schedbench.verifiers.smtt import verify


def subset_dp(p: list[int], d: list[int], w: list[int]) -> int:
    """Minimum Σ w·T by dynamic programming over subsets (the job set scheduled first)."""
    n = len(p)
    length = [0] * (1 << n)
    best = [0] + [None] * ((1 << n) - 1)
    for mask in range(1, 1 << n):
        low = mask & -mask
        length[mask] = length[mask ^ low] + p[low.bit_length() - 1]
        best[mask] = min(
            best[mask ^ (1 << j)] + w[j] * max(0, length[mask] - d[j]) for j in range(n) if (mask >> j) & 1
        )
    return best[(1 << n) - 1]


def brute_force(p: list[int], d: list[int], w: list[int]) -> int:
    """Minimum Σ w·T over every permutation."""
    arrays = np.array(p), np.array(d), np.array(w)
    return min(total_tardiness(*arrays, np.array(order)) for order in itertools.permutations(range(len(p))))


@st.composite
def instances(draw: st.DrawFn, max_jobs: int, weighted: bool) -> tuple[list[int], list[int], list[int]]:
    n = draw(st.integers(1, max_jobs))
    p = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    horizon = sum(p)
    d = draw(st.lists(st.integers(-10, horizon + 10), min_size=n, max_size=n))
    w = draw(st.lists(st.integers(0 if weighted else 1, 10 if weighted else 1), min_size=n, max_size=n))
    return p, d, w


def check_reference(p: list[int], d: list[int], w: list[int], expected: int, time_limit: float = 30.0) -> None:
    data = from_arrays(p, d, w)
    reference = smtt_exact.solve(data, time_limit=time_limit)
    assert reference.status == "optimal", reference
    assert reference.objective == reference.bound == expected
    result = verify(data, reference.witness, reference)
    assert result.feasible and result.objective == expected and result.optimal


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_jobs=10, weighted=False), st.integers(0, 3))
def test_unweighted_core_matches_subset_dp(case: tuple[list[int], list[int], list[int]], slack: int) -> None:
    """The compiled core alone (fast), without and with an upper bound (exact, or loose by `slack`)."""
    p, d, w = case
    expected = subset_dp(p, d, w)
    for upper in (-1, expected + slack):
        proven, objective, sequence, _, _ = smtt_exact.core().solve(p, d, 10**9, upper)
        assert proven and objective == expected
        assert sorted(sequence) == list(range(len(p)))
        assert total_tardiness(np.array(p), np.array(d), np.array(w), np.array(sequence)) == expected


@st.composite
def clustered_instances(draw_from: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    """Potts–Van Wassenhove instances of the hard classes (clustered due dates): the same job sets recur at many
    start times there, so the bounds carried between start times are exercised."""
    n = draw_from(st.integers(6, 12))
    tf = draw_from(st.sampled_from([0.4, 0.6, 0.8]))
    rdd = draw_from(st.sampled_from([0.2, 0.4]))
    rng = np.random.default_rng(draw_from(st.integers(0, 2**32 - 1)))
    p, d, w = draw(n, tf, rdd, rng, max_p=draw_from(st.sampled_from([10, 30, 100])))
    return p.tolist(), d.tolist(), w.tolist()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(max_jobs=12, weighted=False), clustered_instances()), st.integers(1, 300), st.booleans())
def test_stopped_core_bound_never_exceeds_the_optimum(
    case: tuple[list[int], list[int], list[int]], work_limit: int, with_upper: bool
) -> None:
    """Stopped at any amount of work (mid-pass included), the core's bound is at most the optimum; finished, it
    is the optimum. Every bound the memo carries (other start times, sibling positions) feeds that value."""
    p, d, w = case
    expected = subset_dp(p, d, w)
    proven, value, sequence, _, _ = smtt_exact.core().solve(p, d, work_limit, expected + 2 if with_upper else -1)
    if proven:
        assert value == expected
        assert total_tardiness(np.array(p), np.array(d), np.array(w), np.array(sequence)) == expected
    else:
        assert 0 <= value <= expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clustered_instances())
def test_core_matches_subset_dp_on_clustered_due_dates(case: tuple[list[int], list[int], list[int]]) -> None:
    p, d, w = case
    proven, value, _, _, _ = smtt_exact.core().solve(p, d, 10**9, -1)
    assert proven and value == subset_dp(p, d, w)


@settings(max_examples=200, deadline=None)
@given(instances(max_jobs=8, weighted=False))
def test_unweighted_reference_matches_subset_dp(case: tuple[list[int], list[int], list[int]]) -> None:
    p, d, w = case
    check_reference(p, d, w, subset_dp(p, d, w))


@settings(max_examples=500, deadline=None)
@given(instances(max_jobs=6, weighted=False))
def test_subset_dp_matches_brute_force(case: tuple[list[int], list[int], list[int]]) -> None:
    assert subset_dp(*case) == brute_force(*case)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_jobs=8, weighted=True))
def test_weighted_dp_matches_subset_dp(case: tuple[list[int], list[int], list[int]]) -> None:
    p, d, w = case
    check_reference(p, d, w, subset_dp(p, d, w))


@settings(max_examples=200, deadline=None)
@given(instances(max_jobs=7, weighted=True))
def test_dominance_keeps_an_optimum(case: tuple[list[int], list[int], list[int]]) -> None:
    p, d, w = (np.array(x) for x in case)
    pairs = smtt_weighted.dominance_pairs(p, d, w)
    allowed = [
        order
        for order in itertools.permutations(range(len(p)))
        if all(order.index(i) < order.index(j) for i, j in pairs)
    ]
    assert allowed, "dominance rules form a cycle"
    assert min(total_tardiness(p, d, w, np.array(o)) for o in allowed) == brute_force(*case)


def read_published(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["smtt_n20_discoverheuristics.jsonl", "smtt_n100_discoverheuristics.jsonl"])
def test_reproduces_every_published_optimum(published_data: Path, name: str) -> None:
    rows = read_published(published_data / "smtt" / name)
    assert len(rows) in (800, 200)
    for row in rows:
        proven, objective, sequence, _, _ = smtt_exact.core().solve(row["p"], row["d"], 10**10)
        assert proven and objective == row["optimum"], row["name"]
        order = np.array(sequence)
        p, d = np.array(row["p"]), np.array(row["d"])
        assert sorted(sequence) == list(range(len(p)))
        assert total_tardiness(p, d, np.ones_like(p), order) == objective


@pytest.mark.slow
def test_weighted_reproduces_wt40_subsample(published_data: Path) -> None:
    """Every 5th OR-Library wt40 instance (25 of 125, all classes): proven optimal, equal to wtopt40.
    The full set runs in bench/smtt_exact.py."""
    from schedbench.importers.orlib import read_file

    instances = read_file(published_data / "orlib" / "wt40.txt")
    assert len(instances) == 125
    for inst in instances[::5]:
        data = SmttData.model_validate(inst.data)
        reference = smtt_weighted.solve(data, time_limit=300.0)  # a guard only: the slowest take ~50 s under load
        assert reference.status == "optimal", inst.id
        assert reference.objective == inst.published_optimum, inst.id
        assert verify(data, reference.witness, reference).objective == reference.objective


def test_time_limit_gives_best_sequence_and_a_proven_bound() -> None:
    from schedbench.generators.smtt import draw

    p, d, w = draw(400, 0.6, 0.2, np.random.default_rng(5))
    data = from_arrays(p, d, w)
    reference = smtt_exact.solve(data, time_limit=0.02)
    assert reference.status == "feasible"
    assert 0 <= reference.bound <= reference.objective
    assert reference.bound >= smtt_exact.lower_bound(p, d) > 0  # the search proves at least the matching bound
    result = verify(data, reference.witness, reference)
    assert result.feasible and result.objective == reference.objective


def test_hint_is_used_as_upper_bound() -> None:
    data = from_arrays([4, 3, 7, 2], [5, 6, 8, 3])
    best = subset_dp([4, 3, 7, 2], [5, 6, 8, 3], [1, 1, 1, 1])
    reference = smtt_exact.solve(data, hint={"sequence": ["J4", "J1", "J2", "J3"]})
    assert reference.objective == best and reference.edd_objective >= best
    assert smtt_exact.hint_order(data, {"sequence": ["J1", "J1", "J2", "J3"]}) is None


@settings(max_examples=300, deadline=None)
@given(instances(max_jobs=7, weighted=True))
def test_weighted_lower_bound_is_sound(case: tuple[list[int], list[int], list[int]]) -> None:
    p, d, w = (np.array(x) for x in case)
    assert 0 <= smtt_weighted.lower_bound(p, d, w) <= subset_dp(*case)


def test_weighted_time_limit_keeps_a_sound_bound() -> None:
    from schedbench.generators.smtt import draw

    p, d, w = draw(70, 0.6, 0.2, np.random.default_rng(2), weighted=True)  # > 63 jobs: CP-SAT
    data = from_arrays(p, d, w)
    reference = smtt_weighted.solve(data, time_limit=0.5)
    assert reference.status in ("feasible", "optimal")
    assert smtt_weighted.lower_bound(p, d, w) <= reference.bound <= reference.objective
    assert verify(data, reference.witness, reference).objective == reference.objective
