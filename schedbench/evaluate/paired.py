"""Paired comparisons of runs on the same items: exact McNemar tests, Holm correction, a paired bootstrap.

Every run answered the same (instance, sample) items, so runs are compared item by item. Success is compared
with the exact (binomial) McNemar test on the discordant pairs; differences in success rate, mean gap and WAUC
get percentile intervals from a paired bootstrap: each resample draws items with replacement, the same items
for every run. Resampling is stratified by cell (level × stage): a suite fixes how many items each level and
stage has, so every resample keeps those counts (levels never vanish from a WAUC) and breakdowns by level and
stage come from the same resamples.

The bootstrap is vectorised: per cell, resampled items become count vectors (`bincount` of drawn indices) and
one matrix product sums every needed column of every run at once; resamples are processed in chunks so that
memory stays bounded.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 10_000
CHUNK_DRAWS = 4_000_000
"""Indices drawn per chunk of resamples (bounds memory: ~32 MB of int64)."""


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (a succeeds alone, b succeeds alone).

    Under the null each discordant pair favours either run with probability 1/2, so the smaller count is
    Binomial(only_a + only_b, 1/2): p = min(1, 2 · P(X ≤ min)). Computed with exact integers.
    """
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    term, total = 1, 1  # C(n, 0); each next binomial coefficient from the previous one, exactly
    for i in range(k):
        term = term * (n - i) // (i + 1)
        total += term
    return float(min(Fraction(1), Fraction(2 * total, 2**n)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down; monotone; capped at 1), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass
class PairedItems:
    """R runs' outcomes on the same n items: success (R × n, bool), gap (R × n, NaN where none), level, stage."""

    runs: list[str]
    level: np.ndarray
    stage: np.ndarray
    success: np.ndarray
    gap: np.ndarray

    @property
    def n(self) -> int:
        return int(self.level.shape[0])


def _wauc(success_by_level: np.ndarray, count_by_level: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """WAUC along the last axis (levels): Σ k·f_k / Σ k over levels with items; NaN without any."""
    present = count_by_level > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(present, success_by_level / np.where(present, count_by_level, 1), 0.0)
        weights = levels * present
        return (rates * levels).sum(axis=-1) / np.where(weights.sum(axis=-1) > 0, weights.sum(axis=-1), np.nan)


class _Columns:
    """The per-item columns the bootstrap sums: successes per run; per run and per pair the gap terms."""

    def __init__(self, items: PairedItems) -> None:
        runs = len(items.runs)
        self.pairs = list(combinations(range(runs), 2))
        has_gap = ~np.isnan(items.gap)
        gap = np.where(has_gap, items.gap, 0.0)
        blocks = [items.success.astype(np.float64), has_gap.astype(np.float64), gap]
        for a, b in self.pairs:
            both = has_gap[a] & has_gap[b]
            blocks.append(np.stack([both.astype(np.float64), np.where(both, gap[a] - gap[b], 0.0)]))
        self.matrix = np.concatenate([np.atleast_2d(block) for block in blocks]).T.copy()  # n × columns
        self.runs = runs

    def success(self, sums: np.ndarray) -> np.ndarray:
        return sums[..., : self.runs]

    def gap_count(self, sums: np.ndarray) -> np.ndarray:
        return sums[..., self.runs : 2 * self.runs]

    def gap_sum(self, sums: np.ndarray) -> np.ndarray:
        return sums[..., 2 * self.runs : 3 * self.runs]

    def pair_count(self, sums: np.ndarray) -> np.ndarray:
        return sums[..., 3 * self.runs :: 2]

    def pair_sum(self, sums: np.ndarray) -> np.ndarray:
        return sums[..., 3 * self.runs + 1 :: 2]


def bootstrap_sums(
    items: PairedItems, columns: _Columns, resamples: int, seed: int
) -> tuple[np.ndarray, list[tuple[int, str]], np.ndarray]:
    """Per cell (level, stage) and resample, the sums of every column: (cells × resamples × columns), float32.

    Cell c of n_c items draws n_c indices with replacement per resample; the counts times the cell's columns
    give the sums (float32: counts are exact, gap sums good to about 1e-7 relative). Also returns the cells and
    the observed (unresampled) sums per cell (float64).
    """
    rng = np.random.default_rng(seed)
    cells = sorted({(int(level), str(stage)) for level, stage in zip(items.level, items.stage, strict=True)})
    width = columns.matrix.shape[1]
    out = np.empty((len(cells), resamples, width), dtype=np.float32)
    observed = np.empty((len(cells), width), dtype=np.float64)
    for c, (level, stage) in enumerate(cells):
        members = np.flatnonzero((items.level == level) & (items.stage == stage))
        block = columns.matrix[members]
        observed[c] = block.sum(axis=0)
        block32 = block.astype(np.float32)
        size = len(members)
        step = max(1, CHUNK_DRAWS // size)
        for start in range(0, resamples, step):
            rows = min(step, resamples - start)
            drawn = rng.integers(0, size, size=(rows, size))
            drawn += (np.arange(rows) * size)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=rows * size).reshape(rows, size).astype(np.float32)
            np.matmul(counts, block32, out=out[c, start : start + rows])
    return out, cells, observed


def _quantiles(values: np.ndarray, confidence: float) -> np.ndarray:
    """Percentile interval along axis 0 → (2, …); NaN resamples ignored (NaN where no resample has a value)."""
    tail = (1 - confidence) / 2
    if not np.isnan(values).any():
        return np.quantile(values, [tail, 1 - tail], axis=0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: no resample has a value
        return np.nanquantile(values, [tail, 1 - tail], axis=0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def _value(x: Any) -> float | None:
    value = float(x)
    return None if np.isnan(value) else round(value, 6)


def _ci(bounds: np.ndarray, *index: int) -> list[float | None]:
    return [_value(bounds[(0, *index)]), _value(bounds[(1, *index)])]


@dataclass
class _Groups:
    """The groups results are given for (every item, each level, each stage) as matrices over the cells.

    `member` (cells × groups) sums cells into groups; `wauc` (cells × groups) turns per-cell success counts into
    a group's WAUC, which is linear in them because resampling keeps every cell's size: level l's rate is its
    successes over its n_l items, weighted by l / Σ l over the group's levels.
    """

    names: list[tuple[str, Any]]
    member: np.ndarray
    wauc: np.ndarray
    size: np.ndarray


def _groups(cells: list[tuple[int, str]], cell_size: np.ndarray) -> _Groups:
    levels = sorted({level for level, _ in cells})
    stages = sorted({stage for _, stage in cells})
    names: list[tuple[str, Any]] = [("all", None)] + [("level", v) for v in levels] + [("stage", v) for v in stages]
    member = np.zeros((len(cells), len(names)))
    for g, (kind, value) in enumerate(names):
        for c, (level, stage) in enumerate(cells):
            member[c, g] = kind == "all" or (kind == "level" and level == value) or (kind == "stage" and stage == value)
    wauc = np.zeros_like(member)
    for g in range(len(names)):
        chosen = member[:, g] > 0
        level_size: dict[int, float] = {}
        for i in np.flatnonzero(chosen):
            level_size[cells[i][0]] = level_size.get(cells[i][0], 0.0) + cell_size[i]
        total = sum(level_size)
        for i in np.flatnonzero(chosen):
            level = cells[i][0]
            wauc[i, g] = level / (level_size[level] * total) if total else np.nan
    return _Groups(names, member, wauc, cell_size @ member)


def compare_items(
    items: PairedItems, resamples: int = DEFAULT_RESAMPLES, seed: int = 0, confidence: float = 0.95
) -> dict[str, Any]:
    """The comparison document of R ≥ 2 runs on the same items (keys documented in `results/compare.py`)."""
    columns = _Columns(items)
    sums, cells, observed = bootstrap_sums(items, columns, resamples, seed)
    cell_size = np.array(
        [np.count_nonzero((items.level == lv) & (items.stage == st)) for lv, st in cells], dtype=np.float64
    )
    groups = _groups(cells, cell_size)
    # per resample: (resamples × columns × groups) sums, and (resamples × runs × groups) WAUC
    cells_count, _, width = sums.shape
    weights = np.concatenate([groups.member, groups.wauc], axis=1).astype(np.float32)
    both = (sums.reshape(cells_count, -1).T @ weights).reshape(resamples, width, 2, -1).astype(np.float64)
    grouped, wauc = both[:, :, 0], columns.success(both[:, :, 1].swapaxes(1, 2)).swapaxes(1, 2)
    grouped_obs, wauc_obs = observed.T @ groups.member, columns.success(observed).T @ groups.wauc

    def success(x: np.ndarray) -> np.ndarray:
        return columns.success(x.swapaxes(-1, -2)).swapaxes(-1, -2) / groups.size

    def gap(x: np.ndarray) -> np.ndarray:
        swapped = x.swapaxes(-1, -2)
        return _ratio(columns.gap_sum(swapped), columns.gap_count(swapped)).swapaxes(-1, -2)

    def pair_gap(x: np.ndarray) -> np.ndarray:
        swapped = x.swapaxes(-1, -2)
        return _ratio(columns.pair_sum(swapped), columns.pair_count(swapped)).swapaxes(-1, -2)

    a = np.array([p[0] for p in columns.pairs])
    b = np.array([p[1] for p in columns.pairs])
    stats = {
        "success": (success(grouped_obs), success(grouped)),
        "gap": (gap(grouped_obs), gap(grouped)),
        "wauc": (wauc_obs, wauc),
        "success_diff": (
            success(grouped_obs)[a] - success(grouped_obs)[b],
            success(grouped)[:, a] - success(grouped)[:, b],
        ),
        "gap_diff": (pair_gap(grouped_obs), pair_gap(grouped)),
        "wauc_diff": (wauc_obs[a] - wauc_obs[b], wauc[:, a] - wauc[:, b]),
    }
    estimates = {key: value for key, (value, _) in stats.items()}
    bounds = {key: _quantiles(draws, confidence) for key, (_, draws) in stats.items()}
    pair_counts = columns.pair_count(grouped_obs.T).T
    per_run = [
        {
            "run": name,
            **{
                field: _value(estimates[key][r, 0])
                for key, field in (("success", "success_rate"), ("gap", "mean_gap_pct"), ("wauc", "wauc"))
            },
            "success_ci": _ci(bounds["success"], r, 0),
            "mean_gap_ci": _ci(bounds["gap"], r, 0),
            "wauc_ci": _ci(bounds["wauc"], r, 0),
        }
        for r, name in enumerate(items.runs)
    ]
    per_run = [{k: row[k] for k in _RUN_KEYS} for row in per_run]
    pairs = []
    for p, (ra, rb) in enumerate(columns.pairs):

        def difference(g: int, with_wauc: bool = True, p: int = p) -> dict[str, Any]:
            row = {
                "n": int(groups.size[g]),
                "success_diff": _value(estimates["success_diff"][p, g]),
                "success_diff_ci": _ci(bounds["success_diff"], p, g),
                "gap_n": int(pair_counts[p, g]),
                "gap_diff": _value(estimates["gap_diff"][p, g]),
                "gap_diff_ci": _ci(bounds["gap_diff"], p, g),
            }
            if with_wauc:
                row.update(wauc_diff=_value(estimates["wauc_diff"][p, g]), wauc_diff_ci=_ci(bounds["wauc_diff"], p, g))
            return row

        only_a, only_b = _discordant(items, ra, rb, np.ones(items.n, dtype=bool))
        document: dict[str, Any] = {
            "a": items.runs[ra],
            "b": items.runs[rb],
            "mcnemar": {"only_a": only_a, "only_b": only_b, "p": mcnemar_exact(only_a, only_b)},
            **difference(0),
            "by_level": [],
            "by_stage": [],
        }
        for g, (kind, value) in enumerate(groups.names):
            if kind == "all":
                continue
            members = items.level == value if kind == "level" else items.stage == value
            only_a, only_b = _discordant(items, ra, rb, members)
            row = {kind: value, "only_a": only_a, "only_b": only_b, "mcnemar_p": mcnemar_exact(only_a, only_b)}
            row.update(difference(g, with_wauc=kind == "stage"))
            document[f"by_{kind}"].append(row)
        pairs.append(document)
    adjusted = holm([pair["mcnemar"]["p"] for pair in pairs])
    for pair, p_holm in zip(pairs, adjusted, strict=True):
        pair["mcnemar"]["p_holm"] = p_holm
        pair["mcnemar"]["significant"] = p_holm < 1 - confidence
    return {
        "runs": list(items.runs),
        "n": items.n,
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "per_run": per_run,
        "pairs": pairs,
        "leaderboard": _leaderboard(per_run, pairs),
    }


_RUN_KEYS = ("run", "success_rate", "success_ci", "mean_gap_pct", "mean_gap_ci", "wauc", "wauc_ci")


def _discordant(items: PairedItems, a: int, b: int, members: np.ndarray) -> tuple[int, int]:
    sa, sb = items.success[a, members], items.success[b, members]
    return int(np.count_nonzero(sa & ~sb)), int(np.count_nonzero(sb & ~sa))


def _leaderboard(per_run: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs ranked by WAUC (then success rate); each run other than the best marked against the best:
    `significant` when the Holm-adjusted McNemar test rejects, `wauc_differs` when the interval of the WAUC
    difference excludes 0. Differences are best − run."""
    ranked = sorted(per_run, key=lambda row: (-(row["wauc"] or 0.0), -(row["success_rate"] or 0.0), row["run"]))
    best = ranked[0]["run"]
    board = []
    for rank, row in enumerate(ranked, start=1):
        entry: dict[str, Any] = {"rank": rank, **row, "vs_best": None}
        if row["run"] != best:
            pair = next(p for p in pairs if {p["a"], p["b"]} == {best, row["run"]})
            sign = 1.0 if pair["a"] == best else -1.0
            low, high = pair["wauc_diff_ci"]
            interval = None if low is None or high is None else sorted([sign * low, sign * high])
            entry["vs_best"] = {
                "p_holm": pair["mcnemar"]["p_holm"],
                "significant": pair["mcnemar"]["significant"],
                "wauc_diff": None if pair["wauc_diff"] is None else sign * pair["wauc_diff"],
                "wauc_diff_ci": interval or [None, None],
                "wauc_differs": interval is not None and (interval[0] > 0 or interval[1] < 0),
            }
        board.append(entry)
    return board
