"""Job-shop importers (JSPLIB, Taillard, .fjs), Taillard's generator, and bad input through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun, RunCli

from schedbench.generators.jobshop_taillard import TA_SEEDS, ta_instance, taillard_jobshop
from schedbench.importers import read_by_content
from schedbench.importers.jobshop import read_fjs, read_jsplib, read_taillard
from schedbench.problems import Reference
from schedbench.problems.jobshop import JobshopData
from schedbench.references import with_published

DATASETS = Path(__file__).resolve().parents[1] / "schedbench" / "datasets"
JSPLIB = DATASETS / "jsplib" / "instances"


def routes_of(data: JobshopData) -> list[list[tuple[int, int]]]:
    """Per job, (machine index from 0, duration) of a classic instance."""
    return [
        [(int(next(iter(op.durations))[1:]) - 1, next(iter(op.durations.values()))) for op in job.operations]
        for job in data.jobs
    ]


def test_taillard_generator_reproduces_all_80_published_instances() -> None:
    assert len(TA_SEEDS) == 80
    for number in range(1, 81):
        (instance,) = read_jsplib(JSPLIB / f"ta{number:02d}")
        assert routes_of(JobshopData.model_validate(instance.data)) == ta_instance(number), number


def test_taillard_two_block_file_reads_as_the_published_instance(tmp_path: Path) -> None:
    jobs, machines, time_seed, machine_seed = TA_SEEDS[0]
    routes = taillard_jobshop(jobs, machines, time_seed, machine_seed)
    lines = [
        "Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound",
        f"{jobs} {machines} {time_seed} {machine_seed} 1231 1005",
        "Times",
        *(" ".join(str(d) for _, d in route) for route in routes),
        "Machines",
        *(" ".join(str(m + 1) for m, _ in route) for route in routes),
    ]
    path = tmp_path / "ta01.txt"
    path.write_text("\n".join(lines * 2) + "\n")  # two instances in one file
    first, second = read_taillard(path)
    assert (first.id, second.id) == ("ta01-01", "ta01-02")
    assert routes_of(JobshopData.model_validate(first.data)) == routes
    assert first.model_extra["taillard_seeds"] == {"time": time_seed, "machine": machine_seed}
    assert first.model_extra["published_bounds"] == {"lower": 1005, "upper": 1231}
    path.write_text("\n".join(lines) + "\n")
    (alone,) = read_taillard(path)
    assert alone.id == "ta01" and alone.model_extra["published_optimum"] == 1231  # the shipped table wins


def test_jsplib_import_attaches_published_values() -> None:
    (ft06,) = read_jsplib(JSPLIB / "ft06")
    assert ft06.level == 36 and ft06.model_extra["published_optimum"] == 55
    (abz8,) = read_jsplib(JSPLIB / "abz8")
    assert "published_optimum" not in abz8.model_extra
    assert abz8.model_extra["published_bounds"]["lower"] <= abz8.model_extra["published_bounds"]["upper"]


def test_fjs_import_reads_flexible_operations() -> None:
    (mk01,) = read_fjs(DATASETS / "fjsp" / "Brandimarte" / "Mk01.fjs")
    data = JobshopData.model_validate(mk01.data)
    assert len(data.jobs) == 10 and len(data.machines) == 6 and data.flexible()
    assert data.jobs[0].operations[0].durations == {"M1": 5, "M3": 4}
    assert mk01.model_extra["published_optimum"] == 40


def test_a_reference_equal_to_a_published_optimum_is_optimal() -> None:
    (ft06,) = read_jsplib(JSPLIB / "ft06")
    found = with_published(ft06, Reference(status="feasible", objective=55, bound=50))
    assert found.status == "optimal" and found.bound == 55 and "OptalCP" in found.model_extra["bound_source"]
    weaker = with_published(ft06, Reference(status="feasible", objective=57, bound=50))
    assert weaker.status == "feasible" and weaker.bound == 55


# --- the command line -----------------------------------------------------------------------------------


def assert_one_line_error(done: tuple[int, str, str], *fragments: str) -> None:
    code, out, err = done
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and out == "", err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_import_of_a_folder_solves_its_files(tmp_path: Path, run_cli: RunCli) -> None:
    folder = tmp_path / "kacem"
    folder.mkdir()
    for name in ("Kacem1.fjs", "Kacem3.fjs"):
        (folder / name).write_text((DATASETS / "fjsp" / "Kacem" / name).read_text())
    done = run_cli("import", "fjsp", str(folder), "--out", str(tmp_path / "suite"), "--quiet", "--time-limit", "20")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "suite" / "instances.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["Kacem1", "Kacem3"]
    assert [(r["reference"]["status"], r["reference"]["objective"]) for r in rows] == [("optimal", 11), ("optimal", 7)]


GOOD = {
    "machines": [{"id": "M1"}, {"id": "M2"}],
    "jobs": [{"id": "J1", "operations": [{"id": "O1", "durations": {"M1": 2}}, {"id": "O2", "durations": {"M2": 1}}]}],
}


def envelope(**changes: Any) -> dict[str, Any]:
    return {"id": "x", "family": "jobshop", "level": 2, "data": {**GOOD, **changes}}


BAD_INSTANCES = {
    "unknown_machine": (
        envelope(jobs=[{"id": "J1", "operations": [{"id": "O1", "durations": {"M7": 2}}]}]),
        ["data", "unknown machine 'M7'"],
    ),
    "duplicate_operation": (
        envelope(
            jobs=[
                {"id": "J1", "operations": [{"id": "O1", "durations": {"M1": 2}}]},
                {"id": "J2", "operations": [{"id": "O1", "durations": {"M2": 2}}]},
            ]
        ),
        ["data", "duplicate operation id 'O1'"],
    ),
    "huge_duration": (
        envelope(jobs=[{"id": "J1", "operations": [{"id": "O1", "durations": {"M1": 10**30}}]}]),
        ["data.jobs.0.operations.0.durations.M1", "less than or equal to"],
    ),
    "negative_release": (
        envelope(jobs=[{"id": "J1", "release": -3, "operations": [{"id": "O1", "durations": {"M1": 2}}]}]),
        ["data.jobs.0.release"],
    ),
    "no_eligible_machine": (
        envelope(jobs=[{"id": "J1", "operations": [{"id": "O1", "durations": {}}]}]),
        ["data.jobs.0.operations.0.durations"],
    ),
    "deadline_before_release": (
        envelope(
            jobs=[{"id": "J1", "release": 5, "deadline": 2, "operations": [{"id": "O1", "durations": {"M1": 1}}]}]
        ),
        ["data", "deadline 2 before its release 5"],
    ),
    "downtime_unknown_machine": (envelope(downtimes=[{"machine": "M9", "start": 0, "end": 2}]), ["data", "M9"]),
}


@pytest.mark.parametrize("name", sorted(BAD_INSTANCES))
def test_bad_instance_files_exit_2_naming_file_and_field(tmp_path: Path, cli: CliRun, name: str) -> None:
    content, fragments = BAD_INSTANCES[name]
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(content))
    assert_one_line_error(cli(["solve", str(path), "--json"]), "inst.json", *fragments)


BAD_FILES = {
    "jsplib": {
        "truncated": ("2 2\n0 3 1 2\n1 4\n", "file ends"),
        "machine_out_of_range": ("1 2\n0 3 5 2\n", "outside 0..1"),
        "not_a_number": ("1 2\n0 3 x 2\n", "'x' is not an integer"),
        "repeated_machine": ("1 2\n0 3 0 2\n", "visits machine 0 twice"),
        "huge_number": ("1 2\n0 3 1 99999999999999999999\n", "outside 0..1000000000"),
        "extra_values": ("1 2\n0 3 1 2 7\n", "values after the last job"),
    },
    "fjsp": {
        "truncated": ("2 2 1\n1 1 1 3\n", "file ends"),
        "unknown_machine": ("1 2 1\n1 1 3 3\n", "outside 1..2"),
        "empty": ("", "file ends"),
    },
    "taillard": {
        "short_machines_block": ("2 2\n1 2\n3 4\n1 2\n", "file ends"),
        "machine_zero": ("1 2\n1 2\n0 1\n", "outside 1..2"),
    },
}
SUFFIX = {"jsplib": "", "fjsp": ".fjs", "taillard": ".txt"}


@pytest.mark.parametrize(("importer", "case"), [(i, c) for i, cases in BAD_FILES.items() for c in cases])
def test_malformed_files_exit_2_naming_file_and_line(tmp_path: Path, cli: CliRun, importer: str, case: str) -> None:
    text, fragment = BAD_FILES[importer][case]
    path = tmp_path / f"bad{SUFFIX[importer]}"
    path.write_text(text)
    assert_one_line_error(
        cli(["import", importer, str(path), "--out", str(tmp_path / "out"), "--quiet"]), "bad", fragment
    )
    assert not (tmp_path / "out").exists()
    if importer == "fjsp":
        assert_one_line_error(cli(["solve", str(path)]), "bad.fjs", fragment)


def test_bad_input_exits_2_through_the_real_entry_point(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "la99"
    path.write_text("1 2\n0 3 9 2\n")
    done = run_cli("import", "jsplib", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert_one_line_error((done.returncode, done.stdout, done.stderr), "la99", "line 2", "outside 0..1")


def test_solve_reads_a_file_without_suffix_by_its_content(tmp_path: Path, cli: CliRun) -> None:
    """JSPLIB's files have no suffix; `solve` recognises them (and .fjs or Taillard content) by what they hold."""
    ft06 = tmp_path / "ft06"
    ft06.write_text((JSPLIB / "ft06").read_text())
    code, out, err = cli(["solve", str(ft06), "--json", "--time-limit", "20"])
    assert code == 0, err
    reference = json.loads(out)
    assert (reference["id"], reference["status"], reference["objective"]) == ("ft06", "optimal", 55)
    kacem = tmp_path / "kacem1"
    kacem.write_text((DATASETS / "fjsp" / "Kacem" / "Kacem1.fjs").read_text())
    jobs, machines, time_seed, machine_seed = TA_SEEDS[0]
    routes = taillard_jobshop(jobs, machines, time_seed, machine_seed)
    blocks = ["Times", *(" ".join(str(d) for _, d in r) for r in routes), "Machines"]
    blocks += [" ".join(str(m + 1) for m, _ in r) for r in routes]
    (tmp_path / "tai").write_text(f"{jobs} {machines}\n" + "\n".join(blocks) + "\n")
    (tmp_path / "notes").write_text("not an instance\n")  # a folder leaves out what no importer reads
    code, out, err = cli(["solve", str(tmp_path), "--json", "--time-limit", "0.5"])
    assert code == 0, err
    assert [(r["id"], r["status"] != "unknown") for r in json.loads(out)] == [
        ("ft06", True),
        ("kacem1", True),
        ("tai", True),
    ]
    (tai,) = read_by_content(tmp_path / "tai")
    assert tai.stage == "taillard" and routes_of(JobshopData.model_validate(tai.data)) == routes
    (flexible,) = read_by_content(kacem)
    assert flexible.stage == "fjsp" and flexible.data == read_fjs(DATASETS / "fjsp" / "Kacem" / "Kacem1.fjs")[0].data


@pytest.mark.parametrize(
    ("text", "fragment"), [("hello\n", "'hello' is not an integer"), ("1 2\n0 3 9 2\n", "line 2"), ("", "file ends")]
)
def test_solve_of_an_unrecognised_file_without_suffix_exits_2(
    tmp_path: Path, cli: CliRun, text: str, fragment: str
) -> None:
    path = tmp_path / "mystery"
    path.write_text(text)
    assert_one_line_error(cli(["solve", str(path)]), "mystery", "format not recognised", "jsplib", fragment)
