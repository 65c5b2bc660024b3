"""Controller behaviour with scripted models: weighted ensembles, the cost cap, failed edits recorded with
their reason, the rewrite fallback, and what prompts show."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from schedbench.evolve import Evolution, load_config
from schedbench.evolve.mutator import Mutator
from schedbench.llm import Completion


class ScriptedModel:
    """Answers from a list of replies (then with the offline mutator's edit), charging a fixed cost."""

    def __init__(self, spec: str, replies: list[str], cost: float = 0.0) -> None:
        self.spec = spec
        self.replies = list(replies)
        self.cost = cost
        self.prompts: list[str] = []

    async def complete(self, messages, *, context=None, **params) -> Completion:
        self.prompts.append(messages[-1]["content"])
        text = self.replies.pop(0) if self.replies else (await Mutator().complete(messages, context=context)).text
        return Completion(text=text, cost_usd=self.cost, input_tokens=100, output_tokens=20, model=self.spec)


def small_config(**overrides):
    base = {
        "family": "smtt",
        "workers": 1,
        "evaluator": {"train": {"levels": "8", "per_level": 1}},
        "database": {"islands": 2},
    }
    return load_config(None, {**base, **overrides})


def test_ensemble_members_are_drawn_by_weight(tmp_path: Path):
    config = small_config(iterations=400, models=[{"spec": "fake/a", "weight": 3}, {"spec": "fake/b", "weight": 1}])
    models = {m.spec: ScriptedModel(m.spec, []) for m in config.models}
    evolution = Evolution(tmp_path, config, show_progress=False, model_factory=lambda c, _: models[c.spec])
    try:
        seed = evolution.db.add_program(0, None, 0, evolution.spec.seed_code())
        evolution.db.record_evaluation(seed, "ok", 1.0, {"quality": 1.0}, {}, None)
        for _ in range(400):
            evolution.reserve()
        drawn = Counter(row[0] for row in evolution.db.conn.execute("SELECT model FROM iterations"))
    finally:
        evolution.close()
    assert drawn["fake/a"] + drawn["fake/b"] == 400
    assert 0.68 < drawn["fake/a"] / 400 < 0.82


def test_max_cost_stops_before_spending_past_the_cap(tmp_path: Path):
    config = small_config(iterations=50, max_cost=0.035, models=[{"spec": "fake/paid"}])
    model = ScriptedModel("fake/paid", [], cost=0.01)
    evolution = Evolution(tmp_path, config, show_progress=False, model_factory=lambda c, _: model)
    try:
        summary = asyncio.run(evolution.run())
    finally:
        evolution.close()
    assert len(model.prompts) == 3
    assert summary.cost_usd <= 0.035 and summary.stopped and "max cost" in summary.stopped
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == [0, 1, 2, 3]
    assert sum(row["cost_usd"] for row in history) == summary.cost_usd


def test_failed_edits_are_recorded_and_lead_to_a_rewrite_prompt(tmp_path: Path):
    bad_diff = "<<<<<<< SEARCH\n    return no_such_line\n=======\n    return 0\n>>>>>>> REPLACE\n"
    config = small_config(
        iterations=4, models=[{"spec": "fake/x"}], database={"islands": 1}, prompt={"rewrite_after_failed_edits": 2}
    )
    good = (
        "```python\n# EVOLVE-BLOCK-START\ndef schedule(instance):\n"
        "    return sorted(range(instance['n']), key=lambda j: instance['d'][j])\n# EVOLVE-BLOCK-END\n```"
    )
    model = ScriptedModel("fake/x", [bad_diff, "Just thoughts, no code.", good])
    evolution = Evolution(tmp_path, config, show_progress=False, model_factory=lambda c, _: model)
    try:
        asyncio.run(evolution.run())
        modes = [row[0] for row in evolution.db.conn.execute("SELECT mode FROM iterations ORDER BY iteration")]
    finally:
        evolution.close()
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert history[1]["status"] == "failed" and "was not found in the EVOLVE block" in history[1]["error"]
    assert history[1]["program_id"] is None
    assert history[2]["status"] == "failed" and history[2]["error"].startswith("edit:")
    assert modes[1:4] == ["diff", "diff", "rewrite"]
    assert history[3]["status"] == "ok"
    first, third = model.prompts[0], model.prompts[2]
    assert "def priority" in first and "SEARCH" in first  # the parent and the diff instructions
    assert "Rewrite the whole EVOLVE block" in third
    assert "was not found in the EVOLVE block" in third  # the last attempts and their reasons


def test_candidates_can_be_evaluated_as_ray_tasks(tmp_path: Path):
    import pytest

    pytest.importorskip("ray")
    config = small_config(iterations=3, executor="ray", models=[{"spec": "fake/ray"}])
    model = ScriptedModel("fake/ray", [])
    evolution = Evolution(tmp_path, config, show_progress=False, model_factory=lambda c, _: model)
    try:
        summary = asyncio.run(evolution.run())
    finally:
        evolution.close()
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == [0, 1, 2, 3]
    assert history[0]["status"] == "ok" and summary.best_score is not None
