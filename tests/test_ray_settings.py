"""Joining a Ray cluster, without a cluster: where the token comes from, what is shipped to the nodes, where tasks
may run, and the one-line errors (the cluster itself is exercised in test_ray_cluster.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schedbench import _raycluster
from schedbench.errors import InputError


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE", "SCHEDBENCH_RAY_SHIP"):
        # set, then delete: monkeypatch records a variable only when it exists, and prepare_token_auth writes
        # RAY_AUTH_MODE straight into os.environ; left behind, it put every later Ray test of this process
        # into token mode (a local instance then refuses its own driver)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_the_token_is_looked_up_in_rays_order(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _raycluster.token_source() is None
    default = clean_env / ".ray" / "auth_token"
    default.parent.mkdir()
    default.write_text("from-home\n")
    assert _raycluster.token_source() == str(default)
    named = clean_env / "token"
    named.write_text("from-path")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(named))
    assert _raycluster.token_source() == f"RAY_AUTH_TOKEN_PATH ({named})"
    monkeypatch.setenv("RAY_AUTH_TOKEN", "from-env")
    assert _raycluster.token_source() == "RAY_AUTH_TOKEN"


def test_an_unreadable_or_empty_token_file_is_bad_input(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(clean_env / "missing"))
    with pytest.raises(InputError, match="RAY_AUTH_TOKEN_PATH: cannot read the Ray token"):
        _raycluster.token_source()
    (clean_env / "empty").write_text("  \n")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(clean_env / "empty"))
    with pytest.raises(InputError, match="token file is empty"):
        _raycluster.token_source()


def test_a_found_token_switches_token_mode_on(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_TOKEN", "secret")
    assert _raycluster.prepare_token_auth() == "RAY_AUTH_TOKEN"
    assert os.environ["RAY_AUTH_MODE"] == "token"


def test_token_mode_without_a_token_is_refused_at_once(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    with pytest.raises(InputError, match="no token was found"):
        _raycluster.prepare_token_auth()
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    assert _raycluster.prepare_token_auth() is None


def test_connection_errors_name_what_is_missing() -> None:
    cause = RuntimeError("RPC error: InvalidAuthToken: Authentication token is missing or incorrect")
    failure = ConnectionError("Failed to connect to Ray cluster at h:1")
    failure.__cause__ = cause
    assert "none was found" in str(_raycluster.connection_error("h:1", failure, None))
    assert "rejected the token from RAY_AUTH_TOKEN" in str(
        _raycluster.connection_error("h:1", failure, "RAY_AUTH_TOKEN")
    )
    plain = _raycluster.connection_error("h:1", ConnectionError("Failed to connect\nmore"), None)
    assert str(plain) == "options: ray_address: cannot connect to Ray at h:1: Failed to connect"


def test_the_nodes_get_the_package_and_the_task_libraries_pinned() -> None:
    import importlib.metadata

    import schedbench

    env = _raycluster.runtime_env()
    assert env["py_modules"] == [str(Path(schedbench.__file__).resolve().parent)]
    names = {pin.split("==")[0].lower() for pin in env["pip"]}
    assert {"ortools", "numpy", "pydantic", "networkx", "jinja2", "rich"} <= names
    assert not names & _raycluster.DRIVER_ONLY
    for pin in env["pip"]:
        name, version = pin.split("==")
        assert importlib.metadata.version(name) == version


def test_ship_mode_and_task_resources_are_validated(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _raycluster.ship_mode() == "auto" and _raycluster.task_resources() == {}
    monkeypatch.setenv("SCHEDBENCH_RAY_SHIP", "None")
    assert _raycluster.ship_mode() == "none"
    monkeypatch.setenv("SCHEDBENCH_RAY_SHIP", "wheel")
    with pytest.raises(InputError, match="SCHEDBENCH_RAY_SHIP: unknown value 'wheel'"):
        _raycluster.ship_mode()
    monkeypatch.setenv("SCHEDBENCH_RAY_RESOURCES", '{"solver": 2}')
    assert _raycluster.task_resources() == {"solver": 2.0}
    for bad in ("{", '["solver"]', '{"solver": 0}', '{"solver": true}'):
        monkeypatch.setenv("SCHEDBENCH_RAY_RESOURCES", bad)
        with pytest.raises(InputError, match="SCHEDBENCH_RAY_RESOURCES"):
            _raycluster.task_resources()


def test_a_node_that_cannot_build_the_environment_gets_a_remedy() -> None:
    error = _raycluster.setup_error(RuntimeError("Traceback ...\nModuleNotFoundError: No module named 'virtualenv'"))
    assert "install ray[default] on the nodes" in str(error) and "SCHEDBENCH_RAY_SHIP=none" in str(error)
    other = _raycluster.setup_error(RuntimeError("Traceback\n  pip failed\nERROR: no matching distribution"))
    assert "ERROR: no matching distribution" in str(other) and "\n" not in str(other)
