"""`schedbench evolve`: evolve a family's heuristic with LLMs (or the offline `baseline/mutator`), and
`schedbench evolve report DIR`: the evolved rule against the family's baselines on held-out sets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

import schedbench.evolve  # noqa: F401 - registers the offline model baseline/mutator (listed by `models`)
from schedbench.cli._common import err, out, print_json
from schedbench.errors import InputError

app = typer.Typer(
    help="Evolve scheduling heuristics with LLMs in a sandbox (OpenEvolve / ADRS style).",
    invoke_without_command=True,
    no_args_is_help=True,
)


@contextmanager
def unisolated_hint() -> Iterator[None]:
    """A refusal to run candidates without OS isolation names the flag that allows it."""
    from schedbench.sandbox import IsolationUnavailable

    try:
        yield
    except IsolationUnavailable as exc:
        raise InputError(exc.source, exc.field, f"{exc.message}; or pass --allow-unisolated (unsafe)") from None


@app.callback()
def evolve(
    ctx: typer.Context,
    family: str | None = typer.Option(
        None, "--family", help="family to evolve (any registered family with an evolve spec, e.g. smtt)"
    ),
    model: list[str] | None = typer.Option(
        None,
        "--model",
        help="model spec (repeat for an equal-weight "
        "ensemble; weights via a models list in --config), e.g. baseline/mutator",
    ),
    out_dir: Path | None = typer.Option(None, "--out", help="run folder (rerun the same command to resume)"),
    iterations: int | None = typer.Option(None, "--iterations", help="iterations in total, the seed excluded"),
    config: Path | None = typer.Option(None, "--config", help="TOML file with any knob (see evolve/config.py)"),
    workers: int | None = typer.Option(None, "--workers", help="iterations in flight at once"),
    max_cost: float | None = typer.Option(None, "--max-cost", help="stop before spending more USD than this"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (sampling, mutator)"),
    seed_program: str | None = typer.Option(None, "--seed-program", help="a seed name of the family or a file"),
    base_url: str | None = typer.Option(None, "--base-url", help="base URL for openai-compatible models"),
    model_arg: list[str] | None = typer.Option(None, "--model-arg", help="k=v passed to the model (repeatable)"),
    temperature: float | None = typer.Option(None, "--temperature"),
    executor: str | None = typer.Option(None, "--executor", help="where candidates are evaluated: local | ray"),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster address (--executor ray)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    allow_unisolated: bool = typer.Option(
        False, "--allow-unisolated", help="run candidates even without OS isolation (no bubblewrap): unsafe"
    ),
) -> None:
    """Run or resume an evolution: `schedbench evolve --family smtt --model baseline/mutator --out runs/x`."""
    if ctx.invoked_subcommand is not None:
        return
    from schedbench.evolve import load_config, run_evolution
    from schedbench.evolve.database import ITERATION_OUTCOMES
    from schedbench.llm import parse_model_args

    if out_dir is None:
        raise InputError("command line", "--out", "a run folder is required")
    try:
        args = parse_model_args(model_arg or [])
    except ValueError as exc:
        raise InputError("command line", "--model-arg", str(exc)) from None
    models = [{"spec": spec, "base_url": base_url, "model_args": args} for spec in model or []]
    overrides = {
        "family": family,
        "iterations": iterations,
        "workers": workers,
        "max_cost": max_cost,
        "seed": seed,
        "seed_program": seed_program,
        "temperature": temperature,
        "models": models or None,
        "executor": executor,
        "ray_address": ray_address,
    }
    settings = load_config(config, overrides)
    if allow_unisolated:
        settings.sandbox.allow_unisolated = True
    with unisolated_hint():
        summary = run_evolution(out_dir, settings, show_progress=not quiet)
    seed_score = f"{summary.seed_score:.3f}" if summary.seed_score is not None else "-"
    best = f"{summary.best_score:.3f}" if summary.best_score is not None else "-"
    counts = ", ".join(f"{summary.counts[k]} {k}" for k in ITERATION_OUTCOMES)
    out.print(
        f"{summary.iterations} iterations ({counts}); seed {seed_score} → best {best} ({summary.best_id}); "
        f"tokens {summary.tokens[0]:,} in / {summary.tokens[1]:,} out; cost ${summary.cost_usd:.4f}"
    )
    if summary.stopped:
        err.print(f"stopped: {summary.stopped}")
    err.print(f"wrote {out_dir}/best_program.py, best.json, history.jsonl")


@app.command("report")
def report(
    run_dir: Path = typer.Argument(..., help="an evolve run folder"),
    as_json: bool = typer.Option(False, "--json", help="print the report document as JSON"),
    sizes: str | None = typer.Option(None, "--sizes", help="generated held-out sizes, e.g. 200,500 (SMTT)"),
    per_class: int = typer.Option(1, "--per-class", help="generated instances per class and size"),
    limit: int | None = typer.Option(None, "--limit", help="at most this many instances per held-out set"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds per exact reference solve"),
    timeout: float = typer.Option(600.0, "--timeout", help="wall clock for the evolved program per held-out set"),
    html: Path | None = typer.Option(
        None, "--html", help="also write an HTML report of the run (score curve, lineage, best program)"
    ),
    plots: Path | None = typer.Option(None, "--plots", help="also write the run's charts as files here"),
) -> None:
    """The evolved rule vs the family's baselines on held-out sets, and score-over-iterations data."""
    from schedbench.evolve.report import build_report, render_report

    with unisolated_hint():
        document = build_report(
            run_dir, sizes=sizes, per_class=per_class, limit=limit, time_limit=time_limit, timeout=timeout
        )
    if html is not None or plots is not None:
        from schedbench.results.html import write_evolution_html

        written = write_evolution_html(run_dir, html or run_dir / "report.html", plots)
        err.print("wrote " + ", ".join(str(p) for p in written))
    if as_json:
        print_json(document)
    else:
        render_report(document, out)
