"""The CPU work of a run — validating family data, rendering prompts, extracting and verifying answers — as
pure functions over picklable batches.

Large runs do this work in one worker process, so it runs on the other core while the event loop does the
SDK's per-request work (on 2 cores this is most of the difference between a CPU-bound and a network-bound
run); small runs call the same functions inline. The worker keeps the parsed instances between calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from schedbench.errors import pydantic_location, pydantic_message
from schedbench.problems import Instance, get_family
from schedbench.prompts import (
    PromptOptions,
    answer_shape,
    build_messages,
    build_program_messages,
    check_text,
    extract_answer,
    feedback_text,
    program_feedback_text,
    prompt_hash,
)

_instances: dict[str, tuple[Instance, BaseModel]] = {}
_shared: dict[str, Instance] = {}
_naive: dict[str, float | None] = {}


@dataclass
class Prepared:
    """The conversation for one instance (shared by its samples)."""

    messages: list[dict[str, str]]
    prompt_hash: str
    characters: int


@dataclass
class Checked:
    """What one reply holds: the answer or why there is none, and its verification."""

    answer: Any = None
    parse_error: str | None = None
    verification: dict[str, Any] | None = None
    normalised_gap: float | None = None
    failure: str | None = None  # the checker itself broke (a bug): the item becomes an error row


def share(instances: Iterable[Instance]) -> None:
    """Make parsed instances available to `load` without JSON: inline, and in a worker forked after this call."""
    _shared.clear()
    _shared.update((inst.id, inst) for inst in instances)


def load(rows: list[tuple[str, str | None, str]]) -> tuple[str, str, str] | None:
    """Keep (instance id, instance JSON or None when shared, source) rows with their parsed family data; the
    first bad one as (source, field, message), or None when all are valid. The families' modules are imported
    here, off the caller's start-up path."""
    for instance_id, text, source in rows:
        if instance_id in _instances:
            continue
        inst = _shared[instance_id] if text is None else Instance.model_validate_json(text)
        try:
            _instances[inst.id] = (inst, get_family(inst.family).parse_data(inst.data))
        except ValidationError as exc:
            return source, "data." + pydantic_location(exc), pydantic_message(exc)
    return None


def render(ids: list[str], options: PromptOptions) -> list[Prepared]:
    """The conversation of each instance (loaded before)."""
    out = []
    for instance_id in ids:
        inst, data = _instances[instance_id]
        messages = build_messages(inst, options, data)
        out.append(Prepared(messages, prompt_hash(messages), sum(len(m["content"]) for m in messages)))
    return out


def render_program(ids: list[str], options: PromptOptions, timeout_s: float, memory_mb: int) -> list[Prepared]:
    """The formalize strategy's conversation of each instance (loaded before): it asks for a program."""
    out = []
    for instance_id in ids:
        inst, data = _instances[instance_id]
        messages = build_program_messages(inst, options, timeout_s, memory_mb, data)
        out.append(Prepared(messages, prompt_hash(messages), sum(len(m["content"]) for m in messages)))
    return out


def check(rows: list[tuple[str, str, str | None]], mode: str) -> list[Checked]:
    """Extract and verify each (instance id, reply text, finish reason)."""
    out = []
    for instance_id, text, finish_reason in rows:
        try:
            out.append(_check_one(instance_id, text, finish_reason, mode))
        except Exception as exc:  # one broken check must not lose the batch
            out.append(Checked(failure=f"checking the answer failed: {type(exc).__name__}: {exc}"[:1000]))
    return out


def check_turns(
    rows: list[tuple[str, str, str | None, tuple[str, bool] | None]], mode: str
) -> list[tuple[Checked, str | None]]:
    """Extract and verify each (instance id, reply text, finish reason, feedback options) of conversations'
    turns; with feedback options (style, objective turn), also the repair feedback on a reply whose check did
    not break (None otherwise, and when there is nothing to repair)."""
    out = []
    for instance_id, text, finish_reason, then in rows:
        checked = check([(instance_id, text, finish_reason)], mode)[0]
        words = None
        if then is not None and checked.failure is None:
            words = feedback(instance_id, mode, then[0], checked.parse_error, checked.verification, then[1])
        out.append((checked, words))
    return out


