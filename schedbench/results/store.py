"""The results store: one SQLite file (WAL) holding runs, items and the response cache.

- `runs`: one row per run: model, suite and its hash, configuration (no secrets), versions, git hash, times,
  status (`running`, `complete`, `incomplete` with error rows to retry, `stopped` by the budget, `interrupted`).
- `items`: one row per (run, instance, sample): prompt hash, raw response, parsed answer, verification JSON
  and its flattened fields, tokens, cost, latency, the error for items that failed (retried on resume), and
  the nested ramp chain the instance lies on (NULL for independent draws).
- `rounds`: the turns of a multi-turn strategy (repair): per (run, instance, sample, round) its user message,
  response, answer, verification, tokens, cost and latency; the item row holds the last round.
- `cache`: responses keyed by model + base URL + messages + parameters (+ sample), so reruns cost nothing.

Each item is committed as it arrives. Readers (`report`, the HTML report) use `runs()`, `run()` and `items()`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    suite_hash TEXT NOT NULL,
    config TEXT NOT NULL,
    versions TEXT NOT NULL,
    git_hash TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    planned INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    family TEXT NOT NULL,
    level INTEGER NOT NULL,
    stage TEXT NOT NULL,
    scenario TEXT NOT NULL,
    mode TEXT NOT NULL,
    prompt_hash TEXT,
    response TEXT,
    answer TEXT,
    parse_error TEXT,
    verification TEXT,
    feasible INTEGER NOT NULL DEFAULT 0,
    correct INTEGER NOT NULL DEFAULT 0,
    optimal INTEGER NOT NULL DEFAULT 0,
    objective REAL,
    reference REAL,
    gap_pct REAL,
    gap_abs REAL,
    normalised_gap REAL,
    violation_types TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    latency_s REAL,
    cached INTEGER NOT NULL DEFAULT 0,
    finish_reason TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    chain TEXT,
    PRIMARY KEY (run_id, instance_id, sample)
);
CREATE TABLE IF NOT EXISTS tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
);
CREATE TABLE IF NOT EXISTS rounds (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    round INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, instance_id, sample, round)
);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    finish_reason TEXT,
    created_at TEXT NOT NULL
);
"""

ITEM_COLUMNS = (
    "run_id",
    "instance_id",
    "sample",
    "family",
    "level",
    "stage",
    "scenario",
    "mode",
    "prompt_hash",
    "response",
    "answer",
    "parse_error",
    "verification",
    "feasible",
    "correct",
    "optimal",
    "objective",
    "reference",
    "gap_pct",
    "gap_abs",
    "normalised_gap",
    "violation_types",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_s",
    "cached",
    "finish_reason",
    "error",
    "created_at",
    "chain",
)
_INSERT_ITEM = (
    f"INSERT OR REPLACE INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' for _ in ITEM_COLUMNS)})"
)


def now() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Run:
    """One row of `runs`, with its configuration decoded."""

    id: int
    name: str
    model: str
    suite: str
    suite_hash: str
    config: dict[str, Any]
    versions: dict[str, Any]
    git_hash: str | None
    started_at: str
    finished_at: str | None
    status: str
    planned: int


@dataclass
class CachedResponse:
    response: str
    input_tokens: int
    output_tokens: int
    finish_reason: str | None


@dataclass
class ItemRecord:
    """One answered (or failed) item, ready to store."""

    instance_id: str
    sample: int
    family: str
    level: int
    stage: str
    scenario: str
    mode: str
    prompt_hash: str | None = None
    response: str | None = None
    answer: Any = None
    parse_error: str | None = None
    verification: dict[str, Any] | None = None
    normalised_gap: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float | None = None
    cached: bool = False
    finish_reason: str | None = None
    error: str | None = None
    chain: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self, run_id: int, stamp: str | None = None) -> tuple[Any, ...]:
        v = self.verification or {}
        types = sorted({x["type"] for x in v.get("violations", [])}) if v else []
        return (
            run_id,
            self.instance_id,
            self.sample,
            self.family,
            self.level,
            self.stage,
            self.scenario,
            self.mode,
            self.prompt_hash,
            self.response,
            None if self.answer is None else json.dumps(self.answer),
            self.parse_error,
            json.dumps(v) if v else None,
            int(bool(v.get("feasible"))),
            int(bool(v.get("correct"))),
            int(bool(v.get("optimal"))),
            v.get("objective"),
            v.get("reference"),
            v.get("gap_pct"),
            v.get("gap_abs"),
            self.normalised_gap,
            json.dumps(types),
            self.input_tokens,
            self.output_tokens,
            self.cost_usd,
            self.latency_s,
            int(self.cached),
            self.finish_reason,
            self.error,
            stamp or now(),
            self.chain,
        )


