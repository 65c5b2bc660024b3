"""The HTML report: one self-contained file (inline SVG charts, inline CSS, a few lines of inline script for the
drill-down controls, nothing fetched) and the same charts as PNG/SVG/PDF files for papers.

Inputs are plain: one `RunView` per evaluated run (its `report --json` document (docs/formats.md) plus the items
to drill into) and, for evolve runs, an `EvolutionView` read from the run folder. `views_from_store` builds the
run views from the results store (items joined with the run's suite); everything else works on the views, so
the report can be built from any source. Entry points: `write_report_outputs` (`schedbench report --html
--plots`), `write_evolution_html` (an evolve run folder), `write_html_report` / `write_plot_files`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schedbench import __version__
from schedbench.errors import OptionError
from schedbench.executors import map_ordered
from schedbench.problems import Instance, Verification

TEMPLATES = Path(__file__).parent / "templates"
DRILL_DOWN_PER_RUN = 12
"""Items shown in full per run (failures first); the report says how many it left out."""
DRILL_DOWN_TOTAL = 60
"""Items shown in full over all runs: with many runs each shows fewer (never under 3), keeping the file small."""


@dataclass
class ItemView:
    """One answered item: the instance, what the model saw and said, and the verdict."""

    instance: Instance
    prompt: str | Callable[[], str] = ""
    response: str = ""
    answer: Any = None
    verification: Verification | None = None
    error: str | None = None
    sample: int = 0
    normalised_gap: float | None = None

    @property
    def success(self) -> bool:
        """Feasible schedule of a feasible instance, or a correct infeasibility claim (`correct`)."""
        return bool(self.verification and self.verification.correct)


@dataclass
class RunView:
    """One run: its report document (`report --json`) and its items (may be empty)."""

    document: Mapping[str, Any]
    items: Sequence[ItemView] = ()
    note: str = ""

    @property
    def label(self) -> str:
        from schedbench.plots.metrics import run_label

        return run_label(self.document)


@dataclass
class EvolutionView:
    """An evolve run folder: history rows, the best program's record and source."""

    history: list[dict[str, Any]]
    best: dict[str, Any] = field(default_factory=dict)
    best_program: str = ""
    name: str = "evolve run"
    report: dict[str, Any] = field(default_factory=dict)
    """The `evolve report` document (report.json: held-out comparison, seed score), when one was made."""


