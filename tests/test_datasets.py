"""Published sets by name: the registry matches the files, and `datasets`, `solve`, `import` and `--suite`
accept the names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schedbench import datasets
from schedbench.errors import InputError
from schedbench.importers import importers, load_published, names_published_set


def instances_on_disk(published: datasets.PublishedSet) -> int:
    """Instances counted from the files alone: one per file, one per JSON line, or OR-Library blocks."""
    found = datasets.files(published.name)
    if published.pattern:
        return len(found)
    text = found[0].read_text(encoding="utf-8")
    if found[0].suffix == ".jsonl":
        return sum(1 for line in text.splitlines() if line.strip())
    jobs = int("".join(ch for ch in found[0].stem if ch.isdigit()))
    return len(text.split()) // (3 * jobs)


@pytest.mark.parametrize("name", datasets.names())
def test_each_set_holds_the_instances_it_lists(name: str) -> None:
    published = datasets.resolve(name)
    assert published.name.count("/") == 1 and published.name == published.name.lower()
    assert datasets.files(name) and all(p.is_file() for p in datasets.files(name))
    assert instances_on_disk(published) == published.count


@pytest.mark.parametrize("name", datasets.names())
def test_each_set_loads_with_its_optima_or_says_its_importer_is_missing(name: str) -> None:
    published = datasets.resolve(name)
    if published.importer not in importers():
        with pytest.raises(InputError, match="not available yet"):
            load_published(name)
        return
    instances = load_published(name)
    assert len(instances) >= published.count and {i.family for i in instances} == {published.family}
    for inst in instances:
        optimum = getattr(inst, "published_optimum", None)
        if optimum is not None:
            assert inst.reference.status == "optimal" and inst.reference.objective == optimum
    if published.reference.startswith("proven optimum"):
        assert len({i.id for i in instances}) == published.count
        assert all(getattr(i, "published_optimum", None) is not None for i in instances)


def test_j30_optima_come_from_the_optima_file() -> None:
    instances = {inst.id: inst for inst in load_published("psplib/j30")}
    optima = datasets.published_optima("psplib/j30")
    assert len(optima) == 480 and optima.keys() == instances.keys()
    assert instances["j301_1"].published_optimum == 43 == optima["j301_1"]


def test_names_resolve_and_unknown_names_list_the_known_ones() -> None:
    assert datasets.path("orlib/wt40") == datasets.ROOT / "orlib" / "wt40.txt"
    assert datasets.path("psplib/j30").is_dir()
    with pytest.raises(InputError, match="known: psplib/j30, smtt/n20"):
        datasets.resolve("psplib/j60")
    assert names_published_set("psplib/j60") and not names_published_set("someone/dataset")


def test_a_path_of_the_same_name_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert names_published_set("smtt/n20")
    (tmp_path / "smtt" / "n20").mkdir(parents=True)
    assert not names_published_set("smtt/n20")


def test_every_set_is_described_in_the_datasets_readme() -> None:
    readme = (datasets.ROOT / "README.md").read_text(encoding="utf-8")
    for name in datasets.names():
        assert f"`{name}`" in readme, name


def test_datasets_command_lists_every_set(cli) -> None:
    code, out, _ = cli(["datasets", "--json"])
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == datasets.names()
    j30 = rows[0]
    assert j30["instances"] == 480 and j30["importer_available"] and j30["disk_kb"] > 1000
    code, out, _ = cli(["datasets"])
    assert code == 0 and "psplib/j30" in out and "asynchow/async" in out


def test_solve_and_import_take_a_set_name(cli, tmp_path: Path) -> None:
    code, out, _ = cli(["solve", "smtt/n20", "--json", "--time-limit", "10"])
    rows = json.loads(out)
    optima = {inst.id: inst.published_optimum for inst in load_published("smtt/n20")}
    assert code == 0 and len(rows) == 800
    assert all(row["status"] == "optimal" and row["objective"] == optima[row["id"]] for row in rows)
    code, _, _ = cli(["import", "smtt/n20", "--out", str(tmp_path / "n20"), "--quiet"])
    manifest = json.loads((tmp_path / "n20" / "manifest.json").read_text())
    assert code == 0 and manifest["parameters"] == {"published_set": "smtt/n20"} and manifest["count"] == 800
    assert manifest["status_counts"] == {"optimal": 800}


def test_unknown_or_unimportable_names_exit_2(cli) -> None:
    code, _, err = cli(["solve", "smtt/n30"])
    assert code == 2 and "no published set of that name" in err and len(err.strip().splitlines()) == 1
    unavailable = [s.name for s in datasets.SETS if s.importer not in importers()]
    for name in unavailable[:1]:
        code, _, err = cli(["import", name, "--out", "unused"])
        assert code == 2 and "not available yet" in err


def test_evaluate_on_a_set_name_reproduces_the_published_mdd_gap(cli, tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    code, _, _ = cli(["evaluate", "--model", "baseline/mdd", "--suite", "smtt/n100", "--results", db, "--quiet"])
    assert code == 0
    code, out, _ = cli(["report", "--results", db, "--json"])
    document = json.loads(out)
    document = document[0] if isinstance(document, list) else document
    assert document["suite"] == "smtt/n100" and document["n"] == 200 and document["feasible_rate"] == 1.0
    assert document["mean_gap_pct"] == pytest.approx(1.81, abs=0.01)  # published MDD mean gap at n = 100
