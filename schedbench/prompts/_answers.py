"""Answers as a model must write them: the text format, the part a question mode asks for, and the answer
the exact reference gives (the oracle's answer and the few-shot examples' answers)."""

from __future__ import annotations

import json
from typing import Any

from schedbench.problems import Instance, get_family


def answer_text(answer: dict[str, Any]) -> str:
    """An answer rendered the way the prompts ask for it: one JSON object in a fenced block."""
    return "```json\n" + json.dumps(answer, separators=(", ", ": ")) + "\n```"


def answer_for_mode(instance: Instance, mode: str, solution: dict[str, Any]) -> dict[str, Any]:
    """The answer question mode `mode` asks for, from a full solution (a `makespan`-only mode: its objective)."""
    family = get_family(instance.family)
    model = family.answer_model(mode)
    if model is family.solution_model or "makespan" not in model.model_fields:
        return solution
    data = family.parse_data(instance.data)
    return {"makespan": family.verify(data, solution, None).objective}


def reference_answer(instance: Instance, mode: str = "plan") -> dict[str, Any]:
    """The answer of the exact reference: its witness, or an infeasibility claim when it proved infeasibility.

    Raises:
        ValueError: the instance has no reference with a witness to answer with.
    """
    reference = instance.reference
    if reference is not None and reference.status == "infeasible":
        return {"infeasible": True}
    if mode != "plan" and reference is not None and reference.objective is not None:
        model = get_family(instance.family).answer_model(mode)
        if "makespan" in model.model_fields and len(model.model_fields) == 1:
            return {"makespan": reference.objective}
    if reference is None or reference.witness is None:
        raise ValueError(f"{instance.id}: no reference witness to answer with")
    return answer_for_mode(instance, mode, reference.witness)
