"""Job-shop generator with ramps: level = number of operations.

Level L gets m = round(√L) machines (or `--machines`) and ⌈L / m⌉ jobs whose operation counts differ by at
most one and sum to L; each job visits distinct machines in a random order, durations U[1, max_duration].
With `--taillard` the base shop is drawn by Taillard's published generator instead (⌊L / m⌉ jobs × m
machines, durations U[1, 99]), from a time seed and a machine seed derived from the instance seed and kept
in the instance (`taillard_seeds`).

Stages add constraint kinds to the same base shop: `classic` (nothing), `flexible` (each operation gets 1 to
`max_eligible` eligible machines with machine-dependent durations), `windows` (release dates and hard
deadlines per job, each job with probability `inject_p`), `downtime` (a downtime stretch per machine with
probability `inject_p`), `combined` (all three). Every instance has a horizon (the witness makespan times
1 + `horizon_slack`) by which everything must end.

Feasibility is by construction: downtime and eligibility are drawn first, a Giffler–Thompson schedule with
random priorities (which respects both) is the witness, and windows are drawn around it. A requested share
is made infeasible with the stage's own kinds and proven so by CP-SAT: a deadline shorter than the job's
shortest chain (windows), every eligible machine of a job's first operation down until the job can no longer
finish by the horizon (downtime), or a horizon one unit below a lower bound (classic, flexible).

Paired design: the base shop of (seed, level, copy) is the same in every stage and each constraint kind has
its own random stream, so `combined` holds exactly the eligibility of `flexible` and the downtime of
`downtime`; windows follow each stage's own witness. Scenario themes draw names from a separate stream.

Ramps (`ramp`): `independent` (the default) is the above, level = operations. `nested` ramps the hard windows
of the stages that have them (`windows`, `combined`): per chain one shop of `jobs` jobs × `machines` machines
(default: as many machines as jobs), its eligibility, downtime, witness and horizon drawn once; every job gets a
window around that witness and the windows come in a random order, level k holding the first k (so the level
counts windows, at most `jobs`, and level k+1 is level k plus one window). The witness satisfies every level,
and the optimal makespan never decreases along a chain. An infeasible share tips whole chains: the window
added at a tipping level, drawn uniformly over the chain's levels, gets a deadline shorter than its job's
shortest chain, so the chain is feasible below that level and infeasible from it on.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from schedbench.generators import jobshop_themes
from schedbench.generators._common import (
    MAX_INSTANCES,
    MAX_LEVEL,
    MAX_SIZE,
    Draft,
    GeneratorConfig,
    Ramp,
    chain_fields,
    instance_seed,
    nested_drafts,
    parse_levels,
    parse_stages,
)
from schedbench.generators.jobshop_taillard import taillard_jobshop
from schedbench.heuristics.jobshop import giffler_thompson, makespan, random_rule
from schedbench.problems._envelope import Instance
from schedbench.problems.jobshop import Downtime, Job, JobshopData, Machine, Operation
from schedbench.solvers.jobshop_cpsat import basic_lower_bound

STAGES = ("classic", "flexible", "windows", "downtime", "combined")
SCENARIOS = ("abstract", "factory")
_INJECTS = {
    "classic": (),
    "flexible": ("flexible",),
    "windows": ("windows",),
    "downtime": ("downtime",),
    "combined": ("flexible", "windows", "downtime"),
}
_PURPOSES = ("base", "flexible", "downtime", "windows", "infeasible", "witness")
NESTED_STAGES = ("windows", "combined")
"""Stages a nested ramp applies to: those with hard windows, the constraint it adds one of per level."""


class JobshopGeneratorConfig(GeneratorConfig):
    """Options of `schedbench generate jobshop`."""

    levels: str = Field(
        "4,9,16,25,36,49,64,81,100,144,225",
        description="numbers of operations as a range, a comma list or both (4 = 2x2 ... 225 = 15x15)",
    )
    machines: int | None = Field(None, ge=1, description="machines per instance (default: round(sqrt(level)))")
    max_duration: int = Field(20, ge=1, description="durations are drawn from 1..max_duration")
    max_eligible: int = Field(3, ge=1, description="flexible stages: eligible machines per operation, 1..this")
    inject_p: float = Field(0.75, ge=0, le=1, description="probability of a window per job / downtime per machine")
    infeasible_share: float = Field(0.0, ge=0, le=1, description="share of instances made infeasible")
    horizon_slack: float = Field(0.5, ge=0, description="horizon = witness makespan x (1 + slack)")
    taillard: bool = Field(False, description="draw the base shop with Taillard's generator (durations 1..99)")
    per_level: int = Field(
        1, ge=1, le=MAX_INSTANCES, description="instances per level and stage; chains per stage on a nested ramp"
    )
    jobs: int = Field(
        10,
        ge=1,
        le=MAX_SIZE,
        description="nested ramp: jobs of each chain's shop (a level counts windows, at most this)",
    )
    ramp: Ramp = Field(
        "independent",
        description="independent: a new shop per level (level = operations); nested (stages windows, combined): "
        "per chain one shop, each level one more hard job window",
    )

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: str) -> str:
        try:
            levels = parse_levels(value)
        except ValueError as exc:
            raise PydanticCustomError("option", str(exc)) from None
        if levels and levels[0] < 1:
            raise PydanticCustomError("option", "a level is a number of operations, at least 1")
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        try:
            parse_stages(value, STAGES)
        except ValueError as exc:
            raise PydanticCustomError("option", str(exc)) from None
        return value

    @field_validator("scenario")
    @classmethod
    def _scenario(cls, value: str) -> str:
        if value not in SCENARIOS:
            raise PydanticCustomError("scenario", f"unknown scenario {value!r}; known: {', '.join(SCENARIOS)}")
        return value

    @field_validator("ramp")
    @classmethod
    def _ramp(cls, value: str, info: ValidationInfo) -> str:
        if value != "nested" or not {"stage", "levels", "jobs"} <= info.data.keys():
            return value
        others = [s for s in parse_stages(info.data["stage"], STAGES) if s not in NESTED_STAGES]
        if others:
            raise PydanticCustomError(
                "option",
                f"a nested ramp adds one hard window per level, so it needs stages with windows "
                f"({', '.join(NESTED_STAGES)}), not {', '.join(others)}",
            )
        operations = info.data["jobs"] * (info.data.get("machines") or info.data["jobs"])
        if operations > MAX_LEVEL:
            raise PydanticCustomError(
                "option", f"a chain's shop of {operations:,} operations is past the largest, {MAX_LEVEL:,}"
            )
        top = parse_levels(info.data["levels"])[-1]
        if top > info.data["jobs"]:
            raise PydanticCustomError(
                "option",
                f"on a nested ramp a level is a number of job windows; level {top} needs {top} jobs, "
                f"and a chain's shop has {info.data['jobs']} (levels up to the jobs, or more jobs)",
            )
        return value


def generate(config: JobshopGeneratorConfig) -> list[Draft]:
    """Every instance of the requested stages × levels × per_level (chains on a nested ramp), without
    references."""
    stages, levels = parse_stages(config.stage, STAGES), parse_levels(config.levels)
    if config.ramp == "nested":
        return nested_drafts(config, stages, levels, make_chain)
    drafts = []
    for stage, level, k in itertools.product(stages, levels, range(config.per_level)):
        drafts.append(make_instance(config, stage, level, k, instance_seed(config.seed, level, k)))
    return drafts


def _stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent random stream of an instance for one purpose (base shop, one constraint kind, …)."""
    return np.random.default_rng([seed, _PURPOSES.index(purpose)])


