"""The prompt sampler: parent, top programs, diverse inspirations, last attempts and the evaluator's
artifacts, rendered from the templates in `evolve/templates/` (jinja2)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from schedbench.evolve.database import Program
from schedbench.evolve.program import ProgramError, evolve_block
from schedbench.llm import Message


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("schedbench.evolve", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _block(code: str) -> str:
    try:
        return evolve_block(code).rstrip("\n")
    except ProgramError:
        return code


def artifacts_text(program: Program, limit: int) -> str:
    """The evaluator's feedback on a program, bounded in length."""
    parts = []
    if program.error:
        parts.append(f"error: {program.error}")
    for key in ("traceback", "stderr", "timing"):
        value = program.artifacts.get(key)
        if value:
            parts.append(f"{key}: {str(value).strip()}")
    worst = program.artifacts.get("worst_instances")
    if worst:
        parts.append("worst instances: " + json.dumps(worst))
    text = "\n".join(parts)
    return text if len(text) <= limit else text[:limit] + " …"


def task_text(template: Path, **facts: Any) -> str:
    """The family's task description, rendered from its Jinja file."""
    return environment().from_string(template.read_text(encoding="utf-8")).render(**facts).strip()


def build_messages(
    task: str,
    parent: Program,
    top: list[Program],
    inspirations: list[Program],
    attempts: list[dict[str, Any]],
    mode: str,
    artifact_chars: int,
) -> list[Message]:
    """System and user messages of one iteration."""
    env = environment()
    shown = [{"id": p.id, "score": p.score, "block": _block(p.code)} for p in top]
    diverse = [{"id": p.id, "score": p.score, "block": _block(p.code)} for p in inspirations]
    user = env.get_template("user.j2").render(
        task=task,
        parent=parent,
        parent_artifacts=artifacts_text(parent, artifact_chars),
        top=shown,
        inspirations=diverse,
        attempts=attempts,
        mode=mode,
    )
    return [
        {"role": "system", "content": env.get_template("system.j2").render().strip()},
        {"role": "user", "content": user},
    ]
