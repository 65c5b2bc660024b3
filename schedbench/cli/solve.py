"""`schedbench solve PATH`: exact references for an instance, a suite, or an imported file."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer
from rich.table import Table

from schedbench.cli._common import out, print_json
from schedbench.errors import InputError
from schedbench.importers import (
    detectable_by_content,
    importer_for_suffix,
    load_published,
    names_published_set,
    read_by_content,
)
from schedbench.problems import Instance
from schedbench.references import solve_references
from schedbench.suites import INSTANCES, PARQUET, load_instances


def load_any(path: Path) -> list[Instance]:
    """Instances from a suite or instance file, from a file an importer reads (.sm, .txt, or a file without a
    suffix whose content an importer recognises, as JSPLIB's `ft10`), from a folder of such files (every
    importable file in it, in name order), or from a published set's name (`psplib/j30`) when no such path
    exists."""
    if names_published_set(path):
        return load_published(path.as_posix(), published_references=False)
    importer = importer_for_suffix(path)
    if importer and path.is_file():
        return importer.read([path])
    if importer:
        raise InputError(str(path), None, "no such file")
    if detectable_by_content(path):
        return read_by_content(path)
    if path.is_dir() and not (path / INSTANCES).exists() and not (path / PARQUET).exists():
        return read_importable_files(path)
    return load_instances(path)


def read_importable_files(folder: Path) -> list[Instance]:
    """Every file of a folder that an importer reads by its suffix, and every suffix-less file whose content
    one recognises (others are left out), in name order."""
    instances: list[Instance] = []
    found = False
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if reader := importer_for_suffix(path):
            instances += reader.read([path])
            found = True
        elif detectable_by_content(path):
            with contextlib.suppress(InputError):
                instances += read_by_content(path)
                found = True
    if not found:
        raise InputError(str(folder), None, f"not a suite folder (no {INSTANCES}) and no importable files")
    return instances


def names_one_instance(path: Path, instances: list[Instance]) -> bool:
    """Whether PATH is a single instance (printed as one JSON object) rather than a collection (a list)."""
    if len(instances) != 1 or not path.is_file() or path.suffix in (".jsonl", ".parquet"):
        return False
    if path.suffix == ".json":
        return path.read_text(encoding="utf-8").lstrip().startswith("{")
    return True


def solve(
    path: Path = typer.Argument(
        ...,
        help="instance .json, suite folder, .jsonl, a .sm/.txt/.fjs import, a JSPLIB file without suffix (its "
        "format read from its content), a folder of such files, or a published set's name (schedbench datasets)",
    ),
    time_limit: float = typer.Option(
        10.0,
        min=0.001,
        help="seconds per instance, for the whole solve (heuristics and model building included); with one solver "
        "thread CP-SAT's deterministic time, the wall clock stopping it at three times the limit",
    ),
    workers: int = typer.Option(2, min=1, help="parallel solves (solver threads for a single instance)"),
    as_json: bool = typer.Option(False, "--json", help="print the reference object(s) as JSON on stdout"),
) -> None:
    """Solve instances exactly and print status, objective, bound and time.

    With --json: one reference object (with the instance id) for a single instance, a list for a collection.
    The progress bar goes to stderr. When the time limit stops a solve before it finishes, the best schedule
    found by then stands (status feasible, or unknown without one) and the reference's `note` says so.
    """
    instances = load_any(path)
    if not instances:
        raise InputError(str(path), None, "no instances to solve")
    references = solve_references(
        instances, time_limit=time_limit, workers=workers, show_progress=not as_json and len(instances) > 1
    )
    rows = [{"id": inst.id, **ref.model_dump()} for inst, ref in zip(instances, references, strict=True)]
    if as_json:
        print_json(rows[0] if names_one_instance(path, instances) else rows)
        return
    table = Table("id", "status", "objective", "bound", "time (s)", title=str(path))
    for row in rows:
        table.add_row(row["id"], row["status"], str(row["objective"]), str(row["bound"]), f"{row['time_s']:.3f}")
    out.print(table)
    for row in rows:
        if row.get("note"):
            out.print(f"{row['id']}: {row['note']}", markup=False, highlight=False)
