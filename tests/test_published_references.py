"""Imported instances whose search ends at a published optimum are `optimal` with `source: published`, never a
silent `feasible`; files that are copies of a shipped published instance get its published values wherever
they are imported from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from schedbench import datasets
from schedbench.importers import load_published
from schedbench.problems import Instance, Reference
from schedbench.references import with_published


def imported(cli, *argv: str) -> list[dict[str, Any]]:
    out = Path(argv[argv.index("--out") + 1])
    code, _, err = cli(["import", *argv, "--quiet"])
    assert code == 0, err
    return [json.loads(line) for line in (out / "instances.jsonl").read_text().splitlines()]


def assert_never_feasible_at_the_published_optimum(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        ref, optimum = row["reference"], row["published_optimum"]
        if ref["objective"] == optimum:
            assert ref["status"] == "optimal", row["id"]
        if ref.get("source") == "published":
            assert ref["status"] == "optimal" and ref["objective"] == optimum == ref["bound"], row["id"]
            assert ref["bound_source"]
        assert ref["objective"] >= optimum


def test_a_feasible_reference_at_the_published_optimum_is_optimal_with_its_source() -> None:
    data = {"jobs": [{"id": "J1", "p": 1, "d": 0}]}
    published = {"published_optimum": 7, "published_source": "a table"}
    inst = Instance.model_validate({"id": "x", "family": "smtt", "level": 1, "data": data, **published})
    found = Reference(status="feasible", objective=7, bound=5, solver="s")
    proven = with_published(inst, found).model_dump()
    assert (proven["status"], proven["bound"], proven["source"], proven["bound_source"]) == (
        "optimal",
        7,
        "published",
        "a table",
    )
    above = with_published(inst, Reference(status="feasible", objective=9, bound=5, solver="s")).model_dump()
    assert above["status"] == "feasible" and above["bound"] == 7 and "source" not in above
    solved = with_published(inst, Reference(status="optimal", objective=7, bound=7, solver="s")).model_dump()
    assert "source" not in solved  # proven by the search itself


def test_wt40_copied_elsewhere_ends_optimal_at_the_published_optimum(tmp_path: Path, cli) -> None:
    numbers = Path(datasets.files("orlib/wt40")[0]).read_text().split()
    (tmp_path / "copy").mkdir()
    copy = tmp_path / "copy" / "wt40.txt"  # the first 20 instances, without wtopt40.txt beside them
    copy.write_text(" ".join(numbers[: 20 * 120]) + "\n")
    rows = imported(cli, "orlib-wt", str(copy), "--out", str(tmp_path / "s"), "--time-limit", "0.05")
    shipped = {inst.id: (inst.model_extra or {})["published_optimum"] for inst in load_published("orlib/wt40")}
    assert [row["published_optimum"] for row in rows] == [shipped[row["id"]] for row in rows]
    assert_never_feasible_at_the_published_optimum(rows)
    statuses = [(row["reference"]["status"], row["reference"].get("source")) for row in rows]
    assert ("optimal", "published") in statuses  # the work limit stops some searches at the optimum, unproven
    assert ("feasible", None) in statuses  # and some above it: those stay feasible, with the published bound
    changed = numbers[: 20 * 120]
    changed[0] = str(int(changed[0]) + 1)  # wt40-001 is no longer the published instance
    copy.write_text(" ".join(changed) + "\n")
    rows = imported(cli, "orlib-wt", str(copy), "--out", str(tmp_path / "t"), "--time-limit", "0.05")
    assert "published_optimum" not in rows[0] and all("published_optimum" in row for row in rows[1:])


def test_psplib_and_jsplib_files_imported_by_path_know_their_optima(tmp_path: Path, cli) -> None:
    folder = tmp_path / "sm"
    folder.mkdir()
    for path in datasets.files("psplib/j30")[:2]:
        shutil.copy(path, folder / path.name)
    rows = imported(cli, "psplib", str(folder), "--out", str(tmp_path / "j30"), "--time-limit", "0.2")
    optima = datasets.published_optima("psplib/j30")
    assert [row["published_optimum"] for row in rows] == [optima[row["id"]] for row in rows]
    assert all(row["published_source"].startswith("psplib/j30") for row in rows)
    assert_never_feasible_at_the_published_optimum(rows)
    ft06 = next(path for path in datasets.files("jsplib/ft") if path.name == "ft06")
    rows = imported(cli, "jsplib", str(ft06), "--out", str(tmp_path / "ft"), "--time-limit", "0.5")
    assert rows[0]["published_optimum"] == 55
    assert_never_feasible_at_the_published_optimum(rows)
