"""Exact feasibility and objective checks, one module per family; `exact/` holds the reference solvers."""

from schedbench.problems._envelope import Verification, Violation
from schedbench.verifiers._result import finish, reference_objective

__all__ = ["Verification", "Violation", "finish", "reference_objective"]
