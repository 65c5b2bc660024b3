"""What the runner offers the tools strategy for one item: the tools (specs and their execution) and one model
turn at a time through the response cache, under the budget.

Every turn of a tool conversation is cached as it arrives (its text and tool calls, as one JSON envelope
under the turn's own key: model, conversation so far, parameters, sample, strategy; committed with the replies
of the same event-loop turn, and always before the conversation asks again), so a run
killed in the middle of a tool loop asks nothing again that it had been answered: on rerun the stored turns
come from the cache, the tools run again (they are deterministic for the same arguments) and the conversation
goes on where it stopped.

`check_schedule` checks an answer exactly like a reply is checked and words the result like repair feedback
(plus the answer's own objective); `run_python` runs the code in the sandbox (own process, bubblewrap, rlimits,
no network, no key in its environment) with the instance on stdin, never in this process.
"""

from __future__ import annotations

import json
from typing import Any

from schedbench.evaluate import _work
from schedbench.evaluate._work import Prepared
from schedbench.llm import Completion, Message, ToolSpec
from schedbench.prompts import prompt_hash, tool_description, tools_note

#: The tools of `--tools`, by their name there, and the name the model calls them by.
TOOL_NAMES = {"check": "check_schedule", "python": "run_python"}
PYTHON_TIMEOUT_S = 30.0
PYTHON_MEMORY_MB = 2048
SHOWN_CHARS = 4000  # of stdout and of stderr, each, in run_python's result
PYTHON_MODULES = ("numpy", "ortools.sat.python.cp_model")

_SCHEMAS = {
    "check_schedule": {
        "type": "object",
        "properties": {"answer": {"type": "string", "description": "the whole answer, as JSON text"}},
        "required": ["answer"],
    },
    "run_python": {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "a Python 3 program"}},
        "required": ["code"],
    },
}


def tool_specs(names: list[str]) -> list[ToolSpec]:
    """The specs of the tools named (names as `--tools` gives them)."""
    values = {"timeout": f"{PYTHON_TIMEOUT_S:g}", "memory": PYTHON_MEMORY_MB, "shown": SHOWN_CHARS}
    return [ToolSpec(TOOL_NAMES[n], tool_description(TOOL_NAMES[n], **values), _SCHEMAS[TOOL_NAMES[n]]) for n in names]


def with_tools_note(messages: list[Message], names: list[str], max_calls: int) -> list[Message]:
    """The item's question with the tools note added to its last user message."""
    note = tools_note([TOOL_NAMES[n] for n in names], max_calls)
    last = max(i for i, m in enumerate(messages) if m["role"] == "user")
    out = list(messages)
    out[last] = {**messages[last], "content": messages[last]["content"].rstrip() + "\n\n" + note}
    return out


def program_input(instance: Any) -> bytes:
    """What a program reads on stdin: the instance's id, family and data (never its reference)."""
    return json.dumps({"id": instance.id, "family": instance.family, "data": instance.data}).encode()


def close_tool_sandbox(runner: Any) -> None:
    """Stop the run's sandbox zygote, if run_python started one."""
    server = getattr(runner, "tool_sandbox", None)
    if server is not None:
        server.close()
        runner.tool_sandbox = None


