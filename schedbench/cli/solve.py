"""`schedbench solve PATH`: exact references for an instance, a suite, or an imported file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from schedbench.cli._common import out, print_json
from schedbench.importers import importer_for_suffix
from schedbench.problems import Instance
from schedbench.references import solve_references
from schedbench.suites import load_instances


def load_any(path: Path) -> list[Instance]:
    """Instances from a suite/instance file, or through the importer that reads this file type."""
    importer = importer_for_suffix(path)
    return importer([path]) if importer else load_instances(path)


def solve(
    path: Path = typer.Argument(..., help="instance .json, suite folder, .jsonl, or a .sm/.txt import"),
    time_limit: float = typer.Option(10.0, help="seconds per instance"),
    workers: int = typer.Option(2, help="parallel solves (solver threads for a single instance)"),
    as_json: bool = typer.Option(False, "--json", help="print the reference object(s) as JSON"),
) -> None:
    """Solve instances exactly and print status, objective, bound and time."""
    instances = load_any(path)
    references = solve_references(instances, time_limit=time_limit, workers=workers, show_progress=not as_json)
    rows = [{"id": inst.id, **ref.model_dump()} for inst, ref in zip(instances, references, strict=True)]
    if as_json:
        print_json(rows[0] if len(rows) == 1 else rows)
        return
    table = Table("id", "status", "objective", "bound", "time (s)", title=str(path))
    for row in rows:
        table.add_row(row["id"], row["status"], str(row["objective"]), str(row["bound"]), f"{row['time_s']:.3f}")
    out.print(table)
