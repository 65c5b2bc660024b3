"""The contract between the harness and every model adapter (LLM providers and offline models alike)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, Any]
"""A chat message: {"role": "system" | "user" | "assistant", "content": "..."}.

With tools, two more shapes (the same for every provider; each adapter writes its own wire format):
{"role": "assistant", "content": "...", "tool_calls": [ToolCall, ...]} and
{"role": "tool", "tool_call_id": "...", "name": "...", "content": "the tool's result"}.
"""

ToolCall = dict[str, Any]
"""One tool call of a reply: {"id": "...", "name": "...", "arguments": {...}} (arguments a string when the model
sent something that is not a JSON object)."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: its name, what it does (for the model), and its arguments' JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]


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
    tool_calls: list[ToolCall] = field(default_factory=list)  # the tools the model asks for (none: a final reply)


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
    strategy: str = "direct"  # formalize: offline models that can answer with a program do so


class ModelSpecError(ValueError):
    """A model spec names no registered provider, or the provider cannot be set up (e.g. a missing key)."""


@dataclass
class ModelOptions:
    """How an adapter is set up (everything but the model name).

    `on_rate_limit(retry_after_s)` is called on every HTTP 429 the adapter sees, retries included, so the
    runner can adapt its concurrency while the SDK's own retry machinery does the backoff.
    """

    base_url: str | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 16
    timeout_s: float = 120.0
    max_retries: int = 6
    prices: Any = None
    on_rate_limit: Callable[[float | None], None] | None = None
    executor: str = "local"  # where offline rules compute their answers: inline, or "ray"
    ray_address: str | None = None
