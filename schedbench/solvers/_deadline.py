"""One wall-clock deadline for a whole solve: warm start, model building, CP-SAT and the heuristic incumbent.

`solve_within(solve, data, time_limit, workers, hint)` runs a family's solver under a deadline of
`wall_seconds(time_limit, workers)`. Inside it:

- every CP-SAT call gets at most the time left (`_cpsat.run` asks `seconds_left()`), and a stage that starts
  with no time left stops at once (`check()`);
- the solvers `offer()` each schedule they hold (a verified warm start, a CP-SAT result) and name the stage
  they are in (`stage()`);
- when the deadline passes in Python code (a heuristic or model building on a huge instance), an alarm stops
  the solver and the best offered schedule becomes the reference (status `feasible`, or `unknown` without one),
  with a `note` that says where the time ran out.

The alarm is a SIGALRM handler, so it works in a process's main thread (the command line, the worker processes,
a notebook); elsewhere only the CP-SAT caps and `check()` hold the deadline. Each thread has its own running
solve, so a solve in a worker thread neither switches off nor ends the main thread's deadline. Compiled code
(CP-SAT, the SMTT core) is not interrupted: it has limits of its own.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from schedbench.problems._envelope import Reference

#: With one solver thread the limit is in CP-SAT's deterministic time (about a second of work each, whatever
#: the machine's load), so a suite solved twice gets the same references; the wall clock is only a backstop.
WALL_CLOCK_BACKSTOP = 3.0
#: Share of the time left that a CP-SAT call may use: the rest reads its solution before the alarm.
CPSAT_SHARE = 0.9


class DeadlineExceeded(BaseException):
    """The solve's wall-clock deadline passed. A BaseException, so `except Exception` in a solver or heuristic
    does not swallow it."""


@dataclass
class Budget:
    """The deadline of the running solve, its best offered reference and the stage it is in."""

    seconds: float
    ends: float
    stage: str = "starting"
    best: Reference | None = None
    done: bool = False


class _ThreadBudget(threading.local):
    """The running solve's budget, one per thread: a solve in a worker thread (a notebook's evaluate, an
    executor) must neither switch off nor end the deadline of a solve in the main thread."""

    budget: Budget | None = None


_current = _ThreadBudget()


def wall_seconds(time_limit: float, workers: int) -> float:
    """The wall-clock deadline of a whole solve: the time limit itself with several solver threads (CP-SAT's
    limit is in seconds then), and the wall-clock backstop of the deterministic limit with one thread."""
    return float(time_limit) * (WALL_CLOCK_BACKSTOP if int(workers) <= 1 else 1.0)


def active() -> bool:
    """Whether a solve's deadline is running (offers are recorded)."""
    return _current.budget is not None


def seconds_left() -> float | None:
    """Seconds until the running solve's deadline (None outside `solve_within`)."""
    budget = _current.budget
    return None if budget is None else budget.ends - time.monotonic()


def cpsat_cap() -> float | None:
    """The most wall-clock seconds a CP-SAT call may take now (None outside a deadline); raises
    DeadlineExceeded when no time is left."""
    left = seconds_left()
    if left is None:
        return None
    check()
    return max(left * CPSAT_SHARE, 0.001)


def check() -> None:
    """Raise DeadlineExceeded when the running solve's deadline has passed."""
    left = seconds_left()
    if left is not None and left <= 0:
        raise DeadlineExceeded


def stage(name: str) -> None:
    """Name the stage the running solve is in (for the note when time runs out)."""
    if _current.budget is not None:
        _current.budget.stage = name
    check()


def offer(reference: Reference) -> None:
    """Record a schedule the solver holds; the best one (lowest objective) stands if time runs out."""
    budget = _current.budget
    if budget is None or reference.objective is None or reference.witness is None:
        return
    if budget.best is None or reference.objective < (budget.best.objective or 0):
        budget.best = reference


def solve_within(
    solve: Callable[..., Reference], data: Any, time_limit: float, workers: int, hint: dict[str, Any] | None
) -> Reference:
    """`solve(data, time_limit=..., workers=..., hint=...)`, stopped at `wall_seconds(time_limit, workers)`;
    past it, the best offered schedule (or status `unknown`) with a `note`."""
    if _current.budget is not None:  # already inside a solve in this thread: its deadline holds
        return solve(data, time_limit=time_limit, workers=workers, hint=hint)
    import ortools.sat.python.cp_model  # noqa: F401  (loaded before the clock starts: an alarm inside a module's
    # initialisation turns into an ImportError, and loading it is no part of the solve)

    seconds = wall_seconds(time_limit, workers)
    began = time.monotonic()
    budget = _current.budget = Budget(seconds=seconds, ends=began + seconds)
    try:
        with _alarm(budget):
            return solve(data, time_limit=time_limit, workers=workers, hint=hint)
    except DeadlineExceeded:
        return _stopped(budget, time.monotonic() - began)
    finally:
        _current.budget = None


def _stopped(budget: Budget, elapsed: float) -> Reference:
    """The reference of a solve stopped at its deadline: the best offered schedule, else `unknown`."""
    where = f"the time limit ({budget.seconds:g} s wall clock) was reached while {budget.stage}"
    if budget.best is None:
        return Reference(status="unknown", solver="", time_s=round(elapsed, 4), note=f"{where}; no schedule was found")
    best = budget.best
    status = "optimal" if best.status == "optimal" else "feasible"
    return best.model_copy(
        update={
            "status": status,
            "bound": best.bound if status == "optimal" or best.bound is not None else None,
            "time_s": round(elapsed, 4),
            "note": f"{where}; the best schedule found before then stands",
        }
    )


#: Seconds between repeats of the alarm once the deadline has passed.
ALARM_REPEAT = 0.25


@contextlib.contextmanager
def _alarm(budget: Budget) -> Iterator[None]:
    """Raise DeadlineExceeded in this thread at the budget's end, unless the solve is done by then (main thread
    only; elsewhere a no-op).

    The alarm repeats every `ALARM_REPEAT` seconds until the solve has stopped: Python runs a signal handler
    wherever the interpreter is, also inside a finalizer run by the garbage collector, which reports the
    exception as "ignored" and drops it; a one-shot alarm lost there would let the solve run on unbounded."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        if not budget.done:
            raise DeadlineExceeded

    previous_handler = signal.signal(signal.SIGALRM, expire)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, max(budget.ends - time.monotonic(), 0.001), ALARM_REPEAT)
    try:
        yield
    finally:
        _disarm(budget)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:  # someone else's alarm keeps running
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def _disarm(budget: Budget) -> None:
    """Mark the budget done, so later repeats of its alarm do nothing. A repeat can land before the mark is
    set; it is dropped here (the solve has stopped already), and the mark is set again."""
    while not budget.done:
        with contextlib.suppress(DeadlineExceeded):
            budget.done = True
