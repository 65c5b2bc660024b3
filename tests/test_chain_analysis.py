"""Chain analysis of nested ramps: breakpoints per chain, recovery, median interval, paired adjacent tests,
end to end from a scripted model; runs and suites from before chains existed report as independent."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from schedbench.evaluate.chains import (
    ChainOutcome,
    binomial_cdf,
    chain_analysis,
    mcnemar_exact,
    median_interval,
)
from schedbench.results.store import SCHEMA, Store
from schedbench.suites import load_instances

GOLDEN = Path(__file__).parent / "data" / "rcpsp_independent_golden.jsonl"


def test_exact_mcnemar_matches_the_binomial_by_hand() -> None:
    # 7 breaks, 1 recovery: p = 2 · (C(8,0) + C(8,1)) / 2^8 = 18 / 256
    assert mcnemar_exact(7, 1) == pytest.approx(18 / 256)
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256)
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    assert binomial_cdf(2, 10) == pytest.approx(56 / 1024)


def test_median_interval_uses_the_binomial_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # n = 10: ranks 2 and 9 (coverage 97.9%)
    assert median_interval(values) == (2.0, 9.0)
    assert median_interval([5.0, 1.0, 3.0]) == (1.0, 5.0)  # too few for 95%: the whole range
    assert median_interval([4.0, math.inf, 6.0]) == (4.0, math.inf)


def outcomes(script: dict[str, str], sample: int = 0) -> list[ChainOutcome]:
    """Outcome strings per chain ('1' solved, '0' failed) at levels 1, 2, …"""
    return [
        ChainOutcome(chain, "precedence", sample, level, flag == "1")
        for chain, flags in script.items()
        for level, flag in enumerate(flags, start=1)
    ]


def test_breakpoints_recovery_and_adjacent_counts() -> None:
    analysis = chain_analysis(outcomes({"A": "111000", "B": "111111", "C": "110100", "D": "011111"}))
    assert analysis is not None
    rows = {r["chain"]: r for r in analysis["per_chain"]}
    assert {c: (r["breakpoint"], r["recovers"]) for c, r in rows.items()} == {
        "A": (4, False),
        "B": (None, False),
        "C": (3, True),
        "D": (1, True),
    }
    assert analysis["never_failed"] == 1 and analysis["recovered"] == 2
    assert analysis["breakpoint_counts"] == {"1": 1, "3": 1, "4": 1}
    assert analysis["breakpoint_median"] == 3.5  # of 1, 3, 4 and 'never' (beyond the top)
    assert analysis["by_stage"]["precedence"]["breakpoint_median"] == 3.5
    step = {(r["from_level"], r["to_level"]): r for r in analysis["adjacent"]}
    assert (step[(3, 4)]["breaks"], step[(3, 4)]["recoveries"]) == (1, 1)  # A breaks, C recovers
    assert (step[(1, 2)]["breaks"], step[(1, 2)]["recoveries"], step[(1, 2)]["solved_at_from"]) == (0, 1, 3)
    assert step[(2, 3)]["breaks"] == 1 and step[(2, 3)]["p_value"] == 1.0
    assert chain_analysis([]) is None


def test_samples_are_separate_trajectories() -> None:
    analysis = chain_analysis(outcomes({"A": "1100"}, sample=0) + outcomes({"A": "1110"}, sample=1))
    assert analysis is not None and set(analysis["by_stage"]) == {"precedence"}
    assert analysis["n_chains"] == 1 and analysis["n_trajectories"] == 2
    assert [r["breakpoint"] for r in analysis["per_chain"]] == [3, 4]


SCRIPT = {"C00": 4, "C01": None, "C02": 6}
"""Chain → the level from which the scripted model fails (None: never); C02 answers level 7 and up again."""


def fails(chain: str, level: int) -> bool:
    start = SCRIPT[chain]
    if start is None:
        return False
    return level >= start and not (chain == "C02" and level >= 7)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A nested suite (3 chains × levels 1–9) and a replay file: right answers, except where `fails` says."""
    from schedbench.problems import get_family
    from schedbench.references import generate_suite

    folder = tmp_path_factory.mktemp("chains")
    family = get_family("rcpsp")
    config = family.generator_config(levels="1-9", per_level=3, stage="precedence", tasks=8, seed=4, workers=1)
    generate_suite(family, config, folder / "suite", show_progress=False)
    lines = []
    for inst in load_instances(folder / "suite"):
        chain = inst.model_extra["chain"].rsplit("-", 1)[1]
        assert inst.reference is not None and inst.reference.witness is not None
        answer = "I cannot schedule this." if fails(chain, inst.level) else json.dumps(inst.reference.witness)
        lines.append(json.dumps({"instance_id": inst.id, "sample": 0, "response": f"```json\n{answer}\n```"}))
    replay = folder / "script.jsonl"
    replay.write_text("\n".join(lines) + "\n")
    return folder / "suite", replay


