"""Adapters for HTTP providers through their official async SDKs (OpenAI chat completions, Anthropic messages).

One SDK client per model, created inside the running event loop, with a connection pool sized to the
concurrency. Retries are the SDK's own (exponential backoff with jitter, Retry-After honoured, bounded by
`max_retries`, per-request timeout); an httpx response hook reports every 429 so the runner can adapt its
concurrency. Responses are read as JSON without building the SDK's pydantic models (per-request overhead).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

from schedbench.llm import ModelOptions
from schedbench.llm._types import Completion, Message


class _SdkChat:
    """What the OpenAI and Anthropic adapters share: lazy client, 429 hook, argument split, accounting."""

    cacheable = True

    def __init__(self, spec: str, model: str, options: ModelOptions, api_key: str | None,
                 base_url: str | None) -> None:
        self.spec = spec
        self.model = model
        self.options = options
        self.base_url = base_url
        self._api_key = api_key
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._known_args: set[str] = set()

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}({self.spec!r}, base_url={self.base_url!r})"

    def _http_client(self) -> Any:
        import httpx2

        size = max(1, self.options.concurrency)
        limits = httpx2.Limits(max_connections=size, max_keepalive_connections=size)
        return httpx2.AsyncClient(limits=limits, timeout=self.options.timeout_s,
                                  event_hooks={"response": [self._observe]})

    async def _observe(self, response: Any) -> None:
        if response.status_code == 429 and self.options.on_rate_limit is not None:
            self.options.on_rate_limit(_retry_after(response.headers))

    def client(self) -> Any:
        """The SDK client of the running event loop (a new loop gets a new client)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self._make_client()
            self._loop = loop
            self._known_args = set(inspect.signature(self._create_method(self._client)).parameters)
        return self._client

    def split_args(self, params: dict[str, Any]) -> dict[str, Any]:
        """SDK keyword arguments; parameters the SDK does not name travel in `extra_body`."""
        merged = {**self.options.model_args, **{k: v for k, v in params.items() if v is not None}}
        known = {k: v for k, v in merged.items() if k in self._known_args}
        extra = {k: v for k, v in merged.items() if k not in self._known_args}
        if extra:
            known["extra_body"] = {**known.get("extra_body", {}), **extra}
        return known

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        prices = self.options.prices
        return prices.cost(self.spec, input_tokens, output_tokens) if prices is not None else 0.0

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _make_client(self) -> Any:
        raise NotImplementedError

    def _create_method(self, client: Any) -> Any:
        raise NotImplementedError


class OpenAIChat(_SdkChat):
    """OpenAI chat completions (also vLLM, Ollama and any OpenAI-compatible server)."""

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=self.options.max_retries,
                                  timeout=self.options.timeout_s, http_client=self._http_client())

    def _create_method(self, client: Any) -> Any:
        return client.chat.completions.create

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        client = self.client()
        started = time.perf_counter()
        raw = await client.chat.completions.with_raw_response.create(model=self.model, messages=messages,
                                                                     **self.split_args(params))
        body = raw.http_response.json()
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        details = usage.get("completion_tokens_details") or {}
        extra = {"reasoning_tokens": details["reasoning_tokens"]} if details.get("reasoning_tokens") else {}
        if message.get("reasoning_content"):
            extra["reasoning"] = message["reasoning_content"]
        return Completion(text=message.get("content") or "", input_tokens=tokens_in, output_tokens=tokens_out,
                          cost_usd=self.cost(tokens_in, tokens_out), latency_s=time.perf_counter() - started,
                          model=body.get("model") or self.model, finish_reason=choice.get("finish_reason"),
                          extra=extra)


class AnthropicChat(_SdkChat):
    """Anthropic messages; `max_tokens` defaults to 8192, extended thinking via `--model-arg thinking.…`."""

    default_max_tokens = 8192

    def _make_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key=self._api_key, base_url=self.base_url,
                                        max_retries=self.options.max_retries, timeout=self.options.timeout_s,
                                        http_client=self._http_client())

    def _create_method(self, client: Any) -> Any:
        return client.messages.create

    async def complete(self, messages: list[Message], *, context: Any = None, **params: Any) -> Completion:
        client = self.client()
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        chat = [m for m in messages if m["role"] != "system"]
        args = self.split_args(params)
        args.setdefault("max_tokens", self.default_max_tokens)
        if system:
            args["system"] = system
        started = time.perf_counter()
        raw = await client.messages.with_raw_response.create(model=self.model, messages=chat, **args)
        body = raw.http_response.json()
        blocks = body.get("content") or []
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        thinking = "".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking")
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        return Completion(text=text, input_tokens=tokens_in, output_tokens=tokens_out,
                          cost_usd=self.cost(tokens_in, tokens_out), latency_s=time.perf_counter() - started,
                          model=body.get("model") or self.model, finish_reason=body.get("stop_reason"),
                          extra={"reasoning": thinking} if thinking else {})


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) * scale
            except ValueError:
                return None
    return None
