"""Every knob of `schedbench evolve`, with a default; a TOML file (`--config`) may set any of them.

```toml
iterations = 200
workers = 2
[[models]]                       # an ensemble: each iteration draws one model by weight
spec = "openai/gpt-4o-mini"
weight = 0.8
[[models]]
spec = "anthropic/claude-sonnet-4-5"
weight = 0.2
[database]
islands = 4
features = ["code_length", "ms_per_instance"]
[evaluator]
time_weight = 0.01
[sandbox]
memory_mb = 1024
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.sandbox import SandboxConfig


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelChoice(_Section):
    """One member of the model ensemble."""

    spec: str
    weight: float = Field(1.0, gt=0)
    base_url: str | None = None
    model_args: dict[str, Any] = Field(default_factory=dict)


class DatabaseConfig(_Section):
    """Islands, MAP-Elites grids, the elite archive, parent selection and novelty rejection."""

    islands: int = Field(4, ge=1)
    migration_interval: int = Field(20, ge=1, description="completed iterations between ring migrations")
    migration_count: int = Field(2, ge=1, description="best programs of an island copied to the next one")
    features: list[str] = Field(
        default_factory=lambda: ["code_length", "ms_per_instance"],
        description="MAP-Elites axes: code_length, ms_per_instance or any metric name",
    )
    bins: int = Field(8, ge=1, description="bins per feature axis")
    feature_ranges: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="[low, high] per feature axis"
    )
    archive_size: int = Field(20, ge=1)
    exploration: float = Field(0.2, ge=0, le=1, description="share of parents drawn uniformly from the grid")
    exploitation: float = Field(0.7, ge=0, le=1, description="share of parents drawn from the elite archive")
    novelty_threshold: float = Field(
        1.0,
        gt=0,
        le=1,
        description="reject children whose EVOLVE block is at "
        "least this similar (Jaccard of 4-token shingles) to a recent one; 1 = off",
    )
    novelty_window: int = Field(40, ge=0, description="how many of the island's programs a child is compared to")


class PromptConfig(_Section):
    """What each prompt shows."""

    top_programs: int = Field(3, ge=0)
    inspirations: int = Field(2, ge=0)
    recent_attempts: int = Field(3, ge=0)
    mode: Literal["diff", "rewrite"] = "diff"
    rewrite_after_failed_edits: int = Field(
        2, ge=0, description="ask for a full rewrite after this many failed edits in a row on an island (0 = never)"
    )
    artifact_chars: int = Field(1500, ge=100)


class EvaluatorConfig(_Section):
    """Training sets, scoring and time limits."""

    train_suite: str | None = Field(None, description="a suite folder with references (default: generated)")
    train: dict[str, Any] = Field(default_factory=dict, description="generator options overriding the spec's")
    gate: dict[str, Any] = Field(default_factory=dict, description="generator options of the stage-1 set")
    reference_time_limit: float = Field(10.0, gt=0)
    aggregate: Literal["total", "instance"] = Field(
        "total", description="quality from summed objectives (total) or the mean of per-instance normalised gaps"
    )
    time_weight: float = Field(
        0.01,
        ge=0,
        description="score points a millisecond per instance is worth in the reported `time_penalty` metric "
        "(kept out of the score, which stays deterministic)",
    )
    failure_score: float = Field(-100.0, description="score of a failed program")
    gate_timeout_s: float = Field(10.0, gt=0)
    timeout_s: float = Field(60.0, gt=0, description="wall clock of the stage-2 run (whole training set)")
    numpy_inputs: bool = Field(False, description="pass array fields as read-only numpy arrays")
    worst_instances: int = Field(3, ge=0)


class EvolveConfig(_Section):
    """The whole run configuration."""

    family: str | None = None
    seed_program: str | None = Field(None, description="a seed name of the family or a path to a program")
    iterations: int = Field(100, ge=0)
    workers: int = Field(2, ge=1)
    max_cost: float | None = Field(None, ge=0)
    seed: int = 0
    models: list[ModelChoice] = Field(default_factory=list)
    temperature: float | None = None
    llm_timeout_s: float = Field(120.0, gt=0)
    prices: str | None = Field(
        None,
        description="a TOML price file overriding the shipped table (USD per "
        "million tokens by model spec); the prices used are saved in run.json",
    )
    executor: Literal["local", "ray"] = Field(
        "local", description="where candidates are evaluated (each in its own sandbox process either way)"
    )
    ray_address: str | None = Field(None, description="Ray cluster address (with executor = ray)")
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    prompt: PromptConfig = Field(default_factory=PromptConfig)
    evaluator: EvaluatorConfig = Field(default_factory=EvaluatorConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> EvolveConfig:
    """The config from a TOML file (or defaults) with command-line overrides; InputError names the field."""
    raw: dict[str, Any] = {}
    source = str(path) if path else "command line"
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(source, None, f"cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(source, None, f"malformed TOML: {exc}") from None
    for key, value in (overrides or {}).items():
        if value is not None:
            raw[key] = value
    try:
        return EvolveConfig.model_validate(raw)
    except ValidationError as exc:
        raise InputError(source, pydantic_location(exc), pydantic_message(exc)) from None
