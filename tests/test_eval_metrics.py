"""The metrics of docs/metrics.md on hand-made items, each against an independent computation."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedbench.evaluate.metrics import ItemFacts, breakpoint_level, summarise, taxonomy, wauc, wilson

BASE = ItemFacts(
    level=1,
    stage="s",
    scenario="abstract",
    family="rcpsp",
    correct=True,
    feasible=True,
    optimal=False,
    parsed=True,
    errored=False,
    gap_pct=10.0,
    gap_abs=None,
    normalised_gap=None,
    violation_types=(),
    input_tokens=10,
    output_tokens=5,
    cost_usd=0.01,
    latency_s=0.2,
    cached=False,
    objective=110.0,
    reference=100.0,
)


def _failed(level: int, *types: str) -> ItemFacts:
    return replace(BASE, level=level, correct=False, feasible=False, gap_pct=None, violation_types=types)


@given(st.integers(0, 200), st.integers(1, 200))
def test_wilson_is_a_sane_interval(successes: int, n: int) -> None:
    successes = min(successes, n)
    low, high = wilson(successes, n)
    assert 0 <= low <= successes / n <= high <= 1
    mirrored = wilson(n - successes, n)
    assert mirrored == pytest.approx((1 - high, 1 - low), abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_wilson_ends_are_exact_at_zero_and_n(n: int) -> None:
    """One implementation for metrics, charts and the HTML report: 0 successes start at exactly 0, n at
    exactly 1, and the other end stays inside (0, 1)."""
    low, high = wilson(0, n)
    assert low == 0.0 and 0.0 < high < 1.0
    low, high = wilson(n, n)
    assert high == 1.0 and 0.0 < low < 1.0
    assert wilson(0, n)[1] == pytest.approx(1 - wilson(n, n)[0])


def test_wilson_matches_the_textbook_formula() -> None:
    z, n, p = 1.959963984540054, 20, 0.7
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert wilson(14, 20) == pytest.approx((centre - half, centre + half))


def test_wauc_weighs_high_levels_more() -> None:
    assert wauc({1: 1.0, 3: 0.0}) == pytest.approx(1 / 4)
    assert wauc({1: 0.0, 3: 1.0}) == pytest.approx(3 / 4)
    assert wauc({}) is None


def test_breakpoint_is_the_start_of_the_final_failing_stretch() -> None:
    assert breakpoint_level({1: 1.0, 2: 0.4, 3: 0.9, 4: 0.4, 5: 0.0}) == 4
    assert breakpoint_level({1: 0.2, 2: 0.1}) == 1
    assert breakpoint_level({1: 1.0, 2: 0.6}) is None
    assert breakpoint_level({1: 1.0, 2: 0.5}) is None  # 0.5 is not below 0.5


def test_summary_counts_parse_and_api_errors_as_failures() -> None:
    items = [
        BASE,
        replace(BASE, gap_pct=30.0, optimal=True),
        _failed(2, "precedence", "capacity"),
        _failed(2, "precedence"),
        replace(_failed(2), parsed=False),
        replace(_failed(2), parsed=False, errored=True),
    ]
    summary = summarise(items)
    assert summary["n"] == 6 and summary["feasible_rate"] == round(2 / 6, 4)
    assert summary["parse_error_rate"] == round(1 / 6, 4) and summary["error_rate"] == round(1 / 6, 4)
    assert summary["optimal_rate"] == round(1 / 6, 4) and summary["optimal_n"] == 6
    assert summary["outcomes"] == {"optimal": 1, "feasible": 1, "infeasible": 2, "parse_error": 1, "api_error": 1}
    assert summary["mean_gap_pct"] == 20.0 and summary["median_gap_pct"] == 20.0
    assert summary["taxonomy"] == {"precedence": 1.0, "capacity": 0.5} and summary["taxonomy_n"] == 2
    assert summary["by_level"][0]["level"] == 1 and summary["by_level"][1]["feasible_rate"] == 0.0
    assert summary["wauc"] == pytest.approx((1 * 1.0 + 2 * 0.0) / 3, abs=1e-4)
    assert summary["breakpoint_level"] == 2
    assert summary["tokens"] == 6 * 15 and summary["cost_usd"] == pytest.approx(0.06)


def test_a_correct_infeasibility_claim_counts_as_success() -> None:
    claim = replace(BASE, correct=True, feasible=False, gap_pct=None)
    summary = summarise([claim, _failed(1, "infeasible_claim")])
    assert summary["feasible_rate"] == 0.5
    assert taxonomy([claim, _failed(1, "infeasible_claim")]) == ({"infeasible_claim": 1.0}, 1)


def test_answers_better_than_the_reference_are_counted_and_listed_not_averaged() -> None:
    """Two answers beat an unproven reference (negative gaps): they are counted and listed, and the gap
    averages are over the others only."""
    normal = replace(BASE, instance_id="a", objective=110.0, reference=100.0, gap_pct=10.0)
    better = replace(BASE, instance_id="b", objective=90.0, reference=100.0, gap_pct=-10.0, level=2)
    also = replace(BASE, instance_id="c", sample=1, objective=50.0, reference=60.0, gap_pct=-16.6667)
    infeasible = replace(_failed(1), instance_id="d", objective=10.0, reference=100.0)
    summary = summarise([normal, better, also, infeasible])
    assert summary["better_than_reference"] == 2
    assert [(i["instance_id"], i["sample"]) for i in summary["better_than_reference_items"]] == [("b", 0), ("c", 1)]
    assert summary["better_than_reference_items"][0] == {
        "instance_id": "b",
        "sample": 0,
        "family": "rcpsp",
        "level": 2,
        "objective": 90.0,
        "reference": 100.0,
    }
    assert summary["mean_gap_pct"] == 10.0 and summary["median_gap_pct"] == 10.0
    by_level = {row["level"]: row for row in summary["by_level"]}
    assert by_level[1]["better_than_reference"] == 1 and by_level[1]["mean_gap_pct"] == 10.0
    assert by_level[2]["better_than_reference"] == 1 and by_level[2]["mean_gap_pct"] is None


def test_outcomes_name_claims_apart_from_wrong_answers_and_optimal_rate_skips_undefined_items() -> None:
    """A correct claim on an infeasible instance is its own outcome, as is a wrong claim and a claim that no
    reference can check; `optimal_rate` counts only over items where optimality is defined (`optimal_n`)."""
    claim = replace(BASE, feasible=False, gap_pct=None, objective=None, claimed_infeasible=True)
    items = [
        replace(BASE, optimal=True),
        replace(claim, correct=True, reference=None),  # the instance was proven infeasible
        replace(claim, correct=False, violation_types=("infeasible_claim",)),
        replace(claim, correct=False, reference=None),  # no reference at all: nobody can tell
        _failed(1, "precedence"),
    ]
    summary = summarise(items)
    assert summary["outcomes"] == {
        "optimal": 1,
        "correct_claim": 1,
        "wrong_claim": 1,
        "unchecked_claim": 1,
        "infeasible": 1,
    }
    assert summary["feasible_rate"] == round(2 / 5, 4)
    assert summary["optimal_n"] == 3 and summary["optimal_rate"] == round(1 / 3, 4)
    assert summarise([replace(claim, correct=True, reference=None)])["optimal_rate"] is None


@pytest.mark.parametrize(
    ("parsed", "feasible", "correct", "types", "claimed"),
    [
        (True, False, True, (), True),
        (True, False, False, ("infeasible_claim",), True),
        (True, False, False, (), True),
        (True, False, False, ("precedence",), False),
        (True, True, True, (), False),
        (False, False, False, (), False),
    ],
)
def test_claims_are_recognised_from_the_stored_columns(
    parsed: bool, feasible: bool, correct: bool, types: tuple[str, ...], claimed: bool
) -> None:
    from schedbench.evaluate.outcomes import claimed_from_columns

    assert claimed_from_columns(parsed, feasible, correct, types) is claimed
