"""End-to-end smoke test of the RCPSP family through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from schedbench.problems import get_family
from schedbench.suites import load_instances


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "schedbench", *args], capture_output=True, text=True, check=False)


def test_generate_solve_verify_roundtrip(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    done = run_cli(
        "generate",
        "rcpsp",
        "--out",
        str(suite),
        "--levels",
        "1-6",
        "--stage",
        "all",
        "--infeasible-share",
        "0.2",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    instances = load_instances(suite)
    assert len(instances) == 30
    family = get_family("rcpsp")
    for inst in instances:
        assert inst.reference is not None
        if inst.reference.status == "infeasible":
            continue
        assert inst.reference.status == "optimal"
        result = family.verify(family.parse_data(inst.data), inst.reference.witness, inst.reference)
        assert result.feasible and result.optimal and result.gap_pct == 0
    one = tmp_path / "one.json"
    one.write_text(instances[0].model_dump_json())
    sol = tmp_path / "sol.json"
    sol.write_text(json.dumps({"starts": {}}))
    done = run_cli("verify", "--instance", str(one), "--solution", str(sol), "--json")
    assert done.returncode == 1, done.stderr  # an infeasible answer
    result = json.loads(done.stdout)
    assert not result["feasible"]
    assert {v["type"] for v in result["violations"]} == {"missing"}
