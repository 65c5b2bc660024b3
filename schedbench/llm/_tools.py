"""Tool use: the loop that lets a model call tools before it answers, and the two wire formats of tool calls.

The loop (`tool_loop`) is provider-neutral: it sends the conversation with the tools offered, runs the calls the
reply asks for, appends the results and asks again, until a reply asks for no tool. Conversations are kept in
one neutral shape (see `Message`); `openai_messages`/`anthropic_messages` write them as each API wants them:

- OpenAI chat completions: an assistant message with `tool_calls` (`type: function`, arguments as a JSON
  string), then one `role: tool` message per call with the matching `tool_call_id`.
- Anthropic messages: an assistant message whose content holds `tool_use` blocks, then one user message
  whose content holds a `tool_result` block (`tool_use_id`) per call, in the same order.

Each request goes through the caller's `ask`, so the caller decides caching and budget per turn.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from schedbench.llm._types import Completion, Message, ToolCall, ToolSpec

#: The result of a call made after the budget of tool calls is spent (the call does not run).
LIMIT_REACHED = "Not run: the limit of {limit} tool calls is reached. Give your final answer now."
#: Appended to the result of the last call the budget allows.
LAST_CALL = "\n\n(That was your last tool call: give your final answer now.)"

Ask = Callable[[list[Message]], Awaitable[Completion | None]]
Execute = Callable[[str, Any], Awaitable[str]]


@dataclass
class ToolLoop:
    """What a tool conversation did: every reply (the last one holds the final answer; none when the first
    request could not be made), every call with its result, and whether it stopped before a final reply."""

    turns: list[Completion] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    stopped: bool = False  # `ask` gave up (a fault or the budget) before a reply without tool calls

    @property
    def final(self) -> Completion | None:
        return self.turns[-1] if self.turns else None

    def answer(self, call: ToolCall, result: str, ran: bool) -> None:
        """Record one call with its result and add the result to the conversation."""
        self.calls.append({"turn": len(self.turns), **call, "result": result, "ran": ran})
        self.messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["name"], "content": result})


async def tool_loop(ask: Ask, execute: Execute, messages: list[Message], max_calls: int) -> ToolLoop:
    """Converse until a reply asks for no tool. At most `max_calls` calls run; calls beyond them get
    LIMIT_REACHED as their result, once: a reply that still asks for tools after that ends the loop (its text,
    if any, is the final answer)."""
    loop = ToolLoop(messages=list(messages))
    ran, refused = 0, False
    while True:
        completion = await ask(loop.messages)
        if completion is None:
            loop.stopped = True
            return loop
        loop.turns.append(completion)
        if not completion.tool_calls or refused:
            return loop
        loop.messages.append(assistant_message(completion))
        for call in completion.tool_calls:
            if ran < max_calls:
                ran += 1
                result = await execute(call["name"], call.get("arguments"))
                loop.answer(call, result + (LAST_CALL if ran == max_calls else ""), ran=True)
            else:
                refused = True
                loop.answer(call, LIMIT_REACHED.format(limit=max_calls), ran=False)


def assistant_message(completion: Completion) -> Message:
    """The neutral assistant message of a reply that asks for tools (with Anthropic's thinking blocks, which
    must go back unchanged)."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.text, "tool_calls": completion.tool_calls}
    if completion.extra.get("thinking_blocks"):
        message["thinking_blocks"] = completion.extra["thinking_blocks"]
    return message


def uses_tools(messages: list[Message]) -> bool:
    """Whether a conversation holds tool calls or results (plain conversations go to the APIs unchanged)."""
    return any(m.get("role") == "tool" or m.get("tool_calls") for m in messages)


def openai_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Tools as chat completions' `tools` parameter."""
    return [
        {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
        for t in tools
    ]


def anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Tools as the messages API's `tools` parameter."""
    return [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]


def openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """A neutral conversation in the chat completions format."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "tool":
            out.append({"role": "tool", "tool_call_id": message["tool_call_id"], "content": message["content"]})
        elif message.get("tool_calls"):
            calls = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": _arguments(c)}}
                for c in message["tool_calls"]
            ]
            out.append({"role": "assistant", "content": message.get("content") or None, "tool_calls": calls})
        else:
            out.append({"role": message["role"], "content": message["content"]})
    return out


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """A neutral conversation (without system messages) in the messages API format: consecutive tool results
    become one user message of `tool_result` blocks."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            block = {"type": "tool_result", "tool_use_id": message["tool_call_id"], "content": message["content"]}
            if out and out[-1]["role"] == "user" and _is_results(out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message.get("tool_calls"):
            blocks: list[dict[str, Any]] = list(message.get("thinking_blocks") or [])
            if message.get("content"):
                blocks.append({"type": "text", "text": message["content"]})
            for call in message["tool_calls"]:
                arguments = call.get("arguments")
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": call["name"],
                        "input": arguments if isinstance(arguments, dict) else {"input": arguments},
                    }
                )
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": role, "content": message["content"]})
    return out


def openai_tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    """The tool calls of a chat completions reply, neutral (arguments parsed when they are a JSON object)."""
    calls = []
    for number, call in enumerate(message.get("tool_calls") or [], start=1):
        function = call.get("function") or {}
        calls.append(
            {
                "id": str(call.get("id") or f"call_{number}"),
                "name": str(function.get("name") or ""),
                "arguments": _parsed(function.get("arguments")),
            }
        )
    return calls


def anthropic_tool_calls(blocks: list[dict[str, Any]]) -> list[ToolCall]:
    """The `tool_use` blocks of a messages reply, neutral."""
    return [
        {"id": str(b.get("id") or ""), "name": str(b.get("name") or ""), "arguments": b.get("input")}
        for b in blocks
        if b.get("type") == "tool_use"
    ]


def _is_results(content: Any) -> bool:
    return isinstance(content, list) and all(b.get("type") == "tool_result" for b in content)


def _arguments(call: ToolCall) -> str:
    arguments = call.get("arguments")
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def _parsed(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments
