"""The family conformance suite: checks every registered family must pass (tests/test_family_conformance.py).

Each check takes the family's name, a small solved suite of it and a scratch folder. They use only the
family's record, so a family registered by another package is checked exactly like a built-in one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schedbench.problems import Instance, get_family

Check = Callable[[str, list[Instance], Path], None]


def small_suite(name: str, seed: int = 11) -> list[Instance]:
    """The family's demo suite cut to its first level, one instance per level and stage, references solved."""
    from schedbench.references import generate_instances

    family = get_family(name)
    options = dict(family.demo)
    first_level = str(options.get("levels", "3")).split(",")[0].split("-")[0]
    options.update(levels=first_level, per_level=1)
    config = family.generator_config(seed=seed, time_limit=5, workers=1, **options)
    return generate_instances(family, config, show_progress=False)


def check_generates_and_solves(name: str, suite: list[Instance], folder: Path) -> None:
    """Generation gives instances of this family, and the exact solver gives each a reference."""
    assert suite, f"{name}: the generator gave no instance"
    family = get_family(name)
    for inst in suite:
        assert inst.family == name
        assert inst.reference is not None and inst.reference.status in ("optimal", "feasible", "infeasible")
        again = family.solve(family.parse_data(inst.data), time_limit=5, workers=1, hint=None)
        assert again.status == inst.reference.status, inst.id


def check_witness_verifies(name: str, suite: list[Instance], folder: Path) -> None:
    """The reference witness is correct and optimal by the family's own verifier."""
    family = get_family(name)
    for inst in suite:
        ref = inst.reference
        assert ref is not None
        if ref.status == "infeasible":
            continue
        assert ref.witness is not None, f"{inst.id}: a solved reference needs a witness"
        result = family.verify(family.parse_data(inst.data), ref.witness, ref)
        assert result.correct and result.feasible, (inst.id, result.violations)
        assert result.objective == ref.objective, inst.id
        assert set(result.violation_types()) <= set(family.violation_types)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield value


def _field_names(model: type[BaseModel]) -> set[str]:
    """Field names of a data model and of every model nested in it (keys, not content)."""
    schema = model.model_json_schema()
    parts = [schema, *schema.get("$defs", {}).values()]
    return {name for part in parts for name in part.get("properties", {})}


def check_prompt_states_every_constraint(name: str, suite: list[Instance], folder: Path) -> None:
    """Every id and every number of the instance data appears in each question mode's prompt, and the prompt
    carries the answer's JSON schema."""
    from schedbench.prompts import render_question

    family = get_family(name)
    for inst in suite:
        for mode in family.prompts:
            text = render_question(inst, mode)
            stated = {str(leaf) for leaf in _leaves(json.loads(json.dumps(inst.data))) if str(leaf) not in text}
            absent = stated - _field_names(family.data_model)
            assert not absent, f"{inst.id} ({mode}): the prompt never states {sorted(absent)[:5]}"
            assert json.dumps(family.answer_model(mode).model_json_schema()) in text, f"{inst.id}: no schema"


def check_oracle_round_trips(name: str, suite: list[Instance], folder: Path) -> None:
    """The oracle's answer text extracts to the same answer, and that answer verifies as correct."""
    from schedbench.llm import ItemContext
    from schedbench.llm._offline import OracleModel, answer_text
    from schedbench.prompts import answer_shape, extract_answer

    family = get_family(name)
    for inst in suite:
        for mode in family.prompts:
            answer = OracleModel("oracle/exact").answer(ItemContext(inst, mode))
            extraction = extract_answer(answer_text(answer), answer_shape(name, mode))
            assert extraction.ok and extraction.answer == answer, (inst.id, mode, extraction.error)
        plan = OracleModel("oracle/exact").answer(ItemContext(inst, "plan"))
        assert family.verify(family.parse_data(inst.data), plan, inst.reference).correct, inst.id


