"""`schedbench import NAME PATH... --out DIR`: published instance sets as normal suites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from schedbench import datasets
from schedbench.cli._common import err
from schedbench.errors import InputError
from schedbench.importers import importer_for_suffix, importers, load_published
from schedbench.problems import Instance
from schedbench.references import solve_references
from schedbench.suites import write_suite

app = typer.Typer(
    help="Import instance files, or a published set by name (schedbench datasets), as a suite (references solved).",
    no_args_is_help=True,
)


def expand_folders(name: str, paths: list[Path]) -> list[Path]:
    """Paths with every folder replaced by the files in it that this importer reads by suffix (name order)."""
    reader = importers()[name]
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and importer_for_suffix(p) is reader)
        if not found:
            raise InputError(str(path), None, f"no files that the {name} importer reads in this folder")
        files += found
    return files


def write_imported(
    instances: list[Instance],
    out: Path,
    generator: str,
    parameters: dict[str, Any],
    time_limit: float,
    workers: int,
    quiet: bool,
) -> None:
    """Solve the references of imported instances and write them as a suite folder."""
    references = solve_references(instances, time_limit=time_limit, workers=workers, show_progress=not quiet)
    for inst, ref in zip(instances, references, strict=True):
        inst.reference = ref
    manifest = {
        "family": instances[0].family if instances else None,
        "generator": generator,
        "parameters": parameters,
        "seed": None,
        "reference_solver": references[0].solver if references else "",
        "time_limit_s": time_limit,
    }
    err.print(f"wrote {write_suite(out, instances, manifest)}")


OUT = typer.Option(..., "--out", help="suite folder to write")
TIME_LIMIT = typer.Option(10.0, min=0.001, help="seconds per instance for the reference")
WORKERS = typer.Option(2, min=1, help="parallel solves")
QUIET = typer.Option(False, "--quiet", help="no progress bar")


def _register_importer(name: str) -> None:
    def command(
        paths: list[Path] = typer.Argument(..., help="files to import (a folder stands for its files)"),
        out: Path = OUT,
        time_limit: float = TIME_LIMIT,
        workers: int = WORKERS,
        quiet: bool = QUIET,
    ) -> None:
        paths = expand_folders(name, paths)
        parameters = {"files": [str(p) for p in paths]}
        write_imported(importers()[name].read(paths), out, f"import:{name}", parameters, time_limit, workers, quiet)

    command.__doc__ = importers()[name].description or f"Import {name} files."
    app.command(name)(command)


def _register_published(name: str) -> None:
    def command(out: Path = OUT, time_limit: float = TIME_LIMIT, workers: int = WORKERS, quiet: bool = QUIET) -> None:
        instances = load_published(name, published_references=False)
        write_imported(instances, out, f"import:{name}", {"published_set": name}, time_limit, workers, quiet)

    published = datasets.resolve(name)
    command.__doc__ = f"Import the published set {name} ({published.count} {published.family} instances)."
    app.command(name)(command)


for _name in importers():
    _register_importer(_name)
for _name in datasets.names():
    _register_published(_name)
