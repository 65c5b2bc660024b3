"""The HTML report in a real browser: headless Chromium opens it with no console message, and a screenshot
shows every chart drawn (non-blank pixels where the chart is) with the expected number of series in the DOM.

Needs Debian's `chromium` (`.ci/run` installs it when missing); skipped with a reason when no browser exists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_html_report import PER_RUN, RUNS, build_results, write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHARTS = (
    "feasibility_by_level",
    "feasibility_by_stage",
    "chain_breakpoints",
    "gap_by_level",
    "gap_distribution",
    "normalised_gap_distribution",
    "cost_and_tokens",
    "cost_per_solved",
)
WIDTH, HEIGHT = 1280, 7000  # tall enough for every chart row of the report

# Measures the page after layout and writes the figures into <body data-probe>, read back from --dump-dom.
PROBE = """<script>
const charts = [...document.querySelectorAll('figure.chart')].map(fig => {
  const box = fig.querySelector('svg').getBoundingClientRect();
  const series = {};
  for (const el of fig.querySelectorAll('.sb-series')) {
    (series[el.dataset.role] ??= new Set()).add(el.dataset.series);
  }
  return {chart: fig.dataset.chart, x: box.x, y: box.y + window.scrollY, width: box.width, height: box.height,
          series: Object.fromEntries(Object.entries(series).map(([role, labels]) => [role, labels.size]))};
});
const gantts = [...document.querySelectorAll('details.item .gantt svg')].map(svg =>
  svg.querySelectorAll('.sb-series').length);
const items = [...document.querySelectorAll('details.item')];
document.querySelector('button[data-action="expand"]').click();
const opened = items.filter(d => d.open).length;
const failuresOnly = document.getElementById('failures-only');
failuresOnly.checked = true;
failuresOnly.dispatchEvent(new Event('change'));
const shownFailures = items.filter(d => !d.hidden).length;
const failures = items.filter(d => d.dataset.success === 'false').length;
failuresOnly.checked = false;
failuresOnly.dispatchEvent(new Event('change'));
document.querySelector('button[data-action="collapse"]').click();
document.body.dataset.probe = JSON.stringify({charts, gantts, items: items.length, opened, shownFailures, failures,
                                             closed: items.every(d => !d.open && !d.hidden)});
</script>"""


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium on this machine (apt-get install -y chromium; .ci/run does it)")


def run_browser(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a local file, logging page console messages to stderr."""
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_messages(stderr: str) -> list[str]:
    """Page console output (errors, warnings, logs) as Chromium reports it: `...:CONSOLE(line)] "text"`."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chromium")
    return write_report(build_results(folder), folder / "report.html")


@pytest.fixture(scope="module")
def probed(report: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The report with the probe script appended, opened once: (measurements, screenshot path)."""
    folder = tmp_path_factory.mktemp("probe")
    page = folder / "probed.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    shot = folder / "shot.png"
    done = run_browser(page, folder / "profile", f"--screenshot={shot}", "--dump-dom")
    assert not console_messages(done.stderr), console_messages(done.stderr)
    match = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert match, "the page did not run to the end"
    import html

    return json.loads(html.unescape(match.group(1))), shot


def test_report_opens_without_console_messages(report: Path, tmp_path: Path) -> None:
    done = run_browser(report, tmp_path / "profile", "--dump-dom")
    assert "<figure" in done.stdout
    assert console_messages(done.stderr) == []


def test_every_chart_has_its_series_in_the_dom(probed: tuple[dict[str, Any], Path]) -> None:
    measured, _ = probed
    charts = {c["chart"]: c for c in measured["charts"]}
    assert set(charts) == set(CHARTS)

    def total(stem: str, role: str) -> int:
        return sum(c["series"].get(role, 0) for c in measured["charts"] if c["chart"] == stem)

    families = {family for family, _ in RUNS}
    assert sum(1 for c in measured["charts"] if c["chart"] == "feasibility_by_level") == len(families)
    assert total("feasibility_by_level", "line") == total("feasibility_by_level", "band") == len(RUNS)
    assert total("feasibility_by_stage", "bar") == len(RUNS)  # every suite here has several stages
    assert charts["gap_distribution"]["series"] == {"points": len(RUNS)}
    assert charts["chain_breakpoints"]["series"]  # the rcpsp suite is a nested ramp
    assert measured["items"] == len(RUNS) * PER_RUN
    assert len(measured["gantts"]) == measured["items"] and min(measured["gantts"]) > 0


def test_drill_down_controls_work(probed: tuple[dict[str, Any], Path]) -> None:
    measured, _ = probed
    assert measured["opened"] == measured["items"]
    assert 0 < measured["failures"] < measured["items"]
    assert measured["shownFailures"] == measured["failures"]
    assert measured["closed"]


def test_screenshot_shows_every_chart_drawn(probed: tuple[dict[str, Any], Path]) -> None:
    import numpy as np
    from PIL import Image

    measured, shot = probed
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape == (HEIGHT, WIDTH, 3)
    assert sum(1 for chart in measured["charts"] if not chart["series"]) <= 2  # offline runs: no tokens, no cost
    for chart in measured["charts"]:
        left, top = int(chart["x"]), int(chart["y"])
        right, bottom = left + int(chart["width"]), top + int(chart["height"])
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert bottom <= HEIGHT, f"{chart['chart']} is below the screenshot"
        pixels = image[top:bottom, left:right].reshape(-1, 3)
        inked = (pixels.min(axis=1) < 235).mean()
        colours = {tuple(p) for p in np.unique(pixels // 32, axis=0)}
        if not chart["series"]:  # a chart with nothing to show says so in words
            assert inked > 0.002, f"{chart['chart']} shows neither series nor a note"
            continue
        assert inked > 0.02, f"{chart['chart']} looks blank ({inked:.3f} inked)"
        assert len(colours) >= 4, f"{chart['chart']} has no coloured series"