def evolution_from_folder(folder: Path) -> EvolutionView:
    """Read an evolve run folder (docs/formats.md: history.jsonl, best.json, best_program.py)."""
    from schedbench.errors import InputError
    from schedbench.plots.evolution import read_history

    history_path = folder / "history.jsonl"
    if not history_path.exists():
        raise InputError(str(folder), None, "not an evolve run folder (no history.jsonl)")
    best: dict[str, Any] = {}
    if (folder / "best.json").exists():
        try:
            best = json.loads((folder / "best.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(str(folder / "best.json"), None, f"malformed JSON: {exc.msg}") from None
    program = folder / "best_program.py"
    report: dict[str, Any] = {}
    if (folder / "report.json").exists():
        try:
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(str(folder / "report.json"), None, f"malformed JSON: {exc.msg}") from None
    return EvolutionView(
        read_history(history_path),
        best if isinstance(best, dict) else {},
        program.read_text(encoding="utf-8") if program.exists() else "",
        folder.name,
        report if isinstance(report, dict) else {},
    )


def views_from_store(store: Any, documents: Sequence[Mapping[str, Any]]) -> list[RunView]:
    """One RunView per report document, its items read from the store and joined with the run's suite.

    The prompt is re-rendered from the instance with the run's question mode and CoT flag (the store keeps only
    its hash). When the suite can no longer be read, the run is shown without its items.
    """
    from schedbench.errors import InputError
    from schedbench.importers import load_published, names_published_set
    from schedbench.suites import load_instances

    suites: dict[str, dict[str, Instance] | str] = {}
    views = []
    for document in documents:
        run = store.run(document["run"])
        if run is None:
            views.append(RunView(document))
            continue
        if run.suite not in suites:
            try:
                read = load_published if names_published_set(run.suite) else load_instances
                suites[run.suite] = {inst.id: inst for inst in read(run.suite)}
            except InputError as exc:
                suites[run.suite] = f"items not shown: cannot read the suite ({exc})"
        instances = suites[run.suite]
        if isinstance(instances, str):
            views.append(RunView(document, note=instances))
            continue
        rows = list(store.items(run.id))
        items = [
            _item_view(row, instances[row["instance_id"]], run.config)
            for row in rows
            if row["instance_id"] in instances
        ]
        missing = len(rows) - len(items)
        note = f"{missing} items not shown: their instances are no longer in {run.suite}" if missing else ""
        views.append(RunView(document, items, note))
    return views


def _item_view(row: Mapping[str, Any], instance: Instance, config: Mapping[str, Any]) -> ItemView:
    mode, cot = str(config.get("mode", "plan")), bool(config.get("cot", False))
    style = str(config.get("style", "plain"))

    def prompt() -> str:  # rendered only for the items the report shows
        from schedbench.prompts import render_question

        try:
            return render_question(instance, mode, cot, style=style)
        except Exception as exc:  # e.g. no template for a family added later; the report still renders
            return f"(prompt not available: {type(exc).__name__}: {exc})"

    verification = Verification.model_validate(row["verification"]) if row.get("verification") else None
    return ItemView(
        instance,
        prompt,
        row.get("response") or "",
        row.get("answer"),
        verification,
        row.get("error") or row.get("parse_error"),
        int(row.get("sample") or 0),
        row.get("normalised_gap"),
    )


def write_report_outputs(
    store: Any,
    documents: Sequence[Mapping[str, Any]],
    html: Path | None = None,
    plots: Path | None = None,
    workers: int | None = None,
    per_run: int = DRILL_DOWN_PER_RUN,
    comparison: Mapping[str, Any] | None = None,
) -> list[Path]:
    """What `schedbench report --html FILE --plots DIR` writes, from the store; returns the paths written.

    `comparison`: a `schedbench compare` document; the HTML report then opens with its leaderboard."""

    views = views_from_store(store, documents)
    written: list[Path] = []
    if html is not None:
        title = (
            "schedbench report: " + ", ".join(str(d["run"]) for d in documents)
            if len(documents) <= 3
            else f"schedbench report: {len(documents)} runs"
        )
        try:
            written.append(
                write_html_report(
                    html,
                    views,
                    title=title,
                    per_run=per_run,
                    workers=workers or os.cpu_count() or 1,
                    comparison=comparison,
                )
            )
        except OSError as exc:
            raise OptionError("html", f"cannot write {html}: {exc.strerror or exc}") from None
    if plots is not None:
        try:
            written += write_plot_files(plots, views)
        except OSError as exc:
            raise OptionError("plots", f"cannot write {plots}: {exc.strerror or exc}") from None
    return written


def write_evolution_html(run_dir: Path, path: Path, plots: Path | None = None) -> list[Path]:
    """HTML report (and optionally plot files) of an evolve run folder: the hook for `evolve report --html`."""
    evolution = evolution_from_folder(Path(run_dir))
    written = [write_html_report(path, [], evolution, title=f"schedbench evolve: {evolution.name}")]
    if plots is not None:
        written += write_plot_files(plots, [], evolution)
    return written


# --- charts ---------------------------------------------------------------------------------------------------


def gaps_by_run(runs: Sequence[RunView]) -> dict[str, list[float]]:
    """Gap % of every feasible answer with a reference, per run."""
    return {
        run.label: [
            item.verification.gap_pct
            for item in run.items
            if item.verification and item.verification.feasible and item.verification.gap_pct is not None
        ]
        for run in runs
    }


def scenario_rows(run: RunView) -> list[dict[str, Any]]:
    """The document's `by_scenario`, or one computed from the items (rate with a Wilson interval)."""
    if run.document.get("by_scenario"):
        return (
            list(run.document["by_scenario"])
            if not isinstance(run.document["by_scenario"], Mapping)
            else [{"scenario": k, **v} for k, v in run.document["by_scenario"].items()]
        )
    from schedbench.evaluate.metrics import wilson

    groups: dict[str, list[bool]] = {}
    for item in run.items:
        groups.setdefault(item.instance.scenario, []).append(item.success)
    rows = []
    for name, outcomes in groups.items():
        low, high = wilson(sum(outcomes), len(outcomes))
        rows.append(
            {
                "scenario": name,
                "n": len(outcomes),
                "feasible_rate": sum(outcomes) / len(outcomes),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return rows


CAPTIONS = {
    "feasibility_by_level": "Feasibility vs. level (Wilson 95% bands)",
    "feasibility_by_stage": "By stage",
    "feasibility_by_scenario": "By scenario",
    "feasibility_by_family": "By family",
    "violation_taxonomy": "Violation taxonomy (share of infeasible answers)",
    "chain_breakpoints": "Nested ramps: first failing level per chain (hollow: solves a higher level again; "
    "▷: never fails; dashed: median)",
    "gap_by_level": "Mean gap of feasible answers vs. level",
    "gap_distribution": "Gap distribution of feasible answers",
    "normalised_gap_distribution": "SMTT normalised gap (obj − opt) / (EDD − opt): 0 optimal, 1 as bad as EDD",
    "cost_and_tokens": "Tokens and cost",
    "evolution_score": "Score over iterations (best so far as a step line)",
    "evolution_lineage": "Lineage of the best program",
}
"""Chart captions by file stem, in the order the report shows them."""


def normalised_gaps_by_run(runs: Sequence[RunView]) -> dict[str, list[float]]:
    """Normalised gaps (docs/metrics.md, SMTT) of feasible answers, per run that has any."""
    gaps = {run.label: [item.normalised_gap for item in run.items if item.normalised_gap is not None] for run in runs}
    return {label: values for label, values in gaps.items() if values}


def summary_figures(runs: Sequence[RunView]) -> dict[str, Any]:
    """Every cross-run chart, by file stem (optional ones only when they carry information)."""
    from schedbench import plots

    docs = [run.document for run in runs]
    with_scenarios = [{**run.document, "by_scenario": scenario_rows(run)} for run in runs]
    figures = {
        "feasibility_by_level": plots.feasibility_curves(docs),
        "feasibility_by_stage": plots.breakdown_bars(docs, "by_stage"),
        "feasibility_by_scenario": plots.breakdown_bars(with_scenarios, "by_scenario"),
    }
    if len({row.get("family") for doc in docs for row in doc.get("by_family") or []}) > 1:
        figures["feasibility_by_family"] = plots.breakdown_bars(docs, "by_family")
    if any(doc.get("chains") for doc in docs):
        figures["chain_breakpoints"] = plots.chain_breakpoints(docs)
    figures["violation_taxonomy"] = plots.taxonomy_bars(docs)
    figures["gap_by_level"] = plots.gap_curves(docs)
    figures["gap_distribution"] = plots.gap_distribution(gaps_by_run(runs))
    normalised = normalised_gaps_by_run(runs)
    if normalised:
        figures["normalised_gap_distribution"] = plots.gap_distribution(
            normalised, title="Normalised gap (SMTT)", ylabel="(obj − opt) / (EDD − opt)"
        )
    figures["cost_and_tokens"] = plots.cost_tokens(docs)
    return figures


def evolution_figures(evolution: EvolutionView) -> dict[str, Any]:
    """Score over iterations and lineage of the best program, by file stem."""
    from schedbench import plots

    best_id = evolution.best.get("program_id")
    return {
        "evolution_score": plots.score_over_iterations(evolution.history),
        "evolution_lineage": plots.lineage_chart(evolution.history, best_id),
    }


def item_gantt_svg(payload: tuple[str, dict[str, Any], Any, Any, list[str]]) -> str:
    """Worker entry point: (family, data, answer, witness, flagged ids) → SVG of the side-by-side Gantt."""
    from schedbench import plots
    from schedbench.problems import get_family

    family_name, raw, answer, witness, flagged = payload
    data = get_family(family_name).parse_data(raw)
    return plots.figure_svg(plots.schedule_comparison(family_name, data, answer, witness, set(flagged)))


# --- assembling -----------------------------------------------------------------------------------------------


def drill_down_share(per_run: int, runs: int) -> int:
    """Items to show per run: `per_run`, lowered so that all runs together stay near DRILL_DOWN_TOTAL."""
    return min(per_run, max(3, DRILL_DOWN_TOTAL // max(1, runs)))


def drill_down(run: RunView, limit: int) -> list[ItemView]:
    """The items shown in full, at most `limit`: failures first, then feasible but not optimal answers,
    then optimal ones; by level within each group."""

    def key(item: ItemView) -> tuple[Any, ...]:
        optimal = bool(item.verification and item.verification.optimal)
        return item.success, optimal, item.instance.level, item.instance.id, item.sample

    return sorted(run.items, key=key)[:limit]


def _item_context(item: ItemView, svg: str, index: str) -> dict[str, Any]:
    from schedbench.plots import inline_svg

    verification = item.verification
    ref = item.instance.reference
    return {
        "anchor": index,
        "id": item.instance.id,
        "sample": item.sample,
        "family": item.instance.family,
        "level": item.instance.level,
        "stage": item.instance.stage,
        "scenario": item.instance.scenario,
        "prompt": item.prompt() if callable(item.prompt) else item.prompt,
        "response": item.response,
        "error": item.error,
        "success": item.success,
        "answer": json.dumps(item.answer, indent=1, default=str) if item.answer is not None else None,
        "verification": verification.model_dump() if verification else None,
        "reference_status": ref.status if ref else "none",
        "gantt": inline_svg(svg, f"g{index}") if svg else "",
    }


def _gantt_payloads(items: Sequence[ItemView]) -> list[tuple[str, dict[str, Any], Any, Any, list[str]]]:
    payloads = []
    for item in items:
        ref = item.instance.reference
        flagged = sorted({i for v in (item.verification.violations if item.verification else []) for i in v.items})
        payloads.append(
            (item.instance.family, item.instance.data, _plain(item.answer), ref.witness if ref else None, flagged)
        )
    return payloads


def _plain(value: Any) -> Any:
    """JSON-like value with list/dict subclasses (e.g. duplicate-key carriers) turned into plain types."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_context(
    runs: Sequence[RunView],
    evolution: EvolutionView | None = None,
    title: str = "schedbench report",
    per_run: int = DRILL_DOWN_PER_RUN,
    workers: int = 1,
    comparison: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the template shows: leaderboard, run summaries, inline charts, drill-down items, evolution."""
    from schedbench.plots import figure_svg, inline_svg

    charts = [
        {"stem": stem, "caption": CAPTIONS[stem], "svg": inline_svg(figure_svg(fig), stem)}
        for stem, fig in (summary_figures(runs) if runs else {}).items()
    ]
    shown = [drill_down(run, drill_down_share(per_run, len(runs))) for run in runs]
    flat = [item for items in shown for item in items]
    svgs = iter(map_ordered(item_gantt_svg, _gantt_payloads(flat), workers=workers))
    run_contexts = []
    for number, (run, items) in enumerate(zip(runs, shown, strict=True)):
        run_contexts.append(
            {
                "label": run.label,
                "document": dict(run.document),
                "total": len(run.items),
                "note": run.note,
                "items": [_item_context(item, next(svgs), f"r{number}i{k}") for k, item in enumerate(items)],
            }
        )
    evolution_context = None
    if evolution is not None:
        from schedbench.evolve.database import iteration_counts
        from schedbench.evolve.report import held_out_by_rule
        from schedbench.plots.evolution import lineage

        seed = next((row for row in evolution.history if row.get("iteration") == 0), {})
        evolution_context = {
            "name": evolution.name,
            "best": evolution.best,
            "program": evolution.best_program,
            "counts": iteration_counts(evolution.history),
            "seed_score": seed.get("score"),
            "held_out": held_out_by_rule(evolution.report) if evolution.report.get("held_out") else None,
            "lineage": lineage(evolution.history, evolution.best.get("program_id")),
            "charts": [
                {"stem": stem, "caption": CAPTIONS[stem], "svg": inline_svg(figure_svg(fig), stem)}
                for stem, fig in evolution_figures(evolution).items()
            ],
        }
    return {
        "title": title,
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": run_contexts,
        "charts": charts,
        "evolution": evolution_context,
        "per_run": per_run,
        "comparison": _plain(comparison) if comparison else None,
    }


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def _pct(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * float(value):.{digits}f}%"


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def render_html_report(
    runs: Sequence[RunView],
    evolution: EvolutionView | None = None,
    title: str = "schedbench report",
    per_run: int = DRILL_DOWN_PER_RUN,
    workers: int = 1,
    comparison: Mapping[str, Any] | None = None,
) -> str:
    """The report as one HTML string (opening with the leaderboard of `comparison`, if given)."""
    from markupsafe import Markup

    context = report_context(runs, evolution, title, per_run, workers, comparison)
    _mark_safe(context, Markup)
    return _environment().get_template("report.html.j2").render(**context)


def _mark_safe(context: dict[str, Any], markup: Callable[[str], Any]) -> None:
    """Our own SVG is trusted markup; everything else stays autoescaped."""
    charts = context["charts"] + (context["evolution"]["charts"] if context["evolution"] else [])
    for chart in charts:
        chart["svg"] = markup(chart["svg"])
    for run in context["runs"]:
        for item in run["items"]:
            item["gantt"] = markup(item["gantt"])


def write_html_report(
    path: Path,
    runs: Sequence[RunView],
    evolution: EvolutionView | None = None,
    title: str = "schedbench report",
    per_run: int = DRILL_DOWN_PER_RUN,
    workers: int = 1,
    comparison: Mapping[str, Any] | None = None,
) -> Path:
    """Write the self-contained HTML report; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html_report(runs, evolution, title, per_run, workers, comparison), encoding="utf-8")
    return path


def write_plot_files(
    directory: Path,
    runs: Sequence[RunView],
    evolution: EvolutionView | None = None,
    formats: Sequence[str] | None = None,
) -> list[Path]:
    """Write every chart of the report as files (`feasibility_by_level.png`, `.svg`, …) for papers."""
    from schedbench.plots import FORMATS, save_figure

    figures = dict(summary_figures(runs)) if runs else {}
    if evolution is not None:
        figures |= evolution_figures(evolution)
    written: list[Path] = []
    for stem, fig in figures.items():
        written += save_figure(fig, Path(directory) / stem, formats or FORMATS)
    return written
