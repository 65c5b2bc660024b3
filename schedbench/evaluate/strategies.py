"""Reasoning strategies: how one item is asked. The runner hands each item to its strategy as a `Turns` object
(ask the model, check an answer, word the feedback) and stores what the strategy did.

- `direct`: one question, one answer (the runner's batched single-turn path).
- `repair`: after an answer that fails, the verifier's findings go back for another attempt, up to `rounds`.
- `tools`: the model may call `check_schedule` (and `run_python`) before it answers, up to `max_tool_calls`.
- `formalize`: the model writes a program that reads the instance JSON on stdin and prints the answer; the
  program runs in the sandbox and what it printed is checked like a direct answer. With `rounds` > 1 its
  failure or the verifier's findings go back as in repair.

A new strategy (tools, formalize) is one class with a `name`, its options in `identity()` and `run(turns)`,
registered in STRATEGIES.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
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

    def stored(self) -> dict[str, Any]:
        """The round as the store keeps it: its fields by name (the values themselves, not copies — the store
        serialises them at once)."""
        return {name: getattr(self, name) for name in _ROUND_FIELDS}


_ROUND_FIELDS = tuple(f.name for f in fields(Round))


class Turns(Protocol):
    """What the runner offers a strategy for one item."""

    messages: list[dict[str, str]]  # the item's question (system, few-shot, user)

    async def ask(
        self, messages: list[dict[str, str]], user: str | None, then: tuple[str, bool] | None = None
    ) -> Round | None:
        """The model's checked reply to `messages` (cached per conversation); None when the item must stop
        (a fault, stored as an error row, or the budget). With `then` (feedback style, objective turn), the
        feedback on the reply is worded along with its check, and `feedback` with those options returns it."""
        ...

    async def feedback(self, last: Round, style: str, objective_turn: bool) -> str | None:
        """The user turn after `last` (None: nothing to repair)."""
        ...

    async def ask_program(self, messages: list[dict[str, str]], user: str | None) -> Round | None:
        """Formalize: the model's reply to `messages` (cached), its program run in the sandbox and what the
        program printed checked; the program, its run and its failure type are in the round's `extra`."""
        ...

    async def program_feedback(self, last: Round, style: str, objective_turn: bool) -> str | None:
        """The user turn after a formalize round (None: nothing to fix)."""
        ...


class Strategy(ABC):
    """How one item is asked."""

    name: str = ""
    single_turn: bool = False  # one request per item: the runner's batched path, with no per-item conversation
    question: str = "answer"  # what the item's question asks for: an answer, or ("program") a program

    def identity(self) -> dict[str, Any]:
        """What makes runs of this strategy differ: part of the run's configuration, name and cache keys."""
        return {"strategy": self.name}

    def ready(self) -> None:
        """Refuse (an InputError) before any run row exists when this machine cannot run the strategy."""
        return None

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
            more = len(done) + 1 < self.rounds  # a failed answer now gets feedback
            reply = await self.answer(turns, messages, user, (self.feedback, objective_left) if more else None)
            if reply is None:
                break
            done.append(reply)
            if len(done) == self.rounds or reply.failure is not None:
                break
            user = await self.next_turn(turns, reply, objective_left)
            if user is None:
                break
            objective_left = objective_left and not reply.correct
            messages = [*messages, {"role": "assistant", "content": reply.response}, {"role": "user", "content": user}]
        return done

    async def answer(
        self, turns: Turns, messages: list[dict[str, str]], user: str | None, then: tuple[str, bool] | None
    ) -> Round | None:
        """One round: the model's checked reply (with `then`, its feedback worded at once, see `Turns.ask`)."""
        return await turns.ask(messages, user, then)

    async def next_turn(self, turns: Turns, reply: Round, objective_turn: bool) -> str | None:
        """The user turn after a round (None: nothing to repair)."""
        return await turns.feedback(reply, self.feedback, objective_turn)


