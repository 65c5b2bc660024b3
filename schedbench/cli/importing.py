"""`schedbench import NAME PATH... --out DIR`: published instance sets as normal suites."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from schedbench import datasets
from schedbench.cli._common import check_destination, err
from schedbench.errors import InputError
from schedbench.importers import attach_shipped_values, importers, load_published, reads_from_folder
from schedbench.problems import Instance
from schedbench.references import solve_references
from schedbench.suites import write_suite

app = typer.Typer(
    help="Import instance files, or a published set by name (schedbench datasets), as a suite (references solved).",
    no_args_is_help=True,
)


def expand_folders(name: str, paths: list[Path]) -> list[Path]:
    """Paths with every folder replaced by the files in it that this importer reads by suffix (name order)."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and reads_from_folder(name, p))
        if not found:
            raise InputError(str(path), None, f"no files that the {name} importer reads in this folder")
        files += found
    return files


def solve_and_write(
    name: str, paths: list[Path], instances: list[Instance], out: Path, time_limit: float, workers: int, quiet: bool
) -> Path:
    """Solve the imported instances' references and write them as a suite."""
    references = solve_references(instances, time_limit=time_limit, workers=workers, show_progress=not quiet)
    for inst, ref in zip(instances, references, strict=True):
        inst.reference = ref
    manifest = {
        "family": instances[0].family if instances else None,
        "generator": f"import:{name}",
        "parameters": {"files": [str(p) for p in paths]},
        "seed": None,
        "reference_solver": sorted({r.solver for r in references}) if references else "",
        "time_limit_s": time_limit,
    }
    return write_suite(out, instances, manifest)


OUT = typer.Option(..., "--out", help="suite folder to write")
TIME_LIMIT = typer.Option(10.0, min=0.001, help="seconds per instance for the reference")
WORKERS = typer.Option(2, min=1, help="parallel solves")
QUIET = typer.Option(False, "--quiet", help="no progress bar")
OVERWRITE = typer.Option(False, "--overwrite", help="replace the suite already in --out")


def _register(name: str) -> None:
    def command(
        paths: list[Path] = typer.Argument(..., help="files to import (a folder stands for its files)"),
        out: Path = OUT,
        time_limit: float = TIME_LIMIT,
        workers: int = WORKERS,
        quiet: bool = QUIET,
        overwrite: bool = OVERWRITE,
    ) -> None:
        check_destination(out, overwrite)
        paths = expand_folders(name, paths)
        instances = importers()[name].read(paths)
        attach_shipped_values(name, instances)
        err.print(f"wrote {solve_and_write(name, paths, instances, out, time_limit, workers, quiet)}")

    command.__doc__ = importers()[name].description or f"Import {name} files."
    app.command(name)(command)


DEDICATED = ("asynchow",)
"""Importers with their own command below (they take more options than the generic one)."""

for _name in importers():
    if _name not in DEDICATED:
        _register(_name)


@app.command("asynchow")
def import_asynchow(
    paths: list[Path] = typer.Argument(..., help="AsyncHow .jsonl files (a folder stands for its .jsonl files)"),
    out: Path = typer.Option(..., "--out", help="suite folder to write"),
    stage: str = typer.Option(
        "unlimited", help="comma-separated stages: unlimited (AsyncHow's question), one_agent, two_agents; or all"
    ),
    time_limit: float = typer.Option(10.0, min=0.001, help="seconds per instance for the reference"),
    workers: int = typer.Option(2, min=1, help="parallel solves"),
    quiet: bool = QUIET,
    overwrite: bool = OVERWRITE,
) -> None:
    """Import AsyncHow plans: the gold range answers the time question; agent stages get CP-SAT references."""
    from schedbench.importers import asynchow

    check_destination(out, overwrite)
    stages = list(asynchow.STAGES) if stage == "all" else [s.strip() for s in stage.split(",") if s.strip()]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise InputError(str(path), None, "no .jsonl files in this folder")
            files += found
        else:
            files.append(path)
    instances = asynchow.read_files(files, stages)
    err.print(f"wrote {solve_and_write('asynchow', files, instances, out, time_limit, workers, quiet)}")


def _register_published(name: str) -> None:
    def command(
        out: Path = typer.Option(..., "--out", help="suite folder to write"),
        time_limit: float = typer.Option(10.0, min=0.001, help="seconds per instance for the reference"),
        workers: int = typer.Option(2, min=1, help="parallel solves"),
        quiet: bool = QUIET,
        overwrite: bool = OVERWRITE,
    ) -> None:
        check_destination(out, overwrite)
        instances = load_published(name, published_references=False)
        folder = solve_and_write(name, datasets.files(name), instances, out, time_limit, workers, quiet)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        manifest["parameters"] = {"published_set": name}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        err.print(f"wrote {folder}")

    published = datasets.resolve(name)
    command.__doc__ = f"Import the published set {name} ({published.count} {published.family} instances)."
    app.command(name)(command)


for _name in datasets.names():
    _register_published(_name)
