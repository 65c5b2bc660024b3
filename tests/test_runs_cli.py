"""Managing runs: `runs` lists and filters them, deletes, renames and tags; `report` finds runs by id, unique
start of a name and filters; `merge` combines databases made on several machines and refuses conflicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from schedbench.demo import make_suite
from schedbench.results import Store


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_suite("asyncplan", tmp_path_factory.mktemp("suite"), show_progress=False, levels="4,6")


@pytest.fixture
def db(suite: Path, tmp_path: Path, cli) -> Path:
    path = tmp_path / "r.db"
    for model, mode in (("oracle/exact", "plan"), ("baseline/list", "plan"), ("baseline/list", "time")):
        args = ["evaluate", "--model", model, "--suite", str(suite), "--results", str(path), "--mode", mode]
        assert cli([*args, "--quiet"])[0] == 0
    return path


def listed(cli, db: Path, *filters: str) -> list[dict]:
    code, out, err = cli(["runs", "--results", str(db), "--json", *filters])
    assert code == 0, err
    return json.loads(out)


def test_runs_are_listed_with_ids_modes_and_filters(db: Path, cli) -> None:
    rows = listed(cli, db)
    assert [row["id"] for row in rows] == [1, 2, 3]
    assert [row["mode"] for row in rows] == ["plan", "plan", "time"]
    assert all(row["strategy"] == "direct" and row["items"] == row["planned"] > 0 for row in rows)
    assert [row["id"] for row in listed(cli, db, "--model", "baseline/*")] == [2, 3]
    assert [row["id"] for row in listed(cli, db, "--mode", "time")] == [3]
    assert [row["id"] for row in listed(cli, db, "--family", "asyncplan", "--status", "complete")] == [1, 2, 3]
    assert listed(cli, db, "--family", "rcpsp") == []


def test_report_finds_runs_by_id_prefix_and_filter(db: Path, cli) -> None:
    code, out, _ = cli(["report", "1", "--results", str(db), "--json"])
    assert code == 0 and json.loads(out)["model"] == "oracle/exact"
    code, out, _ = cli(["report", "oracle", "--results", str(db), "--json"])
    assert code == 0 and json.loads(out)["model"] == "oracle/exact"
    code, _, err = cli(["report", "baseline/list", "--results", str(db)])
    assert code == 2 and "names 2 runs" in err and err.count("\n") == 1
    code, out, _ = cli(["report", "--results", str(db), "--json", "--model", "baseline/*", "--mode", "plan"])
    assert code == 0 and json.loads(out)["model"] == "baseline/list"
    code, _, err = cli(["report", "99", "--results", str(db)])
    assert code == 2 and "no run '99'" in err


def test_tag_rename_and_delete(db: Path, cli) -> None:
    assert cli(["runs", "tag", "2", "paper", "table-1", "--results", str(db)])[0] == 0
    assert [row["id"] for row in listed(cli, db, "--tag", "paper")] == [2]
    assert cli(["runs", "tag", "2", "table-1", "--remove", "--results", str(db)])[0] == 0
    assert listed(cli, db, "--tag", "table-1") == []
    assert cli(["runs", "rename", "2", "list-plan", "--results", str(db)])[0] == 0
    code, out, _ = cli(["report", "list-plan", "--results", str(db), "--json"])
    assert code == 0 and json.loads(out)["run"] == "list-plan"
    code, _, err = cli(["runs", "rename", "3", "list-plan", "--results", str(db)])
    assert code == 2 and "exists already" in err
    assert cli(["runs", "delete", "list-plan", "1", "--results", str(db)])[0] == 0
    assert [row["id"] for row in listed(cli, db)] == [3]
    with Store(db) as store:
        assert store.db.execute("SELECT COUNT(*) FROM items WHERE run_id IN (1, 2)").fetchone()[0] == 0
        assert store.db.execute("SELECT COUNT(*) FROM tags").fetchone()[0] == 0


def item_count(path: Path) -> int:
    with Store(path) as store:
        return int(store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0])


def test_merge_combines_databases_and_refuses_conflicts(db: Path, suite: Path, tmp_path: Path, cli) -> None:
    other = tmp_path / "other.db"
    shutil.copy(db, other)
    args = ["evaluate", "--model", "baseline/list", "--suite", str(suite), "--results", str(other), "--run", "extra"]
    assert cli([*args, "--quiet"])[0] == 0
    with Store(db) as store:
        store.remove_runs([1])  # this machine lacks a run the other has
    merged = tmp_path / "merged.db"
    code, _, err = cli(["merge", str(db), str(other), "--into", str(merged)])
    assert code == 0, err
    names = [row["name"] for row in listed(cli, merged)]
    with Store(other) as store:
        assert sorted(names) == sorted(run.name for run in store.runs())
    before = item_count(merged)
    assert cli(["merge", str(other), "--into", str(merged)])[0] == 0  # again: nothing new, nothing doubled
    assert item_count(merged) == before
    with Store(other) as store:
        store.db.execute("UPDATE runs SET model = 'baseline/other' WHERE name = 'extra'")
    code, _, err = cli(["merge", str(other), "--into", str(merged)])
    assert code == 2 and "extra" in err and "nothing was merged" in err, err


def stored_rounds(path: Path) -> list[tuple]:
    with Store(path) as store:
        rows = store.db.execute(
            "SELECT runs.name, instance_id, sample, round, data FROM rounds JOIN runs ON runs.id = rounds.run_id "
            "ORDER BY runs.name, instance_id, sample, round"
        )
        return [tuple(row) for row in rows]


def test_merge_copies_the_rounds_of_repair_runs(suite: Path, tmp_path: Path, cli) -> None:
    whole = tmp_path / "whole.db"
    args = ["evaluate", "--model", "oracle/repairer", "--suite", str(suite), "--results", str(whole), "--run", "r"]
    code, _, err = cli([*args, "--strategy", "repair", "--rounds", "3", "--quiet"])
    assert code in (0, 1), err
    assert len({row[1:3] for row in stored_rounds(whole)}) < len(stored_rounds(whole))  # some items took rounds
    partial = tmp_path / "partial.db"  # the same run, stopped before its last items were stored
    shutil.copy(whole, partial)
    with Store(partial) as store:
        last = [row[0] for row in store.db.execute("SELECT DISTINCT instance_id FROM rounds ORDER BY 1 DESC LIMIT 2")]
        for table in ("items", "rounds"):
            store.db.executemany(f"DELETE FROM {table} WHERE instance_id = ?", [(i,) for i in last])
    assert len(stored_rounds(partial)) < len(stored_rounds(whole))
    fresh = tmp_path / "fresh.db"
    for target in (partial, fresh):
        code, _, err = cli(["merge", str(whole), "--into", str(target)])
        assert code == 0, err
        assert stored_rounds(target) == stored_rounds(whole)
        reports = [json.loads(cli(["report", "r", "--results", str(p), "--json"])[1]) for p in (whole, target)]
        assert reports[0]["multi_turn"] == reports[1]["multi_turn"] and reports[1]["multi_turn"]["success_at"]
