"""`schedbench generate FAMILY`: build a suite and solve its exact references."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import typer

from schedbench.cli._common import build_config, check_destination, err, options_from_model
from schedbench.problems import family_names, get_family
from schedbench.references import generate_suite

app = typer.Typer(help="Generate a suite of one family (references solved exactly).", no_args_is_help=True)


def _register(name: str) -> None:
    family = get_family(name)
    out_param = inspect.Parameter(
        "out",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Path,
        default=typer.Option(..., "--out", help="suite folder to write"),
    )
    overwrite = inspect.Parameter(
        "overwrite",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--overwrite", help="replace the suite already in --out"),
    )
    quiet = inspect.Parameter(
        "quiet",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--quiet", help="no progress bar"),
    )

    def body(out: Path, overwrite: bool, quiet: bool, **values: Any) -> None:
        config = build_config(family.generator_config, values)
        check_destination(out, overwrite)
        folder = generate_suite(family, config, out, show_progress=not quiet)
        err.print(f"wrote {folder}")

    command = options_from_model(family.generator_config, [out_param, overwrite, quiet], body)
    app.command(name, help=family.description)(command)


for _name in family_names():
    _register(_name)
