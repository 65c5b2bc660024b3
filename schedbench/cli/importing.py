"""`schedbench import NAME PATH... --out DIR`: published instance sets as normal suites."""

from __future__ import annotations

from pathlib import Path

import typer

from schedbench.cli._common import err
from schedbench.errors import InputError
from schedbench.importers import importer_for_suffix, importers
from schedbench.references import solve_references
from schedbench.suites import write_suite

app = typer.Typer(help="Import published instance sets as suites (references solved).", no_args_is_help=True)


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


def _register(name: str) -> None:
    def command(
        paths: list[Path] = typer.Argument(..., help="files to import (a folder stands for its files)"),
        out: Path = typer.Option(..., "--out", help="suite folder to write"),
        time_limit: float = typer.Option(10.0, min=0.001, help="seconds per instance for the reference"),
        workers: int = typer.Option(2, min=1, help="parallel solves"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    ) -> None:
        paths = expand_folders(name, paths)
        instances = importers()[name].read(paths)
        references = solve_references(instances, time_limit=time_limit, workers=workers, show_progress=not quiet)
        for inst, ref in zip(instances, references, strict=True):
            inst.reference = ref
        manifest = {
            "family": instances[0].family if instances else None,
            "generator": f"import:{name}",
            "parameters": {"files": [str(p) for p in paths]},
            "seed": None,
            "reference_solver": references[0].solver if references else "",
            "time_limit_s": time_limit,
        }
        err.print(f"wrote {write_suite(out, instances, manifest)}")

    command.__doc__ = importers()[name].description or f"Import {name} files."
    app.command(name)(command)


for _name in importers():
    _register(_name)
