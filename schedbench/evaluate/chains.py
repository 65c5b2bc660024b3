"""Chain analysis of nested ramps: where along one project a model first fails, and whether it recovers.

On a nested ramp (`generate rcpsp --ramp nested`) each chain is one project whose level k+1 adds one
constraint to level k, so a model's answers along a chain form a *trajectory* (one per chain and sample).
Its breakpoint is the first evaluated level without success; it *recovers* when a higher level succeeds
again. Across trajectories: the distribution of breakpoints with its median and a distribution-free 95%
interval for the median (order statistics, exact binomial ranks), and for each pair of adjacent evaluated
levels an exact McNemar test of the paired outcomes (breaks: solved at k, failed at k+1; recoveries: the
reverse). Items of independent draws carry no chain and are left out.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChainOutcome:
    """One answer on a chain: which chain, which sample, which level, and whether it succeeded."""

    chain: str
    stage: str
    sample: int
    level: int
    correct: bool


def binomial_cdf(k: int, n: int) -> float:
    """P(X ≤ k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    return min(1.0, sum(math.comb(n, i) for i in range(min(k, n) + 1)) / 2**n)


def mcnemar_exact(breaks: int, recoveries: int) -> float:
    """Two-sided exact McNemar p-value for the discordant counts of a paired binary comparison."""
    n = breaks + recoveries
    if n == 0:
        return 1.0
    return min(1.0, 2 * binomial_cdf(min(breaks, recoveries), n))


def median_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the median: order statistics x(l) and x(n−l+1), where l is the largest
    rank with P(Binomial(n, 1/2) < l) ≤ (1 − level)/2 (the whole range when n is too small for that)."""
    ordered = sorted(values)
    n = len(ordered)
    rank = 1
    while rank < n and binomial_cdf(rank, n) <= (1 - level) / 2:
        rank += 1
    return ordered[rank - 1], ordered[n - rank]


def trajectories(outcomes: Sequence[ChainOutcome]) -> dict[tuple[str, int], dict[int, bool]]:
    """(chain, sample) → level → success (a level answered twice counts as solved only if both succeeded)."""
    paths: dict[tuple[str, int], dict[int, bool]] = defaultdict(dict)
    for o in outcomes:
        paths[(o.chain, o.sample)][o.level] = paths[(o.chain, o.sample)].get(o.level, True) and o.correct
    return dict(paths)


def trajectory_row(chain: str, stage: str, sample: int, path: dict[int, bool]) -> dict[str, Any]:
    """One chain-and-sample's breakpoint (first failing level, None if none) and whether it recovers."""
    levels = sorted(path)
    failed = [level for level in levels if not path[level]]
    breakpoint = failed[0] if failed else None
    return {
        "chain": chain,
        "stage": stage,
        "sample": sample,
        "levels": len(levels),
        "first_level": levels[0],
        "top_level": levels[-1],
        "solved": sum(path.values()),
        "breakpoint": breakpoint,
        "recovers": breakpoint is not None and any(path[level] for level in levels if level > breakpoint),
        "outcomes": "".join("1" if path[level] else "0" for level in levels),
    }


def adjacent_tests(paths: dict[tuple[str, int], dict[int, bool]]) -> list[dict[str, Any]]:
    """For each pair of adjacent evaluated levels: paired counts and the exact McNemar p-value."""
    levels = sorted({level for path in paths.values() for level in path})
    rows = []
    for low, high in itertools.pairwise(levels):
        pairs = [(path[low], path[high]) for path in paths.values() if low in path and high in path]
        breaks = sum(a and not b for a, b in pairs)
        recoveries = sum(b and not a for a, b in pairs)
        rows.append(
            {
                "from_level": low,
                "to_level": high,
                "n": len(pairs),
                "solved_at_from": sum(a for a, _ in pairs),
                "breaks": breaks,
                "recoveries": recoveries,
                "p_value": round(mcnemar_exact(breaks, recoveries), 6),
            }
        )
    return rows


def chain_analysis(outcomes: Sequence[ChainOutcome]) -> dict[str, Any] | None:
    """The `chains` block of a report (None when no item lies on a nested chain)."""
    if not outcomes:
        return None
    stage_of = {o.chain: o.stage for o in outcomes}
    paths = trajectories(outcomes)
    rows = [trajectory_row(chain, stage_of[chain], sample, paths[(chain, sample)]) for chain, sample in sorted(paths)]
    stages = sorted(set(stage_of.values()))
    return {
        "n_chains": len(stage_of),
        "n_trajectories": len(rows),
        **breakpoint_summary(rows),
        "by_stage": {stage: breakpoint_summary([r for r in rows if r["stage"] == stage]) for stage in stages},
        "adjacent": adjacent_tests(paths),
        "per_chain": rows,
    }


def breakpoint_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, median breakpoint and its interval over trajectory rows (never failing = beyond the top level)."""
    points = [math.inf if r["breakpoint"] is None else float(r["breakpoint"]) for r in rows]
    low, high = median_interval(points)
    broken = [r for r in rows if r["breakpoint"] is not None]
    return {
        "never_failed": len(rows) - len(broken),
        "recovered": sum(r["recovers"] for r in rows),
        "breakpoint_median": _finite(_median(points)),
        "breakpoint_ci": [_finite(low), _finite(high)],
        "breakpoint_counts": {str(k): v for k, v in sorted(Counter(r["breakpoint"] for r in broken).items())},
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _finite(value: float) -> float | None:
    """A level, or None for 'beyond the top level' (a trajectory that never failed)."""
    return None if math.isinf(value) else (int(value) if float(value).is_integer() else value)
