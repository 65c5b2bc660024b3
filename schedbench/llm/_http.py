"""Adapters for HTTP providers through their official async SDKs (OpenAI chat completions, Anthropic messages).

One SDK client per model, created inside the running event loop, with a connection pool sized to the
concurrency. Retries are the SDK's own (exponential backoff with jitter, Retry-After honoured, bounded by
`max_retries`, per-request timeout); an httpx response hook reports every 429 so the runner can adapt its
concurrency. Requests go through the SDK client's `post` (auth, headers, retries, timeouts) with the JSON body
as the API documents it, and responses are read as JSON: the SDK's per-request parameter transformation and
pydantic response models would otherwise cost more CPU than everything else the harness does per item.
Parameters therefore pass through unchanged: whatever `--model-arg` says is what the API receives.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from typing import Any

import httpx2

from schedbench.llm._errors import probe_retries
from schedbench.llm._tools import (
    anthropic_messages,
    anthropic_tool_calls,
    anthropic_tools,
    openai_messages,
    openai_tool_calls,
    openai_tools,
    uses_tools,
)
from schedbench.llm._types import Completion, Message, ModelOptions, ToolSpec


class _SdkChat:
    """What the OpenAI and Anthropic adapters share: lazy client, 429 hook, argument split, accounting."""

    cacheable = True
    sdk_module = ""  # the official SDK's package
    client_class = ""  # its async client

    def __init__(self, spec: str, model: str, options: ModelOptions, api_key: str | None, base_url: str | None) -> None:
        self.spec = spec
        self.model = model
        self.options = options
        self.base_url = base_url
        self._api_key = api_key
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}({self.spec!r}, base_url={self.base_url!r})"

    def _http_client(self) -> Any:
        """The SDK's aiohttp-backed client (`openai[aiohttp]`, `anthropic[aiohttp]`), one pool of `concurrency`
        connections: about a quarter less CPU per request than the default httpcore transport (a bare SDK loop
        of 2,000 requests: 4.2–4.3 s → 3.2–3.5 s of CPU, start-up included)."""
        size = max(1, self.options.concurrency)
        return self._sdk().DefaultAioHttpClient(
            limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size),
            timeout=self.options.timeout_s,
            event_hooks={"response": [self._observe]},
        )

    async def _observe(self, response: Any) -> None:
        if response.status_code == 429 and self.options.on_rate_limit is not None:
            self.options.on_rate_limit(_retry_after(response.headers))

    def client(self) -> Any:
        """The SDK client of the running event loop (a new loop gets a new client)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self._make_client()
            self._loop = loop
        return self._client

    def body(self, messages: list[Message], params: dict[str, Any]) -> dict[str, Any]:
        """The request body: model, messages, `--model-arg`s, then per-call parameters."""
        merged = {**self.options.model_args, **{k: v for k, v in params.items() if v is not None}}
        return {"model": self.model, "messages": messages, **merged}

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST through the SDK client (auth, retries, timeout); the decoded JSON response."""
        retries = probe_retries()
        options = {"max_retries": min(retries, self.options.max_retries)} if retries is not None else {}
        response = await self.client().post(path, cast_to=httpx2.Response, body=body, options=options)
        return response.json()

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        prices = self.options.prices
        return prices.cost(self.spec, input_tokens, output_tokens) if prices is not None else 0.0

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def warm_up(self) -> None:
        """Import the SDK now (about half a second), e.g. while other work runs elsewhere."""
        self._sdk()

    def _sdk(self) -> Any:
        return importlib.import_module(self.sdk_module)

    def _make_client(self) -> Any:
        client_class = getattr(self._sdk(), self.client_class)
        return client_class(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=self.options.max_retries,
            timeout=self.options.timeout_s,
            http_client=self._http_client(),
        )


class OpenAIChat(_SdkChat):
    """OpenAI chat completions (also vLLM, Ollama and any OpenAI-compatible server)."""

    sdk_module, client_class = "openai", "AsyncOpenAI"

    async def complete(
        self, messages: list[Message], *, context: Any = None, tools: list[ToolSpec] | None = None, **params: Any
    ) -> Completion:
        """One reply; with `tools`, the tools are offered and the reply's `tool_calls` read (the conversation may
        hold earlier calls and their results, see `schedbench.llm._tools`)."""
        started = time.perf_counter()
        request = self.body(openai_messages(messages) if uses_tools(messages) else messages, params)
        if tools:
            request["tools"] = openai_tools(tools)
        body = await self.post("/chat/completions", request)
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        details = usage.get("completion_tokens_details") or {}
        extra = {"reasoning_tokens": details["reasoning_tokens"]} if details.get("reasoning_tokens") else {}
        if message.get("reasoning_content"):
            extra["reasoning"] = message["reasoning_content"]
        return Completion(
            text=message.get("content") or "",
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=self.cost(tokens_in, tokens_out),
            latency_s=time.perf_counter() - started,
            model=body.get("model") or self.model,
            finish_reason=choice.get("finish_reason"),
            extra=extra,
            tool_calls=openai_tool_calls(message),
        )


class AnthropicChat(_SdkChat):
    """Anthropic messages; `max_tokens` defaults to 8192, extended thinking via `--model-arg thinking.…`."""

    sdk_module, client_class = "anthropic", "AsyncAnthropic"
    default_max_tokens = 8192

    async def complete(
        self, messages: list[Message], *, context: Any = None, tools: list[ToolSpec] | None = None, **params: Any
    ) -> Completion:
        """One reply; with `tools`, the tools are offered and the reply's `tool_use` blocks read."""
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [m for m in messages if m["role"] != "system"]
        request = self.body(anthropic_messages(turns) if uses_tools(turns) else turns, params)
        request.setdefault("max_tokens", self.default_max_tokens)
        if system:
            request["system"] = system
        if tools:
            request["tools"] = anthropic_tools(tools)
        started = time.perf_counter()
        body = await self.post("/v1/messages", request)
        blocks = body.get("content") or []
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        thinking = "".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking")
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        calls = anthropic_tool_calls(blocks)
        extra: dict[str, Any] = {"reasoning": thinking} if thinking else {}
        if calls and any(b.get("type") in ("thinking", "redacted_thinking") for b in blocks):
            extra["thinking_blocks"] = [b for b in blocks if b.get("type") in ("thinking", "redacted_thinking")]
        return Completion(
            text=text,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=self.cost(tokens_in, tokens_out),
            latency_s=time.perf_counter() - started,
            model=body.get("model") or self.model,
            finish_reason=body.get("stop_reason"),
            extra=extra,
            tool_calls=calls,
        )


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) * scale
            except ValueError:
                return None
    return None