def shape(level: int, machines: int | None) -> tuple[int, list[int]]:
    """(machines, operations per job) for a level: ⌈L / m⌉ jobs with counts differing by at most one."""
    m = machines or max(1, round(math.sqrt(level)))
    n = math.ceil(level / m)
    base, extra = divmod(level, n)
    return m, [base + (1 if j < extra else 0) for j in range(n)]


def base_routes(config: JobshopGeneratorConfig, level: int, seed: int) -> tuple[int, list[list[tuple[int, int]]], dict]:
    """(machines, routes, extra instance fields) of the base shop: per job, (machine index, duration) pairs."""
    rng = _stream(seed, "base")
    if config.taillard:
        m = config.machines or max(1, round(math.sqrt(level)))
        n = max(1, round(level / m))
        time_seed, machine_seed = (int(x) for x in rng.integers(1, 2**31 - 1, size=2))
        routes = taillard_jobshop(n, m, time_seed, machine_seed)
        return m, routes, {"taillard_seeds": {"time": time_seed, "machine": machine_seed}}
    m, counts = shape(level, config.machines)
    routes = []
    for count in counts:
        order = rng.permutation(m)[:count]
        durations = rng.integers(1, config.max_duration + 1, size=count)
        routes.append([(int(a), int(d)) for a, d in zip(order, durations, strict=True)])
    return m, routes, {}


