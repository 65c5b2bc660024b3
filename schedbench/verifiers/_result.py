"""Turning a list of violations and an objective into the verification result of docs/formats.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from schedbench.problems._envelope import Reference, Verification, Violation


def reference_objective(reference: Reference | None) -> float | int | None:
    """The reference objective when the reference holds a solution, else None."""
    if reference is None or reference.status not in ("optimal", "feasible"):
        return None
    return reference.objective


def finish(
    violations: list[Violation],
    objective: float | int | None,
    reference: Reference | None,
    claimed_infeasible: bool = False,
) -> Verification:
    """Build the Verification: feasibility, correctness, gap to the reference and optimality."""
    ref_obj = reference_objective(reference)
    if claimed_infeasible:
        proven_infeasible = reference is not None and reference.status == "infeasible"
        if ref_obj is not None:
            violations = [
                *violations,
                Violation(
                    type="infeasible_claim",
                    detail=f"claimed infeasible, but a schedule with objective {ref_obj} exists",
                ),
            ]
        return Verification(
            feasible=False,
            correct=proven_infeasible,
            objective=None,
            reference=ref_obj,
            claimed_infeasible=True,
            violations=violations,
        )
    feasible = not violations
    result = Verification(
        feasible=feasible, correct=feasible, objective=objective, reference=ref_obj, violations=violations
    )
    if feasible and objective is not None and ref_obj is not None:
        if ref_obj != 0:
            result.gap_pct = round(100.0 * (objective - ref_obj) / abs(ref_obj), 4)
        else:
            result.gap_abs = objective - ref_obj
        bound = reference.bound if reference is not None and reference.bound is not None else None
        proven = ref_obj if reference is not None and reference.status == "optimal" else bound
        result.optimal = proven is not None and objective <= proven
    return result


def as_nonnegative_int(value: Any) -> int | None:
    """The value as a non-negative integer (integral floats accepted), or None if it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def entries(mapping_or_pairs: Any, key_names: tuple[str, ...], value_name: str) -> list[tuple[Any, Any]] | None:
    """Normalise an answer's id → value part into (id, value) pairs.

    Accepts a JSON object, a list of [id, value] pairs, or a list of objects such as {"id": .., "start": ..}
    (lists keep duplicates, so the verifier can report them). Returns None for anything else.
    """
    if isinstance(mapping_or_pairs, dict):
        return list(mapping_or_pairs.items())
    if not isinstance(mapping_or_pairs, list):
        return None
    pairs: list[tuple[Any, Any]] = []
    for entry in mapping_or_pairs:
        if isinstance(entry, list | tuple) and len(entry) == 2:
            pairs.append((entry[0], entry[1]))
        elif isinstance(entry, dict):
            key = next((entry[k] for k in key_names if k in entry), None)
            pairs.append((key, entry.get(value_name)))
        else:
            pairs.append((None, None))
    return pairs


def shown(value: Any, limit: int = 40) -> str:
    """A value from an answer as the model wrote it (JSON: `null`, `"x"`, `1.5`), shortened; never Python's `None`."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hashable_id(value: Any) -> str | None:
    """An answer's item id as a string if it is a string or an integer, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_starts(
    raw: Any, ids: Sequence[str], key_names: tuple[str, ...], noun: str
) -> tuple[dict[str, int], list[Violation]]:
    """Valid starts by id from an answer's `starts` part, and the missing/unknown/duplicate/invalid_value
    violations. `ids` are the instance's ids in order, `key_names` the id fields a list entry may use and
    `noun` what an id names ("task", "operation"). An id given twice is `duplicate` and none of its starts is
    used."""
    known = set(ids)
    starts: dict[str, int] = {}
    seen: set[str] = set()
    bad: set[str] = set()
    violations: list[Violation] = []
    for key, value in entries(raw, key_names, "start") or []:
        item = hashable_id(key)
        if item is None or item not in known:
            violations.append(Violation(type="unknown", items=[shown(key)], detail=f"no {noun} {shown(key)}"))
            continue
        if item in seen:
            violations.append(Violation(type="duplicate", items=[item], detail=f"{item} is scheduled twice"))
            starts.pop(item, None)
            bad.add(item)
            continue
        seen.add(item)
        start = as_nonnegative_int(value)
        if start is None:
            violations.append(
                Violation(
                    type="invalid_value", items=[item], detail=f"start {shown(value)} is not a non-negative integer"
                )
            )
            bad.add(item)
        elif item not in bad:
            starts[item] = start
    for item in ids:
        if item not in seen:
            violations.append(Violation(type="missing", items=[item], detail=f"{item} has no start"))
    return starts, violations
