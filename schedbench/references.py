"""Exact references for many instances at once: parallel solving, witness checks, progress."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schedbench.executors import ExecutorName, capped_workers, map_ordered
from schedbench.problems import Instance, Reference, get_family


def solve_payload(payload: tuple[str, dict[str, Any], float, int, dict[str, Any] | None]) -> dict[str, Any]:
    """Worker entry point: (family, data, time limit, solver threads, hint) → reference as a dict."""
    family_name, raw, time_limit, threads, hint = payload
    family = get_family(family_name)
    data = family.parse_data(raw)
    return family.solve(data, time_limit=time_limit, workers=threads, hint=hint).model_dump()


def solve_references(
    instances: Sequence[Instance],
    hints: Sequence[dict[str, Any] | None] | None = None,
    time_limit: float = 10.0,
    workers: int = 1,
    executor: ExecutorName = "local",
    ray_address: str | None = None,
    show_progress: bool = True,
) -> list[Reference]:
    """Solve every instance (one solver thread each, `workers` at a time), in input order.

    A single instance gets all `workers` as solver threads instead.
    """
    hints = hints or [None] * len(instances)
    threads = capped_workers(workers, os.cpu_count() or 1) if len(instances) == 1 else 1
    payloads = [
        (inst.family, inst.data, time_limit, threads, hint) for inst, hint in zip(instances, hints, strict=True)
    ]
    results = map_ordered(solve_payload, payloads, workers=workers, executor=executor, ray_address=ray_address)
    references: list[Reference] = []
    with progress_bar(show_progress) as progress:
        task = progress.add_task("solving references", total=len(payloads))
        for raw in results:
            references.append(Reference.model_validate(raw))
            progress.advance(task)
    return references


def check_reference(inst: Instance, expect: str) -> str | None:
    """Why an instance's reference contradicts what its generator built, or None when it agrees.

    A reference holding a witness must pass the family verifier; an instance built infeasible must be
    proven infeasible; one built feasible must not be.
    """
    ref = inst.reference
    if ref is None:
        return "no reference"
    if ref.witness is not None:
        family = get_family(inst.family)
        result = family.verify(family.parse_data(inst.data), ref.witness, ref)
        if not result.feasible:
            return f"witness fails the verifier: {result.violations[0].detail}"
    if expect == "infeasible" and ref.status != "infeasible":
        return f"built infeasible, but the solver says {ref.status}"
    if expect == "feasible" and ref.status == "infeasible":
        return "built feasible, but the solver proved it infeasible"
    return None


def progress_bar(enabled: bool = True) -> Progress:
    """The rich progress bar used for long work; it draws on stderr, so stdout stays clean for --json."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )
