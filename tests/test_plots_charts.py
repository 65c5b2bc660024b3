"""Charts of report documents and evolve histories: one identifiable series per run, right data, files written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from schedbench import plots
from schedbench.errors import InputError
from schedbench.evaluate.metrics import wilson

SERIES = re.compile(r'class="sb-series" data-role="([^"]+)" data-series="([^"]*)"')


def document(run: str, rates: list[float], n: int = 20) -> dict[str, Any]:
    """A report document (the shape of docs/formats.md) with the given feasibility rate per level 1..k."""
    by_level = []
    for level, rate in enumerate(rates, start=1):
        low, high = wilson(round(rate * n), n)
        by_level.append(
            {"level": level, "n": n, "feasible_rate": rate, "ci_low": low, "ci_high": high, "mean_gap_pct": None}
        )
    return {
        "run": run,
        "model": run,
        "n": n * len(rates),
        "by_level": by_level,
        "by_stage": [
            {"stage": "precedence", "n": n, "feasible_rate": rates[0], "ci_low": 0.5, "ci_high": 1.0},
            {"stage": "windows", "n": n, "feasible_rate": rates[-1], "ci_low": 0.0, "ci_high": 0.4},
        ],
        "taxonomy": {"capacity": 0.5, "precedence": 0.25},
        "tokens": 3000,
        "tokens_detail": {"input": 2000, "output": 1000},
        "cost_usd": 0.12,
    }


def tagged(fig: Any) -> list[tuple[str, str]]:
    """(role, label) of each tagged series, in drawing order; a series drawn as several shapes (bars) counts once."""
    return list(dict.fromkeys(SERIES.findall(plots.inline_svg(plots.figure_svg(fig), "t"))))


def test_feasibility_curves_have_a_line_and_a_band_per_run() -> None:
    docs = [document("model-a", [1.0, 0.8, 0.4]), document("model-b", [0.9, 0.5, 0.1]), {"run": "empty"}]
    fig = plots.feasibility_curves(docs)
    found = tagged(fig)
    assert [label for role, label in found if role == "line"] == ["model-a", "model-b"]
    assert [label for role, label in found if role == "band"] == ["model-a", "model-b"]
    line = next(line for line in fig.axes[0].get_lines() if line.get_gid() == "series:line:model-b")
    assert list(line.get_ydata()) == [0.9, 0.5, 0.1]
    assert not [label for role, label in found if role == "breakpoint"]
    docs[1]["breakpoint_level"] = 2
    marks = [
        line
        for line in plots.feasibility_curves(docs).axes[0].get_lines()
        if line.get_gid() == "series:breakpoint:model-b"
    ]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [2, 2]


def test_missing_intervals_fall_back_to_wilson() -> None:
    low, high = wilson(8, 10)
    assert 0.49 < low < 0.5 and 0.94 < high < 0.95
    assert wilson(0, 0) == (0.0, 1.0)
    doc = {"run": "r", "by_level": [{"level": 3, "n": 10, "feasible_rate": 0.8}]}
    band = next(c for c in plots.feasibility_curves([doc]).axes[0].collections if c.get_gid() == "series:band:r")
    ys = band.get_paths()[0].vertices[:, 1]
    assert min(ys) == pytest.approx(low) and max(ys) == pytest.approx(high)


def test_gap_curves_skip_levels_without_a_gap() -> None:
    doc = document("a", [1.0, 0.5, 0.0])
    doc["by_level"][0]["mean_gap_pct"], doc["by_level"][1]["mean_gap_pct"] = 2.5, 7.0
    fig = plots.gap_curves([doc, document("no-gaps", [0.0])])
    assert [label for role, label in tagged(fig) if role == "line"] == ["a"]
    line = fig.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [1, 2] and list(line.get_ydata()) == [2.5, 7.0]


def test_breakdowns_accept_lists_and_mappings() -> None:
    as_list = document("a", [1.0, 0.2])
    as_mapping = {"run": "b", "by_stage": {"precedence": {"n": 5, "feasible_rate": 0.6}}}
    fig = plots.breakdown_bars([as_list, as_mapping], "by_stage")
    assert [label for role, label in tagged(fig) if role == "bar"] == ["a", "b"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["precedence", "windows"]


def test_taxonomy_gap_and_cost_charts_tag_each_run() -> None:
    docs = [document("a", [1.0]), document("b", [0.5])]
    assert [label for role, label in tagged(plots.taxonomy_bars(docs)) if role == "bar"] == ["a", "b"]
    gaps = tagged(plots.gap_distribution({"a": [0.0, 5.0, 12.5], "b": [], "c": [1.0]}))
    assert [label for role, label in gaps if role == "points"] == ["a", "c"]
    cost = tagged(plots.cost_tokens(docs))
    assert {role for role, _ in cost} == {"input_tokens", "output_tokens", "cost"}


def test_empty_inputs_give_a_note_not_an_error() -> None:
    for fig in (
        plots.feasibility_curves([]),
        plots.taxonomy_bars([{"run": "x"}]),
        plots.gap_distribution({}),
        plots.score_over_iterations([]),
        plots.lineage_chart([]),
    ):
        assert not tagged(fig)
        assert any(t.get_text() for ax in fig.axes for t in ax.texts)


def history() -> list[dict[str, Any]]:
    """Seed p0; p1 and p2 from p0; p3 from p2 (the best); p4 failed."""
    return [
        {"iteration": 0, "program_id": "p0", "parent_id": None, "island": 0, "status": "ok", "score": 0.1},
        {"iteration": 1, "program_id": "p1", "parent_id": "p0", "island": 0, "status": "ok", "score": 0.3},
        {"iteration": 2, "program_id": "p2", "parent_id": "p0", "island": 1, "status": "ok", "score": 0.2},
        {"iteration": 3, "program_id": "p3", "parent_id": "p2", "island": 1, "status": "ok", "score": 0.5},
        {
            "iteration": 4,
            "program_id": "p4",
            "parent_id": "p3",
            "island": 0,
            "status": "failed",
            "score": None,
            "error": "timeout",
        },
    ]


def test_lineage_follows_parents_from_the_seed_to_the_best() -> None:
    rows = history()
    assert plots.best_row(rows)["program_id"] == "p3"
    assert [row["program_id"] for row in plots.lineage(rows)] == ["p0", "p2", "p3"]
    assert [row["program_id"] for row in plots.lineage(rows, "p1")] == ["p0", "p1"]
    looped = [*rows, {"iteration": 5, "program_id": "p0", "parent_id": "p3", "status": "ok", "score": 0.0}]
    assert len(plots.lineage(looped, "p3")) <= len(looped)


def test_score_chart_marks_failures_and_the_best_so_far() -> None:
    fig = plots.score_over_iterations(history())
    found = tagged(fig)
    assert [label for role, label in found if role == "island"] == ["0", "1"]
    best = next(line for line in fig.axes[0].get_lines() if line.get_gid() == "series:best:best so far")
    assert list(best.get_ydata()) == [0.1, 0.3, 0.3, 0.5]
    assert ("failed", "failed") in found
    assert [label for role, label in tagged(plots.lineage_chart(history())) if role == "lineage"] == ["p3"]


def test_read_history_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(history()[0]) + "\n{oops\n")
    with pytest.raises(InputError, match=r"history.jsonl:2"):
        plots.read_history(path)
    path.write_text(json.dumps(history()[0]) + "\n[1, 2]\n")
    with pytest.raises(InputError, match="iteration"):
        plots.read_history(path)


def test_saved_files_are_real_png_and_svg_with_series_ids(tmp_path: Path) -> None:
    written = plots.save_figure(plots.feasibility_curves([document("m", [1.0, 0.5])]), tmp_path / "sub" / "curve")
    assert [p.name for p in written] == ["curve.png", "curve.svg", "curve.pdf"]
    assert written[2].read_bytes()[:5] == b"%PDF-"
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = written[1].read_text()
    assert 'id="series:line:m"' in svg and 'id="series:band:m"' in svg


def test_inline_svg_prefixes_ids_so_figures_can_share_a_page() -> None:
    svg = plots.figure_svg(plots.feasibility_curves([document("m", [1.0, 0.5])]))
    one, two = plots.inline_svg(svg, "a"), plots.inline_svg(svg, "b")
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    ids_two = set(re.findall(r'\bid="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    for ref in re.findall(r"url\(#([^)]+)\)", one):
        assert ref in ids_one
    assert not one.startswith("<?xml")


def test_colours_never_repeat_and_start_colour_blind_safe() -> None:
    from schedbench.plots._figure import MAX_OVERLAY, PALETTE, colour

    colours = [colour(k) for k in range(200)]
    assert len(set(colours)) == len(colours)
    assert colours[:MAX_OVERLAY] == list(PALETTE) and "#F0E442" not in PALETTE  # no yellow on white


def test_many_runs_become_small_multiples_one_panel_each() -> None:
    from schedbench.plots._figure import MAX_OVERLAY

    docs = [
        {"run": f"[{k}] run-{k}", "by_level": [{"level": 1, "n": 4, "feasible_rate": 0.5}, {"level": 2, "n": 4}]}
        for k in range(1, MAX_OVERLAY + 5)
    ]
    fig = plots.feasibility_curves(docs)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(docs)
    assert [ax.get_title() for ax in panels] == [doc["run"] for doc in docs]
    svg = plots.figure_svg(fig)
    assert len(set(re.findall(r'id="series:line:([^"]*)"', svg))) == len(docs)
    overlaid = plots.feasibility_curves(docs[:MAX_OVERLAY])
    assert len([ax for ax in overlaid.axes if ax.get_visible()]) == 1
