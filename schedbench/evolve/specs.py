"""What evolution needs to know about a family: the `EvolveSpec` its record returns (`Family.evolve`).

A spec says which seed programs exist, how typed instance data becomes the candidate's plain input, how the
candidate's output becomes a solution for the family verifier (never raising: anything malformed becomes a
solution the verifier rejects with a reason), which baseline rule is the 0 point of the normalised score,
which generator options build the default training set and the tiny stage-1 set, and which expression
fragments the offline mutator may recombine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedbench.problems import get_family


@dataclass(frozen=True)
class EvolveSpec:
    """Evolution bindings of one family.

    `rule_function` names the function inside the EVOLVE block that the offline mutator edits; `rule_kind` says
    whether it returns one value per call ("scalar", vocabulary over `j` and the function's arguments) or a
    list ("list", vocabulary over `i` and `instance`, valid in any seed's rule function). `seeds` are program
    files by name; `task` is the Jinja file describing the task to a model. `held_out` are the published sets
    of `schedbench evolve report` (label, name of a set in `schedbench.datasets`); `report_levels` the levels of
    its generated held-out sets (default: the training levels).
    """

    family: str
    seeds: Mapping[str, Path]
    default_seed: str
    to_input: Callable[[Any], dict[str, Any]]
    to_solution: Callable[[Any, Any], Any]
    zero_point: str
    train: Mapping[str, Any]
    gate: Mapping[str, Any]
    vocabulary: tuple[str, ...]
    rule_function: str
    task: Path
    rule_kind: str = "scalar"
    comparison: tuple[str, ...] = ()
    array_fields: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    held_out: tuple[tuple[str, str], ...] = ()
    report_levels: str | None = None

    def seed_code(self, name: str | None = None) -> str:
        """The text of a seed program (the default one when `name` is None)."""
        key = name or self.default_seed
        if key not in self.seeds:
            raise KeyError(f"no seed {key!r} for {self.family}; known: {', '.join(self.seeds)}")
        return self.seeds[key].read_text(encoding="utf-8")


def seed_file(name: str) -> Path:
    """A seed program shipped with schedbench (`schedbench/evolve/seeds/NAME`)."""
    return Path(__file__).parent / "seeds" / name


def task_file(name: str) -> Path:
    """A task description shipped with schedbench (`schedbench/evolve/templates/NAME`)."""
    return Path(__file__).parent / "templates" / name


def as_index(value: Any, n: int) -> int | None:
    """`value` as an index in 0..n-1 (integral floats accepted), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < n else None


def get_spec(family: str) -> EvolveSpec:
    """The evolve spec of a registered family.

    Raises:
        KeyError: the family is not registered, or has no evolve spec (the message names the evolvable ones).
    """
    from schedbench.problems import family_names

    record = get_family(family)
    if record.evolve is None:
        evolvable = [name for name in family_names() if get_family(name).evolve is not None]
        raise KeyError(f"no evolve spec for family {family!r}; evolvable: {', '.join(evolvable)}")
    return record.evolve()
