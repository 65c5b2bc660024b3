"""The formalize strategy's text: the question asking for a program, the program taken out of a reply, and
what a model is told after its program failed.

A program question is a Jinja template of the family (`Family.program_prompts`, by question mode), or the
shared `program.j2` for a family or mode without one. Every question ends with `_program.j2`: the instance
JSON the program will read on stdin (the family data, never the reference), the answer's JSON schema and the
sandbox's limits. The offline programs (`oracle/formalizer`, rule programs) are text files in
`template_dir/programs`, read here and never imported.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schedbench.errors import UnknownModeError
from schedbench.llm._types import Message
from schedbench.problems import Instance, get_family
from schedbench.prompts._render import PromptOptions, _environment, _schema_text, render_question, system_prompt

#: How a program can fail, beside the verifier's findings on the answer it printed.
PROGRAM_FAILURES = (
    "no_program",
    "syntax_error",
    "import_error",
    "runtime_error",
    "timeout",
    "memory",
    "no_output",
    "bad_output",
)
#: Words of each failure in the feedback a model gets.
FAILURE_WORDS = {
    "no_program": "your reply holds no Python program in a ```python fenced code block",
    "syntax_error": "your program does not compile (a syntax error)",
    "import_error": "your program imports a module that is not available",
    "runtime_error": "your program stopped with an error",
    "timeout": "your program did not finish within the time limit",
    "memory": "your program ran out of memory",
    "no_output": "your program printed nothing",
    "bad_output": "what your program printed could not be read as an answer",
}
_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)(?:\n```|\Z)", re.DOTALL)


def program_template(family_name: str, mode: str) -> str:
    """The template of a family's program question in `mode` (the shared one when the family names none)."""
    family = get_family(family_name)
    if mode not in family.prompts:
        raise UnknownModeError(family.name, mode, list(family.prompts))
    return family.program_prompts.get(mode, "program.j2")


def render_program_question(
    instance: Instance,
    mode: str,
    timeout_s: float,
    memory_mb: int,
    cot: bool = False,
    data: BaseModel | None = None,
) -> str:
    """The user turn asking for a program that answers `instance` (in question mode `mode`)."""
    family = get_family(instance.family)
    template = _environment(Path(family.template_dir)).get_template(program_template(family.name, mode))
    data = data if data is not None else family.parse_data(instance.data)
    generic = template.name == "program.j2"
    return (
        template.render(
            data=data,
            instance=instance,
            cot=cot,
            terms=family.scenario_terms(instance.scenario),
            schema=_schema_text(family.name, mode),
            instance_json=program_input(instance).decode(),
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            description=family.description,
            question=render_question(instance, mode, data=data) if generic else "",
            data_schema=_data_schema(family.name) if generic else "",
        ).strip()
        + "\n"
    )


def build_program_messages(
    instance: Instance, options: PromptOptions, timeout_s: float, memory_mb: int, data: BaseModel | None = None
) -> list[Message]:
    """System message and the program question (few-shot examples are answers, not programs: not shown)."""
    messages: list[Message] = []
    system = system_prompt(options)
    if system:
        messages.append({"role": "system", "content": system})
    question = render_program_question(instance, options.mode, timeout_s, memory_mb, options.cot, data)
    messages.append({"role": "user", "content": question})
    return messages


def program_input(instance: Instance) -> bytes:
    """What a program reads on stdin: the instance's family data as JSON (no id, no reference)."""
    return json.dumps(instance.data, ensure_ascii=False, separators=(",", ":")).encode()


def extract_program(text: str) -> str | None:
    """The program of a reply: its last ```python fenced block (else its last unlabelled fenced block)."""
    blocks = [(m.group("lang").lower(), m.group("body")) for m in _FENCE.finditer(text or "")]
    python = [body for lang, body in blocks if lang in ("python", "py", "python3")]
    plain = [body for lang, body in blocks if not lang]
    chosen = python or plain
    return chosen[-1].strip("\n") + "\n" if chosen and chosen[-1].strip() else None


def program_feedback_text(
    instance: Instance,
    mode: str,
    style: str,
    failure: str | None,
    detail: str,
    stderr_tail: str,
    parse_error: str | None,
    verification: dict[str, Any] | None,
    objective_turn: bool = False,
) -> str | None:
    """The user turn after a program's round: its failure (with the end of what it wrote to stderr), or the
    verifier's findings on the answer it printed worded as repair does; None when nothing needs fixing."""
    from schedbench.prompts._feedback import FEEDBACK_STYLES, feedback_text

    if style not in FEEDBACK_STYLES:
        raise ValueError(f"unknown feedback style {style!r}; known: {', '.join(FEEDBACK_STYLES)}")
    if failure is None:
        return feedback_text(instance, mode, style, parse_error, verification, objective_turn, program=True)
    family = get_family(instance.family)
    template = _environment(Path(family.template_dir)).get_template("program_feedback.j2")
    return (
        template.render(
            style=style,
            failure=failure,
            words=FAILURE_WORDS.get(failure, failure),
            detail=detail if style == "full" else "",
            stderr=stderr_tail if style == "full" else "",
            parse_error=parse_error if failure == "bad_output" and style == "full" else None,
            schema=_schema_text(family.name, mode),
        ).strip()
        + "\n"
    )


def offline_program(family_name: str, rule: str | None = None, mode: str = "plan") -> str | None:
    """The text of a family's offline program: its exact formalizer (`rule` None) or the program of a baseline
    rule, for question mode `mode` (a `time` program prints only the total time); a `.j2` file is a Jinja
    template rendered with `rule` and `mode`, any other file is taken as it is. None when the family has none."""
    family = get_family(family_name)
    name = family.formalizer_program if rule is None else family.rule_programs.get(rule)
    if name is None:
        return None
    folder = Path(family.template_dir) / "programs"
    if rule is None and not name.endswith(".j2"):
        return (folder / name).read_text(encoding="utf-8")
    return _environment(folder).get_template(name).render(rule=rule, mode=mode).strip("\n") + "\n"


@cache
def _data_schema(family_name: str) -> str:
    return json.dumps(get_family(family_name).data_model.model_json_schema())
