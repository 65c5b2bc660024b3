"""The sandbox runner, forked by its zygote (`python -I _runner.py --fork-server FD`); never imported by the harness.

Two kinds of runner: the evolve protocol below, and a plain program (`run_python`): the source runs as
`__main__` with the caller's stdin, stdout and stderr, under the same limits, and its exit code is the process's.

Protocol (one JSON document per line): the harness writes a setup line, the runner answers
`{"ready": true}` or `{"error": ...}`; then for each batch line `{"batch": [input, ...]}` it answers
`{"results": [{"output", "time_s"} | {"error", "traceback"}, ...]}` and stops the batch at the first error.
End of input ends the process.

Before the candidate is compiled the runner, in this order: keeps its protocol channel on a private file
descriptor and points fd 1 at stderr (so `print` cannot corrupt the protocol), pre-imports the allowed modules,
installs an audit hook (no process creation, sockets, ctypes, writes outside the working directory, reads of
/proc environments), sets RLIMIT_AS / RLIMIT_CPU / RLIMIT_FSIZE / RLIMIT_NPROC, and, when started as root,
drops to an unprivileged uid. Inputs reach the candidate frozen (tuples, read-only mappings, read-only numpy
arrays) and are compared with a snapshot after each call.

Only the standard library is imported here (numpy only when the setup asks for array inputs).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import types

TYPE_CHECKING = False  # the standard library's typing stays unimported in the sandbox
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

_BLOCKED_IMPORTS = frozenset(
    {
        "ctypes",
        "_ctypes",
        "cffi",
        "_posixsubprocess",
        "subprocess",
        "multiprocessing",
        "_multiprocessing",
        "socket",
        "_socket",
        "ssl",
        "_ssl",
        "asyncio",
        "concurrent",
        "urllib",
        "http",
        "ftplib",
        "smtplib",
        "pty",
        "fcntl",
        "mmap",
        "signal",
        "_signal",
        "resource",
        "threading",
        "_thread",
    }
)
_BLOCKED_EVENTS = (
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.exec",
    "os.system",
    "os.kill",
    "os.killpg",
    "subprocess.Popen",
    "socket.",
    "ctypes.",
    "os.setuid",
    "os.setgid",
    "os.setsid",
    "os.setpgid",
    "os.putenv",
    "os.unsetenv",
)
_WRITE_EVENTS = (
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.symlink",
    "os.link",
    "os.utime",
    "shutil.",
    "os.chdir",
    "os.chroot",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class SandboxViolation(PermissionError):
    """Raised inside the candidate when it attempts something the sandbox forbids."""


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = None
    setup = json.loads(requests.readline())
    try:
        schedule = prepare(setup)
    except BaseException as exc:
        send(protocol, {"error": describe(exc), "traceback": tail(traceback.format_exc())})
        return
    send(protocol, {"ready": True})
    arrays = frozenset(setup.get("array_fields") or ())
    numpy = sys.modules.get("numpy") if setup.get("numpy_inputs") else None
    for line in requests:
        batch = json.loads(line)["batch"]
        send(protocol, {"results": run_batch(schedule, batch, arrays, numpy)})


def prepare(setup: dict) -> types.FunctionType:
    """Lock the process down, then compile and load the candidate; returns its entry function."""
    import linecache
    import resource  # noqa: F401 - before the audit hook, which blocks these
    import signal  # noqa: F401

    for name in setup.get("preload") or ():
        __import__(name)
    if setup.get("numpy_inputs"):
        import numpy  # noqa: F401
    workdir = os.path.realpath(os.getcwd())
    limit_resources(setup.get("limits") or {})
    if setup.get("policy", True):
        sys.addaudithook(_policy(workdir, int(setup.get("max_files", 32))))
    drop_privileges(setup.get("uid"), setup.get("gid"))
    source = setup["code"]
    filename = os.path.join(workdir, "program.py")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType("program")
    module.__file__ = filename
    sys.modules["program"] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    entry = module.__dict__.get(setup.get("entry", "schedule"))
    if not callable(entry):
        raise TypeError(f"the program defines no function {setup.get('entry', 'schedule')!r}")
    return entry


class CpuLimitExceeded(Exception):
    """Raised in the candidate when its CPU time reaches the soft RLIMIT_CPU (the hard limit kills)."""


def limit_resources(limits: dict) -> None:
    """Set each RLIMIT_*; the CPU limit gets a soft limit one second before the hard one, reported cleanly."""
    import resource
    import signal

    def cpu_exceeded(signum: int, frame: object) -> None:
        raise CpuLimitExceeded(f"CPU limit of {limits.get('RLIMIT_CPU')} s exceeded")

    signal.signal(signal.SIGXCPU, cpu_exceeded)
    for name, value in limits.items():
        soft = hard = int(value)
        if name == "RLIMIT_CPU":
            hard = soft + 1
        resource.setrlimit(getattr(resource, name), (soft, hard))


def drop_privileges(uid: int | None, gid: int | None) -> None:
    if uid is None or os.geteuid() != 0:
        return
    os.setgroups([])
    if gid is not None:
        os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _policy(workdir: str, max_files: int) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook; `max_files` caps how many files may be opened for writing (RLIMIT_FSIZE caps each)."""
    writes = [0]

    def hook(event: str, args: tuple) -> None:
        if event == "import" and args and args[0] in _BLOCKED_IMPORTS:
            raise SandboxViolation(f"sandbox: importing {args[0]} is not allowed")
        if event.startswith(_BLOCKED_EVENTS):
            raise SandboxViolation(f"sandbox: {event} is not allowed")
        if event == "open" and _check_open(workdir, *args[:3]):
            writes[0] += 1
            if writes[0] > max_files:
                raise SandboxViolation(f"sandbox: more than {max_files} files opened for writing")
        elif event.startswith(_WRITE_EVENTS) and args:
            _check_inside(workdir, args[0], event)

    return hook


