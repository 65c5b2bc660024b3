"""Where CPU work runs: a local process pool (default) or a Ray cluster. Results come back in input order.

The function and the items are the same whichever executor runs them, so results are identical; only where
and how fast differ. Ray is optional (`pip install 'schedbench[ray]'`): without `--ray-address` a local Ray
instance is started once per process, with one CPU per core, and shut down at exit; with an address
(`head:6379`, `ray://head:10001`, `auto`, or `RAY_ADDRESS`) the work goes to that cluster, whose nodes need
only Ray: schedbench travels with the job (`schedbench._raycluster`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Literal

from schedbench import _raycluster
from schedbench.errors import OptionError

ExecutorName = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = ("local", "ray")

RAY_IN_FLIGHT_PER_CPU = 4
"""Ray tasks kept submitted per cluster CPU: enough to keep workers busy, bounded for huge inputs."""
_LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2
"""Object store of a local Ray instance: payloads here are small JSON-like dicts, so keep it modest."""


def map_ordered(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    workers: int = 1,
    executor: ExecutorName = "local",
    ray_address: str | None = None,
) -> Generator[Any, None, None]:
    """Apply a picklable top-level `fn` to each item, yielding results in input order as they complete.

    An exception raised by `fn` propagates with its own type (also from Ray), and pending work is cancelled.
    Close the generator when stopping early (`with contextlib.closing(...)`): an exception raised in the
    consumer, such as Ctrl-C, does not reach the generator, and a pool left to the garbage collector is drained
    of all its queued work at interpreter exit.
    """
    if executor == "ray":
        yield from _map_ray(fn, items, ray_address)
        return
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}; known: {', '.join(EXECUTORS)}")
    workers = capped_workers(workers, len(items))
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    try:
        with interrupts_deferred():  # map submits every item at once, which forks the workers
            results = pool.map(fn, items, chunksize=1)
        yield from results
    except BaseException:  # Ctrl-C, an error, or the consumer gave up: stop the workers now, not after their work
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers), so a worker neither prints a
    traceback of its own nor dies half way through writing a result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while forking


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while worker processes are started, and raise it right afterwards.

    A SIGINT arriving during fork() is handled inside the standard library's after-fork hooks (logging releases
    its lock there), where Python prints the KeyboardInterrupt as "ignored" and drops it: the Ctrl-C would be
    lost and the command run on. Blocked, the signal stays pending and is delivered when the block ends. Forked
    workers inherit the blocked mask; their initializers unblock it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives Python's SIGINT
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel pending work and kill the pool's worker processes without waiting for the running tasks (a solver
    call cannot be interrupted from outside); the standard library offers no public way to do this before 3.14."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)


def capped_workers(requested: int, work: int) -> int:
    """Worker processes worth starting: never more than the items of work nor the machine's cores."""
    return max(1, min(requested, work, os.cpu_count() or 1))


async def run_one(
    fn: Callable[[Any], Any],
    item: Any,
    executor: ExecutorName = "local",
    ray_address: str | None = None,
    pool: Executor | None = None,
) -> Any:
    """Await `fn(item)` without blocking the event loop: as a Ray task, or locally in `pool` (default: the
    loop's thread pool). For async code (evaluate, evolve) that wants one CPU-bound call at a time off-loop;
    an exception raised by `fn` propagates with its own type."""
    if executor == "ray":
        ray = ensure_ray(ray_address)
        with original_errors(ray):
            return await _remote(ray).remote(fn, item)
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}; known: {', '.join(EXECUTORS)}")
    return await asyncio.get_running_loop().run_in_executor(pool, fn, item)


class _Caller:
    """Ray actor body: calls functions in its own long-lived process."""

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        return fn(*args)


class RayProcess:
    """One long-lived worker process on Ray, like a single-worker process pool: module-level state that `fn`
    keeps (parsed instances, caches) survives between calls. For async code: `await proc.call(fn, *args)`."""

    def __init__(self, address: str | None = None) -> None:
        self._ray = ensure_ray(address)
        resources = _raycluster.task_resources()
        self._actor = self._ray.remote(num_cpus=1, max_restarts=0, resources=resources)(_Caller).remote()

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in the actor's process; an exception raised by `fn` propagates with its own type."""
        with original_errors(self._ray):
            return await self._actor.call.remote(fn, args)

    def close(self) -> None:
        """Stop the actor's process."""
        self._ray.kill(self._actor)


_started_here = False
_remote_functions: dict[str, Any] = {}


