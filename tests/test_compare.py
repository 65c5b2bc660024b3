"""`schedbench compare`: exact McNemar p-values checked by hand, bootstrap intervals that cover the truth,
Holm correction, identical runs, refusal of runs on different suites, the JSON document and the leaderboard."""

from __future__ import annotations

import json
from math import comb
from pathlib import Path

import numpy as np
import pytest

from schedbench.evaluate.paired import PairedItems, compare_items, holm, mcnemar_exact
from schedbench.results import ItemRecord, Store

LEVELS = (2, 4, 6, 8)
STAGES = ("one", "two")


def add_run(store: Store, name: str, success: np.ndarray, gap: np.ndarray, suite_hash: str = "h1") -> None:
    """A stored run whose item i (level and stage cycling) succeeded iff success[i], with gap[i] when it did."""
    run = store.create_run(name, f"model/{name}", "/nonexistent/suite", suite_hash, {}, {}, None, len(success))
    batch = []
    for i, ok in enumerate(success):
        verification = {"feasible": bool(ok), "correct": bool(ok), "gap_pct": float(gap[i]) if ok else None}
        record = ItemRecord(
            instance_id=f"i{i:04d}",
            sample=0,
            family="rcpsp",
            level=LEVELS[i % len(LEVELS)],
            stage=STAGES[(i // len(LEVELS)) % len(STAGES)],
            scenario="abstract",
            mode="plan",
            answer={"starts": {}},
            verification=verification,
        )
        batch.append((record, None))
    store.add_items(run.id, batch)


def by_hand_mcnemar(only_a: int, only_b: int) -> float:
    n, k = only_a + only_b, min(only_a, only_b)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n)


def test_exact_mcnemar_p_value_of_a_known_difference(tmp_path: Path, cli) -> None:
    n = 400
    a = np.zeros(n, dtype=bool)
    b = np.zeros(n, dtype=bool)
    a[:150] = b[:150] = True  # both right on 150 items
    a[150:168] = True  # 18 items only A gets right
    b[168:174] = True  # 6 items only B gets right
    gaps = np.full(n, 5.0)
    with Store(tmp_path / "r.db") as store:
        add_run(store, "A", a, gaps)
        add_run(store, "B", b, gaps)
    code, out, err = cli(["compare", "A", "B", "--results", str(tmp_path / "r.db"), "--json", "--resamples", "2000"])
    assert code == 0, err
    document = json.loads(out)
    pair = document["pairs"][0]
    assert (pair["mcnemar"]["only_a"], pair["mcnemar"]["only_b"]) == (18, 6)
    # P(X <= 6), X ~ Binomial(24, 1/2): (1 + 24 + 276 + 2024 + 10626 + 42504 + 134596) / 2^24, doubled
    assert pair["mcnemar"]["p"] == pytest.approx(2 * 190051 / 2**24, rel=1e-12)
    assert pair["mcnemar"]["p"] == pytest.approx(by_hand_mcnemar(18, 6), rel=1e-12)
    assert pair["mcnemar"]["p_holm"] == pair["mcnemar"]["p"]  # one pair: nothing to adjust
    assert pair["mcnemar"]["significant"]
    assert pair["success_diff"] == pytest.approx(12 / 400)
    low, high = pair["success_diff_ci"]
    assert low < 12 / 400 < high and low > 0  # significant by the bootstrap too
    assert document["n"] == n and document["unpaired"] == {"A": 0, "B": 0}
    for row in pair["by_level"]:
        assert row["mcnemar_p"] == pytest.approx(by_hand_mcnemar(row["only_a"], row["only_b"]))
    assert sum(row["only_a"] for row in pair["by_level"]) == 18
    assert {row["stage"] for row in pair["by_stage"]} == set(STAGES)


def synthetic(seed: int, n: int = 400) -> tuple[PairedItems, dict[str, float]]:
    """Two runs with success probabilities 0.7 and 0.5 at every level, and gaps B = A + 3 + noise: the true
    differences are 0.2 (success rate and WAUC) and −3 (paired gap)."""
    rng = np.random.default_rng(seed)
    level = np.array([LEVELS[i % 4] for i in range(n)])
    stage = np.array([STAGES[(i // 4) % 2] for i in range(n)])
    success = np.stack([rng.random(n) < 0.7, rng.random(n) < 0.5])
    gap_a = rng.exponential(4.0, n)
    gap = np.stack([gap_a, gap_a + 3.0 + rng.normal(0.0, 2.0, n)])
    gap[~success] = np.nan
    return PairedItems(["A", "B"], level, stage, success, gap), {"success": 0.2, "wauc": 0.2, "gap": -3.0}


def test_bootstrap_intervals_contain_the_true_difference() -> None:
    items, truth = synthetic(seed=11, n=2000)
    pair = compare_items(items, resamples=2000, seed=1)["pairs"][0]
    for key in ("success", "wauc", "gap"):
        low, high = pair[f"{key}_diff_ci"]
        assert low <= truth[key] <= high, key


def test_bootstrap_intervals_cover_at_about_their_level() -> None:
    hits = {"success": 0, "wauc": 0, "gap": 0}
    repetitions = 80
    for seed in range(repetitions):
        items, truth = synthetic(seed, n=200)
        pair = compare_items(items, resamples=400, seed=seed)["pairs"][0]
        for key in hits:
            low, high = pair[f"{key}_diff_ci"]
            hits[key] += low <= truth[key] <= high
    for key, count in hits.items():
        assert 0.85 <= count / repetitions <= 1.0, (key, count)


def test_same_seed_same_intervals_other_seed_other_intervals() -> None:
    items, _ = synthetic(seed=3)
    first = compare_items(items, resamples=500, seed=7)
    assert compare_items(items, resamples=500, seed=7) == first
    assert (
        compare_items(items, resamples=500, seed=8)["pairs"][0]["success_diff_ci"]
        != first["pairs"][0]["success_diff_ci"]
    )


def test_identical_runs_are_not_significant() -> None:
    items, _ = synthetic(seed=5)
    twin = PairedItems(
        ["A", "A2"], items.level, items.stage, np.stack([items.success[0]] * 2), np.stack([items.gap[0]] * 2)
    )
    document = compare_items(twin, resamples=500, seed=0)
    pair = document["pairs"][0]
    assert pair["mcnemar"]["p"] == 1.0 and not pair["mcnemar"]["significant"]
    assert pair["success_diff_ci"] == [0.0, 0.0] and pair["wauc_diff_ci"] == [0.0, 0.0]
    assert pair["gap_diff"] == 0.0
    assert not document["leaderboard"][1]["vs_best"]["significant"]
    assert not document["leaderboard"][1]["vs_best"]["wauc_differs"]


def test_holm_adjustment_over_three_runs() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    rng = np.random.default_rng(0)
    n = 300
    level = np.array([LEVELS[i % 4] for i in range(n)])
    stage = np.array([STAGES[i % 2] for i in range(n)])
    success = np.stack([rng.random(n) < p for p in (0.8, 0.6, 0.58)])
    items = PairedItems(["A", "B", "C"], level, stage, success, np.full((3, n), np.nan))
    document = compare_items(items, resamples=300, seed=0)
    raw = [by_hand_mcnemar(p["mcnemar"]["only_a"], p["mcnemar"]["only_b"]) for p in document["pairs"]]
    order = sorted(range(3), key=lambda i: raw[i])
    expected = [0.0] * 3
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (3 - rank) * raw[i]))
        expected[i] = running
    assert [p["mcnemar"]["p_holm"] for p in document["pairs"]] == pytest.approx(expected)
    assert [(p["a"], p["b"]) for p in document["pairs"]] == [("A", "B"), ("A", "C"), ("B", "C")]
    board = document["leaderboard"]
    assert board[0]["run"] == "A" and board[0]["vs_best"] is None
    assert board[0]["wauc_ci"][0] <= board[0]["wauc"] <= board[0]["wauc_ci"][1]
    assert all(row["vs_best"]["significant"] for row in board[1:])


def test_mcnemar_edge_cases() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 7) == pytest.approx(2 / 2**7)
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(220, 281) == pytest.approx(by_hand_mcnemar(220, 281), rel=1e-9)


def test_runs_of_different_suites_are_refused(tmp_path: Path, cli) -> None:
    ok = np.ones(8, dtype=bool)
    with Store(tmp_path / "r.db") as store:
        add_run(store, "A", ok, np.zeros(8))
        add_run(store, "B", ok, np.zeros(8), suite_hash="other")
    code, out, err = cli(["compare", "A", "B", "--results", str(tmp_path / "r.db")])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "different suites" in err
    code, _, err = cli(["compare", "A", "nope", "--results", str(tmp_path / "r.db")])
    assert code == 2 and "no run 'nope'" in err
    code, _, err = cli(["compare", "A", "--results", str(tmp_path / "r.db")])
    assert code == 2 and "at least two runs" in err


def test_unpaired_items_are_left_out_and_counted(tmp_path: Path, cli) -> None:
    with Store(tmp_path / "r.db") as store:
        add_run(store, "A", np.ones(40, dtype=bool), np.zeros(40))
        add_run(store, "B", np.ones(32, dtype=bool), np.zeros(32))
    code, out, err = cli(["compare", "A", "B", "--results", str(tmp_path / "r.db"), "--json", "--resamples", "200"])
    assert code == 0, err
    document = json.loads(out)
    assert document["n"] == 32 and document["unpaired"] == {"A": 8, "B": 0}


def test_leaderboard_in_the_html_report_and_the_table(tmp_path: Path, cli) -> None:
    items, _ = synthetic(seed=2, n=160)
    with Store(tmp_path / "r.db") as store:
        add_run(store, "weak", items.success[1], np.nan_to_num(items.gap[1]))
        add_run(store, "strong", items.success[0], np.nan_to_num(items.gap[0]))
    html = tmp_path / "cmp.html"
    code, out, err = cli(["compare", "weak", "strong", "--results", str(tmp_path / "r.db"), "--html", str(html)])
    assert code == 0, err
    assert "Leaderboard" in out and "strong" in out
    page = html.read_text()
    board = page[page.index('id="leaderboard"') : page.index('id="summary"')]
    assert board.index("strong") < board.index("weak")  # ranked by WAUC
    assert "<td>best</td>" in board
    code, _, err = cli(["report", "--results", str(tmp_path / "r.db"), "--html", str(tmp_path / "rep.html")])
    assert code == 0, err
    assert 'id="leaderboard"' in (tmp_path / "rep.html").read_text()
