"""Offline models: they answer with text in the exact format an LLM must produce, so the whole
parse → verify → store path runs without a key or a server.

They read the item from `context` (an ItemContext, or a bare Instance for plan-mode questions).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from schedbench.llm._types import Completion, ItemContext, Message
from schedbench.prompts._answers import answer_for_mode, answer_text, reference_answer

__all__ = [
    "BaselineModel",
    "FormalizerModel",
    "OracleModel",
    "RepairerModel",
    "ReplayModel",
    "ToolUserModel",
    "answer_text",
]


def _item(context: Any) -> ItemContext:
    if isinstance(context, ItemContext):
        return context
    if context is not None and hasattr(context, "family"):
        return ItemContext(instance=context)
    raise ValueError("offline models need the instance as `context`")


class _Offline:
    cacheable = False

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def solution(self, item: ItemContext) -> dict[str, Any]:
        raise NotImplementedError

    def answer(self, item: ItemContext) -> dict[str, Any]:
        """The answer to the item's question mode."""
        return answer_for_mode(item.instance, item.mode, self.solution(item))

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        started = time.perf_counter()
        text = answer_text(self.answer(_item(context)))
        return Completion(text=text, latency_s=time.perf_counter() - started, model=self.spec, finish_reason="stop")


class BaselineModel(_Offline):
    """A family's baseline rule (`baseline/<rule>`), dispatched on the instance's family."""

    def __init__(self, spec: str, rule: str, executor: str = "local", ray_address: str | None = None) -> None:
        super().__init__(spec)
        self.rule = rule
        self.executor = executor
        self.ray_address = ray_address

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        """Inline by default; with the Ray executor the rule runs as a Ray task (rules can be costly). Under the
        formalize strategy the answer is a program implementing the rule (the family's rule program)."""
        item = _item(context)
        if item.strategy == "formalize":
            return _program_reply(self.spec, item.instance.family, self.rule, item.mode)
        if self.executor != "ray":
            return await super().complete(messages, context=context, **params)
        from schedbench.executors import run_one

        started = time.perf_counter()
        answer = await run_one(self.answer, _item(context), "ray", self.ray_address)
        return Completion(
            text=answer_text(answer), latency_s=time.perf_counter() - started, model=self.spec, finish_reason="stop"
        )

    def solution(self, item: ItemContext) -> dict[str, Any]:
        from schedbench.problems import get_family

        family = get_family(item.instance.family)
        if self.rule not in family.baselines:
            raise ValueError(
                f"family {family.name} has no baseline {self.rule!r}; known: {', '.join(family.baselines)}"
            )
        return family.baselines[self.rule](family.parse_data(item.instance.data))


class FormalizerModel(_Offline):
    """`oracle/formalizer`: answers every question with its family's exact program (a CP-SAT model written as a
    model would write it, `Family.formalizer_program`) in a ```python block; it never computes an answer itself,
    so its answers count only under the formalize strategy, where the program runs in the sandbox."""

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        item = _item(context)
        return _program_reply(self.spec, item.instance.family, None, item.mode)


def _program_reply(spec: str, family: str, rule: str | None, mode: str = "plan") -> Completion:
    """A reply holding the family's offline program (its formalizer, or the program of `rule` in question mode
    `mode`)."""
    from schedbench.prompts import offline_program

    started = time.perf_counter()
    source = offline_program(family, rule, mode)
    if source is None:
        what = "exact program" if rule is None else f"program for the rule {rule!r}"
        raise ValueError(f"family {family} has no {what}: nothing to answer with")
    text = f"```python\n{source}```\n"
    return Completion(text=text, latency_s=time.perf_counter() - started, model=spec, finish_reason="stop")


class OracleModel(_Offline):
    """Answers with the reference witness, or an infeasibility claim when the reference proved infeasibility."""

    def answer(self, item: ItemContext) -> dict[str, Any]:
        return reference_answer(item.instance, item.mode)


class ReplayModel:
    """Recorded responses (`replay/<file>`): a JSONL file with `instance_id` (or `id`), optional `sample`, and
    `response` (or `text`) per line — the JSONL export of a run replays as is."""

    cacheable = False

    def __init__(self, spec: str, path: Path) -> None:
        self.spec = spec
        self.responses: dict[tuple[str, int], str] = {}
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                row = json.loads(line)
                key = row.get("instance_id", row.get("id"))
                text = row.get("response", row.get("text"))
                if not isinstance(key, str) or not isinstance(text, str | None):
                    raise ValueError(f"{path}:{number}: needs 'instance_id' and 'response'")
                self.responses[(key, int(row.get("sample") or 0))] = text or ""

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        item = _item(context)
        text = self.responses.get((item.instance.id, item.sample), self.responses.get((item.instance.id, 0)))
        if text is None:
            raise KeyError(f"no recorded response for {item.instance.id} sample {item.sample}")
        return Completion(text=text, model=self.spec, finish_reason="stop")


