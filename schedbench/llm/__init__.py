"""Model adapters behind one call: `get_model(spec)` → a ChatModel.

A spec is `provider/name`: `openai/gpt-4o`, `anthropic/claude-sonnet-4-5`, `openai-compatible/x` (with a base
URL), `vllm/x`, `ollama/x`, `baseline/<rule>`, `oracle/exact`, `replay/<file>`. Providers are registered by
prefix; the longest registered prefix of a spec wins, so an exact spec such as `baseline/mutator` can be
registered beside the `baseline` prefix without colliding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schedbench.llm._errors import ERROR_KINDS, classify, describe, is_fatal, kind_of, probing
from schedbench.llm._types import ChatModel, Completion, ItemContext, Message

__all__ = [
    "ERROR_KINDS",
    "ChatModel",
    "Completion",
    "ItemContext",
    "Message",
    "ModelOptions",
    "ModelSpecError",
    "Provider",
    "classify",
    "describe",
    "get_model",
    "is_fatal",
    "kind_of",
    "parse_model_args",
    "probing",
    "providers",
    "register_provider",
]


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


ModelFactory = Callable[[str, str, ModelOptions], ChatModel]
"""factory(spec, name, options): `name` is what follows the matched prefix ('' for an exact spec)."""


@dataclass(frozen=True)
class Provider:
    prefix: str
    factory: ModelFactory
    description: str = ""
    offline: bool = False


_PROVIDERS: dict[str, Provider] = {}


def register_provider(prefix: str, factory: ModelFactory, description: str = "", offline: bool = False) -> None:
    """Register a provider for specs `prefix/<name>` (or exactly `prefix`); a later registration replaces it."""
    _PROVIDERS[prefix.rstrip("/")] = Provider(prefix.rstrip("/"), factory, description, offline)


def providers() -> list[Provider]:
    """Every registered provider, in registration order."""
    return list(_PROVIDERS.values())


def resolve(spec: str) -> tuple[Provider, str]:
    """The provider of a spec (longest matching prefix) and the rest of the spec after it."""
    parts = spec.split("/")
    for cut in range(len(parts), 0, -1):
        provider = _PROVIDERS.get("/".join(parts[:cut]))
        if provider is not None:
            name = "/".join(parts[cut:])
            if name or cut == len(parts):
                return provider, name
    known = ", ".join(f"{p.prefix}/…" for p in _PROVIDERS.values())
    raise ModelSpecError(f"unknown model spec {spec!r}; known providers: {known}")


def get_model(
    spec: str, *, base_url: str | None = None, model_args: dict[str, Any] | None = None, **options: Any
) -> ChatModel:
    """A ChatModel for `spec`; further keyword options are fields of ModelOptions (concurrency, timeout_s, …)."""
    provider, name = resolve(spec)
    opts = ModelOptions(base_url=base_url, model_args=dict(model_args or {}), **options)
    return provider.factory(spec, name, opts)


def parse_model_args(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs → nested dict: values read as JSON when they parse (numbers, booleans, objects), else
    strings; dotted keys nest (`thinking.budget_tokens=2000`)."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"model argument {pair!r} is not k=v")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *parents, leaf = key.strip().split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"model argument {pair!r} nests under a non-object")
        node[leaf] = value
    return out


def _builtin() -> None:
    from schedbench.llm import _factories as f

    register_provider("openai", f.openai_model, "OpenAI chat completions (OPENAI_API_KEY, OPENAI_BASE_URL)")
    register_provider("openai-compatible", f.compatible_model, "any OpenAI-compatible server (--base-url)")
    register_provider("vllm", f.vllm_model, f"vLLM server (default {f.VLLM_URL})")
    register_provider("ollama", f.ollama_model, f"Ollama server (default {f.OLLAMA_URL})")
    register_provider("anthropic", f.anthropic_model, "Anthropic messages (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL)")
    register_provider("baseline", f.baseline_model, "a family's baseline rule, answering as an LLM must", True)
    register_provider("oracle/exact", f.oracle_model, "answers with the exact reference witness", True)
    register_provider("replay", f.replay_model, "recorded responses from a JSONL file (replay/<file>)", True)


_builtin()
