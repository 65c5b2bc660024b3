"""`schedbench evolve report DIR`: the evolved rule against the family's baselines on held-out sets, in the
seed paper's table layout (one row per set, one column per rule — the run's seed program, the evolved program
and the baselines —, mean gap % to the optimum over instances with a non-zero optimum), plus score-over-iterations
data from `history.jsonl`.

Held-out sets: the published sets shipped with the package (SMTT `smtt/n20` and `smtt/n100`, RCPSP `psplib/j30`,
all with published optima), and generated sets solved exactly — for SMTT Potts–VW sets of the requested sizes (default
n = 200, 500), for other families a set like the training set from another seed. The evolved program runs in the
sandbox (one process per set) and every answer is verified; baselines run in the harness (trusted code).
Writes `report.json` and `score_over_iterations.csv` into the run folder.
"""

from __future__ import annotations

import asyncio
import csv
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from schedbench._io import atomic_write
from schedbench.errors import InputError
from schedbench.evolve.config import EvolveConfig
from schedbench.evolve.controller import RUN_FILE
from schedbench.evolve.evaluator import build_instances
from schedbench.evolve.specs import EvolveSpec, get_spec
from schedbench.problems import Instance, get_family
from schedbench.sandbox import open_sandbox
from schedbench.verifiers._result import reference_objective


@dataclass
class HeldOut:
    name: str
    instances: list[Instance]


def published_held_out(spec: EvolveSpec, limit: int | None) -> list[HeldOut]:
    """The family's published held-out sets, each instance with its published optimum as the reference."""
    from schedbench.importers import load_published

    return [HeldOut(label, load_published(name)[:limit]) for label, name in spec.held_out]


def held_out_sets(
    spec: EvolveSpec, folder: Path, sizes: str | None, per_class: int, limit: int | None, time_limit: float
) -> list[HeldOut]:
    """The held-out sets of a family (generated ones are cached in `folder`)."""
    sets = published_held_out(spec, limit)
    wanted = sizes if sizes is not None else spec.report_levels
    levels = [s.strip() for s in wanted.split(",") if s.strip()] if wanted else [str(spec.train["levels"])]
    for level in levels:
        options = {**spec.train, "levels": level, "per_level": per_class, "seed": 90210}
        instances = build_instances(spec, options, folder / f"level-{level}", time_limit, workers=2)
        sets.append(HeldOut(f"level {level} (generated, exact)", instances[:limit] if limit else instances))
    return sets


def _gap_stats(objectives: list[float | None], optima: list[float], times_ms: list[float]) -> dict[str, Any]:
    gaps = [100.0 * (c - o) / o for c, o in zip(objectives, optima, strict=True) if c is not None and o > 0]
    feasible = sum(c is not None for c in objectives)
    return {
        "mean_gap_pct": round(statistics.fmean(gaps), 3) if gaps else None,
        "feasible": feasible,
        "optimal": sum(c is not None and c <= o for c, o in zip(objectives, optima, strict=True)),
        "ms_per_instance": round(statistics.fmean(times_ms), 4) if times_ms else None,
    }


def evaluate_rule(rule: Callable[[Any], Any], family: Any, instances: list[Instance]) -> dict[str, Any]:
    """A trusted baseline rule on a set: gaps, feasibility and time."""
    objectives, optima, times = [], [], []
    for inst in instances:
        data = family.parse_data(inst.data)
        began = time.perf_counter()
        solution = rule(data)
        times.append(1000.0 * (time.perf_counter() - began))
        result = family.verify(data, solution, inst.reference)
        objectives.append(float(result.objective) if result.feasible and result.objective is not None else None)
        optima.append(float(reference_objective(inst.reference) or 0))
    return _gap_stats(objectives, optima, times)


async def evaluate_program(
    code: str, spec: EvolveSpec, config: EvolveConfig, instances: list[Instance], timeout: float
) -> dict[str, Any]:
    """The evolved program on a set, in the sandbox; every answer verified."""
    family = get_family(spec.family)
    data = [family.parse_data(inst.data) for inst in instances]
    optima = [float(reference_objective(inst.reference) or 0) for inst in instances]
    async with open_sandbox(code, config.sandbox) as box:
        if box.load_error:
            return {"error": box.load_error}
        batch = await box.run([spec.to_input(d) for d in data], timeout)
    objectives: list[float | None] = []
    for inst, typed, output in zip(instances, data, batch.outputs, strict=False):
        result = family.verify(typed, spec.to_solution(typed, output), inst.reference)
        objectives.append(float(result.objective) if result.feasible and result.objective is not None else None)
    objectives += [None] * (len(instances) - len(objectives))
    stats = _gap_stats(objectives, optima, [1000.0 * batch.wall_s / max(1, len(instances))])
    if batch.error:
        stats["error"] = batch.error
    return stats


def seed_code(run_dir: Path, config: EvolveConfig) -> str:
    """The source of the run's seed program (iteration 0), as stored in its program database."""
    from schedbench.evolve.controller import DB_FILE
    from schedbench.evolve.database import ProgramDatabase

    db = ProgramDatabase(run_dir / DB_FILE, config.database)
    try:
        return db.program(ProgramDatabase.program_id(0)).code
    except KeyError:
        raise InputError(str(run_dir / DB_FILE), None, "the run has no seed program (iteration 0)") from None
    finally:
        db.close()