def feedback(
    instance_id: str,
    mode: str,
    style: str,
    parse_error: str | None,
    verification: dict[str, Any] | None,
    objective_turn: bool,
) -> str | None:
    """The repair feedback after one checked answer of a loaded instance (None: nothing to repair)."""
    inst, _ = _instances[instance_id]
    return feedback_text(inst, mode, style, parse_error, verification, objective_turn)


def check_tool(instance_id: str, mode: str, text: str) -> tuple[str, Any]:
    """`check_schedule` on a loaded instance: the result the model reads, and the answer it read (None when
    the text held none)."""
    inst, _ = _instances[instance_id]
    checked = _check_one(instance_id, text, None, mode)
    return check_text(inst, mode, checked.parse_error, checked.verification), checked.answer


def program_feedback(
    instance_id: str,
    mode: str,
    style: str,
    failure: str | None,
    detail: str,
    stderr_tail: str,
    parse_error: str | None,
    verification: dict[str, Any] | None,
    objective_turn: bool,
) -> str | None:
    """The formalize feedback after one program's round of a loaded instance (None: nothing to fix)."""
    inst, _ = _instances[instance_id]
    return program_feedback_text(
        inst, mode, style, failure, detail, stderr_tail, parse_error, verification, objective_turn
    )


def _check_one(instance_id: str, text: str, finish_reason: str | None, mode: str) -> Checked:
    inst, data = _instances[instance_id]
    extraction = extract_answer(text, answer_shape(inst.family, mode))
    if not extraction.ok:
        cut = finish_reason in ("length", "max_tokens")
        return Checked(parse_error=(extraction.error or "") + (" (the reply hit the token limit)" if cut else ""))
    result = get_family(inst.family).verify(data, extraction.answer, inst.reference)
    gap = normalised_gap(inst, data, result.objective) if result.feasible and result.objective is not None else None
    return Checked(answer=extraction.answer, verification=result.model_dump(exclude_none=True), normalised_gap=gap)


def normalised_gap(inst: Instance, data: BaseModel, objective: float) -> float | None:
    """(objective − optimum) / (naive rule − optimum), for families whose record names a `gap_baseline`."""
    rule = get_family(inst.family).gap_baseline
    ref = inst.reference
    if rule is None or ref is None or ref.status != "optimal" or ref.objective is None:
        return None
    if inst.id not in _naive:
        family = get_family(inst.family)
        _naive[inst.id] = (
            family.verify(data, family.baselines[rule](data), ref).objective if rule in family.baselines else None
        )
    naive = _naive[inst.id]
    if naive is None:
        return None
    span = naive - ref.objective
    return 0.0 if span <= 0 else round((objective - ref.objective) / span, 6)


def _ready() -> bool:
    return True


def _exit_with_parent() -> None:
    """Worker initializer: a forked worker holds its own end of the call queue, so it would outlive a parent
    killed with SIGKILL; it watches its parent instead and exits when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops this worker
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while forking
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Work:
    """Runs the functions above inline, in one local worker process (`offload`), or in one worker process on a
    Ray cluster (`ray_address`, or a local Ray instance when it is ""), always awaited.

    The local worker is forked (where the platform can) after the suite is parsed, so it starts in milliseconds,
    takes the instances from the memory it shares with the caller, never re-runs the caller's main module as
    `spawn` would, and imports the families' modules itself while the caller imports the SDK.
    """

    def __init__(self, offload: bool, instances: Sequence[Instance] = (), ray_address: str | None = None) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.remote: Any = None
        _instances.clear()  # inline state belongs to one run (ids repeat across suites)
        _naive.clear()
        share(instances)
        self.shares_memory = True  # whether `load` can take instances by id
        if ray_address is not None:
            from schedbench.executors import RayProcess

            self.remote = RayProcess(ray_address or None)
            self.shares_memory = False
        elif offload:
            from schedbench.executors import interrupts_deferred

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self.pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context(method), initializer=_exit_with_parent
            )
            with interrupts_deferred():  # a Ctrl-C during the fork would be dropped
                self.pool.submit(_ready)  # start the worker now
            self.shares_memory = method == "fork"

    def call(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        """Start `fn(*args)` now (inline: run it now); the future of its result."""
        if self.remote is not None:
            return asyncio.ensure_future(self.remote.call(fn, *args))
        if self.pool is not None:
            return asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        future = asyncio.get_running_loop().create_future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self) -> None:
        if self.remote is not None:
            self.remote.close()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        _instances.clear()
        _naive.clear()
        _shared.clear()
