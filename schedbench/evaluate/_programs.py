"""Running the programs of the formalize strategy: one sandbox (a fork server with the allowed modules loaded)
per run, at most one program per core at a time, and each program's end sorted into a failure type.

A program never runs in the harness's process: it is forked from the zygote inside bubblewrap, with rlimits,
no network, a scrubbed environment (no keys), a private working directory removed afterwards and a
process-group kill (`schedbench.sandbox`). What it printed is then read and verified like a direct answer.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass

from schedbench.sandbox import ForkServer, ProgramLimits, ProgramResult, SandboxConfig, run_python_async

#: Modules a program may import (loaded in the zygote before the lock-down, which allows no others as root).
PROGRAM_MODULES = (
    "abc",
    "array",
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "json",
    "math",
    "operator",
    "random",
    "re",
    "statistics",
    "string",
    "sys",
    "time",
    "typing",
    "numpy",
    "ortools.sat.python.cp_model",
)
STDOUT_KEPT = 8000  # characters of a program's stdout stored with its round
STDERR_KEPT = 4000  # characters of the end of its stderr stored (and shown in feedback: the last 1,500)
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")
_OWN_PATH = re.compile(r'"[^"\n]*/run-[^/"\n]+/program\.py"')  # the program's random working directory
_RUNNER_FRAME = re.compile(r'^ *File "[^"\n]*_runner\.py".*\n', re.MULTILINE)  # the sandbox's own frame
_IMPORT = ("ModuleNotFoundError", "ImportError")


@dataclass
class ProgramRun:
    """How one program ended: its failure type (None: it printed something to read), a one-line detail, its
    run time, exit code and output (stdout whole, up to the sandbox's output limit, read as the answer; stored
    truncated)."""

    failure: str | None
    detail: str
    wall_s: float
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool

    def stored(self) -> dict[str, object]:
        """What the round stores of the run."""
        return {
            "program_failure": self.failure,
            "program_detail": self.detail,
            "program_wall_s": round(self.wall_s, 4),
            "program_exit_code": self.exit_code,
            "program_stdout": self.stdout[:STDOUT_KEPT],
            "program_stderr": self.stderr,
            "program_stdout_truncated": self.stdout_truncated or len(self.stdout) > STDOUT_KEPT,
        }


def failure_type(result: ProgramResult) -> tuple[str | None, str]:
    """The failure type of a program's run (None when it ended well and printed something) and its detail."""
    stderr = result.stderr.decode(errors="replace")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if result.kind in ("timeout", "cpu"):
        return "timeout", result.detail
    if result.kind == "memory" or "MemoryError" in last or "bad_alloc" in stderr:
        return "memory", result.detail if result.kind == "memory" else last[:200]
    if result.kind == "ok":
        return (None, "") if result.stdout.strip() else ("no_output", "it printed nothing")
    if last.startswith(_SYNTAX):
        return "syntax_error", last[:200]
    if last.startswith(_IMPORT) or "sandbox: importing " in last:  # missing, or refused by the sandbox
        return "import_error", last[:200]
    return "runtime_error", (last or result.detail)[:200]


def same_every_run(stderr: str) -> str:
    """A program's stderr without what differs between two runs of it (its random working directory, the
    sandbox's own traceback frame), so the feedback built from it, and the cache keys of the rounds after
    it, are the same when a run is resumed."""
    return _RUNNER_FRAME.sub("", _OWN_PATH.sub('"program.py"', stderr))


class Programs:
    """The sandbox of one run's programs (started on first use; `close` stops it and removes its files)."""

    def __init__(self, timeout_s: float, memory_mb: int, parallel: int | None = None) -> None:
        self.limits = ProgramLimits(
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            cpu_s=max(1, int(timeout_s) + 1),  # the wall clock is the limit that counts; CPU a backstop
            output_bytes=1 << 20,
        )
        self.slots = asyncio.Semaphore(parallel or max(1, os.cpu_count() or 1))
        self.server: ForkServer | None = None

    def _server(self) -> ForkServer:
        if self.server is None:
            config = SandboxConfig(
                preload=list(PROGRAM_MODULES),
                site_packages=True,
                memory_mb=self.limits.memory_mb,
                cpu_s=self.limits.cpu_s,
            )
            self.server = ForkServer(config)
        return self.server

    async def run(self, source: str, stdin: bytes) -> ProgramRun:
        """Run one program on `stdin` in the sandbox."""
        async with self.slots:
            result = await run_python_async(
                source, stdin, limits=self.limits, modules=PROGRAM_MODULES, server=self._server()
            )
        failure, detail = failure_type(result)
        stdout = result.stdout.decode(errors="replace")
        stderr = same_every_run(result.stderr.decode(errors="replace"))
        return ProgramRun(
            failure=failure,
            detail=detail,
            wall_s=result.wall_s,
            exit_code=result.exit_code,
            stdout=stdout,
            stderr=stderr[-STDERR_KEPT:],
            stdout_truncated=result.stdout_truncated,
        )

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
