"""The Python API (`import schedbench as sb`): results, and the documented errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import schedbench as sb
from schedbench.errors import InputError, OptionError, UnknownFamilyError


@pytest.fixture(scope="module")
def suite() -> list:
    return sb.generate("smtt", levels="5", per_level=1, stage="unweighted", tf="0.4", rdd="0.6", seed=4)


def test_import_schedbench_loads_no_library_module() -> None:
    code = "import sys, schedbench; print(sorted(m for m in sys.modules if m.startswith('schedbench')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded.replace("'", '"')) == ["schedbench"]


def test_generate_writes_the_suite_that_load_suite_reads(tmp_path: Path) -> None:
    written = sb.generate("smtt", out=tmp_path / "s", levels="5", per_level=1, stage="unweighted", tf="0.4", rdd="0.6")
    assert [i.id for i in sb.load_suite(tmp_path / "s")] == [i.id for i in written]


def test_solve_and_verify_agree_with_the_reference(suite: list) -> None:
    inst = suite[0]
    assert sb.solve(inst).objective == inst.reference.objective
    assert sb.verify(inst, inst.reference.witness).optimal
    reply = "Done.\n```json\n" + json.dumps(inst.reference.witness) + "\n```"
    assert sb.verify(inst, reply).correct
    broken = sb.verify(inst, {"sequence": [j["id"] for j in inst.data["jobs"]][1:]})
    assert not broken.feasible and broken.violation_types() == {"missing"}


def test_evaluate_returns_metrics_and_items_and_report_reads_them(suite: list, tmp_path: Path) -> None:
    result = sb.evaluate("baseline/edd", suite, results=tmp_path / "r.db", run="edd")
    assert result.run == "edd" and len(result.items) == result.metrics["n"] == len(suite)
    assert sb.report("edd", results=tmp_path / "r.db") == sb.report(result)
    with pytest.raises(KeyError, match="no run"):
        sb.report("nope", results=tmp_path / "r.db")


def test_errors_name_the_keyword_not_a_flag(suite: list, tmp_path: Path) -> None:
    with pytest.raises(UnknownFamilyError, match="unknown family 'nope'"):
        sb.generate("nope")
    with pytest.raises(OptionError) as caught:
        sb.generate("smtt", per_level=0)
    assert caught.value.field == "per_level" and "--" not in str(caught.value)
    with pytest.raises(OptionError) as caught:
        sb.evaluate("baseline/edd", suite, results=tmp_path / "r.db", mode="time")
    assert caught.value.field == "mode"
    with pytest.raises(ValueError, match="no answer"):
        sb.verify(suite[0], "I could not do it")


def test_load_suite_rejects_duplicate_ids(tmp_path: Path, suite: list) -> None:
    path = tmp_path / "twice.jsonl"
    path.write_text(suite[0].to_json_line() + "\n" + suite[0].to_json_line() + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate instance id"):
        sb.load_suite(path)
