"""The family registry: one entry per family, built lazily so that start-up imports nothing heavy."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from schedbench.problems._family import Family


def _rcpsp() -> Family:
    from schedbench.generators import rcpsp as generator
    from schedbench.heuristics import rcpsp as heuristics
    from schedbench.problems.rcpsp import RcpspData, RcpspSolution
    from schedbench.solvers import rcpsp_cpsat
    from schedbench.verifiers import rcpsp as verifier

    return Family(
        name="rcpsp",
        description="Resource-constrained project scheduling on DAGs with R-ConstraintBench ramps",
        data_model=RcpspData,
        solution_model=RcpspSolution,
        generator_config=generator.RcpspGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=rcpsp_cpsat.solve,
        violation_types=verifier.VIOLATION_TYPES,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        baselines=heuristics.BASELINES,
        prompt_modes=("plan",),
    )


def _asyncplan() -> Family:
    from schedbench.generators import asyncplan as generator
    from schedbench.heuristics import asyncplan as heuristics
    from schedbench.problems.asyncplan import AsyncplanData, AsyncplanSolution
    from schedbench.solvers import asyncplan_cpsat
    from schedbench.verifiers import asyncplan as verifier

    return Family(
        name="asyncplan",
        description="Asynchronous planning: agents, steps that run alone once started, stations (AsyncHow, ORS3D)",
        data_model=AsyncplanData,
        solution_model=AsyncplanSolution,
        generator_config=generator.AsyncplanGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=asyncplan_cpsat.solve,
        violation_types=verifier.VIOLATION_TYPES,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        baselines=heuristics.BASELINES,
        prompt_modes=("plan", "time"),
    )


def _smtt() -> Family:
    from schedbench.generators import smtt as generator
    from schedbench.heuristics import smtt as heuristics
    from schedbench.problems.smtt import SmttData, SmttSolution
    from schedbench.solvers import smtt_exact
    from schedbench.verifiers import smtt as verifier

    return Family(
        name="smtt",
        description="Single-machine total (weighted) tardiness, Potts-Van Wassenhove instances, n-job ramps",
        data_model=SmttData,
        solution_model=SmttSolution,
        generator_config=generator.SmttGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=smtt_exact.solve,
        violation_types=verifier.VIOLATION_TYPES,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        baselines=heuristics.BASELINES,
        prompt_modes=("plan",),
    )


def _jobshop() -> Family:
    from schedbench.generators import jobshop as generator
    from schedbench.heuristics import jobshop as heuristics
    from schedbench.problems.jobshop import JobshopData, JobshopSolution
    from schedbench.solvers import jobshop_cpsat
    from schedbench.verifiers import jobshop as verifier

    return Family(
        name="jobshop",
        description="Job shop (classic and flexible) with windows and downtime; Taillard's generator; makespan",
        data_model=JobshopData,
        solution_model=JobshopSolution,
        generator_config=generator.JobshopGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=jobshop_cpsat.solve,
        violation_types=verifier.VIOLATION_TYPES,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        baselines=heuristics.BASELINES,
        prompt_modes=("plan",),
    )


_BUILDERS: dict[str, Callable[[], Family]] = {
    "rcpsp": _rcpsp,
    "asyncplan": _asyncplan,
    "smtt": _smtt,
    "jobshop": _jobshop,
}


def family_names() -> list[str]:
    """Names of every registered family, in registration order."""
    return list(_BUILDERS)


@cache
def get_family(name: str) -> Family:
    """The Family record registered under `name` (KeyError listing the known names otherwise)."""
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise KeyError(f"unknown family {name!r}; known: {', '.join(_BUILDERS)}") from None
    return builder()