def held_out_by_rule(document: dict[str, Any]) -> dict[str, Any]:
    """The held-out comparison with one row per program or rule (the seed first, then the evolved program and
    the baselines) and one column per held-out set: mean gap % as text, with "k/n answered" when some
    instances got no feasible answer. What the HTML report shows."""
    held = document.get("held_out") or []
    rules = list(dict.fromkeys(rule for row in held for rule in row["rules"]))
    rows = []
    for rule in rules:
        cells = []
        for row in held:
            stats = row["rules"].get(rule, {})
            gap = stats.get("mean_gap_pct")
            cell = "–" if gap is None else f"{gap:.2f}"
            if stats.get("feasible", row["instances"]) < row["instances"]:
                cell += f" ({stats.get('feasible', 0)}/{row['instances']} answered)"
            cells.append(cell)
        rows.append({"rule": rule, "cells": cells})
    return {"sets": [f"{row['set']} (n = {row['instances']})" for row in held], "rows": rows}


def score_series(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(iteration, status, score, best so far) per iteration."""
    best: float | None = None
    out = []
    for row in history:
        if row.get("status") == "ok" and row.get("score") is not None:
            best = row["score"] if best is None else max(best, row["score"])
        out.append({"iteration": row["iteration"], "status": row["status"], "score": row.get("score"), "best": best})
    return out


def build_report(
    run_dir: Path,
    *,
    sizes: str | None = None,
    per_class: int = 1,
    limit: int | None = None,
    time_limit: float = 60.0,
    timeout: float = 600.0,
) -> dict[str, Any]:
    """The report document (also written to run_dir/report.json and score_over_iterations.csv); the evolved
    program gets `timeout` seconds of wall clock per held-out set (a rule that is fine at the training size can
    be far slower at n = 500: then the set shows it as infeasible, with the timeout as its error)."""
    run_file, best_file = run_dir / RUN_FILE, run_dir / "best_program.py"
    if not run_file.exists() or not best_file.exists():
        raise InputError(str(run_dir), None, "not an evolve run folder (no run.json / best_program.py)")
    run = json.loads(run_file.read_text(encoding="utf-8"))
    config = EvolveConfig.model_validate(run.get("config", {}))
    spec = get_spec(run["family"])
    family = get_family(spec.family)
    best = json.loads((run_dir / "best.json").read_text(encoding="utf-8"))
    history = [
        json.loads(line)
        for line in (run_dir / "history.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    programs = {"seed": seed_code(run_dir, config), "evolved": best_file.read_text(encoding="utf-8")}
    sandboxed = config.model_copy(update={"sandbox": config.sandbox.model_copy(update={"cpu_s": int(timeout) + 5})})
    rows = []
    for held in held_out_sets(spec, run_dir / "held_out", sizes, per_class, limit, time_limit):
        if not held.instances:
            continue
        columns: dict[str, dict[str, Any]] = {}
        for label, code in programs.items():
            same = next((other for other in columns if programs[other] == code), None)  # the seed may be the best
            columns[label] = (
                columns[same] if same else asyncio.run(evaluate_program(code, spec, sandboxed, held.instances, timeout))
            )
        for rule in spec.comparison:
            if rule in family.baselines:
                columns[rule] = evaluate_rule(family.baselines[rule], family, held.instances)
        rows.append({"set": held.name, "instances": len(held.instances), "rules": columns})
    series = score_series(history)
    document = {
        "run": str(run_dir),
        "family": spec.family,
        "program_id": best.get("program_id"),
        "train_score": best.get("score"),
        "seed_score": series[0]["score"] if series else None,
        "held_out": rows,
        "score_over_iterations": series,
    }
    atomic_write(run_dir / "report.json", json.dumps(document, indent=2) + "\n")
    with open(run_dir / "score_over_iterations.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["iteration", "status", "score", "best"])
        writer.writeheader()
        writer.writerows(series)
    return document


def render_report(document: dict[str, Any], console: Console) -> None:
    """Rich tables: mean gap % per held-out set and rule (the seed paper's layout), then the score curve."""
    rules = list(dict.fromkeys(rule for row in document["held_out"] for rule in row["rules"]))
    table = Table(
        "held-out set",
        "n",
        *rules,
        title=f"{document['family']}: mean gap % to the optimum "
        f"(instances with optimum > 0); evolved = {document['program_id']}",
    )
    for row in document["held_out"]:
        cells = []
        for rule in rules:
            stats = row["rules"].get(rule, {})
            gap = stats.get("mean_gap_pct")
            cell = "-" if gap is None else f"{gap:.2f}"
            if stats.get("feasible", row["instances"]) < row["instances"]:
                cell += f" ({stats.get('feasible', 0)}/{row['instances']} answered)"
            cells.append(cell)
        table.add_row(row["set"], str(row["instances"]), *cells)
    console.print(table)
    timing = Table("held-out set", *rules, title="milliseconds per instance (evolved: in the sandbox, IPC included)")
    for row in document["held_out"]:
        times = [row["rules"].get(rule, {}).get("ms_per_instance") for rule in rules]
        timing.add_row(row["set"], *["-" if t is None else f"{t:.2f}" for t in times])
    console.print(timing)
    series = document["score_over_iterations"]
    if series:
        marks = [s for s in series if s["best"] is not None]
        improvements = [s for i, s in enumerate(marks) if i == 0 or s["best"] > marks[i - 1]["best"]]
        curve = Table("iteration", "best training score", title="score over iterations (improvements)")
        for s in improvements:
            curve.add_row(str(s["iteration"]), f"{s['best']:.3f}")
        console.print(curve)
