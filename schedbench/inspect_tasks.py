"""schedbench suites as inspect_ai tasks (`pip install 'schedbench[inspect]'`).

    inspect eval schedbench/rcpsp --model openai/gpt-4.1-mini -T suite=suites/rcpsp
    inspect eval schedbench/asyncplan_time --model anthropic/claude-sonnet-4-5 -T suite=suites/j -T style=graph

One task per family and question mode: `rcpsp`, `smtt`, `asyncplan` (plan questions) and `asyncplan_time`.
Each loads a suite (`-T suite=`: a folder, file or Hub name; without it, the family's small demo suite is
generated and solved), asks schedbench's own prompts (`-T cot=true`, `-T style=graph`, `-T system=...`), and
scores every reply with schedbench's own extraction and exact verifier — the same function `schedbench
evaluate` uses — so a score is `C` exactly when schedbench counts the item a success. Score metadata carry
`success`, `feasible`, `optimal`, `objective`, `reference`, `gap_pct`, `normalised_gap`, `violation_types`
and `parse_error`; the task's metrics are accuracy (success rate) with its standard error, and the mean gap.

inspect_ai finds the tasks through the `inspect_ai` entry point of the package (pyproject.toml).
"""

from __future__ import annotations

import json
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import CORRECT, INCORRECT, Metric, SampleScore, Score, Target, accuracy, metric, scorer, stderr
from inspect_ai.solver import TaskState, generate

from schedbench.problems import Instance, get_family
from schedbench.prompts import PromptOptions, build_messages


def _prefix() -> str:
    """What to put before a task's name so that inspect registers it as `schedbench/<name>`.

    inspect prefixes the package name itself when it recognises the module as part of an installed package;
    it does not when a source checkout shadows the installed metadata (a `schedbench.egg-info` folder in the
    working directory, as in `python -m pytest` from the repository), so the prefix is then given here.
    """
    from inspect_ai._util.registry import registry_name

    return "" if registry_name(_prefix, "x") == "schedbench/x" else "schedbench/"


_PREFIX = _prefix()
_MESSAGE_TYPES = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}


def load_suite(family_name: str, suite: str | None, limit: int | None = None) -> list[Instance]:
    """The suite's instances of this family (the family's demo suite, generated and solved, when none)."""
    if suite:
        from schedbench.suites import load_instances

        instances = [inst for inst in load_instances(suite) if inst.family == family_name]
    else:
        from schedbench.references import generate_instances

        family = get_family(family_name)
        instances = generate_instances(family, family.generator_config(**family.demo), show_progress=False)
    return instances[:limit] if limit else instances


def to_sample(instance: Instance, options: PromptOptions) -> Sample:
    """One inspect sample: schedbench's conversation for the instance, the instance itself in the metadata."""
    messages: list[ChatMessage] = [
        _MESSAGE_TYPES[m["role"]](content=m["content"]) for m in build_messages(instance, options)
    ]
    return Sample(
        id=instance.id,
        input=messages,
        target="",
        metadata={
            "instance": instance.model_dump_json(),
            "mode": options.mode,
            "level": instance.level,
            "stage": instance.stage,
        },
    )


def check_reply(instance: Instance, text: str, mode: str, finish_reason: str | None = None) -> dict[str, Any]:
    """schedbench's verdict on one reply, through the same extraction and verification as `evaluate`."""
    from schedbench.evaluate import _work

    problem = _work.load([(instance.id, instance.model_dump_json(), "inspect")])
    if problem is not None:
        raise ValueError(f"{problem[0]}: {problem[1]}: {problem[2]}")
    checked = _work.check([(instance.id, text, finish_reason)], mode)[0]
    if checked.failure:
        raise RuntimeError(checked.failure)
    verification = checked.verification or {}
    return {
        "success": bool(verification.get("correct", False)),
        "feasible": bool(verification.get("feasible", False)),
        "optimal": bool(verification.get("optimal", False)),
        "objective": verification.get("objective"),
        "reference": verification.get("reference"),
        "gap_pct": verification.get("gap_pct"),
        "normalised_gap": checked.normalised_gap,
        "violation_types": sorted({v["type"] for v in verification.get("violations", [])}),
        "parse_error": checked.parse_error,
        "answer": checked.answer,
    }


@metric
def mean_gap() -> Metric:
    """Mean optimality gap (%) over the successful answers that have one."""

    def compute(scores: list[SampleScore]) -> float:
        gaps = [
            s.score.metadata["gap_pct"]
            for s in scores
            if s.score.metadata and s.score.metadata.get("success") and s.score.metadata.get("gap_pct") is not None
        ]
        return sum(gaps) / len(gaps) if gaps else float("nan")

    return compute


@scorer(metrics=[accuracy(), stderr(), mean_gap()])
def schedbench_verifier() -> Any:
    """C when schedbench's exact verifier counts the reply a success (feasible and, for time questions, the
    proven minimum or inside the published range), I otherwise; the verdict in the metadata."""

    async def score(state: TaskState, target: Target) -> Score:
        instance = Instance.model_validate_json(state.metadata["instance"])
        finish = state.output.choices[0].stop_reason if state.output and state.output.choices else None
        verdict = check_reply(instance, state.output.completion if state.output else "", state.metadata["mode"], finish)
        answer = verdict.pop("answer")
        explanation = verdict["parse_error"] or (", ".join(verdict["violation_types"]) or "no violation")
        return Score(
            value=CORRECT if verdict["success"] else INCORRECT,
            answer=None if answer is None else json.dumps(answer),
            explanation=explanation,
            metadata=verdict,
        )

    return score


def suite_task(
    family_name: str,
    mode: str,
    suite: str | None = None,
    cot: bool = False,
    style: str = "plain",
    system: str | None = None,
    limit: int | None = None,
) -> Task:
    """A task asking every instance of the suite's `family_name` items in question mode `mode`."""
    options = PromptOptions(mode=mode, cot=bool(cot), system=system, style=style)
    samples = [to_sample(inst, options) for inst in load_suite(family_name, suite, int(limit) if limit else None)]
    name = suite or "demo"
    return Task(
        dataset=MemoryDataset(samples, name=f"{family_name}:{name}"),
        solver=generate(),
        scorer=schedbench_verifier(),
        metadata={"family": family_name, "mode": mode, "suite": name, "cot": bool(cot), "style": style},
    )


@task(name=_PREFIX + "rcpsp")
def rcpsp(
    suite: str | None = None, cot: bool = False, style: str = "plain", system: str | None = None, limit: int = 0
) -> Task:
    """RCPSP schedules (plan questions)."""
    return suite_task("rcpsp", "plan", suite, cot, style, system, limit)


@task(name=_PREFIX + "smtt")
def smtt(
    suite: str | None = None, cot: bool = False, style: str = "plain", system: str | None = None, limit: int = 0
) -> Task:
    """Single-machine total tardiness sequences (plan questions)."""
    return suite_task("smtt", "plan", suite, cot, style, system, limit)


@task(name=_PREFIX + "asyncplan")
def asyncplan(
    suite: str | None = None, cot: bool = False, style: str = "plain", system: str | None = None, limit: int = 0
) -> Task:
    """Asynchronous plans: starts and agents (plan questions)."""
    return suite_task("asyncplan", "plan", suite, cot, style, system, limit)


@task(name=_PREFIX + "asyncplan_time")
def asyncplan_time(
    suite: str | None = None, cot: bool = False, style: str = "plain", system: str | None = None, limit: int = 0
) -> Task:
    """Asynchronous plans: the minimum total time (time questions; AsyncHow's question)."""
    return suite_task("asyncplan", "time", suite, cot, style, system, limit)
