"""Bounds on every input: numbers beyond int64, sums the solvers cannot hold, non-finite references, sizes,
deep nesting, non-parquet files, lone surrogates — each one line on stderr naming the file and field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schedbench.llm._offline import answer_text
from schedbench.problems import get_family

RCPSP = {
    "horizon": 20,
    "resources": [{"id": "R1", "capacity": 2}],
    "tasks": [{"id": "T1", "duration": 3, "demands": {"R1": 1}}, {"id": "T2", "duration": 2}],
    "precedences": [["T1", "T2"]],
}
SMTT = {"jobs": [{"id": "J1", "p": 3, "d": 2}, {"id": "J2", "p": 4, "d": 1}]}
ASYNCPLAN = {
    "agents": 2,
    "steps": [{"id": "S1", "duration": 3, "attended": 1}, {"id": "S2", "duration": 2, "attended": 2}],
}


def envelope(family: str = "rcpsp", data: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base = {"rcpsp": RCPSP, "smtt": SMTT, "asyncplan": ASYNCPLAN}[family]
    return {"id": "x", "family": family, "level": 1, "data": data or base, **fields}


def one_line_error(result: tuple[int, str, str], *fragments: str) -> str:
    code, _, err = result
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def write(path: Path, content: Any) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


HUGE = {
    "rcpsp_duration": (
        envelope(data={**RCPSP, "tasks": [{"id": "T1", "duration": 10**30}, {"id": "T2", "duration": 1}]}),
        "data.tasks.0.duration",
    ),
    "rcpsp_horizon": (envelope(data={**RCPSP, "horizon": 2**63}), "data.horizon"),
    "smtt_due_date": (envelope("smtt", {"jobs": [{"id": "J1", "p": 1, "d": -(10**30)}]}), "data.jobs.0.d"),
    "asyncplan_agents": (envelope("asyncplan", {**ASYNCPLAN, "agents": 10**30}), "data.agents"),
    "smtt_sum_overflows_int64": (
        envelope("smtt", {"jobs": [{"id": "J1", "p": 2**62, "d": 0}, {"id": "J2", "p": 2**62, "d": 0}]}),
        "2^62",
    ),
    "rcpsp_durations_overflow": (
        envelope(data={**RCPSP, "tasks": [{"id": "T1", "duration": 2**62}, {"id": "T2", "duration": 2**62}]}),
        "2^62",
    ),
    "lone_surrogate_in_id": ('{"id": "\\ud800", "family": "smtt", "level": 1, "data": ' + json.dumps(SMTT) + "}", "id"),
    "lone_surrogate_in_task_id": (json.dumps(envelope()).replace('"T1"', '"\\udc00"'), "data"),
    "reference_infinity": (
        json.dumps(envelope(reference={"status": "optimal", "objective": float("inf")})),
        "reference.objective",
    ),
    "level_beyond_int64": (envelope(level=10**20), "level"),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_out_of_range_data_is_bad_input_for_solve_and_verify(case, tmp_path, cli) -> None:
    content, field = HUGE[case]
    instance = write(tmp_path / "one.json", content)
    answer = write(tmp_path / "answer.json", {"starts": {"T1": 0, "T2": 3}})
    one_line_error(cli(["solve", str(instance)]), str(instance), field)
    one_line_error(cli(["verify", "--instance", str(instance), "--solution", str(answer)]), str(instance), field)


def test_out_of_range_data_stops_evaluate_before_any_request(tmp_path, cli) -> None:
    content, _ = HUGE["rcpsp_duration"]
    suite = write(tmp_path / "suite.jsonl", json.dumps(content) + "\n")
    one_line_error(
        cli(["evaluate", "--model", "oracle/exact", "--suite", str(suite), "--results", str(tmp_path / "r.db")]),
        str(suite),
        "data.tasks.0.duration",
    )


def test_verify_keeps_exact_big_integers_and_prints_strict_json(tmp_path, cli) -> None:
    instance = write(tmp_path / "one.json", envelope())
    answer = write(tmp_path / "answer.json", {"starts": {"T1": 10**30, "T2": 10**30 + 3}})
    code, out, err = cli(["verify", "--instance", str(instance), "--solution", str(answer), "--json"])
    assert code == 1, err  # the answer is infeasible; the document is printed all the same
    result = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in JSON output"))
    assert not result["feasible"] and result["objective"] == 10**30 + 5
    assert any(str(10**30 + 3) in v["detail"] for v in result["violations"])


def test_deep_nesting_is_bad_input(tmp_path, cli) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    one_line_error(cli(["solve", str(deep)]), str(deep), "nested")
    lines = write(tmp_path / "deep.jsonl", '{"id": "x", "data": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    one_line_error(cli(["solve", str(lines)]), str(lines))
    db = str(tmp_path / "r.db")
    one_line_error(cli(["evaluate", "--model", "oracle/exact", "--suite", str(lines), "--results", db]), str(lines))


def test_a_parquet_file_that_is_not_parquet_is_bad_input(tmp_path, cli) -> None:
    fake = write(tmp_path / "suite.parquet", "this is not parquet")
    one_line_error(cli(["solve", str(fake)]), str(fake), "parquet")
    db = str(tmp_path / "r.db")
    one_line_error(cli(["evaluate", "--model", "oracle/exact", "--suite", str(fake), "--results", db]), str(fake))


def test_solve_on_an_empty_suite_is_bad_input(tmp_path, cli) -> None:
    empty = write(tmp_path / "empty.jsonl", "\n")
    one_line_error(cli(["solve", str(empty)]), str(empty), "no instances")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"name": "a", "p": [10**30], "d": [1]}, "p"),
        ({"name": "a", "p": [2**62, 2**62], "d": [1, 1]}, "2^62"),
        ({"name": "\ud800", "p": [1], "d": [1]}, "name"),
    ],
)
def test_import_with_bad_values_is_bad_input(row, field, tmp_path, cli) -> None:
    source = tmp_path / "set.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    out = tmp_path / "suite"
    one_line_error(cli(["import", "smtt-jsonl", str(source), "--out", str(out)]), str(source), field)
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--levels", "1-1000000000000000000000000000000"),
        ("--per-level", "1000000000000000000000000000000"),
        ("--tasks", "1000000000000000000000000000000"),
    ],
)
def test_generator_sizes_are_validated_before_allocation(option, value, tmp_path, cli) -> None:
    out = tmp_path / "suite"
    one_line_error(cli(["generate", "rcpsp", "--out", str(out), option, value, "--quiet"]), option)
    assert not out.exists()


def test_asyncplan_sizes_are_validated(tmp_path, cli) -> None:
    for option in ("--agents", "--stations"):
        if option.removeprefix("--") not in get_family("asyncplan").generator_config.model_fields:
            continue
        one_line_error(
            cli(["generate", "asyncplan", "--out", str(tmp_path / "s"), option, str(10**30), "--quiet"]), option
        )


def test_prompt_for_ten_million_agents_is_as_short_as_for_twenty(tmp_path) -> None:
    from schedbench.problems import Instance
    from schedbench.prompts import render_question

    sizes = {}
    for agents in (20, 10**7, 2**62):
        inst = Instance.model_validate(envelope("asyncplan", {**ASYNCPLAN, "agents": agents}))
        sizes[agents] = len(render_question(inst))
    assert sizes[10**7] - sizes[20] <= 20 and sizes[2**62] - sizes[20] <= 40


def test_workers_are_capped_at_the_work_and_the_cores(monkeypatch) -> None:
    from schedbench import executors

    started = []

    class Pool:
        def __init__(self, max_workers: int, **options) -> None:
            started.append(max_workers)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def submit(self, fn, item):
            from concurrent.futures import Future

            future: Future = Future()
            future.set_result(fn(item))
            return future

        def shutdown(self, wait=True, cancel_futures=False):
            return None

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(executors.os, "cpu_count", lambda: 2)
    assert list(executors.map_ordered(abs, [-1, -2, -3, -4], workers=100_000)) == [1, 2, 3, 4]
    assert started == [2]
    monkeypatch.setattr(executors.os, "cpu_count", lambda: 64)
    list(executors.map_ordered(abs, [-1, -2, -3], workers=100_000))
    assert started[-1] == 3


def test_the_oracle_answers_a_huge_but_valid_instance(tmp_path, cli) -> None:
    near = envelope("smtt", {"jobs": [{"id": "J1", "p": 2**40, "d": 0, "w": 1000}, {"id": "J2", "p": 5, "d": 0}]})
    instance = write(tmp_path / "one.json", near)
    code, out, err = cli(["solve", str(instance), "--json"])
    assert code == 0, err
    reference = json.loads(out)
    assert reference["status"] == "optimal" and reference["objective"] == 5 + 1000 * (2**40 + 5)
    answer = write(tmp_path / "answer.json", json.loads(answer_text({"sequence": ["J2", "J1"]}).split("\n")[1]))
    code, out, err = cli(["verify", "--instance", str(instance), "--solution", str(answer), "--json"])
    assert code == 0 and json.loads(out)["objective"] == 5 + 1000 * (2**40 + 5)
