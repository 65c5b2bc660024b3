"""Exact feasibility and objective checks, one module per family, and the helpers they share."""

from schedbench.problems._envelope import Verification, Violation
from schedbench.verifiers._result import as_nonnegative_int, entries, finish, hashable_id, reference_objective

__all__ = ["Verification", "Violation", "as_nonnegative_int", "entries", "finish", "hashable_id", "reference_objective"]
