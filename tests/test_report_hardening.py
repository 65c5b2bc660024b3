"""Reports never break on data: text from answers, ids and run names is never interpreted (no math text),
secrets never reach the stored configuration or the HTML, NaN/Infinity never reach JSON or metrics."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from schedbench.llm._offline import answer_text
from schedbench.llm.stub_server import StubServer
from schedbench.problems import Instance, get_family
from schedbench.references import generate_suite
from schedbench.suites import load_instances

SECRET = "sk-helicone-SECRET-0a1b2c3d4e5f"
MATH = "$\\frac$"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Instance]]:
    family = get_family("asyncplan")
    config = family.generator_config(levels="4,5", stage="two_agents", seed=2, time_limit=5, workers=1)
    folder = generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)
    return folder, load_instances(folder)


def strict_json(text: str):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON output"))


def test_math_text_in_ids_and_run_names_does_not_break_reports(suite, tmp_path, cli) -> None:
    folder, instances = suite
    replay = tmp_path / "replies.jsonl"
    with open(replay, "w", encoding="utf-8") as fh:
        for inst in instances:
            witness = inst.reference.witness
            agents = {step: MATH for step in witness.get("agents", {})}  # an agent id that matplotlib would parse
            reply = answer_text({"starts": witness["starts"], "agents": agents})
            fh.write(json.dumps({"instance_id": inst.id, "response": reply}) + "\n")
    db = tmp_path / "r.db"
    run = f"{MATH}{{1}}{{0}} run"
    code, _, err = cli(
        [
            "evaluate",
            "--model",
            f"replay/{replay}",
            "--suite",
            str(folder),
            "--results",
            str(db),
            "--run",
            run,
            "--quiet",
        ]
    )
    assert code == 0, err
    html, plots = tmp_path / "report.html", tmp_path / "figures"
    code, _, err = cli(["report", "--results", str(db), "--html", str(html), "--plots", str(plots)])
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    assert "$\\frac$" in page and any(plots.iterdir())


def test_secrets_in_model_args_are_never_stored_or_shown(suite, tmp_path, cli) -> None:
    folder, instances = suite
    db = tmp_path / "r.db"
    argv = [
        "evaluate",
        "--model",
        "openai-compatible/stub",
        "--suite",
        str(folder),
        "--results",
        str(db),
        "--model-arg",
        f'extra_headers.Helicone-Auth="Bearer {SECRET}"',
        "--model-arg",
        "max_tokens=500",
        "--quiet",
    ]
    with StubServer(lambda request: "```json\n{}\n```") as server:
        code, _, err = cli([*argv, "--base-url", server.openai_url])
        assert code == 0, err
        code, _, err = cli([*argv, "--base-url", server.openai_url])  # the same command resumes the same run
        assert code == 0 and "already" in err and server.stats.requests == len(instances)
    with sqlite3.connect(db) as conn:
        (config,) = conn.execute("SELECT config FROM runs").fetchone()
        assert SECRET not in config and json.loads(config)["model_args"]["max_tokens"] == 500
        assert SECRET not in "".join(str(row) for row in conn.execute("SELECT * FROM items"))
    html = tmp_path / "report.html"
    code, out, err = cli(["report", "--results", str(db), "--html", str(html), "--json"])
    assert code == 0, err
    assert SECRET not in html.read_text(encoding="utf-8") and SECRET not in out


def test_nan_and_infinity_never_reach_json_or_metrics(suite, tmp_path, cli) -> None:
    folder, _ = suite
    db = tmp_path / "r.db"
    code, _, err = cli(["evaluate", "--model", "oracle/exact", "--suite", str(folder), "--results", str(db), "--quiet"])
    assert code == 0, err
    with sqlite3.connect(db) as conn:  # a database written before values were checked on the way in
        conn.execute("UPDATE items SET gap_pct = 1e999, objective = 1e999, normalised_gap = -1e999")
        conn.execute("""UPDATE items SET verification = json_set(verification, '$.gap_pct', 1e999)""")
    code, out, err = cli(["report", "--results", str(db), "--json"])
    assert code == 0, err
    document = strict_json(out)
    assert document
    code, _, err = cli(["report", "--results", str(db), "--html", str(tmp_path / "r.html")])
    assert code == 0, err
