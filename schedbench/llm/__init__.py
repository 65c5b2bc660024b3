"""Model adapters behind one call: `get_model(spec)` → a ChatModel.

A spec is `provider/name`: `openai/gpt-4o`, `anthropic/claude-sonnet-4-5`, `openai-compatible/x` (with a base
URL), `vllm/x`, `ollama/x`, `baseline/<rule>`, `oracle/exact`, `replay/<file>`. Providers are registered by
prefix; the longest registered prefix of a spec wins, so an exact spec such as `baseline/mutator` can be
registered beside the `baseline` prefix without colliding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schedbench.llm._errors import ERROR_KINDS, classify, describe, is_fatal, kind_of, probing
from schedbench.llm._tools import ToolLoop, tool_loop
from schedbench.llm._types import (
    ChatModel,
    Completion,
    ItemContext,
    Message,
    ModelOptions,
    ModelSpecError,
    ToolCall,
    ToolSpec,
)

__all__ = [
    "ERROR_KINDS",
    "ChatModel",
    "Completion",
    "ItemContext",
    "Message",
    "ModelOptions",
    "ModelSpecError",
    "Provider",
    "ToolCall",
    "ToolLoop",
    "ToolSpec",
    "classify",
    "close_model",
    "describe",
    "get_model",
    "is_fatal",
    "kind_of",
    "open_model",
    "parse_model_args",
    "probing",
    "providers",
    "register_provider",
    "require_price",
    "tool_loop",
]


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


def require_price(spec: str, prices: Any) -> None:
    """Under a `max_cost` cap: OptionError (`max_cost`) when a paid provider's spec has no price in `prices`,
    (`model`) when no provider takes the spec."""
    from schedbench.errors import OptionError

    try:
        provider, _ = resolve(spec)
    except ModelSpecError as exc:
        raise OptionError("model", str(exc)) from None
    if not provider.offline and (prices is None or prices.lookup(spec) is None):
        raise OptionError(
            "max_cost", f"no price known for {spec}, so the cap cannot be enforced; add it to a prices file"
        )


def open_model(spec: str, *, max_cost: float | None = None, **options: Any) -> ChatModel:
    """`get_model` for the runners: a spec no provider takes (or cannot set up) is a bad `model` option
    (OptionError); with a `max_cost` cap, `require_price` first."""
    from schedbench.errors import OptionError

    if max_cost is not None:
        require_price(spec, options.get("prices"))
    try:
        return get_model(spec, **options)
    except ModelSpecError as exc:
        raise OptionError("model", str(exc)) from None


async def close_model(model: Any) -> None:
    """Close a model's connection pools, in the event loop that opened them (models without any: nothing)."""
    closer = getattr(model, "aclose", None)
    if closer is not None:
        await closer()


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
    register_provider(
        "oracle/formalizer", f.formalizer_model, "writes its family's exact CP-SAT program (--strategy formalize)", True
    )
    register_provider("oracle/repairer", f.repairer_model, "starts wrong, fixes only what repair feedback names", True)
    register_provider(
        "oracle/tooluser", f.tooluser_model, "starts wrong, calls check_schedule, fixes what its findings name", True
    )
    register_provider("replay", f.replay_model, "recorded responses from a JSONL file (replay/<file>)", True)


_builtin()
