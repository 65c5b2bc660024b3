"""The `smtt` family: single-machine total (weighted) tardiness, Potts–Van Wassenhove instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedbench.problems import Family, Importer, Instance

#: Baseline rule → the template of a program implementing it (`baseline/<rule>` under the formalize strategy).
RULE_PROGRAMS: dict[str, str] = dict.fromkeys(
    ("edd", "spt", "mdd", "eddc", "eddc_edd", "mddc", "aug_mdd", "aug_mddc", "psk", "wspt", "atc"), "smtt_rules.py.j2"
)


def family() -> Family:
    """The smtt record (its modules are imported here, on first use of the family)."""
    from schedbench.generators import smtt as generator
    from schedbench.generators.scenarios import TERMS
    from schedbench.heuristics import smtt as heuristics
    from schedbench.problems.smtt import SmttData, SmttSolution
    from schedbench.prompts import TEMPLATES
    from schedbench.solvers import smtt_exact
    from schedbench.solvers.incumbent import never_weaker
    from schedbench.verifiers import smtt as verifier

    return Family(
        name="smtt",
        description="Single-machine total (weighted) tardiness, Potts-Van Wassenhove instances, n-job ramps",
        data_model=SmttData,
        solution_model=SmttSolution,
        generator_config=generator.SmttGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=never_weaker(
            smtt_exact.solve,
            heuristics.BASELINES,
            verifier.verify,
            improve=smtt_exact.improve_solution,
            label="local-search",
        ),
        violation_types=verifier.VIOLATION_TYPES,
        template_dir=TEMPLATES,
        prompts={"plan": "smtt_plan.j2"},
        program_prompts={"plan": "smtt_program.j2"},
        formalizer_program="smtt_cpsat.py",
        rule_programs=RULE_PROGRAMS,
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        terms={"abstract": TERMS["abstract"]},
        baselines=heuristics.BASELINES,
        gap_baseline="edd",
        gantt=_gantt,
        evolve=_evolve,
        importers={
            "orlib-wt": Importer(_read_orlib, (".txt",), "OR-Library weighted tardiness files (wt40, wt50, wt100)"),
            "smtt-jsonl": Importer(_read_jsonl, (), 'JSON lines {"name", "p", "d", "optimum"} (optional "w")'),
        },
        demo={"levels": "10,20,30", "stage": "unweighted", "tf": "0.4,0.8", "rdd": "0.2,0.6,1.0"},
    )


def _read_orlib(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.orlib import read_files

    return read_files(paths)


def _read_jsonl(paths: list[Path]) -> list[Instance]:
    from schedbench.importers.smtt_jsonl import read_files

    return read_files(paths)


def _gantt() -> Any:
    from schedbench.plots.gantt import SMTT_GANTT

    return SMTT_GANTT


# --- evolution: arrays p, d, w -> a permutation of job indices -----------------------------------------------


def evolve_input(data: Any) -> dict[str, Any]:
    """Typed data → the plain input of an evolved rule (arrays by job index)."""
    jobs = data.jobs
    return {"n": len(jobs), "p": [j.p for j in jobs], "d": [j.d for j in jobs], "w": [j.w for j in jobs]}


def evolve_solution(data: Any, output: Any) -> Any:
    """Indices → job ids; anything that is not an index becomes an id the verifier reports as unknown."""
    from schedbench.evolve.specs import as_index

    if not isinstance(output, list):
        return {"sequence": f"not a list: {type(output).__name__}"}
    ids = [job.id for job in data.jobs]
    sequence = []
    for value in output:
        index = as_index(value, len(ids))
        sequence.append(ids[index] if index is not None else f"<not a job index: {value!r:.40}>")
    return {"sequence": sequence}


def _evolve() -> Any:
    from schedbench.evolve.specs import EvolveSpec, seed_file, task_file

    return EvolveSpec(
        family="smtt",
        seeds={"mdd": seed_file("smtt_mdd.py"), "edd": seed_file("smtt_edd.py")},
        default_seed="mdd",
        to_input=evolve_input,
        to_solution=evolve_solution,
        zero_point="edd",
        train={"levels": "25", "per_level": 10, "stage": "unweighted", "seed": 2025},
        gate={"levels": "6", "per_level": 1, "stage": "unweighted", "tf": "0.4,0.8", "rdd": "0.2,1.0", "seed": 7},
        vocabulary=(
            "p[j]",
            "d[j]",
            "t",
            "max(0, d[j] - t - p[j])",
            "p[j] / (t + max(p[k] for k in remaining))",
            "p[j] / (t + sum(p[k] for k in remaining) / len(remaining))",
            "max(d[j] - t, 0) / p[j]",
            "min(p[j] / (t + 1), 1)",
        ),
        rule_function="priority",
        task=task_file("task_smtt.j2"),
        array_fields=("p", "d", "w"),
        comparison=("edd", "eddc", "mdd", "mddc", "psk", "aug_mddc"),
        held_out=(
            ("n=20 (published optima)", "smtt/n20"),
            ("n=100 (published optima)", "smtt/n100"),
        ),
        report_levels="200,500",
    )