def _check_open(workdir: str, path: object, mode: object, flags: object) -> bool:
    """Refuse reads of other processes' secrets and writes outside `workdir`; True for an allowed write."""
    text = path if isinstance(path, str) else path.decode(errors="replace") if isinstance(path, bytes) else None
    if text is not None and text.startswith("/proc/") and text.endswith(("environ", "cmdline", "mem")):
        raise SandboxViolation(f"sandbox: reading {text} is not allowed")
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
    )
    if writing:
        _check_inside(workdir, path, "write")
    return bool(writing)


def _check_inside(workdir: str, path: object, what: str) -> None:
    if isinstance(path, int):
        return
    try:
        real = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]  # any object: TypeError is the answer
    except (TypeError, ValueError):
        raise SandboxViolation(f"sandbox: {what} on {path!r} is not allowed") from None
    if real != workdir and not real.startswith(workdir + os.sep):
        raise SandboxViolation(f"sandbox: {what} outside the working directory ({real}) is not allowed")


def run_batch(
    schedule: Callable[[Any], Any], batch: list[Any], arrays: frozenset[str], numpy: types.ModuleType | None
) -> list[dict[str, Any]]:
    """Call the candidate on each input; stop at the first failure."""
    results = []
    for raw in batch:
        frozen = freeze(raw, arrays, numpy)
        before = fingerprint(frozen)
        began = time.perf_counter()
        try:
            output = schedule(frozen)
            elapsed = time.perf_counter() - began
            if fingerprint(frozen) != before:
                raise SandboxViolation("the program mutated its input")
            results.append({"output": plain(output), "time_s": elapsed})
        except BaseException as exc:
            results.append({"error": describe(exc), "traceback": tail(traceback.format_exc())})
            break
    return results


def freeze(value: Any, arrays: frozenset[str], numpy: types.ModuleType | None, key: str | None = None) -> Any:
    """A read-only deep copy: dicts → mappingproxy, lists → tuples, `arrays` fields → read-only numpy."""
    if isinstance(value, dict):
        return types.MappingProxyType({k: freeze(v, arrays, numpy, k) for k, v in value.items()})
    if isinstance(value, list):
        if numpy is not None and key in arrays:
            array = numpy.array(value)
            return numpy.frombuffer(array.tobytes(), dtype=array.dtype)  # over bytes: the flag cannot be set back
        return tuple(freeze(v, arrays, numpy) for v in value)
    return value


def fingerprint(value: Any) -> object:
    """A comparable snapshot of a frozen input (catches mutation through any remaining loophole)."""
    if isinstance(value, types.MappingProxyType | dict):
        return tuple((k, fingerprint(v)) for k, v in value.items())
    if isinstance(value, tuple | list):
        return tuple(fingerprint(v) for v in value)
    if hasattr(value, "tobytes"):
        return (value.tobytes(), str(value.dtype))
    return value


