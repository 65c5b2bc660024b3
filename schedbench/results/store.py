"""The results store: one SQLite file (WAL) holding runs, items and the response cache.

- `runs`: one row per run: model, suite and its hash, configuration (no secrets), versions, git hash, times,
  status (`running`, `complete`, `incomplete` with error rows to retry, `stopped` by the budget, `interrupted`).
- `items`: one row per (run, instance, sample): prompt hash, raw response, parsed answer, verification JSON
  and its flattened fields, tokens, cost, latency, the error for items that failed (retried on resume), and
  the nested ramp chain the instance lies on (NULL for independent draws).
- `rounds`: the turns of a multi-turn strategy (repair): per (run, instance, sample, round) its user message,
  response, answer, verification, tokens, cost and latency; the item row holds the last round.
- `cache`: responses keyed by model + base URL + messages + parameters (+ sample), so reruns cost nothing.

Each reply is committed as it arrives (the replies of one turn of the runner's event loop in one transaction,
`Writes` + `Store.commit`). Readers (`report`, the HTML report) use `runs()`, `run()` and `items()`.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schedbench._json import jsonable, safe_json, safe_text
from schedbench.errors import InputError
from schedbench.problems._bounds import in_int64

MAX_STORED_VIOLATIONS = 100
"""Violations kept in an item's stored verification (the rest are counted in `violations_omitted`)."""
MAX_VIOLATION_ITEMS = 20
"""Ids kept per stored violation (the rest are counted in its `items_omitted`)."""
MAX_DETAIL_CHARS = 500
"""Characters kept of a violation's detail."""

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
CREATE TABLE IF NOT EXISTS run_locks (
    name TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at TEXT NOT NULL
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
    reference: float | int | None = None  # the instance's reference objective, stored also when nothing was verified

    def row(self, run_id: int, stamp: str | None = None) -> tuple[Any, ...]:
        """The `items` row: every value one SQLite stores as is (see `safe_text`, `safe_real`, `safe_json`)."""
        v = self.verification or {}
        types = sorted({str(x.get("type")) for x in v.get("violations", [])}) if v else []
        return (
            run_id,
            safe_text(self.instance_id),
            self.sample,
            safe_text(self.family),
            self.level,
            safe_text(self.stage),
            safe_text(self.scenario),
            safe_text(self.mode),
            self.prompt_hash,
            safe_text(self.response),
            None if self.answer is None else safe_json(self.answer),
            safe_text(self.parse_error),
            safe_json(bounded_verification(v)) if v else None,
            int(bool(v.get("feasible"))),
            int(bool(v.get("correct"))),
            int(bool(v.get("optimal"))),
            safe_real(v.get("objective")),
            safe_real(v.get("reference") if v else self.reference),
            safe_real(v.get("gap_pct")),
            safe_real(v.get("gap_abs")),
            safe_real(self.normalised_gap),
            safe_json(types),
            safe_int(self.input_tokens),
            safe_int(self.output_tokens),
            safe_real(self.cost_usd) or 0.0,
            safe_real(self.latency_s),
            int(self.cached),
            safe_text(self.finish_reason),
            safe_text(self.error),
            stamp or now(),
            self.chain,
        )

    def cache_row(self, key: str, stamp: str) -> tuple[Any, ...]:
        """The `cache` row of this item's reply."""
        return (
            key,
            safe_text(self.extra.get("model_spec", "")),
            safe_text(self.response),
            safe_int(self.input_tokens),
            safe_int(self.output_tokens),
            safe_text(self.finish_reason),
            stamp,
        )


def safe_real(value: Any) -> float | int | None:
    """A number for a REAL column: integers beyond int64 as floats, NaN/infinity (or beyond float) as NULL."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not in_int64(value):
        try:
            value = float(value)
        except OverflowError:
            return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def safe_int(value: Any) -> int:
    """A count for an INTEGER column (0 when it is missing or beyond int64)."""
    return value if isinstance(value, int) and in_int64(value) else 0


def bounded_verification(v: dict[str, Any]) -> dict[str, Any]:
    """A verification with its size bounded: at most MAX_STORED_VIOLATIONS violations, MAX_VIOLATION_ITEMS ids
    each, MAX_DETAIL_CHARS of detail; what is left out is counted, never silently dropped."""
    violations = v.get("violations") or []
    if len(violations) <= MAX_STORED_VIOLATIONS and all(_small(x) for x in violations):
        return v
    kept = [_bounded_violation(x) for x in violations[:MAX_STORED_VIOLATIONS]]
    out = {**v, "violations": kept}
    if len(violations) > MAX_STORED_VIOLATIONS:
        out["violations_omitted"] = len(violations) - MAX_STORED_VIOLATIONS
    return out


def _small(violation: dict[str, Any]) -> bool:
    return (
        len(violation.get("items") or ()) <= MAX_VIOLATION_ITEMS
        and len(str(violation.get("detail", ""))) <= MAX_DETAIL_CHARS
    )


def _bounded_violation(violation: dict[str, Any]) -> dict[str, Any]:
    if _small(violation):
        return violation
    items = list(violation.get("items") or ())
    out = {
        **violation,
        "items": items[:MAX_VIOLATION_ITEMS],
        "detail": str(violation.get("detail", ""))[:MAX_DETAIL_CHARS],
    }
    if len(items) > MAX_VIOLATION_ITEMS:
        out["items_omitted"] = len(items) - MAX_VIOLATION_ITEMS
    return out


class Writes:
    """Rows to commit together (`Store.commit`): each is made when it is added, from the values of that moment."""

    def __init__(self) -> None:
        self.cache: list[tuple[Any, ...]] = []
        self.items: list[tuple[Any, ...]] = []
        self.rounds: list[tuple[Any, ...]] = []
        self.conversations: list[tuple[int, str, int]] = []  # whose stored rounds are replaced

    def __len__(self) -> int:
        return len(self.cache) + len(self.items) + len(self.conversations)

    def cache_reply(self, key: str, item: ItemRecord) -> None:
        """The response cache entry of an item's reply (nothing when there is no reply)."""
        if item.response is not None:
            self.cache.append(item.cache_row(key, now()))

    def item(self, run_id: int, item: ItemRecord) -> None:
        """An item row (replacing a stored one of the same run, instance and sample)."""
        self.items.append(item.row(run_id, now()))

    def conversation(self, run_id: int, instance_id: str, sample: int, rounds: list[dict[str, Any]]) -> None:
        """Every round of one item, replacing the rounds stored for it before."""
        self.conversations.append((run_id, instance_id, sample))
        self.rounds.extend((run_id, instance_id, sample, n, json.dumps(r)) for n, r in enumerate(rounds, start=1))


class Store:
    """The results database. Open with `Store(path)` (every write is committed at once), or
    `Store(path, readonly=True)` to read one that may sit on a read-only file or folder. A file that cannot be
    opened, is not a results database or cannot be written raises InputError naming it."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        try:
            self.db = self._connect_readonly() if readonly else self._connect()
            self.db.execute("SELECT COUNT(*) FROM runs").fetchone()  # a results database at all?
        except sqlite3.Error as exc:
            if not readonly and not writable(self.path):
                raise InputError(
                    str(self.path), None, "the results database is read-only (its file or folder cannot be written)"
                ) from None
            raise InputError(str(self.path), None, f"cannot open the results database: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise sqlite3.OperationalError(exc.strerror or str(exc)) from None
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._prepare(db)
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        """Settings and schema of a writable connection; sqlite3.Error when the database cannot be written."""
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(SCHEMA)
        self._add_missing_columns(db)
        db.execute("BEGIN IMMEDIATE")  # SQLite opens a read-only file without a word: probe a write, rolled back
        try:
            db.execute("DELETE FROM run_locks WHERE 0")
        finally:
            db.execute("ROLLBACK")

    def _connect_readonly(self) -> sqlite3.Connection:
        """Read-only; a database on a read-only folder (where SQLite cannot make its WAL index) is read as
        immutable, which is exact as long as nothing writes it meanwhile."""
        uri = self.path.resolve().as_uri()
        for mode in ("mode=ro", "immutable=1"):
            db = sqlite3.connect(f"{uri}?{mode}", uri=True, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            try:
                db.execute("PRAGMA busy_timeout=10000")
                db.execute("SELECT COUNT(*) FROM runs").fetchone()
                return db
            except sqlite3.OperationalError as exc:
                db.close()
                if "no such table" in str(exc):
                    raise
        raise sqlite3.OperationalError("cannot read it even as an immutable file")

    # locks -----------------------------------------------------------------------------------------------
    def lock_run(self, name: str) -> None:
        """Take the run `name` for this process (in one transaction, so two processes starting the same run
        cannot both get it); RunBusy when a live process on this machine holds it. A lock left by a process
        that died is taken over."""
        pid, host = os.getpid(), socket.gethostname()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT pid, host, acquired_at FROM run_locks WHERE name = ?", (name,)).fetchone()
            if row is not None and (row[0], row[1]) != (pid, host) and _alive(row[0], row[1]):
                raise RunBusy(str(self.path), name, row[0], row[1], row[2])
            self.db.execute("INSERT OR REPLACE INTO run_locks VALUES (?, ?, ?, ?)", (name, pid, host, now()))

    def unlock_run(self, name: str) -> None:
        """Release this process's lock on the run `name`."""
        self.db.execute(
            "DELETE FROM run_locks WHERE name = ? AND pid = ? AND host = ?", (name, os.getpid(), socket.gethostname())
        )

    @staticmethod
    def _add_missing_columns(db: sqlite3.Connection) -> None:
        """Bring a database written by an older version up to the current item columns (`chain`)."""
        present = {row[1] for row in db.execute("PRAGMA table_info(items)")}
        if "chain" not in present:
            db.execute("ALTER TABLE items ADD COLUMN chain TEXT")

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
                safe_json(_sorted(config)),
                safe_json(versions),
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
        writes = Writes()
        for key, item in entries:
            writes.cache_reply(key, item)
        self.commit(writes)

    def add_items(self, run_id: int, batch: list[tuple[ItemRecord, str | None]]) -> None:
        """Store items in one transaction (committed before returning), caching fresh replies that have a key."""
        writes = Writes()
        for item, key in batch:
            writes.item(run_id, item)
            if key is not None and item.error is None and not item.cached:
                writes.cache_reply(key, item)
        self.commit(writes)

    def commit(self, writes: Writes) -> None:
        """Write cache entries, items and conversations' rounds in one transaction, committed before returning."""
        with self.db:
            self.db.execute("BEGIN")
            if writes.items:
                self.db.executemany(_INSERT_ITEM, writes.items)
            if writes.cache:
                self.db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?, ?, ?)", writes.cache)
            if writes.conversations:
                self.db.executemany(
                    "DELETE FROM rounds WHERE run_id = ? AND instance_id = ? AND sample = ?", writes.conversations
                )
                self.db.executemany(
                    "INSERT INTO rounds (run_id, instance_id, sample, round, data) VALUES (?, ?, ?, ?, ?)",
                    writes.rounds,
                )

    def done_keys(self, run_id: int) -> set[tuple[str, int]]:
        """(instance id, sample) of every item stored without an error."""
        rows = self.db.execute("SELECT instance_id, sample FROM items WHERE run_id = ? AND error IS NULL", (run_id,))
        return {(r[0], r[1]) for r in rows}

    def add_rounds(self, run_id: int, instance_id: str, sample: int, rounds: list[dict[str, Any]]) -> None:
        """Store every round of one item (replacing earlier ones), committed before returning."""
        writes = Writes()
        writes.conversation(run_id, instance_id, sample, rounds)
        self.commit(writes)

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
        rows = self.db.execute(f"SELECT {', '.join(columns)} FROM items WHERE run_id = ?", (run_id,)).fetchall()
        return [tuple(_finite(v) for v in row) for row in rows]

    # cache -----------------------------------------------------------------------------------------------
    def has_cache(self, model: str) -> bool:
        """Whether any reply of this model spec is cached."""
        return self.db.execute("SELECT 1 FROM cache WHERE model = ? LIMIT 1", (model,)).fetchone() is not None

    def cached(self, key: str) -> CachedResponse | None:
        row = self.db.execute(
            "SELECT response, input_tokens, output_tokens, finish_reason FROM cache WHERE key = ?", (key,)
        ).fetchone()
        return CachedResponse(*row) if row else None


