"""Running untrusted programs: one killable, resource-limited process per program, inside bubblewrap.

Layers, outermost first:

- **Operating system** (`isolation`): a zygote (`_runner.py --fork-server`) runs inside bubblewrap — new PID,
  network, IPC, UTS and mount namespaces, a read-only root of only what the interpreter needs, one private
  writable /sandbox/work, `--die-with-parent` — and forks one runner per program, in that same sandbox, each in a
  directory of its own under /sandbox/work. A one-off program gets a zygote of its own (`open_sandbox` without a
  server, `run_python`). Without bubblewrap, running is refused (`IsolationUnavailable`) unless the caller
  passes `allow_unisolated`.
- **Process**: each runner starts its own session with a scrubbed environment (a fixed whitelist: no
  `*_KEY`, `*_TOKEN`, `*_SECRET`); the zygote reaps it, kills what is left of its group and reports its exact
  wait status; the harness signals it through a pidfd. Working directories are deleted afterwards.
- **Kernel limits** set by the runner on itself: RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE (file size),
  RLIMIT_NPROC = 1 (no new processes or threads). Started as root, the runner drops to an unprivileged uid
  (nobody) after loading the allowed modules, so RLIMIT_NPROC applies.
- **Audit hook** (PEP 578) inside the runner: clear refusals (process creation, sockets, ctypes, writes
  outside the working directory, ...) with a reason for the history. A second layer with good messages;
  nothing relies on it — the candidate can switch it off, the layers above still hold.

Every answer is re-verified by the harness; the runner's own timings are not trusted (the harness measures).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from schedbench.sandbox.isolation import (
    INSIDE_RUNNER,
    INSIDE_WORK,
    RUNNER,
    Isolation,
    bwrap_command,
    interpreter,
    require_isolation,
)

_SAFE_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
_NOBODY = 65534
_STDERR_TAIL = 4000
DEFAULT_PRELOAD = (
    "math",
    "heapq",
    "itertools",
    "functools",
    "collections",
    "bisect",
    "random",
    "operator",
    "array",
    "copy",
)


class SandboxConfig(BaseModel):
    """Limits of one candidate's sandbox process (every field has a default)."""

    memory_mb: int = Field(1024, ge=64, description="RLIMIT_AS of the candidate process")
    cpu_s: int = Field(120, ge=1, description="RLIMIT_CPU: CPU seconds for the whole evaluation")
    file_mb: int = Field(16, ge=0, description="RLIMIT_FSIZE: largest file the candidate may write")
    max_files: int = Field(
        32,
        ge=0,
        description="files the candidate may open for writing (policy layer), so "
        "disk use stays below max_files × file_mb",
    )
    start_timeout_s: float = Field(20.0, gt=0, description="wall clock to load and compile the candidate")
    network: bool = Field(False, description="leave the network reachable (default: cut it where possible)")
    allow_unisolated: bool = Field(
        False, description="run even where bubblewrap is unavailable (rlimits and the audit hook only)"
    )
    isolation: bool = Field(
        True, description="run inside bubblewrap when available (off only to measure; needs allow_unisolated)"
    )
    policy: bool = Field(True, description="the audit-hook policy layer (disable only to test kernel limits)")
    drop_to_uid: int | None = Field(_NOBODY, description="uid to run as when the harness runs as root")
    preload: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRELOAD),
        description="modules loaded before locking down; when the harness runs as root the "
        "candidate drops to an unprivileged uid and can import only these (each costs "
        "start-up time, e.g. statistics ≈ 20 ms)",
    )
    site_packages: bool = Field(
        False, description="let candidates import installed packages (≈ 20 ms per start; always on with numpy inputs)"
    )
    env: dict[str, str] = Field(default_factory=dict, description="extra environment (secret-looking names dropped)")
    fork_server: bool = Field(
        True,
        description="fork each runner from one long-lived preloaded zygote (saves the sandbox and interpreter "
        "start per candidate) instead of a zygote per candidate",
    )
    tmp_root: str | None = Field(
        None, description="where the temporary working directories go (default: the system temporary directory)"
    )


def scrubbed_env(extra: dict[str, str], home: str) -> dict[str, str]:
    """The candidate's whole environment: a fixed whitelist plus `extra` minus secret-looking names."""
    env = dict(_SAFE_ENV, HOME=home, TMPDIR=home)
    for name, value in extra.items():
        if not any(marker in name.upper() for marker in _SECRET_MARKERS):
            env[name] = value
    return env


