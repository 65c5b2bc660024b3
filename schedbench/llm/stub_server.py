"""A scriptable local LLM server over real HTTP on 127.0.0.1, speaking the OpenAI chat-completions
(`POST /v1/chat/completions`) and Anthropic messages (`POST /v1/messages`) wire formats.

Tests, benchmarks and the evolution engine drive the official SDKs against it. A *script* decides each
reply from the request: the answer text, tool calls, or a fault — HTTP 429 with Retry-After, 500, a hang (the
client times out), a truncated body. `GET /_stats` returns request counts (in total, per status, per prompt).

Tool use is spoken in both formats (OpenAI `tool_calls` / `role: tool`; Anthropic `tool_use` / `tool_result`
blocks) and checked as the real APIs check it: a tool result that answers no call of the assistant message
just before it, or a call left without its result, is refused with HTTP 400. Scripts see every conversation
in one neutral shape (tool calls on assistant messages, `role: tool` messages with `tool_call_id`).

    with StubServer(lambda request: "```json\\n{...}\\n```", latency_s=0.1) as server:
        client = openai.AsyncOpenAI(base_url=server.openai_url, api_key="x")

From a shell (the script is a `module:function` import path, or replies come from an answers file):

    python -m schedbench.llm.stub_server --latency 0.1 --script mymodule:answer --port-file port.txt
    python -m schedbench.llm.stub_server --latency 0.1 --answers answers.json --port-file port.txt
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Api = Literal["openai", "anthropic"]


@dataclass
class StubRequest:
    """One parsed request: which API, the model, the messages (content as text) and how often this exact
    prompt has been seen so far (1 for the first time)."""

    api: Api
    model: str
    messages: list[dict[str, str]]
    body: dict[str, Any]
    headers: dict[str, str]
    prompt_key: str
    attempt: int

    @property
    def prompt(self) -> str:
        """The text of the last user message."""
        users = [m["content"] for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""

    @property
    def question(self) -> str:
        """The text of the first user message (the item's question in a conversation without few-shot turns)."""
        users = [m["content"] for m in self.messages if m.get("role") == "user"]
        return users[0] if users else ""

    @property
    def turn(self) -> int:
        """Which answer of a conversation is asked for: 1 + the assistant messages after the first user one."""
        first = next((i for i, m in enumerate(self.messages) if m.get("role") == "user"), len(self.messages))
        return 1 + sum(m.get("role") == "assistant" for m in self.messages[first:])


@dataclass
class StubReply:
    """What the server answers. `status` ≠ 200 sends an error body in the API's format (with `error_message`)."""

    text: str = ""
    status: int = 200
    retry_after: float | None = None
    delay_s: float | None = None
    hang: bool = False
    truncate: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str = "stop"
    error_message: str | None = None
    tool_calls: list[dict[str, Any]] | None = None  # each {"name": ..., "arguments": {...}} (an "id" is made)


Script = Callable[[StubRequest], "StubReply | str"]


def echo_script(request: StubRequest) -> StubReply:
    """The default script: answer with an empty JSON object."""
    return StubReply(text="```json\n{}\n```")


@dataclass
class StubStats:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_prompt: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "by_prompt": dict(self.by_prompt),
        }


