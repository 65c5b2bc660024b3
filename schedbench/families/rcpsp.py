"""The `rcpsp` family: resource-constrained project scheduling on DAGs with R-ConstraintBench ramps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedbench.problems import Family, Importer, Instance

#: Baseline rule → the template of a program implementing it (`baseline/<rule>` under the formalize strategy).
RULE_PROGRAMS: dict[str, str] = dict.fromkeys(("lft", "mts", "spt", "random"), "rcpsp_rules.py.j2")


def family() -> Family:
    """The rcpsp record (its modules are imported here, on first use of the family)."""
    from schedbench.generators import rcpsp as generator
    from schedbench.generators.scenarios import TERMS
    from schedbench.heuristics import rcpsp as heuristics
    from schedbench.problems.rcpsp import RcpspData, RcpspSolution
    from schedbench.prompts import TEMPLATES
    from schedbench.solvers import rcpsp_cpsat
    from schedbench.solvers.incumbent import never_weaker
    from schedbench.verifiers import rcpsp as verifier

    return Family(
        name="rcpsp",
        description="Resource-constrained project scheduling on DAGs with R-ConstraintBench ramps",
        data_model=RcpspData,
        solution_model=RcpspSolution,
        generator_config=generator.RcpspGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=never_weaker(
            rcpsp_cpsat.solve, heuristics.BASELINES, verifier.verify, improve=heuristics.justify, label="justification"
        ),
        violation_types=verifier.VIOLATION_TYPES,
        template_dir=TEMPLATES,
        prompts={"plan": "rcpsp_plan.j2"},
        program_prompts={"plan": "rcpsp_program.j2"},
        formalizer_program="rcpsp_cpsat.py",
        rule_programs=RULE_PROGRAMS,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        terms=TERMS,
        baselines=heuristics.BASELINES,
        baseline_violations=frozenset({"deadline", "horizon"}),  # the SGS leaves deadlines and the horizon open
        gantt=_gantt,
        evolve=_evolve,
        importers={"psplib": Importer(_read_psplib, (".sm",), "PSPLIB .sm files (single-mode RCPSP)")},
        demo={"levels": "2,6,10,15,20,25", "stage": "all", "scenario": "datacenter"},
    )


def _read_psplib(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.psplib import read_files

    return read_files(paths)


def _gantt() -> Any:
    from schedbench.plots.gantt import RCPSP_GANTT

    return RCPSP_GANTT


# --- evolution: a priority rule feeding a serial SGS -> start times ------------------------------------------


def evolve_input(data: Any) -> dict[str, Any]:
    """Typed data → the plain input of an evolved rule (indices instead of ids)."""
    tasks = [t.id for t in data.tasks]
    task_at = {t: i for i, t in enumerate(tasks)}
    resource_at = {r.id: k for k, r in enumerate(data.resources)}
    preds: list[list[int]] = [[] for _ in tasks]
    succs: list[list[int]] = [[] for _ in tasks]
    for a, b in data.precedences:
        preds[task_at[b]].append(task_at[a])
        succs[task_at[a]].append(task_at[b])
    windows = [data.windows.get(t) for t in tasks]
    return {
        "n": len(tasks),
        "m": len(data.resources),
        "horizon": data.horizon,
        "duration": [t.duration for t in data.tasks],
        "capacity": [r.capacity for r in data.resources],
        "demand": [[t.demands.get(r.id, 0) for r in data.resources] for t in data.tasks],
        "predecessors": preds,
        "successors": succs,
        "release": [w.release if w else 0 for w in windows],
        "deadline": [w.deadline if w else None for w in windows],
        "downtime": [[resource_at[d.resource], d.start, d.end, d.capacity] for d in data.downtimes],
        "disjunctive": [[task_at[a], task_at[b]] for a, b in data.disjunctive],
    }


def evolve_solution(data: Any, output: Any) -> Any:
    """A list of start times by task index → {"starts": {task id: start}} (values checked by the verifier)."""
    if not isinstance(output, list):
        return {"starts": f"not a list: {type(output).__name__}"}
    return {"starts": {t.id: s for t, s in zip(data.tasks, output, strict=False)}}


def _evolve() -> Any:
    from schedbench.evolve.specs import EvolveSpec, seed_file, task_file

    return EvolveSpec(
        family="rcpsp",
        seeds={"lft": seed_file("rcpsp_lft.py"), "mts": seed_file("rcpsp_mts.py")},
        default_seed="lft",
        to_input=evolve_input,
        to_solution=evolve_solution,
        zero_point="random",
        # independent draws: a training set of 40 different projects, not 2 chains of one project each
        train={
            "levels": "10-29",
            "per_level": 2,
            "stage": "precedence",
            "tasks": 12,
            "seed": 2025,
            "ramp": "independent",
        },
        gate={
            "levels": "3",
            "per_level": 1,
            "stage": "precedence,downtime,disjunctive",
            "tasks": 6,
            "seed": 7,
            "ramp": "independent",
        },
        vocabulary=(
            "instance['duration'][i]",
            "len(instance['successors'][i])",
            "len(instance['predecessors'][i])",
            "sum(instance['demand'][i])",
            "instance['release'][i]",
        ),
        rule_function="priorities",
        rule_kind="list",
        task=task_file("task_rcpsp.j2"),
        comparison=("lft", "mts", "spt", "random"),
        held_out=(("PSPLIB j30 (published optima)", "psplib/j30"),),
    )
