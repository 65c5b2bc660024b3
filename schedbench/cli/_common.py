"""Helpers shared by the commands: consoles, JSON output, options derived from pydantic models."""

from __future__ import annotations

import inspect
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from schedbench._json import dumps
from schedbench.errors import InputError, pydantic_location, pydantic_message

out = Console()
err = Console(stderr=True)


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(dumps(document, indent=2) + "\n")


def build_config(model: type[BaseModel], values: dict[str, Any], source: str = "command line") -> Any:
    """Validate command-line values into a config model; bad values are InputErrors naming the option."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        option = "--" + pydantic_location(exc).replace("_", "-")
        raise InputError(source, option, pydantic_message(exc)) from None


def _cli_type(annotation: Any) -> Any:
    """Typer-friendly type for a pydantic field annotation (Literal → str, X | None → Optional[X])."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return str
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return typing.Optional[_cli_type(args[0])] if len(args) == 1 else str  # noqa: UP045
    return annotation


def options_from_model(
    model: type[BaseModel], leading: list[inspect.Parameter], body: Callable[..., None]
) -> Callable[..., None]:
    """A typer command whose options are `leading` plus one option per field of `model`.

    `body(**values)` receives every value; field values are validated by the model (so choices are checked).
    """
    params = list(leading)
    annotations: dict[str, Any] = {p.name: p.annotation for p in leading}
    for name, field in model.model_fields.items():
        help_text = field.description or ""
        if typing.get_origin(field.annotation) is typing.Literal:
            help_text += f" [{'|'.join(map(str, typing.get_args(field.annotation)))}]"
        kind = _cli_type(field.annotation)
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=kind,
                default=typer.Option(field.default, help=help_text),
            )
        )
        annotations[name] = kind

    def command(**values: Any) -> None:
        body(**values)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # typer reads the options here
    command.__annotations__ = annotations
    return command


def check_destination(out: Path, overwrite: bool) -> None:
    """InputError (exit 2) unless a suite may be written to `out`: a new or empty folder, or with `--overwrite`
    a folder holding only an earlier suite. Checked before any work, so nothing is solved for nothing."""
    from schedbench.suites import SUITE_FILES

    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(str(out), "--out", "exists and is a file; a suite is a folder: choose another --out")
    held = sorted(p.name for p in out.iterdir())
    if not held:
        return
    if not overwrite:
        raise InputError(str(out), "--out", "exists and is not empty; pass --overwrite to replace it")
    strangers = [name for name in held if name not in SUITE_FILES]
    if strangers:
        raise InputError(
            str(out), "--out", f"holds files that are not a suite ({', '.join(strangers[:3])}); choose another --out"
        )
