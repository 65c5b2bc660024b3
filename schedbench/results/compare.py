"""`schedbench compare`: runs of the same suite compared item by item, with tests and bootstrap intervals.

`compare_runs(store, names)` returns one JSON document:

- `suite`, `suite_hash`: the suite every run answered (runs of different suites are refused).
- `runs`: run names in the order given; `models`: their model specs; `n`: items answered by every run, paired
  on (instance id, sample); `unpaired`: per run, items it has that some other run lacks (left out).
- `resamples`, `seed`, `confidence`: the paired bootstrap's settings (stratified by level × stage).
- `per_run`: per run `success_rate`, `mean_gap_pct` (over its feasible answers with a gap) and `wauc`, each with
  a bootstrap interval (`success_ci`, `mean_gap_ci`, `wauc_ci`).
- `pairs`: one entry per pair of runs (`a`, `b`, differences are a − b): `mcnemar` (`only_a`, `only_b`: items
  only one of them got right; `p`: exact two-sided McNemar p-value; `p_holm`: Holm-adjusted over all pairs;
  `significant`: p_holm < 1 − confidence), `n`, `success_diff` and `success_diff_ci`, `gap_n` (items both
  answered feasibly with a gap), `gap_diff` and `gap_diff_ci` (mean of the paired gap differences, in
  percentage points), `wauc_diff` and `wauc_diff_ci`; `by_level` and `by_stage`: the same per level and per
  stage (`mcnemar_p` unadjusted; WAUC differences only per stage, since within one level WAUC is the success
  rate).
- `leaderboard`: runs ranked by WAUC, each with its `per_run` entry and `vs_best` (None for the best):
  `p_holm`, `significant`, `wauc_diff` (best − run), `wauc_diff_ci`, `wauc_differs` (interval excludes 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from schedbench.errors import InputError
from schedbench.evaluate.paired import DEFAULT_RESAMPLES, PairedItems, compare_items
from schedbench.results.store import Run, Store

_COLUMNS = ("instance_id", "sample", "level", "stage", "correct", "feasible", "gap_pct")


def find_runs(store: Store, names: list[str], source: str) -> list[Run]:
    """The named runs; InputError for an unknown name, a repeated one, fewer than two, or different suites."""
    if len(names) < 2:
        raise InputError(source, "RUN", "compare needs at least two runs")
    if len(set(names)) != len(names):
        raise InputError(source, "RUN", "a run is named twice")
    runs = []
    for name in names:
        run = store.run(name)
        if run is None:
            known = ", ".join(r.name for r in store.runs()) or "none"
            raise InputError(source, "RUN", f"no run {name!r}; known: {known}")
        runs.append(run)
    first = runs[0]
    for run in runs[1:]:
        if run.suite_hash != first.suite_hash:
            raise InputError(
                source,
                "RUN",
                f"runs {first.name!r} and {run.name!r} answered different suites "
                f"({first.suite} {first.suite_hash[:12]} vs {run.suite} {run.suite_hash[:12]}); "
                "only runs of the same suite can be paired",
            )
    return runs


def paired_items(store: Store, runs: list[Run]) -> tuple[PairedItems, dict[str, int]]:
    """The runs' outcomes on the (instance, sample) items every run has, in a fixed order; and per run how
    many of its items were left out for lack of a partner."""
    tables = []
    for run in runs:
        rows = store.item_rows(run.id, _COLUMNS)
        tables.append({(row[0], row[1]): row for row in rows})
    common = sorted(set.intersection(*(set(table) for table in tables)))
    if not common:
        raise InputError(runs[0].name, "items", "the runs have no (instance, sample) item in common")
    first = tables[0]
    level = np.array([first[key][2] for key in common], dtype=np.int64)
    stage = np.array([str(first[key][3]) for key in common])
    success = np.array([[bool(table[key][4]) for key in common] for table in tables])
    gap = np.array([[_gap(table[key]) for key in common] for table in tables], dtype=np.float64)
    unpaired = {run.name: len(table) - len(common) for run, table in zip(runs, tables, strict=True)}
    return PairedItems([run.name for run in runs], level, stage, success, gap), unpaired


def _gap(row: tuple[Any, ...]) -> float:
    feasible, gap = row[5], row[6]
    return float(gap) if feasible and gap is not None and math.isfinite(gap) else math.nan


def compare_runs(
    store: Store,
    names: list[str],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    source: str = "results",
) -> dict[str, Any]:
    """The comparison document of the named runs (keys in this module's docstring)."""
    runs = find_runs(store, names, source)
    items, unpaired = paired_items(store, runs)
    document = compare_items(items, resamples=resamples, seed=seed, confidence=confidence)
    return {
        "suite": runs[0].suite,
        "suite_hash": runs[0].suite_hash,
        "models": [run.model for run in runs],
        "unpaired": unpaired,
        **document,
    }