def make_instance(config: JobshopGeneratorConfig, stage: str, level: int, k: int, seed: int) -> Draft:
    """One instance from its own seed."""
    data, witness, span, extra = make_shop(config, stage, level, seed)
    injects = _INJECTS[stage]
    if "windows" in injects:
        draw_windows(data, witness, span, config.inject_p, _stream(seed, "windows"))
    chance = _stream(seed, "infeasible")
    infeasible = chance.random() < config.infeasible_share
    if infeasible:
        make_infeasible(data, injects, chance)
    data = JobshopData.model_validate(data.model_dump())  # re-check every id and window
    instance = Instance(
        id=f"jobshop-{stage}-L{level:03d}-{k:02d}",
        family="jobshop",
        level=data.n_operations(),
        stage=stage,
        scenario=config.scenario,
        seed=seed,
        data=data.model_dump(exclude_defaults=True),
        **extra,
    )
    if infeasible:
        return Draft(instance, expect="infeasible")
    return Draft(instance, expect="feasible", hint=witness)


def make_shop(
    config: JobshopGeneratorConfig, stage: str, level: int, seed: int
) -> tuple[JobshopData, dict[str, Any], int, dict[str, Any]]:
    """(shop, witness, witness makespan, extra instance fields): the base shop of `level` operations with the
    stage's eligibility and downtime, a random-priority Giffler–Thompson witness and the horizon around it."""
    m, routes, extra = base_routes(config, level, seed)
    job_names, machine_names = jobshop_themes.names(config.scenario, len(routes), m, seed)
    machine_ids = [f"M{i + 1}" for i in range(m)]
    injects = _INJECTS[stage]
    flexible = _stream(seed, "flexible")
    jobs = []
    for j, route in enumerate(routes):
        operations = []
        for step, (machine, duration) in enumerate(route):
            durations = {machine_ids[machine]: duration}
            if "flexible" in injects:
                durations = draw_alternatives(machine, duration, machine_ids, config.max_eligible, flexible)
            operations.append(Operation(id=f"J{j + 1}.{step + 1}", durations=durations))
        jobs.append(Job(id=f"J{j + 1}", name=job_names[j], operations=operations))
    data = JobshopData(
        machines=[Machine(id=mid, name=machine_names[i]) for i, mid in enumerate(machine_ids)], jobs=jobs
    )
    if "downtime" in injects:
        data.downtimes = draw_downtimes(data, base_estimate(routes, m), config.inject_p, _stream(seed, "downtime"))
    witness = giffler_thompson(data, random_rule(data, int(_stream(seed, "witness").integers(2**32))))
    span = makespan(data, witness)
    data.horizon = max(1, math.ceil(span * (1 + config.horizon_slack)))
    return data, witness, span, extra


