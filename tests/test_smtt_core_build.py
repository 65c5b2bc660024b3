"""The SMTT core builds from its shipped C source where no built copy fits (a Ray node of another platform):
the built module is a separate file that gives the same answers as the installed one, and a failing build is a
clear RuntimeError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schedbench.solvers import _build_core
from schedbench.solvers import _smtt_core as installed


def test_a_core_built_from_source_answers_like_the_installed_one(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="building it from source"):
        built = _build_core.build_core.__wrapped__(tmp_path)
    assert Path(built.__file__).parent == tmp_path and built.__file__ != installed.__file__
    rng = np.random.default_rng(5)
    for n in (5, 12, 30):
        p = rng.integers(1, 100, n).tolist()
        d = rng.integers(0, int(sum(p) * 0.8), n).tolist()
        assert built.mdd(p, d) == installed.mdd(p, d)
    # a second build of the same source reuses the file
    again = _build_core.build_core.__wrapped__(tmp_path)
    assert again.__file__ == built.__file__


def test_a_build_without_a_compiler_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_build_core.sysconfig, "get_config_var", lambda name: "/nonexistent/cc")
    with pytest.warns(RuntimeWarning), pytest.raises(RuntimeError, match="cannot build the SMTT core"):
        _build_core.build_core.__wrapped__(tmp_path)
    assert not list(tmp_path.glob("*.so"))