@dataclass
class BatchResult:
    """The answers of one batch: outputs for the inputs before the first failure, and that failure."""

    outputs: list[Any] = field(default_factory=list)
    error: str | None = None
    traceback: str = ""
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Sandbox:
    """One live runner speaking the evolve protocol (JSON lines: setup, then batches of inputs).

    Use `open_sandbox`, which guarantees the kill and the clean-up."""

    def __init__(self, process: ForkedProcess, workdir: str, config: SandboxConfig) -> None:
        self.process = process
        self.workdir = workdir
        self.config = config
        self.stderr_tail = b""
        self._drain = asyncio.ensure_future(self._drain_stderr())
        self.load_error: str | None = None
        self.load_traceback = ""

    async def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self.stderr_tail = (self.stderr_tail + chunk)[-_STDERR_TAIL:]

    async def _request(self, message: dict[str, Any], timeout: float) -> dict[str, Any] | str:
        """Send one line, read one line; a string is the reason the process failed to answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            await self.process.stdin.drain()
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            self.kill()
            return f"timeout: no answer within {timeout:g} s (process group killed)"
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        except ValueError:  # a line longer than the stream limit
            self.kill()
            return "output too large"
        if not line:
            return await self._death_reason()
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            self.kill()
            return "protocol corrupted by the program"

    async def _death_reason(self) -> str:
        with suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), 5)
        code = self.process.returncode
        if code is None:
            self.kill()
            return "the program closed its output"
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
            if name == "SIGXCPU":
                return f"killed: CPU limit of {self.config.cpu_s} s exceeded"
            if name == "SIGXFSZ":
                return f"killed: file size limit of {self.config.file_mb} MB exceeded"
            return f"killed by {name}"
        return f"the process exited with code {code}"

    async def load(self, setup: dict[str, Any]) -> bool:
        """Send the setup (code, limits, policy); False with `load_error` set if the program does not load."""
        reply = await self._request(setup, self.config.start_timeout_s)
        if isinstance(reply, str):
            self.load_error = reply
        elif "error" in reply:
            self.load_error = str(reply["error"])
            self.load_traceback = str(reply.get("traceback", ""))
        return self.load_error is None

    async def run(self, inputs: list[Any], timeout: float) -> BatchResult:
        """Run the candidate on every input (one request); the harness measures the wall time."""
        began = time.perf_counter()
        reply = await self._request({"batch": inputs}, timeout)
        wall = time.perf_counter() - began
        if isinstance(reply, str):
            return BatchResult(error=reply, wall_s=wall)
        results = reply.get("results") if isinstance(reply, dict) else None
        if not isinstance(results, list):
            return BatchResult(error="protocol corrupted by the program", wall_s=wall)
        out = BatchResult(wall_s=wall)
        for item in results:
            if not isinstance(item, dict) or "output" not in item:
                out.error = str(item.get("error", "no output")) if isinstance(item, dict) else "bad result"
                out.traceback = str(item.get("traceback", "")) if isinstance(item, dict) else ""
                break
            out.outputs.append(item["output"])
        if out.error is None and len(out.outputs) < len(inputs):
            out.error = "protocol corrupted by the program (missing answers)"
        return out

    def kill(self) -> None:
        """SIGKILL the runner (through its pidfd; the zygote then kills the rest of its process group)."""
        self.process.kill()

    async def close(self) -> None:
        """Kill the group (the runner holds nothing worth flushing) and reap the process."""
        self.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()
        with suppress(ProcessLookupError):
            await self.process.wait()
        self._drain.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await self._drain


def runner_setup(
    code: str,
    config: SandboxConfig,
    *,
    entry: str = "schedule",
    array_fields: tuple[str, ...] = (),
    numpy_inputs: bool = False,
    uid: int | None = None,
) -> dict[str, Any]:
    """The setup line sent to the runner: code, rlimits, policy and input conversion."""
    limits = {
        "RLIMIT_AS": config.memory_mb * 2**20,
        "RLIMIT_CPU": config.cpu_s,
        "RLIMIT_FSIZE": config.file_mb * 2**20,
        "RLIMIT_NPROC": 1,
    }
    return {
        "code": code,
        "entry": entry,
        "limits": limits,
        "policy": config.policy,
        "uid": uid,
        "gid": uid,
        "preload": config.preload,
        "array_fields": list(array_fields),
        "numpy_inputs": numpy_inputs,
        "max_files": config.max_files,
    }


def _python_flags(site_packages: bool) -> list[str]:
    return ["-I"] if site_packages else ["-I", "-S"]


def _drop_uid(config: SandboxConfig) -> int | None:
    return config.drop_to_uid if os.geteuid() == 0 else None


class ForkedProcess:
    """A runner forked by the fork server, with the parts of asyncio's Process that Sandbox uses.

    Its exit status arrives on a status pipe written by the zygote once it has reaped the runner (no polling,
    no round trip); it is signalled through a pidfd, so a kill can never hit a process that reused its pid.
    """

    def __init__(
        self,
        pid: int,
        pidfd: int | None,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
        status: asyncio.StreamReader,
    ) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
        self._pidfd = pidfd
        self._status = status
        self._returncode: int | None = None
        self._waiter: asyncio.Future[int] | None = None

    @property
    def returncode(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while the runner has not been reaped."""
        return self._returncode

    async def wait(self) -> int:
        """The exit code, once the zygote reports it (a dead zygote reports nothing: the runner counts as killed)."""
        if self._waiter is None:
            self._waiter = asyncio.ensure_future(self._collect())
        return await asyncio.shield(self._waiter)

    async def _collect(self) -> int:
        line = await self._status.read()
        if line.strip():
            self._returncode = os.waitstatus_to_exitcode(int(line))
        else:  # the zygote died before reaping it: make sure it is gone
            self.kill()
            self._returncode = -signal.SIGKILL
        self._release()
        return self._returncode

    def kill(self) -> None:
        """SIGKILL the runner (the zygote then kills the rest of its group before reaping it)."""
        if self._returncode is not None:
            return
        if self._pidfd is None:  # a kernel without pidfds: the group, while the runner has not been reaped
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            return
        with suppress(ProcessLookupError, PermissionError, OSError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _release(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def __del__(self) -> None:
        self._release()


class ForkServer:
    """A long-lived zygote (`_runner.py --fork-server`) inside bubblewrap that forks one runner per program.

    It saves the sandbox set-up, the interpreter start and the module imports of every evaluation (most of
    the per-candidate overhead). Every runner shares the zygote's namespaces and starts its own session, sets
    every rlimit and drops privileges; RLIMIT_NPROC = 1 forbids any process of its own. The zygote alone
    reaps runners and pushes each exit status down a pipe of its own, so the status is exact whatever the
    load (asking for it and then looking at /proc raced with the exit and reported exits as kills).
    Runners of one server can see each other (one sandbox); the harness, its files and /proc cannot be seen.
    Thread-safe; any event loop may spawn through it. Raises `IsolationUnavailable` when there is no
    bubblewrap and `config.allow_unisolated` is off.
    """

    def __init__(self, config: SandboxConfig, *, site_packages: bool = False) -> None:
        self.config = config
        self.site_packages = site_packages or config.site_packages or "numpy" in config.preload
        self.iso: Isolation = require_isolation(config.allow_unisolated, config.isolation)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._home: str | None = None
        self.drop_uid = _drop_uid(config)
        # bubblewrap's --die-with-parent follows the thread that started it: one thread starts the zygote and
        # talks to it for the server's whole life (a pool thread that ends would take the sandbox with it)
        self._thread: ThreadPoolExecutor | None = None

    def _launcher(self) -> ThreadPoolExecutor:
        """The one thread that starts the zygote and talks to it (created on first use, ended by `close`)."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schedbench-fork-server")
        return self._thread

    @property
    def isolated(self) -> bool:
        return self.iso.available

    @property
    def home(self) -> str:
        """The host directory mounted writable at /sandbox/work in the sandbox; every runner works below it."""
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="schedbench-sandbox-", dir=self.config.tmp_root)
            os.chmod(self._home, 0o711)  # runners that dropped to nobody must reach their own directories
        return self._home

    def new_workdir(self) -> tuple[str, str]:
        """A fresh working directory for one runner: (path on the host, path the runner sees)."""
        host = tempfile.mkdtemp(prefix="run-", dir=self.home)
        if self.drop_uid is not None:
            os.chown(host, self.drop_uid, self.drop_uid)
            os.chmod(host, 0o711)  # the zygote, root without capabilities, must be able to enter it
        inside = f"{INSIDE_WORK}/{os.path.basename(host)}" if self.isolated else host
        return host, inside

    def command(self, fd: int) -> list[str]:
        """The zygote's command line: inside bubblewrap when isolated."""
        python = interpreter(self.site_packages)
        runner = INSIDE_RUNNER if self.isolated else str(RUNNER)
        tail = [python, *_python_flags(self.site_packages), runner, "--fork-server", str(fd)]
        if not self.isolated:
            return tail
        env = scrubbed_env(self.config.env, INSIDE_WORK)
        assert self.iso.bwrap is not None
        prefix = bwrap_command(
            self.iso.bwrap, self.home, env, network=self.config.network, site_packages=self.site_packages
        )
        return prefix + tail

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log = os.open(os.path.join(self.home, ".zygote.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:  # no /dev/null: some machines deny it to ordinary users
            self._process = subprocess.Popen(
                self.command(theirs.fileno()),
                pass_fds=[theirs.fileno()],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                cwd=self.home,
                env=scrubbed_env(self.config.env, self.home),
                start_new_session=True,
            )
        finally:
            os.close(log)
        assert self._process.stdin is not None
        self._process.stdin.close()
        theirs.close()
        ours.settimeout(self.config.start_timeout_s)
        self._control = ours

    def _fork(self, request: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        """One fork request and its answer (with the child's pidfd); a dead zygote is replaced once."""
        with self._lock:
            for attempt in (1, 2):
                if self._process is None or self._process.poll() is not None:
                    self._stop()
                    self._start()
                assert self._control is not None
                try:
                    socket.send_fds(self._control, [json.dumps(request).encode()], fds)
                    reply, pidfds, _, _ = socket.recv_fds(self._control, 65536, 1)
                except OSError:
                    reply, pidfds = b"", []
                if reply:
                    return json.loads(reply), pidfds
                for fd in pidfds:
                    os.close(fd)
                self._stop()
                if attempt == 2:
                    raise OSError("the fork server closed its control socket")
        raise AssertionError("unreachable")

    async def spawn(self, workdir: str, program: dict[str, Any] | None = None) -> ForkedProcess:
        """Fork a runner working in `workdir` (as the runner sees it), with asyncio streams on its stdin, stdout,
        stderr and status: the evolve protocol runner, or with `program` a plain program (`run_python`)."""
        loop = asyncio.get_running_loop()
        pipes = [os.pipe() for _ in range(4)]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        try:
            reply, pidfds = await loop.run_in_executor(
                self._launcher(),
                self._fork,
                {"cwd": workdir, "preload": self.config.preload, "program": program},
                theirs,
            )
        except BaseException:
            for fd in (pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        readers = []
        for read_end, limit in ((pipes[1][0], 64 * 2**20), (pipes[2][0], 2**16), (pipes[3][0], 2**16)):
            reader = asyncio.StreamReader(limit=limit)
            protocol_factory = functools.partial(asyncio.StreamReaderProtocol, reader)
            await loop.connect_read_pipe(protocol_factory, os.fdopen(read_end, "rb", 0))
            readers.append(reader)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(pipes[0][1], "wb", 0)
        )
        stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        return ForkedProcess(int(reply["pid"]), pidfds[0] if pidfds else None, stdin, *readers)

    def _stop(self) -> None:
        """Stop the zygote and, with it, its whole sandbox (runners it forked die with the namespace)."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def close(self) -> None:
        """Stop the zygote and delete its directory."""
        if self._thread is not None:
            self._thread.submit(self._stop).result()
            self._thread.shutdown()
            self._thread = None
        self._stop()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None


@asynccontextmanager
async def open_sandbox(
    code: str, config: SandboxConfig | None = None, *, server: ForkServer | None = None, **setup: Any
) -> AsyncIterator[Sandbox]:
    """Start a runner process for `code` (forked by `server`, or by a zygote of its own) and load it; the
    runner is killed and its directory deleted on exit, whatever happens (timeouts, exceptions, cancellation).
    Raises `IsolationUnavailable` when there is no OS isolation and `config.allow_unisolated` is off."""
    config = config or SandboxConfig()
    own = server is None
    if server is None:
        server = ForkServer(config, site_packages=bool(setup.get("numpy_inputs")))
    try:
        workdir, inside = server.new_workdir()
        box = Sandbox(await server.spawn(inside), workdir, config)
        try:
            await box.load(runner_setup(code, config, uid=server.drop_uid, **setup))
            yield box
        finally:
            await box.close()
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        if own:
            server.close()
