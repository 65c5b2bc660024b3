"""The strategy comparison in the report. `report --json` keeps the multi-turn metrics of every multi-turn
strategy under `multi_turn` (none for direct runs), and the tables and HTML read them there.

The per-strategy gap chart: the mean optimality gap of feasible answers against the level, one line per
strategy (its runs pooled), on the same instances. Its points are the pooled means over the items themselves,
the terminal report's "gap by level, per strategy" table shows the same numbers, and the HTML report and the
plot files carry the chart."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from schedbench.evaluate import EvalConfig, evaluate
from schedbench.evaluate.by_strategy import gap_by_level, strategy_of
from schedbench.problems import get_family
from schedbench.references import generate_suite
from schedbench.results import Store
from schedbench.results.html import figure_groups, views_from_store, write_report_outputs
from schedbench.results.report import build_reports, item_facts
from schedbench.results.tables import number, report_tables

RUNS = (  # two direct runs (pooled into one line), a repair run and a formalize run, all on one suite
    ("baseline/edd", "direct", {}),
    ("baseline/spt", "direct", {}),
    ("oracle/repairer", "repair", {"rounds": 2, "feedback": "full"}),
    ("baseline/mdd", "formalize", {"program_timeout_s": 30.0}),
    ("oracle/tooluser", "tools", {"tools": ["check"]}),
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gaps")
    family = get_family("smtt")
    config = family.generator_config(seed=5, levels="6,9,12", per_level=3, stage="unweighted")
    suite = generate_suite(family, config, folder / "smtt", show_progress=False)
    for model, strategy, options in RUNS:
        run = f"{model}-{strategy}"
        evaluate(
            EvalConfig(
                model=model,
                suite=str(suite),
                results=folder / "r.db",
                run=run,
                strategy=strategy,
                strategy_options=options,
                show_progress=False,
            )
        )
    return folder / "r.db"


def _from_items(db: Path) -> dict[str, dict[int, float]]:
    """Per strategy and level: the mean gap over every feasible answer of the strategy's runs, from the items."""
    gaps: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    with Store(db) as store:
        for document in build_reports(store):
            for item in item_facts(store, store.run(document["run"]).id):
                if item.feasible and not item.beats_reference and item.gap_pct is not None:
                    gaps[strategy_of(document)][item.level].append(item.gap_pct)
    return {s: {level: sum(v) / len(v) for level, v in levels.items()} for s, levels in gaps.items()}


@pytest.fixture(scope="module")
def lines(db: Path) -> dict[str, tuple[list[float], list[float]]]:
    """The lines of the smtt section's per-strategy gap chart, as the HTML report builds it: label → (x, y)."""
    with Store(db) as store:
        groups = figure_groups(views_from_store(store, build_reports(store)))
    assert "smtt_strategy_gap_by_level" in groups.flat()  # a plot file of its own (`report --plots DIR`)
    axes = dict(groups.families)["smtt"]["strategy_gap_by_level"].axes[0]
    return {
        line.get_gid().removeprefix("series:line:"): (list(line.get_xdata()), list(line.get_ydata()))
        for line in axes.get_lines()
        if str(line.get_gid()).startswith("series:line:")
    }


def test_one_line_per_strategy_at_the_pooled_mean_gap_of_its_items(db: Path, lines) -> None:
    expected = _from_items(db)
    assert set(lines) == {"direct", "repair×2 full", "formalize×1 full", "tools"} == set(expected)
    for strategy, (levels, values) in lines.items():
        assert levels == sorted(expected[strategy]), strategy
        for level, value in zip(levels, values, strict=True):
            assert value == pytest.approx(expected[strategy][level], abs=1e-3), (strategy, level)
    # the two direct runs are pooled by their answers, not averaged as runs: EDD and SPT differ, and the line
    # lies between them
    with Store(db) as store:
        documents = {d["model"]: d for d in build_reports(store) if d["strategy"] == "direct"}
    edd, spt = (
        {r["level"]: r["mean_gap_pct"] for r in documents[m]["by_level"]} for m in ("baseline/edd", "baseline/spt")
    )
    direct = dict(zip(*lines["direct"], strict=True))
    assert any(edd[level] != spt[level] for level in direct)
    for level, value in direct.items():
        assert min(edd[level], spt[level]) - 1e-9 <= value <= max(edd[level], spt[level]) + 1e-9


def test_the_table_shows_the_chart_points(db: Path, lines) -> None:
    with Store(db) as store:
        documents = build_reports(store)
    table = next(t for t in report_tables(documents) if t.title == "gap by level, per strategy")
    pooled = gap_by_level(documents)
    assert [row[0] for row in table.rows] == list(lines) == list(pooled)
    levels = [int(h.removeprefix("L")) for h in table.headers[1:]]
    for row in table.rows:
        xs, ys = lines[row[0]]
        counts = {r["level"]: r["gap_n"] for r in pooled[row[0]]}
        shown = dict(zip(levels, row[1:], strict=True))
        assert {level for level, cell in shown.items() if cell != "-"} == set(xs)
        for level, value in zip(xs, ys, strict=True):
            assert shown[level] == f"{number(value)} n{counts[level]}"