def test_scripted_model_breakpoints_equal_the_script(scripted: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    suite, replay = scripted
    db = str(tmp_path / "r.db")
    assert cli(["evaluate", "--model", f"replay/{replay}", "--suite", str(suite), "--results", db, "--quiet"])[0] == 0
    code, out, _ = cli(["report", "--results", db, "--json"])
    assert code == 0
    document = json.loads(out)
    document = document[0] if isinstance(document, list) else document
    assert document["ramp"] == "nested"
    chains = document["chains"]
    found = {r["chain"].rsplit("-", 1)[1]: (r["breakpoint"], r["recovers"]) for r in chains["per_chain"]}
    assert found == {"C00": (4, False), "C01": (None, False), "C02": (6, True)}
    assert chains["breakpoint_median"] == 6 and chains["breakpoint_ci"] == [4, None]
    step = {r["from_level"]: r for r in chains["adjacent"]}
    assert step[3]["breaks"] == 1 and step[5]["breaks"] == 1 and step[6]["recoveries"] == 1
    assert all(r["breaks"] + r["recoveries"] == 0 for level, r in step.items() if level not in (3, 5, 6))
    html = tmp_path / "report.html"
    assert cli(["report", "--results", db, "--html", str(html)])[0] == 0
    assert 'data-chart="chain_breakpoints"' in html.read_text()  # in the family's section


def test_breakpoint_chart_places_each_chain_at_its_breakpoint() -> None:
    from schedbench import plots

    analysis = chain_analysis(outcomes({"A": "1100", "B": "1111", "C": "1011"}))
    fig = plots.chain_breakpoints([{"run": "scripted", "chains": analysis}, {"run": "independent", "chains": None}])
    series = {c.get_gid(): c.get_offsets() for c in fig.axes[0].collections}
    assert list(series["series:breakpoint:scripted"][:, 0]) == [3]  # A fails from 3 on
    assert list(series["series:recovered:scripted"][:, 0]) == [2]  # C fails at 2, then succeeds
    assert len(series["series:never:scripted"]) == 1 and "series:never:independent" not in series
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A", "B", "C"]
    assert not plots.chain_breakpoints([{"run": "x"}]).axes[0].collections


def test_a_suite_written_before_chains_reports_as_independent(tmp_path: Path, cli: Any) -> None:
    db = str(tmp_path / "r.db")
    code, _, err = cli(["evaluate", "--model", "baseline/lft", "--suite", str(GOLDEN), "--results", db, "--quiet"])
    assert code == 0, err
    document = json.loads(cli(["report", "--results", db, "--json"])[1])
    document = document[0] if isinstance(document, list) else document
    assert document["n"] == 50 and document["ramp"] == "independent" and document["chains"] is None


def test_a_results_database_from_before_chains_gains_the_column(tmp_path: Path) -> None:
    old = SCHEMA.replace("    chain TEXT,\n", "")
    assert old != SCHEMA
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(old)
        db.execute(
            "INSERT INTO runs (name, model, suite, suite_hash, config, versions, started_at, status) "
            "VALUES ('r', 'm', 's', 'h', '{}', '{}', 'now', 'complete')"
        )
        db.execute(
            "INSERT INTO items (run_id, instance_id, sample, family, level, stage, scenario, mode, correct, "
            "created_at) VALUES (1, 'i', 0, 'rcpsp', 3, 'precedence', 'abstract', 'plan', 1, 'now')"
        )
    from schedbench.results.report import build_reports

    with Store(path) as store:
        (document,) = build_reports(store)
    assert document["n"] == 1 and document["ramp"] == "independent" and document["chains"] is None
