"""The contract between the harness and every model adapter (LLM providers and offline models alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, str]
"""A chat message: {"role": "system" | "user" | "assistant", "content": "..."}."""


@dataclass
class Completion:
    """One model response with its accounting."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    model: str = ""
    finish_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ChatModel(Protocol):
    """Anything that answers chat messages. Offline models (baselines, oracle, replay, mutators) may read the
    instance being asked about from `context` (None for LLMs, which see only the messages)."""

    spec: str

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        """Answer the messages; raise on API faults after the adapter's own bounded retries."""
        ...


@dataclass(frozen=True)
class ItemContext:
    """What the harness tells offline models about the item being asked: the instance, the question mode and
    the sample number. LLM adapters ignore it; baselines, the oracle and replay answer from it."""

    instance: Any
    mode: str = "plan"
    sample: int = 0
