"""`schedbench generate FAMILY`: build a suite and solve its exact references."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import typer

from schedbench.cli._common import build_config, err, options_from_model
from schedbench.errors import InputError
from schedbench.problems import Family, family_names, get_family
from schedbench.references import check_reference, solve_references
from schedbench.suites import write_suite

app = typer.Typer(help="Generate a suite of one family (references solved exactly).", no_args_is_help=True)


def run_generate(family: Family, config: Any, out: Path, show_progress: bool = True) -> Path:
    """Generate, solve references in parallel, check them against the construction, write the suite."""
    try:
        drafts = family.generate(config)
    except ValueError as exc:
        raise InputError("command line", None, str(exc)) from None
    instances = [d.instance for d in drafts]
    references = solve_references(
        instances,
        [d.hint for d in drafts],
        time_limit=config.time_limit,
        workers=config.workers,
        executor=config.executor,
        ray_address=config.ray_address,
        show_progress=show_progress,
    )
    for draft, reference in zip(drafts, references, strict=True):
        draft.instance.reference = reference
        if draft.expect == "infeasible" and reference.status == "unknown":
            raise InputError(
                "command line",
                "--time-limit",
                f"{draft.instance.id} was built infeasible but not "
                f"proven so within {config.time_limit:g} s; raise the time limit",
            )
        problem = check_reference(draft.instance, draft.expect)
        if problem:  # a generator or solver bug, never bad input
            raise RuntimeError(f"{draft.instance.id}: {problem}")
    manifest = {
        "family": family.name,
        "generator": f"schedbench.generators.{family.name}",
        "parameters": config.model_dump(exclude={"workers", "executor", "ray_address"}),
        "seed": config.seed,
        "reference_solver": references[0].solver if references else "",
        "time_limit_s": config.time_limit,
    }
    return write_suite(out, instances, manifest)


def _register(name: str) -> None:
    family = get_family(name)
    out_param = inspect.Parameter(
        "out",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Path,
        default=typer.Option(..., "--out", help="suite folder to write"),
    )
    quiet = inspect.Parameter(
        "quiet",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--quiet", help="no progress bar"),
    )

    def body(out: Path, quiet: bool, **values: Any) -> None:
        config = build_config(family.generator_config, values)
        folder = run_generate(family, config, out, show_progress=not quiet)
        err.print(f"wrote {folder}")

    app.command(name, help=family.description)(options_from_model(family.generator_config, [out_param, quiet], body))


for _name in family_names():
    _register(_name)
