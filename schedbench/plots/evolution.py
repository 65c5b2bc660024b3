"""Charts of an evolve run, drawn from its `history.jsonl` rows (docs/formats.md): score over iterations, and the
lineage of the best program (its chain of parents back to the seed)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from schedbench.errors import InputError
from schedbench.plots._figure import chart, colour, empty_note, new_figure, series_gid

Row = Mapping[str, Any]


def read_history(path: Path) -> list[dict[str, Any]]:
    """The rows of a history.jsonl file; InputError naming the line when one is not a JSON object."""
    from schedbench.suites import json_lines

    rows = []
    for number, row in json_lines(path):
        if not isinstance(row, dict) or "iteration" not in row:
            raise InputError(f"{path}:{number}", "iteration", "each line must be an object with an iteration")
        rows.append(row)
    return rows


def _score(row: Row) -> float | None:
    value = row.get("score")
    if row.get("status", "ok") != "ok" or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) else None


def best_row(history: Sequence[Row]) -> Row | None:
    """The row of the highest-scoring successful program (earliest on ties)."""
    scored = [row for row in history if _score(row) is not None]
    return max(scored, key=lambda row: (_score(row), -int(row["iteration"])), default=None)


def lineage(history: Sequence[Row], program_id: str | None = None) -> list[Row]:
    """The chain of rows from the seed to `program_id` (default: the best program), following parent_id."""
    by_id = {row.get("program_id"): row for row in history if row.get("program_id") is not None}
    if program_id is None:
        best = best_row(history)
        program_id = best.get("program_id") if best else None
    chain: list[Row] = []
    seen: set[Any] = set()
    while program_id in by_id and program_id not in seen:
        seen.add(program_id)
        chain.append(by_id[program_id])
        program_id = by_id[program_id].get("parent_id")
    return chain[::-1]


@chart
def score_over_iterations(history: Sequence[Row], title: str = "Score over iterations") -> Figure:
    """Every evaluated program's score by iteration (one colour per island), failures marked below,
    and the best score so far as a step line."""
    fig, (ax,) = new_figure(6.4, 3.4)
    scored = [row for row in history if _score(row) is not None]
    if not scored:
        empty_note(ax, "no successful programs yet")
        return fig
    islands = sorted({row.get("island", 0) for row in scored}, key=str)
    for index, island in enumerate(islands):
        rows = [row for row in scored if row.get("island", 0) == island]
        ax.scatter(
            [row["iteration"] for row in rows],
            [score for row in rows if (score := _score(row)) is not None],
            s=10,
            alpha=0.7,
            color=colour(index + 1),
            label=f"island {island}",
            gid=series_gid("island", str(island)),
        )
    failed = [row for row in history if _score(row) is None]
    floor = min(score for row in scored if (score := _score(row)) is not None)
    if failed:
        ax.scatter(
            [row["iteration"] for row in failed],
            [floor] * len(failed),
            marker="x",
            s=12,
            color="#999",
            label=f"failed/rejected ({len(failed)})",
            gid=series_gid("failed", "failed"),
        )
    ordered = sorted(scored, key=lambda row: row["iteration"])
    best_so_far, running = [], -math.inf
    for row in ordered:
        running = max(running, _score(row) or -math.inf)
        best_so_far.append(running)
    ax.step(
        [row["iteration"] for row in ordered],
        best_so_far,
        where="post",
        color=colour(0),
        linewidth=1.6,
        label="best so far",
        gid=series_gid("best", "best so far"),
    )
    ax.set(xlabel="iteration", ylabel="score (higher is better)", title=title)
    ax.legend(loc="lower right", fontsize=7)
    return fig


@chart
def lineage_chart(
    history: Sequence[Row], program_id: str | None = None, title: str = "Lineage of the best program"
) -> Figure:
    """The best program's ancestors (seed → best) by iteration and score, each labelled with its id."""
    chain = lineage(history, program_id)
    fig, (ax,) = new_figure(6.4, 3.0)
    if not chain:
        empty_note(ax, "no lineage (no successful program)")
        return fig
    xs = [row["iteration"] for row in chain]
    ys = [score if (score := _score(row)) is not None else math.nan for row in chain]
    ax.plot(xs, ys, marker="o", color=colour(0), gid=series_gid("lineage", str(chain[-1].get("program_id"))))
    for x, y, row in zip(xs, ys, chain, strict=True):
        ax.annotate(
            str(row.get("program_id"))[:10], (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=6
        )
    ax.set(xlabel="iteration", ylabel="score", title=f"{title} ({len(chain)} generations)")
    return fig
