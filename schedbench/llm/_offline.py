"""Offline models: they answer with text in the exact format an LLM must produce, so the whole
parse → verify → store path runs without a key or a server.

They read the item from `context` (an ItemContext, or a bare Instance for plan-mode questions).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from schedbench.llm._types import Completion, ItemContext, Message
from schedbench.prompts._answers import answer_for_mode, answer_text, reference_answer

__all__ = ["BaselineModel", "OracleModel", "ReplayModel", "answer_text"]


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
        """Inline by default; with the Ray executor the rule runs as a Ray task (rules can be costly)."""
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
