"""What became of one item, in words that do not mislead: the outcome labels of docs/metrics.md.

Every item has exactly one outcome. Success (`Verification.correct`) is `optimal`, `feasible` or
`correct_claim`; everything else is a failure of a named kind, so a correct infeasibility claim never reads like a
wrong answer and a wrong makespan guess never reads like a schedule that was merely suboptimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

OUTCOMES: dict[str, str] = {
    "optimal": "optimal",
    "feasible": "feasible",
    "correct_claim": "correct infeasibility claim",
    "wrong_claim": "wrong infeasibility claim",
    "unchecked_claim": "unchecked infeasibility claim",
    "infeasible": "infeasible answer",
    "parse_error": "parse error",
    "api_error": "API error",
}
"""Outcome key → the words shown for it (terminal, HTML badges); `report --json` uses the keys."""

SUCCESSES = frozenset({"optimal", "feasible", "correct_claim"})


def outcome(
    *,
    errored: bool,
    parsed: bool,
    feasible: bool,
    correct: bool,
    optimal: bool,
    claimed_infeasible: bool,
    reference_known: bool,
) -> str:
    """The outcome key of one item.

    `reference_known`: the instance has a reference schedule (so a claim that it is infeasible is wrong);
    a claim on an instance without any reference (neither a schedule nor a proof) cannot be checked.
    """
    if errored:
        return "api_error"
    if not parsed:
        return "parse_error"
    if claimed_infeasible:
        if correct:
            return "correct_claim"
        return "wrong_claim" if reference_known else "unchecked_claim"
    if feasible and correct:
        return "optimal" if optimal else "feasible"
    return "infeasible"


def outcome_of_verification(verification: Mapping[str, Any] | None, errored: bool, parsed: bool) -> str:
    """The outcome of an item from its stored verification (a dict as in docs/formats.md)."""
    v = verification or {}
    claimed = bool(v.get("claimed_infeasible")) or _looks_like_claim(v)
    return outcome(
        errored=errored,
        parsed=parsed and verification is not None,
        feasible=bool(v.get("feasible")),
        correct=bool(v.get("correct")),
        optimal=bool(v.get("optimal")),
        claimed_infeasible=claimed,
        reference_known=v.get("reference") is not None,
    )


def _looks_like_claim(v: Mapping[str, Any]) -> bool:
    types = {str(x.get("type")) for x in v.get("violations") or [] if isinstance(x, Mapping)}
    return "infeasible_claim" in types


def claimed_from_columns(parsed: bool, feasible: bool, correct: bool, violation_types: Iterable[str]) -> bool:
    """Whether a stored item was an infeasibility claim, from the cheap item columns: a parsed answer that is not
    a feasible schedule yet is correct, carries the `infeasible_claim` violation, or has no violation at all
    (a schedule that is not feasible always has at least one)."""
    if not parsed or feasible:
        return False
    types = set(violation_types)
    return correct or "infeasible_claim" in types or not types


def counts(outcomes: Iterable[str]) -> dict[str, int]:
    """Outcome → count, in the order of OUTCOMES, leaving out outcomes that did not occur."""
    found: dict[str, int] = {}
    for key in outcomes:
        found[key] = found.get(key, 0) + 1
    return {key: found[key] for key in OUTCOMES if key in found}