class Store:
    """The results database. Open with `Store(path)`; every write is committed at once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.executescript(SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Bring a database written by an older version up to the current item columns (`chain`)."""
        present = {row[1] for row in self.db.execute("PRAGMA table_info(items)")}
        if "chain" not in present:
            self.db.execute("ALTER TABLE items ADD COLUMN chain TEXT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # runs ------------------------------------------------------------------------------------------------
    def run(self, name: str) -> Run | None:
        """The run called `name`, or None."""
        row = self.db.execute("SELECT * FROM runs WHERE name = ?", (name,)).fetchone()
        return _run(row) if row else None

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        return [_run(r) for r in self.db.execute("SELECT * FROM runs ORDER BY id")]

    def create_run(
        self,
        name: str,
        model: str,
        suite: str,
        suite_hash: str,
        config: dict[str, Any],
        versions: dict[str, Any],
        git_hash: str | None,
        planned: int,
    ) -> Run:
        self.db.execute(
            "INSERT INTO runs (name, model, suite, suite_hash, config, versions, git_hash, started_at, "
            "status, planned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (
                name,
                model,
                suite,
                suite_hash,
                json.dumps(config, sort_keys=True),
                json.dumps(versions),
                git_hash,
                now(),
                planned,
            ),
        )
        run = self.run(name)
        assert run is not None
        return run

    def mark_run(self, run_id: int, status: str, planned: int | None = None) -> None:
        """Set a run's status (and its end time unless it is running again)."""
        finished = None if status == "running" else now()
        self.db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, planned = COALESCE(?, planned) WHERE id = ?",
            (status, finished, planned, run_id),
        )

    def delete_run(self, name: str) -> bool:
        run = self.run(name)
        if run is None:
            return False
        self.db.execute("DELETE FROM items WHERE run_id = ?", (run.id,))
        self.db.execute("DELETE FROM runs WHERE id = ?", (run.id,))
        return True

    def run_by_id(self, run_id: int) -> Run | None:
        row = self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def remove_runs(self, run_ids: list[int]) -> None:
        """Delete runs with their items and tags, in one transaction (the response cache stays)."""
        with self.transaction():
            self.db.executemany("DELETE FROM items WHERE run_id = ?", [(k,) for k in run_ids])
            self.db.executemany("DELETE FROM tags WHERE run_id = ?", [(k,) for k in run_ids])
            self.db.executemany("DELETE FROM runs WHERE id = ?", [(k,) for k in run_ids])

    def rename_run(self, run_id: int, name: str) -> None:
        """Give a run another name (sqlite3.IntegrityError when the name is taken)."""
        self.db.execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def tags(self, run_id: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", (run_id,))]

    def set_tags(self, run_id: int, add: list[str], remove: list[str]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)", [(run_id, t) for t in add])
            self.db.executemany("DELETE FROM tags WHERE run_id = ? AND tag = ?", [(run_id, t) for t in remove])

    def families(self, run_id: int) -> list[str]:
        """The families of a run's stored items."""
        rows = self.db.execute("SELECT DISTINCT family FROM items WHERE run_id = ? ORDER BY family", (run_id,))
        return [r[0] for r in rows]

    def transaction(self) -> Any:
        """A block whose writes commit together (or not at all)."""
        return _Transaction(self.db)

    # items -----------------------------------------------------------------------------------------------
    def add_cache(self, entries: list[tuple[str, ItemRecord]]) -> None:
        """Cache fresh replies (key, item) in one transaction."""
        stamp = now()
        rows = [
            (
                key,
                item.extra.get("model_spec", ""),
                item.response,
                item.input_tokens,
                item.output_tokens,
                item.finish_reason,
                stamp,
            )
            for key, item in entries
            if item.response is not None
        ]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def add_items(self, run_id: int, batch: list[tuple[ItemRecord, str | None]]) -> None:
        """Store items in one transaction (committed before returning), caching fresh replies that have a key."""
        stamp = now()
        items = [item.row(run_id, stamp) for item, _ in batch]
        cache = [
            (
                key,
                item.extra.get("model_spec", ""),
                item.response,
                item.input_tokens,
                item.output_tokens,
                item.finish_reason,
                stamp,
            )
            for item, key in batch
            if key is not None and item.error is None and item.response is not None and not item.cached
        ]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(_INSERT_ITEM, items)
            if cache:
                self.db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?, ?, ?)", cache)

    def done_keys(self, run_id: int) -> set[tuple[str, int]]:
        """(instance id, sample) of every item stored without an error."""
        rows = self.db.execute("SELECT instance_id, sample FROM items WHERE run_id = ? AND error IS NULL", (run_id,))
        return {(r[0], r[1]) for r in rows}

    def add_rounds(self, run_id: int, instance_id: str, sample: int, rounds: list[dict[str, Any]]) -> None:
        """Store every round of one item (replacing earlier ones), committed before returning."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "DELETE FROM rounds WHERE run_id = ? AND instance_id = ? AND sample = ?", (run_id, instance_id, sample)
            )
            self.db.executemany(
                "INSERT INTO rounds (run_id, instance_id, sample, round, data) VALUES (?, ?, ?, ?, ?)",
                [(run_id, instance_id, sample, n, json.dumps(r)) for n, r in enumerate(rounds, start=1)],
            )

    def rounds(self, run_id: int) -> dict[tuple[str, int], list[dict[str, Any]]]:
        """The stored rounds of a run's items by (instance id, sample), in round order."""
        out: dict[tuple[str, int], list[dict[str, Any]]] = {}
        cursor = self.db.execute(
            "SELECT instance_id, sample, data FROM rounds WHERE run_id = ? ORDER BY instance_id, sample, round",
            (run_id,),
        )
        for instance_id, sample, data in cursor:
            out.setdefault((instance_id, sample), []).append(json.loads(data))
        return out

    def spent(self, run_id: int) -> float:
        """USD spent by a run so far."""
        return float(
            self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM items WHERE run_id = ?", (run_id,)).fetchone()[0]
        )

    def items(self, run_id: int) -> Iterator[dict[str, Any]]:
        """Every item of a run as a dict (JSON columns decoded), in instance and sample order."""
        cursor = self.db.execute("SELECT * FROM items WHERE run_id = ? ORDER BY instance_id, sample", (run_id,))
        for row in cursor:
            yield decode_item(dict(row))

    def item_rows(self, run_id: int, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """Chosen columns of every item of a run (cheap: no JSON decoding), for metrics."""
        unknown = set(columns) - set(ITEM_COLUMNS)
        if unknown:
            raise ValueError(f"unknown item columns: {', '.join(sorted(unknown))}")
        return self.db.execute(f"SELECT {', '.join(columns)} FROM items WHERE run_id = ?", (run_id,)).fetchall()

    # cache -----------------------------------------------------------------------------------------------
    def has_cache(self, model: str) -> bool:
        """Whether any reply of this model spec is cached."""
        return self.db.execute("SELECT 1 FROM cache WHERE model = ? LIMIT 1", (model,)).fetchone() is not None

    def cached(self, key: str) -> CachedResponse | None:
        row = self.db.execute(
            "SELECT response, input_tokens, output_tokens, finish_reason FROM cache WHERE key = ?", (key,)
        ).fetchone()
        return CachedResponse(*row) if row else None


def decode_item(row: dict[str, Any]) -> dict[str, Any]:
    """An item row with its JSON columns (answer, verification, violation_types) decoded."""
    for key in ("answer", "verification", "violation_types"):
        if row.get(key) is not None:
            row[key] = json.loads(row[key])
    for key in ("feasible", "correct", "optimal", "cached"):
        row[key] = bool(row[key])
    return row


def _run(row: sqlite3.Row) -> Run:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    data["versions"] = json.loads(data["versions"])
    return Run(**data)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
