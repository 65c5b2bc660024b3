"""What evolution needs to know about each family, in one mapping (no if-chains elsewhere).

A spec says which seed programs exist, how typed instance data becomes the candidate's plain input, how the
candidate's output becomes a solution for the family verifier (never raising: anything malformed becomes a
solution the verifier rejects with a reason), which baseline rule is the 0 point of the normalised score,
which generator options build the default training set and the tiny stage-1 set, and which expression
fragments the offline mutator may recombine. Adding a family = one builder in `EVOLVE_SPECS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from schedbench.problems import get_family


@dataclass(frozen=True)
class EvolveSpec:
    """Evolution bindings of one family.

    `rule_function` names the function inside the EVOLVE block that the offline mutator edits; `rule_kind` says
    whether it returns one value per call ("scalar", vocabulary over `j` and the function's arguments) or a
    list ("list", vocabulary over `i` and `instance`, valid in any seed's rule function).
    """

    family: str
    seeds: Mapping[str, str]
    default_seed: str
    to_input: Callable[[Any], dict[str, Any]]
    to_solution: Callable[[Any, Any], Any]
    zero_point: str
    train: Mapping[str, Any]
    gate: Mapping[str, Any]
    vocabulary: tuple[str, ...]
    rule_function: str
    task: str
    rule_kind: str = "scalar"
    comparison: tuple[str, ...] = ()
    array_fields: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)

    def seed_code(self, name: str | None = None) -> str:
        """The text of a seed program (the default one when `name` is None)."""
        key = name or self.default_seed
        if key not in self.seeds:
            raise KeyError(f"no seed {key!r} for {self.family}; known: {', '.join(self.seeds)}")
        return resources.files("schedbench.evolve.seeds").joinpath(self.seeds[key]).read_text(encoding="utf-8")


def _index(value: Any, n: int) -> int | None:
    """`value` as an index in 0..n-1 (integral floats accepted), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < n else None


# --- SMTT: arrays p, d, w -> a permutation of job indices ---------------------------------------------------


def smtt_input(data: Any) -> dict[str, Any]:
    jobs = data.jobs
    return {"n": len(jobs), "p": [j.p for j in jobs], "d": [j.d for j in jobs], "w": [j.w for j in jobs]}


def smtt_solution(data: Any, output: Any) -> Any:
    """Indices → job ids; anything that is not an index becomes an id the verifier reports as unknown."""
    if not isinstance(output, list):
        return {"sequence": f"not a list: {type(output).__name__}"}
    ids = [job.id for job in data.jobs]
    sequence = []
    for value in output:
        index = _index(value, len(ids))
        sequence.append(ids[index] if index is not None else f"<not a job index: {value!r:.40}>")
    return {"sequence": sequence}


# --- RCPSP: a priority rule feeding a serial SGS -> start times ----------------------------------------------


def rcpsp_input(data: Any) -> dict[str, Any]:
    tasks = [t.id for t in data.tasks]
    task_at = {t: i for i, t in enumerate(tasks)}
    resource_at = {r.id: k for k, r in enumerate(data.resources)}
    preds: list[list[int]] = [[] for _ in tasks]
    succs: list[list[int]] = [[] for _ in tasks]
    for a, b in data.precedences:
        preds[task_at[b]].append(task_at[a])
        succs[task_at[a]].append(task_at[b])
    windows = [data.windows.get(t) for t in tasks]
    return {
        "n": len(tasks),
        "m": len(data.resources),
        "horizon": data.horizon,
        "duration": [t.duration for t in data.tasks],
        "capacity": [r.capacity for r in data.resources],
        "demand": [[t.demands.get(r.id, 0) for r in data.resources] for t in data.tasks],
        "predecessors": preds,
        "successors": succs,
        "release": [w.release if w else 0 for w in windows],
        "deadline": [w.deadline if w else None for w in windows],
        "downtime": [[resource_at[d.resource], d.start, d.end, d.capacity] for d in data.downtimes],
        "disjunctive": [[task_at[a], task_at[b]] for a, b in data.disjunctive],
    }


def rcpsp_solution(data: Any, output: Any) -> Any:
    """A list of start times by task index → {"starts": {task id: start}} (values checked by the verifier)."""
    if not isinstance(output, list):
        return {"starts": f"not a list: {type(output).__name__}"}
    return {"starts": {t.id: s for t, s in zip(data.tasks, output, strict=False)}}


# --- asyncplan: a dispatch rule feeding a list scheduler -> start times (agents by interval colouring) ----------


def asyncplan_input(data: Any) -> dict[str, Any]:
    steps = [s.id for s in data.steps]
    step_at = {s: i for i, s in enumerate(steps)}
    station_at = {s.id: k for k, s in enumerate(data.stations)}
    preds: list[list[int]] = [[] for _ in steps]
    succs: list[list[int]] = [[] for _ in steps]
    for a, b in data.precedences:
        preds[step_at[b]].append(step_at[a])
        succs[step_at[a]].append(step_at[b])
    return {
        "n": len(steps),
        "agents": data.agents,
        "duration": [s.duration for s in data.steps],
        "attended": [s.attended for s in data.steps],
        "station": [station_at[s.station] if s.station is not None else None for s in data.steps],
        "station_capacity": [s.capacity for s in data.stations],
        "predecessors": preds,
        "successors": succs,
    }


def asyncplan_solution(data: Any, output: Any) -> Any:
    """Start times by step index → a plan; agents are assigned to attended prefixes by interval colouring
    (exact on interval graphs), so a plan needing more agents than exist shows up as `unknown_agent`."""
    from schedbench.heuristics.asyncplan import assign_agents
    from schedbench.verifiers._result import as_nonnegative_int

    if not isinstance(output, list):
        return {"starts": f"not a list: {type(output).__name__}"}
    starts = {s.id: v for s, v in zip(data.steps, output, strict=False)}
    valid = {k: as_nonnegative_int(v) for k, v in starts.items()}
    agents = assign_agents(data, {k: v for k, v in valid.items() if v is not None})
    return {"starts": starts, "agents": agents}


def _smtt() -> EvolveSpec:
    return EvolveSpec(
        family="smtt",
        seeds={"mdd": "smtt_mdd.py", "edd": "smtt_edd.py"},
        default_seed="mdd",
        to_input=smtt_input,
        to_solution=smtt_solution,
        zero_point="edd",
        train={"levels": "25", "per_level": 10, "stage": "unweighted", "seed": 2025},
        gate={"levels": "6", "per_level": 1, "stage": "unweighted", "tf": "0.4,0.8", "rdd": "0.2,1.0", "seed": 7},
        vocabulary=(
            "p[j]",
            "d[j]",
            "t",
            "max(0, d[j] - t - p[j])",
            "p[j] / (t + max(p[k] for k in remaining))",
            "p[j] / (t + sum(p[k] for k in remaining) / len(remaining))",
            "max(d[j] - t, 0) / p[j]",
            "min(p[j] / (t + 1), 1)",
        ),
        rule_function="priority",
        task="task_smtt.j2",
        array_fields=("p", "d", "w"),
        comparison=("edd", "eddc", "mdd", "mddc", "psk", "aug_mddc"),
    )


def _rcpsp() -> EvolveSpec:
    return EvolveSpec(
        family="rcpsp",
        seeds={"lft": "rcpsp_lft.py", "mts": "rcpsp_mts.py"},
        default_seed="lft",
        to_input=rcpsp_input,
        to_solution=rcpsp_solution,
        zero_point="random",
        # independent draws: a training set of 40 different projects, not 2 chains of one project each
        train={
            "levels": "10-29",
            "per_level": 2,
            "stage": "precedence",
            "tasks": 12,
            "seed": 2025,
            "ramp": "independent",
        },
        gate={
            "levels": "3",
            "per_level": 1,
            "stage": "precedence,downtime,disjunctive",
            "tasks": 6,
            "seed": 7,
            "ramp": "independent",
        },
        vocabulary=(
            "instance['duration'][i]",
            "len(instance['successors'][i])",
            "len(instance['predecessors'][i])",
            "sum(instance['demand'][i])",
            "instance['release'][i]",
        ),
        rule_function="priorities",
        rule_kind="list",
        task="task_rcpsp.j2",
        comparison=("lft", "mts", "spt", "random"),
    )


def _asyncplan() -> EvolveSpec:
    return EvolveSpec(
        family="asyncplan",
        seeds={"list": "asyncplan_list.py"},
        default_seed="list",
        to_input=asyncplan_input,
        to_solution=asyncplan_solution,
        zero_point="sequential",
        train={"levels": "8-20", "per_level": 2, "stage": "two_agents,stations,combined", "seed": 2025},
        gate={"levels": "4", "per_level": 1, "stage": "one_agent,combined", "seed": 7},
        vocabulary=(
            "instance['duration'][i]",
            "instance['attended'][i]",
            "instance['duration'][i] - instance['attended'][i]",
            "len(instance['successors'][i])",
            "(instance['station'][i] is not None)",
        ),
        rule_function="priorities",
        rule_kind="list",
        task="task_asyncplan.j2",
        comparison=("list", "sequential", "random"),
    )


EVOLVE_SPECS: dict[str, Callable[[], EvolveSpec]] = {
    "smtt": _smtt,
    "rcpsp": _rcpsp,
    "asyncplan": _asyncplan,
}


def get_spec(family: str) -> EvolveSpec:
    """The evolve spec of a registered family (KeyError naming the families that have one)."""
    if family not in EVOLVE_SPECS:
        raise KeyError(f"no evolve spec for family {family!r}; evolvable: {', '.join(EVOLVE_SPECS)}")
    get_family(family)  # the family itself must be registered
    return EVOLVE_SPECS[family]()
