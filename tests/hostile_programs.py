"""Hostile programs, shared by every path that runs untrusted code (evolve candidates, `run_python`, and the
formalize strategy and tools to come): each tries one escape and swallows its own errors, so what is tested is
the isolation, not an exception. `Target` holds what they aim at — the harness's pid, its $HOME, a run folder
with a results database — and `harm(target, output)` lists what got through (empty: contained).

Each program prints what it managed to read; writing files, signalling and reading secrets are judged from
outside (the files, the harness still alive, the secrets absent from the output)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "sk-hostile-secret-0123456789"
DB_SECRET = "results-db-secret-row-42"


@dataclass
class Target:
    """What the hostile programs aim at; `make` lays it out under `root` (readable by the harness's user)."""

    root: Path
    harness_pid: int
    home: Path = field(init=False)
    run_dir: Path = field(init=False)
    host_tmp_marker: Path = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.run_dir = self.root / "run"
        self.host_tmp_marker = Path("/tmp") / f"schedbench-hostile-{os.getpid()}-{self.root.name}"

    def make(self) -> Target:
        self.home.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.home / ".bashrc").write_text("# untouched\n")
        (self.run_dir / "evolve.db").write_text(f"SQLite format 3 ... {DB_SECRET}\n")
        return self

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the target and its content (a planted or changed file shows up as a difference)."""
        files = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file() or path.is_symlink() or not path.is_dir():
                try:
                    files[str(path)] = path.read_bytes() if path.is_file() else b"<special>"
                except OSError:
                    files[str(path)] = b"<unreadable>"
        return files


def _program(body: str) -> str:
    """A program that tries each line of `body` and goes on whatever happens."""
    lines = [line for line in body.strip().splitlines() if line.strip()]
    steps = "\n".join(
        f"try:\n    {line}\nexcept BaseException as exc:\n    print('refused:', repr(exc)[:200])" for line in lines
    )
    return f"import os, sys, signal\n{steps}\nprint('done')\n"


# Switch the runner's audit-hook policy off by rebinding its module globals (found in any loaded module).
REBIND = (
    "[setattr(m, n, v) for m in list(sys.modules.values()) if hasattr(m, '_check_open') for n, v in "
    "(('_BLOCKED_EVENTS', ('zzz',)), ('_BLOCKED_IMPORTS', frozenset()), ('_WRITE_EVENTS', ('zzz',)), "
    "('_check_open', lambda *a: False))]"
)


def programs(t: Target) -> dict[str, str]:
    """name → source of every hostile program against target `t`."""
    pid, home, run = t.harness_pid, t.home, t.run_dir
    return {
        "rebind the runner's policy, then write outside": _program(
            f"""
{REBIND}
open({str(home / ".bashrc")!r}, "a").write("echo pwned\\n")
open({str(run / "planted.txt")!r}, "w").write("pwned")
"""
        ),
        "rename, link and symlink destinations outside": _program(
            f"""
open("mine.txt", "w").write("x")
os.rename("mine.txt", {str(run / "renamed.txt")!r})
os.link("mine.txt", {str(run / "linked.txt")!r})
os.symlink("/etc/passwd", {str(run / "symlinked")!r})
os.symlink("/etc/passwd", {str(home / "symlinked")!r})
"""
        ),
        "open with dir_fd": _program(
            f"""
fd = os.open({str(run)!r}, os.O_RDONLY)
os.close(os.open("planted_dirfd.txt", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
os.close(os.open(".bashrc", os.O_WRONLY | os.O_APPEND, dir_fd=os.open({str(home)!r}, os.O_RDONLY)))
"""
        ),
        "mkfifo and mknod outside": _program(
            f"""
os.mkfifo({str(run / "fifo")!r})
os.mknod({str(run / "node")!r})
os.mkfifo({str(t.host_tmp_marker)!r})
"""
        ),
        "pidfd signal to the harness": _program(
            f"""
signal.pidfd_send_signal(os.pidfd_open({pid}), signal.SIGKILL)
"""
        ),
        "kill the harness": _program(
            f"""
os.kill({pid}, signal.SIGKILL)
os.killpg(os.getpgid({pid}), signal.SIGKILL)
os.kill(os.getppid(), signal.SIGKILL)
"""
        ),
        "read the harness's /proc": _program(
            f"""
print(open("/proc/{pid}/cmdline", "rb").read())
print(open("/proc/{pid}/environ", "rb").read())
os.chdir("/proc/self"); print(open("../{pid}/cmdline", "rb").read()); print(open("../{pid}/environ", "rb").read())
print([open(f"/proc/{{p}}/cmdline", "rb").read() for p in os.listdir("/proc") if p.isdigit()])
print([open(f"/proc/{{p}}/environ", "rb").read() for p in os.listdir("/proc") if p.isdigit()])
"""
        ),
        "write to $HOME and the run folder": _program(
            f"""
open({str(home / ".bashrc")!r}, "a").write("echo pwned\\n")
open({str(run / "planted.txt")!r}, "w").write("pwned")
open({str(t.host_tmp_marker)!r}, "w").write("pwned")
"""
        ),
        "read the results database": _program(
            f"""
print(open({str(run / "evolve.db")!r}, "rb").read())
print(os.listdir({str(run)!r}))
"""
        ),
        "read the API key from the environment": _program(
            """
print(dict(os.environ))
print(open("/proc/self/environ", "rb").read())
"""
        ),
        "fork bomb": _program(
            """
[os.fork() for _ in range(50)]
os.system("sleep 30 &")
"""
        ),
        "network": _program(
            """
import socket; s = socket.socket(); s.settimeout(2); s.connect(("1.1.1.1", 80)); print("connected")
import socket; print(socket.getaddrinfo("example.com", 80))
"""
        ),
    }


def harm(t: Target, before: dict[str, bytes], output: str, harness_alive: bool) -> list[str]:
    """What of the target a hostile program reached (empty: contained)."""
    found = []
    after = t.snapshot()
    if after != before:
        changed = sorted(set(after) ^ set(before) | {k for k in before if after.get(k) != before[k]})
        found.append(f"files changed: {changed}")
    if t.host_tmp_marker.exists() or t.host_tmp_marker.is_symlink():
        found.append(f"created {t.host_tmp_marker}")
    for secret in (SECRET, DB_SECRET, *_proc_views(t.harness_pid)):
        if secret in output:
            found.append(f"read {secret!r}")
    if not harness_alive:
        found.append("killed the harness")
    if "connected" in output.split():
        found.append("reached the network")
    return found


def _proc_views(pid: int) -> list[str]:
    """How the start of the harness's /proc cmdline and environ would look if a program printed them."""
    views = []
    for name in ("cmdline", "environ"):
        try:
            data = Path(f"/proc/{pid}/{name}").read_bytes()[:48]
        except OSError:
            continue
        if len(data) >= 16:
            views.append(repr(data)[2:-1])
    return views
