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
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schedbench import __version__
from schedbench.errors import OptionError
from schedbench.evaluate.by_strategy import strategy_of
from schedbench.evaluate.outcomes import OUTCOMES, SUCCESSES
from schedbench.executors import map_ordered
from schedbench.plots._figure import abbreviate
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
    errored: bool = False  # an API error (not a parse error): `error` then holds its message
    rounds: Sequence[Mapping[str, Any]] = ()  # a multi-turn strategy's stored rounds, in order

    @property
    def outcome(self) -> str:
        """The outcome key (`schedbench.evaluate.outcomes.OUTCOMES`)."""
        from schedbench.evaluate.outcomes import outcome_of_verification

        verification = self.verification.model_dump() if self.verification else None
        return outcome_of_verification(verification, self.errored, self.answer is not None)

    @property
    def is_claim(self) -> bool:
        """The answer claims the instance is infeasible: shown as a verdict, there is no schedule to draw."""
        return self.outcome in ("correct_claim", "wrong_claim", "unchecked_claim")

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
        conversations = store.rounds(run.id)
        items = [
            _item_view(row, instances[row["instance_id"]], run.config)
            for row in rows
            if row["instance_id"] in instances
        ]
        for item in items:
            item.rounds = conversations.get((item.instance.id, item.sample), [])
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
        errored=row.get("error") is not None,
    )


