"""SMTT verifier: the answer must be a permutation of the job ids; its objective is vectorised with numpy.

Any permutation is a feasible schedule (one machine, no idle time), so the violation taxonomy is `missing`,
`unknown` and `duplicate` (docs/formats.md). The objective is defined only for a permutation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedbench.problems._envelope import Reference, Verification, Violation
from schedbench.problems.smtt import SmttData, total_tardiness
from schedbench.verifiers._result import finish, hashable_id, shown

VIOLATION_TYPES = ("missing", "unknown", "duplicate")


def verify(data: SmttData, solution: Any, reference: Reference | None = None) -> Verification:
    """Check a solution (any JSON value) against an SMTT instance; never raises."""
    raw = solution.get("sequence") if isinstance(solution, dict) else None
    order, violations = read_sequence(data, raw)
    objective = None
    if not violations:
        p, d, w = data.arrays()
        objective = total_tardiness(p, d, w, np.asarray(order, dtype=np.int64))
    return finish(violations, objective, reference)


def read_sequence(data: SmttData, raw: Any) -> tuple[list[int], list[Violation]]:
    """Job indices in answer order, and the unknown/duplicate/missing violations."""
    known = data.job_index()
    entries = raw if isinstance(raw, list) else []
    violations: list[Violation] = []
    if raw is not None and not isinstance(raw, list):
        violations.append(
            Violation(
                type="unknown",
                items=[str(raw)[:40]],
                detail=f"'sequence' must be a list of job ids, got {type(raw).__name__}",
            )
        )
    order: list[int] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        job = hashable_id(entry)
        if job is None or job not in known:
            violations.append(
                Violation(
                    type="unknown", items=[shown(entry)], detail=f"position {position + 1}: no job {shown(entry)}"
                )
            )
        elif job in seen:
            violations.append(
                Violation(type="duplicate", items=[job], detail=f"{job} appears again at position {position + 1}")
            )
        else:
            seen.add(job)
            order.append(known[job])
    missing = [job.id for job in data.jobs if job.id not in seen]
    if missing:
        violations.append(
            Violation(
                type="missing",
                items=missing,
                detail=f"{len(missing)} job(s) not in the sequence: {', '.join(missing[:10])}"
                + (" ..." if len(missing) > 10 else ""),
            )
        )
    return order, violations
