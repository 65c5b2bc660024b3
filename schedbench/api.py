"""The Python API: `import schedbench as sb`, then `sb.generate`, `sb.load_suite`, `sb.solve`, `sb.verify`,
`sb.evaluate` / `await sb.evaluate_async` and `sb.report`. The command line is a thin layer over the same
library functions.

Errors are the library's own (`schedbench.errors`): `OptionError` for a bad option (named by its keyword
argument), `InputError` for bad input data (naming the file or instance and the field), `UnknownFamilyError`
for a family nobody registered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench.errors import OptionError, pydantic_location, pydantic_message
from schedbench.problems import Instance, Reference, Verification, get_family

DEFAULT_RESULTS = Path("results/schedbench.db")


@dataclass
class EvalResult:
    """What `evaluate` gives back: the run's name, its metrics (the report document of
    `schedbench report RUN --json`), every stored item, and what this call did."""

    run: str
    metrics: dict[str, Any]
    items: list[dict[str, Any]]
    outcome: Any
    results: Path

    @property
    def feasible_rate(self) -> float:
        """Successes over all items (parse and API errors count as failures)."""
        return float(self.metrics["feasible_rate"])

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"EvalResult(run={self.run!r}, n={m['n']}, feasible_rate={m['feasible_rate']:.3f}, "
            f"optimal_rate={m['optimal_rate']}, mean_gap_pct={m['mean_gap_pct']})"
        )


def generate(
    family: str, *, out: str | Path | None = None, show_progress: bool = False, **options: Any
) -> list[Instance]:
    """Generate instances of a family and solve their exact references.

    Args:
        family: a registered family's name (`sb.families()` lists them).
        out: if given, the suite folder to write (instances.jsonl, instances.parquet, manifest.json).
        show_progress: draw a progress bar on stderr while references are solved.
        **options: generator options, named as in `schedbench generate FAMILY --help` with underscores
            (levels="5,10", per_level=2, stage="all", seed=1, time_limit=10, workers=2, ...).

    Returns:
        The instances, each with its reference (status, objective, bound, witness).

    Raises:
        UnknownFamilyError: no such family.
        OptionError: an option the generator rejects (named by its keyword).
        RuntimeError: a reference contradicts the construction (a bug, never bad input).
    """
    from schedbench.references import generate_instances, generate_suite

    record = get_family(family)
    try:
        config = record.generator_config.model_validate(options)
    except ValidationError as exc:
        raise OptionError(pydantic_location(exc), pydantic_message(exc)) from None
    if out is None:
        return generate_instances(record, config, show_progress)
    return load_suite(generate_suite(record, config, Path(out), show_progress))


def load_suite(path_or_name: str | Path) -> list[Instance]:
    """Instances of a suite: a suite folder, a .jsonl/.json/.parquet file, or a Hugging Face dataset name.

    Args:
        path_or_name: where the suite is.

    Returns:
        The instances in suite order (with their references when the suite has them).

    Raises:
        InputError: the suite cannot be read, names an unknown family, or repeats an instance id.
    """
    from schedbench.evaluate._suite import load_suite as read

    return read(path_or_name).instances


def solve(instance: Instance, *, time_limit: float = 10.0, workers: int = 1) -> Reference:
    """The exact reference of one instance (its family's solver).

    Args:
        instance: the instance (its reference, if any, is neither used nor changed).
        time_limit: solver time limit in seconds; it covers the whole solve (heuristics and model building
            included): wall-clock seconds with several workers, CP-SAT's deterministic time with one (the wall
            clock then stops the solve at three times the limit).
        workers: solver threads.

    Returns:
        The reference: status (optimal, feasible, infeasible or unknown), objective, bound and witness; `note`
        says when the time limit stopped the solve before it finished (the best schedule found by then stands).

    Raises:
        UnknownFamilyError: the instance's family is not registered.
        pydantic.ValidationError: the instance data do not fit the family's data model.
    """
    from schedbench.references import solve_data

    return solve_data(get_family(instance.family), instance.data, time_limit, workers, None)


def verify(instance: Instance, answer: dict[str, Any] | str, *, mode: str = "plan") -> Verification:
    """Check an answer against an instance: every broken constraint is named.

    Args:
        instance: the instance; its reference, when present, gives the gap and optimality.
        answer: the answer as a JSON object (dict), or a model's reply text (the answer is extracted as in
            an evaluation: the last JSON object with the answer's fields).
        mode: the question mode the answer replies to (for reply text).

    Returns:
        The verification: feasible, correct, objective, gap and the violations.

    Raises:
        UnknownFamilyError: the instance's family is not registered.
        ValueError: reply text holding no answer (the message says why).
    """
    from schedbench.prompts import answer_shape, extract_answer

    family = get_family(instance.family)
    if isinstance(answer, str):
        extraction = extract_answer(answer, answer_shape(family.name, mode))
        if extraction.answer is None:
            raise ValueError(f"no answer in the reply: {extraction.error}")
        answer = extraction.answer
    return family.verify(family.parse_data(instance.data), answer, instance.reference)


def evaluate(
    model: str,
    suite: str | Path | Sequence[Instance],
    *,
    results: str | Path = DEFAULT_RESULTS,
    run: str | None = None,
    show_progress: bool = False,
    **options: Any,
) -> EvalResult:
    """Ask a model every item of a suite, verify each answer and store it; resumes a run it finds.

    Args:
        model: a model spec (`openai/gpt-4.1-mini`, `baseline/lft`, `oracle/exact`, ...).
        suite: a suite location (as `load_suite` reads) or instances in memory.
        results: the SQLite results database.
        run: the run's name (default: derived from model, suite and options, so the same call resumes).
        show_progress: draw a progress bar on stderr.
        **options: further fields of `schedbench.evaluate.EvalConfig` (samples, limit, concurrency,
            base_url, model_args, max_cost, prices, timeout_s, ...) and of `PromptOptions` (mode, cot,
            system, few_shot).

    Returns:
        An EvalResult: the run's name, its metrics and its items. Called where an event loop already runs
        (a notebook cell), the run happens in a worker thread and this call waits for it; `evaluate_async`
        waits without blocking that loop.

    Raises:
        OptionError: a bad option (unknown model spec, question mode the family lacks, ...).
        InputError: the suite cannot be read.
        TypeError: an option that neither EvalConfig nor PromptOptions has.
    """
    from schedbench.evaluate import EvalConfig
    from schedbench.evaluate import evaluate as run_evaluation
    from schedbench.prompts import PromptOptions

    prompt_fields = set(PromptOptions.__dataclass_fields__)
    prompt = PromptOptions(**{k: v for k, v in options.items() if k in prompt_fields})
    rest = {k: v for k, v in options.items() if k not in prompt_fields}
    instances = None if isinstance(suite, str | Path) else list(suite)
    location = str(suite) if instances is None else "memory"
    config = EvalConfig(
        model=model,
        suite=location,
        results=Path(results),
        run=run,
        prompt=prompt,
        show_progress=show_progress,
        **rest,
    )
    if _loop_running():  # e.g. a notebook cell: the run needs a loop of its own, so it gets its own thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            outcome = pool.submit(run_evaluation, config, instances).result()
    else:
        outcome = run_evaluation(config, instances)
    return _result(outcome, Path(results))


async def evaluate_async(model: str, suite: str | Path | Sequence[Instance], **options: Any) -> EvalResult:
    """`evaluate` for code that already runs an event loop (Jupyter, an async service): the run gets its own
    loop in a worker thread, so the caller's loop keeps running. Same arguments, result and errors."""
    return await asyncio.to_thread(evaluate, model, suite, **options)


