"""Charts of evaluation results, drawn from `report --json` documents (docs/formats.md), one series per run.

Each function takes a list of report documents (several runs overlaid) and returns a matplotlib Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from schedbench.evaluate.metrics import wilson
from schedbench.plots._figure import (
    MAX_OVERLAY,
    abbreviate,
    chart,
    colour,
    empty_note,
    new_figure,
    runs_legend,
    series_gid,
    short_ticks,
)

Document = Mapping[str, Any]


def run_label(doc: Document) -> str:
    """How a run is named in legends: its run name, else its model."""
    return str(doc.get("run") or doc.get("model") or "run")


def _band(row: Mapping[str, Any]) -> tuple[float, float]:
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is not None and high is not None:
        return float(low), float(high)
    n = int(row.get("n") or 0)
    return wilson(round(float(row.get("feasible_rate") or 0.0) * n), n)


def breakdown_rows(doc: Document, key: str) -> list[dict[str, Any]]:
    """A breakdown (`by_stage`, `by_scenario`, …) as rows with a `name`, whether stored as a list or a mapping."""
    raw = doc.get(key) or []
    name_key = key.removeprefix("by_")
    if isinstance(raw, Mapping):
        return [{"name": str(name), **dict(row)} for name, row in raw.items()]
    return [{"name": str(row.get(name_key, row.get("name", "?"))), **row} for row in raw]


@chart
def feasibility_curves(docs: Sequence[Document], title: str = "Feasibility by level") -> Figure:
    """Feasibility rate against level, one line per run with its Wilson 95% band, and a dotted vertical line
    at the run's breakpoint level (docs/metrics.md) when it has one. Beyond MAX_OVERLAY runs: small multiples,
    one panel per run (the other runs in grey behind it)."""
    if sum(1 for doc in docs if doc.get("by_level")) > MAX_OVERLAY:
        return _feasibility_multiples(docs, title)
    fig, (ax,) = new_figure(6.4, 3.6)
    drawn = 0
    for index, doc in enumerate(docs):
        rows = sorted(doc.get("by_level") or [], key=lambda r: r["level"])
        if not rows:
            continue
        levels = [r["level"] for r in rows]
        rates = [float(r.get("feasible_rate") or 0.0) for r in rows]
        bands = [_band(r) for r in rows]
        label = run_label(doc)
        ax.fill_between(
            levels,
            [b[0] for b in bands],
            [b[1] for b in bands],
            color=colour(index),
            alpha=0.18,
            linewidth=0,
            gid=series_gid("band", label),
        )
        ax.plot(
            levels, rates, marker="o", markersize=3, color=colour(index), label=label, gid=series_gid("line", label)
        )
        if doc.get("breakpoint_level") is not None:
            ax.axvline(
                doc["breakpoint_level"],
                color=colour(index),
                linestyle=":",
                linewidth=1.2,
                gid=series_gid("breakpoint", label),
            )
        drawn += 1
    if not drawn:
        empty_note(ax, "no per-level results")
        return fig
    ax.axhline(0.5, color="#999", linestyle=":", linewidth=1)
    ax.set(xlabel="level", ylabel="feasible rate", ylim=(-0.02, 1.02), title=title)
    runs_legend(fig, ax)
    return fig


def _curve(doc: Document) -> tuple[list[int], list[float], list[tuple[float, float]]]:
    rows = sorted(doc.get("by_level") or [], key=lambda r: r["level"])
    return [r["level"] for r in rows], [float(r.get("feasible_rate") or 0.0) for r in rows], [_band(r) for r in rows]


def _feasibility_multiples(docs: Sequence[Document], title: str) -> Figure:
    shown = [(index, doc) for index, doc in enumerate(docs) if doc.get("by_level")]
    cols = 4
    rows = math.ceil(len(shown) / cols)
    fig, axes = new_figure(6.4, 0.6 + 1.45 * rows, rows=rows, cols=cols, sharex=True, sharey=True)
    curves = [_curve(doc) for _, doc in shown]
    for ax, (index, doc), (levels, rates, bands) in zip(axes, shown, curves, strict=False):
        for other_levels, other_rates, _ in curves:
            ax.plot(other_levels, other_rates, color="#d0d0d0", linewidth=0.7)
        label = run_label(doc)
        ax.fill_between(
            levels,
            [b[0] for b in bands],
            [b[1] for b in bands],
            color=colour(index),
            alpha=0.2,
            linewidth=0,
            gid=series_gid("band", label),
        )
        ax.plot(levels, rates, marker="o", markersize=2, color=colour(index), gid=series_gid("line", label))
        ax.set_title(abbreviate(label, 20), fontsize=7)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=6)
        ax.label_outer()
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle(title + " (one panel per run)")
    fig.supxlabel("level", fontsize=8)
    fig.supylabel("feasible rate", fontsize=8)
    return fig


@chart
def gap_curves(docs: Sequence[Document], title: str = "Mean optimality gap by level") -> Figure:
    """Mean gap % of feasible answers against level, one line per run (levels without a gap are skipped)."""
    fig, (ax,) = new_figure(6.4, 3.4)
    drawn = 0
    for index, doc in enumerate(docs):
        rows = sorted(
            (r for r in doc.get("by_level") or [] if r.get("mean_gap_pct") is not None), key=lambda r: r["level"]
        )
        if not rows:
            continue
        label = run_label(doc)
        ax.plot(
            [r["level"] for r in rows],
            [float(r["mean_gap_pct"]) for r in rows],
            marker="o",
            markersize=3,
            color=colour(index),
            label=label,
            gid=series_gid("line", label),
        )
        drawn += 1
    if not drawn:
        empty_note(ax, "no gaps (no feasible answers with a reference)")
        return fig
    ax.set(xlabel="level", ylabel="mean gap of feasible answers (%)", title=title)
    ax.set_ylim(bottom=0)
    runs_legend(fig, ax)
    return fig


@chart
def breakdown_bars(docs: Sequence[Document], key: str = "by_stage", title: str | None = None) -> Figure:
    """Grouped bars of the feasibility rate per stage (or scenario, …), one bar group per category,
    one bar per run, with Wilson error bars."""
    fig, (ax,) = new_figure(6.4, 3.2)
    categories: list[str] = []
    per_run = []
    for doc in docs:
        rows = {r["name"]: r for r in breakdown_rows(doc, key)}
        per_run.append(rows)
        categories += [name for name in rows if name not in categories]
    if not categories:
        empty_note(ax, f"no {key.removeprefix('by_')} breakdown")
        return fig
    width = 0.8 / max(1, len(docs))
    for index, (doc, rows) in enumerate(zip(docs, per_run, strict=True)):
        xs: list[float] = []
        heights: list[float] = []
        errors: tuple[list[float], list[float]] = ([], [])
        for position, name in enumerate(categories):
            if name not in rows:
                continue
            rate = float(rows[name].get("feasible_rate") or 0.0)
            low, high = _band(rows[name])
            xs.append(position - 0.4 + width * (index + 0.5))
            heights.append(rate)
            errors[0].append(max(0.0, rate - low))
            errors[1].append(max(0.0, high - rate))
        label = run_label(doc)
        ax.bar(
            xs,
            heights,
            width=width * 0.95,
            yerr=errors,
            capsize=2,
            color=colour(index),
            label=label,
            error_kw={"elinewidth": 0.8},
            gid=series_gid("bar", label),
        )
    short_ticks(ax, categories)
    ax.set(ylabel="feasible rate", ylim=(0, 1.05), title=title or f"Feasibility by {key.removeprefix('by_')}")
    runs_legend(fig, ax)
    return fig


@chart
def taxonomy_bars(docs: Sequence[Document], title: str = "Violation taxonomy") -> Figure:
    """Horizontal bars: share of infeasible answers showing each violation type, one bar per run."""
    types: list[str] = []
    for doc in docs:
        types += [t for t in (doc.get("taxonomy") or {}) if t not in types]
    fig, (ax,) = new_figure(6.4, max(2.4, 0.28 * len(types) * max(1, len(docs)) + 1.0))
    if not types:
        empty_note(ax, "no violations")
        return fig
    height = 0.8 / max(1, len(docs))
    for index, doc in enumerate(docs):
        shares = doc.get("taxonomy") or {}
        ys = [position - 0.4 + height * (index + 0.5) for position in range(len(types))]
        label = run_label(doc)
        ax.barh(
            ys,
            [float(shares.get(t) or 0.0) for t in types],
            height=height * 0.95,
            color=colour(index),
            label=label,
            gid=series_gid("bar", label),
        )
    ax.set_yticks(range(len(types)), types)
    ax.invert_yaxis()
    ax.set(xlabel="share of infeasible answers", xlim=(0, 1.02), title=title)
    runs_legend(fig, ax)
    return fig


@chart
def gap_distribution(
    gaps: Mapping[str, Sequence[float]],
    title: str = "Optimality gap of feasible answers",
    ylabel: str = "gap to reference (%)",
) -> Figure:
    """Box plot (with points) of the gaps of feasible answers, one box per run."""
    fig, (ax,) = new_figure(6.4, 3.2)
    labels = [label for label, values in gaps.items() if values]
    if not labels:
        empty_note(ax, "no feasible answers with a reference")
        return fig
    for index, label in enumerate(labels):
        values = [float(v) for v in gaps[label]]
        ax.boxplot(
            [values],
            positions=[index],
            widths=0.5,
            showfliers=False,
            medianprops={"color": colour(index)},
            boxprops={"color": colour(index)},
        )
        jitter = [index + 0.18 * math.sin(k * 2.399) for k in range(len(values))]
        ax.scatter(jitter, values, s=8, alpha=0.6, color=colour(index), gid=series_gid("points", label))
    short_ticks(ax, labels)
    ax.set(ylabel=ylabel, title=title)
    return fig


def _token_counts(doc: Document) -> tuple[float, float]:
    """(input, output) tokens of a run; a bare total counts as output."""
    tokens = doc.get("tokens_detail") or doc.get("tokens") or {}
    if isinstance(tokens, Mapping):
        return float(tokens.get("input") or tokens.get("input_tokens") or 0), float(
            tokens.get("output") or tokens.get("output_tokens") or 0
        )
    return 0.0, float(tokens)


@chart
def cost_tokens(docs: Sequence[Document], title: str = "Tokens and cost per item") -> Figure:
    """Mean input/output tokens per item (stacked) and mean USD per item, one bar per run."""
    many = len(docs) > 10  # one axis above the other, each as wide as the chart: room for a tick per run
    fig, (tokens_ax, cost_ax) = new_figure(6.4, 5.0 if many else 3.0, rows=2 if many else 1, cols=1 if many else 2)
    labels = [run_label(doc) for doc in docs]
    if not any(sum(_token_counts(doc)) or doc.get("cost_usd") for doc in docs):
        empty_note(tokens_ax, "no tokens recorded (offline models)")
        empty_note(cost_ax, "no cost recorded")
        return fig
    for index, doc in enumerate(docs):
        n = max(1, int(doc.get("n") or 0))
        tokens_in, tokens_out = _token_counts(doc)
        tokens_ax.bar(
            [index], [tokens_in / n], color=colour(index), alpha=0.55, gid=series_gid("input_tokens", labels[index])
        )
        tokens_ax.bar(
            [index],
            [tokens_out / n],
            bottom=[tokens_in / n],
            color=colour(index),
            gid=series_gid("output_tokens", labels[index]),
        )
        cost_ax.bar(
            [index], [float(doc.get("cost_usd") or 0.0) / n], color=colour(index), gid=series_gid("cost", labels[index])
        )
    for ax in (tokens_ax, cost_ax):
        short_ticks(ax, labels)
    tokens_ax.set(ylabel="tokens per item (light: input)", title="tokens")
    cost_ax.set(ylabel="USD per item", title="cost")
    fig.suptitle(title)
    return fig


def _trajectory_name(row: Mapping[str, Any], samples: bool) -> str:
    name = str(row.get("chain", "?"))
    return f"{name} #{row.get('sample', 0)}" if samples else name


@chart
def chain_breakpoints(docs: Sequence[Document], title: str = "Breakpoint per chain (nested ramps)") -> Figure:
    """One row per chain (and sample), the level at which each run first fails on it: a filled dot, hollow
    when the run succeeds again higher up; a ▷ past the top level when it never fails. A dashed vertical line
    marks each run's median breakpoint."""
    per_run = [list((doc.get("chains") or {}).get("per_chain") or []) for doc in docs]
    samples = any(int(row.get("sample") or 0) for rows in per_run for row in rows)
    names = sorted({_trajectory_name(row, samples) for rows in per_run for row in rows})
    fig, (ax,) = new_figure(6.4, min(12.0, max(2.6, 1.4 + 0.16 * len(names))))
    if not names:
        empty_note(ax, "no nested chains (independent ramp)")
        return fig
    y_of = {name: i for i, name in enumerate(names)}
    top = max(int(row.get("top_level") or 0) for rows in per_run for row in rows)
    drawn = [i for i, rows in enumerate(per_run) if rows]
    for slot, index in enumerate(drawn):
        doc, rows = docs[index], per_run[index]
        label, shift = run_label(doc), (slot - (len(drawn) - 1) / 2) * 0.6 / max(1, len(drawn))
        broken = [r for r in rows if r.get("breakpoint") is not None]
        for recovers, face in ((False, colour(index)), (True, "none")):
            subset = [r for r in broken if bool(r.get("recovers")) == recovers]
            ax.scatter(
                [r["breakpoint"] for r in subset],
                [y_of[_trajectory_name(r, samples)] + shift for r in subset],
                s=22,
                facecolors=face,
                edgecolors=colour(index),
                label=label if not recovers else None,
                gid=series_gid("recovered" if recovers else "breakpoint", label),
            )
        never = [r for r in rows if r.get("breakpoint") is None]
        ax.scatter(
            [top + 0.6] * len(never),
            [y_of[_trajectory_name(r, samples)] + shift for r in never],
            marker=">",
            s=22,
            color=colour(index),
            gid=series_gid("never", label),
        )
        median = (doc.get("chains") or {}).get("breakpoint_median")
        if median is not None:
            ax.axvline(median, color=colour(index), linestyle="--", linewidth=1, gid=series_gid("median", label))
    ax.set_yticks(range(len(names)), names, fontsize=6 if len(names) > 20 else 7)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.invert_yaxis()
    ax.set(xlabel="first failing level (▷: never fails)", title=title)
    runs_legend(fig, ax)
    return fig
