"""Every registered family passes the conformance suite (tests/conformance.py), and so does a family that
another package registers through the `schedbench.families` entry point (tests/fixtures/tinyfamily)."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from conformance import CHECKS, Check, small_suite

from schedbench.problems import Instance, family_names, get_family
from schedbench.problems import refresh_families as refresh

TINY = Path(__file__).parent / "fixtures" / "tinyfamily"


@cache
def suite_of(name: str) -> list[Instance]:
    return small_suite(name)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", family_names())
def test_registered_family_conforms(name: str, check: Check, tmp_path: Path) -> None:
    check(name, suite_of(name), tmp_path)


def install_on_path(project: Path, site: Path) -> None:
    """What an installer leaves for importlib.metadata: the package and a `.dist-info` with the entry points
    that `project`'s pyproject.toml declares (the same files pip writes, without a build step)."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for package in (p for p in project.iterdir() if (p / "__init__.py").is_file()):
        shutil.copytree(package, site / package.name)
    info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    groups = meta.get("entry-points", {})
    lines = [f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()) for group, points in groups.items()]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tiny family's package installed into a folder put on sys.path (and PYTHONPATH, for worker
    processes) for this module only; nothing of schedbench is touched."""
    target = tmp_path_factory.mktemp("site")
    install_on_path(TINY, target)
    sys.path.insert(0, str(target))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), old) if p)
    refresh()
    yield target
    sys.path.remove(str(target))
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old
    for module in [m for m in sys.modules if m == "tinyfamily" or m.startswith("tinyfamily.")]:
        del sys.modules[module]
    refresh()


def test_tiny_family_registers_through_its_entry_point(tiny_installed: Path) -> None:
    assert "tiny" in family_names()
    assert (tiny_installed / "tinyfamily" / "__init__.py").is_file()
    assert get_family("tiny").template_dir == tiny_installed / "tinyfamily" / "templates"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_tiny_family_conforms(tiny_installed: Path, check: Check, tmp_path: Path) -> None:
    check("tiny", small_suite("tiny"), tmp_path)


def test_a_broken_family_fails_the_suite(tiny_installed: Path, tmp_path: Path) -> None:
    """The suite can fail: a tiny family whose witness breaks a release date is caught."""
    suite = small_suite("tiny")
    for inst in suite:
        first = inst.data["jobs"][0]
        inst.reference.witness["starts"][first["id"]] = -1
    with pytest.raises(AssertionError):
        CHECKS[1]("tiny", suite, tmp_path)
