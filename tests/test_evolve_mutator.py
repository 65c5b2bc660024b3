"""The offline `baseline/mutator` improves the MDD seed on SMTT within 200 iterations, with no API key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from schedbench.evolve import Evolution, load_config
from schedbench.evolve.evaluator import Evaluator
from schedbench.evolve.program import code_hash
from schedbench.llm import get_model


def test_the_mutator_is_a_registered_offline_model():
    model = get_model("baseline/mutator")
    assert model.spec == "baseline/mutator"


def test_200_mutator_iterations_improve_the_mdd_seed(tmp_path: Path):
    config = load_config(
        None,
        {
            "family": "smtt",
            "iterations": 200,
            "workers": 2,
            "seed": 1,
            "models": [{"spec": "baseline/mutator"}],
            "evaluator": {"train": {"per_level": 2}},
        },
    )
    evolution = Evolution(tmp_path, config, show_progress=False)
    try:
        summary = asyncio.run(evolution.run())
        seed = evolution.db.program("p000000")
        best = evolution.db.best()
        assert seed.code == evolution.spec.seed_code("mdd")
        assert best is not None and code_hash(best.code) != code_hash(seed.code)
        assert best.metrics["objective_sum"] < seed.metrics["objective_sum"]  # less total tardiness
        assert best.metrics["quality"] > seed.metrics["quality"] + 0.2
        # an independent re-evaluation of the stored best program agrees with the database
        evaluator: Evaluator = evolution.evaluator
        again = asyncio.run(evaluator.evaluate((tmp_path / "best_program.py").read_text()))
        assert again.status == "ok" and again.metrics["objective_sum"] == best.metrics["objective_sum"]
    finally:
        evolution.close()
    assert summary.iterations == 200
    assert json.loads((tmp_path / "best.json").read_text())["program_id"] == best.id
