"""The cascaded evaluator works for every family's seeds; scores sit between the zero-point rule (0) and the
optimum (100); bad answers fail in the right stage with a reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from schedbench.evolve.config import EvolveConfig
from schedbench.evolve.evaluator import Evaluator, build_instances, normalised, prepare_set
from schedbench.evolve.program import with_block
from schedbench.evolve.specs import get_spec

SMALL = {
    "smtt": {"levels": "10", "per_level": 1},
    "rcpsp": {"levels": "8-11", "per_level": 2},
    "asyncplan": {"levels": "8,12", "per_level": 1},
}


def evaluator_for(family: str, folder: Path, **evaluator) -> Evaluator:
    spec = get_spec(family)
    config = EvolveConfig(evaluator=evaluator)
    gate = prepare_set(spec, build_instances(spec, dict(spec.gate), folder / "gate", 10.0, 1))
    train = prepare_set(spec, build_instances(spec, {**spec.train, **SMALL[family]}, folder / "train", 10.0, 1))
    return Evaluator(spec, gate, train, config.evaluator, config.sandbox)


def test_normalised_gap_points():
    assert normalised(100, 80, 120) == 50.0
    assert normalised(80, 80, 120) == 100.0
    assert normalised(120, 80, 120) == 0.0
    assert normalised(1000, 80, 120) == -100.0  # clipped
    assert normalised(80, 80, 80) == 100.0 and normalised(81, 80, 80) == 0.0


@pytest.mark.parametrize("family", ["rcpsp", "asyncplan", "smtt"])
def test_every_seed_of_every_family_evaluates(family: str, tmp_path: Path):
    evaluator = evaluator_for(family, tmp_path)
    spec = evaluator.spec
    for name in spec.seeds:
        result = asyncio.run(evaluator.evaluate(spec.seed_code(name)))
        assert result.status == "ok", (name, result.error)
        assert -100 <= result.metrics["quality"] <= 100
        assert result.metrics["objective_sum"] >= result.metrics["optimum_sum"]
        assert result.score == result.metrics["quality"]  # deterministic: the time is reported beside it
        assert result.metrics["time_penalty"] == pytest.approx(0.01 * result.metrics["ms_per_instance"], abs=1e-3)


def test_smtt_scores_edd_at_zero_and_mdd_near_the_optimum(tmp_path: Path):
    evaluator = evaluator_for("smtt", tmp_path, aggregate="instance")
    edd = asyncio.run(evaluator.evaluate(evaluator.spec.seed_code("edd")))
    mdd = asyncio.run(evaluator.evaluate(evaluator.spec.seed_code("mdd")))
    assert abs(edd.metrics["quality_total"]) < 1.0
    assert mdd.metrics["quality_total"] > 80
    assert edd.metrics["quality"] == edd.metrics["quality_instance"]  # the configured aggregate


def test_failures_name_their_stage_and_reason(tmp_path: Path):
    evaluator = evaluator_for("smtt", tmp_path)
    seed = evaluator.spec.seed_code("mdd")
    reversed_on_big = with_block(
        seed,
        "def schedule(instance):\n    if instance['n'] > 8:\n"
        "        return [0] * instance['n']\n    return list(range(instance['n']))\n",
    )
    result = asyncio.run(evaluator.evaluate(reversed_on_big))
    assert result.status == "failed" and result.error.startswith("stage 2: infeasible answer")
    assert "duplicate" in result.error and result.score == evaluator.config.failure_score
    crash = with_block(seed, "def schedule(instance):\n    return 1 / 0\n")
    result = asyncio.run(evaluator.evaluate(crash))
    assert result.error.startswith("stage 1: ZeroDivisionError")
    assert "ZeroDivisionError" in result.artifacts["traceback"]


def test_published_held_out_sets_carry_published_optima():
    from schedbench.evolve.report import published_held_out
    from schedbench.problems import get_family

    for family_name, rule in (("smtt", "mdd"), ("rcpsp", "lft"), ("jobshop", "mwkr")):
        family = get_family(family_name)
        held_out = published_held_out(get_spec(family_name), 5)
        assert len(held_out) == {"smtt": 2, "rcpsp": 1, "jobshop": 1}[family_name]
        for name, instances in ((h.name, h.instances) for h in held_out):
            assert len(instances) == 5, name
            for inst in instances:
                data = family.parse_data(inst.data)
                result = family.verify(data, family.baselines[rule](data), inst.reference)
                assert inst.reference.status == "optimal"
                assert result.feasible and result.objective >= inst.reference.objective, (name, inst.id)