def check_baselines(name: str, suite: list[Instance], folder: Path) -> None:
    """Every baseline answers every feasible instance feasibly, or with only the violation types the family
    documents its rules may leave open (`Family.baseline_violations`)."""
    family = get_family(name)
    assert family.baselines, f"{name}: a family needs at least one baseline rule"
    for inst in suite:
        if inst.reference is None or inst.reference.status == "infeasible":
            continue
        data = family.parse_data(inst.data)
        for rule, baseline in family.baselines.items():
            result = family.verify(data, baseline(data), inst.reference)
            flagged = result.violation_types() - set(family.baseline_violations)
            assert result.feasible or not flagged, (inst.id, rule, sorted(flagged))


def check_rule_programs(name: str, suite: list[Instance], folder: Path) -> None:
    """Every baseline rule has a program (`Family.rule_programs`, what `baseline/<rule>` answers under the
    formalize strategy) in every question mode, and, run through the formalize strategy's sandbox runner, each
    prints exactly the answer its rule gives in-process."""
    from schedbench.evaluate._programs import Programs
    from schedbench.prompts import answer_for_mode, answer_shape, extract_answer, offline_program

    family = get_family(name)
    cases = [(rule, mode) for rule in family.baselines for mode in family.prompt_modes]
    missing = [f"{rule} ({mode})" for rule, mode in cases if offline_program(name, rule, mode) is None]
    assert not missing, f"{name}: baseline rules without a program: {', '.join(missing)}"

    async def run_all() -> list[Any]:
        programs = Programs(timeout_s=60.0, memory_mb=2048)
        try:
            return await asyncio.gather(
                *(
                    programs.run(offline_program(name, rule, mode) or "", json.dumps(inst.data).encode())
                    for rule, mode in cases
                    for inst in suite
                )
            )
        finally:
            programs.close()

    runs = iter(asyncio.run(run_all()))
    for rule, mode in cases:
        for inst in suite:
            run = next(runs)
            assert run.failure is None, (inst.id, rule, mode, run.failure, run.detail, run.stderr[-400:])
            printed = extract_answer(run.stdout, answer_shape(name, mode))
            expected = answer_for_mode(inst, mode, family.baselines[rule](family.parse_data(inst.data)))
            assert printed.answer == json.loads(json.dumps(expected)), (inst.id, rule, mode, printed.error)


def check_gantt_draws(name: str, suite: list[Instance], folder: Path) -> None:
    """The family's Gantt drawer draws the witness beside itself, on every panel its rows promise."""
    from schedbench.plots import figure_svg, gantt_spec, schedule_comparison

    family = get_family(name)
    spec = gantt_spec(name)
    assert spec is not None, f"{name}: the record names no Gantt drawer"
    inst = next(i for i in suite if i.reference is not None and i.reference.witness is not None)
    data = family.parse_data(inst.data)
    figure = schedule_comparison(name, data, inst.reference.witness, inst.reference.witness)
    assert len(figure.axes) == 2 * len(spec.rows(data))
    assert figure_svg(figure).startswith("<svg") or "<svg" in figure_svg(figure)[:400]


def check_evolve_seed_scores(name: str, suite: list[Instance], folder: Path) -> None:
    """Every evolve seed of the family runs in the sandbox and scores between the zero point and the optimum."""
    from schedbench.evolve.config import EvolveConfig
    from schedbench.evolve.evaluator import Evaluator, build_instances, prepare_set
    from schedbench.evolve.specs import get_spec

    if get_family(name).evolve is None:
        return
    spec = get_spec(name)
    config = EvolveConfig()
    gate = prepare_set(spec, build_instances(spec, dict(spec.gate), folder / "gate", 10.0, 1))
    evaluator = Evaluator(spec, gate, gate, config.evaluator, config.sandbox)
    for seed in spec.seeds:
        result = asyncio.run(evaluator.evaluate(spec.seed_code(seed)))
        assert result.status == "ok", (seed, result.error)
        assert -100 <= result.metrics["quality"] <= 100


CHECKS: list[Check] = [
    check_generates_and_solves,
    check_witness_verifies,
    check_prompt_states_every_constraint,
    check_oracle_round_trips,
    check_baselines,
    check_rule_programs,
    check_gantt_draws,
    check_evolve_seed_scores,
]