def make_chain(config: JobshopGeneratorConfig, stage: str, levels: list[int], chain: int, seed: int) -> list[Draft]:
    """Every level of one nested chain: one shop (`jobs` × `machines`), its witness and horizon; level k
    holds the first k windows of a random job order, each drawn around the witness. A tipped chain's window at
    its tipping level cannot be met (see the module docstring)."""
    machines = config.machines or config.jobs
    shop_config = config.model_copy(update={"machines": machines})
    top, witness, span, extra = make_shop(shop_config, stage, config.jobs * machines, seed)
    rng = _stream(seed, "windows")
    order = [int(j) for j in rng.permutation(len(top.jobs))]
    windows = [window_around(top.jobs[j], witness, top.horizon, max(2, span // 5), rng) for j in order]
    chance = _stream(seed, "infeasible")
    tip = None
    if chance.random() < config.infeasible_share:
        tip = levels[int(chance.integers(len(levels)))]
        job = top.jobs[order[tip - 1]]
        release = windows[tip - 1][0]
        windows[tip - 1] = (release, release + shortest_chain(job) - 1)
    drafts = []
    for level in levels:
        data = top.model_copy(deep=True)
        for j, (release, deadline) in zip(order[:level], windows[:level], strict=True):
            data.jobs[j].release, data.jobs[j].deadline = release, deadline
        data = JobshopData.model_validate(data.model_dump())
        instance = Instance(
            id=f"jobshop-{stage}-L{level:03d}-{chain:02d}",
            family="jobshop",
            level=level,
            stage=stage,
            scenario=config.scenario,
            seed=seed,
            data=data.model_dump(exclude_defaults=True),
            **extra,
            **chain_fields("jobshop", stage, chain),
        )
        infeasible = tip is not None and level >= tip
        drafts.append(Draft(instance, expect="infeasible") if infeasible else Draft(instance, "feasible", witness))
    return drafts


def draw_alternatives(
    machine: int, duration: int, machine_ids: list[str], max_eligible: int, rng: np.random.Generator
) -> dict[str, int]:
    """The base machine plus up to max_eligible − 1 others, each with a duration of 0.7 to 1.5 times the base."""
    count = int(rng.integers(1, min(max_eligible, len(machine_ids)) + 1))
    others = [i for i in range(len(machine_ids)) if i != machine]
    picked = [int(i) for i in rng.choice(others, size=count - 1, replace=False)] if count > 1 else []
    durations = {machine_ids[machine]: duration}
    for other in sorted(picked):
        durations[machine_ids[other]] = max(1, round(duration * float(rng.uniform(0.7, 1.5))))
    return durations


def base_estimate(routes: list[list[tuple[int, int]]], machines: int) -> int:
    """max(longest job, heaviest machine) of the base shop: where downtime is worth placing (the same in every
    stage, so the downtime stream stays paired)."""
    loads = [0] * machines
    for route in routes:
        for machine, duration in route:
            loads[machine] += duration
    return max(2, *loads, *(sum(d for _, d in route) for route in routes))


def draw_downtimes(data: JobshopData, estimate: int, p: float, rng: np.random.Generator) -> list[Downtime]:
    """Each machine, with probability p, gets one downtime stretch starting before `estimate`."""
    out = []
    for machine in data.machines:
        if rng.random() >= p:
            continue
        start = int(rng.integers(0, estimate))
        length = int(rng.integers(1, max(1, estimate // 5) + 1))
        out.append(Downtime(machine=machine.id, start=start, end=start + length))
    return out


def draw_windows(data: JobshopData, witness: dict[str, Any], span: int, p: float, rng: np.random.Generator) -> None:
    """Each job, with probability p, gets a release before and a deadline after its witness interval."""
    slack = max(2, span // 5)
    for job in data.jobs:
        if rng.random() >= p:
            continue
        job.release, job.deadline = window_around(job, witness, data.horizon, slack, rng)


def window_around(
    job: Job, witness: dict[str, Any], horizon: int | None, slack: int, rng: np.random.Generator
) -> tuple[int, int]:
    """(release, deadline) of a job: up to `slack` before its first witness start and after its last witness
    end (the deadline at most the horizon)."""
    starts, named = witness["starts"], witness.get("machines", {})
    first = starts[job.operations[0].id]
    last_op = job.operations[-1]
    machine = named.get(last_op.id) or next(iter(last_op.durations))
    end = starts[last_op.id] + last_op.durations[machine]
    release = max(0, first - int(rng.integers(0, slack + 1)))
    return release, min(horizon or end, end + int(rng.integers(0, slack + 1)))


def shortest_chain(job: Job) -> int:
    return sum(min(op.durations.values()) for op in job.operations)


def make_infeasible(data: JobshopData, injects: tuple[str, ...], rng: np.random.Generator) -> None:
    """Make the instance infeasible with one of the stage's own constraint kinds (see the module docstring)."""
    kinds: list[str] = [k for k in ("windows", "downtime") if k in injects] or ["horizon"]
    kind = kinds[int(rng.integers(len(kinds)))]
    job = data.jobs[int(rng.integers(len(data.jobs)))]
    chain = shortest_chain(job)
    if kind == "windows":
        job.deadline = job.release + chain - 1
    elif kind == "downtime":
        assert data.horizon is not None
        until = data.horizon - chain + 1
        data.downtimes += [Downtime(machine=m, start=0, end=max(1, until)) for m in job.operations[0].durations]
    else:
        data.horizon = basic_lower_bound(data) - 1
        for other in data.jobs:
            if other.deadline is not None:
                other.deadline = max(other.release, min(other.deadline, data.horizon))