def test_the_html_report_carries_the_chart(db: Path, tmp_path: Path) -> None:
    with Store(db) as store:
        write_report_outputs(store, build_reports(store), html=tmp_path / "r.html", per_run=1, workers=1)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    start = page.index('data-chart="strategy_gap_by_level"')
    block = page[start : page.index("</figure>", start)]
    assert "per strategy" in block
    for strategy in ("direct", "repair×2 full", "formalize×1 full", "tools"):
        assert f'data-series="{strategy}"' in block, strategy


def _chart_lines(db: Path, chart: str) -> dict[str, tuple[list[float], list[float]]]:
    with Store(db) as store:
        groups = figure_groups(views_from_store(store, build_reports(store)))
    axes = dict(groups.families)["smtt"][chart].axes[0]
    return {
        line.get_gid().removeprefix("series:line:"): (list(line.get_xdata()), list(line.get_ydata()))
        for line in axes.get_lines()
        if str(line.get_gid()).startswith("series:line:")
    }


def test_runs_on_another_suite_get_lines_of_their_own(db: Path, lines, tmp_path: Path) -> None:
    """A direct run on a second suite of the family, with other levels and instances: the family section names
    the suite in every line and pools only runs on the same suite, so the first suite's lines are unchanged."""
    both = tmp_path / "both.db"
    both.write_bytes(db.read_bytes())
    family = get_family("smtt")
    config = family.generator_config(seed=8, levels="6,9", per_level=4, stage="unweighted")
    other = generate_suite(family, config, tmp_path / "other", show_progress=False)
    config_b = EvalConfig(model="baseline/mdd", suite=str(other), results=both, run="mdd-other", show_progress=False)
    evaluate(config_b)
    pooled_over_both = _from_items(both)["direct"]  # what one "direct" line over both suites would draw
    with Store(both) as store:
        other_doc = next(d for d in build_reports(store) if d["run"] == "mdd-other")
    for chart in ("strategy_gap_by_level", "strategy_curves"):
        drawn = _chart_lines(both, chart)
        assert set(drawn) == {f"{strategy} · smtt" for strategy in lines} | {"direct · other"}, chart
    gaps = _chart_lines(both, "strategy_gap_by_level")
    for strategy, points in lines.items():
        assert gaps[f"{strategy} · smtt"] == points, strategy  # the first suite's lines as before
    own = {r["level"]: r["mean_gap_pct"] for r in other_doc["by_level"] if r.get("gap_n")}
    assert dict(zip(*gaps["direct · other"], strict=True)) == pytest.approx(own, abs=1e-3)
    assert set(own) == {6, 9} and pooled_over_both != pytest.approx(dict(zip(*lines["direct"], strict=True)))


def test_no_line_without_feasible_answers() -> None:
    documents: list[dict[str, Any]] = [
        {"strategy": "direct", "by_level": [{"level": 3, "n": 2, "mean_gap_pct": None, "gap_n": 0}]},
        {"strategy": "repair", "config": {"strategy_options": {"rounds": 2}}, "by_level": []},
    ]
    assert gap_by_level(documents) == {}


def test_runs_are_pooled_by_their_feasible_answers_not_averaged_as_runs() -> None:
    documents: list[dict[str, Any]] = [
        {"strategy": "direct", "by_level": [{"level": 3, "mean_gap_pct": 10.0, "gap_n": 1}]},
        {"strategy": "direct", "by_level": [{"level": 3, "mean_gap_pct": 40.0, "gap_n": 3}]},
        {"strategy": "repair", "config": {"strategy_options": {"rounds": 2}}, "by_level": []},
    ]
    assert gap_by_level(documents) == {"direct": [{"level": 3, "gap_n": 4, "mean_gap_pct": 32.5}]}


def test_multi_turn_metrics_sit_under_one_key_for_every_multi_turn_strategy(db: Path) -> None:
    with Store(db) as store:
        documents = build_reports(store)
    by_strategy = {d["strategy"]: d for d in documents}
    assert set(by_strategy) == {"direct", "repair", "formalize", "tools"}
    for document in documents:
        assert "repair" not in document, document["run"]
        assert ("multi_turn" in document) == (document["strategy"] != "direct"), document["run"]
    assert by_strategy["repair"]["multi_turn"]["rounds"] == 2
    assert set(by_strategy["repair"]["multi_turn"]["success_at"]) == {"1", "2"}
    for strategy in ("formalize", "tools"):
        assert by_strategy[strategy]["multi_turn"]["success_at"]["1"] == by_strategy[strategy]["feasible_rate"]
    rounds = next(t for t in report_tables(documents) if t.title == "rounds")
    assert len(rounds.rows) == len(documents)  # every run of the suite has a row, the direct ones without rounds
    shown = {row[0]: row[1] for row in rounds.rows}
    for index, document in enumerate(documents, start=1):
        at_1 = (document.get("multi_turn") or {}).get("success_at", {}).get("1")
        assert shown[f"[{index}]"] == ("-" if at_1 is None else f"{100 * at_1:.1f}%")
