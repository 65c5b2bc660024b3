"""`schedbench export-suite`: parquet and a dataset card that `datasets.load_dataset` reads back into the same
instances, offline; the card's YAML metadata; bad input."""

from __future__ import annotations

from pathlib import Path

import yaml

import schedbench
from schedbench.hub import rows_to_instances
from schedbench.importers.asynchow import read_file
from schedbench.problems import get_family
from schedbench.suites import load_instances

ASYNCHOW = Path(schedbench.__file__).parent / "datasets" / "asynchow" / "asynchow_seq.jsonl"


def test_export_reads_back_with_load_dataset(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    source = tmp_path / "few.jsonl"
    source.write_text("\n".join(ASYNCHOW.read_text().splitlines()[:6]) + "\n")
    code, _, err = cli(
        ["import", "asynchow", str(source), "--out", str(tmp_path / "suite"), "--stage", "all", "--quiet"]
    )
    assert code == 0, err
    code, _, err = cli(["export-suite", str(tmp_path / "suite"), str(tmp_path / "hub"), "--name", "asynchow-seq-6"])
    assert code == 0, err
    from datasets import load_dataset

    dataset = load_dataset(str(tmp_path / "hub"), cache_dir=str(tmp_path / "cache"))
    assert list(dataset) == ["test"]
    back = rows_to_instances(dataset["test"], "hub")
    original = load_instances(tmp_path / "suite")
    for mine, theirs in zip(back, original, strict=True):
        assert mine.model_dump() == theirs.model_dump(), mine.id
    assert back[0].published_answer_s == original[0].published_answer_s  # extra fields survive
    family = get_family("asyncplan")
    for inst in back:  # the references still verify
        assert family.verify(family.parse_data(inst.data), inst.reference.witness, inst.reference).correct
    card = (tmp_path / "hub" / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "mit"
    assert [f["name"] for f in header["dataset_info"]["features"]][:3] == ["id", "family", "level"]
    assert header["dataset_info"]["splits"][0]["num_examples"] == 18
    assert header["configs"][0]["data_files"][0]["split"] == "test"
    assert "@inproceedings{lin2024graph" in card and "@software{schedbench" in card
    assert "| two_agents | 6 |" in card
    assert [i.id for i in load_instances(tmp_path / "hub")] == [i.id for i in original]  # --suite OUT works


def test_export_of_a_generated_suite_and_suite_option(tmp_path: Path, cli) -> None:
    from schedbench.references import generate_suite

    family = get_family("smtt")
    generate_suite(family, family.generator_config(levels="5,6", seed=2), tmp_path / "s", show_progress=False)
    code, _, err = cli(["export-suite", str(tmp_path / "s"), str(tmp_path / "out"), "--license", "cc-by-4.0"])
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "out" / "README.md").read_text().split("---")[1])["license"] == "cc-by-4.0"
    from datasets import load_dataset

    rows = load_dataset(str(tmp_path / "out"), split="test", cache_dir=str(tmp_path / "cache"))
    assert [i.model_dump() for i in rows_to_instances(rows, "x")] == [
        i.model_dump() for i in load_instances(tmp_path / "s")
    ]


def test_bad_suite_is_exit_2(tmp_path: Path, cli) -> None:
    code, out, err = cli(["export-suite", str(tmp_path / "missing"), str(tmp_path / "out")])
    assert code == 2 and out == "" and "no such file" in err


def test_asynchow_instances_keep_their_title() -> None:
    inst = read_file(ASYNCHOW)[0]
    assert inst.title and inst.published_answer_s