def ensure_ray(address: str | None = None) -> Any:
    """The `ray` module, connected once per process: to `address` (or `RAY_ADDRESS`), else to a new local
    instance.

    A local instance gets one CPU per core of this machine, no dashboard, and is shut down at exit. An existing
    cluster is joined with its token and gets schedbench shipped to its nodes (`schedbench._raycluster`).
    """
    global _started_here
    target = address or os.environ.get("RAY_ADDRESS")
    joining = bool(target) and not _ray_initialized()
    token = _raycluster.prepare_token_auth() if joining else None  # before Ray reads its configuration
    try:
        import ray
    except ImportError:
        raise OptionError("executor", "ray needs Ray: pip install 'schedbench[ray]'") from None
    if ray.is_initialized():
        return ray
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if target:
        _check_reachable(target)
        if _raycluster.ship_mode() == "auto":
            options["runtime_env"] = _raycluster.runtime_env()
        # Ray retries a refused handshake for ~20 s, logging each try; a good client is answered at once.
        os.environ.setdefault("RAY_gcs_server_port_wait_time_s", str(_CONNECT_ATTEMPTS))
    else:
        options |= {"num_cpus": os.cpu_count() or 1, "object_store_memory": _LOCAL_OBJECT_STORE_BYTES}
    with _native_stderr_held() as held:
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError) as exc:
            held.discard()  # Ray's native retry log; the error below says what went wrong, on one line
            raise _raycluster.connection_error(str(target), exc, token) from None
    if not _started_here:
        atexit.register(shutdown_ray)
    _started_here = True
    return ray


class _Held:
    """What native code wrote to stderr meanwhile: written back on exit unless discarded."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.keep = True

    def discard(self) -> None:
        self.keep = False


@contextlib.contextmanager
def _native_stderr_held() -> Iterator[_Held]:
    """Hold file descriptor 2 (where Ray's C++ code logs) in a temporary file for the duration."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        held = _Held(sink)
        try:
            yield held
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if held.keep:
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))
                sys.stderr.flush()


def _ray_initialized() -> bool:
    ray = sys.modules.get("ray")
    return bool(ray is not None and ray.is_initialized())


_CONNECT_ATTEMPTS = 3
"""Handshake attempts (about a second each) when joining a cluster that is known to listen."""


def _check_reachable(address: str) -> None:
    """Fail fast on a cluster address nothing listens on (`ray.init` would keep retrying)."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise OptionError("ray_address", f"cannot connect to Ray at {address}: {exc}") from None


def shutdown_ray() -> None:
    """Disconnect from Ray (and stop the local instance this process started); a no-op otherwise."""
    global _started_here
    _remote_functions.clear()
    if not _started_here:
        return
    import ray

    if ray.is_initialized():
        ray.shutdown()
    _started_here = False


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    """Ray task body: `fn(item)` (any picklable callable, builtins included)."""
    return fn(item)


def _remote(ray: Any) -> Any:
    """The one Ray remote function, exported once per process."""
    if "apply" not in _remote_functions:
        resources = _raycluster.task_resources()
        _remote_functions["apply"] = ray.remote(num_cpus=1, max_retries=0, resources=resources)(_apply)
    return _remote_functions["apply"]


def _map_ray(fn: Callable[[Any], Any], items: Sequence[Any], address: str | None) -> Iterator[Any]:
    """Ray path of `map_ordered`: at most `window` unfinished tasks at a time, results yielded in input order.

    The window counts unfinished tasks, not unyielded ones, so one slow task at the head never leaves the other
    workers idle: later results wait (as small objects) until the head is done.
    """
    ray = ensure_ray(address)
    remote = _remote(ray)
    window = max(1, int(ray.cluster_resources().get("CPU", 1)) * RAY_IN_FLIGHT_PER_CPU)
    submitted: deque[Any] = deque()
    unfinished: set[Any] = set()
    upcoming = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(unfinished) < window:
                item = next(upcoming, _END)
                if item is _END:
                    exhausted = True
                    break
                ref = remote.remote(fn, item)
                submitted.append(ref)
                unfinished.add(ref)
            while submitted and submitted[0] not in unfinished:
                yield _get(ray, submitted.popleft())
            if not submitted and exhausted:
                return
            done, _ = ray.wait(list(unfinished), num_returns=1)
            unfinished.difference_update(done)
    finally:
        for ref in unfinished:
            ray.cancel(ref, force=False)


_END = object()


def _get(ray: Any, ref: Any) -> Any:
    """A task's result."""
    with original_errors(ray):
        return ray.get(ref)


@contextlib.contextmanager
def original_errors(ray: Any) -> Iterator[None]:
    """Re-raise a failed Ray task's own exception (ValueError, InputError, …) instead of Ray's wrapper, so
    callers handle errors the same whichever executor ran the work."""
    try:
        yield
    except ray.exceptions.RuntimeEnvSetupError as exc:
        raise _raycluster.setup_error(exc) from None
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise
