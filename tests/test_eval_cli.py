"""The evaluate/report/models commands: exit codes, the report --json contract, exports, parquet suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schedbench.demo import make_suite

CONTRACT = (
    "run",
    "model",
    "suite",
    "n",
    "feasible_rate",
    "parse_error_rate",
    "optimal_rate",
    "mean_gap_pct",
    "wauc",
    "breakpoint_level",
    "by_level",
    "by_stage",
    "taxonomy",
    "tokens",
    "cost_usd",
)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_suite("asyncplan", tmp_path_factory.mktemp("suite"), show_progress=False, levels="4,8")


def test_report_json_contract_exports_and_parquet_suite(suite, tmp_path, cli) -> None:
    db = str(tmp_path / "r.db")
    assert cli(["evaluate", "--model", "oracle/exact", "--suite", str(suite), "--results", db, "--quiet"])[0] == 0
    parquet = str(suite / "instances.parquet")
    assert (
        cli(["evaluate", "--model", "baseline/list", "--suite", parquet, "--mode", "time", "--results", db, "--quiet"])[
            0
        ]
        == 0
    )
    code, out, _ = cli(["report", "--results", db, "--json"])
    documents = json.loads(out)
    assert code == 0 and isinstance(documents, list) and len(documents) == 2
    for document in documents:
        assert list(document)[: len(CONTRACT)] == list(CONTRACT)
        for row in document["by_level"]:
            assert {"level", "n", "feasible_rate", "ci_low", "ci_high", "mean_gap_pct"} <= row.keys()
    oracle = documents[0]
    assert oracle["feasible_rate"] == 1.0 and oracle["optimal_rate"] == 1.0 and oracle["n"] == oracle["planned"]
    code, out, _ = cli(
        [
            "report",
            oracle["run"],
            "--results",
            db,
            "--json",
            "--export",
            str(tmp_path / "items.parquet"),
            "--export",
            str(tmp_path / "items.csv"),
        ]
    )
    assert code == 0 and json.loads(out)["run"] == oracle["run"]
    import datasets

    exported = datasets.load_dataset("parquet", data_files=str(tmp_path / "items.parquet"), split="train")
    assert len(exported) == oracle["n"] and set(exported["run"]) == {oracle["run"]}
    assert (tmp_path / "items.csv").read_text().count("\n") >= oracle["n"] + 1
    code, out, _ = cli(["report", "--results", db])
    assert code == 0 and oracle["run"] in out.replace("\n", "") and "success by level" in out


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["evaluate", "--model", "nosuch/model", "--suite", "{suite}"], "--model"),
        (["evaluate", "--model", "oracle/exact", "--suite", "{suite}", "--mode", "essay"], "--mode"),
        (["evaluate", "--model", "oracle/exact", "--suite", "{suite}", "--model-arg", "oops"], "--model-arg"),
        (["evaluate", "--model", "oracle/exact", "--suite", "{suite}", "--few-shot", "2"], "--few-shot-suite"),
        (
            [
                "evaluate",
                "--model",
                "openai-compatible/x",
                "--suite",
                "{suite}",
                "--base-url",
                "http://127.0.0.1:9",
                "--max-cost",
                "1",
            ],
            "--max-cost",
        ),
        (["report", "--results", "{tmp}/none.db"], "none.db"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, field, suite, tmp_path, cli) -> None:
    argv = [a.format(suite=suite, tmp=tmp_path) for a in argv]
    if argv[0] == "evaluate":
        argv += ["--results", str(tmp_path / "r.db"), "--quiet"]
    code, _, err = cli(argv)
    assert code == 2 and field in err and "Traceback" not in err and err.count("\n") == 1, err


def test_few_shot_from_a_separate_split(suite, tmp_path, cli) -> None:
    other = make_suite("asyncplan", tmp_path / "train", seed=99, show_progress=False, levels="4")
    code, _, err = cli(
        [
            "evaluate",
            "--model",
            "oracle/exact",
            "--suite",
            str(suite),
            "--few-shot",
            "2",
            "--few-shot-suite",
            str(other),
            "--cot",
            "--results",
            str(tmp_path / "r.db"),
            "--quiet",
        ]
    )
    assert code == 0, err
    from schedbench.results import Store

    with Store(tmp_path / "r.db") as store:
        (run,) = store.runs()
        assert len(run.config["few_shot"]) == 2 and run.config["cot"] is True


def test_models_lists_providers_baselines_and_prices(cli) -> None:
    code, out, _ = cli(["models", "--json"])
    document = json.loads(out)
    assert code == 0 and {"openai", "anthropic", "baseline", "oracle/exact", "replay"} <= {
        p["prefix"] for p in document["providers"]
    }
    from schedbench.problems import family_names, get_family

    assert document["baselines"] == {name: list(get_family(name).baselines) for name in family_names()}


def test_bad_instance_data_stops_the_run_before_any_request(suite, tmp_path, cli) -> None:
    lines = (suite / "instances.jsonl").read_text().splitlines()
    broken = json.loads(lines[1])
    del broken["data"]["steps"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], json.dumps(broken), *lines[2:]]) + "\n")
    db = tmp_path / "r.db"
    code, _, err = cli(["evaluate", "--model", "oracle/exact", "--suite", str(bad), "--results", str(db), "--quiet"])
    assert code == 2 and f"{bad}:2: data.steps" in err
    from schedbench.results import Store

    with Store(db) as store:
        assert all(not list(store.items(run.id)) for run in store.runs())


def test_report_counts_answers_better_than_an_unproven_reference(tmp_path, cli) -> None:
    """References made weaker than the truth (unproven, objective + 1000): the oracle's answers beat them;
    `report --json` counts and lists them and averages no negative gap."""
    folder = make_suite("smtt", tmp_path / "suite", show_progress=False, levels="8", tf="0.6", rdd="0.2,1.0")
    lines = []
    for line in (folder / "instances.jsonl").read_text().splitlines():
        instance = json.loads(line)
        reference = instance["reference"]
        reference.update(status="feasible", objective=reference["objective"] + 1000, bound=0)
        lines.append(json.dumps(instance))
    weak = tmp_path / "weak.jsonl"
    weak.write_text("\n".join(lines) + "\n")
    db = str(tmp_path / "r.db")
    assert cli(["evaluate", "--model", "oracle/exact", "--suite", str(weak), "--results", db, "--quiet"])[0] == 0
    code, out, _ = cli(["report", "--results", db, "--json"])
    document = json.loads(out)
    document = document[0] if isinstance(document, list) else document
    assert code == 0 and document["better_than_reference"] == document["n"] == len(lines) > 0
    assert len(document["better_than_reference_items"]) == len(lines)
    assert all(item["objective"] + 1000 == item["reference"] for item in document["better_than_reference_items"])
    assert document["mean_gap_pct"] is None
    code, out, _ = cli(["report", "--results", db])
    assert code == 0 and "better than the reference" in out
