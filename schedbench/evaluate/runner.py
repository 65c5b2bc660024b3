"""The evaluation runner: ask a model every (instance, sample), verify each answer, store it at once.

Resuming is the default: a run is identified by its name (or, without one, by model + suite + options), and
only items without a stored answer are asked again (error rows included). Responses are cached by model,
base URL, messages and parameters, so a rerun under another name costs nothing. API faults are retried by
the SDK (backoff with jitter, Retry-After honoured, bounded); 429s lower the concurrency. Validation, prompt
rendering and verification run in a worker process for large runs (`_work`), the requests in the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedbench._io import progress_bar
from schedbench.errors import InputError, ModelUnavailableError, OptionError, StorageError
from schedbench.evaluate import _work
from schedbench.evaluate._limiter import AdaptiveLimit
from schedbench.evaluate._programs import ProgramRun, Programs
from schedbench.evaluate._provenance import git_hash, versions
from schedbench.evaluate._suite import LoadedSuite, from_instances, load_suite
from schedbench.evaluate._tool_turns import ToolTurns, close_tool_sandbox
from schedbench.evaluate._work import Checked, Prepared, Work
from schedbench.evaluate.strategies import Round, Strategy, make_strategy
from schedbench.llm import (
    ChatModel,
    Completion,
    ItemContext,
    ToolSpec,
    classify,
    close_model,
    describe,
    is_fatal,
    open_model,
    probing,
    require_price,
)
from schedbench.llm._prices import PriceTable, load_prices
from schedbench.llm._secrets import Redactor, redact_config, safe_url
from schedbench.problems import Instance
from schedbench.prompts import PromptOptions, extract_program, program_input, question_modes
from schedbench.results.store import ItemRecord, Run, Store, Writes
from schedbench.verifiers._result import reference_objective

DEFAULT_OUTPUT_TOKENS_ESTIMATE = 2000
FLUSH_AT = 256  # items per check batch and transaction at most (answers of one event-loop turn go together)
RENDER_CHUNK = 128  # instances per prompt-rendering call
OFFLOAD_FROM = 300  # items from which the CPU work goes to a worker process (when there are 2+ cores)
#: The cyclic garbage collector's thresholds during a run (CPython's default is 700, 10, 10). A run first builds
#: a large heap that lives until the end (the suite, the SDK's modules), then allocates short-lived objects per
#: request; at the defaults, collections (4 of them full scans of that heap) took ~0.45 s of the event loop's
#: ~3 s of CPU in the overhead benchmark, 0.06–0.08 s at these.
COLLECTOR_THRESHOLDS = (20_000, 20, 100)


class _NextTurn:
    """Runs `flush` at the event loop's next turn, once however often it is asked before then, or at once when the
    batch is full: replies that arrive together are written or checked together. `flush` may also be called
    directly in between (the next turn then finds less or nothing to do)."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self.flush = flush
        self.scheduled = False

    def ask(self, full: bool) -> None:
        if full:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self.scheduled = False
        self.flush()


@dataclass
class EvalConfig:
    """Everything `schedbench evaluate` is told."""

    model: str
    suite: str
    results: Path = Path("results/schedbench.db")
    run: str | None = None
    limit: int | None = None
    samples: int = 1
    concurrency: int = 16
    temperature: float | None = None
    base_url: str | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    max_cost: float | None = None
    prices: Path | None = None
    timeout_s: float = 120.0
    max_retries: int = 6
    prompt: PromptOptions = field(default_factory=PromptOptions)
    use_cache: bool = True
    show_progress: bool = True
    offload: bool | None = None  # CPU work in a worker process; None: when the run is large enough
    executor: str = "local"  # "ray": prompt rendering, extraction and verification in a Ray worker process
    ray_address: str | None = None
    preflight: bool = True  # the first request goes alone, with few retries: a dead server stops the run at once
    max_consecutive_errors: int = 5  # stop after this many identical errors in a row that a retry cannot fix
    strategy: str = "direct"  # how each item is asked (schedbench.evaluate.strategies)
    strategy_options: dict[str, Any] = field(default_factory=dict)  # e.g. repair: rounds, feedback, objective_turn

    def make_strategy(self) -> Strategy:
        """The strategy object (OptionError for an unknown name or a bad option)."""
        return make_strategy(self.strategy, **self.strategy_options)

    def identity(self) -> dict[str, Any]:
        """The options that make two runs the same run (not `limit`/`samples`, which only select items)."""
        return {
            "model": self.model,
            "base_url": safe_url(self.base_url),
            "temperature": self.temperature,
            "model_args": self.model_args,
            **self.prompt.fingerprint(),
            **self.make_strategy().identity(),  # empty for direct: its runs keep their names
        }


