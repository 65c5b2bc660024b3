"""Every hostile program (tests/hostile_programs.py) is contained by the OS isolation and leaves nothing behind:
through `run_python` and through the evolve runner, with the audit hook on and off, as the current user and
as an unprivileged one (created here when the tests run as root)."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from hostile_programs import SECRET, Target, harm, programs

from schedbench.sandbox import ForkServer, ProgramLimits, SandboxConfig, isolation, open_sandbox, run_python_async

NAMES = list(programs(Target(Path("/x"), 1)))
LIMITS = ProgramLimits(timeout_s=10, cpu_s=5)
TEST_USER = "schedbench-sbx"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    """One zygote per policy setting for the whole module (a program that kills its zygote gets a new one)."""
    root = tmp_path_factory.mktemp("sandboxes")
    made = {
        policy: ForkServer(SandboxConfig(cpu_s=5, memory_mb=512, policy=policy, tmp_root=str(root)))
        for policy in (True, False)
    }
    yield made
    for server in made.values():
        server.close()
    assert list(root.iterdir()) == []  # every zygote directory deleted


def test_the_sandbox_is_isolated_by_the_os():
    assert isolation().available, isolation().note  # bubblewrap is installed by make test / .ci/run


async def via_program(server: ForkServer, source: str, policy: bool) -> str:
    result = await run_python_async(source, limits=LIMITS.model_copy(update={"policy": policy}), server=server)
    return (result.stdout + result.stderr).decode(errors="replace")


async def via_evolve(server: ForkServer, source: str) -> str:
    code = f"SOURCE = {source!r}\ndef schedule(x):\n    exec(compile(SOURCE, 'hostile', 'exec'), {{}})\n    return []\n"
    async with open_sandbox(code, server.config, server=server) as box:
        result = await box.run([{"n": 1}], 10)
    return f"{result.error} {result.traceback} {box.stderr_tail.decode(errors='replace')}"


def sandbox_processes(server: ForkServer) -> list[int]:
    """Live processes below the zygote's bubblewrap other than the sandbox's init and the zygote."""
    if server._process is None:
        return []
    below = descendants(server._process.pid)
    return below[2:]  # bubblewrap's init in the PID namespace, then the zygote


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[0] != "Z":
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = sorted(pid for pid, ppid in parents.items() if ppid == frontier[0])
        frontier = frontier[1:] + children
        found += children
    return found


@pytest.mark.parametrize("policy", [True, False], ids=["audit hook on", "audit hook off"])
@pytest.mark.parametrize("path", ["run_python", "evolve"])
@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_program_is_contained_and_leaves_nothing(
    name: str, path: str, policy: bool, servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    target = Target(tmp_path / "target", os.getpid()).make()
    before = target.snapshot()
    server = servers[policy]
    source = programs(target)[name]
    if path == "run_python":
        output = asyncio.run(via_program(server, source, policy))
    else:
        output = asyncio.run(via_evolve(server, source))
    assert harm(target, before, output, harness_alive=True) == [], output[-2000:]
    assert sandbox_processes(server) == []  # no runner, nor anything it started, outlived the run
    assert [p.name for p in Path(server.home).glob("run-*")] == []  # its working directory is gone


def processes_of(uid: int) -> list[int]:
    """Live processes owned by `uid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            real = status.split("Uid:")[1].split()[0]
            if int(real) == uid and "State:\tZ" not in status:
                found.append(int(entry.name))
    return found


def unprivileged_user() -> tuple[int, int]:
    """An unprivileged uid/gid to run a harness as: the current one, or (as root) a test user made with useradd."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(TEST_USER)
    return entry.pw_uid, entry.pw_gid


def interpreter_for(uid: int, gid: int) -> str:
    """A Python of this version the user may execute (a root-only pyenv is not; the system one usually is)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        sys.executable,
        os.path.realpath(sys.executable),
        f"/usr/bin/{version}",
        f"/usr/local/bin/{version}",
    ):
        try:
            ran = subprocess.run(
                [candidate, "-c", "pass"], user=uid, group=gid, extra_groups=[], capture_output=True, check=False
            )
        except OSError:  # not found, or not executable by the user
            continue
        if ran.returncode == 0:
            return candidate
    raise AssertionError(f"no {version} executable by uid {uid}: install one readable by every user")


CHILD = """
import asyncio, json, os, sys
from pathlib import Path
from hostile_programs import Target, programs
from schedbench.sandbox import ProgramLimits, program_server, run_python_async

async def main():
    target = Target(Path(sys.argv[1]), os.getpid())
    server = program_server(tmp_root=sys.argv[2])
    limits = ProgramLimits(timeout_s=10, cpu_s=5, policy=False)
    outputs = {}
    try:
        for name, source in programs(target).items():
            result = await run_python_async(source, limits=limits, server=server)
            outputs[name] = (result.stdout + result.stderr).decode(errors="replace")
    finally:
        server.close()
    print(json.dumps({"pid": os.getpid(), "outputs": outputs}))

asyncio.run(main())
"""


def test_hostile_programs_are_contained_for_an_unprivileged_harness():
    """The same programs, with the audit hook off, under a harness running as an ordinary user (bubblewrap in
    a user namespace): its own $HOME, run folder and database are the targets."""
    uid, gid = unprivileged_user()
    python = interpreter_for(uid, gid)
    base = Path(tempfile.mkdtemp(prefix="schedbench-hostile-user-"))
    try:
        boxes = base / "boxes"
        boxes.mkdir()
        root = base / "target"
        root.mkdir()
        target = Target(root, 0).make()
        for path in [base, *base.rglob("*")]:
            os.chown(path, uid, gid)
        before = target.snapshot()
        tests_dir, repo = Path(__file__).parent, Path(__file__).parents[1]
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": os.pathsep.join([str(tests_dir), str(repo), sysconfig.get_paths()["purelib"]]),
            "OPENAI_API_KEY": SECRET,
            "HOME": str(target.home),
        }
        done = subprocess.run(
            [python, "-c", CHILD, str(root), str(boxes)],
            user=uid,
            group=gid,
            extra_groups=[],
            env=env,
            cwd=str(base),
            capture_output=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]  # the harness survived
        report = json.loads(done.stdout.decode().strip().splitlines()[-1])
        assert set(report["outputs"]) == set(NAMES)
        target.harness_pid = report["pid"]
        output = "\n".join(report["outputs"].values())
        assert harm(target, before, output, harness_alive=True) == [], output[-3000:]
        assert list(boxes.iterdir()) == []  # nothing left behind
        assert processes_of(uid) == [] or os.geteuid() != 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
