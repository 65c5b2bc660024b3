"""Item exports: JSON lines, CSV, and a Hugging Face dataset in parquet (chosen by the file suffix)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schedbench.results.store import Run, Store

FORMATS = (".jsonl", ".csv", ".parquet")


def export_rows(store: Store, runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Every item of the runs, each with its run name, model and outcome (docs/metrics.md#outcomes)."""
    from schedbench.evaluate.outcomes import outcome_of_verification

    rows = []
    for run in runs:
        for item in store.items(run.id):
            item.pop("run_id", None)
            errored, parsed = item.get("error") is not None, item.get("answer") is not None
            outcome = outcome_of_verification(item.get("verification"), errored, parsed)
            rows.append({"run": run.name, "model": run.model, "outcome": outcome, **item})
    return rows


def export(store: Store, runs: Iterable[Run], path: Path) -> int:
    """Write the items of `runs` to `path` (.jsonl, .csv or .parquet); returns the number of rows."""
    rows = export_rows(store, runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif path.suffix == ".csv":
        flat = [_flat(row) for row in rows]
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(flat[0]) if flat else ["run"])
            writer.writeheader()
            writer.writerows(flat)
    elif path.suffix == ".parquet":
        import datasets

        datasets.disable_progress_bars()
        datasets.Dataset.from_list([_flat(row) for row in rows]).to_parquet(str(path))
    else:
        raise ValueError(f"unknown export format {path.suffix!r}; use one of {', '.join(FORMATS)}")
    return len(rows)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """Nested values as JSON strings (one column type per column, as CSV and parquet need)."""
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
