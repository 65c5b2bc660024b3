"""Single-machine total (weighted) tardiness data and solution models (docs/formats.md, `smtt`).

One machine processes every job once, without preemption and without idle time, starting at time 0. Job j
has processing time `p`, due date `d` (may be negative) and weight `w` (default 1). The objective of a
sequence is Σ w_j · max(0, C_j − d_j). An instance with any w ≠ 1 is weighted (1‖ΣwjTj).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, StrictInt, model_validator


class Job(BaseModel):
    """One job: processing time, due date (any integer) and weight."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1)
    p: NonNegativeInt
    d: StrictInt
    w: NonNegativeInt = 1


class SmttData(BaseModel):
    """A single-machine tardiness instance: at least one job, unique ids."""

    model_config = ConfigDict(extra="forbid")

    jobs: list[Job] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> SmttData:
        seen: set[str] = set()
        for job in self.jobs:
            if job.id in seen:
                raise ValueError(f"duplicate job id {job.id!r}")
            seen.add(job.id)
        return self

    @property
    def weighted(self) -> bool:
        """True when some weight differs from 1 (the weighted problem 1‖ΣwjTj)."""
        return any(job.w != 1 for job in self.jobs)

    def job_index(self) -> dict[str, int]:
        """Position of each job id in `jobs`."""
        return {job.id: i for i, job in enumerate(self.jobs)}

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Processing times, due dates and weights as int64 arrays in job order."""
        p = np.fromiter((j.p for j in self.jobs), dtype=np.int64, count=len(self.jobs))
        d = np.fromiter((j.d for j in self.jobs), dtype=np.int64, count=len(self.jobs))
        w = np.fromiter((j.w for j in self.jobs), dtype=np.int64, count=len(self.jobs))
        return p, d, w


def from_arrays(p: Any, d: Any, w: Any | None = None, prefix: str = "J") -> SmttData:
    """Instance data from parallel lists (jobs J1..Jn); ValueError if the lengths differ."""
    p, d = list(p), list(d)
    w = [1] * len(p) if w is None else list(w)
    if not len(p) == len(d) == len(w):
        raise ValueError(f"p, d and w have different lengths ({len(p)}, {len(d)}, {len(w)})")
    jobs = [
        Job(id=f"{prefix}{i + 1}", p=int(pi), d=int(di), w=int(wi))
        for i, (pi, di, wi) in enumerate(zip(p, d, w, strict=True))
    ]
    return SmttData(jobs=jobs)


def total_tardiness(p: np.ndarray, d: np.ndarray, w: np.ndarray, order: np.ndarray) -> int:
    """Σ w·max(0, C − d) of the jobs processed in `order` (indices), starting at time 0."""
    completion = np.cumsum(p[order])
    return int((w[order] * np.maximum(completion - d[order], 0)).sum())


class SmttSolution(BaseModel):
    """A processing order: every job id exactly once."""

    sequence: list[str]


def answer_schema() -> dict[str, Any]:
    """The JSON schema of an answer, as shown to models."""
    return SmttSolution.model_json_schema()
