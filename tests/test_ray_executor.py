"""The Ray executor gives the same results as the local pool, in input order, with the same errors; a suite
solved on Ray evaluates to the same metrics as one solved locally.

A local Ray instance is started by the module fixture (2 CPUs); the command-line runs connect to it with
`--ray-address`, which also exercises connecting to an existing cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schedbench.executors import RayProcess, map_ordered, run_one
from schedbench.references import solve_payload

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'schedbench[ray]' or '[test]')")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray instance for this module (or the one an earlier test in this process left running); yields
    its address."""
    from schedbench.executors import shutdown_ray

    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 1024**2)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        if started:
            shutdown_ray()
            ray.shutdown()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line against the module's Ray instance, whose node has schedbench installed (no shipping)."""
    env = os.environ | {"SCHEDBENCH_RAY_SHIP": "none"}
    command = [sys.executable, "-m", "schedbench", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def comparable(suite: Path) -> list[dict[str, Any]]:
    """instances.jsonl without what docs/formats.md lets differ between runs (solve time and witness)."""
    rows = [json.loads(line) for line in (suite / "instances.jsonl").read_text().splitlines()]
    for row in rows:
        row["reference"].pop("time_s")
        row["reference"].pop("witness")
    return rows


def test_results_come_back_in_input_order(ray_cluster: str) -> None:
    items = [str(k) for k in range(-300, 300, 7)]
    assert list(map_ordered(int, items, executor="ray")) == list(map_ordered(int, items, executor="local"))


HEAD_CAP_S = 300
"""How long the head task waits for the others at most: only a failing executor (one that waits for the head)
ever waits this long; a working one ends the head as soon as the others are done, however loaded the machine
(at load 20, 30 tiny Ray tasks once took more than a minute)."""


def marking_task(job: tuple[str, int]) -> tuple[float, float]:
    """A small task leaves a marker file; the head task (`wanted` > 0) runs until that many markers exist (or
    `HEAD_CAP_S` pass). Returns when the task ran. Shipped to Ray workers by value, see below."""
    import time
    import uuid
    from pathlib import Path

    folder, wanted = job
    start = time.time()
    if wanted:
        while len(list(Path(folder).iterdir())) < wanted and time.time() - start < HEAD_CAP_S:
            time.sleep(0.01)
    else:
        (Path(folder) / uuid.uuid4().hex).touch()
    return start, time.time()


def test_a_slow_task_at_the_head_does_not_idle_the_other_workers(ray_cluster: str, tmp_path: Path) -> None:
    """The head task runs until 30 later tasks have finished: it ends at once if the executor keeps the other
    worker busy behind it, and only after `HEAD_CAP_S` if the executor waits for the head (load cannot change
    which)."""
    from ray import cloudpickle

    jobs = [(str(tmp_path), 30)] + [(str(tmp_path), 0)] * 60
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    try:
        spans = list(map_ordered(marking_task, jobs, executor="ray"))
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    head_end = spans[0][1]
    done_meanwhile = sum(1 for _, end in spans[1:] if end <= head_end)
    assert done_meanwhile >= 30, f"only {done_meanwhile} tasks ran beside the slow head"


def test_reference_solving_matches_the_local_pool(ray_cluster: str) -> None:
    from schedbench.generators.rcpsp import RcpspGeneratorConfig, generate

    config = RcpspGeneratorConfig(
        levels="4-12", per_level=2, stage="combined", infeasible_share=0.3, seed=5, ramp="independent"
    )
    drafts = generate(config)
    payloads = [("rcpsp", d.instance.data, 10.0, 1, None) for d in drafts]
    local = list(map_ordered(solve_payload, payloads, workers=2, executor="local"))
    remote = list(map_ordered(solve_payload, payloads, executor="ray"))
    keys = ("status", "objective", "bound")
    assert [{k: r[k] for k in keys} for r in remote] == [{k: r[k] for k in keys} for r in local]
    assert {r["status"] for r in remote} >= {"optimal", "infeasible"}


def test_a_failing_task_raises_its_own_exception_type(ray_cluster: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        list(map_ordered(json.loads, ["[1]", "{not json", "2"], executor="ray"))
    assert list(map_ordered(json.loads, ["[1]", "2"], executor="ray")) == [[1], 2]


def test_generate_with_ray_writes_the_same_suite_as_the_default(ray_cluster: str, tmp_path: Path) -> None:
    from schedbench.problems import get_family
    from schedbench.references import generate_suite

    options = {"levels": "1-8", "stage": "all", "infeasible_share": 0.2, "seed": 11}
    family = get_family("rcpsp")
    generate_suite(family, family.generator_config(**options), tmp_path / "local", show_progress=False)
    remote = run_cli(
        "generate",
        "rcpsp",
        "--levels",
        "1-8",
        "--stage",
        "all",
        "--infeasible-share",
        "0.2",
        "--seed",
        "11",
        "--quiet",
        "--out",
        str(tmp_path / "ray"),
        "--executor",
        "ray",
        "--ray-address",
        ray_cluster,
    )
    assert remote.returncode == 0, remote.stderr
    assert comparable(tmp_path / "ray") == comparable(tmp_path / "local")
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert "executor" not in manifest["parameters"] and manifest["count"] == 40
    assert evaluated(tmp_path / "ray", tmp_path / "r.db") == evaluated(tmp_path / "local", tmp_path / "l.db")


def evaluated(suite: Path, db: Path) -> list[dict[str, Any]]:
    """Metrics of offline baselines evaluated on a suite through the real evaluate path (store included)."""
    from schedbench.evaluate import EvalConfig, evaluate
    from schedbench.results import Store
    from schedbench.results.report import build_reports

    for model in ("baseline/lft", "baseline/spt", "oracle/exact"):
        evaluate(EvalConfig(model=model, suite=str(suite), results=db, run=model, show_progress=False))
    keys = ("n", "feasible_rate", "optimal_rate", "mean_gap_pct", "wauc", "by_level", "by_stage", "taxonomy")
    with Store(db) as store:
        return [{key: document[key] for key in keys} for document in build_reports(store)]


def test_async_calls_give_the_same_results_on_ray(ray_cluster: str) -> None:
    import asyncio

    async def both(executor: str) -> list[Any]:
        return await asyncio.gather(*(run_one(json.loads, text, executor) for text in ("[1, 2]", "3", '{"a": 4}')))

    assert asyncio.run(both("ray")) == asyncio.run(both("local")) == [[1, 2], 3, {"a": 4}]
    with pytest.raises(json.JSONDecodeError):
        asyncio.run(run_one(json.loads, "{bad", "ray"))


def test_a_ray_process_keeps_its_state_between_calls(ray_cluster: str) -> None:
    import asyncio
    import os

    async def session() -> tuple[int, int, Any]:
        process = RayProcess()
        try:
            first, second = await process.call(os.getpid), await process.call(os.getpid)
            with pytest.raises(json.JSONDecodeError):
                await process.call(json.loads, "{bad")
            return first, second, await process.call(json.loads, "[7]")
        finally:
            process.close()

    first, second, after_error = asyncio.run(session())
    assert first == second != os.getpid()
    assert after_error == [7]


def test_missing_ray_is_bad_input_naming_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from schedbench.errors import OptionError
    from schedbench.executors import ensure_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the optional extra were not installed
    with pytest.raises(OptionError, match="executor: ray needs Ray") as caught:
        ensure_ray()
    assert caught.value.field == "executor"  # the command line shows it as --executor (test_cli_errors)


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        list(map_ordered(abs, [1], executor="dask"))  # type: ignore[arg-type]  # a wrong name on purpose


def test_evaluate_checks_answers_on_ray_with_the_same_results(ray_cluster: str, tmp_path: Path) -> None:
    """Prompt rendering, extraction and verification in a Ray worker give the same stored items as inline."""
    from schedbench.evaluate import EvalConfig, evaluate
    from schedbench.problems import get_family
    from schedbench.references import generate_suite
    from schedbench.results import Store

    family = get_family("rcpsp")
    suite = generate_suite(
        family, family.generator_config(levels="1-6", stage="all", seed=5), tmp_path / "suite", show_progress=False
    )
    items = {}
    for executor in ("local", "ray"):
        db = tmp_path / f"{executor}.db"
        for model in ("baseline/spt", "oracle/exact"):
            evaluate(
                EvalConfig(
                    model=model,
                    suite=str(suite),
                    results=db,
                    run=model,
                    show_progress=False,
                    executor=executor,
                    ray_address=ray_cluster,
                )
            )
        with Store(db) as store:
            items[executor] = sorted(
                (run.name, row["instance_id"], row["prompt_hash"], json.dumps(row["verification"], sort_keys=True))
                for run in store.runs()
                for row in store.items(run.id)
            )
    assert len(items["ray"]) == 2 * 30
    assert items["ray"] == items["local"]
    bad = run_cli(
        "evaluate",
        "--model",
        "baseline/spt",
        "--suite",
        str(suite),
        "--results",
        str(tmp_path / "x.db"),
        "--executor",
        "ray",
        "--ray-address",
        "127.0.0.1:1",
        "--quiet",
    )
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert "--ray-address: cannot connect to Ray at 127.0.0.1:1" in bad.stderr
