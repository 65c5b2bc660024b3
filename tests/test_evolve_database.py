"""Program database: MAP-Elites cells, ring migration, archive, parent selection, novelty, persistence."""

from __future__ import annotations

import random
from pathlib import Path

from schedbench.evolve.config import DatabaseConfig
from schedbench.evolve.database import ProgramDatabase

CODE = "# EVOLVE-BLOCK-START\ndef priority(j):\n    return {value} * j\n# EVOLVE-BLOCK-END\n"


def make_db(tmp_path: Path, **overrides) -> ProgramDatabase:
    config = DatabaseConfig(
        **{
            "islands": 3,
            "features": ["code_length", "quality"],
            "bins": 4,
            "feature_ranges": {"quality": (0.0, 100.0)},
            **overrides,
        }
    )
    return ProgramDatabase(tmp_path / "evolve.db", config)


def add(db: ProgramDatabase, iteration: int, island: int, score: float, quality: float, value: float = 1.0) -> str:
    program_id = db.add_program(iteration, None, island, CODE.format(value=value + iteration))
    db.record_evaluation(program_id, "ok", score, {"quality": quality, "ms_per_instance": 1.0}, {}, None)
    return program_id


def test_a_cell_keeps_its_best_program(tmp_path: Path):
    db = make_db(tmp_path)
    worse = add(db, 1, 0, score=10, quality=60)
    better = add(db, 2, 0, score=20, quality=61)  # same bins (code length and quality) → same cell
    worst = add(db, 3, 0, score=5, quality=62)
    ids = [p.id for p in db.island_programs(0)]
    assert better in ids and worse not in ids and worst not in ids
    other_cell = add(db, 4, 0, score=1, quality=5)
    assert other_cell in [p.id for p in db.island_programs(0)]


def test_features_bin_values_on_their_axes(tmp_path: Path):
    db = make_db(tmp_path)
    assert db.features(100, {"quality": 0.0})[1] == 0
    assert db.features(100, {"quality": 99.0})[1] == 3
    assert db.features(100, {"quality": 1e9})[1] == 3  # clipped into the last bin
    assert db.features(100, {"quality": -5.0})[1] == 0


def test_ring_migration_copies_the_best_to_the_next_island(tmp_path: Path):
    db = make_db(tmp_path, migration_count=1)
    best0 = add(db, 1, 0, score=50, quality=10)
    best2 = add(db, 2, 2, score=70, quality=90)
    assert db.migrate() == 2
    assert best0 in [p.id for p in db.island_programs(1)]
    assert best2 in [p.id for p in db.island_programs(0)]
    assert best0 not in [p.id for p in db.island_programs(2)]


def test_parent_selection_mixes_exploitation_exploration_and_random(tmp_path: Path):
    db = make_db(tmp_path, exploration=0.3, exploitation=0.5, archive_size=2)
    ids = [add(db, i, 0, score=float(i), quality=float(10 * i)) for i in range(1, 9)]
    rng = random.Random(0)
    parents = [db.sample(0, rng, n_top=2, n_inspirations=2)[0].id for _ in range(300)]
    assert parents.count(ids[-1]) > 60  # the elite dominates
    assert len(set(parents)) >= 5  # but others are explored
    parent, top, inspirations = db.sample(0, random.Random(1), n_top=2, n_inspirations=2)
    assert parent.id not in [p.id for p in top + inspirations]
    assert not {p.id for p in top} & {p.id for p in inspirations}


def test_novelty_rejects_identical_and_near_identical_code(tmp_path: Path):
    db = make_db(tmp_path)
    add(db, 1, 0, score=1, quality=1, value=0.5)  # stores 1.5 * j
    assert "identical" in db.duplicate_of(CODE.format(value=1.5).replace("* j", "*j  # same"), 0)
    assert "near-duplicate" in db.duplicate_of(CODE.format(value=1.501), 0)
    assert db.duplicate_of(CODE.format(value=2.5), 0) is None


def test_state_survives_reopening(tmp_path: Path):
    db = make_db(tmp_path)
    program_id = add(db, 1, 1, score=3, quality=30)
    db.set_meta("answer", {"x": 1})
    db.close()
    again = make_db(tmp_path)
    assert again.program(program_id).score == 3
    assert again.get_meta("answer") == {"x": 1}
    assert [p.id for p in again.island_programs(1)] == [program_id]
