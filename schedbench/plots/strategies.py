"""Charts comparing how runs asked (the strategy: direct, repair, tools, formalize), from report documents:
feasibility and the optimality gap against level pooled per strategy, success within k rounds, and tokens and
cost per solved item.

Every function takes report documents (docs/formats.md) and returns a matplotlib Figure; runs are named by the
labels the caller gives (short keys such as `[3]`), so tick labels stay short.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from schedbench.evaluate.by_strategy import gap_by_level, strategy_line
from schedbench.evaluate.metrics import wilson
from schedbench.plots._figure import chart, colour, empty_note, new_figure, runs_legend, series_gid, short_ticks

Document = Mapping[str, Any]


def pooled_by_level(docs: Sequence[Document]) -> dict[str, list[dict[str, Any]]]:
    """Per strategy line (`strategy_line`): success rate by level pooled over its runs (successes and items
    summed), with Wilson intervals. `docs` carry `by_level` rows (a run's, or one family section's)."""
    counts: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for doc in docs:
        for row in doc.get("by_level") or []:
            cell = counts[strategy_line(doc)][int(row["level"])]
            cell[0] += float(row.get("feasible_rate") or 0.0) * int(row.get("n") or 0)
            cell[1] += int(row.get("n") or 0)
    pooled: dict[str, list[dict[str, Any]]] = {}
    for strategy, levels in counts.items():
        rows = []
        for level in sorted(levels):
            successes, n = levels[level]
            low, high = wilson(round(successes), int(n))
            rows.append({"level": level, "n": int(n), "rate": successes / n if n else 0.0, "low": low, "high": high})
        pooled[strategy] = rows
    return pooled


@chart
def strategy_curves(docs: Sequence[Document], title: str = "Feasibility by level, per strategy") -> Figure:
    """One line per strategy (its runs pooled) with its Wilson 95% band."""
    fig, (ax,) = new_figure(6.4, 3.4)
    pooled = pooled_by_level(docs)
    if not pooled:
        empty_note(ax, "no per-level results")
        return fig
    for index, (strategy, rows) in enumerate(sorted(pooled.items())):
        levels = [r["level"] for r in rows]
        ax.fill_between(
            levels,
            [r["low"] for r in rows],
            [r["high"] for r in rows],
            color=colour(index),
            alpha=0.15,
            linewidth=0,
            gid=series_gid("band", strategy),
        )
        ax.plot(
            levels,
            [r["rate"] for r in rows],
            marker="o",
            markersize=3,
            color=colour(index),
            label=strategy,
            gid=series_gid("line", strategy),
        )
    ax.set(xlabel="level", ylabel="feasible rate", ylim=(-0.02, 1.02), title=title)
    runs_legend(fig, ax)
    return fig


@chart
def strategy_gap_curves(docs: Sequence[Document], title: str = "Mean gap by level, per strategy") -> Figure:
    """One line per strategy: the mean optimality gap of its feasible answers against the level, its runs
    pooled (`gap_by_level`, the numbers of the report's table of the same name)."""
    fig, (ax,) = new_figure(6.4, 3.4)
    pooled = gap_by_level(docs)
    if not pooled:
        empty_note(ax, "no gaps (no feasible answers with a reference)")
        return fig
    for index, (strategy, rows) in enumerate(pooled.items()):
        ax.plot(
            [r["level"] for r in rows],
            [r["mean_gap_pct"] for r in rows],
            marker="o",
            markersize=3,
            color=colour(index),
            label=strategy,
            gid=series_gid("line", strategy),
        )
    ax.set(xlabel="level", ylabel="mean gap of feasible answers (%)", title=title)
    ax.set_xticks(sorted({r["level"] for rows in pooled.values() for r in rows}))
    if max(r["mean_gap_pct"] for rows in pooled.values() for r in rows) > 100:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("symlog", linthresh=1.0)  # a rule far off the optimum would flatten every other line
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_ylim(bottom=0)
    runs_legend(fig, ax)
    return fig


@chart
def success_at_k(docs: Sequence[Document], labels: Sequence[str], title: str = "Success within k rounds") -> Figure:
    """success@k against k for every run with stored rounds (a flat line for one-round runs)."""
    fig, (ax,) = new_figure(6.4, 3.4)
    drawn = 0
    for index, (doc, label) in enumerate(zip(docs, labels, strict=True)):
        rounds = doc.get("multi_turn") or {}
        at = rounds.get("success_at") or {}
        if not at:
            continue
        ks = sorted(int(k) for k in at)
        ax.plot(
            ks,
            [float(at[str(k)] or 0.0) for k in ks],
            marker="o",
            markersize=3,
            color=colour(index),
            label=label,
            gid=series_gid("line", label),
        )
        drawn += 1
    if not drawn:
        empty_note(ax, "no run with rounds (only direct runs)")
        return fig
    ax.set(xlabel="rounds k", ylabel="share solved within k rounds", ylim=(-0.02, 1.02), title=title)
    ax.set_xticks(range(1, max(len((doc.get("multi_turn") or {}).get("success_at") or {}) for doc in docs) + 1))
    runs_legend(fig, ax)
    return fig


def per_solved(doc: Document) -> tuple[float | None, float | None]:
    """(tokens, USD) per solved item: from the rounds' metrics when stored, else the run's totals over its
    successes; None without any success."""
    rounds = doc.get("multi_turn") or {}
    if rounds.get("solved"):
        return rounds.get("tokens_per_solved"), rounds.get("cost_per_solved_usd")
    solved = round(float(doc.get("feasible_rate") or 0.0) * int(doc.get("n") or 0))
    if not solved:
        return None, None
    tokens = doc.get("tokens") or 0
    total = sum(tokens.values()) if isinstance(tokens, Mapping) else float(tokens)
    return total / solved, float(doc.get("cost_usd") or 0.0) / solved


@chart
def cost_per_solved(docs: Sequence[Document], labels: Sequence[str], title: str = "Per solved item") -> Figure:
    """Tokens and USD per solved item, one bar per run (runs that solved nothing are left out, and say so)."""
    many = len(docs) > 10  # one axis above the other, each as wide as the chart: room for a tick per run
    fig, (tokens_ax, cost_ax) = new_figure(6.4, 5.0 if many else 3.0, rows=2 if many else 1, cols=1 if many else 2)
    values = [(label, index, *per_solved(doc)) for index, (doc, label) in enumerate(zip(docs, labels, strict=True))]
    solved = [v for v in values if v[2] is not None]
    if not any(v[2] or v[3] for v in solved):
        empty_note(tokens_ax, "no tokens recorded (offline models)")
        empty_note(cost_ax, "no cost recorded")
        return fig
    for position, (label, index, tokens, cost) in enumerate(solved):
        tokens_ax.bar([position], [tokens or 0.0], color=colour(index), gid=series_gid("tokens", label))
        cost_ax.bar([position], [cost or 0.0], color=colour(index), gid=series_gid("cost", label))
    for ax in (tokens_ax, cost_ax):
        short_ticks(ax, [v[0] for v in solved])
    tokens_ax.set(ylabel="tokens per solved item", title="tokens")
    cost_ax.set(ylabel="USD per solved item", title="cost")
    fig.suptitle(title)
    return fig
