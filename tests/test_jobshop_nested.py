"""Nested job-shop ramps: per chain one shop whose hard job windows grow by one per level (stages windows and
combined); the independent ramp reproduces the drafts generated before nesting existed."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun

from schedbench.generators.jobshop import JobshopGeneratorConfig, generate
from schedbench.problems.jobshop import JobshopData
from schedbench.references import check_reference, solve_references
from schedbench.suites import load_instances, read_manifest
from schedbench.verifiers.jobshop import verify


def chains_of(drafts: list[Any]) -> dict[str, list[Any]]:
    """Drafts grouped by chain, each chain in level order."""
    chains: dict[str, list[Any]] = defaultdict(list)
    for draft in drafts:
        chains[draft.instance.model_extra["chain"]].append(draft)
    return {name: sorted(members, key=lambda d: d.instance.level) for name, members in chains.items()}


def windows_of(data: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(release, deadline) of every job that has a hard window."""
    return {j["id"]: (j.get("release", 0), j["deadline"]) for j in data["jobs"] if "deadline" in j}


def without_windows(data: dict[str, Any]) -> dict[str, Any]:
    jobs = [{k: v for k, v in job.items() if k not in ("release", "deadline")} for job in data["jobs"]]
    return {**data, "jobs": jobs}


@pytest.fixture(scope="module")
def nested() -> list[Any]:
    """Both windowed stages, levels 1–8 on 8×5 shops, six chains, half of them tipping into infeasibility."""
    config = JobshopGeneratorConfig(
        levels="1-8", stage="windows,combined", per_level=6, jobs=8, machines=5, seed=4, infeasible_share=0.5
    )
    return generate(config.model_copy(update={"ramp": "nested"}))


def test_each_level_adds_one_window_and_keeps_everything_else(nested: list[Any]) -> None:
    chains = chains_of(nested)
    assert len(chains) == 2 * 6
    for name, chain in chains.items():
        assert [d.instance.level for d in chain] == list(range(1, 9)), name
        assert len({d.instance.seed for d in chain}) == 1
        for draft in chain:
            assert len(windows_of(draft.instance.data)) == draft.instance.level
            assert JobshopData.model_validate(draft.instance.data).n_operations() == 40
        for lower, upper in itertools.pairwise(chain):
            below, above = windows_of(lower.instance.data), windows_of(upper.instance.data)
            assert below.items() <= above.items() and len(above) == len(below) + 1, name
            assert without_windows(lower.instance.data) == without_windows(upper.instance.data), name


def test_stages_pair_on_the_same_chain_shop(nested: list[Any]) -> None:
    by_key = {(d.instance.stage, d.instance.level, d.instance.id[-2:]): d.instance.data for d in nested}
    for chain in ("00", "03"):
        windows, combined = by_key[("windows", 8, chain)], by_key[("combined", 8, chain)]
        for job_w, job_c in zip(windows["jobs"], combined["jobs"], strict=True):
            for op_w, op_c in zip(job_w["operations"], job_c["operations"], strict=True):
                assert op_w["durations"].items() <= op_c["durations"].items()
        assert combined.get("downtimes") and not windows.get("downtimes")


def test_feasible_levels_carry_a_verified_witness_and_infeasibility_never_recedes(nested: list[Any]) -> None:
    tips = []
    for name, chain in chains_of(nested).items():
        expects = [d.expect for d in chain]
        if "infeasible" in expects:
            tip = expects.index("infeasible")
            assert set(expects[tip:]) == {"infeasible"}, name  # more windows never restore feasibility
            tips.append(tip)
        for draft in chain:
            if draft.expect == "feasible":
                assert verify(JobshopData.model_validate(draft.instance.data), draft.hint).feasible, name
    assert 0 < len(tips) < 12 and any(tip > 0 for tip in tips)  # chains tip, some inside the ramp


@pytest.mark.parametrize("stage", ["windows", "combined"])
def test_references_agree_with_the_construction_and_never_decrease(stage: str) -> None:
    config = JobshopGeneratorConfig(
        levels="1-5", stage=stage, per_level=3, jobs=5, machines=3, seed=9, infeasible_share=0.4, ramp="nested"
    )
    drafts = generate(config)
    references = solve_references(
        [d.instance for d in drafts], [d.hint for d in drafts], time_limit=20.0, workers=2, show_progress=False
    )
    for draft, reference in zip(drafts, references, strict=True):
        draft.instance.reference = reference
        assert check_reference(draft.instance, draft.expect) is None, draft.instance.id
    statuses = set()
    for name, chain in chains_of(drafts).items():
        statuses |= {d.instance.reference.status for d in chain}
        solved = [d.instance.reference.objective for d in chain if d.instance.reference.status == "optimal"]
        assert solved == sorted(solved), name  # one more window never shortens the optimum
        assert len(solved) + sum(d.expect == "infeasible" for d in chain) == len(chain), name
    assert "optimal" in statuses


def test_generate_writes_chains_and_the_manifest_records_the_ramp(tmp_path: Path, cli: CliRun) -> None:
    code, _, err = cli(
        f"generate jobshop --out {tmp_path / 's'} --ramp nested --stage windows --levels 1-3 --jobs 3 "
        "--machines 2 --per-level 2 --quiet".split()
    )
    assert code == 0, err
    instances = load_instances(tmp_path / "s")
    assert len(instances) == 6
    assert {i.model_extra["chain"] for i in instances} == {"jobshop-windows-C00", "jobshop-windows-C01"}
    assert read_manifest(tmp_path / "s")["parameters"]["ramp"] == "nested"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ("--stage classic,windows", "not classic"),
        ("--stage windows --levels 1-12", "level 12 needs 12 jobs"),
        ("--stage windows --levels 1-3 --jobs 200 --machines 100", "past the largest"),
    ],
)
def test_a_nested_ramp_outside_its_stages_or_jobs_exits_2(
    tmp_path: Path, cli: CliRun, options: str, fragment: str
) -> None:
    code, out, err = cli(f"generate jobshop --out {tmp_path / 's'} --ramp nested {options} --quiet".split())
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "--ramp" in err and fragment in err, err
    assert not (tmp_path / "s").exists()


def test_independent_drafts_hash_as_before_nesting_existed() -> None:
    """Digest of drafts (instances without references, expectations, witness hints) taken with the code before
    `--ramp` existed; independent stays the default."""
    digest = hashlib.sha256()
    for options in (
        {"levels": "1-12,16,25,36", "per_level": 2, "stage": "all", "seed": 7, "infeasible_share": 0.3},
        {"levels": "9,25", "stage": "all", "seed": 3, "scenario": "factory", "taillard": True, "infeasible_share": 0.5},
    ):
        for draft in generate(JobshopGeneratorConfig(**options)):
            assert "chain" not in (draft.instance.model_extra or {})
            digest.update(draft.instance.to_json_line().encode())
            digest.update(json.dumps([draft.expect, draft.hint], sort_keys=True).encode() + b"\n")
    assert digest.hexdigest() == "eff18c238535e12d0759edd893b5d38fae0ec7890433cdfa8cef69a63ce48165"
