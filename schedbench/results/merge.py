"""Merging result databases made on several machines into one: runs with their items (and each item's stored
rounds: the conversation of a multi-turn strategy), tags, and the response cache. A run present on both sides is
merged item by item when it is the same run (same model, suite and configuration); items both sides hold must
agree. Anything else is a conflict, and nothing is written."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from schedbench.results.store import ITEM_COLUMNS, Store

_COMPARED = ("response", "answer", "verification", "error")


class MergeConflict(ValueError):
    """Two databases disagree about a run; `source` is the database the disagreement came from."""

    def __init__(self, source: Path, message: str) -> None:
        self.source = source
        super().__init__(message)


@dataclass
class MergeOutcome:
    runs_added: int = 0
    runs_extended: int = 0
    items_added: int = 0
    cache_added: int = 0


def merge(target: Store, sources: list[Path]) -> MergeOutcome:
    """Copy every run, item (with its rounds), tag and cache entry of `sources` into `target` in one transaction."""
    outcome = MergeOutcome()
    with target.transaction():
        for source in sources:
            with Store(source) as other:
                _merge_one(target, other, outcome)
    return outcome


def _merge_one(target: Store, other: Store, outcome: MergeOutcome) -> None:
    for run in other.runs():
        mine = target.run(run.name)
        if mine is None:
            target.db.execute(
                "INSERT INTO runs (name, model, suite, suite_hash, config, versions, git_hash, started_at, "
                "finished_at, status, planned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _run_values(other, run.id),
            )
            mine = target.run(run.name)
            assert mine is not None
            outcome.runs_added += 1
        elif (mine.model, mine.suite_hash, mine.config) != (run.model, run.suite_hash, run.config):
            raise MergeConflict(other.path, f"run {run.name!r} exists with another model, suite or configuration")
        else:
            outcome.runs_extended += 1
        outcome.items_added += _merge_items(target, other, run.id, mine.id, run.name)
        _copy_tags(target, other, run.id, mine.id)
    before = target.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
    rows = other.db.execute("SELECT * FROM cache").fetchall()
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        target.db.executemany(f"INSERT OR IGNORE INTO cache VALUES ({marks})", [tuple(r) for r in rows])
    outcome.cache_added += target.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] - before


def _run_values(other: Store, run_id: int) -> tuple[object, ...]:
    columns = "name, model, suite, suite_hash, config, versions, git_hash, started_at, finished_at, status, planned"
    return tuple(other.db.execute(f"SELECT {columns} FROM runs WHERE id = ?", (run_id,)).fetchone())


def _merge_items(target: Store, other: Store, source_id: int, target_id: int, name: str) -> int:
    columns = [c for c in ITEM_COLUMNS if c != "run_id"]
    have = {
        (r["instance_id"], r["sample"]): r
        for r in target.db.execute(f"SELECT {', '.join(columns)} FROM items WHERE run_id = ?", (target_id,))
    }
    added = []
    for row in other.db.execute(f"SELECT {', '.join(columns)} FROM items WHERE run_id = ?", (source_id,)):
        key = (row["instance_id"], row["sample"])
        mine = have.get(key)
        if mine is None or (mine["error"] is not None and row["error"] is None):  # new, or an answer for an error
            added.append((target_id, *tuple(row)))
        elif mine["error"] is None and row["error"] is None and any(mine[c] != row[c] for c in _COMPARED):
            raise MergeConflict(other.path, f"run {name!r} holds another answer for {key[0]} sample {key[1]}")
    if added:
        marks = ", ".join("?" * len(ITEM_COLUMNS))
        try:
            target.db.executemany(
                "DELETE FROM items WHERE run_id = ? AND instance_id = ? AND sample = ?",
                [(target_id, row[1], row[2]) for row in added],
            )
            target.db.executemany(f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({marks})", added)
        except sqlite3.IntegrityError as exc:
            raise MergeConflict(other.path, f"run {name!r}: {exc}") from None
        _copy_rounds(target, other, source_id, target_id, {(row[1], row[2]) for row in added})
    return len(added)


def _copy_rounds(target: Store, other: Store, source_id: int, target_id: int, keys: set[tuple[str, int]]) -> None:
    """The stored rounds of the items just copied (instance id, sample), replacing any the target held."""
    rows = [
        (target_id, r["instance_id"], r["sample"], r["round"], r["data"])
        for r in other.db.execute(
            "SELECT instance_id, sample, round, data FROM rounds WHERE run_id = ? ORDER BY instance_id, sample, round",
            (source_id,),
        )
        if (r["instance_id"], r["sample"]) in keys
    ]
    target.db.executemany(
        "DELETE FROM rounds WHERE run_id = ? AND instance_id = ? AND sample = ?",
        [(target_id, instance_id, sample) for instance_id, sample in keys],
    )
    target.db.executemany("INSERT INTO rounds (run_id, instance_id, sample, round, data) VALUES (?, ?, ?, ?, ?)", rows)


def _copy_tags(target: Store, other: Store, source_id: int, target_id: int) -> None:
    target.db.executemany(
        "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(target_id, tag) for tag in other.tags(source_id)]
    )
