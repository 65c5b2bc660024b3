"""The family registry: entry points, and schedbench's own families when its code runs without install
metadata (a Ray node that received the package as a folder)."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from schedbench.errors import UnknownFamilyError
from schedbench.problems import _registry, family_names, get_family

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_registers_every_module_of_schedbench_families() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["schedbench.families"]
    modules = sorted(p.stem for p in (ROOT / "schedbench" / "families").glob("*.py") if not p.stem.startswith("_"))
    assert sorted(declared) == modules
    assert all(value == f"schedbench.families.{name}:family" for name, value in declared.items())
    assert set(declared) <= set(family_names())


def test_without_install_metadata_the_shipped_families_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> None:
        raise PackageNotFoundError(name)

    installed = family_names()
    monkeypatch.setattr(_registry, "distribution", absent)
    monkeypatch.setattr(_registry, "entry_points", lambda group: [])
    _registry.refresh()
    try:
        assert set(family_names()) >= {"rcpsp", "asyncplan", "smtt"}
        assert set(family_names()) <= set(installed)
        assert get_family("smtt").name == "smtt"
    finally:
        monkeypatch.undo()
        _registry.refresh()


def test_an_unknown_family_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(UnknownFamilyError, match="known: asyncplan") as caught:
        get_family("nope")
    assert isinstance(caught.value, KeyError)
