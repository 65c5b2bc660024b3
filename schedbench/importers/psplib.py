"""PSPLIB .sm files (single-mode RCPSP) through the `psplib` package; the dummy source and sink are dropped."""

from __future__ import annotations

from pathlib import Path

from schedbench.errors import InputError
from schedbench.problems import Instance
from schedbench.problems.rcpsp import RcpspData, Resource, Task


def read_file(path: Path) -> Instance:
    """One PSPLIB instance as an RCPSP instance: activities 1..n become T1..Tn, resources R1..Rk."""
    import psplib

    try:
        project = psplib.parse(str(path), instance_format="psplib")
    except FileNotFoundError:
        raise InputError(str(path), None, "no such file") from None
    except Exception as exc:  # the parser raises IndexError/ValueError/... on truncated or foreign files
        raise InputError(
            str(path), None, f"not a valid PSPLIB .sm file ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from None
    activities = project.activities
    if len(activities) < 3 or not project.resources:
        raise InputError(str(path), "activities", "a PSPLIB project needs a source, a sink and resources")
    last = len(activities) - 1
    resources = [Resource(id=f"R{k + 1}", capacity=r.capacity) for k, r in enumerate(project.resources)]
    tasks, edges = [], []
    for index in range(1, last):
        activity = activities[index]
        if len(activity.modes) != 1:
            raise InputError(str(path), f"activity {index}", "multi-mode activities are not supported")
        mode = activity.modes[0]
        demands = {f"R{k + 1}": q for k, q in enumerate(mode.demands) if q > 0}
        tasks.append(Task(id=f"T{index}", duration=mode.duration, demands=demands))
        edges += [(f"T{index}", f"T{succ}") for succ in activity.successors if 0 < succ < last]
    horizon = max(1, sum(t.duration for t in tasks))
    data = RcpspData(horizon=horizon, resources=resources, tasks=tasks, precedences=edges)
    return Instance(
        id=path.stem,
        family="rcpsp",
        level=len(edges),
        stage="psplib",
        scenario="abstract",
        seed=0,
        data=data.model_dump(),
    )


def read_files(paths: list[Path]) -> list[Instance]:
    """Every file, in the order given."""
    return [read_file(p) for p in paths]