def writable(path: Path) -> bool:
    """Whether this process may write the database file (or create it in its folder): false on a read-only
    mount or an immutable file, for root too."""
    target = path if path.exists() else next((p for p in path.parents if p.exists()), Path("."))
    return os.access(target, os.W_OK) and (not path.exists() or os.access(path.parent, os.W_OK))


def _sorted(value: Any) -> Any:
    """A configuration with its keys sorted (stored configurations compare as text)."""
    return {k: _sorted(value[k]) for k in sorted(value)} if isinstance(value, dict) else value


class RunBusy(InputError):
    """Another live process is working on this run."""

    def __init__(self, path: str, name: str, pid: int, host: str, since: str) -> None:
        super().__init__(
            path,
            "run",
            f"run {name!r} is in use by process {pid} on {host} since {since}; wait for it to finish "
            "(or stop it) and rerun, or choose another run name",
        )
        self.args_ = (path, name, pid, host, since)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (RunBusy, self.args_)


def _alive(pid: int, host: str) -> bool:
    """Whether the process holding a lock still runs (always assumed for another machine)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _finite(value: Any) -> Any:
    """A stored value with NaN/infinity (from databases written before values were checked) read as None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _decode_json(text: str) -> Any:
    """A JSON column: NaN/infinity as None, text that is not JSON as None (never an exception in a report)."""
    try:
        return jsonable(json.loads(text))
    except (ValueError, RecursionError):
        return None


def decode_item(row: dict[str, Any]) -> dict[str, Any]:
    """An item row with its JSON columns (answer, verification, violation_types) decoded, NaN/infinity as None."""
    for key, value in row.items():
        row[key] = _finite(value)
    for key in ("answer", "verification", "violation_types"):
        if row.get(key) is not None:
            row[key] = _decode_json(row[key])
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
