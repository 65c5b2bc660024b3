"""The HTML report of 25 runs over four families in headless Chromium: the boxes of the chart labels never
overlap (measured in the DOM), every run has its own colour within a chart, each family has its own section
(its own level axis), the taxonomy is a compact heat table, correct infeasibility claims show a verdict and
no Gantt chart, and the strategy comparison and conversations are there."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from many_runs import RUNS, SUITES, build_many_runs
from test_html_chromium import console_messages, run_browser

PROBE = """<script>
const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const overlap = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) *
                          Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
const paint = el => {
  for (const shape of el.querySelectorAll('path, rect, use, polygon')) {
    if (shape.closest('defs')) continue;  // a marker's definition: its uses carry the colour
    const style = getComputedStyle(shape);
    if (style.fill && style.fill !== 'none') return style.fill;
    if (style.stroke && style.stroke !== 'none') return style.stroke;
  }
  return null;
};
const charts = [...document.querySelectorAll('figure.chart')].map(fig => {
  const texts = [...fig.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent.trim(), box: box(t)})).filter(t => t.box[2] > t.box[0]);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    if (overlap(texts[i].box, texts[j].box) > 1) overlaps.push([texts[i].text, texts[j].text]);
  }
  const colours = {};
  for (const el of fig.querySelectorAll('.sb-series')) {
    (colours[el.dataset.role] ??= {})[el.dataset.series] = paint(el);
  }
  const titled = [...fig.querySelectorAll('.sb-series')].every(el => el.querySelector('title'));
  return {chart: fig.dataset.chart, family: fig.closest('[data-family]')?.dataset.family ?? null,
          texts: texts.length, overlaps, colours, titled, width: box(fig)[2] - box(fig)[0]};
});
const heat = [...document.querySelectorAll('table.heat')].map(t => ({
  family: t.closest('[data-family]')?.dataset.family, height: t.getBoundingClientRect().height,
  cells: t.querySelectorAll('td[data-share]').length,
  painted: [...t.querySelectorAll('td[data-share]')].every(td => getComputedStyle(td).backgroundColor !== '')}));
const claims = [...document.querySelectorAll('details.item')].filter(d =>
  d.querySelector('summary .badge').dataset.outcome === 'correct_claim').map(d => ({
  verdict: !!d.querySelector('.verdict'), gantt: d.querySelectorAll('.gantt svg').length}));
const rounds = [...document.querySelectorAll('details.item .round')].length;
document.body.dataset.probe = JSON.stringify({charts, heat, claims, rounds,
  sections: [...document.querySelectorAll('section.family')].map(s => s.dataset.family),
  strategies: document.querySelectorAll('#strategies table.strategies tbody tr').length});
</script>"""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from schedbench.results import Store
    from schedbench.results.html import write_report_outputs
    from schedbench.results.report import build_reports

    folder = tmp_path_factory.mktemp("scale")
    db = build_many_runs(folder)
    page = folder / "report.html"
    with Store(db) as store:
        write_report_outputs(store, build_reports(store), html=page, per_run=3, workers=2)
    probed = folder / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = run_browser(probed, folder / "profile", "--dump-dom")
    assert not console_messages(done.stderr), console_messages(done.stderr)
    match = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert match, "the page did not run to the end"
    return json.loads(html.unescape(match.group(1)))


def test_one_section_per_family(measured: dict[str, Any]) -> None:
    assert measured["sections"] == list(SUITES)
    by_level = [c for c in measured["charts"] if c["chart"] == "feasibility_by_level"]
    assert sorted(c["family"] for c in by_level) == sorted(SUITES)  # one level axis per family
    for chart in by_level:
        runs = sum(1 for family, _, _, _ in RUNS if family == chart["family"])
        assert len(chart["colours"]["line"]) == runs


def test_no_chart_labels_overlap(measured: dict[str, Any]) -> None:
    assert len(measured["charts"]) >= 4 * len(SUITES)
    for chart in measured["charts"]:
        assert chart["texts"] > 0, chart["chart"]
        assert chart["overlaps"] == [], (chart["chart"], chart["family"], chart["overlaps"][:5])


def test_every_run_has_its_own_colour_within_a_chart(measured: dict[str, Any]) -> None:
    checked = 0
    for chart in measured["charts"]:
        for role, colours in chart["colours"].items():
            if role == "band":
                continue
            assert None not in colours.values(), (chart["chart"], role)
            assert len(set(colours.values())) == len(colours), (chart["chart"], role, colours)
            checked += len(colours) > 1
        assert chart["titled"], f"{chart['chart']}: a series without its full name on hover"
    assert checked >= 10
    everywhere = next(c for c in measured["charts"] if c["chart"] == "gap_distribution")
    assert len(everywhere["colours"]["points"]) >= 20  # one chart over (almost) every run: still distinct


def test_taxonomy_is_a_compact_heat_table(measured: dict[str, Any]) -> None:
    assert {t["family"] for t in measured["heat"]} <= set(SUITES) and measured["heat"]
    for table in measured["heat"]:
        assert table["cells"] > 0 and table["painted"]
        assert table["height"] < 400, table


def test_correct_claims_show_a_verdict_not_a_gantt_chart(measured: dict[str, Any]) -> None:
    assert measured["claims"], "the rcpsp oracle run has correct claims in its drill-down"
    assert all(claim["verdict"] and claim["gantt"] == 0 for claim in measured["claims"])


def test_strategy_comparison_and_conversations(measured: dict[str, Any]) -> None:
    assert measured["strategies"] == len(RUNS)
    assert any(c["chart"] == "success_at_k" for c in measured["charts"])
    assert measured["rounds"] > 0
