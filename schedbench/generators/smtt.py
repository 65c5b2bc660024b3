"""SMTT generator: Potts & Van Wassenhove (1982) instances, the class grid TF × RDD, a job-count ramp.

p_j ~ U{1..max_p}, w_j ~ U{1..max_w} (stage `weighted`; 1 otherwise), and
d_j ~ U{⌈P(1 − TF − RDD/2)⌉ .. ⌊P(1 − TF + RDD/2)⌋} with P = Σ p_j. Small TF means loose due dates, small RDD
means clustered ones. Negative due dates are kept (as in the seed paper's sets) unless `clip_negative` (as in
OR-Library). The level is the number of jobs; each level × stage × class gets `per_level` instances, each
from its own seed, so adding a level or a class never changes the others.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from pydantic import Field

from schedbench.errors import OptionError
from schedbench.generators._common import (
    MAX_VALUE,
    Draft,
    GeneratorConfig,
    instance_seed,
    parse_levels,
    parse_stages,
)
from schedbench.problems._envelope import Instance
from schedbench.problems.smtt import from_arrays

STAGES = ("unweighted", "weighted")
SCENARIOS = ("abstract",)
GRID = (0.2, 0.4, 0.6, 0.8, 1.0)


class SmttGeneratorConfig(GeneratorConfig):
    """Options of `schedbench generate smtt`."""

    levels: str = Field("5,8,10,15,20,30,50,100", description="numbers of jobs: a range, a list or both")
    stage: str = Field("unweighted", description="unweighted (1||ΣTj), weighted (1||ΣwjTj), or all")
    tf: str = Field("0.2,0.4,0.6,0.8", description="tardiness factors, comma list (OR-Library also uses 1.0)")
    rdd: str = Field("0.2,0.4,0.6,0.8,1.0", description="relative ranges of due dates, comma list")
    max_p: int = Field(100, ge=1, le=MAX_VALUE, description="processing times are drawn from 1..max_p")
    max_w: int = Field(10, ge=1, le=MAX_VALUE, description="weights are drawn from 1..max_w (weighted stage)")
    clip_negative: bool = Field(False, description="clip negative due dates to 0 (OR-Library convention)")


def parse_factors(text: str, name: str) -> list[float]:
    """'0.2,0.4' → [0.2, 0.4]; OptionError naming the option otherwise."""
    try:
        values = [float(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise OptionError(name, f"expected a comma list of numbers, got {text!r}") from None
    if not values or any(not 0 <= v <= 2 for v in values):
        raise OptionError(name, f"values must lie in [0, 2], got {text!r}")
    return values


def generate(config: SmttGeneratorConfig) -> list[Draft]:
    """Every instance of the requested levels × stages × classes × per_level, without references."""
    if config.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {config.scenario!r}; known: {', '.join(SCENARIOS)}")
    levels = parse_levels(config.levels)
    if levels[0] < 1:
        raise ValueError("levels are numbers of jobs and must be at least 1")
    stages = parse_stages(config.stage, STAGES)
    classes = list(itertools.product(parse_factors(config.tf, "tf"), parse_factors(config.rdd, "rdd")))
    drafts = []
    for stage, level, (tf, rdd), k in itertools.product(stages, levels, classes, range(config.per_level)):
        seed = instance_seed(config.seed, STAGES.index(stage), level, round(tf * 1000), round(rdd * 1000), k)
        drafts.append(make_instance(config, stage, level, tf, rdd, k, seed))
    return drafts


def due_date_range(total: int, tf: float, rdd: float) -> tuple[int, int]:
    """Integer bounds of the due-date distribution: [⌈P(1 − TF − RDD/2)⌉, ⌊P(1 − TF + RDD/2)⌋]."""
    low = math.ceil(round(total * (1 - tf - rdd / 2), 9))
    high = math.floor(round(total * (1 - tf + rdd / 2), 9))
    return low, max(low, high)


def draw(
    n: int,
    tf: float,
    rdd: float,
    rng: np.random.Generator,
    weighted: bool = False,
    max_p: int = 100,
    max_w: int = 10,
    clip_negative: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Processing times, due dates and weights of one Potts–Van Wassenhove instance."""
    p = rng.integers(1, max_p + 1, size=n)
    w = rng.integers(1, max_w + 1, size=n) if weighted else np.ones(n, dtype=np.int64)
    low, high = due_date_range(int(p.sum()), tf, rdd)
    d = rng.integers(low, high + 1, size=n)
    if clip_negative:
        d = np.maximum(d, 0)
    return p, d, w


def make_instance(
    config: SmttGeneratorConfig, stage: str, level: int, tf: float, rdd: float, k: int, seed: int
) -> Draft:
    """One instance from its own seed."""
    rng = np.random.default_rng(seed)
    p, d, w = draw(
        level,
        tf,
        rdd,
        rng,
        weighted=stage == "weighted",
        max_p=config.max_p,
        max_w=config.max_w,
        clip_negative=config.clip_negative,
    )
    data = from_arrays(p, d, w)
    instance = Instance(
        id=f"smtt-{stage}-L{level:03d}-tf{tf:g}-rdd{rdd:g}-{k:02d}",
        family="smtt",
        level=level,
        stage=stage,
        scenario=config.scenario,
        seed=seed,
        data=data.model_dump(),
        tf=tf,
        rdd=rdd,
    )
    return Draft(instance, expect="feasible")
