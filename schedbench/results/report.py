"""The report document of a run (`schedbench report --json`, docs/formats.md), built from the store.

`build_report(store, run)` is the one place the document is made; the rich tables, the HTML report and the
exports read it (or the store's `items`) rather than recomputing metrics.
"""

from __future__ import annotations

import json
from typing import Any

from schedbench.evaluate.metrics import ItemFacts, program_metrics, round_metrics, summarise, tool_metrics
from schedbench.evaluate.outcomes import claimed_from_columns
from schedbench.llm._secrets import redact_config
from schedbench.results.selection import strategy_of
from schedbench.results.store import Run, Store

_FACT_COLUMNS = (
    "level",
    "stage",
    "scenario",
    "family",
    "correct",
    "feasible",
    "optimal",
    "answer",
    "error",
    "gap_pct",
    "gap_abs",
    "normalised_gap",
    "violation_types",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_s",
    "cached",
    "chain",
    "sample",
    "instance_id",
    "objective",
    "reference",
)


def item_facts(store: Store, run_id: int) -> list[ItemFacts]:
    """The metric inputs of every item of a run.

    Items that ended without a verification (parse and API errors) carry their instance's reference objective
    when another item of the instance has one, so `optimal_rate` counts them where optimality is defined even in
    databases written before the runner stored the reference of every item."""
    rows = store.item_rows(run_id, _FACT_COLUMNS)
    ref_at, id_at = _FACT_COLUMNS.index("reference"), _FACT_COLUMNS.index("instance_id")
    known = {row[id_at]: row[ref_at] for row in rows if row[ref_at] is not None}
    facts = []
    for row in rows:
        (
            level,
            stage,
            scenario,
            family,
            correct,
            feasible,
            optimal,
            answer,
            error,
            gap_pct,
            gap_abs,
            normalised,
            types,
            tokens_in,
            tokens_out,
            cost,
            latency,
            cached,
            chain,
            sample,
            instance_id,
            objective,
            reference,
        ) = row
        parsed, kinds = answer is not None, tuple(json.loads(types or "[]"))
        facts.append(
            ItemFacts(
                level=level,
                stage=stage,
                scenario=scenario,
                family=family,
                correct=bool(correct),
                feasible=bool(feasible),
                optimal=bool(optimal),
                parsed=parsed,
                errored=error is not None,
                gap_pct=gap_pct,
                gap_abs=gap_abs,
                normalised_gap=normalised,
                violation_types=kinds,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=cost,
                latency_s=latency,
                cached=bool(cached),
                chain=chain,
                sample=sample,
                instance_id=instance_id,
                objective=objective,
                reference=reference if reference is not None or answer is not None else known.get(instance_id),
                claimed_infeasible=claimed_from_columns(parsed, bool(feasible), bool(correct), kinds),
            )
        )
    return facts


def build_report(store: Store, run: Run) -> dict[str, Any]:
    """The report document of one run: the contract keys first, then provenance and extra metrics."""
    metrics = summarise(item_facts(store, run.id))
    contract = (
        "n",
        "feasible_rate",
        "parse_error_rate",
        "optimal_rate",
        "mean_gap_pct",
        "wauc",
        "breakpoint_level",
        "by_level",
        "by_stage",
        "taxonomy",
        "tokens",
        "cost_usd",
    )
    document: dict[str, Any] = {"run": run.name, "model": run.model, "suite": run.suite}
    document.update({key: metrics[key] for key in contract})
    document.update({key: value for key, value in metrics.items() if key not in contract})
    document["errors_by_kind"] = error_breakdown(store, run.id)
    document["strategy"] = strategy_of(run)
    conversations = store.rounds(run.id)
    if conversations:
        document["multi_turn"] = round_metrics(list(conversations.values()), int(run.config.get("rounds") or 1))
        if document["strategy"] == "tools":
            document["tools"] = tool_metrics(list(conversations.values()))
    if document["strategy"] == "formalize":
        document["formalize"] = program_metrics(list(conversations.values()))
    document.update(
        {
            "status": run.status,
            "planned": run.planned,
            "suite_hash": run.suite_hash,
            "config": redact_config(run.config),  # also for databases written before configs were redacted
            "versions": run.versions,
            "git_hash": run.git_hash,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
        }
    )
    return document


def error_breakdown(store: Store, run_id: int) -> dict[str, dict[str, Any]]:
    """Items that ended in an error, by kind (`schedbench.llm.ERROR_KINDS`), each with one example message."""
    from schedbench.llm import ERROR_KINDS, kind_of

    found: dict[str, dict[str, Any]] = {}
    for (error,) in store.item_rows(run_id, ("error",)):
        if error is None:
            continue
        entry = found.setdefault(kind_of(error), {"count": 0, "example": error})
        entry["count"] += 1
    return {kind: found[kind] for kind in ERROR_KINDS if kind in found}


def build_reports(store: Store, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Report documents of the named runs (every run when `names` is None), oldest first.

    Raises KeyError naming a run that does not exist.
    """
    runs = store.runs()
    if names:
        by_name = {r.name: r for r in runs}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(missing[0])
        runs = [by_name[n] for n in names]
    return [build_report(store, run) for run in runs]