class StubServer:
    """The server; `start()`/`stop()` inside a running loop, or `with StubServer(...)` on a background thread."""

    def __init__(
        self, script: Script | None = None, *, latency_s: float = 0.0, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.script = script or echo_script
        self.latency_s = latency_s
        self.host = host
        self.port = port
        self.stats = StubStats()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK."""
        return self.url + "/v1"

    @property
    def anthropic_url(self) -> str:
        """Base URL for the Anthropic SDK."""
        return self.url

    async def start(self) -> StubServer:
        self._closing = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            if self._closing is not None:
                self._closing.set()
            for writer in list(self._writers):
                writer.transport.abort()
            await asyncio.sleep(0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None

    def __enter__(self) -> StubServer:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="stub-llm-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is to be closed."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method == "GET" and path.startswith("/_stats"):
            await self._send(writer, 200, json.dumps(self.stats.as_dict()).encode())
            return True
        routes: dict[str, Api] = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
        api = routes.get(path.split("?")[0])
        if method != "POST" or api is None:
            await self._send(writer, 404, b'{"error": {"message": "not found"}}')
            return True
        return await self._answer(api, json.loads(body or b"{}"), headers, writer)

    async def _answer(
        self, api: Api, body: dict[str, Any], headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> bool:
        messages = _messages(api, body)
        key = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]
        self.stats.requests += 1
        self.stats.by_prompt[key] += 1
        shape = tool_shape_error(api, body)
        if shape is not None:
            self.stats.by_status[400] += 1
            await self._send(writer, 400, _error_body(api, 400, shape))
            return True
        request = StubRequest(api, str(body.get("model", "")), messages, body, headers, key, self.stats.by_prompt[key])
        reply = self.script(request)
        if isinstance(reply, str):
            reply = StubReply(text=reply)
        self.stats.by_status[reply.status] += 1
        delay = self.latency_s if reply.delay_s is None else reply.delay_s
        if reply.hang:  # until the client gives up and closes, or the server stops
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 3600)  # type: ignore[union-attr]  # set when the server starts
            return False
        if delay > 0:
            await asyncio.sleep(delay)
        if reply.status != 200:
            extra = {"retry-after": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
            await self._send(writer, reply.status, _error_body(api, reply.status, reply.error_message), extra)
            return True
        payload = json.dumps(_success_body(api, request, reply)).encode()
        if reply.truncate:
            await self._send(writer, 200, payload, truncate=True)
            return False
        await self._send(writer, 200, payload)
        return True

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        status: int,
        payload: bytes,
        extra: dict[str, str] | None = None,
        truncate: bool = False,
    ) -> None:
        reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "X")
        head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(payload)}"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        body = payload[: len(payload) // 2] if truncate else payload
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        if truncate:
            writer.close()


def _messages(api: Api, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's conversation, content as text; tool calls and results in one neutral shape for both APIs
    (plain conversations come out exactly as before tools existed, so their prompt keys do not change)."""
    out: list[dict[str, Any]] = []
    if api == "anthropic" and body.get("system"):
        system = body["system"]
        out.append({"role": "system", "content": system if isinstance(system, str) else _text(system)})
    for message in body.get("messages") or []:
        role, content = str(message.get("role")), message.get("content")
        if api == "openai" and role == "tool":
            out.append({"role": "tool", "tool_call_id": message.get("tool_call_id"), "content": _text(content)})
        elif api == "openai" and message.get("tool_calls"):
            out.append({"role": role, "content": _text(content), "tool_calls": _openai_calls(message)})
        elif api == "anthropic" and isinstance(content, list) and _blocks(content, "tool_result"):
            results = _blocks(content, "tool_result")
            out += [
                {"role": "tool", "tool_call_id": b.get("tool_use_id"), "content": _text(b.get("content"))}
                for b in results
            ]
        elif api == "anthropic" and isinstance(content, list) and _blocks(content, "tool_use"):
            calls = [
                {"id": b.get("id"), "name": b.get("name"), "arguments": b.get("input")}
                for b in _blocks(content, "tool_use")
            ]
            out.append({"role": role, "content": _text(content), "tool_calls": calls})
        else:
            out.append({"role": role, "content": _text(content)})
    return out


def _blocks(content: list[Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind]


def _openai_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            with contextlib.suppress(ValueError):
                arguments = json.loads(arguments)
        calls.append({"id": call.get("id"), "name": function.get("name"), "arguments": arguments})
    return calls


def tool_shape_error(api: Api, body: dict[str, Any]) -> str | None:
    """Why a conversation's tool calls and results are malformed, as the real API would refuse it (None: fine).

    OpenAI: every `role: tool` message answers, by `tool_call_id`, a call of the assistant message before the
    run of tool messages it belongs to, and every call is answered before the next other message. Anthropic:
    an assistant message with `tool_use` blocks is followed by a user message holding a `tool_result` block for
    each of them (results first), `tool_result` blocks answer only the message just before, and `tools` is given.
    """
    messages = body.get("messages") or []
    return _openai_shape(messages) if api == "openai" else _anthropic_shape(messages, bool(body.get("tools")))


def _openai_shape(messages: list[dict[str, Any]]) -> str | None:
    open_calls: set[str] = set()
    for position, message in enumerate(messages):
        if message.get("role") == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                return f"messages[{position}]: tool_call_id {call_id!r} answers no call of the assistant message before"
            open_calls.discard(call_id)
            continue
        if open_calls:
            return f"messages[{position}]: tool calls {sorted(open_calls)} have no tool message"
        if message.get("role") == "assistant" and message.get("tool_calls"):
            for call in message["tool_calls"]:
                if not isinstance((call.get("function") or {}).get("arguments"), str):
                    return f"messages[{position}]: function arguments must be a string"
            open_calls = {call.get("id") for call in message["tool_calls"]}
    return f"tool calls {sorted(open_calls)} have no tool message" if open_calls else None


def _anthropic_shape(messages: list[dict[str, Any]], has_tools: bool) -> str | None:
    pending: list[Any] = []
    for position, message in enumerate(messages):
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        results = [b.get("tool_use_id") for b in _blocks(blocks, "tool_result")]
        uses = [b.get("id") for b in _blocks(blocks, "tool_use")]
        if (results or uses) and not has_tools:
            return "requests holding tool_use or tool_result blocks must define tools"
        if pending:
            leading = [b.get("tool_use_id") for b in blocks[: len(pending)] if b.get("type") == "tool_result"]
            if message.get("role") != "user" or sorted(leading) != sorted(pending):
                return (
                    f"messages.{position}: tool_use ids {pending} were found without tool_result blocks "
                    "immediately after"
                )
        elif results:
            return f"messages.{position}: unexpected tool_use_id {results[0]!r} in tool_result blocks"
        pending = uses if message.get("role") == "assistant" else []
    return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _success_body(api: Api, request: StubRequest, reply: StubReply) -> dict[str, Any]:
    tokens_in = (
        reply.input_tokens if reply.input_tokens is not None else sum(len(m["content"]) for m in request.messages) // 4
    )
    tokens_out = reply.output_tokens if reply.output_tokens is not None else len(reply.text) // 4 + 1
    if reply.tool_calls:
        return _tool_call_body(api, request, reply, tokens_in, tokens_out)
    if api == "openai":
        return {
            "id": f"chatcmpl-stub-{request.prompt_key}",
            "object": "chat.completion",
            "created": 0,
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    stop = {"stop": "end_turn", "length": "max_tokens"}.get(reply.finish_reason, reply.finish_reason)
    return {
        "id": f"msg_stub_{request.prompt_key}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def _tool_call_body(
    api: Api, request: StubRequest, reply: StubReply, tokens_in: int, tokens_out: int
) -> dict[str, Any]:
    """A reply asking for tools, in the API's format (ids unique per request)."""
    calls = [
        {**call, "id": call.get("id") or f"{'call' if api == 'openai' else 'toolu'}_{request.prompt_key}_{n}"}
        for n, call in enumerate(reply.tool_calls or [], start=1)
    ]
    if api == "openai":
        message = {
            "role": "assistant",
            "content": reply.text or None,
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments") or {})},
                }
                for c in calls
            ],
        }
        return {
            "id": f"chatcmpl-stub-{request.prompt_key}",
            "object": "chat.completion",
            "created": 0,
            "model": request.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    blocks += [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c.get("arguments") or {}} for c in calls]
    return {
        "id": f"msg_stub_{request.prompt_key}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": blocks,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def _error_body(api: Api, status: int, message: str | None = None) -> bytes:
    kind = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}.get(status, "invalid_request_error")
    message = message or f"stub server error {status}"
    if api == "anthropic":
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    return json.dumps({"error": {"message": message, "type": kind, "code": None}}).encode()


def prompt_digest(prompt: str) -> str:
    """The key of a prompt in an answers file: sha256 of the last user message."""
    return hashlib.sha256(prompt.encode()).hexdigest()


def answers_script(path: str | Path) -> Script:
    """A script answering from a JSON file {prompt_digest(prompt): reply text} (an empty object otherwise)."""
    answers: dict[str, str] = json.loads(Path(path).read_text(encoding="utf-8"))

    def script(request: StubRequest) -> StubReply:
        return StubReply(text=answers.get(prompt_digest(request.prompt), "```json\n{}\n```"))

    return script


def conversation_script(replies: dict[str, list[str]], default: str = "```json\n{}\n```") -> Script:
    """A multi-turn script: the conversation whose question has digest d (`prompt_digest`) gets
    `replies[d][turn - 1]` as its turn-th answer (the last one again once the list runs out)."""

    def script(request: StubRequest) -> StubReply:
        turns = replies.get(prompt_digest(request.question))
        if not turns:
            return StubReply(text=default)
        return StubReply(text=turns[min(request.turn, len(turns)) - 1])

    return script


def tool_script(plans: dict[str, list[Any]], default: str = "```json\n{}\n```") -> Script:
    """A tool-calling script: the conversation whose question has digest d (`prompt_digest`) gets `plans[d][k]`
    as its (k+1)-th reply, k = the assistant messages so far; a step is either the final text or a list of tool
    calls ({"name": ..., "arguments": {...}}, or a function of the request giving that list). The last step
    repeats once the plan runs out."""

    def script(request: StubRequest) -> StubReply:
        plan = plans.get(prompt_digest(request.question))
        if not plan:
            return StubReply(text=default)
        step = plan[min(request.turn, len(plan)) - 1]
        if isinstance(step, str):
            return StubReply(text=step)
        calls = step(request) if callable(step) else step
        return StubReply(tool_calls=list(calls))

    return script


def load_script(path: str) -> Script:
    """A script from a `module:function` import path."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


async def _serve(args: argparse.Namespace) -> None:
    script = load_script(args.script) if args.script else answers_script(args.answers) if args.answers else None
    server = await StubServer(script, latency_s=args.latency, port=args.port).start()
    if args.port_file:
        Path(args.port_file).write_text(str(server.port))
    print(f"listening on {server.url}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Scriptable local OpenAI/Anthropic-format LLM server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--script", default=None, help="module:function deciding each reply")
    parser.add_argument("--answers", default=None, help="JSON file {sha256 of the prompt: reply text}")
    parser.add_argument("--port-file", default=None, help="write the chosen port here")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
