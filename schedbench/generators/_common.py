"""What every generator shares: the common options, the level syntax, per-instance seeding and ramp chains.

Ramps. A family whose level counts constraints of one kind can build its ramp two ways (option `ramp`):

- `independent`: every (level, index) is drawn from its own seed — a new base problem per level.
- `nested`: `per_level` *chains*; chain c has one seed (`chain_seed`), one base problem and one ordered
  sequence of constraints of the ramped kind, drawn once for the chain's top level; level k holds the first k
  of them, and everything else (the stage's extra constraints, the horizon) is the same at every level. So
  level k+1 is level k plus one constraint, and a model's results along a chain show where it breaks.

A family adds nesting by giving its config a `ramp: Ramp` field, building each chain from `chain_seed(seed, c)`
and tagging each instance with `chain_fields(family, stage, c)` (the envelope keys `ramp` and `chain` that
the runner stores and the report's chain analysis reads). Instances without these keys are independent.
Draw the chain's constraint sequence once for its top level and keep every other draw fixed, so that each
level holds the one below it; where an infeasible share applies, tip whole chains (feasibility only ever goes
from feasible to infeasible along a chain).

Per family: `rcpsp` — nested by default, one non-redundant precedence per level (`generators/rcpsp.py`);
`asyncplan` — independent by default, nested grows a plan by one step per level (`generators/asyncplan.py`);
`smtt` — independent only: its level is the number of jobs and due dates are drawn relative to the total
processing time, so a prefix of a larger instance is not an instance of the same TF × RDD class; `jobshop` —
independent by default (level = operations), nested for the stages with hard windows (`windows`, `combined`):
one shop per chain, every job's window drawn around one witness, in a random order, and level k keeps the first
k (`generators/jobshop.py`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from schedbench.problems._envelope import Instance

MAX_LEVEL = 10_000
"""The largest level a generator accepts (tasks, steps or jobs of one instance are bounded alike)."""
MAX_SIZE = 10_000
"""The largest size knob (tasks, resources per instance)."""
MAX_VALUE = 1_000_000
"""The largest drawn duration, capacity, processing time or weight."""
MAX_INSTANCES = 100_000
"""The most instances one `generate` command may build (levels × per level, before stages and classes)."""


class GeneratorConfig(BaseModel):
    """Options common to every family's generator (command-line options of `schedbench generate`)."""

    levels: str = Field("1-40", description="levels as a range, a comma list or both: 1-40, 5,10,20, 8-12,20")
    per_level: int = Field(1, ge=1, le=MAX_INSTANCES, description="instances per level (and per stage)")
    stage: str = Field("combined", description="stage, a comma list of stages, or 'all'")
    scenario: str = Field("abstract", description="scenario theme (wording only, never the numbers)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="base seed: the same command and seed give the same instances")
    time_limit: float = Field(
        10.0,
        gt=0,
        description="per-instance reference limit, in CP-SAT deterministic seconds (reproducible under load)",
    )
    workers: int = Field(2, ge=1, description="parallel reference solves (at most the cores and the instances)")
    executor: Literal["local", "ray"] = Field("local", description="where references are solved")
    ray_address: str | None = Field(None, description="Ray cluster address (with --executor ray)")

    @field_validator("levels")
    @classmethod
    def _levels_in_range(cls, value: str) -> str:
        try:
            parse_levels(value)
        except ValueError as exc:
            raise PydanticCustomError("option", str(exc)) from None
        return value

    @field_validator("per_level")
    @classmethod
    def _instances_in_range(cls, value: int, info: ValidationInfo) -> int:
        levels = info.data.get("levels")
        count = len(parse_levels(levels)) * value if levels else value
        if count > MAX_INSTANCES:
            raise PydanticCustomError(
                "option", f"{count:,} instances (levels × per level); at most {MAX_INSTANCES:,} per command"
            )
        return value


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_levels(text: str) -> list[int]:
    """'8-12,20' → [8, 9, 10, 11, 12, 20] (sorted, unique); ValueError on anything else."""
    levels: set[int] = set()
    for part in str(text).split(","):
        match = _RANGE.match(part)
        if not match or max(len(match.group(1)), len(match.group(2) or "")) > len(str(MAX_LEVEL)):
            if match:
                raise ValueError(f"level range {part.strip()!r} goes past the largest level, {MAX_LEVEL:,}")
            raise ValueError(f"cannot read level range {part.strip()!r} (use e.g. 1-40, 5,10 or 8-12,20)")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            raise ValueError(f"level range {part.strip()!r} runs backwards")
        if high > MAX_LEVEL:
            raise ValueError(f"level range {part.strip()!r} goes past the largest level, {MAX_LEVEL:,}")
        levels.update(range(low, high + 1))
    return sorted(levels)


def parse_stages(text: str, known: tuple[str, ...]) -> list[str]:
    """'all' or a comma list of known stages, in the family's order."""
    if text.strip() == "all":
        return list(known)
    stages = [s.strip() for s in text.split(",") if s.strip()]
    for stage in stages:
        if stage not in known:
            raise ValueError(f"unknown stage {stage!r}; known: {', '.join(known)}, all")
    return [s for s in known if s in stages]


def instance_seed(base_seed: int, *keys: int) -> int:
    """A 32-bit seed for one instance, derived from the base seed and its coordinates."""
    return int(np.random.SeedSequence([base_seed & 0xFFFFFFFF, *keys]).generate_state(1)[0])


Ramp = Literal["nested", "independent"]
_CHAIN_TAG = 0x6E657374  # keeps chain seeds apart from the (level, index) seeds of independent draws


def chain_seed(base_seed: int, chain: int) -> int:
    """The seed of nested chain `chain`: the same for every level of the chain."""
    return instance_seed(base_seed, _CHAIN_TAG, chain)


def nested_drafts(
    config: Any, stages: list[str], levels: list[int], make_chain: Callable[..., list[Draft]]
) -> list[Draft]:
    """`config.per_level` chains per stage (`make_chain(config, stage, levels, chain, seed)` draws one chain's
    levels), ordered by stage, level and id like independent draws."""
    drafts = [
        draft
        for stage, chain in itertools.product(stages, range(config.per_level))
        for draft in make_chain(config, stage, levels, chain, chain_seed(config.seed, chain))
    ]
    order = {stage: i for i, stage in enumerate(stages)}
    return sorted(drafts, key=lambda d: (order[d.instance.stage], d.instance.level, d.instance.id))


def chain_fields(family: str, stage: str, chain: int) -> dict[str, str]:
    """Envelope keys of an instance on a nested chain: the ramp kind and the chain's name."""
    return {"ramp": "nested", "chain": f"{family}-{stage}-C{chain:02d}"}


@dataclass
class Draft:
    """A generated instance before its reference is solved.

    `expect` is what the generator built ("feasible" by construction, "infeasible" on purpose, or "unknown");
    `hint` is a known solution handed to the exact solver as a warm start.
    """

    instance: Instance
    expect: Literal["feasible", "infeasible", "unknown"] = "unknown"
    hint: dict[str, Any] | None = None
