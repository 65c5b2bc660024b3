"""RCPSP instance data and solution models (docs/formats.md, `rcpsp`)."""

from __future__ import annotations

import graphlib
import itertools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, model_validator

from schedbench.problems._graph import check_acyclic


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    capacity: NonNegativeInt


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    duration: NonNegativeInt
    demands: dict[str, NonNegativeInt] = Field(default_factory=dict)


class Downtime(BaseModel):
    """During [start, end) the resource's capacity drops to `capacity` (default 0)."""

    model_config = ConfigDict(extra="forbid")

    resource: str
    start: NonNegativeInt
    end: NonNegativeInt
    capacity: NonNegativeInt = 0

    @model_validator(mode="after")
    def _ordered(self) -> Downtime:
        if self.end < self.start:
            raise ValueError(f"downtime end {self.end} is before its start {self.start}")
        return self


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release: NonNegativeInt = 0
    deadline: NonNegativeInt | None = None


class RcpspData(BaseModel):
    """A resource-constrained project: tasks, renewable resources and the extra constraint kinds."""

    model_config = ConfigDict(extra="forbid")

    horizon: PositiveInt
    resources: list[Resource]
    tasks: list[Task]
    precedences: list[tuple[str, str]] = Field(default_factory=list)
    downtimes: list[Downtime] = Field(default_factory=list)
    windows: dict[str, Window] = Field(default_factory=dict)
    disjunctive: list[tuple[str, str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RcpspData:
        check_references(self)
        return self

    def task_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.tasks)}


def check_references(data: RcpspData) -> None:
    """Raise ValueError naming the first unknown id, duplicate id or precedence cycle."""
    task_ids = [t.id for t in data.tasks]
    resource_ids = [r.id for r in data.resources]
    for kind, ids in (("task", task_ids), ("resource", resource_ids)):
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                raise ValueError(f"duplicate {kind} id {item!r}")
            seen.add(item)
    tasks, resources = set(task_ids), set(resource_ids)
    for t in data.tasks:
        for r in t.demands:
            if r not in resources:
                raise ValueError(f"task {t.id!r} demands unknown resource {r!r}")
    for kind, pairs in (("precedences", data.precedences), ("disjunctive", data.disjunctive)):
        for a, b in pairs:
            for item in (a, b):
                if item not in tasks:
                    raise ValueError(f"{kind} names unknown task {item!r}")
    for d in data.downtimes:
        if d.resource not in resources:
            raise ValueError(f"downtime names unknown resource {d.resource!r}")
    for task_id in data.windows:
        if task_id not in tasks:
            raise ValueError(f"windows names unknown task {task_id!r}")
    check_acyclic(data.precedences)


def earliest_starts(data: RcpspData) -> dict[str, int]:
    """Earliest start of each task from releases and precedences (forward pass); keys in topological order."""
    predecessors: dict[str, list[str]] = {t.id: [] for t in data.tasks}
    for a, b in data.precedences:
        predecessors[b].append(a)
    duration = {t.id: t.duration for t in data.tasks}
    earliest: dict[str, int] = {}
    for task in graphlib.TopologicalSorter(predecessors).static_order():
        window = data.windows.get(task)
        earliest[task] = max(
            [window.release if window else 0, *(earliest[p] + duration[p] for p in predecessors[task])]
        )
    return earliest


class RcpspSolution(BaseModel):
    """A schedule (start time per task id), or a claim that the instance is infeasible."""

    starts: dict[str, int] | None = None
    infeasible: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RcpspSolution:
        if self.starts is None and not self.infeasible:
            raise ValueError("a solution needs 'starts' or 'infeasible': true")
        return self


def downtime_profile(data: RcpspData, resource_id: str, capacity: int) -> list[tuple[int, int, int]]:
    """Disjoint (start, end, capacity) stretches where the resource's capacity is below normal.

    Overlapping downtimes take the smallest capacity, so blocking intervals never double-count.
    """
    downs = [d for d in data.downtimes if d.resource == resource_id and d.end > d.start]
    points = sorted({x for d in downs for x in (d.start, d.end)})
    stretches: list[tuple[int, int, int]] = []
    for a, b in itertools.pairwise(points):
        caps = [d.capacity for d in downs if d.start <= a and b <= d.end]
        level = min([capacity, *caps])
        if level < capacity:
            if stretches and stretches[-1][1] == a and stretches[-1][2] == level:
                stretches[-1] = (stretches[-1][0], b, level)
            else:
                stretches.append((a, b, level))
    return stretches


def time_bounds(data: RcpspData, upper: int) -> dict[str, tuple[int, int]]:
    """(earliest start, latest start) per task from releases, deadlines, precedences and an upper bound
    on every end (the earliest may exceed the latest: the instance is then infeasible within `upper`)."""
    successors: dict[str, list[str]] = {t.id: [] for t in data.tasks}
    for a, b in data.precedences:
        successors[a].append(b)
    earliest = earliest_starts(data)
    order = list(earliest)  # topological
    duration = {t.id: t.duration for t in data.tasks}
    latest_end: dict[str, int] = {}
    for task in reversed(order):
        window = data.windows.get(task)
        own = min(upper, window.deadline) if window and window.deadline is not None else upper
        latest_end[task] = min([own, *(latest_end[s] - duration[s] for s in successors[task])])
    return {t: (earliest[t], latest_end[t] - duration[t]) for t in order}


def answer_schema() -> dict[str, Any]:
    """The JSON schema of an answer, as shown to models."""
    return RcpspSolution.model_json_schema()
