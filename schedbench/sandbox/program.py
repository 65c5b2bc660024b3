"""`run_python`: run one untrusted Python program (source text) with some stdin, and say how it ended."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from schedbench.sandbox.process import ForkServer, SandboxConfig

FailureKind = Literal["ok", "exit_code", "timeout", "memory", "cpu", "file_size", "killed"]


class ProgramLimits(BaseModel):
    """Limits of one program run (every field has a default)."""

    timeout_s: float = Field(10.0, gt=0, description="wall clock, from the fork to the end of the output")
    memory_mb: int = Field(512, ge=64, description="RLIMIT_AS")
    cpu_s: int = Field(10, ge=1, description="RLIMIT_CPU")
    file_mb: int = Field(16, ge=0, description="RLIMIT_FSIZE: largest file the program may write in its directory")
    max_files: int = Field(32, ge=0, description="files it may open for writing (audit-hook layer)")
    output_bytes: int = Field(1 << 20, ge=0, description="stdout and stderr are each kept up to this size")
    policy: bool = Field(True, description="the audit-hook layer (the OS isolation holds without it)")


@dataclass
class ProgramResult:
    """How a program ended: its exit code (negative: the signal that killed it), its output, and why it failed."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_s: float
    kind: FailureKind
    detail: str

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def run_python(
    source: str,
    stdin: bytes = b"",
    *,
    limits: ProgramLimits | None = None,
    modules: tuple[str, ...] = (),
    allow_unisolated: bool = False,
    server: ForkServer | None = None,
) -> ProgramResult:
    """Run `source` as `__main__` in the sandbox (bubblewrap, rlimits, audit hook) with `stdin`; blocks.

    `modules` are imported before the lock-down (as root, the program can import only these and what the
    interpreter loads itself). Pass a `server` (from `program_server`) to reuse one zygote across many runs.
    Raises `IsolationUnavailable` when there is no OS isolation and `allow_unisolated` is False.
    """
    return asyncio.run(
        run_python_async(
            source, stdin, limits=limits, modules=modules, allow_unisolated=allow_unisolated, server=server
        )
    )


def program_server(
    modules: tuple[str, ...] = (), *, allow_unisolated: bool = False, tmp_root: str | None = None
) -> ForkServer:
    """A zygote for many `run_python` calls (close it when done)."""
    return ForkServer(_config(ProgramLimits(), modules, allow_unisolated, tmp_root))


def _config(
    limits: ProgramLimits, modules: tuple[str, ...], allow_unisolated: bool, tmp_root: str | None = None
) -> SandboxConfig:
    return SandboxConfig(
        memory_mb=limits.memory_mb,
        cpu_s=limits.cpu_s,
        file_mb=limits.file_mb,
        max_files=limits.max_files,
        policy=limits.policy,
        preload=list(modules),
        allow_unisolated=allow_unisolated,
        tmp_root=tmp_root,
    )


async def run_python_async(
    source: str,
    stdin: bytes = b"",
    *,
    limits: ProgramLimits | None = None,
    modules: tuple[str, ...] = (),
    allow_unisolated: bool = False,
    server: ForkServer | None = None,
) -> ProgramResult:
    """`run_python` for callers inside an event loop."""
    limits = limits or ProgramLimits()
    own = server is None
    if server is None:
        server = ForkServer(_config(limits, modules, allow_unisolated))
    try:
        workdir, inside = server.new_workdir()
        try:
            return await _run(server, inside, source, stdin, limits, modules)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        if own:
            server.close()


async def _run(
    server: ForkServer, inside: str, source: str, stdin: bytes, limits: ProgramLimits, modules: tuple[str, ...]
) -> ProgramResult:
    program = {
        "code": source,
        "limits": {
            "RLIMIT_AS": limits.memory_mb * 2**20,
            "RLIMIT_CPU": limits.cpu_s,
            "RLIMIT_FSIZE": limits.file_mb * 2**20,
            "RLIMIT_NPROC": 1,
        },
        "policy": limits.policy,
        "max_files": limits.max_files,
        "uid": server.drop_uid,
        "gid": server.drop_uid,
    }
    began = time.perf_counter()
    process = await server.spawn(inside, program)
    timed_out = False
    try:
        feed = asyncio.ensure_future(_feed(process.stdin, stdin))
        out = asyncio.ensure_future(_bounded(process.stdout, limits.output_bytes))
        err = asyncio.ensure_future(_bounded(process.stderr, limits.output_bytes))
        try:
            await asyncio.wait_for(asyncio.gather(out, err), limits.timeout_s)
        except TimeoutError:
            timed_out = True
            process.kill()
        code = await process.wait()
    finally:
        process.kill()
        await process.wait()
    wall = time.perf_counter() - began
    feed.cancel()
    (stdout, cut_out), (stderr, cut_err) = await _result(out), await _result(err)
    kind, detail = classify(code, stderr, timed_out, limits)
    return ProgramResult(code, stdout, stderr, cut_out, cut_err, wall, kind, detail)


async def _feed(writer: asyncio.StreamWriter, data: bytes) -> None:
    with suppress(BrokenPipeError, ConnectionResetError):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _bounded(reader: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    """Everything the program writes, of which the first `limit` bytes are kept."""
    kept, cut = bytearray(), False
    while chunk := await reader.read(65536):
        room = limit - len(kept)
        kept += chunk[:room]
        cut = cut or len(chunk) > room
    return bytes(kept), cut


async def _result(task: asyncio.Future) -> tuple[bytes, bool]:
    if not task.done():
        task.cancel()
    with suppress(asyncio.CancelledError):
        return await task
    return b"", True


def classify(code: int | None, stderr: bytes, timed_out: bool, limits: ProgramLimits) -> tuple[FailureKind, str]:
    """The failure kind of a run, and a one-line detail."""
    last = stderr.strip().splitlines()[-1].decode(errors="replace") if stderr.strip() else ""
    if timed_out:
        return "timeout", f"no end within {limits.timeout_s:g} s (killed)"
    if code == 0:
        return "ok", ""
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        if name == "SIGXCPU":
            return "cpu", f"CPU limit of {limits.cpu_s} s exceeded"
        if name == "SIGXFSZ":
            return "file_size", f"file size limit of {limits.file_mb} MB exceeded"
        return "killed", f"killed by {name}"
    if last.startswith("MemoryError"):
        return "memory", f"memory limit of {limits.memory_mb} MB exceeded"
    if "CpuLimitExceeded" in last:
        return "cpu", f"CPU limit of {limits.cpu_s} s exceeded"
    if "File too large" in last:
        return "file_size", f"file size limit of {limits.file_mb} MB exceeded"
    return "exit_code", f"exited with code {code}" + (f": {last[:200]}" if last else "")
