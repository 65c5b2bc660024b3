"""The seccomp layer: every denied system call fails inside the sandbox, the filter (not missing privileges) is
what denies them, and ordinary programs (threads, fork, numpy, OR-Tools with several workers) still run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

from schedbench.sandbox import ProgramLimits, isolation, run_python, seccomp

# name -> (arguments: harmless or invalid, so that an unfiltered call cannot do anything), errno expected inside
CALLS: dict[str, tuple[tuple[int, ...], int]] = {
    "ptrace": ((0, 0, 0, 0), errno.EPERM),  # PTRACE_TRACEME
    "process_vm_readv": ((1, 0, 0, 0, 0, 0), errno.EPERM),
    "mount": ((0, 0, 0, 0, 0), errno.EPERM),
    "umount2": ((0, 0), errno.EPERM),
    "pivot_root": ((0, 0), errno.EPERM),
    "open_by_handle_at": ((-1, 0, 0), errno.EPERM),
    "keyctl": ((0, -3, 0), errno.EPERM),  # KEYCTL_GET_KEYRING_ID of the session keyring
    "add_key": ((0, 0, 0, 0, 0), errno.EPERM),
    "bpf": ((0, 0, 0), errno.EPERM),
    "perf_event_open": ((0, 0, -1, -1, 0), errno.EPERM),
    "userfaultfd": ((0,), errno.EPERM),
    "io_uring_setup": ((1, 0), errno.EPERM),
    "kexec_load": ((0, 0, 0, 0), errno.EPERM),
    "reboot": ((0, 0, 0, 0), errno.EPERM),  # wrong magic numbers: EINVAL if it got through
    "init_module": ((0, 0, 0), errno.EPERM),
    "finit_module": ((-1, 0, 0), errno.EPERM),
    "delete_module": ((0, 0), errno.EPERM),
    "unshare": ((0x10000000,), errno.EPERM),  # CLONE_NEWUSER
    "setns": ((-1, 0), errno.EPERM),
    "clone": ((0x10000000 | 17, 0, 0, 0, 0), errno.EPERM),  # CLONE_NEWUSER | SIGCHLD
    "clone3": ((0, 0), errno.ENOSYS),  # the C library falls back to clone
}

CALLER = """import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
out = {}
for name, (number, args) in CALLS.items():
    ctypes.set_errno(0)
    result = libc.syscall(number, *[ctypes.c_long(a) for a in args])
    if name == "clone" and result == 0:  # the child of a clone that went through
        os._exit(0)
    out[name] = ctypes.get_errno() if result == -1 else 0
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
print(json.dumps({"errors": out, "seccomp": status["Seccomp"].strip()}))
"""


def caller_source(calls: dict[str, tuple[tuple[int, ...], int]]) -> str:
    numbers = {name: (seccomp.syscall_number(name), args) for name, (args, _) in calls.items()}
    assert all(number is not None for number, _ in numbers.values()), numbers
    return f"CALLS = {numbers!r}\n{CALLER}"


def test_the_filter_compiles_to_bpf() -> None:
    program = seccomp.filter_program()
    assert program is not None and len(program) > 8 * len(seccomp.DENIED) and len(program) % 8 == 0
    assert isolation().seccomp, isolation().seccomp_note


def test_every_denied_call_fails_inside_the_sandbox() -> None:
    result = run_python(caller_source(CALLS), limits=ProgramLimits(policy=False), modules=("ctypes", "json"))
    assert result.ok, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["seccomp"] == "2"  # a filter is loaded
    got = report["errors"]
    assert {name: got[name] for name in CALLS} == {name: code for name, (_, code) in CALLS.items()}


def test_the_filter_is_what_denies_them() -> None:
    """As root with every capability (a plain bubblewrap over the host's root), the harmless calls go through or
    fail for another reason; with only the filter added, each gets EPERM."""
    harmless = {name: CALLS[name] for name in ("unshare", "keyctl", "userfaultfd", "reboot", "mount", "clone")}
    harmless["unshare"] = ((0x04000000,), errno.EPERM)  # CLONE_NEWUTS: allowed to root
    harmless["clone"] = ((0x04000000 | 17, 0, 0, 0, 0), errno.EPERM)  # a child in a new UTS namespace
    source = caller_source(harmless)

    def run(with_filter: bool) -> dict[str, int]:
        descriptor = seccomp.filter_descriptor() if with_filter else None
        command = [shutil.which("bwrap") or "bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        command += ["--seccomp", str(descriptor)] if descriptor is not None else []
        try:
            done = subprocess.run(
                [*command, "--", sys.executable, "-c", source],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
                pass_fds=[descriptor] if descriptor is not None else [],
            )
        finally:
            if descriptor is not None:
                os.close(descriptor)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])["errors"]

    plain, filtered = run(False), run(True)
    assert all(code != errno.EPERM for code in plain.values()), plain
    assert filtered == dict.fromkeys(harmless, errno.EPERM)


SOLVE = """import numpy
from ortools.sat.python import cp_model
model = cp_model.CpModel()
x = model.new_int_var(0, 10, "x")
y = model.new_int_var(0, 10, "y")
model.add(x + y <= 12)
model.maximize(3 * x + 2 * y)
solver = cp_model.CpSolver()
solver.parameters.num_workers = WORKERS
status = solver.solve(model)
print(int(numpy.arange(10).sum()), status == cp_model.OPTIMAL, solver.objective_value)
"""


def test_numpy_and_ortools_still_run_in_the_sandbox() -> None:
    limits = ProgramLimits(policy=False, memory_mb=4096, timeout_s=120, cpu_s=60)
    source = SOLVE.replace("WORKERS", "1")  # the sandbox allows no threads (RLIMIT_NPROC), filter or not
    result = run_python(source, limits=limits, modules=("numpy", "ortools.sat.python.cp_model"))
    assert result.ok, result.stderr.decode()
    assert result.stdout.decode().split() == ["45", "True", "34.0"]


def test_threads_fork_and_a_parallel_solver_work_under_the_filter() -> None:
    """Where processes and threads are allowed, the filter leaves them working (clone3 answers ENOSYS, the C
    library falls back to clone without namespace flags)."""
    source = (
        "import os, threading\nthread = threading.Thread(target=print, args=('thread',))\nthread.start()\n"
        "thread.join()\npid = os.fork()\nif pid == 0:\n    os._exit(7)\nprint('fork', os.waitpid(pid, 0)[1] >> 8)\n"
        + SOLVE.replace("WORKERS", "4")
    )
    descriptor = seccomp.filter_descriptor()
    assert descriptor is not None
    command = [shutil.which("bwrap") or "bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    try:
        done = subprocess.run(
            [*command, "--seccomp", str(descriptor), "--", sys.executable, "-c", source],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            pass_fds=[descriptor],
        )
    finally:
        os.close(descriptor)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["thread", "fork", "7", "45", "True", "34.0"]
