"""The program database: SQLite in the run folder (WAL, one transaction per step, so a kill at any moment
leaves a consistent state that a rerun continues from).

- **Iterations** move through states `requested` (parent chosen) → `answered` (model reply stored, so a rerun
  never pays for it twice) → `evaluating` (child program stored) → `done` (result stored). A rerun resumes each
  unfinished iteration at its state; a program's evaluation is committed once (`evaluations` counts them).
- **Islands** with a **MAP-Elites grid** each (a cell per bin combination of the configured features keeps its
  best program) and **ring migration**: every `migration_interval` completed iterations, each island's best
  programs enter the next island's grid (the program is shared, not copied).
- **Elite archive**: the best `archive_size` programs overall.
- **Parent selection**: exploration (uniform over the island's grid), exploitation (the archive, preferring
  the island's own elites), or a uniformly random successful program.
- **Novelty**: identical programs (same canonical AST), near-identical ones (the same after rounding float
  constants to 2 significant digits) and, optionally, ones too similar (Jaccard of token shingles)
  to the island's recent programs are rejected before evaluation.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schedbench.evolve.config import DatabaseConfig
from schedbench.evolve.program import code_hash, evolve_block, near_hash, shingles, similarity

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS programs (
    id TEXT PRIMARY KEY, iteration INTEGER NOT NULL, parent_id TEXT, island INTEGER NOT NULL,
    code TEXT NOT NULL, code_hash TEXT NOT NULL, near_hash TEXT NOT NULL, status TEXT NOT NULL, score REAL,
    metrics TEXT, artifacts TEXT, features TEXT, error TEXT, edit_kind TEXT, model TEXT,
    evaluations INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, evaluated REAL);
CREATE INDEX IF NOT EXISTS programs_hash ON programs (code_hash);
CREATE INDEX IF NOT EXISTS programs_near ON programs (near_hash);
CREATE INDEX IF NOT EXISTS programs_island ON programs (island, status);
CREATE TABLE IF NOT EXISTS iterations (
    iteration INTEGER PRIMARY KEY, island INTEGER NOT NULL, parent_id TEXT, inspirations TEXT, mode TEXT,
    model TEXT, state TEXT NOT NULL, response TEXT, cost_usd REAL NOT NULL DEFAULT 0, llm_s REAL,
    input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, program_id TEXT,
    status TEXT, score REAL, error TEXT, started REAL NOT NULL, finished REAL);
CREATE TABLE IF NOT EXISTS cells (
    island INTEGER NOT NULL, cell TEXT NOT NULL, program_id TEXT NOT NULL, PRIMARY KEY (island, cell));
"""

_DEFAULT_RANGES = {"code_length": (100.0, 20000.0), "ms_per_instance": (0.001, 1000.0)}
_LOG_FEATURES = {"code_length", "ms_per_instance", "eval_s"}


@dataclass
class Program:
    """A stored program."""

    id: str
    iteration: int
    parent_id: str | None
    island: int
    code: str
    status: str
    score: float | None
    metrics: dict[str, Any]
    artifacts: dict[str, Any]
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Program:
        return cls(
            row["id"],
            row["iteration"],
            row["parent_id"],
            row["island"],
            row["code"],
            row["status"],
            row["score"],
            json.loads(row["metrics"] or "{}"),
            json.loads(row["artifacts"] or "{}"),
            row["error"],
        )


