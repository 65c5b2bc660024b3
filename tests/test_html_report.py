"""The HTML report built from a real results store: self-contained, one series per run, failures first,
untrusted text escaped; plot files; the evolution section; bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from schedbench.errors import InputError
from schedbench.problems import Verification, get_family
from schedbench.results.html import (
    EvolutionView,
    ItemView,
    RunView,
    evolution_from_folder,
    render_html_report,
    write_evolution_html,
    write_report_outputs,
)

RUNS = (("rcpsp", "baseline/lft"), ("rcpsp", "baseline/spt"), ("smtt", "baseline/edd"), ("asyncplan", "baseline/list"))
SUITES = {
    "rcpsp": {"levels": "3,9", "stage": "all"},
    "smtt": {"levels": "6,9", "stage": "all"},
    "asyncplan": {"levels": "5,8", "stage": "two_agents,stations"},
}
PER_RUN = 3


def build_results(folder: Path) -> Path:
    """Small suites of every family, evaluated by offline baselines through the real evaluate path."""
    from schedbench.evaluate import EvalConfig, evaluate
    from schedbench.references import generate_suite

    db = folder / "results.db"
    for family_name, options in SUITES.items():
        family = get_family(family_name)
        generate_suite(family, family.generator_config(seed=3, **options), folder / family_name, show_progress=False)
    for family_name, model in RUNS:
        evaluate(EvalConfig(model=model, suite=str(folder / family_name), results=db, show_progress=False))
    return db


def write_report(db: Path, out: Path) -> Path:
    """The report of every run in `db`, with PER_RUN drill-down items per run."""
    from schedbench.results import Store
    from schedbench.results.report import build_reports

    with Store(db) as store:
        write_report_outputs(store, build_reports(store), html=out, per_run=PER_RUN, workers=2)
    return out


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("html")
    return write_report(build_results(folder), folder / "report.html").read_text(encoding="utf-8")


def chart_block(page: str, stem: str) -> str:
    start = page.index(f'data-chart="{stem}"')
    return page[start : page.index("</figure>", start)]


def series_labels(block: str, role: str) -> list[str]:
    found = re.findall(rf'class="sb-series" data-role="{role}" data-series="([^"]*)"', block)
    return list(dict.fromkeys(found))


def test_report_is_one_self_contained_file(report_html: str) -> None:
    assert report_html.startswith("<!DOCTYPE html>")
    assert report_html.count("<script>") == 1 and "<script src" not in report_html  # only the inline controls
    assert not re.search(r'(src|href)\s*=\s*"(?!#|data:)', report_html), "external reference"
    assert not re.search(r"url\((?!#)", report_html)
    assert "@import" not in report_html


def test_summary_carries_provenance(report_html: str) -> None:
    provenance = report_html[report_html.index("<summary>Provenance</summary>") :]
    provenance = provenance[: provenance.index("</details>")]
    assert provenance.count("<tr><td>") == len(RUNS)
    assert "schedbench" in provenance and "complete" in provenance


def family_block(page: str, family: str) -> str:
    start = page.index(f'<section class="family" id="family-{family}"')
    return page[start : page.index("</section>", start)]


def test_each_family_has_its_charts_with_one_series_per_run(report_html: str) -> None:
    keys = {f"[{k}]": model for k, (_, model) in enumerate(RUNS, start=1)}
    for family in SUITES:
        block = family_block(report_html, family)
        expected = [key for key, (f, _) in zip(keys, RUNS, strict=True) if f == family]
        lines = series_labels(chart_block(block, "feasibility_by_level"), "line")
        assert [line.split(" ")[0] for line in lines] == expected, family
        assert len(series_labels(chart_block(block, "feasibility_by_level"), "band")) == len(expected)
        for key in expected:  # the full run name on hover
            title = re.search(rf'data-series="{re.escape(key)} [^"]*"><title>([^<]*)</title>', block)
            assert title and title.group(1).startswith(f"{keys[key]}@{family}#")
    rcpsp = family_block(report_html, "rcpsp")
    assert len(series_labels(chart_block(rcpsp, "feasibility_by_stage"), "bar")) == 2
    assert 'class="heat"' in rcpsp and "deadline" in rcpsp  # baseline/spt misses deadlines
    assert "no tokens recorded (offline models)" in chart_block(report_html, "cost_and_tokens")
    assert series_labels(chart_block(report_html, "gap_distribution"), "points") == list(keys)
    assert "normalised_gap_distribution" in family_block(report_html, "smtt")
    assert "normalised_gap_distribution" not in rcpsp


def test_drill_down_is_capped_and_shows_failures_first(report_html: str) -> None:
    sections = report_html.split("<h3>")[1:]
    assert len(sections) == len(RUNS)
    for section in sections:
        badges = re.findall(r'<span class="badge (ok|bad|err)" data-outcome="\w+">', section)
        assert 0 < len(badges) <= PER_RUN
        assert badges == sorted(badges, key=lambda b: b == "ok"), "failures must come first"
        kinds = re.findall(r'<span class="badge ok" data-outcome="\w+">([\w ]+)</span>', section)
        assert kinds == sorted(kinds, key=lambda k: k == "optimal"), "suboptimal before optimal"
        assert section.count('class="gantt"') == len(badges)
    spt = next(s for s in sections if s.startswith("[2] baseline/spt"))
    assert "deadline" in spt and 'data-role="task"' in spt
    prompts = re.findall(r"<summary>Prompt</summary><pre>(.*?)</pre>", report_html, flags=re.S)
    assert len(prompts) == len(RUNS) * PER_RUN
    assert all(len(p) > 200 and "not available" not in p for p in prompts)


def test_every_family_gets_its_gantt(report_html: str) -> None:
    for role in ("task", "load", "job", "tardiness", "agent", "step"):
        assert f'data-role="{role}"' in report_html, role


def test_untrusted_text_is_escaped() -> None:
    family = get_family("rcpsp")
    draft = family.generate(family.generator_config(levels="2", stage="precedence"))[0]
    hostile = '<script>alert("x")</script></pre><img src=x onerror=alert(1)>'
    item = ItemView(
        draft.instance,
        prompt=hostile,
        response=hostile,
        answer={"starts": {"<b>": 1}},
        verification=Verification(
            feasible=False, violations=[{"type": "missing", "items": ["<i>"], "detail": hostile}]
        ),
    )
    page = render_html_report([RunView({"run": "<b>run</b>", "n": 1}, [item])])
    assert page.count("<script") == 1 and "<img" not in page and "<b>run</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_cli_writes_the_html_report_and_plot_files(tmp_path: Path) -> None:
    from schedbench.evaluate import EvalConfig, evaluate
    from schedbench.references import generate_suite

    family = get_family("rcpsp")
    generate_suite(
        family, family.generator_config(levels="2,4", stage="windows", seed=1), tmp_path / "s", show_progress=False
    )
    db = tmp_path / "r.db"
    evaluate(EvalConfig(model="baseline/lft", suite=str(tmp_path / "s"), results=db, show_progress=False))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "report",
            "--results",
            str(db),
            "--json",
            "--html",
            str(tmp_path / "out" / "r.html"),
            "--plots",
            str(tmp_path / "plots"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n"] == 2
    assert (tmp_path / "out" / "r.html").read_text().count('class="item"') == 2
    stems = {
        "rcpsp_feasibility_by_level",
        "rcpsp_chain_breakpoints",  # the default rcpsp ramp is nested (no taxonomy: baseline/lft breaks nothing)
        "rcpsp_gap_by_level",
        "gap_distribution",
        "cost_and_tokens",
        "cost_per_solved",
    }
    assert {p.name for p in (tmp_path / "plots").iterdir()} == {
        f"{s}.{x}" for s in stems for x in ("png", "svg", "pdf")
    }
    assert (tmp_path / "plots" / "rcpsp_feasibility_by_level.pdf").read_bytes()[:5] == b"%PDF-"
    shutil.rmtree(tmp_path / "s")  # the suite is gone: the report still renders, and says why items are missing
    assert write_report(db, tmp_path / "again.html").read_text().count("items not shown: cannot read the suite") == 1
    blocked = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "report",
            "--results",
            str(db),
            "--plots",
            str(tmp_path / "out" / "r.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocked.returncode == 2 and "--plots: cannot write" in blocked.stderr, blocked.stderr
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "report",
            "--results",
            str(tmp_path / "no.db"),
            "--html",
            str(tmp_path / "x.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no.db" in missing.stderr


def evolve_folder(folder: Path) -> Path:
    rows = [
        {
            "iteration": 0,
            "program_id": "seed",
            "parent_id": None,
            "island": 0,
            "status": "ok",
            "score": 0.0,
            "error": None,
        },
        {
            "iteration": 1,
            "program_id": "a1",
            "parent_id": "seed",
            "island": 0,
            "status": "ok",
            "score": 0.4,
            "error": None,
        },
        {
            "iteration": 2,
            "program_id": "b2",
            "parent_id": "seed",
            "island": 1,
            "status": "failed",
            "score": None,
            "error": "timeout",
        },
        {
            "iteration": 3,
            "program_id": "c3",
            "parent_id": "a1",
            "island": 0,
            "status": "ok",
            "score": 0.7,
            "error": None,
        },
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "history.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (folder / "best.json").write_text(json.dumps({"program_id": "c3", "score": 0.7, "metrics": {}}))
    (folder / "best_program.py").write_text("def priority(job):\n    return job.d - job.p  # <evolved>\n")
    return folder


def test_evolution_report_shows_scores_and_the_best_lineage(tmp_path: Path) -> None:
    folder = evolve_folder(tmp_path / "run")
    written = write_evolution_html(folder, tmp_path / "evo.html", plots=tmp_path / "evo-plots")
    page = written[0].read_text()
    assert "3 iterations after the seed: 2 ok, 0 rejected, 1 failed." in " ".join(page.split())
    assert 'id="held-out"' not in page  # no `evolve report` document in this folder: no held-out table
    table = page[page.index("<table>", page.index('id="evolution"')) :]
    assert re.findall(r"<tr><td>(\w+)</td>", table) == ["seed", "a1", "c3"]
    assert series_labels(chart_block(page, "evolution_score"), "island") == ["0"]
    assert series_labels(chart_block(page, "evolution_lineage"), "lineage") == ["c3"]
    assert "&lt;evolved&gt;" in page
    assert sorted(p.name for p in written[1:]) == sorted(
        f"evolution_{k}.{x}" for k in ("score", "lineage") for x in ("png", "svg", "pdf")
    )


def test_evolution_folder_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"history\.jsonl"):
        evolution_from_folder(tmp_path)
    folder = evolve_folder(tmp_path / "run")
    (folder / "best.json").write_text("{broken")
    with pytest.raises(InputError, match=r"best\.json"):
        evolution_from_folder(folder)
    assert isinstance(evolution_from_folder(evolve_folder(tmp_path / "ok")), EvolutionView)


def test_evolution_report_of_a_real_evolve_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "evolve",
            "--family",
            "smtt",
            "--model",
            "baseline/mutator",
            "--out",
            str(tmp_path / "evo"),
            "--iterations",
            "5",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    best = json.loads((tmp_path / "evo" / "best.json").read_text())
    page = write_evolution_html(tmp_path / "evo", tmp_path / "evo.html")[0].read_text()
    lineage = re.findall(r"<tr><td>(\w+)</td>", page[page.index('id="evolution"') :])
    assert lineage[0] == "p000000" and lineage[-1] == best["program_id"]
    assert series_labels(chart_block(page, "evolution_lineage"), "lineage") == [best["program_id"]]
    assert "5 iterations after the seed:" in page


def test_many_runs_share_the_drill_down_budget() -> None:
    from schedbench.results.html import DRILL_DOWN_TOTAL, drill_down_share

    assert drill_down_share(12, 1) == 12
    assert drill_down_share(12, 10) * 10 <= DRILL_DOWN_TOTAL
    assert drill_down_share(12, 100) == 3
