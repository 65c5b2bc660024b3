"""Exact references for many instances at once: parallel solving, witness checks, progress — and the one
generate-and-solve path (`generate_instances`, `generate_suite`) that the command line, the API, evolution,
the demo, tests and benchmarks share."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from schedbench._io import progress_bar
from schedbench.errors import OptionError
from schedbench.executors import ExecutorName, capped_workers, map_ordered
from schedbench.problems import Family, Instance, Reference, get_family


def solve_payload(payload: tuple[str, dict[str, Any], float, int, dict[str, Any] | None]) -> dict[str, Any]:
    """Worker entry point: (family, data, time limit, solver threads, hint) → reference as a dict. The time limit
    covers the whole solve (`schedbench.solvers._deadline`)."""
    family_name, raw, time_limit, threads, hint = payload
    return solve_data(get_family(family_name), raw, time_limit, threads, hint).model_dump()


def solve_data(
    family: Family, raw: Mapping[str, Any], time_limit: float, threads: int, hint: dict[str, Any] | None
) -> Reference:
    """The family's reference for raw instance data, stopped at the time limit (`schedbench.solvers._deadline`).
    The limit covers reading the data into the family's model as well: on a huge instance that takes seconds.
    Raises pydantic.ValidationError when the data do not fit the family's data model."""
    from schedbench.solvers import _deadline

    def read_and_solve(data: Mapping[str, Any], **options: Any) -> Reference:
        _deadline.stage("reading the instance data")
        return family.solve(family.parse_data(data), **options)

    return _deadline.solve_within(read_and_solve, raw, time_limit, threads, hint)


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
    # closing: a Ctrl-C that lands here rather than inside the generator must still stop the workers at once;
    # left to the garbage collector, the pool would be drained of all its queued work at interpreter exit
    with closing(results), progress_bar(show_progress) as progress:
        task = progress.add_task("solving references", total=len(payloads))
        for inst, raw in zip(instances, results, strict=True):
            references.append(with_published(inst, Reference.model_validate(raw)))
            progress.advance(task)
    return references


def published_lower_bound(inst: Instance) -> tuple[int | float | None, str]:
    """The proven lower bound an imported instance carries (`published_optimum`, else the lower end of
    `published_bounds`), and its source."""
    extra = inst.model_extra or {}
    source = str(extra.get("published_source", "published"))
    if isinstance(extra.get("published_optimum"), int | float):
        return extra["published_optimum"], source
    bounds = extra.get("published_bounds")
    if isinstance(bounds, dict) and isinstance(bounds.get("lower"), int | float):
        return bounds["lower"], source
    return None, source


def with_published(inst: Instance, reference: Reference) -> Reference:
    """A reference strengthened by the instance's published lower bound: a schedule whose objective equals
    it is optimal — `source: published` says the proof is the published value, not this search — and a weaker
    proven bound is raised to it (`bound_source` names where the value comes from)."""
    lower, source = published_lower_bound(inst)
    if lower is None or reference.objective is None or reference.status != "feasible":
        return reference
    if reference.objective == lower:
        return reference.model_copy(
            update={"status": "optimal", "bound": reference.objective, "bound_source": source, "source": "published"}
        )
    if reference.bound is None or reference.bound < lower:
        return reference.model_copy(update={"bound": lower, "bound_source": source})
    return reference


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


def generate_instances(family: Family, config: Any, show_progress: bool = True) -> list[Instance]:
    """Generate a family's instances and solve their exact references (in parallel, `config.workers` at a time).

    Args:
        family: the family record.
        config: an instance of `family.generator_config` (levels, stages, seed, time limit, workers, executor).
        show_progress: draw a progress bar on stderr.

    Returns:
        The instances, each with its reference, in generation order.

    Raises:
        OptionError: an option the generator rejects, or an instance built infeasible that the solver did not
            prove infeasible within `config.time_limit` (option `time_limit`).
        RuntimeError: a reference contradicts the construction (a generator or solver bug, never bad input).
    """
    try:
        drafts = family.generate(config)
    except ValueError as exc:
        raise OptionError(None, str(exc)) from None
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
            raise OptionError(
                "time_limit",
                f"{draft.instance.id} was built infeasible but not "
                f"proven so within {config.time_limit:g} s; raise the time limit",
            )
        problem = check_reference(draft.instance, draft.expect)
        if problem:
            raise RuntimeError(f"{draft.instance.id}: {problem}")
    return instances


def generate_suite(family: Family, config: Any, out: Path, show_progress: bool = True) -> Path:
    """Generate and solve (`generate_instances`), then write the suite folder with its manifest.

    Returns:
        The suite folder written.

    Raises:
        OptionError, RuntimeError: as `generate_instances`; InputError when the folder cannot be written.
    """
    from schedbench.suites import write_suite

    instances = generate_instances(family, config, show_progress)
    manifest = {
        "family": family.name,
        "generator": family.generate.__module__,
        "parameters": config.model_dump(exclude={"workers", "executor", "ray_address"}),
        "seed": config.seed,
        "reference_solver": instances[0].reference.solver if instances and instances[0].reference else "",
        "time_limit_s": config.time_limit,
    }
    return write_suite(out, instances, manifest)
