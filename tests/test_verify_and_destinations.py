"""`verify` exit codes, raw replies and duplicate keys; `generate`/`import` refuse an occupied destination
before solving anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import schedbench as sb
from schedbench import datasets
from schedbench.problems import Instance

DATA = {
    "horizon": 20,
    "resources": [{"id": "R1", "capacity": 1}],
    "tasks": [{"id": "T1", "duration": 3, "demands": {"R1": 1}}, {"id": "T2", "duration": 2, "demands": {"R1": 1}}],
    "precedences": [["T1", "T2"]],
}


def solved(tmp_path: Path, name: str, **changes: Any) -> Path:
    """An rcpsp instance file with its reference solved here."""
    inst = Instance.model_validate({"id": name, "family": "rcpsp", "level": 1, "data": {**DATA, **changes}})
    inst.reference = sb.solve(inst)
    path = tmp_path / f"{name}.json"
    path.write_text(inst.model_dump_json(), encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def feasible(tmp_path: Path) -> Path:
    return solved(tmp_path, "ok")


def test_verify_exit_code_says_whether_the_answer_is_correct(tmp_path: Path, feasible: Path, cli) -> None:
    infeasible = solved(tmp_path, "tight", horizon=4)  # 3 + 2 time units of one resource cannot end by 4
    assert json.loads(infeasible.read_text())["reference"]["status"] == "infeasible"
    good = write(tmp_path / "good.json", '{"starts": {"T1": 0, "T2": 3}}')
    overlap = write(tmp_path / "overlap.json", '{"starts": {"T1": 0, "T2": 1}}')
    claim = write(tmp_path / "claim.json", '{"infeasible": true}')
    cases = [(feasible, good, 0), (feasible, overlap, 1), (feasible, claim, 1), (infeasible, claim, 0)]
    for instance, answer, expected in cases:
        code, out, err = cli(["verify", "--instance", str(instance), "--solution", str(answer), "--json"])
        assert code == expected, (instance.name, answer.name, out, err)
        assert json.loads(out)["correct"] is (expected == 0)
    code, out, _ = cli(["verify", "--instance", str(feasible), "--solution", str(overlap)])
    assert code == 1 and "infeasible" in out and "precedence" in out
    code, out, _ = cli(["verify", "--instance", str(infeasible), "--solution", str(claim)])
    assert code == 0 and "correct infeasibility claim" in out


def test_verify_reply_extracts_the_answer_as_evaluate_does(tmp_path: Path, feasible: Path, cli) -> None:
    from schedbench.prompts import answer_shape, extract_answer

    text = 'Reasoning first: T1 runs, then T2.\n```json\n{"result": {"starts": {"T1": 0, "T2": 3}}}\n```\nDone.'
    reply = write(tmp_path / "reply.txt", text)
    code, out, err = cli(["verify", "--instance", str(feasible), "--reply", str(reply), "--json"])
    assert code == 0, err
    expected = sb.verify(sb.load_suite(feasible)[0], extract_answer(text, answer_shape("rcpsp", "plan")).answer)
    assert json.loads(out) == json.loads(json.dumps(expected.model_dump(exclude_none=True)))
    code, out, _ = cli(["verify", "--instance", str(feasible), "--solution", str(reply)])
    assert code == 2  # the same text is no JSON document
    nothing = write(tmp_path / "nothing.txt", "I cannot solve this.")
    code, out, _ = cli(["verify", "--instance", str(feasible), "--reply", str(nothing), "--json"])
    assert code == 1 and json.loads(out)["parse_error"] == "no JSON object in the reply"


def test_repeated_keys_are_named_as_duplicates(tmp_path: Path, feasible: Path, cli) -> None:
    inner = write(tmp_path / "inner.json", '{"starts": {"T1": 0, "T2": 3, "T1": 5}}')
    code, out, _ = cli(["verify", "--instance", str(feasible), "--solution", str(inner), "--json"])
    assert code == 1
    assert [v["type"] for v in json.loads(out)["violations"]] == ["duplicate"]
    reply = write(tmp_path / "reply.txt", '```json\n{"starts": {"T1": 0, "T2": 3, "T1": 5}}\n```')
    code, out, _ = cli(["verify", "--instance", str(feasible), "--reply", str(reply), "--json"])
    assert code == 1 and [v["type"] for v in json.loads(out)["violations"]] == ["duplicate"]
    top = write(tmp_path / "top.json", '{"starts": {"T1": 0, "T2": 3}, "starts": {"T1": 9}}')
    code, out, err = cli(["verify", "--instance", str(feasible), "--solution", str(top)])
    assert code == 2 and out == ""
    assert err.strip() == f"error: {top}: starts: duplicate key: the answer gives it twice"
    text = feasible.read_text().replace('"level":1', '"level":1,"level":2', 1)
    assert text != feasible.read_text()
    instance = write(tmp_path / "twice.json", text)
    good = write(tmp_path / "good.json", '{"starts": {"T1": 0, "T2": 3}}')
    for argv in (["solve", str(instance)], ["verify", "--instance", str(instance), "--solution", str(good)]):
        code, _, err = cli(argv)
        assert code == 2 and err.strip() == f"error: {instance}: level: duplicate key: an object gives it twice"


def never_solve(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("solved references although the destination is refused")


@pytest.fixture
def no_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    import schedbench.cli.importing
    import schedbench.references

    monkeypatch.setattr(schedbench.references, "solve_references", never_solve)
    monkeypatch.setattr(schedbench.cli.importing, "solve_references", never_solve)


def test_generate_and_import_refuse_an_occupied_destination_before_solving(tmp_path: Path, no_solving, cli) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine", encoding="utf-8")
    existing_file = write(tmp_path / "existing-file.json", "{}")
    sm = Path(datasets.files("psplib/j30")[0])
    commands = [
        ["generate", "smtt", "--levels", "5", "--quiet"],
        ["import", "psplib", str(sm), "--quiet"],
        ["import", "orlib/wt40", "--quiet"],
        ["import", "asynchow", str(datasets.path("asynchow/seq")), "--quiet"],
    ]
    for command in commands:
        for destination, words in ((occupied, "not empty"), (existing_file, "is a file")):
            code, out, err = cli([*command, "--out", str(destination)])
            assert code == 2 and out == "", (command, err)
            assert err.strip().startswith(f"error: {destination}: --out:") and words in err, err
            assert len(err.strip().splitlines()) == 1
        code, _, err = cli([*command, "--out", str(occupied), "--overwrite"])
        assert code == 2 and "notes.txt" in err  # --overwrite replaces a suite, never other files
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"] and existing_file.read_text() == "{}"


def test_overwrite_replaces_an_earlier_suite(tmp_path: Path, cli) -> None:
    out = tmp_path / "suite"
    command = ["generate", "smtt", "--out", str(out), "--levels", "5", "--stage", "unweighted", "--quiet"]
    assert cli([*command, "--tf", "0.2", "--rdd", "0.2"])[0] == 0
    first = (out / "instances.jsonl").read_text()
    code, _, err = cli([*command, "--tf", "0.6", "--rdd", "0.6"])
    assert code == 2 and "--overwrite" in err and (out / "instances.jsonl").read_text() == first
    assert cli([*command, "--tf", "0.6", "--rdd", "0.6", "--overwrite"])[0] == 0
    assert (out / "instances.jsonl").read_text() != first
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(["generate", "smtt", "--out", str(empty), "--levels", "5", "--stage", "unweighted", "--quiet"])[0] == 0
