"""The `jobshop` family: classic and flexible job shops with windows and downtime, Taillard's generator,
the JSPLIB, Taillard and `.fjs` published sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedbench.problems import Family, Importer, Instance

#: Baseline rule → the template of a program implementing it (`baseline/<rule>` under the formalize strategy).
RULE_PROGRAMS: dict[str, str] = dict.fromkeys(("spt", "lpt", "mwkr", "mopnr", "fifo", "random"), "jobshop_rules.py.j2")


def family() -> Family:
    """The jobshop record (its modules are imported here, on first use of the family)."""
    from schedbench.generators import jobshop as generator
    from schedbench.generators.jobshop_themes import TERMS
    from schedbench.heuristics import jobshop as heuristics
    from schedbench.problems.jobshop import JobshopData, JobshopSolution
    from schedbench.prompts import TEMPLATES
    from schedbench.solvers import jobshop_cpsat
    from schedbench.solvers.incumbent import never_weaker
    from schedbench.verifiers import jobshop as verifier

    return Family(
        name="jobshop",
        description="Job shop (classic and flexible) with windows and downtime, Taillard's generator; makespan",
        data_model=JobshopData,
        solution_model=JobshopSolution,
        generator_config=generator.JobshopGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=never_weaker(jobshop_cpsat.solve, heuristics.BASELINES, verifier.verify),
        violation_types=verifier.VIOLATION_TYPES,
        template_dir=TEMPLATES,
        prompts={"plan": "jobshop_plan.j2"},
        program_prompts={"plan": "jobshop_program.j2"},
        formalizer_program="jobshop_cpsat.py",
        rule_programs=RULE_PROGRAMS,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        terms=TERMS,
        baselines=heuristics.BASELINES,
        baseline_violations=frozenset({"deadline", "horizon"}),  # Giffler–Thompson leaves deadlines open
        gantt=_gantt,
        evolve=_evolve,
        importers={
            "jsplib": Importer(
                _read_jsplib,
                (".jss",),
                "JSPLIB / OR-Library job shops (jobs machines, machine-duration pairs)",
                ("",),
                by_content=True,
            ),
            "taillard": Importer(
                _read_taillard,
                (),
                "Taillard's job-shop files (times block, machines block)",
                (".txt",),
                by_content=True,
            ),
            "fjsp": Importer(
                _read_fjs, (".fjs",), "Flexible job shops in the .fjs format (Brandimarte, Kacem, ...)", by_content=True
            ),
        },
        demo={"levels": "4,9,16,25,36", "stage": "all", "scenario": "factory"},
    )


def _read_jsplib(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.jobshop import read_jsplib_files

    return read_jsplib_files(paths)


def _read_taillard(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.jobshop import read_taillard_files

    return read_taillard_files(paths)


def _read_fjs(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.jobshop import read_fjs_files

    return read_fjs_files(paths)


def _gantt() -> Any:
    from schedbench.plots.gantt import JOBSHOP_GANTT

    return JOBSHOP_GANTT


# --- evolution: a dispatching priority inside Giffler–Thompson -> [start, machine] per operation -------------


def evolve_input(data: Any) -> dict[str, Any]:
    """Typed data → the plain input of an evolved rule (machine indices instead of ids)."""
    machine_at = {m.id: k for k, m in enumerate(data.machines)}
    return {
        "machines": len(data.machines),
        "jobs": [[[[machine_at[m], d] for m, d in op.durations.items()] for op in job.operations] for job in data.jobs],
        "release": [job.release for job in data.jobs],
        "deadline": [job.deadline for job in data.jobs],
        "downtime": [[machine_at[d.machine], d.start, d.end] for d in data.downtimes],
        "horizon": data.horizon,
    }


def evolve_solution(data: Any, output: Any) -> Any:
    """[start, machine index] per operation in job order → an answer (values checked by the verifier)."""
    if not isinstance(output, list):
        return {"starts": f"not a list: {type(output).__name__}"}
    from schedbench.evolve.specs import as_index

    machine_ids = [m.id for m in data.machines]
    ops = [op for job in data.jobs for op in job.operations]
    starts: dict[str, Any] = {}
    machines: dict[str, Any] = {}
    for op, entry in zip(ops, output, strict=False):
        pair = entry if isinstance(entry, list | tuple) and len(entry) == 2 else [entry, None]
        starts[op.id] = pair[0]
        if len(op.durations) > 1:
            index = as_index(pair[1], len(machine_ids))
            machines[op.id] = machine_ids[index] if index is not None else f"<not a machine index: {pair[1]!r:.40}>"
    return {"starts": starts, "machines": machines} if machines else {"starts": starts}


def _evolve() -> Any:
    from schedbench.evolve.specs import EvolveSpec, seed_file, task_file

    return EvolveSpec(
        family="jobshop",
        seeds={"mwkr": seed_file("jobshop_gt.py")},
        default_seed="mwkr",
        to_input=evolve_input,
        to_solution=evolve_solution,
        zero_point="random",
        train={"levels": "36,49,64", "per_level": 4, "stage": "classic,flexible", "seed": 2025},
        gate={"levels": "9", "per_level": 1, "stage": "classic,flexible,downtime", "seed": 7},
        vocabulary=(
            "op['duration']",
            "op['work_remaining']",
            "op['ops_remaining']",
            "op['start']",
            "op['ready']",
        ),
        rule_function="priority",
        task=task_file("task_jobshop.j2"),
        comparison=("spt", "lpt", "mwkr", "mopnr", "fifo", "random"),
        held_out=(("Lawrence la01-la40 (published optima)", "jsplib/la"),),
    )
