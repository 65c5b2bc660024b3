"""The inspect_ai tasks end to end, offline: inspect's mockllm provider answers with scripted replies
(correct, infeasible, unparsable), and every score must equal schedbench's own evaluation of the same replies
through `replay/`; the tasks are found by name through the package's `inspect_ai` entry point."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

import schedbench
from schedbench.evaluate import EvalConfig, evaluate
from schedbench.llm._offline import OracleModel, answer_text
from schedbench.llm._types import ItemContext
from schedbench.problems import Instance, get_family
from schedbench.prompts import PromptOptions, build_messages
from schedbench.results import Store
from schedbench.suites import load_instances

ASYNCHOW = Path(schedbench.__file__).parent / "datasets" / "asynchow" / "asynchow_async.jsonl"


def scripted_replies(instances: list[Instance], mode: str) -> dict[str, str]:
    """Per instance, in turn: the exact answer, an answer that breaks a constraint, text without an answer."""
    replies = {}
    for index, inst in enumerate(instances):
        kind = index % 3
        if kind == 0:
            replies[inst.id] = "Here it is:\n" + answer_text(
                OracleModel("oracle/exact").answer(ItemContext(inst, mode))
            )
        elif kind == 1:
            wrong: dict[str, Any] = {"makespan": 0} if mode == "time" else {"starts": {key: 0 for key in _ids(inst)}}
            replies[inst.id] = answer_text(wrong)
        else:
            replies[inst.id] = "I am not sure how to schedule this."
    return replies


def _ids(inst: Instance) -> list[str]:
    data = inst.data
    items = data.get("tasks") or data.get("steps") or data.get("jobs") or []
    return [item["id"] for item in items]


def mock_model(instances: list[Instance], mode: str, replies: dict[str, str]) -> Any:
    """mockllm answering each prompt with the scripted reply of its instance (found by its question)."""
    by_question = {build_messages(inst, PromptOptions(mode=mode))[-1]["content"]: inst.id for inst in instances}

    def reply(messages: list[Any], *_: Any) -> ModelOutput:
        output = ModelOutput.from_content(model="mockllm", content=replies[by_question[messages[-1].text]])
        output.usage = ModelUsage(input_tokens=100, output_tokens=20, total_tokens=120)  # no tokenizer download
        return output

    return get_model("mockllm/model", custom_outputs=reply)


def schedbench_items(suite: Path, mode: str, replies: dict[str, str], folder: Path) -> dict[str, dict[str, Any]]:
    """schedbench's own evaluation of the same replies: `replay/` through `evaluate`, read from the store."""
    replay = folder / f"replay-{mode}.jsonl"
    replay.write_text(
        "".join(json.dumps({"instance_id": k, "sample": 0, "response": v}) + "\n" for k, v in replies.items())
    )
    db = folder / f"results-{mode}.db"
    evaluate(
        EvalConfig(
            model=f"replay/{replay}", suite=str(suite), results=db, show_progress=False, prompt=PromptOptions(mode=mode)
        )
    )
    with Store(db) as store:
        run = store.runs()[0]
        return {row["instance_id"]: row for row in store.items(run.id)}


@pytest.mark.parametrize(
    ("task_name", "family", "mode"),
    [("schedbench/rcpsp", "rcpsp", "plan"), ("schedbench/asyncplan_time", "asyncplan", "time")],
)
def test_inspect_scores_equal_schedbench_evaluation(
    tmp_path: Path, cli, task_name: str, family: str, mode: str
) -> None:
    suite = tmp_path / "suite"
    if family == "rcpsp":
        code, _, err = cli(
            [
                "generate",
                "rcpsp",
                "--out",
                str(suite),
                "--levels",
                "2,5,8",
                "--per-level",
                "2",
                "--stage",
                "windows",
                "--seed",
                "4",
            ]
        )
    else:
        plans = tmp_path / "plans.jsonl"
        lines = ASYNCHOW.read_text().splitlines()
        plans.write_text("\n".join([*lines[:5], lines[829]]) + "\n")
        code, _, err = cli(["import", "asynchow", str(plans), "--out", str(suite), "--quiet"])
    assert code == 0, err
    instances = load_instances(suite)
    replies = scripted_replies(instances, mode)
    logs = inspect_eval(
        task_name,
        task_args={"suite": str(suite)},
        model=mock_model(instances, mode, replies),
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    log = logs[0]
    assert log.status == "success", log.error
    scores = {sample.id: sample.scores["schedbench_verifier"] for sample in log.samples}
    assert set(scores) == {inst.id for inst in instances}
    ours = schedbench_items(suite, mode, replies, tmp_path)
    kinds = set()
    for inst in instances:
        score, item = scores[inst.id], ours[inst.id]
        meta = score.metadata
        assert (score.value == "C") == bool(item["correct"]) == meta["success"], inst.id
        assert meta["feasible"] == bool(item["feasible"]) and meta["optimal"] == bool(item["optimal"])
        assert meta["gap_pct"] == item["gap_pct"] and meta["objective"] == item["objective"]
        assert meta["violation_types"] == sorted(item["violation_types"])
        assert (meta["parse_error"] is None) == (item["parse_error"] is None)
        kinds.add("correct" if meta["success"] else "unparsable" if meta["parse_error"] else "violations")
    assert kinds == {"correct", "violations", "unparsable"}
    accuracy = log.results.scores[0].metrics["accuracy"].value
    assert accuracy == pytest.approx(sum(bool(item["correct"]) for item in ours.values()) / len(instances))


def test_tasks_registered_through_the_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="inspect_ai")}
    assert found.get("schedbench") == "schedbench.inspect_tasks"
    from inspect_ai._util.registry import registry_lookup

    for name in ("rcpsp", "smtt", "asyncplan", "asyncplan_time"):
        assert registry_lookup("task", f"schedbench/{name}") is not None, name
    assert get_family("asyncplan").prompt_modes == ("plan", "time")
