"""`schedbench evaluate`: ask a model every item of a suite, verify, store; rerunning resumes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from schedbench.errors import InputError
from schedbench.results import DEFAULT_DB

if TYPE_CHECKING:
    from schedbench.problems import Instance


def evaluate(
    model: str = typer.Option(
        ...,
        "--model",
        help="model spec: openai/…, anthropic/…, openai-compatible/…, "
        "vllm/…, ollama/…, baseline/<rule>, oracle/exact, replay/<file>",
    ),
    suite: str = typer.Option(
        ..., "--suite", help="suite folder, .jsonl/.parquet file, published set (schedbench datasets), or Hub dataset"
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="only the first N instances"),
    concurrency: int = typer.Option(16, "--concurrency", min=1, help="requests in flight (lowered on 429s)"),
    max_cost: float = typer.Option(None, "--max-cost", min=0, help="stop before spending more USD than this"),
    results: Path = typer.Option(Path(DEFAULT_DB), "--results", help="SQLite results database"),
    run: str = typer.Option(None, "--run", help="run name (default: derived from model, suite and options)"),
    samples: int = typer.Option(1, "--samples", min=1, help="answers per instance"),
    temperature: float = typer.Option(None, "--temperature", help="sampling temperature (provider default if unset)"),
    base_url: str = typer.Option(None, "--base-url", help="server URL for openai-compatible/vllm/ollama"),
    model_arg: list[str] = typer.Option(
        [],
        "--model-arg",
        help="provider parameter k=v (repeatable), e.g. "
        "reasoning_effort=high, max_completion_tokens=8000, "
        "thinking.budget_tokens=4000",
    ),
    mode: str = typer.Option(
        "plan", "--mode", help="question mode: one of the family's prompts (plan; asyncplan also time)"
    ),
    cot: bool = typer.Option(False, "--cot", help="ask for reasoning first, the answer last"),
    prompt_style: str = typer.Option(
        "plain", "--prompt-style", help="plain, or graph: add the dependency graph as an edge list (asyncplan)"
    ),
    few_shot: int = typer.Option(0, "--few-shot", min=0, help="solved examples shown before each question"),
    few_shot_suite: str = typer.Option(None, "--few-shot-suite", help="separate split the examples come from"),
    system: str = typer.Option(None, "--system", help="system prompt text or @file ('' for none)"),
    timeout: float = typer.Option(120.0, "--timeout", min=0.01, help="seconds per request attempt"),
    max_retries: int = typer.Option(6, "--max-retries", min=0, help="retries per request before an error row"),
    prices: Path = typer.Option(None, "--prices", help="TOML price table overriding the shipped one"),
    no_cache: bool = typer.Option(False, "--no-cache", help="do not reuse cached responses"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    executor: str = typer.Option("local", "--executor", help="where answers are checked: local or ray"),
    ray_address: str = typer.Option(None, "--ray-address", help="Ray cluster address (with --executor ray)"),
    max_consecutive_errors: int = typer.Option(
        5,
        "--max-consecutive-errors",
        min=1,
        help="stop after this many identical errors in a row that retries cannot fix",
    ),
    no_preflight: bool = typer.Option(
        False, "--no-preflight", help="send the first request with the others (by default it goes alone first)"
    ),
    strategy: str = typer.Option(
        "direct", "--strategy", help="how items are asked: direct, repair, tools or formalize"
    ),
    rounds: int = typer.Option(
        None, "--rounds", min=1, help="repair, formalize: answers per item at most (default: repair 3, formalize 1)"
    ),
    feedback: str = typer.Option("full", "--feedback", help="repair: what a failed answer is told: full, types, bare"),
    repair_objective: bool = typer.Option(
        False, "--repair-objective", help="repair: a feasible answer that can be improved is told so (no number)"
    ),
    tools: str = typer.Option(
        "check", "--tools", help="tools: what the model may call, comma-separated: check (check_schedule), python"
    ),
    max_tool_calls: int = typer.Option(8, "--max-tool-calls", min=1, help="tools: tool calls per item at most"),
    program_timeout: float = typer.Option(
        60.0, "--program-timeout", help="formalize: seconds of wall clock per program run in the sandbox"
    ),
    program_memory: int = typer.Option(
        2048, "--program-memory", help="formalize: memory per program in MiB (address space; default 2 GiB)"
    ),
) -> None:
    """Evaluate a model on a suite: every answer is parsed, verified and stored as it arrives."""
    from schedbench.evaluate import EvalConfig
    from schedbench.evaluate import evaluate as run_evaluation
    from schedbench.llm import parse_model_args
    from schedbench.prompts import PROMPT_STYLES, PromptOptions

    try:
        model_args = parse_model_args(model_arg)
    except ValueError as exc:
        raise InputError("command line", "--model-arg", str(exc)) from None
    if executor not in ("local", "ray"):
        raise InputError("command line", "--executor", f"unknown executor {executor!r}; use local or ray")
    if prompt_style not in PROMPT_STYLES:
        raise InputError("command line", "--prompt-style", f"unknown style {prompt_style!r}; use plain or graph")
    prompt = PromptOptions(mode=mode, cot=cot, system=_system_text(system), style=prompt_style)
    config = EvalConfig(
        model=model,
        suite=suite,
        results=results,
        run=run,
        limit=limit,
        samples=samples,
        concurrency=concurrency,
        temperature=temperature,
        base_url=base_url,
        model_args=model_args,
        max_cost=max_cost,
        prices=prices,
        timeout_s=timeout,
        max_retries=max_retries,
        prompt=prompt,
        use_cache=not no_cache,
        show_progress=not quiet,
        executor=executor,
        ray_address=ray_address,
        preflight=not no_preflight,
        max_consecutive_errors=max_consecutive_errors,
        strategy=strategy,
        strategy_options={
            **_strategy_options(strategy, rounds, feedback, repair_objective, program_timeout, program_memory),
            **_tool_options(strategy, tools, max_tool_calls),
        },
    )
    from schedbench.evaluate._suite import load_suite
    from schedbench.evaluate.runner import fewer_collections

    with fewer_collections():  # from the suite's parsing on
        loaded = load_suite(suite)
        if few_shot:
            prompt.few_shot = _few_shot(few_shot, few_shot_suite, loaded.instances)
        outcome = run_evaluation(config, loaded)
    summarise(outcome, results)


def summarise(outcome: Any, results: Path) -> None:
    """One screen at the end: what this call did, the run's score, and its errors by kind. A run left with
    errors exits 1 (rerunning the same command retries them)."""
    from schedbench.cli._common import err
    from schedbench.cli.report import error_lines
    from schedbench.evaluate.metrics import summarise as score
    from schedbench.results import Store
    from schedbench.results.report import error_breakdown, item_facts

    verdict = "stopped by --max-cost" if outcome.stopped_by_budget else "complete"
    err.print(
        f"run {outcome.run}: {outcome.answered} answered ({outcome.cached} cached), {outcome.already_done} "
        f"already stored, ${outcome.cost_usd:.4f}, {outcome.rate_limits} rate limits",
        markup=False,
        highlight=False,
    )
    with Store(results) as store:  # the report's item metrics: a conversation's rounds are not read back here
        run = store.run(outcome.run)
        document = {**score(item_facts(store, run.id)), "errors_by_kind": error_breakdown(store, run.id)} if run else {}
    if not document.get("n"):
        return
    low, high = document["feasible_ci"]
    correct = round(document["feasible_rate"] * document["n"])
    gap = document["mean_gap_pct"]
    rate = document["optimal_rate"]
    optimal = "optimal -" if rate is None else f"optimal {100 * rate:.1f}% of {document['optimal_n']}"
    err.print(
        f"score: success {100 * document['feasible_rate']:.1f}% ({correct}/{document['n']}, 95% CI "
        f"{100 * low:.1f}-{100 * high:.1f}), {optimal}, mean gap "
        f"{'-' if gap is None else f'{gap:.2f}%'}; {verdict if not document['errors_by_kind'] else 'incomplete'}",
        markup=False,
        highlight=False,
    )
    for line in error_lines(document["errors_by_kind"]):
        err.print(line, markup=False, highlight=False)
    if document["errors_by_kind"]:
        raise typer.Exit(1)


def _load(suite: str) -> list[Instance]:
    from schedbench.suites import load_instances

    return load_instances(suite)


def _system_text(system: str | None) -> str | None:
    if system is None or not system.startswith("@"):
        return system
    path = Path(system[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), "--system", f"cannot read: {exc.strerror}") from None


def _few_shot(count: int, source: str | None, evaluated: list[Instance]) -> list[Instance]:
    """`count` solved examples per family from a separate split, never an evaluated instance (same data)."""
    import json

    if source is None:
        raise InputError("command line", "--few-shot-suite", "--few-shot needs a separate split to draw from")
    evaluated_data = {json.dumps(inst.data, sort_keys=True) for inst in evaluated}
    chosen: dict[str, list[Instance]] = {}
    for inst in _load(source):
        ref = inst.reference
        if (
            json.dumps(inst.data, sort_keys=True) in evaluated_data
            or ref is None
            or (ref.witness is None and ref.status != "infeasible")
        ):
            continue
        bucket = chosen.setdefault(inst.family, [])
        if len(bucket) < count:
            bucket.append(inst)
    missing = {inst.family for inst in evaluated} - chosen.keys()
    if missing:
        raise InputError(source, "--few-shot-suite", f"no solved examples of {', '.join(sorted(missing))}")
    return [inst for bucket in chosen.values() for inst in bucket]


def _strategy_options(
    strategy: str,
    rounds: int | None,
    feedback: str,
    repair_objective: bool,
    program_timeout: float = 60.0,
    program_memory: int = 2048,
) -> dict[str, Any]:
    """The options of the strategy chosen (the others' flags are ignored)."""
    if strategy == "repair":
        return {"rounds": 3 if rounds is None else rounds, "feedback": feedback, "objective_turn": repair_objective}
    if strategy == "formalize":
        return {
            "rounds": 1 if rounds is None else rounds,
            "feedback": feedback,
            "objective_turn": repair_objective,
            "program_timeout_s": program_timeout,
            "program_memory_mb": program_memory,
        }
    return {}


def _tool_options(strategy: str, tools: str, max_tool_calls: int) -> dict[str, Any]:
    """The tools strategy's options (ignored by the others)."""
    if strategy == "tools":
        return {"tools": [t.strip() for t in tools.split(",") if t.strip()], "max_tool_calls": max_tool_calls}
    return {}
