"""The `asyncplan` family: asynchronous plans (agents, steps that run alone once started, stations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedbench.problems import Family, Importer, Instance

#: Baseline rule → the template of a program implementing it (`baseline/<rule>` under the formalize strategy).
RULE_PROGRAMS: dict[str, str] = dict.fromkeys(("list", "sequential", "random"), "asyncplan_rules.py.j2")


def family() -> Family:
    """The asyncplan record (its modules are imported here, on first use of the family)."""
    from schedbench.generators import asyncplan as generator
    from schedbench.generators import asyncplan_themes as themes
    from schedbench.generators.scenarios import TERMS
    from schedbench.heuristics import asyncplan as heuristics
    from schedbench.problems.asyncplan import AsyncplanData, AsyncplanSolution, AsyncplanTimeAnswer
    from schedbench.prompts import TEMPLATES
    from schedbench.solvers import asyncplan_cpsat
    from schedbench.solvers.incumbent import never_weaker
    from schedbench.verifiers import asyncplan as verifier

    return Family(
        name="asyncplan",
        description="Asynchronous planning: agents, steps that run alone once started, stations (AsyncHow, ORS3D)",
        data_model=AsyncplanData,
        solution_model=AsyncplanSolution,
        generator_config=generator.AsyncplanGeneratorConfig,
        generate=generator.generate,
        verify=verifier.verify,
        solve=never_weaker(
            asyncplan_cpsat.solve,
            heuristics.BASELINES,
            verifier.verify,
            improve=heuristics.justify,
            label="justification",
        ),
        violation_types=verifier.VIOLATION_TYPES,
        template_dir=TEMPLATES,
        prompts={"plan": "asyncplan_plan.j2", "time": "asyncplan_time.j2"},
        program_prompts={"plan": "asyncplan_program.j2"},
        formalizer_program="asyncplan_cpsat.py.j2",
        rule_programs=RULE_PROGRAMS,
        answer_models={"plan": AsyncplanSolution, "time": AsyncplanTimeAnswer},
        stages=generator.STAGES,
        scenarios=generator.SCENARIOS,
        terms={name: {**TERMS.get(name, {}), **words} for name, words in themes.TERMS.items()},
        baselines=heuristics.BASELINES,
        gantt=_gantt,
        evolve=_evolve,
        importers={
            "asynchow": Importer(
                _read_asynchow, (), "AsyncHow plans (JSON lines); stages unlimited/one_agent/two_agents"
            )
        },
        demo={"levels": "4,8,12,16", "stage": "all", "scenario": "kitchen"},
    )


def _read_asynchow(paths: list[Path]) -> list[Instance]:
    """AsyncHow plans, AsyncHow's own question (`schedbench import asynchow --stage` asks for others)."""
    from schedbench.importers.asynchow import read_files

    return read_files(paths)


def _gantt() -> Any:
    from schedbench.plots.gantt import ASYNCPLAN_GANTT

    return ASYNCPLAN_GANTT


# --- evolution: a dispatch rule feeding a list scheduler -> start times (agents by interval colouring) --------


def evolve_input(data: Any) -> dict[str, Any]:
    """Typed data → the plain input of an evolved rule (indices instead of ids)."""
    steps = [s.id for s in data.steps]
    step_at = {s: i for i, s in enumerate(steps)}
    station_at = {s.id: k for k, s in enumerate(data.stations)}
    preds: list[list[int]] = [[] for _ in steps]
    succs: list[list[int]] = [[] for _ in steps]
    for a, b in data.precedences:
        preds[step_at[b]].append(step_at[a])
        succs[step_at[a]].append(step_at[b])
    return {
        "n": len(steps),
        "agents": data.agents,
        "duration": [s.duration for s in data.steps],
        "attended": [s.attended for s in data.steps],
        "station": [station_at[s.station] if s.station is not None else None for s in data.steps],
        "station_capacity": [s.capacity for s in data.stations],
        "predecessors": preds,
        "successors": succs,
    }


def evolve_solution(data: Any, output: Any) -> Any:
    """Start times by step index → a plan; agents are assigned to attended prefixes by interval colouring
    (exact on interval graphs), so a plan needing more agents than exist shows up as `unknown_agent`."""
    from schedbench.heuristics.asyncplan import assign_agents
    from schedbench.verifiers._result import as_nonnegative_int

    if not isinstance(output, list):
        return {"starts": f"not a list: {type(output).__name__}"}
    starts = {s.id: v for s, v in zip(data.steps, output, strict=False)}
    valid = {k: as_nonnegative_int(v) for k, v in starts.items()}
    agents = assign_agents(data, {k: v for k, v in valid.items() if v is not None})
    return {"starts": starts, "agents": agents}


def _evolve() -> Any:
    from schedbench.evolve.specs import EvolveSpec, seed_file, task_file

    return EvolveSpec(
        family="asyncplan",
        seeds={"list": seed_file("asyncplan_list.py")},
        default_seed="list",
        to_input=evolve_input,
        to_solution=evolve_solution,
        zero_point="sequential",
        train={"levels": "8-20", "per_level": 2, "stage": "two_agents,stations,combined", "seed": 2025},
        gate={"levels": "4", "per_level": 1, "stage": "one_agent,combined", "seed": 7},
        vocabulary=(
            "instance['duration'][i]",
            "instance['attended'][i]",
            "instance['duration'][i] - instance['attended'][i]",
            "len(instance['successors'][i])",
            "(instance['station'][i] is not None)",
        ),
        rule_function="priorities",
        rule_kind="list",
        task=task_file("task_asyncplan.j2"),
        comparison=("list", "sequential", "random"),
    )