def write_report_outputs(
    store: Any,
    documents: Sequence[Mapping[str, Any]],
    html: Path | None = None,
    plots: Path | None = None,
    workers: int | None = None,
    per_run: int = DRILL_DOWN_PER_RUN,
    comparison: Mapping[str, Any] | None = None,
    exact: bool = False,
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
                    exact=exact,
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


def gaps_by_run(runs: Sequence[RunView], labels: Sequence[str] | None = None) -> dict[str, list[float]]:
    """Gap % of every feasible answer with a reference, per run (named by `labels`, else the runs' labels)."""
    return {
        label: [
            item.verification.gap_pct
            for item in run.items
            if item.verification and item.verification.feasible and item.verification.gap_pct is not None
        ]
        for label, run in zip(labels or [run.label for run in runs], runs, strict=True)
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
    "gap_distribution": "Gap distribution of feasible answers, by run",
    "normalised_gap_distribution": "SMTT normalised gap (obj − opt) / (EDD − opt): 0 optimal, 1 as bad as EDD",
    "cost_and_tokens": "Tokens and cost per item, by run",
    "strategy_curves": "Feasibility vs. level per strategy (runs of a strategy on the same suite pooled; Wilson 95% "
    "bands)",
    "strategy_gap_by_level": "Mean gap of feasible answers vs. level per strategy (runs of a strategy on the same "
    "suite pooled)",
    "success_at_k": "Success within k rounds (success@k) per run",
    "cost_per_solved": "Tokens and cost per solved item, by run",
    "evolution_score": "Score over iterations (best so far as a step line)",
    "evolution_lineage": "Lineage of the best program",
}
"""Chart captions by file stem, in the order the report shows them."""


def normalised_gaps_by_run(runs: Sequence[RunView], labels: Sequence[str] | None = None) -> dict[str, list[float]]:
    """Normalised gaps (docs/metrics.md, SMTT) of feasible answers, per run that has any."""
    gaps = {
        label: [item.normalised_gap for item in run.items if item.normalised_gap is not None]
        for label, run in zip(labels or [run.label for run in runs], runs, strict=True)
    }
    return {label: values for label, values in gaps.items() if values}


@dataclass
class FigureGroups:
    """The report's charts, grouped as the page shows them: per family (each with its own level axis), across
    every run, and the strategy comparison; plus the full run names behind the short series labels."""

    families: list[tuple[str, dict[str, Any]]]
    across: dict[str, Any]
    strategies: dict[str, Any]
    names: dict[str, str]
    family_documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def flat(self) -> dict[str, Any]:
        """Every chart by file stem (`rcpsp_feasibility_by_level`, `gap_distribution`, …); for papers also each
        family's violation taxonomy as bars (the HTML report shows it as a heat table)."""
        from schedbench import plots

        figures = {f"{family}_{stem}": fig for family, charts in self.families for stem, fig in charts.items()}
        for family, docs in self.family_documents.items():
            if any(doc.get("taxonomy") for doc in docs):
                figures[f"{family}_violation_taxonomy"] = plots.taxonomy_bars(
                    docs, title=f"{family}: violation taxonomy"
                )
        return figures | self.across | self.strategies


def run_keys(runs: Sequence[RunView]) -> list[str]:
    """`[1]`, `[2]`, …: how charts over many runs name them (the summary table gives the full names)."""
    return [f"[{number}]" for number in range(1, len(runs) + 1)]


def family_members(runs: Sequence[RunView]) -> list[tuple[str, list[tuple[int, RunView, Mapping[str, Any]]]]]:
    """Families in order of appearance, each with (run number, run, the run's section of that family)."""
    found: dict[str, list[tuple[int, RunView, Mapping[str, Any]]]] = {}
    for number, run in enumerate(runs):
        sections = list(run.document.get("by_family") or [])
        if not sections:  # a document without per-family sections: one section from the run's own rows
            families = sorted({item.instance.family for item in run.items}) or ["?"]
            sections = [{"family": families[0], **run.document}]
        for section in sections:
            found.setdefault(str(section["family"]), []).append((number, run, section))
    return list(found.items())


def _strategies_per_suite(docs: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The strategies of a family section's runs, per suite."""
    per_suite: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        per_suite[str(doc.get("suite"))].add(strategy_of(doc))
    return per_suite


def _family_document(key: str, run: RunView, section: Mapping[str, Any], single: bool) -> dict[str, Any]:
    """What a family chart reads of one run: the family's own curve; stages, scenarios and chains when the run
    has no other family."""
    document = dict(run.document)
    label = f"{key} {abbreviate(str(document.get('run') or document.get('model') or 'run'), 34)}"
    out: dict[str, Any] = {
        "run": label,
        "model": document.get("model"),
        "strategy": document.get("strategy"),
        "config": document.get("config"),
        "suite": document.get("suite"),
        "by_level": section.get("by_level") or document.get("by_level") or [],
        "breakpoint_level": section.get("breakpoint_level", document.get("breakpoint_level")),
        "taxonomy": section.get("taxonomy") or {},
    }
    if single:
        out.update(
            {
                "by_stage": document.get("by_stage") or [],
                "by_scenario": scenario_rows(run),
                "chains": document.get("chains"),
            }
        )
    return out


def figure_groups(runs: Sequence[RunView]) -> FigureGroups:
    """Every chart of the report, grouped (see FigureGroups)."""
    from schedbench import plots
    from schedbench.plots.strategies import cost_per_solved, strategy_curves, strategy_gap_curves, success_at_k

    keys = run_keys(runs)
    names: dict[str, str] = {}
    families = []
    family_documents: dict[str, list[dict[str, Any]]] = {}
    for family, members in family_members(runs):
        docs = []
        for number, run, section in members:
            single = len(run.document.get("by_family") or []) <= 1
            doc = _family_document(keys[number], run, section, single)
            names[doc["run"]] = str(run.document.get("run") or run.label)
            docs.append(doc)
        charts: dict[str, Any] = {
            "feasibility_by_level": plots.feasibility_curves(docs, title=f"{family}: feasibility by level")
        }
        charts["gap_by_level"] = plots.gap_curves(docs, title=f"{family}: mean gap by level")
        for key, stem in (("by_stage", "feasibility_by_stage"), ("by_scenario", "feasibility_by_scenario")):
            if any(len(doc.get(key) or []) > 1 for doc in docs):
                charts[stem] = plots.breakdown_bars(docs, key, title=f"{family}: feasibility by {key[3:]}")
        if any(doc.get("chains") for doc in docs):
            charts["chain_breakpoints"] = plots.chain_breakpoints(docs, title=f"{family}: breakpoint per chain")
        normalised = normalised_gaps_by_run([run for _, run, _ in members], [keys[n] for n, _, _ in members])
        if normalised:
            charts["normalised_gap_distribution"] = plots.gap_distribution(
                normalised, title=f"{family}: normalised gap", ylabel="(obj − opt) / (EDD − opt)"
            )
        per_suite = _strategies_per_suite(docs)
        if len(per_suite) > 1:  # runs on different instances never share a line: each is a strategy on one suite
            for doc in docs:
                doc["strategy_line"] = f"{strategy_of(doc)} · {abbreviate(Path(str(doc.get('suite'))).name, 24)}"
        if any(len(strategies) > 1 for strategies in per_suite.values()):
            charts["strategy_curves"] = strategy_curves(docs, title=f"{family}: feasibility by level, per strategy")
            charts["strategy_gap_by_level"] = strategy_gap_curves(
                docs, title=f"{family}: mean gap by level, per strategy"
            )
        families.append((family, charts))
        family_documents[family] = docs
    for key, run in zip(keys, runs, strict=True):
        names[key] = str(run.document.get("run") or run.label)
    short = [{**run.document, "run": key} for key, run in zip(keys, runs, strict=True)]
    across = {
        "gap_distribution": plots.gap_distribution(gaps_by_run(runs, keys)),
        "cost_and_tokens": plots.cost_tokens(short),
    }
    strategies = {}
    if any(run.document.get("multi_turn") for run in runs):
        strategies["success_at_k"] = success_at_k([run.document for run in runs], keys)
    strategies["cost_per_solved"] = cost_per_solved([run.document for run in runs], keys)
    return FigureGroups(families, across, strategies, names, family_documents)


def summary_figures(runs: Sequence[RunView]) -> dict[str, Any]:
    """Every cross-run chart, by file stem (family charts prefixed with their family)."""
    return figure_groups(runs).flat()


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
    """The items shown in full, at most `limit`: every outcome the run has gets a turn (failures first, so a rare
    outcome such as a correct infeasibility claim is not crowded out), then they are listed failures first, then
    feasible but not optimal answers, then optimal ones; by level within each group."""

    def key(item: ItemView) -> tuple[Any, ...]:
        optimal = bool(item.verification and item.verification.optimal)
        return item.success, optimal, item.instance.level, item.instance.id, item.sample

    order = ("api_error", "parse_error", "wrong_claim", "infeasible", "unchecked_claim", "correct_claim", "feasible")
    groups: dict[str, list[ItemView]] = {}
    for item in sorted(run.items, key=key):
        groups.setdefault(item.outcome, []).append(item)
    queues = [groups[k] for k in (*order, "optimal") if k in groups]
    chosen: list[ItemView] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return sorted(chosen, key=key)


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
        "outcome": item.outcome,
        "outcome_label": OUTCOMES[item.outcome],
        "verdict": claim_verdict(item) if item.is_claim else None,
        "rounds": [_round_context(number, turn) for number, turn in enumerate(item.rounds, start=1)],
        "answer": json.dumps(item.answer, indent=1, default=str) if item.answer is not None else None,
        "verification": verification.model_dump() if verification else None,
        "reference_status": ref.status if ref else "none",
        "gantt": inline_svg(svg, f"g{index}") if svg else "",
    }


def claim_verdict(item: ItemView) -> str:
    """The words shown instead of a Gantt chart for an infeasibility claim."""
    ref = item.instance.reference
    outcome = item.outcome
    if outcome == "correct_claim":
        by = f" ({ref.solver})" if ref is not None and ref.solver else ""
        return f"Claimed infeasible: correct. The reference proves that no schedule satisfies every constraint{by}."
    if outcome == "wrong_claim":
        objective = ref.objective if ref is not None else None
        found = f" with objective {objective:g}" if isinstance(objective, int | float) else ""
        return f"Claimed infeasible: wrong. A schedule{found} satisfies every constraint."
    return "Claimed infeasible: unchecked. The instance has no reference, so nobody can tell."


def _round_context(number: int, turn: Mapping[str, Any]) -> dict[str, Any]:
    """One round of a conversation: the user turn that opened it, the reply, its outcome, and any extra record
    of the strategy (tool calls and results, a program and its output)."""
    from schedbench.evaluate.outcomes import outcome_of_verification

    verification = turn.get("verification")
    errored = (
        bool(turn.get("failure")) and not verification and turn.get("answer") is None and not turn.get("parse_error")
    )
    key = outcome_of_verification(verification, errored, turn.get("answer") is not None)
    extra = turn.get("extra") or {}
    return {
        "number": number,
        "user": turn.get("user"),
        "response": turn.get("response") or "",
        "parse_error": turn.get("parse_error"),
        "failure": turn.get("failure"),
        "outcome": key,
        "outcome_label": OUTCOMES[key],
        "success": key in SUCCESSES,
        "violations": [
            f"{v.get('type')}: {v.get('detail')}"
            for v in (verification or {}).get("violations") or []
            if isinstance(v, Mapping)
        ][:20],
        "tokens": int(turn.get("input_tokens") or 0) + int(turn.get("output_tokens") or 0),
        "extra": [{"key": str(k), "text": _extra_text(v)} for k, v in extra.items()],
    }


def _extra_text(value: Any) -> str:
    """An extra record of a round as readable text (strings as they are, anything else as indented JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(_plain(value), indent=1, default=str, ensure_ascii=False)


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
    exact: bool = False,
) -> dict[str, Any]:
    """Everything the template shows: leaderboard, run summaries, inline charts, drill-down items, evolution."""
    from schedbench.plots import figure_svg, inline_svg

    groups = figure_groups(runs) if runs else FigureGroups([], {}, {}, {})

    def rendered(prefix: str, figures: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "stem": stem,
                "id": prefix + stem,
                "caption": CAPTIONS[stem],
                "svg": inline_svg(figure_svg(fig), prefix + stem, groups.names),
            }
            for stem, fig in figures.items()
        ]

    keys = run_keys(runs)
    members = dict(family_members(runs)) if runs else {}
    families = [
        {
            "name": family,
            "runs": [keys[number] for number, _, _ in members[family]],
            "charts": rendered(f"{family}-", charts),
            "heat": heat_table([(keys[number], section) for number, _, section in members[family]]),
        }
        for family, charts in groups.families
    ]
    share = per_run if exact else drill_down_share(per_run, len(runs))
    shown = [drill_down(run, share) for run in runs]
    drawn = [item for items in shown for item in items if not item.is_claim]
    drawings = dict(
        zip(map(id, drawn), map_ordered(item_gantt_svg, _gantt_payloads(drawn), workers=workers), strict=True)
    )
    svgs = iter([drawings.get(id(item), "") for items in shown for item in items])
    run_contexts = []
    strategy_rows = [strategy_row(run) for run in runs]
    for number, (run, items) in enumerate(zip(runs, shown, strict=True)):
        run_contexts.append(
            {
                "key": keys[number],
                "label": run.label,
                "document": dict(run.document),
                "total": len(run.items),
                "note": run.note,
                "strategy": strategy_rows[number],
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
        "families": families,
        "across": rendered("", groups.across),
        "strategy_charts": rendered("", groups.strategies),
        "outcome_words": OUTCOMES,
        "outcomes_seen": sorted({key for run in runs for key in run.document.get("outcomes") or {}}),
        "rounds_depth": max((len(row["success_at"]) for row in strategy_rows), default=0),
        "evolution": evolution_context,
        "per_run": per_run,
        "comparison": _plain(comparison) if comparison else None,
    }


def heat_table(columns: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The violation taxonomy of one family as a heat table: a row per violation type (most frequent first), a
    column per run, each cell the share of that run's failed parsed answers showing the type."""
    kinds: dict[str, float] = {}
    for _, section in columns:
        for kind, share in (section.get("taxonomy") or {}).items():
            kinds[kind] = max(kinds.get(kind, 0.0), float(share or 0.0))
    rows = []
    for kind in sorted(kinds, key=lambda k: (-kinds[k], k)):
        cells = []
        for _, section in columns:
            share = float((section.get("taxonomy") or {}).get(kind) or 0.0)
            cells.append(
                {"share": share, "text": f"{100 * share:.0f}%" if share else "·", "alpha": round(0.08 + 0.8 * share, 3)}
            )
        rows.append({"kind": kind, "cells": cells})
    return {
        "keys": [key for key, _ in columns],
        "rows": rows,
        "failed": [int(s.get("taxonomy_n") or 0) for _, s in columns],
    }


def strategy_row(run: RunView) -> dict[str, Any]:
    """One run in the strategy comparison: how it asked, success, success@k, rounds, tokens and cost per solved
    item, and what its rounds recorded (tool calls, failure types of programs) when a strategy stores them."""
    from schedbench.plots.strategies import per_solved

    document = run.document
    turns = document.get("multi_turn") or {}
    tool_calls = 0
    failures: dict[str, int] = {}
    for item in run.items:
        for turn in item.rounds:
            extra = turn.get("extra") or {}
            calls = extra.get("tool_calls")
            tool_calls += len(calls) if isinstance(calls, list) else 0
            kind = extra.get("program_failure") or extra.get("failure_type")  # formalize stores program_failure
            if kind:
                failures[str(kind)] = failures.get(str(kind), 0) + 1
    tokens, cost = per_solved(document)
    return {
        "strategy": strategy_of(document),
        "mode": (document.get("config") or {}).get("mode") or "plan",
        "families": ", ".join(str(row.get("family")) for row in document.get("by_family") or []),
        "success": document.get("feasible_rate"),
        "success_at": [
            turns.get("success_at", {}).get(str(k)) for k in range(1, len(turns.get("success_at") or {}) + 1)
        ],
        "mean_rounds": turns.get("mean_rounds"),
        "tokens_per_solved": tokens,
        "cost_per_solved": cost,
        "tool_calls": tool_calls,
        "failures": ", ".join(f"{k} {v}" for k, v in sorted(failures.items())),
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
    exact: bool = False,
) -> str:
    """The report as one HTML string (opening with the leaderboard of `comparison`, if given). `exact`: show
    `per_run` items of every run, not fewer when there are many runs."""
    from markupsafe import Markup

    context = report_context(runs, evolution, title, per_run, workers, comparison, exact)
    _mark_safe(context, Markup)
    return _environment().get_template("report.html.j2").render(**context)


def _mark_safe(context: dict[str, Any], markup: Callable[[str], Any]) -> None:
    """Our own SVG is trusted markup; everything else stays autoescaped."""
    charts = [chart for family in context["families"] for chart in family["charts"]]
    charts += context["across"] + context["strategy_charts"]
    charts += context["evolution"]["charts"] if context["evolution"] else []
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
    exact: bool = False,
) -> Path:
    """Write the self-contained HTML report; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html_report(runs, evolution, title, per_run, workers, comparison, exact), encoding="utf-8")
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
