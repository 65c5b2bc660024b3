"""References never weaker than a heuristic: the best baseline rule, improved, stands in for a weak incumbent.

An exact solver stopped by its limit may hold a poor solution (or none). `never_weaker(solve, ...)` wraps a
family's solver: when the reference is not proven (status `feasible` or `unknown`), every baseline rule of the
family is run and verified, the cheapest feasible answer is improved by the family's improvement pass (SMTT:
local search; RCPSP and asyncplan: justification), and if that beats the solver's objective it becomes the
reference's objective and witness. The proven bound is kept (it bounds every solution), so the status turns
`optimal` when the bound meets the new objective. `incumbent` records which method produced the objective.

Families minimise (makespan, tardiness), so smaller is better. A new family (e.g. the job shop) wraps its solver
the same way: `solve=never_weaker(my_solver.solve, heuristics.BASELINES, verifier.verify, improve=...)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from schedbench.problems._envelope import Reference, Verification

Baseline = Callable[[Any], dict[str, Any]]
Verify = Callable[[Any, Any, Reference | None], Verification]
Improve = Callable[[Any, dict[str, Any]], dict[str, Any]]

PROVEN = ("optimal", "infeasible")


def best_baseline(
    data: Any, baselines: Mapping[str, Baseline], verify: Verify, improve: Improve | None = None, label: str = ""
) -> tuple[float | int, dict[str, Any], str] | None:
    """(objective, solution, method) of the cheapest feasible baseline answer, after `improve` if that helps;
    None when no baseline yields a feasible answer. Ties go to the first rule by name (deterministic)."""
    best: tuple[float | int, dict[str, Any], str] | None = None
    for name in sorted(baselines):
        try:
            solution = baselines[name](data)
        except ValueError:  # a rule that cannot build a schedule for this instance has no answer
            continue
        objective = _feasible_objective(verify(data, solution, None))
        if objective is not None and (best is None or objective < best[0]):
            best = (objective, solution, f"baseline/{name}")
    if best is None or improve is None:
        return best
    improved = improve(data, best[1])
    objective = _feasible_objective(verify(data, improved, None))
    if objective is not None and objective < best[0]:
        return objective, improved, f"{best[2]}+{label or 'improved'}"
    return best


def with_incumbent(
    reference: Reference,
    data: Any,
    baselines: Mapping[str, Baseline],
    verify: Verify,
    improve: Improve | None = None,
    label: str = "",
) -> Reference:
    """`reference`, or the best improved baseline in its place when the reference is unproven and weaker."""
    if reference.status in PROVEN:
        return _named(reference)
    best = best_baseline(data, baselines, verify, improve, label)
    if best is None or (reference.objective is not None and reference.objective <= best[0]):
        return _named(reference)
    objective, solution, method = best
    bound = reference.bound if reference.objective is not None or reference.status == "unknown" else None
    proven = bound is not None and bound >= objective
    return reference.model_copy(
        update={
            "status": "optimal" if proven else "feasible",
            "objective": objective,
            "bound": objective if proven else bound,
            "witness": solution,
            "incumbent": method,
        }
    )


def never_weaker(
    solve: Callable[..., Reference],
    baselines: Mapping[str, Baseline],
    verify: Verify,
    improve: Improve | None = None,
    label: str = "",
) -> Callable[..., Reference]:
    """`solve` whose unproven references are never weaker than the best baseline improved by `improve`."""

    def guarded(data: Any, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None) -> Reference:
        reference = solve(data, time_limit=time_limit, workers=workers, hint=hint)
        return with_incumbent(reference, data, baselines, verify, improve, label)

    functools.update_wrapper(guarded, solve)  # its name, module and __wrapped__
    guarded.__doc__ = f"{solve.__doc__ or ''}\n\nUnproven references are never weaker than a baseline rule."
    return guarded


def _feasible_objective(result: Verification) -> float | int | None:
    return result.objective if result.feasible and result.objective is not None else None


def _named(reference: Reference) -> Reference:
    """The reference with `incumbent` set (the solver, unless the solver already named another method)."""
    if reference.incumbent or reference.objective is None:
        return reference
    return reference.model_copy(update={"incumbent": reference.solver})
