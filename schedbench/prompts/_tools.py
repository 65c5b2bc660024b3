"""What the model reads about tools (the tools strategy): the tools' descriptions, the note added to the
question, and `check_schedule`'s result, built from the answer's own verification like repair feedback."""

from __future__ import annotations

from typing import Any

from schedbench.problems import Instance
from schedbench.prompts._feedback import feedback_text
from schedbench.prompts._render import TEMPLATES, _environment


def tool_description(name: str, **values: Any) -> str:
    """The description of tool `name` for the model (template `tool_<name>.j2`)."""
    return _render(f"tool_{name}.j2", **values)


def tools_note(names: list[str], max_calls: int) -> str:
    """The paragraph added to the question when tools are offered."""
    return _render("tools_note.j2", names=names, max_calls=max_calls)


def check_text(instance: Instance, mode: str, parse_error: str | None, verification: dict[str, Any] | None) -> str:
    """`check_schedule`'s result for one checked answer: the repair feedback's findings (`full` style) or that
    none was found, and the objective when the schedule is feasible."""
    verification = verification or {}
    findings = feedback_text(instance, mode, "full", parse_error, verification)
    return _render(
        "tool_check_result.j2",
        findings=(findings or "").strip(),
        feasible=parse_error is None and bool(verification.get("feasible")),
        objective=verification.get("objective"),
    )


def _render(template: str, **values: Any) -> str:
    return _environment(TEMPLATES).get_template(template).render(**values).strip() + "\n"
