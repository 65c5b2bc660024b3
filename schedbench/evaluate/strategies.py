"""Reasoning strategies: how one item is asked. The runner hands each item to its strategy as a `Turns` object
(ask the model, check an answer, word the feedback) and stores what the strategy did.

- `direct`: one question, one answer (the runner's batched single-turn path).
- `repair`: after an answer that fails, the verifier's findings go back for another attempt, up to `rounds`.

A new strategy (tools, formalize) is one class with a `name`, its options in `identity()` and `run(turns)`,
registered in STRATEGIES.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol

from schedbench.errors import OptionError
from schedbench.prompts import FEEDBACK_STYLES


@dataclass
class Round:
    """One turn of a conversation: the user message that opened it, the reply and its check."""

    user: str | None  # the feedback that opened this round (None: the item's question)
    response: str
    answer: Any = None
    parse_error: str | None = None
    verification: dict[str, Any] | None = None
    normalised_gap: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    finish_reason: str | None = None
    failure: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return bool(self.verification and self.verification.get("correct"))


class Turns(Protocol):
    """What the runner offers a strategy for one item."""

    messages: list[dict[str, str]]  # the item's question (system, few-shot, user)

    async def ask(self, messages: list[dict[str, str]], user: str | None) -> Round | None:
        """The model's checked reply to `messages` (cached per conversation); None when the item must stop
        (a fault, stored as an error row, or the budget)."""
        ...

    async def feedback(self, last: Round, style: str, objective_turn: bool) -> str | None:
        """The user turn after `last` (None: nothing to repair)."""
        ...


class Strategy(ABC):
    """How one item is asked."""

    name: str = ""
    single_turn: bool = False  # one request per item: the runner's batched path, with no per-item conversation

    def identity(self) -> dict[str, Any]:
        """What makes runs of this strategy differ: part of the run's configuration, name and cache keys."""
        return {"strategy": self.name}

    @abstractmethod
    async def run(self, turns: Turns) -> list[Round]:
        """Converse about one item; every round, the last one being the item's result."""


class Direct(Strategy):
    """One question, one answer. Its identity is empty, so runs, names and cache keys are those of before
    strategies existed."""

    name = "direct"
    single_turn = True

    def identity(self) -> dict[str, Any]:
        return {}

    async def run(self, turns: Turns) -> list[Round]:
        reply = await turns.ask(turns.messages, None)
        return [] if reply is None else [reply]


class Repair(Strategy):
    """Verifier-feedback repair: up to `rounds` answers; after each failed one (parse error, infeasible schedule,
    wrong infeasibility claim) the findings go back as the next user turn. With `objective_turn`, a feasible
    answer that can be improved gets one turn (at most, within the rounds) saying so, without any number."""

    name = "repair"

    def __init__(self, rounds: int = 3, feedback: str = "full", objective_turn: bool = False) -> None:
        if rounds < 1:
            raise OptionError("rounds", "must be at least 1")
        if feedback not in FEEDBACK_STYLES:
            raise OptionError("feedback", f"unknown style {feedback!r}; known: {', '.join(FEEDBACK_STYLES)}")
        self.rounds = rounds
        self.feedback = feedback
        self.objective_turn = objective_turn

    def identity(self) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "rounds": self.rounds,
            "feedback": self.feedback,
            "repair_objective": self.objective_turn,
        }

    async def run(self, turns: Turns) -> list[Round]:
        messages, user = list(turns.messages), None
        done: list[Round] = []
        objective_left = self.objective_turn
        while len(done) < self.rounds:
            reply = await turns.ask(messages, user)
            if reply is None:
                break
            done.append(reply)
            if len(done) == self.rounds or reply.failure is not None:
                break
            user = await turns.feedback(reply, self.feedback, objective_left)
            if user is None:
                break
            objective_left = objective_left and not reply.correct
            messages = [*messages, {"role": "assistant", "content": reply.response}, {"role": "user", "content": user}]
        return done


STRATEGIES: dict[str, type[Strategy]] = {"direct": Direct, "repair": Repair}


def make_strategy(name: str, **options: Any) -> Strategy:
    """The strategy `name` with its options (OptionError for an unknown name or a bad option)."""
    if name not in STRATEGIES:
        raise OptionError("strategy", f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    if name == "direct":
        return Direct()
    return STRATEGIES[name](**options)
