"""The sandbox's public API: `run_python` results and failure kinds, `isolation()` and `schedbench doctor`, and the
refusal to run untrusted code without OS isolation (exit 2 naming bubblewrap) unless explicitly allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schedbench.sandbox import (
    ForkServer,
    IsolationUnavailable,
    ProgramLimits,
    SandboxConfig,
    isolation,
    run_python,
)


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A PATH without bubblewrap (the probe is cached: cleared before and after)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    isolation.cache_clear()
    yield
    isolation.cache_clear()


def test_a_program_reads_stdin_and_its_output_and_exit_code_come_back():
    result = run_python("import sys\ndata = sys.stdin.read()\nprint(data[::-1])\nsys.exit(4)\n", b"abc")
    assert (result.exit_code, result.stdout, result.kind) == (4, b"cba\n", "exit_code")
    assert result.wall_s > 0


@pytest.mark.parametrize(
    ("source", "kind", "code"),
    [
        ("print('ok')", "ok", 0),
        ("import os\nos._exit(3)", "exit_code", 3),
        ("import os\nos.abort()", "killed", -6),
        ("while True:\n    pass", "timeout", -9),
        ("block = bytearray(4 * 2**30)", "memory", 1),
        ("raise ValueError('no')", "exit_code", 1),
    ],
)
def test_each_way_of_ending_is_classified(source: str, kind: str, code: int):
    result = run_python(source, limits=ProgramLimits(timeout_s=1.5, memory_mb=256))
    assert (result.kind, result.exit_code) == (kind, code), result


def test_the_output_is_truncated_to_its_bound():
    result = run_python("print('x' * 100000)", limits=ProgramLimits(output_bytes=1000))
    assert result.ok and len(result.stdout) == 1000 and result.stdout_truncated


def test_the_program_sees_a_private_root():
    result = run_python("import os\nprint(sorted(os.listdir('/')), os.getcwd(), sorted(os.listdir('/proc'))[:3])")
    listing = result.stdout.decode()
    assert result.ok and "/sandbox/work/" in listing
    assert "'home'" not in listing and "'etc'" not in listing  # no /home, no /etc: only what the interpreter needs


def test_isolation_reports_its_layers():
    found = isolation()
    assert found.available, found.note
    layers = {name: active for name, active, _ in found.layers()}
    assert layers["bubblewrap"] and layers["network namespace"] and layers["rlimits"]
    assert layers["seccomp"] is True  # libseccomp is on every machine of this project (Debian's libseccomp2)


def test_without_bubblewrap_untrusted_code_is_refused_unless_allowed(no_bwrap):
    assert not isolation().available and "bwrap not found" in isolation().note
    with pytest.raises(IsolationUnavailable, match="install bubblewrap"):
        run_python("print(1)")
    with pytest.raises(IsolationUnavailable):
        ForkServer(SandboxConfig())
    result = run_python("print(1)", allow_unisolated=True)
    assert result.ok and result.stdout == b"1\n"


def test_doctor_says_which_layers_are_active(cli):
    code, out, _ = cli(["doctor", "--json"])
    document = json.loads(out)
    assert code == 0 and document["isolated"] is True
    assert {"layer": "network namespace", "active": True}.items() <= document["layers"][2].items()
    code, out, _ = cli(["doctor"])
    assert code == 0 and "bubblewrap" in out


def test_doctor_without_bubblewrap_says_how_to_install_it(cli, no_bwrap):
    code, out, _ = cli(["doctor"])
    assert code == 0 and "apt-get install bubblewrap" in out and "--allow-unisolated" in out


def test_evolve_without_isolation_exits_2_unless_allowed(cli, no_bwrap, tmp_path: Path):
    config = tmp_path / "evolve.toml"
    config.write_text('[evaluator]\ntrain = { levels = "8", per_level = 1 }\n')
    argv = ["evolve", "--family", "smtt", "--model", "baseline/mutator", "--iterations", "1", "--config", str(config)]
    code, _, err = cli([*argv, "--out", str(tmp_path / "refused"), "--quiet"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "apt-get install bubblewrap" in lines[0] and "--allow-unisolated" in lines[0]
    code, _, err = cli([*argv, "--out", str(tmp_path / "allowed"), "--quiet", "--allow-unisolated"])
    assert code == 0, err
    assert (tmp_path / "allowed" / "best_program.py").exists()
