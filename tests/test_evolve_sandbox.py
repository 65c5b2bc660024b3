"""The sandbox contains hostile candidates, reports why they failed, and leaves the harness unharmed."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from schedbench.sandbox import ForkServer, SandboxConfig, isolation, open_sandbox, scrubbed_env

INPUT = {"n": 3, "p": [3, 1, 2], "d": [5, 1, 2], "w": [1, 1, 1]}
_SERVERS: dict[str, ForkServer] = {}


@pytest.fixture(params=["spawn", "fork"], autouse=True)
def mode(request: pytest.FixtureRequest):
    """Every test runs with a freshly spawned runner and with one forked by the fork server."""
    if request.param == "fork":
        _SERVERS["current"] = _SERVERS.get("fork") or ForkServer(SandboxConfig())
        _SERVERS["fork"] = _SERVERS["current"]
    else:
        _SERVERS.pop("current", None)
    yield request.param


@pytest.fixture(scope="module", autouse=True)
def stop_fork_server():
    yield
    if "fork" in _SERVERS:
        _SERVERS["fork"].close()


def run(code: str, config: SandboxConfig | None = None, timeout: float = 30.0, **setup):
    server = _SERVERS.get("current")
    if server is not None and setup.get("numpy_inputs"):
        server = None  # the zygote starts without site-packages; numpy inputs take the spawn path here

    async def go():
        async with open_sandbox(code, config or SandboxConfig(cpu_s=5), server=server, **setup) as box:
            if box.load_error:
                return None, box.load_error, box, 0.0
            began = time.perf_counter()
            result = await box.run([INPUT, INPUT], timeout)
            return result.outputs, result.error, box, time.perf_counter() - began

    return asyncio.run(go())


def test_a_good_program_answers_every_input():
    outputs, error, _, _ = run("def schedule(x):\n    return sorted(range(x['n']), key=lambda j: x['d'][j])\n")
    assert error is None
    assert outputs == [[1, 2, 0], [1, 2, 0]]


def test_an_infinite_loop_is_killed_at_the_wall_clock():
    _outputs, error, box, elapsed = run("def schedule(x):\n    while True:\n        pass\n", timeout=1.0)
    assert error is not None and "timeout" in error
    assert elapsed < 1.0 + 5  # the run alone (the sandbox's start is not timed): killed at its second, not later
    assert box.process.returncode == -9  # killed, then reaped by the zygote (which killed its group first)


def test_cpu_limit_stops_a_busy_program_before_the_wall_clock():
    # the wall clock is far off: at load 30+ one CPU second can take 20 s of wall time; the error's kind says
    # which limit stopped the program
    _outputs, error, _, elapsed = run(
        "def schedule(x):\n    while True:\n        pass\n", SandboxConfig(cpu_s=1), timeout=300
    )
    assert error is not None and "CPU limit" in error
    assert elapsed < 300


def test_a_20_gb_allocation_fails_with_memory_error():
    _outputs, error, _, _ = run("def schedule(x):\n    block = bytearray(20 * 2**30)\n    return [0, 1, 2]\n")
    assert error is not None and error.startswith("MemoryError")


@pytest.mark.parametrize("policy", [True, False])
def test_a_fork_bomb_cannot_start_processes(policy: bool):
    code = "import os\ndef schedule(x):\n    while True:\n        os.fork()\n"
    _outputs, error, _, _ = run(code, SandboxConfig(cpu_s=5, policy=policy))
    assert error is not None
    assert (
        ("not allowed" in error) if policy else ("Resource temporarily unavailable" in error or "not allowed" in error)
    )


def test_writes_outside_the_working_directory_are_refused(tmp_path: Path):
    target = tmp_path / "evil.txt"
    _outputs, error, _, _ = run(f"def schedule(x):\n    open({str(target)!r}, 'w').write('x')\n    return [0]\n")
    assert error is not None and "outside the working directory" in error
    assert not target.exists()


def test_writes_inside_the_working_directory_work_and_are_cleaned_up():
    code = "import os\ndef schedule(x):\n    open('scratch.txt', 'w').write('ok')\n    return os.getcwd()\n"
    outputs, error, box, _ = run(code)
    assert error is None
    assert Path(outputs[0]).name == Path(box.workdir).name  # the same directory, seen from inside the sandbox
    assert not Path(box.workdir).exists()


def test_file_size_limit_is_enforced_by_the_kernel():
    code = "def schedule(x):\n    open('big', 'wb').write(b'x' * (8 * 2**20))\n    return []\n"
    _outputs, error, _, _ = run(code, SandboxConfig(cpu_s=5, file_mb=1, policy=False))
    assert error is not None and "File too large" in error


def test_the_environment_holds_no_secrets(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    code = "import os\ndef schedule(x):\n    return dict(os.environ)\n"
    outputs, error, _, _ = run(code)
    assert error is None
    env = outputs[0]
    assert "OPENAI_API_KEY" not in env and "sk-test-secret-123" not in str(env)
    assert not any(marker in name for name in env for marker in ("KEY", "TOKEN", "SECRET"))
    assert scrubbed_env({"MY_TOKEN": "x", "FOO": "bar"}, "/tmp")["FOO"] == "bar"
    assert "MY_TOKEN" not in scrubbed_env({"MY_TOKEN": "x"}, "/tmp")


def test_reading_another_process_environment_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-456")
    code = f"def schedule(x):\n    return open('/proc/{os.getpid()}/environ', 'rb').read().decode(errors='replace')\n"
    _outputs, error, _, _ = run(code)
    assert error is not None
    assert "sk-test-secret-456" not in error


def test_sockets_are_refused():
    code = "import socket\ndef schedule(x):\n    socket.create_connection(('127.0.0.1', 9), 1)\n    return []\n"
    _outputs, error, _, _ = run(code)
    assert error is not None and "socket" in error


def test_without_the_policy_layer_the_network_namespace_still_cuts_the_network():
    assert isolation().available, isolation().note
    code = (
        "def schedule(x):\n    import socket\n    s = socket.socket()\n    s.settimeout(2)\n"
        "    s.connect(('1.1.1.1', 80))\n    return []\n"
    )
    _outputs, error, _, _ = run(code, SandboxConfig(cpu_s=5, policy=False))
    assert error is not None  # unreachable network, or the module cannot even be loaded after dropping root


def test_mutating_the_input_fails():
    _outputs, error, _, _ = run("def schedule(x):\n    x['p'][0] = 5\n    return [0, 1, 2]\n")
    assert error is not None and "does not support item assignment" in error


def test_numpy_inputs_are_read_only_and_cannot_be_unlocked():
    code = "def schedule(x):\n    x['p'].setflags(write=True)\n    x['p'][0] = 5\n    return [0, 1, 2]\n"
    _outputs, error, _, _ = run(code, numpy_inputs=True, array_fields=("p", "d", "w"))
    assert error is not None and "WRITEABLE" in error.upper()


def test_printing_cannot_corrupt_the_protocol():
    code = "def schedule(x):\n    print('{\"results\": []}')\n    return [2, 1, 0]\n"
    outputs, error, box, _ = run(code)
    assert error is None and outputs == [[2, 1, 0], [2, 1, 0]]
    assert b'{"results": []}' in box.stderr_tail


def test_a_program_that_does_not_load_reports_why():
    outputs, error, _, _ = run("def schedule(x) return\n")
    assert outputs is None and error.startswith("SyntaxError")
    outputs, error, _, _ = run("def other(x):\n    return []\n")
    assert "no function 'schedule'" in error


def test_a_crashing_interpreter_is_reported():
    code = "import os\ndef schedule(x):\n    os._exit(3)\n"
    _outputs, error, _, _ = run(code)
    assert error is not None and "code 3" in error


def test_the_harness_survives_many_hostile_runs():
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        run("def schedule(x):\n    while True:\n        pass\n", timeout=0.3)
        run("def schedule(x):\n    return bytearray(20 * 2**30)\n")
    assert len(os.listdir("/proc/self/fd")) <= before + 2  # no leaked pipes


def test_disk_use_is_bounded_by_a_file_count_quota():
    code = "def schedule(x):\n    for k in range(1000):\n        open(f'f{k}', 'w').write('x')\n    return []\n"
    _, error, _, _ = run(code, SandboxConfig(cpu_s=5, max_files=10))
    assert error is not None and "more than 10 files" in error