class ProgramDatabase:
    """All persistent state of a run."""

    def __init__(self, path: Path, config: DatabaseConfig) -> None:
        self.path = path
        self.config = config
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._shingles: dict[str, frozenset] = {}

    def close(self) -> None:
        self.conn.close()

    # --- meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    # --- programs -----------------------------------------------------------------------------------------

    def program(self, program_id: str) -> Program:
        row = self.conn.execute("SELECT * FROM programs WHERE id = ?", (program_id,)).fetchone()
        if row is None:
            raise KeyError(program_id)
        return Program.from_row(row)

    @staticmethod
    def program_id(iteration: int) -> str:
        """The id under which the program of an iteration is stored."""
        return f"p{iteration:06d}"

    def stored_features(self, program_id: str) -> list[int]:
        """The feature bins recorded for an evaluated program (KeyError when there is no such program)."""
        row = self.conn.execute("SELECT features FROM programs WHERE id = ?", (program_id,)).fetchone()
        if row is None:
            raise KeyError(program_id)
        return json.loads(row["features"] or "[]")

    def programs(self, status: str | None = None) -> list[Program]:
        sql = "SELECT * FROM programs" + (" WHERE status = ?" if status else "") + " ORDER BY iteration"
        return [Program.from_row(r) for r in self.conn.execute(sql, (status,) if status else ())]

    def best(self) -> Program | None:
        row = self.conn.execute(
            "SELECT * FROM programs WHERE status = 'ok' ORDER BY score DESC, iteration LIMIT 1"
        ).fetchone()
        return Program.from_row(row) if row else None

    def add_program(
        self,
        iteration: int,
        parent_id: str | None,
        island: int,
        code: str,
        *,
        status: str = "pending",
        edit_kind: str | None = None,
        model: str | None = None,
        error: str | None = None,
    ) -> str:
        """Store a program (`pending` until evaluated); returns its id (`program_id(iteration)`)."""
        program_id = self.program_id(iteration)
        self.conn.execute(
            "INSERT OR IGNORE INTO programs (id, iteration, parent_id, island, code, code_hash, near_hash, status, "
            "error, edit_kind, model, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                program_id,
                iteration,
                parent_id,
                island,
                code,
                code_hash(code),
                near_hash(code),
                status,
                error,
                edit_kind,
                model,
                time.time(),
            ),
        )
        return program_id

    def record_evaluation(
        self,
        program_id: str,
        status: str,
        score: float,
        metrics: dict[str, Any],
        artifacts: dict[str, Any],
        error: str | None,
    ) -> None:
        """Store a program's evaluation and, when it succeeded, place it in its island's grid."""
        features = self.features(len(self.program(program_id).code), metrics)
        self.conn.execute(
            "UPDATE programs SET status = ?, score = ?, metrics = ?, artifacts = ?, features = ?, error = ?, "
            "evaluations = evaluations + 1, evaluated = ? WHERE id = ?",
            (
                status,
                score,
                json.dumps(metrics),
                json.dumps(artifacts, default=str),
                json.dumps(features),
                error,
                time.time(),
                program_id,
            ),
        )
        if status == "ok":
            island = self.conn.execute("SELECT island FROM programs WHERE id = ?", (program_id,)).fetchone()[0]
            self.place(island, program_id, score, features)

    # --- MAP-Elites ---------------------------------------------------------------------------------------

    def features(self, code_length: int, metrics: dict[str, Any]) -> list[int]:
        """The bin of each configured feature axis (values outside the range go to the end bins)."""
        values = {"code_length": float(code_length), **{k: v for k, v in metrics.items() if isinstance(v, int | float)}}
        bins = []
        for name in self.config.features:
            low, high = self.config.feature_ranges.get(name, _DEFAULT_RANGES.get(name, (0.0, 100.0)))
            value = float(values.get(name, low))
            if name in _LOG_FEATURES:
                low, high, value = (math.log10(max(x, 1e-9)) for x in (low, high, value))
            share = (value - low) / (high - low) if high > low else 0.0
            bins.append(min(self.config.bins - 1, max(0, int(share * self.config.bins))))
        return bins

    def place(self, island: int, program_id: str, score: float, features: list[int]) -> bool:
        """Put a program in a cell of an island's grid if the cell is empty or holds a worse program."""
        cell = ",".join(map(str, features))
        row = self.conn.execute(
            "SELECT p.score FROM cells c JOIN programs p ON p.id = c.program_id WHERE c.island = ? AND c.cell = ?",
            (island, cell),
        ).fetchone()
        if row is not None and row[0] is not None and row[0] >= score:
            return False
        self.conn.execute("INSERT OR REPLACE INTO cells VALUES (?, ?, ?)", (island, cell, program_id))
        return True

    def island_programs(self, island: int) -> list[Program]:
        """The programs in an island's grid, best first."""
        rows = self.conn.execute(
            "SELECT p.* FROM cells c JOIN programs p ON p.id = c.program_id "
            "WHERE c.island = ? ORDER BY p.score DESC, p.iteration",
            (island,),
        )
        return [Program.from_row(r) for r in rows]

    def archive(self) -> list[Program]:
        """The elite archive: the best successful programs overall."""
        rows = self.conn.execute(
            "SELECT * FROM programs WHERE status = 'ok' ORDER BY score DESC, iteration LIMIT ?",
            (self.config.archive_size,),
        )
        return [Program.from_row(r) for r in rows]

    def migrate(self) -> int:
        """Ring migration: each island's best programs enter the next island's grid; returns how many moved."""
        islands = self.config.islands
        if islands < 2:
            return 0
        moved = 0
        with self.transaction():
            tops = {i: self.island_programs(i)[: self.config.migration_count] for i in range(islands)}
            for island, programs in tops.items():
                for program in programs:
                    row = self.conn.execute("SELECT features FROM programs WHERE id = ?", (program.id,)).fetchone()
                    features = json.loads(row[0]) if row and row[0] else [0] * len(self.config.features)
                    moved += self.place((island + 1) % islands, program.id, program.score or 0.0, features)
        return moved

    # --- sampling -----------------------------------------------------------------------------------------

    def sample(
        self, island: int, rng: random.Random, n_top: int, n_inspirations: int
    ) -> tuple[Program, list[Program], list[Program]]:
        """(parent, top programs of the island, diverse inspirations from other cells)."""
        grid = self.island_programs(island)
        archive = self.archive()
        draw = rng.random()
        if draw < self.config.exploration and grid:
            parent = rng.choice(grid)
        elif draw < self.config.exploration + self.config.exploitation and archive:
            own = [p for p in archive if any(g.id == p.id for g in grid)]
            pool = own or archive
            parent = min(rng.sample(pool, min(3, len(pool))), key=lambda p: (-(p.score or 0), p.iteration))
        else:
            parent = self.random_program(rng) or grid[0]
        top = [p for p in grid if p.id != parent.id][:n_top]
        others = [p for p in grid if p.id != parent.id and p not in top]
        inspirations = rng.sample(others, min(n_inspirations, len(others)))
        return parent, top, inspirations

    def random_program(self, rng: random.Random) -> Program | None:
        """A uniformly random successful program (one row read, however large the database)."""
        count = self.conn.execute("SELECT COUNT(*) FROM programs WHERE status = 'ok'").fetchone()[0]
        if not count:
            return None
        row = self.conn.execute(
            "SELECT * FROM programs WHERE status = 'ok' ORDER BY iteration LIMIT 1 OFFSET ?", (rng.randrange(count),)
        ).fetchone()
        return Program.from_row(row)

    def recent_attempts(self, island: int, limit: int) -> list[dict[str, Any]]:
        """The island's last finished iterations (status, score, error), newest first."""
        rows = self.conn.execute(
            "SELECT i.iteration, i.status, i.score, i.error, p.artifacts FROM iterations i "
            "LEFT JOIN programs p ON p.id = i.program_id WHERE i.island = ? AND i.state = 'done' "
            "ORDER BY i.iteration DESC LIMIT ?",
            (island, limit),
        )
        return [dict(r) for r in rows]

    def failed_edits_in_a_row(self, island: int) -> int:
        """How many of the island's latest iterations failed before producing a program (edit failures)."""
        count = 0
        for row in self.conn.execute(
            "SELECT program_id, status FROM iterations WHERE island = ? AND "
            "state = 'done' ORDER BY iteration DESC LIMIT 20",
            (island,),
        ):
            if row["program_id"] is not None or row["status"] != "failed":
                break
            count += 1
        return count

    def duplicate_of(self, code: str, island: int) -> str | None:
        """Why a child is not novel (an identical program exists, or a near-duplicate in the island), else None."""
        digest = code_hash(code)
        row = self.conn.execute(
            "SELECT id FROM programs WHERE code_hash = ? AND status != 'rejected' LIMIT 1", (digest,)
        ).fetchone()
        if row:
            return f"identical to {row[0]}"
        row = self.conn.execute(
            "SELECT id FROM programs WHERE near_hash = ? AND status != 'rejected' LIMIT 1", (near_hash(code),)
        ).fetchone()
        if row:
            return f"near-duplicate of {row[0]} (constants within ~1%)"
        if self.config.novelty_threshold >= 1.0 or self.config.novelty_window == 0:
            return None
        mine = shingles(evolve_block(code))
        rows = self.conn.execute(
            "SELECT id, code FROM programs WHERE island = ? AND status = 'ok' ORDER BY iteration DESC LIMIT ?",
            (island, self.config.novelty_window),
        )
        for other in rows:
            if other["id"] not in self._shingles:
                self._shingles[other["id"]] = shingles(evolve_block(other["code"]))
            if similarity(mine, self._shingles[other["id"]]) >= self.config.novelty_threshold:
                return f"too similar to {other['id']}"
        return None

    # --- iterations ---------------------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    def next_iteration(self) -> int:
        row = self.conn.execute("SELECT MAX(iteration) FROM iterations").fetchone()
        return 0 if row[0] is None else row[0] + 1

    def start_iteration(
        self, iteration: int, island: int, parent_id: str | None, inspirations: list[str], mode: str, model: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO iterations (iteration, island, parent_id, inspirations, mode, model, state, "
            "started) VALUES (?, ?, ?, ?, ?, ?, 'requested', ?)",
            (iteration, island, parent_id, json.dumps(inspirations), mode, model, time.time()),
        )

    def update_iteration(self, iteration: int, **fields: Any) -> None:
        columns = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE iterations SET {columns} WHERE iteration = ?", (*fields.values(), iteration))

    def iteration(self, iteration: int) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM iterations WHERE iteration = ?", (iteration,)).fetchone()
        return dict(row) if row else {}

    def unfinished(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM iterations WHERE state != 'done' ORDER BY iteration")
        return [dict(r) for r in rows]

    def finish_iteration(
        self, iteration: int, status: str, score: float | None, error: str | None, program_id: str | None = None
    ) -> None:
        fields: dict[str, Any] = {
            "state": "done",
            "status": status,
            "score": score,
            "error": error,
            "finished": time.time(),
        }
        if program_id is not None:
            fields["program_id"] = program_id
        self.update_iteration(iteration, **fields)

    def completed(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM iterations WHERE state = 'done'").fetchone()[0]

    def tokens(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0) FROM iterations"
        ).fetchone()
        return int(row[0]), int(row[1])

    def spent(self) -> float:
        return float(self.conn.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM iterations").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Finished iterations by outcome, the seed (iteration 0) excluded: see `iteration_counts`."""
        rows = self.conn.execute(
            "SELECT status, COUNT(*) FROM iterations WHERE state = 'done' AND iteration > 0 GROUP BY status"
        )
        return tally({r[0]: r[1] for r in rows})

    def history(self) -> list[dict[str, Any]]:
        """One row per finished iteration, in the shape of docs/formats.md (evolve run folder)."""
        rows = self.conn.execute(
            "SELECT iteration, program_id, parent_id, island, status, score, error, model, "
            "cost_usd FROM iterations WHERE state = 'done' ORDER BY iteration"
        )
        return [dict(r) for r in rows]


ITERATION_OUTCOMES = ("ok", "rejected", "failed")
"""How an iteration ends: its child was evaluated (`ok`), was not novel (`rejected`), or the model, the edit or
the evaluation failed (`failed`)."""


def iteration_counts(history: list[dict[str, Any]]) -> dict[str, int]:
    """`iterations` (finished ones, the seed's evaluation at iteration 0 excluded) and how many ended in each
    outcome, so that iterations == ok + rejected + failed: what the command line and the HTML both show."""
    by_status: dict[str, int] = {}
    for row in history:
        if row.get("iteration") != 0:
            by_status[str(row.get("status"))] = by_status.get(str(row.get("status")), 0) + 1
    return tally(by_status)


def tally(by_status: dict[str, int]) -> dict[str, int]:
    """Iteration counts by status as `iterations` plus one count per outcome (an unknown status is `failed`)."""
    counts = {"iterations": sum(by_status.values())} | {outcome: 0 for outcome in ITERATION_OUTCOMES}
    for status, count in by_status.items():
        counts[status if status in ITERATION_OUTCOMES else "failed"] += count
    return counts


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): one atomic step of the run."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if kind else "COMMIT")
