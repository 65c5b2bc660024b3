"""`baseline/mutator`: an offline model that answers evolution prompts with SEARCH/REPLACE edits, so a whole
run works with no API key (and the edit path is exercised exactly as with an LLM).

It edits the spec's rule function inside the EVOLVE block with one of four operators, chosen at random:
perturb a numeric constant, scale a variable in the returned expression, add a term built from the family's
vocabulary of rule fragments, or recombine with an inspiration program (take its returned expression, or
blend both). Deterministic given the run seed and the iteration.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

from schedbench.evolve.program import ProgramError, evolve_block
from schedbench.llm import Completion, Message, ModelOptions, register_provider

_FLOAT = re.compile(r"(?<![\w.\[])(\d+\.\d+)(?![\w.])")


@dataclass(frozen=True)
class EditContext:
    """What offline models learn about an evolution prompt (LLMs see only the messages)."""

    parent: str
    inspirations: tuple[str, ...] = ()
    vocabulary: tuple[str, ...] = ()
    rule_function: str = "priority"
    rule_kind: str = "scalar"
    seed: int = 0
    iteration: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _rule_lines(block: str, function: str) -> list[tuple[int, str]]:
    """(line number, line) of the rule function's body inside the block."""
    lines = block.splitlines()
    body: list[tuple[int, str]] = []
    inside = False
    for number, line in enumerate(lines):
        if line.startswith("def "):
            inside = line.startswith(f"def {function}(")
            continue
        if inside:
            body.append((number, line))
    return body


def _return_line(body: list[tuple[int, str]]) -> str | None:
    returns = [line for _, line in body if line.strip().startswith("return ")]
    return returns[-1] if returns else None


def _coefficient(rng: random.Random, spread: float = 0.3) -> str:
    return f"{rng.gauss(0.0, spread):.3f}"


Edit = tuple[str, str, str]
"""An operator's proposal: why, the line to replace, and its replacement."""


class Mutator:
    """The offline mutation model."""

    spec = "baseline/mutator"

    def propose(self, context: EditContext) -> tuple[str, str] | None:
        """(explanation, SEARCH/REPLACE text) or None when no operator applies."""
        rng = random.Random(f"{context.seed}:{context.iteration}")
        try:
            block = evolve_block(context.parent)
        except ProgramError:
            return None
        body = _rule_lines(block, context.rule_function)
        operators = [self.perturb, self.scale, self.add_term, self.recombine]
        weights = [0.35, 0.25, 0.25, 0.15]
        for _ in range(8):
            operator = rng.choices(operators, weights)[0]
            proposal = operator(rng, body, context)
            if proposal is not None and proposal[1] != proposal[2]:
                why, search, replace = proposal
                return why, f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE"
        return None

    def perturb(self, rng: random.Random, body: list[tuple[int, str]], ctx: EditContext) -> Edit | None:
        candidates = [(line, m) for _, line in body for m in _FLOAT.finditer(line)]
        if not candidates:
            return None
        line, match = rng.choice(candidates)
        value = float(match.group(1))
        new = value * math.exp(rng.gauss(0.0, 0.25)) if value else rng.gauss(0.0, 0.1)
        replaced = line[: match.start(1)] + f"{new:.3f}" + line[match.end(1) :]
        return f"Tune the constant {value} to {new:.3f}.", line, replaced

    def scale(self, rng: random.Random, body: list[tuple[int, str]], ctx: EditContext) -> Edit | None:
        line = _return_line(body)
        if line is None:
            return None
        start = line.index("return ") + len("return ")
        spots = [
            (m.start(), a)
            for a in ctx.vocabulary
            if re.fullmatch(r"[\w\[\]']+", a)
            for m in re.finditer(rf"(?<![\w.\]]){re.escape(a)}(?![\w\[])", line[start:])
        ]
        if not spots:
            return None
        offset, atom = rng.choice(spots)
        spot = start + offset
        factor = f"{1.0 + rng.gauss(0.0, 0.15):.3f}"
        replaced = line[:spot] + f"({factor} * {atom})" + line[spot + len(atom) :]
        return f"Weigh {atom} by {factor}.", line, replaced

    def add_term(self, rng: random.Random, body: list[tuple[int, str]], ctx: EditContext) -> Edit | None:
        line = _return_line(body)
        if line is None or not ctx.vocabulary:
            return None
        indent, expr = line[: len(line) - len(line.lstrip())], line.strip()[len("return ") :]
        term = rng.choice(ctx.vocabulary)
        c = _coefficient(rng)
        if ctx.rule_kind == "list":
            new = f"{indent}return [v + {c} * ({term}) for i, v in enumerate({expr})]"
        else:
            new = f"{indent}return {expr} + {c} * ({term})"
        return f"Add the term {c}·{term}.", line, new

    def recombine(self, rng: random.Random, body: list[tuple[int, str]], ctx: EditContext) -> Edit | None:
        line = _return_line(body)
        if line is None or not ctx.inspirations:
            return None
        other_code = rng.choice(ctx.inspirations)
        try:
            other = _return_line(_rule_lines(evolve_block(other_code), ctx.rule_function))
        except ProgramError:
            return None
        if other is None or other.strip() == line.strip():
            return None
        indent = line[: len(line) - len(line.lstrip())]
        mine, theirs = line.strip()[len("return ") :], other.strip()[len("return ") :]
        if ctx.rule_kind == "scalar" and rng.random() < 0.5:
            a = f"{rng.uniform(0.2, 0.8):.3f}"
            return "Blend with an inspiration's rule.", line, f"{indent}return {a} * ({mine}) + (1 - {a}) * ({theirs})"
        return "Take an inspiration's rule expression.", line, f"{indent}return {theirs}"

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        """Answer with one SEARCH/REPLACE edit of the context's parent program (LLM-style text)."""
        if not isinstance(context, EditContext):
            return Completion(text="I need an EditContext to propose edits.", model=self.spec)
        proposal = self.propose(context)
        text = "No applicable edit." if proposal is None else f"{proposal[0]}\n\n{proposal[1]}\n"
        prompt_chars = sum(len(m.get("content", "")) for m in messages)
        return Completion(
            text=text,
            input_tokens=prompt_chars // 4,
            output_tokens=len(text) // 4,
            model=self.spec,
            finish_reason="stop",
        )


def _factory(spec: str, name: str, options: ModelOptions) -> Mutator:
    return Mutator()


register_provider(
    "baseline/mutator", _factory, "offline SEARCH/REPLACE mutations for `schedbench evolve`", offline=True
)
