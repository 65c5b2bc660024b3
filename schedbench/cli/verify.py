"""`schedbench verify`: check one solution against one instance."""

from __future__ import annotations

from pathlib import Path

import typer

from schedbench import api
from schedbench.cli._common import out, print_json
from schedbench.cli.solve import load_any
from schedbench.errors import InputError
from schedbench.suites import read_json_file


def verify(
    instance: Path = typer.Option(..., help="instance .json (or a suite with --id)"),
    solution: Path = typer.Option(..., help="solution .json"),
    instance_id: str = typer.Option(None, "--id", help="which instance of a suite"),
    as_json: bool = typer.Option(False, "--json", help="print the verification result as JSON"),
) -> None:
    """Verify a solution: feasibility with a named violation per broken constraint, objective and gap."""
    candidates = load_any(instance)
    if instance_id is not None:
        candidates = [c for c in candidates if c.id == instance_id]
    if len(candidates) != 1:
        raise InputError(str(instance), "--id", f"expected one instance, found {len(candidates)}")
    inst = candidates[0]
    result = api.verify(inst, read_json_file(solution))
    if as_json:
        print_json(result.model_dump(exclude_none=True))
        return
    verdict = "[green]feasible[/]" if result.feasible else "[red]infeasible[/]"
    out.print(
        f"{inst.id}: {verdict}, objective {result.objective}, reference {result.reference}"
        + (f", gap {result.gap_pct}%" if result.gap_pct is not None else "")
    )
    for v in result.violations:
        out.print(f"  {v.type}: {v.detail}")
