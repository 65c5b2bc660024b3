"""The metrics of docs/metrics.md, from stored items.

Answers better than the reference (only possible where the reference is not proven optimal) are counted and
listed (`better_than_reference`, `better_than_reference_items`) and kept out of every gap average, so a
negative gap never flatters a mean.

Success is `Verification.correct`: a feasible schedule for a feasible instance, or a correct infeasibility
claim for an instance the reference proved infeasible. The *feasibility rate* counts successes over all items,
so on an infeasible instance a (necessarily infeasible) schedule and a wrong claim both count as failures,
and parse errors and API errors count as failures too.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from schedbench.evaluate.chains import ChainOutcome, chain_analysis
from schedbench.evaluate.outcomes import counts, outcome

Z95 = 1.959963984540054


@dataclass(frozen=True)
class ItemFacts:
    """What the metrics read from one item."""

    level: int
    stage: str
    scenario: str
    family: str
    correct: bool
    feasible: bool
    optimal: bool
    parsed: bool
    errored: bool
    gap_pct: float | None
    gap_abs: float | None
    normalised_gap: float | None
    violation_types: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float | None
    cached: bool
    chain: str | None = None
    sample: int = 0
    instance_id: str = ""
    objective: float | None = None
    reference: float | None = None
    claimed_infeasible: bool = False

    @property
    def outcome(self) -> str:
        """The outcome key (`schedbench.evaluate.outcomes.OUTCOMES`)."""
        return outcome(
            errored=self.errored,
            parsed=self.parsed,
            feasible=self.feasible,
            correct=self.correct,
            optimal=self.optimal,
            claimed_infeasible=self.claimed_infeasible,
            reference_known=self.reference is not None,
        )

    @property
    def optimality_defined(self) -> bool:
        """Whether the instance has a reference schedule to be optimal against (not on an instance proven
        infeasible, nor on one without any reference)."""
        return self.reference is not None or self.optimal

    @property
    def beats_reference(self) -> bool:
        """A feasible answer better than the reference: possible only where the reference is not proven."""
        return (
            self.feasible
            and self.objective is not None
            and self.reference is not None
            and (self.objective < self.reference)
        )


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (0, 1 for n = 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not rounding noise
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def wauc(rate_by_level: dict[int, float]) -> float | None:
    """Σ k·f_k / Σ k over the evaluated levels (higher levels weigh more); None without levels."""
    total = sum(rate_by_level)
    if not rate_by_level or total == 0:
        return None
    return sum(k * f for k, f in rate_by_level.items()) / total


def breakpoint_level(rate_by_level: dict[int, float], threshold: float = 0.5) -> int | None:
    """The smallest level L with rate < threshold at L and at every evaluated level above L (None if none)."""
    found = None
    for level in sorted(rate_by_level, reverse=True):
        if rate_by_level[level] >= threshold:
            break
        found = level
    return found


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def group_rates(items: Sequence[ItemFacts], key: Callable[[ItemFacts], Any], name: str) -> list[dict[str, Any]]:
    """Per group: n, feasibility rate with its Wilson 95% interval, optimal rate, mean gap."""
    groups: dict[Any, list[ItemFacts]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    rows = []
    for value in sorted(groups, key=lambda v: (isinstance(v, str), v)):
        members = groups[value]
        successes = sum(i.correct for i in members)
        low, high = wilson(successes, len(members))
        gaps = [i.gap_pct for i in _gapped(members) if i.gap_pct is not None]
        rows.append(
            {
                name: value,
                "n": len(members),
                "feasible_rate": round(successes / len(members), 4),
                "ci_low": round(low, 4),
                "ci_high": round(high, 4),
                "optimal_rate": optimal_rate(members),
                "optimal_n": sum(i.optimality_defined for i in members),
                "mean_gap_pct": _mean(gaps),
                "gap_n": len(gaps),
                "better_than_reference": sum(i.beats_reference for i in members),
                "outcomes": counts(i.outcome for i in members),
            }
        )
    return rows


def family_sections(items: Sequence[ItemFacts]) -> list[dict[str, Any]]:
    """`by_family` rows, each with what a per-family table or chart needs: its own curve by level (levels
    mean different things in different families), WAUC, breakpoint and taxonomy."""
    rows = group_rates(items, lambda i: i.family, "family")
    for row in rows:
        members = [i for i in items if i.family == row["family"]]
        by_level = group_rates(members, lambda i: i.level, "level")
        rates = {r["level"]: r["feasible_rate"] for r in by_level}
        shares, failed = taxonomy(members)
        row.update(
            {
                "wauc": round(w, 4) if (w := wauc(rates)) is not None else None,
                "breakpoint_level": breakpoint_level(rates),
                "by_level": by_level,
                "taxonomy": shares,
                "taxonomy_n": failed,
            }
        )
    return rows


def optimal_rate(items: Sequence[ItemFacts]) -> float | None:
    """Optimal answers over the items where optimality is defined (None when it is defined for none)."""
    defined = [i for i in items if i.optimality_defined]
    return round(sum(i.optimal for i in defined) / len(defined), 4) if defined else None


def _gapped(items: Iterable[ItemFacts]) -> list[ItemFacts]:
    """The items whose gap enters the averages: feasible ones not better than their reference."""
    return [i for i in items if i.feasible and not i.beats_reference]


def better_than_reference(items: Iterable[ItemFacts]) -> list[dict[str, Any]]:
    """Every answer better than its (unproven) reference, ordered by instance."""
    better = sorted((i for i in items if i.beats_reference), key=lambda i: (i.family, i.instance_id, i.sample))
    return [
        {
            "instance_id": i.instance_id,
            "sample": i.sample,
            "family": i.family,
            "level": i.level,
            "objective": i.objective,
            "reference": i.reference,
        }
        for i in better
    ]


def taxonomy(items: Iterable[ItemFacts]) -> tuple[dict[str, float], int]:
    """Violation type → share of the parsed but failed answers showing it; and how many such answers."""
    failed = [i for i in items if i.parsed and not i.correct]
    counts = Counter(t for i in failed for t in set(i.violation_types))
    return {t: round(c / len(failed), 4) for t, c in counts.most_common()}, len(failed)


def ramp_kind(items: Sequence[ItemFacts]) -> str | None:
    """'nested' when every item lies on a chain, 'independent' when none does, 'mixed' otherwise."""
    chained = sum(i.chain is not None for i in items)
    if not items:
        return None
    return "nested" if chained == len(items) else "independent" if chained == 0 else "mixed"


def chains_of(items: Sequence[ItemFacts]) -> dict[str, Any] | None:
    """The chain analysis (`schedbench.evaluate.chains`) of the items on nested chains, None without any."""
    return chain_analysis(
        [ChainOutcome(i.chain, i.stage, i.sample, i.level, i.correct) for i in items if i.chain is not None]
    )


def summarise(items: Sequence[ItemFacts]) -> dict[str, Any]:
    """Every metric of one run (the contract keys of `report --json` among them)."""
    n = len(items)
    successes = sum(i.correct for i in items)
    low, high = wilson(successes, n)
    by_level = group_rates(items, lambda i: i.level, "level")
    rates = {row["level"]: row["feasible_rate"] for row in by_level}
    feasible = _gapped(items)
    gaps = [i.gap_pct for i in feasible if i.gap_pct is not None]
    better = better_than_reference(items)
    latencies = sorted(i.latency_s for i in items if i.latency_s is not None and not i.cached)
    shares, failed = taxonomy(items)
    tokens_in, tokens_out = sum(i.input_tokens for i in items), sum(i.output_tokens for i in items)
    return {
        "n": n,
        "feasible_rate": round(successes / n, 4) if n else None,
        "feasible_ci": [round(low, 4), round(high, 4)],
        "parse_error_rate": round(sum(not i.parsed and not i.errored for i in items) / n, 4) if n else None,
        "error_rate": round(sum(i.errored for i in items) / n, 4) if n else None,
        "optimal_rate": optimal_rate(items),
        "optimal_n": sum(i.optimality_defined for i in items),
        "outcomes": counts(i.outcome for i in items),
        "mean_gap_pct": _mean(gaps),
        "median_gap_pct": _median(gaps),
        "mean_gap_abs": _mean([i.gap_abs for i in feasible if i.gap_abs is not None]),
        "mean_normalised_gap": _mean([i.normalised_gap for i in feasible if i.normalised_gap is not None]),
        "better_than_reference": len(better),
        "better_than_reference_items": better,
        "wauc": round(w, 4) if (w := wauc(rates)) is not None else None,
        "breakpoint_level": breakpoint_level(rates),
        "by_level": by_level,
        "by_stage": group_rates(items, lambda i: i.stage, "stage"),
        "by_scenario": group_rates(items, lambda i: i.scenario, "scenario"),
        "by_family": family_sections(items),
        "taxonomy": shares,
        "taxonomy_n": failed,
        "tokens": tokens_in + tokens_out,
        "tokens_detail": {
            "input": tokens_in,
            "output": tokens_out,
            "per_item": round((tokens_in + tokens_out) / n, 1) if n else None,
        },
        "cost_usd": round(sum(i.cost_usd for i in items), 6),
        "cached": sum(i.cached for i in items),
        "latency_s": {"mean": _mean(latencies), "p50": _quantile(latencies, 0.5), "p95": _quantile(latencies, 0.95)},
        "ramp": ramp_kind(items),
        "chains": chains_of(items),
    }


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


def round_metrics(conversations: list[list[dict[str, Any]]], rounds: int) -> dict[str, Any]:
    """Multi-turn (repair) metrics over items' stored rounds: success@k and optimal@k for k = 1..rounds (the
    share of items correct / optimal within their first k answers), rounds used, tokens and cost per solved item."""
    n = len(conversations)
    first_correct = [_first(c, "correct") for c in conversations]
    first_optimal = [_first(c, "optimal") for c in conversations]
    solved = sum(f is not None for f in first_correct)
    tokens = sum(r.get("input_tokens", 0) + r.get("output_tokens", 0) for c in conversations for r in c)
    cost = sum(r.get("cost_usd", 0.0) for c in conversations for r in c)
    used = Counter(len(c) for c in conversations)
    return {
        "rounds": rounds,
        "items": n,
        "success_at": {str(k): _share(first_correct, k, n) for k in range(1, rounds + 1)},
        "optimal_at": {str(k): _share(first_optimal, k, n) for k in range(1, rounds + 1)},
        "rounds_used": {str(k): used[k] for k in sorted(used)},
        "mean_rounds": round(sum(len(c) for c in conversations) / n, 4) if n else None,
        "solved": solved,
        "tokens_per_solved": round(tokens / solved, 2) if solved else None,
        "cost_per_solved_usd": round(cost / solved, 6) if solved else None,
    }


def tool_metrics(conversations: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Tool-use metrics over items' stored rounds (the tools strategy keeps its calls in the last round's
    `extra`): tool calls per item (mean and distribution), calls by tool, success by number of calls, the share
    of items whose final answer was never passed to check_schedule, and items with a call refused (over the limit)."""
    finals = [c[-1] for c in conversations if c]
    n = len(finals)
    calls = [int((r.get("extra") or {}).get("calls") or 0) for r in finals]
    by_tool: Counter = Counter(
        call["name"] for r in finals for call in (r.get("extra") or {}).get("tool_calls") or [] if call.get("ran")
    )
    by_calls: dict[str, dict[str, Any]] = {}
    for count in sorted(set(calls)):
        group = [r for r, c in zip(finals, calls, strict=True) if c == count]
        correct = sum(bool((r.get("verification") or {}).get("correct")) for r in group)
        by_calls[str(count)] = {"items": len(group), "success_rate": round(correct / len(group), 4)}
    unchecked = sum(not (r.get("extra") or {}).get("final_checked") for r in finals)
    refused = sum(any(not call.get("ran") for call in (r.get("extra") or {}).get("tool_calls") or []) for r in finals)
    return {
        "items": n,
        "mean_calls": round(sum(calls) / n, 4) if n else None,
        "calls": {str(k): v for k, v in sorted(Counter(calls).items())},
        "by_tool": dict(sorted(by_tool.items())),
        "success_by_calls": by_calls,
        "unchecked_final_rate": round(unchecked / n, 4) if n else None,
        "items_with_refused_calls": refused,
    }


