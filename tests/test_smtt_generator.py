"""SMTT generator and end-to-end CLI: Potts–Van Wassenhove draws, determinism, references, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import RunCli

from schedbench.generators.smtt import SmttGeneratorConfig, due_date_range, generate
from schedbench.problems import get_family
from schedbench.problems.smtt import SmttData
from schedbench.suites import load_instances


def test_grid_levels_and_stages() -> None:
    config = SmttGeneratorConfig(levels="5,20", stage="all", per_level=2)
    drafts = generate(config)
    assert len(drafts) == 2 * 2 * 20 * 2  # stages × levels × classes × per_level
    ids = [d.instance.id for d in drafts]
    assert len(set(ids)) == len(ids)
    for draft in drafts:
        inst = draft.instance
        data = SmttData.model_validate(inst.data)
        assert len(data.jobs) == inst.level
        assert data.weighted == (inst.stage == "weighted") or inst.level < 3
        p, d, w = data.arrays()
        assert p.min() >= 1 and p.max() <= 100 and w.min() >= 1 and w.max() <= 10
        low, high = due_date_range(int(p.sum()), inst.tf, inst.rdd)
        assert low <= d.min() and d.max() <= high


def test_due_dates_follow_tf_and_rdd() -> None:
    drafts = generate(SmttGeneratorConfig(levels="100", tf="0.8", rdd="0.2", per_level=20))
    ratios = []
    for draft in drafts:
        p, d, _ = SmttData.model_validate(draft.instance.data).arrays()
        ratios.append(d.mean() / p.sum())
    assert np.mean(ratios) == pytest.approx(1 - 0.8, abs=0.02)
    assert due_date_range(1000, 0.2, 0.4) == (600, 1000)
    clipped = generate(SmttGeneratorConfig(levels="30", tf="1.0", rdd="1.0", clip_negative=True))
    assert min(j["d"] for j in clipped[0].instance.data["jobs"]) >= 0
    raw = generate(SmttGeneratorConfig(levels="30", tf="1.0", rdd="1.0"))
    assert min(j["d"] for j in raw[0].instance.data["jobs"]) < 0


def test_deterministic_and_independent_of_other_levels() -> None:
    one = generate(SmttGeneratorConfig(levels="10,20", seed=3))
    two = generate(SmttGeneratorConfig(levels="20", seed=3))
    by_id = {d.instance.id: d.instance.data for d in one}
    for draft in two:
        assert by_id[draft.instance.id] == draft.instance.data
    other = generate(SmttGeneratorConfig(levels="20", seed=4))
    assert [d.instance.data for d in other] != [d.instance.data for d in two]


def test_generate_solve_verify_through_the_cli(tmp_path: Path, run_cli: RunCli) -> None:
    suite = tmp_path / "suite"
    args = (
        "generate",
        "smtt",
        "--out",
        str(suite),
        "--levels",
        "5,12",
        "--stage",
        "all",
        "--tf",
        "0.4,0.6",
        "--rdd",
        "0.2",
        "--quiet",
        "--seed",
        "11",
    )
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    first = (suite / "instances.jsonl").read_text()
    instances = load_instances(suite)
    assert len(instances) == 2 * 2 * 2
    family = get_family("smtt")
    for inst in instances:
        ref = inst.reference
        assert ref.status == "optimal" and ref.objective == ref.bound
        assert ref.edd_objective >= ref.objective
        result = family.verify(family.parse_data(inst.data), ref.witness, ref)
        assert result.feasible and result.optimal
    again = run_cli(*args[:3], str(tmp_path / "again"), *args[4:])
    assert again.returncode == 0

    def stable(text: str) -> list[dict]:
        rows = [json.loads(line) for line in text.splitlines()]
        for row in rows:
            row["reference"].pop("time_s")
            row["reference"].pop("witness")
        return rows

    assert stable(first) == stable((tmp_path / "again" / "instances.jsonl").read_text())
    one = tmp_path / "one.json"
    one.write_text(instances[0].model_dump_json())
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"sequence": [j["id"] for j in instances[0].data["jobs"]][::-1]}))
    done = run_cli("verify", "--instance", str(one), "--solution", str(answer), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["feasible"] is True
    done = run_cli("solve", str(one), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["objective"] == instances[0].reference.objective


@pytest.mark.parametrize(
    "option, value",
    [("--tf", "0.2,x"), ("--levels", "0"), ("--stage", "both"), ("--max-p", "0"), ("--scenario", "datacenter")],
)
def test_bad_options_exit_2(tmp_path: Path, option: str, value: str, run_cli: RunCli) -> None:
    done = run_cli("generate", "smtt", "--out", str(tmp_path / "x"), option, value, "--quiet")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