def plain(value: Any, depth: int = 0) -> Any:
    """The candidate's output as JSON data (numpy arrays and scalars, tuples, ranges, generators accepted)."""
    if depth > 20:
        raise TypeError("output nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | range) or hasattr(value, "__iter__"):
        return [plain(v, depth + 1) for v in value]
    raise TypeError(f"output of type {type(value).__name__} is not JSON data")


def describe(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}"[:500] if message else type(exc).__name__


def tail(text: str, limit: int = 2000) -> str:
    return text[-limit:]


def send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, default=repr) + "\n")
    channel.flush()


def fork_server(control_fd: int) -> None:
    """Zygote mode (`_runner.py --fork-server FD`): preload once, then fork one runner per request.

    A request on the control socket is a JSON line {"cwd", "preload"} with four file descriptors: the child's
    stdin, stdout and stderr, and a status pipe that the zygote keeps. The answer is {"pid": ...} with a pidfd
    of the child (the harness signals the exact process through it, never a pid that may have been reused).
    When the child ends, the zygote kills what is left of its process group while the child is still an
    unreaped zombie (so the group id cannot have been reused), reaps it, writes its wait status as one line to
    the status pipe and closes it: the harness learns the exact status without asking. The child starts its
    own session, takes the descriptors as 0, 1, 2, and runs `main()`, which locks it down as in the spawn
    mode. End of input ends the server.
    """
    import select
    import signal
    import socket

    control = socket.socket(fileno=control_fd)
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # the wake-up descriptor does the work
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    loaded: set[str] = set()
    status_pipes: dict[int, int] = {}
    while True:
        watched: list[socket.socket | int] = [control, wake_read]
        ready, _, _ = select.select(watched, [], [])
        if wake_read in ready:
            while _drained(wake_read):
                pass
            _reap(status_pipes)
        if control not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(control, 65536, 4)
        if not message:
            return
        request = json.loads(message)
        for name in request.get("preload") or ():
            if name not in loaded:
                __import__(name)
                loaded.add(name)
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            for fd in (control.detach(), wake_read, wake_write, fds[3], *status_pipes.values()):
                os.close(fd)
            _become_runner(fds[:3], request["cwd"], request.get("program"))
        pidfd = _pidfd(pid)
        for fd in fds[:3]:
            os.close(fd)
        status_pipes[pid] = fds[3]
        socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [pidfd] if pidfd is not None else [])
        if pidfd is not None:
            os.close(pidfd)


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def _pidfd(pid: int) -> int | None:
    """A pidfd of our own unreaped child (it cannot have been reused), or None on kernels without pidfds."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _reap(status_pipes: dict[int, int]) -> None:
    """Reap every ended child: kill its group while it is a zombie, reap it, and report its wait status."""
    import contextlib
    import signal

    while True:
        try:
            ended = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if ended is None or ended.si_pid == 0:
            return
        pid = ended.si_pid
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # anything the runner left in its group, never a reused id
        _, status = os.waitpid(pid, 0)
        fd = status_pipes.pop(pid, None)
        if fd is not None:
            with contextlib.suppress(OSError):  # the harness may have stopped listening
                os.write(fd, f"{status}\n".encode())
            os.close(fd)


def _become_runner(fds: list[int], cwd: str, program: dict | None) -> None:
    import signal

    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(cwd)
        os.environ["HOME"] = os.environ["TMPDIR"] = cwd
        for name in ("socket", "_socket", "selectors", "select"):
            sys.modules.pop(name, None)
        if program is not None:
            run_program(program)
        main()
    finally:
        os._exit(0)


def run_program(setup: dict) -> None:
    """Run `setup["code"]` as `__main__` under the limits, the policy and the dropped uid; exit with its code."""
    workdir = os.path.realpath(os.getcwd())
    limit_resources(setup.get("limits") or {})
    if setup.get("policy", True):
        sys.addaudithook(_policy(workdir, int(setup.get("max_files", 32))))
    drop_privileges(setup.get("uid"), setup.get("gid"))
    filename = os.path.join(workdir, "program.py")
    sys.argv = [filename]
    code = 0
    try:
        exec(compile(setup["code"], filename, "exec"), {"__name__": "__main__", "__file__": filename})
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            code = code or 1
    os._exit(code)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fork-server":
        fork_server(int(sys.argv[2]))
    else:
        main()
