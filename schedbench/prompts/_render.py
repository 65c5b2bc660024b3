"""Prompt rendering: one Jinja template per family and question mode, scenario wording, few-shot, system."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from schedbench.errors import UnknownModeError
from schedbench.llm._types import Message
from schedbench.problems import Family, Instance, get_family
from schedbench.prompts._answers import answer_text, reference_answer
from schedbench.prompts._extract import AnswerShape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class PromptOptions:
    """How questions are asked: question mode, chain of thought, few-shot examples and the system prompt.

    `system`: None → the default system prompt (`templates/system.j2`); "" → no system message.
    `few_shot`: solved instances of a separate split, shown as earlier question/answer turns.
    `style`: "plain", or "graph" to add the plan's dependency graph as an explicit edge list (asyncplan).
    """

    mode: str = "plan"
    cot: bool = False
    system: str | None = None
    few_shot: list[Instance] = field(default_factory=list)
    style: str = "plain"

    def fingerprint(self) -> dict[str, Any]:
        """What identifies these options in a run's configuration (the style only when not plain, so runs
        named before it existed keep their names)."""
        out = {
            "mode": self.mode,
            "cot": self.cot,
            "system": None if self.system is None else hashlib.sha256(self.system.encode()).hexdigest()[:16],
            "few_shot": [inst.id for inst in self.few_shot],
        }
        if self.style != "plain":
            out["style"] = self.style
        return out


@cache
def _environment(template_dir: Path) -> jinja2.Environment:
    """Templates of one family's folder, with the shared templates (system prompt, `_answer.j2`) behind it."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([template_dir, TEMPLATES]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
        auto_reload=False,
    )


def answer_model(family: Family, mode: str) -> type[BaseModel]:
    """The answer model of a question mode (the family's own for that mode, else its solution model)."""
    return family.answer_model(mode)


@cache
def answer_shape(family_name: str, mode: str) -> AnswerShape:
    """The top-level fields that make a JSON object an answer in this family and mode."""
    family = get_family(family_name)
    model = answer_model(family, mode)
    required = frozenset(n for n, f in model.model_fields.items() if f.is_required())
    others = getattr(sys.modules.get(family.solution_model.__module__), "ANSWER_ALTERNATIVES", None) or {}
    alternatives = tuple(frozenset(other.model_fields) for other in others.get(mode, ()))
    return AnswerShape(frozenset(model.model_fields), required, alternatives)


@cache
def _schema_text(family_name: str, mode: str) -> str:
    return json.dumps(get_family(family_name).answer_model(mode).model_json_schema())


def question_modes(family_name: str) -> list[str]:
    """The question modes of a family (what `--mode` accepts)."""
    return sorted(get_family(family_name).prompts)


def has_template(family_name: str, mode: str) -> bool:
    """Whether the family names a prompt template for this question mode and the file exists."""
    family = get_family(family_name)
    return mode in family.prompts and (Path(family.template_dir) / family.prompts[mode]).is_file()


def scenario_terms(family_name: str, scenario: str) -> dict[str, str]:
    """The words a scenario uses in this family's prompts."""
    return get_family(family_name).scenario_terms(scenario)


PROMPT_STYLES = ("plain", "graph")


def render_question(
    instance: Instance, mode: str = "plan", cot: bool = False, data: BaseModel | None = None, style: str = "plain"
) -> str:
    """The user prompt for one instance (`data`: its already parsed family data, if at hand; `style`: one of
    PROMPT_STYLES — "graph" adds the dependency graph as an edge list where the family's template has one)."""
    family = get_family(instance.family)
    if mode not in family.prompts:
        raise UnknownModeError(family.name, mode, list(family.prompts))
    template = _environment(Path(family.template_dir)).get_template(family.prompts[mode])
    data = data if data is not None else family.parse_data(instance.data)
    return (
        template.render(
            data=data,
            instance=instance,
            cot=cot,
            terms=family.scenario_terms(instance.scenario),
            schema=_schema_text(family.name, mode),
            style=style,
        ).strip()
        + "\n"
    )


def system_prompt(options: PromptOptions) -> str:
    """The system prompt of these options ('' for none)."""
    return options.system if options.system is not None else _default_system()


@cache
def _default_system() -> str:
    return _environment(TEMPLATES).get_template("system.j2").render().strip()


def build_messages(instance: Instance, options: PromptOptions, data: BaseModel | None = None) -> list[Message]:
    """System message, few-shot turns (question, answer) and the question (`data`: parsed, if at hand)."""
    messages: list[Message] = []
    system = system_prompt(options)
    if system:
        messages.append({"role": "system", "content": system})
    for example in (e for e in options.few_shot if e.family == instance.family):
        answer = reference_answer(example, options.mode)
        messages.append(
            {"role": "user", "content": render_question(example, options.mode, cot=False, style=options.style)}
        )
        messages.append({"role": "assistant", "content": answer_text(answer)})
    messages.append(
        {"role": "user", "content": render_question(instance, options.mode, options.cot, data, options.style)}
    )
    return messages


def prompt_hash(messages: list[Message]) -> str:
    """A stable hash of a conversation."""
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
