"""The Family record: one per problem family, binding every layer's functions (one registry, no if-chains)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from schedbench.problems._envelope import Reference, Verification

Baseline = Callable[[Any], dict[str, Any]]
"""A baseline rule: typed instance data → solution dict (the same JSON an LLM must produce)."""


@dataclass(frozen=True)
class Family:
    """Data and functions of one problem family.

    - `data_model` / `solution_model`: pydantic models of the instance data and of a solution.
    - `generator_config`: pydantic model of the generator's options (`schedbench generate NAME` derives its
      command-line options from it); `generate(config)` returns `generators.Draft`s (no references yet).
    - `verify(data, solution, reference)`: never raises on any JSON value.
    - `solve(data, time_limit, workers, hint)`: the exact reference.
    - `baselines`: offline rules by name; `prompt_modes`: question modes with a prompt template each.
    """

    name: str
    description: str
    data_model: type[BaseModel]
    solution_model: type[BaseModel]
    generator_config: type[BaseModel]
    generate: Callable[[Any], list[Any]]
    verify: Callable[[Any, Any, Reference | None], Verification]
    solve: Callable[..., Reference]
    violation_types: Sequence[str]
    stages: Sequence[str] = ("default",)
    scenarios: Sequence[str] = ("abstract",)
    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    prompt_modes: Sequence[str] = ("plan",)

    def parse_data(self, data: Mapping[str, Any]) -> BaseModel:
        """Validate raw instance data into the family's typed model (raises pydantic.ValidationError)."""
        return self.data_model.model_validate(data)
