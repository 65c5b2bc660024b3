"""What a model is told after an answer fails (the repair strategy's user turns), from the verifier's findings.

The text names each violated constraint in the scenario's words with the items and times involved, a parse
error with its reason and the required format, or, on request, that a feasible answer can be improved. It is
built from the answer's own verification only: the findings whose text would reveal the reference (a wrong
infeasibility claim, a wrong minimum time) are named without their detail, and no reference value, optimum or
bound is ever passed to the template.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from schedbench.problems import Instance, get_family
from schedbench.prompts._render import _environment, _schema_text

FEEDBACK_STYLES = ("full", "types", "bare")
#: The words a phrase uses when the scenario names none of its own.
DEFAULT_TERMS = {
    "resource": "resource",
    "station": "station",
    "agent": "worker",
    "machine": "machine",
    "operation": "operation",
    "downtime": "downtime",
}
#: Violation types whose detail text quotes the reference: they are named, never detailed.
REFERENCE_REVEALING = frozenset({"infeasible_claim", "wrong_time", "unverified_time"})
#: Each violated constraint in words; {term} placeholders take the scenario's words.
PHRASES = {
    "missing": "something is missing",
    "unknown": "an id that is not in the problem",
    "duplicate": "an item is given twice",
    "invalid_value": "a value that is not a non-negative integer",
    "precedence": "starts before a predecessor ends",
    "job_order": "starts before the previous operation of its job ends",
    "capacity": "a {resource} is used beyond its capacity",
    "station_capacity": "a {station} is used by more steps than it holds",
    "agent_overlap": "one {agent} does two steps at once",
    "unknown_agent": "a {agent} that does not exist",
    "machine_overlap": "two {operation}s on one {machine} at once",
    "disjunctive": "two items that cannot overlap do overlap",
    "eligibility": "an {operation} on a {machine} that cannot run it",
    "downtime": "runs during a {downtime}",
    "release": "starts before its release time",
    "deadline": "ends after its deadline",
    "horizon": "ends after the horizon",
    "infeasible_claim": "you claimed no valid schedule exists, but one does",
    "wrong_time": "the time you gave is not the minimum",
    "unverified_time": "the time you gave is not proven to be the minimum",
}


def feedback_text(
    instance: Instance,
    mode: str,
    style: str,
    parse_error: str | None,
    verification: dict[str, Any] | None,
    objective_turn: bool = False,
    program: bool = False,
) -> str | None:
    """The user turn after an answer, or None when the answer needs none (correct, and no objective turn asked).

    `objective_turn`: a feasible answer that the reference beats gets a turn saying so (without any number).
    `program`: the answer was printed by the model's program (formalize), so the program is what to fix.
    """
    if style not in FEEDBACK_STYLES:
        raise ValueError(f"unknown feedback style {style!r}; known: {', '.join(FEEDBACK_STYLES)}")
    verification = verification or {}
    better = objective_turn and _improvable(verification)
    if parse_error is None and verification.get("correct") and not better:
        return None
    violations = [_own_words(v) for v in verification.get("violations") or []]
    family = get_family(instance.family)
    terms = family.scenario_terms(instance.scenario)
    template = _environment(Path(family.template_dir)).get_template("feedback.j2")
    return (
        template.render(
            style=style,
            parse_error=parse_error,
            schema=_schema_text(family.name, mode),
            better_exists=better,
            objective=verification.get("objective"),
            violations=violations,
            counts=sorted(Counter(v["type"] for v in violations).items()),
            phrases={kind: phrase.format_map({**DEFAULT_TERMS, **terms}) for kind, phrase in PHRASES.items()},
            item_word=_item_word(terms),
            program=program,
        ).strip()
        + "\n"
    )


def _improvable(verification: dict[str, Any]) -> bool:
    """A feasible answer with a strictly worse objective than the reference's (gap > 0), not proven optimal."""
    if not verification.get("feasible") or verification.get("optimal"):
        return False
    return (verification.get("gap_pct") or 0) > 0 or (verification.get("gap_abs") or 0) > 0


def _own_words(violation: dict[str, Any]) -> dict[str, Any]:
    """A violation as the model may see it: reference-revealing details removed."""
    if violation.get("type") in REFERENCE_REVEALING:
        return {"type": violation["type"], "items": [], "detail": ""}
    return {
        "type": violation.get("type", ""),
        "items": list(violation.get("items") or []),
        "detail": violation.get("detail", ""),
    }


def _item_word(terms: dict[str, str]) -> str:
    for key in ("operation", "task", "step", "job"):
        if key in terms:
            return terms[key] + "s"
    return "involved"
