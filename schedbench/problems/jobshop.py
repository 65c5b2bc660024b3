"""Job-shop instance data and solution models: classic and flexible job shops, windows and machine downtime.

A job is an ordered chain of operations; each operation names its eligible machines with a duration on
each (one machine: the classic job shop; several: the flexible job shop, where the schedule also picks the
machine). A job may have a release date and a deadline, a machine may have downtime intervals during which
nothing runs on it. The objective is the makespan.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Largest time value an instance may hold: far beyond any real shop, small enough that sums over
#: 100,000 operations stay exact in CP-SAT's 62-bit domains.
MAX_TIME = 10**9

Time = Annotated[int, Field(ge=0, le=MAX_TIME)]


class Machine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""


class Operation(BaseModel):
    """One step of a job: a duration per eligible machine (one entry in a classic job shop)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    durations: dict[str, Time] = Field(min_length=1)


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    operations: list[Operation] = Field(min_length=1)
    release: Time = 0
    deadline: Time | None = None


class Downtime(BaseModel):
    """During [start, end) the machine processes nothing."""

    model_config = ConfigDict(extra="forbid")

    machine: str
    start: Time
    end: Time

    @model_validator(mode="after")
    def _ordered(self) -> Downtime:
        if self.end < self.start:
            raise ValueError(f"downtime end {self.end} is before its start {self.start}")
        return self


class JobshopData(BaseModel):
    """A job shop: machines, jobs as operation chains, machine downtime and an optional horizon."""

    model_config = ConfigDict(extra="forbid")

    machines: list[Machine] = Field(min_length=1)
    jobs: list[Job] = Field(min_length=1)
    downtimes: list[Downtime] = Field(default_factory=list)
    horizon: Time | None = None
    """Every operation must end by this time (None: no limit)."""

    @model_validator(mode="after")
    def _consistent(self) -> JobshopData:
        check_references(self)
        return self

    def operations(self) -> list[tuple[Job, int, Operation]]:
        """Every (job, position in the job, operation), jobs in order."""
        return [(job, k, op) for job in self.jobs for k, op in enumerate(job.operations)]

    def flexible(self) -> bool:
        """Whether some operation has more than one eligible machine."""
        return any(len(op.durations) > 1 for job in self.jobs for op in job.operations)

    def n_operations(self) -> int:
        return sum(len(job.operations) for job in self.jobs)


def check_references(data: JobshopData) -> None:
    """Raise ValueError naming the first duplicate id or unknown machine."""
    machines: set[str] = set()
    for machine in data.machines:
        if machine.id in machines:
            raise ValueError(f"duplicate machine id {machine.id!r}")
        machines.add(machine.id)
    jobs: set[str] = set()
    operations: set[str] = set()
    for job in data.jobs:
        if job.id in jobs:
            raise ValueError(f"duplicate job id {job.id!r}")
        jobs.add(job.id)
        for op in job.operations:
            if op.id in operations:
                raise ValueError(f"duplicate operation id {op.id!r}")
            operations.add(op.id)
            for machine_id in op.durations:
                if machine_id not in machines:
                    raise ValueError(f"operation {op.id!r} names unknown machine {machine_id!r}")
        if job.deadline is not None and job.deadline < job.release:
            raise ValueError(f"job {job.id!r} has its deadline {job.deadline} before its release {job.release}")
    for down in data.downtimes:
        if down.machine not in machines:
            raise ValueError(f"downtime names unknown machine {down.machine!r}")


def min_duration(op: Operation) -> int:
    """The shortest duration of an operation over its eligible machines."""
    return min(op.durations.values())


def downtime_blocks(data: JobshopData) -> dict[str, list[tuple[int, int]]]:
    """Disjoint, sorted [start, end) downtime stretches per machine (overlapping or touching ones merged)."""
    blocks: dict[str, list[tuple[int, int]]] = {m.id: [] for m in data.machines}
    for down in sorted(data.downtimes, key=lambda d: (d.machine, d.start)):
        if down.end <= down.start:
            continue
        merged = blocks[down.machine]
        if merged and down.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], down.end))
        else:
            merged.append((down.start, down.end))
    return blocks


def from_routes(
    routes: list[list[tuple[int, int]]], machine_count: int, job_prefix: str = "J", machine_prefix: str = "M"
) -> JobshopData:
    """A classic job shop from routes: per job, (machine index from 0, duration) pairs in processing order."""
    machines = [Machine(id=f"{machine_prefix}{k + 1}") for k in range(machine_count)]
    jobs = [
        Job(
            id=f"{job_prefix}{j + 1}",
            operations=[
                Operation(id=f"{job_prefix}{j + 1}.{k + 1}", durations={f"{machine_prefix}{m + 1}": d})
                for k, (m, d) in enumerate(route)
            ],
        )
        for j, route in enumerate(routes)
    ]
    return JobshopData(machines=machines, jobs=jobs)


class JobshopSolution(BaseModel):
    """A schedule — a start per operation id and, for operations with several eligible machines, the machine
    chosen — or a claim that the instance is infeasible."""

    starts: dict[str, int] | None = None
    machines: dict[str, str] | None = None
    infeasible: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> JobshopSolution:
        if self.starts is None and not self.infeasible:
            raise ValueError("a solution needs 'starts' or 'infeasible': true")
        return self


def answer_schema() -> dict[str, Any]:
    """The JSON schema of an answer, as shown to models."""
    return JobshopSolution.model_json_schema()
