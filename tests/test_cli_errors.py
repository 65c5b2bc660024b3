"""Bad input through the command line: exit code 2, one line on stderr naming the file and field.

The cases run the console entry point in-process (the `cli` fixture: the same `main`, its output captured); one
test runs the installed `python -m schedbench` as a real process for a bad file and a usage error, so the exit
code and the single line also hold where a shell sees them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, RunCli

GOOD_DATA = {
    "horizon": 20,
    "resources": [{"id": "R1", "capacity": 2}],
    "tasks": [{"id": "T1", "duration": 3, "demands": {"R1": 1}}, {"id": "T2", "duration": 2}],
    "precedences": [["T1", "T2"]],
}


def envelope(**data_changes: Any) -> dict[str, Any]:
    return {"id": "x", "family": "rcpsp", "level": 1, "data": {**GOOD_DATA, **data_changes}}


def run_process(*args: str) -> CliResult:
    """The command line as its own process (the installed entry point)."""
    done = subprocess.run([sys.executable, "-m", "schedbench", *args], capture_output=True, text=True, check=False)
    return CliResult(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(done: CliResult, *fragments: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert done.stdout == ""


def write(path: Path, content: Any) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


BAD_INSTANCES = {
    "malformed_json": ('{"id": "x", "family": ', ["malformed JSON"]),
    "unknown_task_in_precedence": (envelope(precedences=[["T1", "T9"]]), ["data", "unknown task 'T9'"]),
    "unknown_window_task": (envelope(windows={"T7": {"release": 1}}), ["data", "T7"]),
    "unknown_resource": (
        envelope(tasks=[{"id": "T1", "duration": 1, "demands": {"R5": 1}}], precedences=[]),
        ["data", "unknown resource 'R5'"],
    ),
    "cyclic_precedences": (envelope(precedences=[["T1", "T2"], ["T2", "T1"]]), ["data", "cycle"]),
    "negative_duration": (
        envelope(tasks=[{"id": "T1", "duration": -4}, {"id": "T2", "duration": 1}]),
        ["data.tasks.0.duration", "greater than or equal to 0"],
    ),
    "string_duration": (
        envelope(tasks=[{"id": "T1", "duration": "five"}, {"id": "T2", "duration": 1}]),
        ["data.tasks.0.duration"],
    ),
    "duplicate_task": (
        envelope(tasks=[{"id": "T1", "duration": 1}, {"id": "T1", "duration": 2}], precedences=[]),
        ["duplicate task id 'T1'"],
    ),
    "downtime_backwards": (envelope(downtimes=[{"resource": "R1", "start": 5, "end": 2}]), ["data.downtimes.0"]),
    "unknown_family": ({"id": "x", "family": "tsp", "level": 1, "data": {}}, ["family", "unknown family 'tsp'"]),
    "missing_data": ({"id": "x", "family": "rcpsp", "level": 1}, ["data", "Field required"]),
}


@pytest.mark.parametrize("name", sorted(BAD_INSTANCES))
def test_bad_instance_files_exit_2_naming_file_and_field(tmp_path: Path, name: str, run_cli: RunCli) -> None:
    content, fragments = BAD_INSTANCES[name]
    instance = write(tmp_path / "inst.json", content)
    solution = write(tmp_path / "sol.json", {"starts": {"T1": 0, "T2": 3}})
    assert_one_line_error(run_cli("solve", str(instance), "--json"), "inst.json", *fragments)
    if name in ("malformed_json", "cyclic_precedences", "negative_duration"):
        done = run_cli("verify", "--instance", str(instance), "--solution", str(solution), "--json")
        assert_one_line_error(done, "inst.json", *fragments)


def test_bad_line_of_a_suite_is_named_by_line_number(tmp_path: Path, run_cli: RunCli) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    lines = [json.dumps(envelope()), json.dumps({**envelope(precedences=[["T1", "T1x"]]), "id": "y"})]
    (suite / "instances.jsonl").write_text("\n".join(lines) + "\n")
    assert_one_line_error(run_cli("solve", str(suite)), "instances.jsonl:2", "T1x")
    (suite / "instances.jsonl").write_text(json.dumps(envelope()) + "\n" + json.dumps(envelope()) + "\n")
    assert_one_line_error(run_cli("solve", str(suite)), "instances.jsonl:2", "duplicate instance id")


def test_malformed_solution_file_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    instance = write(tmp_path / "inst.json", envelope())
    solution = write(tmp_path / "sol.json", '{"starts": {"T1": 0,')
    assert_one_line_error(
        run_cli("verify", "--instance", str(instance), "--solution", str(solution)), "sol.json", "malformed JSON"
    )


def test_missing_files_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    instance = write(tmp_path / "inst.json", envelope())
    assert_one_line_error(
        run_cli("verify", "--instance", str(instance), "--solution", str(tmp_path / "no.json")), "no.json"
    )
    assert_one_line_error(run_cli("solve", str(tmp_path / "absent.json")), "absent.json")
    assert_one_line_error(run_cli("solve", str(tmp_path / "absent")), "absent", "no such file")
    assert_one_line_error(run_cli("solve", str(tmp_path / "absent.sm")), "absent.sm", "no such file")
    assert_one_line_error(
        run_cli("import", "psplib", str(tmp_path / "absent.sm"), "--out", str(tmp_path / "o")), "absent.sm"
    )


def test_truncated_psplib_file_exits_2(published_data: Path, tmp_path: Path, run_cli: RunCli) -> None:
    text = (published_data / "psplib" / "j30" / "j301_1.sm").read_text()
    half = write(tmp_path / "half.sm", text[: len(text) // 2])
    assert_one_line_error(run_cli("solve", str(half)), "half.sm", "PSPLIB")
    assert_one_line_error(run_cli("import", "psplib", str(half), "--out", str(tmp_path / "out")), "half.sm")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--levels", "1-x", "cannot read level range"),
        ("--levels", "9-3", "runs backwards"),
        ("--stage", "everything", "unknown stage 'everything'"),
        ("--scenario", "moonbase", "unknown scenario 'moonbase'"),
        ("--inject-p", "1.5", "less than or equal to 1"),
        ("--tasks", "1", "greater than or equal to 2"),
    ],
)
def test_bad_generator_options_exit_2_naming_the_option(
    tmp_path: Path, option: str, value: str, fragment: str, run_cli: RunCli
) -> None:
    done = run_cli("generate", "rcpsp", "--out", str(tmp_path / "s"), option, value, "--quiet")
    assert_one_line_error(done, "command line", option, fragment)
    assert not (tmp_path / "s").exists()


def test_too_many_edges_for_the_tasks_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    done = run_cli("generate", "rcpsp", "--out", str(tmp_path / "s"), "--tasks", "4", "--levels", "30", "--quiet")
    assert_one_line_error(done, "command line", "--tasks")


def test_verify_of_a_suite_needs_a_known_id(tmp_path: Path, run_cli: RunCli) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "instances.jsonl").write_text(json.dumps(envelope()) + "\n" + json.dumps({**envelope(), "id": "y"}))
    solution = write(tmp_path / "sol.json", {"starts": {"T1": 0, "T2": 3}})
    assert_one_line_error(run_cli("verify", "--instance", str(suite), "--solution", str(solution)), "--id")
    assert_one_line_error(
        run_cli("verify", "--instance", str(suite), "--solution", str(solution), "--id", "z"), "--id", "found 0"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", "rcpsp", "--out", "x", "--tasks", "abc"], "'--tasks'"),
        (["verify", "--instance", "x.json"], "exactly one of --solution FILE and --reply FILE"),
        (["solve", "x.json", "--time-limit", "-1"], "'--time-limit'"),
        (["no-such-command"], "No such command"),
    ],
)
def test_command_line_usage_errors_are_one_line_too(args: list[str], fragment: str, run_cli: RunCli) -> None:
    assert_one_line_error(run_cli(*args), "command line", fragment)


def test_the_installed_entry_point_exits_2_with_one_line(tmp_path: Path) -> None:
    instance = write(tmp_path / "inst.json", BAD_INSTANCES["malformed_json"][0])
    assert_one_line_error(run_process("solve", str(instance), "--json"), "inst.json", "malformed JSON")
    assert_one_line_error(run_process("no-such-command"), "command line", "No such command")
