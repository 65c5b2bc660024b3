"""A results database with 25 runs over every family, for the reports that must stay readable at scale.

Runs differ in family, model, strategy and mode, carry long names, and include correct infeasibility claims
(`oracle/exact` on an rcpsp suite with infeasible instances) and repair conversations (`oracle/repairer`).
"""

from __future__ import annotations

from pathlib import Path

from schedbench.problems import get_family

SUITES = {
    "rcpsp": {
        "levels": "3,6",
        "stage": "precedence,windows",
        "ramp": "independent",
        "infeasible_share": 0.7,
        "per_level": 3,
    },
    "smtt": {"levels": "5,8", "stage": "unweighted"},
    "asyncplan": {"levels": "4,6", "stage": "two_agents,stations"},
    "jobshop": {"levels": "4,9", "stage": "all"},
}
RUNS: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("rcpsp", "oracle/exact", "direct", {}),
    ("rcpsp", "baseline/lft", "direct", {}),
    ("rcpsp", "baseline/mts", "direct", {}),
    ("rcpsp", "baseline/spt", "direct", {}),
    ("rcpsp", "baseline/random", "direct", {}),
    ("rcpsp", "oracle/repairer", "repair", {"rounds": 3, "feedback": "full"}),
    ("rcpsp", "oracle/repairer", "repair", {"rounds": 3, "feedback": "bare"}),
    ("smtt", "oracle/exact", "direct", {}),
    ("smtt", "baseline/edd", "direct", {}),
    ("smtt", "baseline/spt", "direct", {}),
    ("smtt", "baseline/mdd", "direct", {}),
    ("smtt", "baseline/atc", "direct", {}),
    ("smtt", "oracle/repairer", "repair", {"rounds": 2, "feedback": "full"}),
    ("asyncplan", "oracle/exact", "direct", {}),
    ("asyncplan", "baseline/list", "direct", {}),
    ("asyncplan", "baseline/sequential", "direct", {}),
    ("asyncplan", "baseline/random", "direct", {}),
    ("asyncplan", "oracle/repairer", "repair", {"rounds": 3, "feedback": "types"}),
    ("jobshop", "oracle/exact", "direct", {}),
    ("jobshop", "baseline/spt", "direct", {}),
    ("jobshop", "baseline/lpt", "direct", {}),
    ("jobshop", "baseline/mwkr", "direct", {}),
    ("jobshop", "baseline/fifo", "direct", {}),
    ("jobshop", "baseline/random", "direct", {}),
    ("jobshop", "oracle/repairer", "repair", {"rounds": 3, "feedback": "full"}),
)


def run_name(number: int, family: str, model: str, strategy: str) -> str:
    """A long, realistic run name (experiment, model, family, strategy)."""
    return f"exp{number:02d}-{model.replace('/', '-')}-{family}-{strategy}-ablation-with-a-rather-long-name"


def build_many_runs(folder: Path) -> Path:
    """Generate the four suites and evaluate the 25 runs through the real evaluate path; returns the database."""
    from schedbench.evaluate import EvalConfig, evaluate
    from schedbench.references import generate_suite

    db = folder / "results.db"
    for family_name, options in SUITES.items():
        family = get_family(family_name)
        config = family.generator_config(seed=5, time_limit=5, workers=1, **options)
        generate_suite(family, config, folder / family_name, show_progress=False)
    for number, (family_name, model, strategy, options) in enumerate(RUNS, start=1):
        evaluate(
            EvalConfig(
                model=model,
                suite=str(folder / family_name),
                results=db,
                run=run_name(number, family_name, model, strategy),
                strategy=strategy,
                strategy_options=dict(options),
                show_progress=False,
                offload=False,
            )
        )
    return db
