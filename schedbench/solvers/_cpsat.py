"""Shared CP-SAT plumbing: solver parameters, status names, and the reference record."""

from __future__ import annotations

import time
from typing import Any

from schedbench.problems._envelope import Reference, ReferenceStatus


def solver_name() -> str:
    """'cp-sat <ortools version>'."""
    import importlib.metadata

    return f"cp-sat {importlib.metadata.version('ortools')}"


#: With one solver thread the limit is in CP-SAT's deterministic time (about a second of work each, whatever
#: the machine's load), so a suite solved twice gets the same references; the wall clock is only a backstop.
WALL_CLOCK_BACKSTOP = 3.0


def run(
    model: Any, time_limit: float, workers: int, parameters: dict[str, Any] | None = None
) -> tuple[Any, Any, float]:
    """Solve a CpModel with a fixed seed; returns (solver, status, seconds).

    One thread: reproducible (deterministic time limit). Several threads: a wall-clock limit, since the
    parallel portfolio is not reproducible anyway. `parameters` sets further CP-SAT parameters by name
    (lists extend repeated fields).
    """
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    threads = max(1, int(workers))
    solver.parameters.num_workers = threads
    if threads == 1:
        solver.parameters.max_deterministic_time = float(time_limit)
        solver.parameters.max_time_in_seconds = float(time_limit) * WALL_CLOCK_BACKSTOP
    else:
        solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.random_seed = 0
    for name, value in (parameters or {}).items():
        if isinstance(value, list | tuple):
            getattr(solver.parameters, name).extend(value)
        else:
            setattr(solver.parameters, name, value)
    began = time.perf_counter()
    status = solver.solve(model)
    return solver, status, time.perf_counter() - began


def status_name(status: Any) -> ReferenceStatus:
    """Map a CP-SAT status to a reference status."""
    from ortools.sat.python import cp_model

    names: dict[Any, ReferenceStatus] = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }
    return names.get(status, "unknown")


def reference(solver: Any, status: Any, seconds: float, witness: dict[str, Any] | None) -> Reference:
    """A Reference from a finished CP-SAT solve of a minimisation model."""
    name = status_name(status)
    has_solution = name in ("optimal", "feasible")
    objective = round(solver.objective_value) if has_solution else None
    bound = round(solver.best_objective_bound) if has_solution else None
    if name == "optimal":
        bound = objective
    return Reference(
        status=name,
        objective=objective,
        bound=bound,
        solver=solver_name(),
        time_s=round(seconds, 4),
        witness=witness if has_solution else None,
    )