def report(run: str | EvalResult, *, results: str | Path = DEFAULT_RESULTS) -> dict[str, Any]:
    """The report document of a stored run (what `schedbench report RUN --json` prints).

    Args:
        run: the run's name, or the EvalResult of `evaluate`.
        results: the results database (taken from the EvalResult when one is given).

    Returns:
        The document: rates with Wilson intervals, gaps, WAUC, breakpoint, taxonomy, by level/stage, cost.

    Raises:
        KeyError: no run of that name in the database.
    """
    from schedbench.results.report import build_report
    from schedbench.results.store import Store

    if isinstance(run, EvalResult):
        results = run.results
        run = run.run
    with Store(results) as store:
        row = store.run(run)
        if row is None:
            raise KeyError(f"no run {run!r} in {results}")
        return build_report(store, row)


def families() -> list[str]:
    """The names of every registered family."""
    from schedbench.problems import family_names

    return family_names()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _result(outcome: Any, results: Path) -> EvalResult:
    from schedbench.results.report import build_report
    from schedbench.results.store import Store

    with Store(results) as store:
        row = store.run(outcome.run)
        if row is None:  # evaluate has just written it: only a database changed underneath could do this
            raise RuntimeError(f"run {outcome.run!r} is missing from {results}")
        return EvalResult(outcome.run, build_report(store, row), list(store.items(row.id)), outcome, results)