@dataclass
class EvalOutcome:
    """What a call to `evaluate` did."""

    run: str
    planned: int
    already_done: int
    answered: int = 0
    errors: int = 0
    cached: int = 0
    feasible: int = 0
    cost_usd: float = 0.0
    stopped_by_budget: bool = False
    rate_limits: int = 0
    lowest_concurrency: int = 0
    elapsed_s: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)  # errors of this call by kind
    error_examples: dict[str, str] = field(default_factory=dict)  # one message per kind


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often (COLLECTOR_THRESHOLDS) inside the block."""
    saved = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def evaluate(config: EvalConfig, suite: LoadedSuite | list[Instance] | None = None) -> EvalOutcome:
    """Run (or resume) an evaluation of `config.suite` (or of the suite given, already loaded); returns what
    was done. Bad input raises InputError."""
    with fewer_collections():
        return _evaluate(config, suite)


def _evaluate(config: EvalConfig, suite: LoadedSuite | list[Instance] | None) -> EvalOutcome:
    started = time.perf_counter()
    if suite is None:
        suite = load_suite(config.suite)
    elif not isinstance(suite, LoadedSuite):
        suite = from_instances(suite)
    digest = suite_hash(suite.instances)  # of the whole suite: --limit only selects items of the run
    instances = suite.instances[: config.limit] if config.limit is not None else suite.instances
    _check_suite(instances, config)
    config.make_strategy().ready()  # a bad strategy option is refused before any run row exists
    prices = _prices(config)
    limit = AdaptiveLimit(config.concurrency)
    model = _open_model(config, prices, limit)  # a spec that cannot work is refused before any run row exists
    with Store(config.results) as store:
        name = config.run or default_run_name(config, digest)
        store.lock_run(name)  # a second process on the same run stops here, before any request
        try:
            outcome = _run_locked(store, config, suite, name, instances, digest, prices, model, limit)
        finally:
            with contextlib.suppress(sqlite3.Error):
                store.unlock_run(name)
    outcome.elapsed_s = time.perf_counter() - started
    return outcome


def _run_locked(
    store: Store,
    config: EvalConfig,
    suite: LoadedSuite,
    name: str,
    instances: list[Instance],
    digest: str,
    prices: PriceTable,
    model: ChatModel,
    limit: AdaptiveLimit,
) -> EvalOutcome:
    """Open (or resume) the run, ask what is missing, and mark how it ended."""
    run = _open_run(store, config, name, digest, len(instances))
    todo = [(inst, s) for inst in instances for s in range(config.samples)]
    done = store.done_keys(run.id)
    todo = [(inst, s) for inst, s in todo if (inst.id, s) not in done]
    outcome = EvalOutcome(
        run=run.name,
        planned=len(instances) * config.samples,
        already_done=len(instances) * config.samples - len(todo),
    )
    runner = _Runner(config, store, run, prices, outcome, suite, limit)
    status = "interrupted"
    try:
        asyncio.run(runner.run(todo, model))
        status = final_status(store, run, instances, config.samples, outcome)
    except ModelUnavailableError:
        status = "failed"
        raise
    finally:
        try:
            store.mark_run(run.id, status, planned=max(run.planned, outcome.planned))
        except sqlite3.Error as exc:
            if status != "interrupted":  # else the error that interrupted the run is the one to report
                raise StorageError(str(config.results), str(exc)) from None
    return outcome


def final_status(store: Store, run: Run, instances: list[Instance], samples: int, outcome: EvalOutcome) -> str:
    """`complete` only when every planned item is stored without an error; `stopped` by the budget, else
    `incomplete` (rerun to retry what is missing)."""
    wanted = {(inst.id, s) for inst in instances for s in range(samples)}
    missing = wanted - store.done_keys(run.id)
    if not missing:
        return "complete"
    return "stopped" if outcome.stopped_by_budget else "incomplete"


def _open_model(config: EvalConfig, prices: PriceTable, limit: AdaptiveLimit) -> ChatModel:
    """The model adapter of `config.model` (OptionError when the spec cannot work, e.g. a missing key)."""
    return open_model(
        config.model,
        base_url=config.base_url,
        model_args=config.model_args,
        concurrency=config.concurrency,
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        prices=prices,
        on_rate_limit=limit.on_rate_limit,
        executor=config.executor,
        ray_address=config.ray_address,
    )


def default_run_name(config: EvalConfig, suite_hash: str) -> str:
    """`model@suite#hash`: the same model, suite and options give the same name (and so resume)."""
    digest = hashlib.sha256(
        json.dumps({**config.identity(), "suite": suite_hash}, sort_keys=True, default=str).encode()
    ).hexdigest()[:8]
    label = Path(config.suite.rstrip("/")).name or config.suite
    return f"{config.model}@{label}#{digest}"


def suite_hash(instances: list[Instance]) -> str:
    """A hash of the instances as evaluated (ids, data and references)."""
    digest = hashlib.sha256()
    for inst in instances:
        digest.update(inst.to_json_line().encode())
    return digest.hexdigest()


def _check_suite(instances: list[Instance], config: EvalConfig) -> None:
    if not instances:
        raise InputError(config.suite, None, "no instances to evaluate")
    mode = config.prompt.mode
    for name in sorted({inst.family for inst in instances}):
        if mode not in question_modes(name):
            raise OptionError(
                "mode", f"family {name} has no question mode {mode!r}; known: {', '.join(question_modes(name))}"
            )


def _prices(config: EvalConfig) -> PriceTable:
    prices = load_prices(config.prices)
    if config.max_cost is not None:
        require_price(config.model, prices)
    return prices


def _open_run(store: Store, config: EvalConfig, name: str, digest: str, count: int) -> Run:
    run = store.run(name)
    identity = redact_config(json.loads(json.dumps(config.identity(), default=str)))  # no secret is stored
    if run is None:
        return store.create_run(
            name,
            config.model,
            config.suite,
            digest,
            {"strategy": config.strategy, **identity, "samples": config.samples, "limit": config.limit},
            versions(),
            git_hash(),
            count * config.samples,
        )
    stored = {k: run.config.get(k) for k in identity}
    if run.model != config.model or stored != identity:
        changed = sorted(k for k in identity if stored.get(k) != identity[k])
        raise OptionError(
            "run", f"run {name!r} exists with other options ({', '.join(changed)}); choose another run name"
        )
    if run.suite_hash != digest:
        raise OptionError("run", f"run {name!r} exists for another suite (hash differs)")
    store.mark_run(run.id, "running")
    return run


class _Runner:
    """The asyncio part: dispatch under an adaptive limit and a budget; check (in the worker) and store answers
    as they arrive. Replies enter the response cache the moment they arrive, items once verified."""

    def __init__(
        self,
        config: EvalConfig,
        store: Store,
        run: Run,
        prices: PriceTable,
        outcome: EvalOutcome,
        suite: LoadedSuite,
        limit: AdaptiveLimit,
    ) -> None:
        self.config = config
        self.suite = suite
        self.store = store
        self.run_row = run
        self.prices = prices
        self.outcome = outcome
        self.limit = limit
        self.streak: tuple[str, int] = ("", 0)  # the kind of the last errors that a retry cannot fix, how many
        self.unavailable: ModelUnavailableError | None = None  # set: dispatch stops, the run fails with it
        self.probed = not config.preflight
        self.first_reply: asyncio.Future | None = None  # conversations: done once the probing first request ended
        self.in_flight = 0
        self.slot_free: asyncio.Event | None = None
        self.work: Work | None = None
        self.renders: dict[str, asyncio.Future] = {}
        self.spent = store.spent(run.id)
        self.reserved = 0.0
        self.max_output_tokens = int(
            config.model_args.get("max_completion_tokens")
            or config.model_args.get("max_tokens")
            or DEFAULT_OUTPUT_TOKENS_ESTIMATE
        )
        self.tokens_per_char = 0.3
        self.params = {"temperature": config.temperature} if config.temperature is not None else {}
        self.progress: Any = None
        self.task_id: Any = None
        self.tokens_total = 0
        self.cacheable = True
        self.redact = Redactor()
        self.unchecked: list[tuple[ItemRecord, str | None]] = []  # with the cache key of a fresh reply
        self.failure: StorageError | None = None  # a write failed: dispatch stops, the run fails with it
        self.checks: set[asyncio.Future] = set()
        self.expect_requests = True
        self.strategy = config.make_strategy()
        self.strategy_identity = self.strategy.identity()
        self.programs: Programs | None = None  # the sandbox of the formalize strategy's programs (on first use)
        self.writes = Writes()  # conversations' cache entries, items and rounds not yet committed
        self.written: list[ItemRecord] = []  # the items among them, counted once committed
        self.turn_checks: list[tuple[tuple[Any, ...], asyncio.Future]] = []  # conversations' replies to check
        self.next_write = _NextTurn(self.write_now)
        self.next_check = _NextTurn(self.check_now)
        self.next_turn_check = _NextTurn(self.check_turns_now)

    async def run(self, todo: list[tuple[Instance, int]], model: ChatModel) -> None:
        if not todo:
            return
        self.cacheable = bool(getattr(model, "cacheable", True))
        self.slot_free = asyncio.Event()
        # a model with cached replies is probably being rerun: its work is light, keep it in this process
        reusable = self.cacheable and self.config.use_cache
        self.expect_requests = not (reusable and self.store.has_cache(self.config.model))
        offload = (
            self.config.offload
            if self.config.offload is not None
            else self.expect_requests and len(todo) >= OFFLOAD_FROM and (os.cpu_count() or 1) > 1
        )
        ray_address = (self.config.ray_address or "") if self.config.executor == "ray" else None
        self.work = Work(offload, list({inst.id: inst for inst, _ in todo}.values()), ray_address)
        tasks: set[asyncio.Task] = set()
        try:
            await self.load(model, todo)
            with self._progress(len(todo)):
                try:
                    await self.dispatch(model, todo, tasks)
                    if self.unavailable is not None:  # requests in flight would only retry what cannot work
                        for task in tasks:
                            task.cancel()
                    if tasks:
                        await asyncio.gather(*tasks, return_exceptions=self.unavailable is not None)
                except BaseException:  # interrupted or failing: keep what can be kept, then go on failing
                    with contextlib.suppress(Exception):
                        await self.drain()
                    raise
                await self.drain()
                if self.unavailable is not None:
                    raise self.unavailable
        finally:
            self.outcome.rate_limits = self.limit.rate_limits
            self.outcome.lowest_concurrency = self.limit.lowest
            self.work.close()
            close_tool_sandbox(self)
            if self.programs is not None:
                self.programs.close()
            await close_model(model)

    async def load(self, model: ChatModel, todo: list[tuple[Instance, int]]) -> None:
        """Validate every instance still to do (InputError before any request) and start rendering prompts;
        the SDK is imported meanwhile."""
        unique = list({inst.id: inst for inst, _ in todo}.values())
        shared = self.work.shares_memory  # type: ignore[union-attr]  # run() starts the work process first
        rows = [(i.id, None if shared else self.suite.json(i), self.suite.source(i)) for i in unique]
        loading = self.work.call(_work.load, rows)  # type: ignore[union-attr]  # starts before the SDK import
        warm_up = getattr(model, "warm_up", None)
        if warm_up is not None and self.expect_requests:
            warm_up()
        problem = await loading
        if problem is not None:
            raise InputError(*problem)
        for start in range(0, len(unique), RENDER_CHUNK):
            ids = [inst.id for inst in unique[start : start + RENDER_CHUNK]]
            future = self.work.call(*self.render_call(ids))  # type: ignore[union-attr]  # as above
            for position, instance_id in enumerate(ids):
                self.renders[instance_id] = asyncio.ensure_future(_pick(future, position))

    def render_call(self, ids: list[str]) -> tuple[Any, ...]:
        """The work function and arguments rendering these instances' questions: the answer question, or the
        program question of the formalize strategy."""
        strategy: Any = self.strategy  # the program options belong to the strategies that ask for programs
        if strategy.question == "program":
            limits = (strategy.program_timeout_s, strategy.program_memory_mb)
            return (_work.render_program, ids, self.config.prompt, *limits)
        return (_work.render, ids, self.config.prompt)

    def program_runner(self) -> Programs:
        """The sandbox the formalize strategy's programs run in (one per run, started on first use)."""
        if self.programs is None:
            strategy: Any = self.strategy
            self.programs = Programs(strategy.program_timeout_s, strategy.program_memory_mb)
        return self.programs

    async def dispatch(self, model: ChatModel, todo: list[tuple[Instance, int]], tasks: set[asyncio.Task]) -> None:
        for inst, sample in todo:
            while self.in_flight >= self.limit.limit and self.failure is None and self.unavailable is None:
                self.slot_free.clear()  # type: ignore[union-attr]  # made in run(), inside the event loop
                await self.slot_free.wait()  # type: ignore[union-attr]  # as above
            if self.failure is not None or self.unavailable is not None:
                return
            prepared = await self.renders[inst.id]
            if not self.strategy.single_turn:
                if self.over_budget(self.estimate(prepared)):
                    self.outcome.stopped_by_budget = True
                    return
                self.in_flight += 1
                probe = not self.probed
                with probing() if probe else contextlib.nullcontext():  # the task keeps the probe's retry bound
                    task: asyncio.Task[Any] = asyncio.create_task(self.converse(model, inst, sample, prepared))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if probe:  # the first conversation's first request alone: a dead server is found out at once
                    self.probed = True
                    self.first_reply = asyncio.get_running_loop().create_future()
                    await asyncio.wait({task, self.first_reply}, return_when=asyncio.FIRST_COMPLETED)
                continue
            key = self.cache_key(prepared, sample)
            hit = self.store.cached(key) if self.cacheable and self.config.use_cache else None
            if hit is not None:
                completion = Completion(
                    text=hit.response,
                    input_tokens=hit.input_tokens,
                    output_tokens=hit.output_tokens,
                    cached=True,
                    latency_s=0.0,
                    finish_reason=hit.finish_reason,
                )
                self.arrived(inst, sample, prepared, key, completion, None)
                if len(self.unchecked) >= FLUSH_AT:
                    await asyncio.sleep(0)  # let checks, commits and the progress bar run
                continue
            estimate = self.estimate(prepared)
            if self.over_budget(estimate):
                self.outcome.stopped_by_budget = True
                return
            self.reserved += estimate
            self.in_flight += 1
            if not self.probed:  # the first request alone: a server that cannot answer is found out at once
                self.probed = True
                with probing():
                    if await self.ask(model, inst, sample, prepared, key, estimate, probe=True):
                        continue
                self.reserved += estimate  # a passing fault: the item goes with the others, with every retry
                self.in_flight += 1
            task = asyncio.create_task(self.ask(model, inst, sample, prepared, key, estimate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    def cache_key(self, prepared: Prepared, sample: int) -> str:
        """The response cache key of one request: model, server, conversation, parameters, sample and (for any
        strategy but direct, whose keys stay those of before strategies) the strategy's identity."""
        parts = [
            self.config.model,
            _safe_url(self.config.base_url),
            prepared.prompt_hash,
            self.params,
            self.config.model_args,
            sample,
        ]
        if self.strategy_identity:
            parts.append(self.strategy_identity)
        blob = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def converse(self, model: ChatModel, inst: Instance, sample: int, prepared: Prepared) -> None:
        """Hand one item to a multi-turn strategy, then store its rounds and its result (the last round)."""
        turns = _Turns(self, model, inst, sample, prepared)
        try:
            rounds = await self.strategy.run(turns)
        finally:
            self.in_flight -= 1
            self.slot_free.set()  # type: ignore[union-attr]  # made in run(), inside the event loop
        self.conversation_done(inst, sample, prepared, rounds, turns.error)

    def conversation_done(
        self, inst: Instance, sample: int, prepared: Prepared, rounds: list[Round], error: str | None
    ) -> None:
        """Store a conversation's item: the last round's answer with every round's tokens, cost and latency. A
        fault makes it an error row (asked again on resume, its stored rounds from the cache); the budget
        stopping it before any round stores nothing."""
        if not rounds and error is None:
            return
        item = self.item_record(inst, sample, prepared, error)
        if rounds:
            last = rounds[-1]
            item.response, item.answer, item.parse_error = last.response, last.answer, last.parse_error
            item.verification, item.normalised_gap = last.verification, last.normalised_gap
            item.finish_reason = last.finish_reason
            item.input_tokens = sum(r.input_tokens for r in rounds)
            item.output_tokens = sum(r.output_tokens for r in rounds)
            item.cost_usd = sum(r.cost_usd for r in rounds)
            item.latency_s = sum(r.latency_s for r in rounds)
            item.cached = all(r.cached for r in rounds)
            item.error = error or last.failure
        self.writes.item(self.run_row.id, item)
        self.writes.conversation(self.run_row.id, inst.id, sample, [r.stored() for r in rounds])
        self.written.append(item)
        self.write_soon()

    def write_soon(self) -> None:
        """Commit the queued writes at the event loop's next turn, with whatever else is queued by then (at once
        when FLUSH_AT rows wait). A reply is thus committed before the loop waits for anything again, and
        before its conversation's next request (`_Turns.complete` commits what waits first)."""
        self.next_write.ask(full=len(self.writes) >= FLUSH_AT)

    def write_now(self) -> None:
        """Commit the queued writes in one transaction. Called from callbacks, so it never raises: a failure is
        kept in `self.failure`, stops the dispatch, and `drain` raises it."""
        if not len(self.writes):
            return
        writes, written = self.writes, self.written
        self.writes, self.written = Writes(), []
        if self.commit(lambda: self.store.commit(writes)):
            for item in written:
                self.count(item)

    def check_turn(
        self, instance_id: str, text: str, finish_reason: str | None, then: tuple[str, bool] | None
    ) -> asyncio.Future:
        """The check of a conversation's reply (with its feedback when `then` asks for it, see `Turns.ask`): the
        replies that arrive in one turn of the event loop go to the worker in one call."""
        future = asyncio.get_running_loop().create_future()
        self.turn_checks.append(((instance_id, text, finish_reason, then), future))
        self.next_turn_check.ask(full=len(self.turn_checks) >= FLUSH_AT)
        return future

    def check_turns_now(self) -> None:
        """Send the waiting conversation replies to be checked; each answer goes to the future that waits for it."""
        if not self.turn_checks:
            return
        batch, self.turn_checks = self.turn_checks, []
        call = self.work.call(_work.check_turns, [row for row, _ in batch], self.config.prompt.mode)  # type: ignore[union-attr]  # started in run()
        call.add_done_callback(lambda done: _settle([future for _, future in batch], done))

    def item_record(self, inst: Instance, sample: int, prepared: Prepared, error: str | None) -> ItemRecord:
        """An item row without its reply yet."""
        return ItemRecord(
            instance_id=inst.id,
            sample=sample,
            family=inst.family,
            level=inst.level,
            stage=inst.stage,
            scenario=inst.scenario,
            mode=self.config.prompt.mode,
            prompt_hash=prepared.prompt_hash,
            error=error,
            chain=(inst.model_extra or {}).get("chain"),
            extra={"model_spec": self.config.model},
            reference=reference_objective(inst.reference),
        )

    def over_budget(self, estimate: float) -> bool:
        """Whether one more request (at `estimate` USD) could take the run past --max-cost."""
        limit = self.config.max_cost
        return limit is not None and self.spent + self.reserved + estimate > limit

    def estimate(self, prepared: Prepared) -> float:
        """A cautious USD estimate of one request (prompt tokens by characters, the largest reply seen)."""
        tokens_in = int(prepared.characters * self.tokens_per_char) + 1
        return self.prices.cost(self.config.model, tokens_in, self.max_output_tokens)

    async def ask(
        self,
        model: ChatModel,
        inst: Instance,
        sample: int,
        prepared: Prepared,
        key: str,
        estimate: float,
        probe: bool = False,
    ) -> bool:
        """Ask one item and hand the reply (or the fault) on; False only for a probe that met a passing fault,
        which is left for the item to be asked again with every retry."""
        completion: Completion | None = None
        error: str | None = None
        try:
            completion = await model.complete(
                prepared.messages, context=ItemContext(inst, self.config.prompt.mode, sample), **self.params
            )
        except Exception as exc:  # every fault ends as an error row, retried on resume
            kind = classify(exc)
            if probe and not is_fatal(kind):
                return False
            error = self.redact(describe(exc))[:1000]
            self.failed(kind, error)
        finally:
            self.in_flight -= 1
            self.reserved -= estimate
            self.slot_free.set()  # type: ignore[union-attr]  # made in run(), inside the event loop
        if completion is not None:
            self.streak = ("", 0)
            self.limit.on_success()
            self.learn(prepared, completion)
        self.arrived(inst, sample, prepared, key, completion, error)
        return True

    def replied(self) -> None:
        """A conversation's request ended (with a reply or a fault): the probing one's first lets the others go."""
        if self.first_reply is not None and not self.first_reply.done():
            self.first_reply.set_result(None)

    def failed(self, kind: str, error: str) -> None:
        """Count an error by kind; stop the run when a retry cannot fix it and it keeps happening (or the probing
        first request met it)."""
        self.outcome.error_kinds[kind] = self.outcome.error_kinds.get(kind, 0) + 1
        self.outcome.error_examples.setdefault(kind, error)
        if not is_fatal(kind):
            self.streak = ("", 0)
            return
        count = self.streak[1] + 1 if self.streak[0] == kind else 1
        self.streak = (kind, count)
        first = self.config.preflight and count == 1 and self.probe_request()
        if first or count >= self.config.max_consecutive_errors:
            message = error.split(": ", 1)[1] if ": " in error else error
            self.unavailable = ModelUnavailableError(self.config.model, kind, message, count)

    def probe_request(self) -> bool:
        """Whether the request that just ended is the probing first one: of a conversation, its first request;
        of single requests, the one before any item was stored."""
        if self.first_reply is not None:
            return not self.first_reply.done()
        return self.outcome.answered + self.outcome.errors == 0

    def learn(self, prepared: Prepared, completion: Completion) -> None:
        """Tighten the budget estimate with what the provider reported."""
        if completion.input_tokens and prepared.characters:
            self.tokens_per_char = max(self.tokens_per_char, completion.input_tokens / prepared.characters)
        if self.config.max_cost is not None and completion.output_tokens > 0:
            self.max_output_tokens = max(
                completion.output_tokens, min(self.max_output_tokens, 4 * completion.output_tokens)
            )

    def arrived(
        self,
        inst: Instance,
        sample: int,
        prepared: Prepared,
        key: str,
        completion: Completion | None,
        error: str | None,
    ) -> None:
        """Account for one reply (or fault) and queue it for checking; errors are stored at once."""
        item = self.item_record(inst, sample, prepared, error)
        if completion is None:
            self.store_items([(item, None)])
            return
        cost = (
            0.0
            if completion.cached
            else (
                completion.cost_usd
                or self.prices.cost(self.config.model, completion.input_tokens, completion.output_tokens)
            )
        )
        item.response, item.cached = self.redact(completion.text), completion.cached
        item.input_tokens, item.output_tokens = completion.input_tokens, completion.output_tokens
        item.cost_usd, item.latency_s, item.finish_reason = cost, completion.latency_s, completion.finish_reason
        self.spent += cost
        fresh = self.cacheable and not completion.cached
        self.unchecked.append((item, key if fresh else None))
        self.next_check.ask(full=len(self.unchecked) >= FLUSH_AT)

    def check_now(self) -> None:
        """Send the unchecked replies to be verified."""
        if not self.unchecked:
            return
        batch, self.unchecked = self.unchecked, []
        rows = [(item.instance_id, item.response or "", item.finish_reason) for item, _ in batch]
        future = self.work.call(_work.check, rows, self.config.prompt.mode)  # type: ignore[union-attr]  # started in run()
        self.checks.add(future)
        future.add_done_callback(lambda done: self.checked(batch, done))

    def checked(self, batch: list[tuple[ItemRecord, str | None]], done: asyncio.Future) -> None:
        """Store a verified batch in one transaction, with the cache entries of the replies that were processed
        (a reply whose check failed is stored as an error row and not cached, so a rerun asks again)."""
        self.checks.discard(done)
        if done.cancelled() or done.exception() is not None:
            return  # the run is failing; drain() re-raises
        results: list[Checked] = done.result()
        for (item, _), result in zip(batch, results, strict=True):
            item.answer, item.parse_error = result.answer, result.parse_error
            item.verification, item.normalised_gap = result.verification, result.normalised_gap
            item.error = result.failure
        self.store_items([(item, key if item.error is None else None) for item, key in batch])

    def store_items(self, batch: list[tuple[ItemRecord, str | None]]) -> None:
        """Commit items (and cache entries) in one transaction. Called from callbacks, so it never raises: a
        failure is kept in `self.failure`, stops the dispatch, and `drain` raises it."""
        if self.commit(lambda: self.store.add_items(self.run_row.id, batch)):
            for item, _ in batch:
                self.count(item)

    def commit(self, write: Any) -> bool:
        """Run one committing `write` unless an earlier one failed; whether it succeeded. A failure is kept in
        `self.failure` and stops the dispatch."""
        if self.failure is not None:
            return False
        try:
            write()
        except Exception as exc:  # sqlite3 errors, a full disk, a value the store refused: all stop the run
            self.failure = StorageError(str(self.store.path), f"{type(exc).__name__}: {exc}")
            if self.slot_free is not None:
                self.slot_free.set()
            return False
        return True

    async def drain(self) -> None:
        """Check and store every reply that arrived; raise the storage failure if there was one."""
        self.write_now()  # first, before anything is awaited: an interrupted run keeps every reply
        self.check_now()
        while self.checks:
            await asyncio.gather(*list(self.checks))
        self.write_now()
        if self.failure is not None:
            raise self.failure

    def count(self, item: ItemRecord) -> None:
        outcome = self.outcome
        outcome.answered += item.error is None
        outcome.errors += item.error is not None
        outcome.cached += item.cached
        outcome.feasible += bool(item.verification and item.verification.get("feasible"))
        outcome.cost_usd += item.cost_usd
        self.tokens_total += item.input_tokens + item.output_tokens
        if self.progress is not None:
            done = outcome.answered + outcome.errors
            self.progress.update(
                self.task_id,
                advance=1,
                feasible=outcome.feasible / max(done, 1),
                errors=outcome.errors,
                tokens=self.tokens_total,
                cost=outcome.cost_usd,
                limit=self.limit.limit,
            )

    def _progress(self, total: int) -> Any:
        self.progress = progress_bar(
            self.config.show_progress,
            "feasible {task.fields[feasible]:.0%}",
            "errors {task.fields[errors]}",
            "{task.fields[tokens]:,} tok",
            "${task.fields[cost]:.4f}",
            "conc {task.fields[limit]}",
        )
        self.task_id = self.progress.add_task(
            self.config.model, total=total, feasible=0.0, errors=0, tokens=0, cost=0.0, limit=self.limit.limit
        )
        return self.progress


_safe_url = functools.lru_cache(maxsize=8)(safe_url)  # once per run rather than once per request


class ConversationHash:
    """`prompt_hash` of a growing conversation with each message encoded and hashed once: the hash of the JSON
    list is kept open before its closing bracket and extended by the messages a turn appends (when the list
    starts with the very message objects hashed before; otherwise it starts over)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.open = hashlib.sha256(b"[")

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        known = len(self.seen)
        if len(messages) < known or any(a is not b for a, b in zip(self.seen, messages, strict=False)):
            self.open, known = hashlib.sha256(b"["), 0
        for index in range(known, len(messages)):
            text = json.dumps(messages[index], ensure_ascii=False, separators=(",", ":"))
            self.open.update((f",{text}" if index else text).encode())
        self.seen = list(messages)
        closed = self.open.copy()
        closed.update(b"]")
        return closed.hexdigest()


async def _pick(batch: asyncio.Future, position: int) -> Prepared:
    return (await batch)[position]


def _settle(futures: list[asyncio.Future], done: asyncio.Future) -> None:
    """Hand each waiting future its result from a batch call (or the call's failure)."""
    failed = done.cancelled() or done.exception() is not None
    results = [None] * len(futures) if failed else done.result()
    for future, result in zip(futures, results, strict=True):
        if future.done():  # its conversation was cancelled
            continue
        if done.cancelled():
            future.cancel()
        elif failed:
            future.set_exception(done.exception())  # type: ignore[arg-type]  # not cancelled, so an exception
        else:
            future.set_result(result)


class _Turns(ToolTurns):
    """What the runner offers a multi-turn strategy for one item: ask (through the response cache, under the
    budget, each reply checked as it arrives) and word the feedback. `error` holds the fault that ended it."""

    def __init__(self, runner: _Runner, model: ChatModel, inst: Instance, sample: int, prepared: Prepared) -> None:
        self.runner = runner
        self.model = model
        self.inst = inst
        self.sample = sample
        self.messages = prepared.messages
        self.error: str | None = None
        self.worded: tuple[Round, tuple[str, bool], str | None] | None = None  # feedback worded with a check
        self.conversation_hash = ConversationHash()

    async def ask(
        self, messages: list[dict[str, str]], user: str | None, then: tuple[str, bool] | None = None
    ) -> Round | None:
        got = await self.complete(messages)
        if got is None:
            return None
        completion, cost = got
        checked, words = await self.runner.check_turn(self.inst.id, completion.text, completion.finish_reason, then)
        reply = self.round(user, completion, cost, checked)
        self.worded = (reply, then, words) if then is not None and checked.failure is None else None
        return reply

    async def complete(self, messages: list[dict[str, str]]) -> tuple[Completion, float] | None:
        """The model's reply to `messages` (from the cache, or asked under the budget and cached) and its cost;
        None when the item must stop."""
        runner = self.runner
        if runner.unavailable is not None or runner.outcome.stopped_by_budget or runner.failure is not None:
            return None
        request = Prepared(messages, self.conversation_hash(messages), sum(len(m["content"]) for m in messages))
        key = runner.cache_key(request, self.sample)
        completion = self.cached(key)
        cost = 0.0
        if completion is None:
            completion = await self.request(request)
            if completion is None:
                return None
            cost = completion.cost_usd or runner.prices.cost(
                runner.config.model, completion.input_tokens, completion.output_tokens
            )
            runner.spent += cost
            if runner.cacheable:
                record = runner.item_record(self.inst, self.sample, request, None)
                record.response, record.finish_reason = completion.text, completion.finish_reason
                record.input_tokens, record.output_tokens = completion.input_tokens, completion.output_tokens
                runner.writes.cache_reply(key, record)
                runner.write_soon()
        return completion, cost

    async def check(self, text: str, finish_reason: str | None) -> Checked:
        """`text` read as an answer to the item, and verified."""
        checked, _ = await self.runner.check_turn(self.inst.id, text, finish_reason, None)
        return checked

    def round(self, user: str | None, completion: Completion, cost: float, checked: Checked) -> Round:
        """One stored round: the reply with its accounting and its check."""
        return Round(
            user=user,
            response=self.runner.redact(completion.text),
            answer=checked.answer,
            parse_error=checked.parse_error,
            verification=checked.verification,
            normalised_gap=checked.normalised_gap,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cost_usd=cost,
            latency_s=completion.latency_s,
            cached=completion.cached,
            finish_reason=completion.finish_reason,
            failure=checked.failure,
        )

    async def ask_program(self, messages: list[dict[str, str]], user: str | None) -> Round | None:
        got = await self.complete(messages)
        if got is None:
            return None
        completion, cost = got
        source = extract_program(completion.text)
        if source is None:
            run = ProgramRun("no_program", "no ```python block in the reply", 0.0, None, "", "", False)
        else:
            run = await self.runner.program_runner().run(source, program_input(self.inst))
        checked = Checked(parse_error=f"the program failed ({run.failure}): {run.detail}")
        if run.failure is None:
            checked = await self.check(run.stdout, None)
            if checked.parse_error is not None:
                run.failure, run.detail = "bad_output", checked.parse_error
                checked.parse_error = f"the program's output is not an answer: {checked.parse_error}"
        reply = self.round(user, completion, cost, checked)
        redact = self.runner.redact
        reply.extra = {
            "program": redact(source or ""),
            **{k: redact(v) if isinstance(v, str) else v for k, v in run.stored().items()},
        }
        return reply

    async def program_feedback(self, last: Round, style: str, objective_turn: bool) -> str | None:
        runner = self.runner
        extra = last.extra
        return await runner.work.call(
            _work.program_feedback,
            self.inst.id,
            runner.config.prompt.mode,
            style,
            extra.get("program_failure"),
            extra.get("program_detail") or "",
            (extra.get("program_stderr") or "")[-1500:],
            last.parse_error if extra.get("program_failure") is None else extra.get("program_detail"),
            last.verification,
            objective_turn,
        )

    def cached(self, key: str) -> Completion | None:
        runner = self.runner
        hit = runner.store.cached(key) if runner.cacheable and runner.config.use_cache else None
        if hit is None:
            return None
        return Completion(
            text=hit.response,
            input_tokens=hit.input_tokens,
            output_tokens=hit.output_tokens,
            cached=True,
            finish_reason=hit.finish_reason,
        )

    async def request(self, request: Prepared, tools: list[ToolSpec] | None = None) -> Completion | None:
        """One request under the budget, with `tools` offered when given; None (with `error` set on a fault) when
        it cannot be made."""
        runner = self.runner
        estimate = runner.estimate(request)
        if runner.over_budget(estimate):
            runner.outcome.stopped_by_budget = True
            return None
        runner.write_now()  # the conversation's earlier replies are committed before it asks again
        runner.reserved += estimate
        try:
            completion = await self.model.complete(
                request.messages,
                context=ItemContext(self.inst, runner.config.prompt.mode, self.sample, runner.strategy.name),
                **({"tools": tools} if tools is not None else {}),
                **runner.params,
            )
        except Exception as exc:  # the item becomes an error row, asked again on resume
            kind = classify(exc)
            self.error = runner.redact(describe(exc))[:1000]
            runner.failed(kind, self.error)
            return None
        finally:
            runner.reserved -= estimate
            runner.replied()
        runner.streak = ("", 0)
        runner.limit.on_success()
        runner.learn(request, completion)
        return completion

    async def feedback(self, last: Round, style: str, objective_turn: bool) -> str | None:
        if self.worded is not None and self.worded[0] is last and self.worded[1] == (style, objective_turn):
            return self.worded[2]  # worded with the check of `last`
        runner = self.runner
        return await runner.work.call(
            _work.feedback,
            self.inst.id,
            runner.config.prompt.mode,
            style,
            last.parse_error,
            last.verification,
            objective_turn,
        )