class Formalize(Repair):
    """Formalize and solve: the model answers with a Python program that reads the instance JSON on stdin and
    prints the answer JSON; it runs only in the sandbox (`program_timeout_s`, `program_memory_mb`), and its
    output is parsed and verified like a direct answer. A program that fails gets its own failure type
    (schedbench.prompts.PROGRAM_FAILURES). With `rounds` > 1, the failure (with the end of its stderr) or the
    verifier's findings go back and the model writes the program again."""

    name = "formalize"
    question = "program"

    def __init__(
        self,
        rounds: int = 1,
        feedback: str = "full",
        objective_turn: bool = False,
        program_timeout_s: float = 60.0,
        program_memory_mb: int = 2048,
    ) -> None:
        super().__init__(rounds, feedback, objective_turn)
        if not program_timeout_s > 0:
            raise OptionError("program_timeout", "must be more than 0 seconds")
        if program_memory_mb < 64:
            raise OptionError("program_memory", "must be at least 64 MiB")
        self.program_timeout_s = float(program_timeout_s)
        self.program_memory_mb = int(program_memory_mb)

    def identity(self) -> dict[str, Any]:
        return {
            **super().identity(),
            "program_timeout_s": self.program_timeout_s,
            "program_memory_mb": self.program_memory_mb,
        }

    def ready(self) -> None:
        """Programs run only under OS isolation: without bubblewrap, IsolationUnavailable."""
        from schedbench.sandbox import require_isolation

        require_isolation(False)

    async def answer(
        self, turns: Turns, messages: list[dict[str, str]], user: str | None, then: tuple[str, bool] | None
    ) -> Round | None:
        return await turns.ask_program(messages, user)

    async def next_turn(self, turns: Turns, reply: Round, objective_turn: bool) -> str | None:
        return await turns.program_feedback(reply, self.feedback, objective_turn)


class Tools(Strategy):
    """Tool use: the model may call `check_schedule(answer)` (the verifier's findings on an answer, worded like
    repair feedback, and its objective when feasible) and, with `python`, `run_python(code)` (the sandbox, the
    instance on stdin) before it answers; at most `max_tool_calls` calls run. The answer is read from the last
    reply; the item is one round whose `extra` holds every call with its arguments and result and every turn's
    accounting."""

    name = "tools"
    known_tools = ("check", "python")

    def __init__(self, tools: list[str] | tuple[str, ...] = ("check",), max_tool_calls: int = 8) -> None:
        tools = list(dict.fromkeys(tools))
        unknown = [t for t in tools if t not in self.known_tools]
        if not tools or unknown:
            raise OptionError("tools", f"unknown tool {', '.join(unknown) or '(none)'}; known: check, python")
        if max_tool_calls < 1:
            raise OptionError("max_tool_calls", "must be at least 1")
        self.tools = tools
        self.max_tool_calls = max_tool_calls

    def identity(self) -> dict[str, Any]:
        return {"strategy": self.name, "tools": self.tools, "max_tool_calls": self.max_tool_calls}

    def ready(self) -> None:
        if "python" in self.tools:
            from schedbench.sandbox import IsolationUnavailable, require_isolation

            try:
                require_isolation(False)
            except IsolationUnavailable as exc:
                raise OptionError("tools", f"python needs the sandbox: {exc}") from None

    async def run(self, turns: Turns) -> list[Round]:
        from schedbench.evaluate._tool_turns import tool_specs, with_tools_note
        from schedbench.llm import tool_loop

        specs = tool_specs(self.tools)
        tool_turns: Any = turns

        async def ask(messages: list[dict[str, Any]]) -> Any:
            return await tool_turns.complete_with_tools(messages, specs)

        async def execute(name: str, arguments: Any) -> str:
            return await tool_turns.run_tool(name, arguments, self.tools)

        messages = with_tools_note(turns.messages, self.tools, self.max_tool_calls)
        loop = await tool_loop(ask, execute, messages, self.max_tool_calls)
        if loop.stopped or loop.final is None:
            return []  # a fault (an error row, its turns cached) or the budget (nothing stored)
        result = await tool_turns.final_round(loop.turns)
        checked = tool_turns.checked_answers()
        result.extra = tool_turns.redacted(
            {
                "tool_calls": loop.calls,
                "calls": sum(c["ran"] for c in loop.calls),
                "turns": [_turn(t) for t in loop.turns],
                "final_checked": result.answer is not None and json.dumps(result.answer, sort_keys=True) in checked,
            }
        )
        return [result]


def _turn(completion: Any) -> dict[str, Any]:
    """One turn of a tool conversation as stored: its text, the calls it asked for, its accounting."""
    return {
        "text": completion.text,
        "tool_calls": [c["id"] for c in completion.tool_calls],
        "input_tokens": completion.input_tokens,
        "output_tokens": completion.output_tokens,
        "cost_usd": completion.cost_usd,
        "latency_s": completion.latency_s,
        "cached": completion.cached,
        "finish_reason": completion.finish_reason,
    }


STRATEGIES: dict[str, type[Strategy]] = {
    "direct": Direct,
    "repair": Repair,
    "formalize": Formalize,
    "tools": Tools,
}


def make_strategy(name: str, **options: Any) -> Strategy:
    """The strategy `name` with its options (OptionError for an unknown name or a bad option)."""
    if name not in STRATEGIES:
        raise OptionError("strategy", f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    if name == "direct":
        return Direct()
    return STRATEGIES[name](**options)