class ToolTurns:
    """Mixed into the runner's per-item `_Turns` (which sets runner, model, inst, sample, messages, error)."""

    runner: Any
    model: Any
    inst: Any
    sample: int
    messages: list[Message]
    error: str | None

    async def complete_with_tools(self, messages: list[Message], tools: list[ToolSpec]) -> Completion | None:
        """One model turn with `tools` offered: from the cache, or asked under the budget (and cached: committed
        before the event loop waits again, with the other replies of that moment).
        `cost_usd` of the result is what the turn was charged (0 from the cache). None: the item stops."""
        runner = self.runner
        if runner.unavailable is not None or runner.outcome.stopped_by_budget:
            return None
        text = json.dumps(messages, ensure_ascii=False)
        request = Prepared(messages, prompt_hash(messages), len(text))
        key = runner.cache_key(request, self.sample)
        hit = runner.store.cached(key) if runner.cacheable and runner.config.use_cache else None
        if hit is not None:
            return _from_envelope(hit)
        completion = await self.request(request, tools)
        if completion is None:
            return None
        completion.cost_usd = completion.cost_usd or runner.prices.cost(
            runner.config.model, completion.input_tokens, completion.output_tokens
        )
        runner.spent += completion.cost_usd
        if runner.cacheable:
            record = runner.item_record(self.inst, self.sample, request, None)
            record.response, record.finish_reason = runner.redact(_envelope(completion)), completion.finish_reason
            record.input_tokens, record.output_tokens = completion.input_tokens, completion.output_tokens
            runner.writes.cache_reply(key, record)  # committed with the event loop's other writes, and before
            runner.write_soon()  # this conversation asks again (`request` commits what waits first)
        return completion

    async def request(self, request: Prepared, tools: list[ToolSpec] | None = None) -> Completion | None:
        """One request under the budget (`_Turns.request`), with `tools` offered when given."""
        raise NotImplementedError

    async def final_round(self, turns: list[Completion]) -> Any:
        """The item's `Round`: the last turn's answer checked, with every turn's tokens, cost and latency."""
        last = turns[-1]
        total = Completion(
            text=last.text,
            input_tokens=sum(t.input_tokens for t in turns),
            output_tokens=sum(t.output_tokens for t in turns),
            latency_s=sum(t.latency_s for t in turns),
            cached=all(t.cached for t in turns),
            finish_reason=last.finish_reason,
        )
        checked = await self.check(total.text, total.finish_reason)  # type: ignore[attr-defined]  # _Turns has it
        return self.round(None, total, sum(t.cost_usd for t in turns), checked)  # type: ignore[attr-defined]  # _Turns has it

    async def run_tool(self, name: str, arguments: Any, enabled: list[str]) -> str:
        """Run one tool call; the text the model reads (an explanation for an unknown tool or bad arguments)."""
        offered = [TOOL_NAMES[n] for n in enabled]
        if name not in offered:
            return f"There is no tool {name!r}; the tools are: {', '.join(offered)}."
        field = "answer" if name == "check_schedule" else "code"
        value = arguments.get(field) if isinstance(arguments, dict) else None
        if value is None:
            return f"{name} needs the argument {field!r} (a JSON object {{{field!r}: ...}})."
        if name == "check_schedule":
            result = await self.check_schedule(value if isinstance(value, str) else json.dumps(value))
        else:
            result = await self.run_python(str(value))
        return self.runner.redact(result)

    async def check_schedule(self, text: str) -> str:
        """The check of an answer text, worded like repair feedback plus its objective."""
        runner = self.runner
        result, answer = await runner.work.call(_work.check_tool, self.inst.id, runner.config.prompt.mode, text)
        if answer is not None:
            self.checked_answers().add(json.dumps(answer, sort_keys=True))
        return result

    def redacted(self, value: dict[str, Any]) -> dict[str, Any]:
        """A value to store, with every secret the run knows replaced."""
        return json.loads(self.runner.redact(json.dumps(value, ensure_ascii=False)))

    def checked_answers(self) -> set[str]:
        """The answers check_schedule read in this conversation (as sorted JSON)."""
        return self.__dict__.setdefault("_checked", set())

    async def run_python(self, code: str) -> str:
        """The code run in the sandbox with the instance on stdin; its status and truncated output."""
        from schedbench.sandbox import ProgramLimits, run_python_async

        limits = ProgramLimits(
            timeout_s=PYTHON_TIMEOUT_S, memory_mb=PYTHON_MEMORY_MB, cpu_s=int(PYTHON_TIMEOUT_S), output_bytes=1 << 16
        )
        result = await run_python_async(
            code, program_input(self.inst), limits=limits, modules=PYTHON_MODULES, server=self.sandbox()
        )
        status = "ok (exit code 0)" if result.ok else f"{result.kind}: {result.detail}"
        return (
            f"status: {status}\nstdout:\n{_shown(result.stdout, result.stdout_truncated)}\n"
            f"stderr:\n{_shown(result.stderr, result.stderr_truncated)}"
        )

    def sandbox(self) -> Any:
        """The run's sandbox zygote for run_python (started on first use, stopped when the run ends)."""
        from schedbench.sandbox import program_server

        runner = self.runner
        if getattr(runner, "tool_sandbox", None) is None:
            runner.tool_sandbox = program_server(PYTHON_MODULES)
        return runner.tool_sandbox


def _shown(output: bytes, truncated: bool) -> str:
    text = output.decode("utf-8", errors="replace")
    if len(text) > SHOWN_CHARS or truncated:
        return text[:SHOWN_CHARS] + f"\n[... output truncated to the first {SHOWN_CHARS} characters]"
    return text


def _envelope(completion: Completion) -> str:
    """A tool-conversation turn as the cache keeps it: its text and tool calls (and thinking blocks)."""
    thinking = completion.extra.get("thinking_blocks")
    return json.dumps(
        {"text": completion.text, "tool_calls": completion.tool_calls, **({"thinking": thinking} if thinking else {})}
    )


def _from_envelope(hit: Any) -> Completion:
    turn = json.loads(hit.response)
    return Completion(
        text=turn.get("text") or "",
        input_tokens=hit.input_tokens,
        output_tokens=hit.output_tokens,
        cached=True,
        finish_reason=hit.finish_reason,
        tool_calls=turn.get("tool_calls") or [],
        extra={"thinking_blocks": turn["thinking"]} if turn.get("thinking") else {},
    )