def _first(conversation: list[dict[str, Any]], flag: str) -> int | None:
    """The 1-based round of the first answer with `verification[flag]`, or None."""
    for number, turn in enumerate(conversation, start=1):
        if (turn.get("verification") or {}).get(flag):
            return number
    return None


def _share(firsts: list[int | None], k: int, n: int) -> float | None:
    return round(sum(f is not None and f <= k for f in firsts) / n, 4) if n else None


def program_metrics(conversations: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Formalize metrics over items' stored rounds: how many programs ran, their failure types (over every
    round, and over each item's last round, its result), and their mean run time."""
    rounds = [r for c in conversations for r in c]
    every = Counter(str((r.get("extra") or {}).get("program_failure")) for r in rounds)
    final = Counter(str((c[-1].get("extra") or {}).get("program_failure")) for c in conversations if c)
    times = [(r.get("extra") or {}).get("program_wall_s") for r in rounds]
    ran = [t for t in times if isinstance(t, int | float) and t > 0]
    return {
        "programs": len(rounds),
        "failures": {k: v for k, v in sorted(every.items()) if k != "None"},
        "final_failures": {k: v for k, v in sorted(final.items()) if k != "None"},
        "ran_cleanly": every.get("None", 0),
        "mean_program_s": round(sum(ran) / len(ran), 4) if ran else None,
    }
