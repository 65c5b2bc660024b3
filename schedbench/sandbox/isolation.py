"""Which operating-system isolation untrusted programs get here, and the bubblewrap command that provides it.

The boundary is bubblewrap (`bwrap`, Debian's `bubblewrap`, the sandbox Flatpak uses): every untrusted
process lives in new PID, network, IPC, UTS and mount namespaces and sees a root of its own, built from
read-only binds of only what the interpreter needs (/usr, the Python installation, the runner script) plus one
private writable directory; no /home, no /root, no run folder, no results database, and a /proc showing only
the sandbox. It dies with its parent (`--die-with-parent`) and starts a new session (no terminal injection).
A seccomp deny-list (`schedbench.sandbox.seccomp`, compiled by libseccomp) is loaded by bubblewrap before the
program starts: tracing, mounts, keyrings, eBPF, perf events, userfaultfd, io_uring, kexec, modules, reboot and
new namespaces fail with EPERM. Started by root, the sandbox keeps only CAP_SETUID/CAP_SETGID so that the runner
can drop to an unprivileged uid (then RLIMIT_NPROC applies); started by an ordinary user it runs in a user
namespace, which bubblewrap creates unprivileged where the kernel allows user namespaces.

Without bubblewrap (or where it cannot create namespaces) nothing isolates the program but rlimits and the
audit hook; callers refuse to run untrusted code then unless explicitly allowed (`IsolationUnavailable`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from schedbench.errors import InputError
from schedbench.sandbox import seccomp

#: Where the sandbox's private writable directory and the runner script appear inside the sandbox.
INSIDE_WORK = "/sandbox/work"
INSIDE_RUNNER = "/sandbox/_runner.py"
RUNNER = Path(__file__).with_name("_runner.py")
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"
_NAMESPACES = ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")


class IsolationUnavailable(InputError):
    """Untrusted code was about to run without operating-system isolation, and that was not allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__("sandbox", None, f"no OS isolation for untrusted code ({reason}); {INSTALL_HINT}")


@dataclass(frozen=True)
class Isolation:
    """The isolation available on this machine: whether bubblewrap works, how, and a line per layer."""

    available: bool
    bwrap: str | None
    user_namespace: bool
    note: str
    seccomp: bool = False
    seccomp_note: str = "not probed"

    def layers(self, *, policy: bool = True, network: bool = False) -> list[tuple[str, bool, str]]:
        """(layer, active, detail) for every layer a sandboxed program gets, outermost first."""
        root = os.geteuid() == 0
        on = self.available
        return [
            ("bubblewrap", on, self.note),
            ("PID, IPC, UTS, cgroup namespaces", on, "the program sees only its own processes"),
            ("network namespace", on and not network, "no interfaces but a down loopback"),
            ("mount namespace, read-only root", on, "/usr and the Python installation only; one private /sandbox/work"),
            ("user namespace", on and self.user_namespace, "unprivileged bubblewrap" if not root else "not needed"),
            ("die with parent, new session", on, "--die-with-parent --new-session"),
            ("privilege drop", root, "root drops to nobody inside the sandbox" if root else "already unprivileged"),
            ("rlimits", True, "address space, CPU, file size, processes"),
            ("audit hook (second layer)", policy, "clear refusals; not a security boundary"),
            ("seccomp", on and self.seccomp, self.seccomp_note),
        ]


def python_binds(site_packages: bool) -> list[str]:
    """Read-only binds for the interpreter: its installation and, with site-packages, the environment."""
    paths = {Path(sys.base_prefix).resolve(), Path(os.path.realpath(sys.executable)).parent.parent}
    if site_packages:
        paths.add(Path(sys.prefix).resolve())
    binds = []
    for path in sorted(paths):
        if not str(path).startswith("/usr/") and str(path) != "/usr":
            binds += ["--ro-bind", str(path), str(path)]
    if site_packages and Path(sys.prefix).resolve() != Path(sys.prefix):
        binds += ["--ro-bind", sys.prefix, sys.prefix]
    return binds


def interpreter(site_packages: bool) -> str:
    """The interpreter path to run inside the sandbox (the environment's, for its site-packages)."""
    return sys.executable if site_packages else os.path.realpath(sys.executable)


def _system_dirs() -> list[str]:
    """/usr read-only, and /bin, /lib, /lib64, /sbin as the host has them (symlinks on merged-/usr systems)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def bwrap_command(
    bwrap: str,
    work: str,
    env: dict[str, str],
    *,
    network: bool = False,
    site_packages: bool = False,
    seccomp_fd: int | None = None,
) -> list[str]:
    """The bubblewrap command prefix: namespaces, a root of read-only binds, `work` writable at /sandbox/work, and
    the seccomp filter read from `seccomp_fd` (which the caller passes to the process and closes after)."""
    args = [bwrap, *_NAMESPACES, "--die-with-parent", "--new-session"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    if not network:
        args.append("--unshare-net")
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
    else:
        args.append("--unshare-user")
    # the private /tmp first: binds below it (an environment in a checkout under /tmp) must land on top of it
    args += [*_system_dirs(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *python_binds(site_packages)]
    args += ["--ro-bind", str(RUNNER), INSIDE_RUNNER]
    args += ["--bind", work, INSIDE_WORK, "--chdir", INSIDE_WORK, "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return [*args, "--"]


@cache
def isolation() -> Isolation:
    """Probe once whether bubblewrap can start the interpreter here in its namespaces, and whether it can load
    the seccomp filter there too."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Isolation(False, None, False, "bwrap not found")
    failure = _probe(bwrap, with_seccomp=False)
    if failure is not None:
        return Isolation(False, bwrap, False, failure)
    user = os.geteuid() != 0
    note = f"{bwrap} ({'user namespace' if user else 'as root, caps dropped'})"
    if seccomp.filter_program() is None:
        return Isolation(True, bwrap, user, note, False, seccomp.note())
    failure = _probe(bwrap, with_seccomp=True)
    if failure is not None:
        return Isolation(True, bwrap, user, note, False, f"the kernel refused the filter: {failure}")
    return Isolation(True, bwrap, user, note, True, seccomp.note())


def _probe(bwrap: str, with_seccomp: bool) -> str | None:
    """Why bubblewrap (with the seccomp filter, if asked) cannot start the interpreter here; None when it can."""
    work = Path(os.environ.get("TMPDIR", "/tmp"))
    descriptor = seccomp.filter_descriptor() if with_seccomp else None
    prefix = bwrap_command(bwrap, str(work), {"PATH": "/usr/bin"}, seccomp_fd=descriptor)
    probe = [*prefix, interpreter(False), "-I", "-S", "-c", "pass"]
    try:
        done = subprocess.run(
            probe, capture_output=True, timeout=30, check=False, pass_fds=[descriptor] if descriptor else []
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start ({exc})"
    finally:
        if descriptor is not None:
            os.close(descriptor)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return f"bwrap cannot create its namespaces here: {reason[0]}"
    return None


def require_isolation(allow_unisolated: bool, wanted: bool = True) -> Isolation:
    """The isolation to use (none when not `wanted`, for measurements); raises `IsolationUnavailable` when there
    is none and running without it is not allowed."""
    found = isolation() if wanted else Isolation(False, None, False, "OS isolation turned off by the caller")
    if not found.available and not allow_unisolated:
        raise IsolationUnavailable(found.note)
    return found
