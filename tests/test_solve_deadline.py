"""The time limit covers the whole solve: warm start, model building, CP-SAT and the heuristic incumbent.

A solve stopped at its deadline returns the best schedule offered so far (status feasible) or status unknown,
with a note naming the stage where the time ran out. The instances here are large enough that their heuristics
alone take far longer than the limit; the wall-clock bounds are generous (the assertion that matters is the
note: without the deadline there is none).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import schedbench as sb
from schedbench.problems import Instance, Reference
from schedbench.solvers import _deadline

GENEROUS = 60.0
"""Seconds a stopped solve may take past its limit here, on a loaded 2-core machine: far below what the same
solves take without the deadline (minutes)."""


def big_data(family: str, n: int) -> dict[str, Any]:
    """A large instance of `family` with about n tasks (jobs, operations, steps)."""
    rnd = random.Random(1)
    if family == "rcpsp":
        tasks = [
            {
                "id": f"t{i}",
                "duration": rnd.randint(1, 10),
                "demands": {"r1": rnd.randint(0, 3), "r2": rnd.randint(0, 3)},
            }
            for i in range(n)
        ]
        precedences = [[f"t{rnd.randrange(max(0, i - 20), i)}", f"t{i}"] for i in range(1, n) if rnd.random() < 0.7]
        resources = [{"id": "r1", "capacity": 4}, {"id": "r2", "capacity": 4}]
        return {"horizon": 10 * n, "resources": resources, "tasks": tasks, "precedences": precedences}
    if family == "smtt":
        return {"jobs": [{"id": f"j{i}", "p": rnd.randint(1, 100), "d": rnd.randint(0, 50 * n)} for i in range(n)]}
    if family == "jobshop":
        machines = 10
        return {
            "machines": [{"id": f"m{k}"} for k in range(machines)],
            "jobs": [
                {
                    "id": f"j{j}",
                    "operations": [
                        {"id": f"j{j}o{k}", "durations": {f"m{(j + k) % machines}": rnd.randint(1, 20)}}
                        for k in range(machines)
                    ],
                }
                for j in range(n // machines)
            ],
        }
    steps = [{"id": f"s{i}", "duration": rnd.randint(1, 10), "attended": 1} for i in range(n)]
    precedences = [[f"s{rnd.randrange(max(0, i - 20), i)}", f"s{i}"] for i in range(1, n) if rnd.random() < 0.7]
    return {"agents": 3, "steps": steps, "precedences": precedences}


def big_instance(family: str, n: int) -> Instance:
    return Instance(id=f"big-{family}", family=family, level=1, data=big_data(family, n))


def fake_solve(offered: Reference | None, stage: str) -> Any:
    """A solver that offers `offered`, names `stage`, then computes forever in Python."""

    def solve(data: Any, time_limit: float, workers: int, hint: Any) -> Reference:
        if offered is not None:
            _deadline.offer(offered)
        _deadline.stage(stage)
        while True:
            sum(range(1000))

    return solve


def test_a_solve_stopped_in_python_code_returns_the_offered_schedule_with_a_note() -> None:
    offered = Reference(status="feasible", objective=12, bound=3, witness={"starts": {"a": 0}}, incumbent="rule")
    reference = _deadline.solve_within(fake_solve(offered, "building the model"), None, 0.2, 2, None)
    assert reference.status == "feasible"
    assert (reference.objective, reference.bound, reference.witness) == (12, 3, {"starts": {"a": 0}})
    assert reference.note is not None and "while building the model" in reference.note
    assert "0.2 s" in reference.note


def test_a_solve_stopped_before_any_schedule_is_unknown_with_a_note() -> None:
    reference = _deadline.solve_within(fake_solve(None, "finding a warm start"), None, 0.2, 2, None)
    assert (reference.status, reference.objective, reference.witness) == ("unknown", None, None)
    assert reference.note is not None and "finding a warm start" in reference.note and "no schedule" in reference.note


def test_the_better_offer_stands() -> None:
    def solve(data: Any, time_limit: float, workers: int, hint: Any) -> Reference:
        _deadline.offer(Reference(status="feasible", objective=20, witness={"s": 1}))
        _deadline.offer(Reference(status="feasible", objective=15, witness={"s": 2}))
        _deadline.offer(Reference(status="feasible", objective=18, witness={"s": 3}))
        while True:
            sum(range(1000))

    assert _deadline.solve_within(solve, None, 0.2, 2, None).witness == {"s": 2}


def test_one_thread_gets_the_wall_clock_backstop() -> None:
    from schedbench.solvers._cpsat import WALL_CLOCK_BACKSTOP

    assert _deadline.wall_seconds(2, 1) == 2 * WALL_CLOCK_BACKSTOP
    assert _deadline.wall_seconds(2, 2) == 2


def test_a_finished_solve_is_untouched_and_the_alarm_is_put_back() -> None:
    before = signal.getsignal(signal.SIGALRM)
    expected = Reference(status="optimal", objective=1, bound=1, witness={})
    reference = _deadline.solve_within(lambda data, **_: expected, None, 5, 2, None)
    assert reference is expected and reference.note is None
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert _deadline.seconds_left() is None


def test_cpsat_gets_at_most_the_time_left() -> None:
    def solve(data: Any, time_limit: float, workers: int, hint: Any) -> Reference:
        cap = _deadline.cpsat_cap()
        return Reference(status="unknown", time_s=cap or -1.0)

    reference = _deadline.solve_within(solve, None, 4, 2, None)
    assert 0 < reference.time_s <= 4 * _deadline.CPSAT_SHARE


def test_an_ordinary_instance_is_solved_as_before() -> None:
    suite = sb.generate("smtt", levels="8", per_level=1, stage="unweighted", tf="0.6", rdd="0.6")
    reference = sb.solve(suite[0], time_limit=5, workers=1)
    assert reference.status == "optimal" and reference.note is None
    assert reference.objective == suite[0].reference.objective


@pytest.mark.parametrize("family", ["rcpsp", "smtt", "jobshop", "asyncplan"])
def test_a_large_instance_stops_at_the_time_limit(family: str) -> None:
    inst = big_instance(family, 20_000)
    reference = sb.solve(inst, time_limit=1, workers=2)  # how soon it returns is bench's business, not a test's
    assert reference.note is not None and "time limit (1 s wall clock) was reached" in reference.note
    assert reference.status in ("feasible", "unknown")
    if reference.status == "feasible":  # the schedule that stands is a valid one
        check = sb.verify(inst, reference.witness)
        assert check.feasible and check.objective == reference.objective


@pytest.mark.slow
@pytest.mark.parametrize("family", ["rcpsp", "smtt", "jobshop", "asyncplan"])
def test_solve_on_100k_tasks_returns_near_the_limit(tmp_path: Path, family: str) -> None:
    path = tmp_path / "big.json"
    path.write_text(big_instance(family, 100_000).model_dump_json(), encoding="utf-8")
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "schedbench", "solve", str(path), "--time-limit", "5", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    reference = json.loads(done.stdout)
    assert "time limit (5 s wall clock) was reached" in reference["note"]
    assert reference["time_s"] < 5 + GENEROUS and elapsed < 5 + 2 * GENEROUS  # input loading comes on top


def test_a_solve_in_another_thread_does_not_switch_off_the_main_threads_deadline() -> None:
    """A solve running in a worker thread (a notebook's evaluate, an executor) has a deadline of its own; the
    main thread's solve must still be stopped by its alarm, and the thread's must still end by its own."""
    import threading

    release = threading.Event()
    entered = threading.Event()
    results: dict[str, Reference] = {}

    def slow_in_thread(data: Any, **_: Any) -> Reference:
        entered.set()
        release.wait(30)
        return Reference(status="optimal", objective=1, bound=1, witness={})

    def spin_in_main(data: Any, **_: Any) -> Reference:
        ends = time.monotonic() + 30
        while time.monotonic() < ends:  # pure Python that never asks for the time left
            pass
        return Reference(status="optimal", objective=2, bound=2, witness={})

    worker = threading.Thread(
        target=lambda: results.update(thread=_deadline.solve_within(slow_in_thread, None, 60, 2, None))
    )
    worker.start()
    try:
        assert entered.wait(10)
        main = _deadline.solve_within(spin_in_main, None, 0.5, 2, None)
    finally:
        release.set()
        worker.join(30)
    assert main.note is not None and "time limit (0.5 s wall clock) was reached" in main.note
    assert results["thread"].note is None and results["thread"].objective == 1
    assert _deadline.seconds_left() is None


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed alarm, on purpose
def test_an_alarm_swallowed_by_a_finalizer_fires_again() -> None:
    """Python runs a signal handler wherever the interpreter is, also inside a finalizer (`__del__`, a weakref
    callback run by the garbage collector), which prints the exception as "ignored" and drops it. The deadline
    must hold anyway: the alarm repeats until the solve has stopped."""
    ends: list[float] = []

    class SlowToFinalize:
        def __del__(self) -> None:
            while time.monotonic() < ends[0] + 0.3:  # the deadline passes inside the finalizer
                pass

    def solve(data: Any, **_: Any) -> Reference:
        ends.append(time.monotonic() + 0.5)
        SlowToFinalize()  # dropped at once: its finalizer runs here
        spin_until = time.monotonic() + 30
        while time.monotonic() < spin_until:  # pure Python that never asks for the time left
            pass
        return Reference(status="optimal", objective=2, bound=2, witness={})

    reference = _deadline.solve_within(solve, None, 0.5, 2, None)
    assert reference.note is not None and "time limit (0.5 s wall clock) was reached" in reference.note
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