class RepairerModel(_Offline):
    """`oracle/repairer`: a model that improves its answer only from the feedback it is given.

    Its first answer is the reference answer with one or two entries left out (which ones, and how many,
    depend only on the instance id and sample). After that it reads the feedback turns of the conversation:
    each one that names a left-out item by its id gets that one item put back (one per turn, in the order
    left out). Feedback that names no id (`types`, `bare`) changes nothing, so success@k rises with the
    rounds only when the findings say what is wrong. Infeasibility claims and answers with nothing to leave
    out are given right away.
    """

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        started = time.perf_counter()
        item = _item(context)
        answer = reference_answer(item.instance, item.mode)
        field_name, withheld = _withheld(answer, f"{item.instance.id}#{item.sample}")
        if field_name is not None:
            restored = _restored(withheld, _feedback_turns(messages, item))
            answer = _without(answer, field_name, [k for k in withheld if k not in restored])
        return Completion(
            text=answer_text(answer), latency_s=time.perf_counter() - started, model=self.spec, finish_reason="stop"
        )


class ToolUserModel(_Offline):
    """`oracle/tooluser`: a model that uses the tools it is offered (the tools strategy) before answering.

    It starts from the same answer as `oracle/repairer` (the reference with one or two entries left out) and,
    when `check_schedule` is offered, checks it; each check result that names a left-out item by its id gets
    that one item put back, and the answer is checked again, until a check finds no violation, the tools refuse
    (call limit) or a check changes nothing, when it gives the answer. With `run_python` offered it first runs a
    small program reading the instance from stdin. Without tools it answers at once (like repairer's first
    answer).
    """

    async def complete(
        self, messages: list[Message], *, context: Any = None, tools: Any = None, **params: Any
    ) -> Completion:
        started = time.perf_counter()
        item = _item(context)
        offered = {getattr(t, "name", "") for t in tools or []}
        answer = reference_answer(item.instance, item.mode)
        field_name, withheld = _withheld(answer, f"{item.instance.id}#{item.sample}")
        results = [m for m in messages if m.get("role") == "tool"]
        if field_name is not None:
            checks = [m["content"] for m in results if m.get("name") == "check_schedule"]
            answer = _without(answer, field_name, [k for k in withheld if k not in _restored(withheld, checks)])
        text = answer_text(answer)
        call = self.next_call(offered, messages, results, text)
        done = time.perf_counter() - started
        if call is None:
            return Completion(text=text, latency_s=done, model=self.spec, finish_reason="stop")
        call["id"] = f"{call['name']}_{len(results) + 1}"
        return Completion(text="", latency_s=done, model=self.spec, finish_reason="tool_calls", tool_calls=[call])

    @staticmethod
    def next_call(offered: set[str], messages: list[Message], results: list[Message], text: str) -> dict | None:
        """The tool call to make next, or None to answer now."""
        if any("Not run" in m["content"] for m in results):
            return None
        if "run_python" in offered and not any(m.get("name") == "run_python" for m in results):
            return {"name": "run_python", "arguments": {"code": PROBE_PROGRAM}}
        if "check_schedule" not in offered:
            return None
        checked = [
            c["arguments"].get("answer")
            for m in messages
            for c in m.get("tool_calls") or []
            if c.get("name") == "check_schedule" and isinstance(c.get("arguments"), dict)
        ]
        last = next((m["content"] for m in reversed(results) if m.get("name") == "check_schedule"), None)
        if last is not None and (last.startswith("No violation") or checked[-1:] == [text]):
            return None
        return {"name": "check_schedule", "arguments": {"answer": text}}


#: What `oracle/tooluser` runs with `run_python`: it reads the instance from stdin and lists its data fields.
PROBE_PROGRAM = "import json, sys\n\ninstance = json.load(sys.stdin)\nprint(sorted(instance['data']))\n"


def _withheld(answer: dict[str, Any], seed: str) -> tuple[str | None, list[str]]:
    """The answer field entries are left out of (the first dict or list of ids) and which, 1 or 2 of them."""
    for name, value in answer.items():
        keys = list(value) if isinstance(value, dict | list) else []
        if keys and all(isinstance(k, str) for k in keys):
            digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
            count = min(len(keys), 1 + digest % 2)
            start = digest % len(keys)
            return name, [keys[(start + i) % len(keys)] for i in range(count)]
    return None, []


def _feedback_turns(messages: list[Message], item: ItemContext) -> list[str]:
    """The user turns after the item's question (the question found by its rendered text)."""
    from schedbench.prompts import render_question

    questions = {render_question(item.instance, item.mode, cot=cot) for cot in (False, True)}
    asked = [i for i, m in enumerate(messages) if m.get("role") == "user" and m.get("content") in questions]
    start = asked[-1] + 1 if asked else len(messages)
    return [m["content"] for m in messages[start:] if m.get("role") == "user"]


def _restored(withheld: list[str], turns: list[str]) -> set[str]:
    """The left-out ids put back: per feedback turn, the first one (in order) that the turn names."""
    restored: set[str] = set()
    for text in turns:
        for key in withheld:
            if key not in restored and re.search(rf"(?<![\w.]){re.escape(key)}(?!\w|\.\w)", text):
                restored.add(key)
                break
    return restored


def _without(answer: dict[str, Any], field_name: str, keys: list[str]) -> dict[str, Any]:
    value = answer[field_name]
    if isinstance(value, dict):
        kept: Any = {k: v for k, v in value.items() if k not in keys}
    else:
        kept = [k for k in value if k not in keys]
    return {**answer, field_name: kept}
