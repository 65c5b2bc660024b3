"""The instance envelope shared by every family (docs/formats.md; a stable format)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from schedbench.problems._bounds import Int64, Text

ReferenceStatus = Literal["optimal", "feasible", "infeasible", "unknown"]


class Reference(BaseModel):
    """The exact reference for an instance: status, objective, proven bound, and a witness solution."""

    model_config = ConfigDict(extra="allow")

    status: ReferenceStatus
    objective: Int64 | FiniteFloat | None = None
    bound: Int64 | FiniteFloat | None = None
    solver: Text = ""
    time_s: FiniteFloat = 0.0
    witness: dict[str, Any] | None = None
    incumbent: str | None = None
    """The method that produced `objective` and `witness`: the exact solver's name when it found them, else the
    heuristic that did (e.g. `baseline/mdd+local-search`); None on references written before this field."""
    note: Text | None = None
    """Why the solve ended early, when it did: the time limit reached before the solver finished (the best
    schedule found by then stands); None otherwise."""


class Instance(BaseModel):
    """One benchmark item: family data plus metadata and, once solved, its reference."""

    model_config = ConfigDict(extra="allow")

    id: Text
    family: str
    level: Int64
    stage: Text = "default"
    scenario: Text = "abstract"
    seed: Int64 = 0
    data: dict[str, Any]
    reference: Reference | None = None

    def to_json_line(self) -> str:
        """The instance as one JSON line, fields in contract order."""
        return self.model_dump_json(exclude_none=False)


class Violation(BaseModel):
    """One broken constraint: a type from the family's taxonomy, the items involved, a human detail."""

    type: str
    items: list[str] = Field(default_factory=list)
    detail: str = ""


class Verification(BaseModel):
    """The verification result (docs/formats.md).

    `feasible` says the answer's schedule satisfies every constraint. `correct` extends the contract: it is
    true for a feasible schedule of a feasible instance and for an infeasibility claim on an instance that the
    reference proved infeasible.
    """

    feasible: bool
    correct: bool = False
    objective: float | int | None = None
    reference: float | int | None = None
    gap_pct: float | None = None
    gap_abs: float | int | None = None
    optimal: bool = False
    claimed_infeasible: bool = False
    violations: list[Violation] = Field(default_factory=list)

    def violation_types(self) -> set[str]:
        """The set of violation types present."""
        return {v.type for v in self.violations}
