"""`evaluate` onto a results database it cannot write: exit 2 naming the file, before any request, nothing lost.

Tests run as root, for whom file modes mean nothing; the database (or its folder) is made read-only for real by
a read-only bind mount in a private mount namespace (bubblewrap), the way a read-only share or volume is.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from schedbench.evaluate import EvalConfig, evaluate
from schedbench.llm.stub_server import StubServer
from schedbench.problems import get_family
from schedbench.references import generate_suite
from schedbench.results import Store


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    family = get_family("smtt")
    config = family.generator_config(
        levels="5,6", per_level=1, stage="unweighted", tf="0.6", rdd="0.6", seed=1, time_limit=5, workers=1
    )
    return generate_suite(family, config, tmp_path_factory.mktemp("suite"), show_progress=False)


def evaluate_read_only(read_only: Path, db: Path, suite: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`schedbench evaluate` against the stub with `read_only` (a file or folder) bind-mounted read-only."""
    command = [
        *("bwrap", "--bind", "/", "/", "--ro-bind", str(read_only), str(read_only), "--dev", "/dev", "--proc", "/proc"),
        *(sys.executable, "-m", "schedbench", "evaluate", "--model", "openai-compatible/stub", "--base-url", url),
        *("--suite", str(suite), "--results", str(db), "--quiet"),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def existing_results(folder: Path, suite: Path) -> Path:
    """A results database holding one finished run (the oracle's), closed."""
    db = folder / "results.db"
    config = EvalConfig(model="oracle/exact", suite=str(suite), results=db)
    config.show_progress = False
    assert evaluate(config).answered == 2
    return db


@pytest.mark.parametrize("what", ["folder", "file"])
def test_evaluate_onto_a_read_only_database_exits_2_before_any_request(suite, tmp_path, what) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    db = existing_results(folder, suite)
    before = digest(db)
    with StubServer() as server:
        done = evaluate_read_only(folder if what == "folder" else db, db, suite, server.openai_url)
        requests = server.stats.requests
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {db}: the results database is read-only (its file or folder cannot be written)"
    ]
    assert requests == 0
    assert digest(db) == before
    with Store(db, readonly=True) as store:  # the run that was there is still whole
        assert [run.name for run in store.runs()] and store.runs()[0].status == "complete"


def test_evaluate_into_a_read_only_folder_exits_2_naming_the_new_file(suite, tmp_path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "new.db"
    with StubServer() as server:
        done = evaluate_read_only(folder, db, suite, server.openai_url)
        requests = server.stats.requests
    assert done.returncode == 2, done.stderr
    assert f"{db}: the results database is read-only" in done.stderr
    assert requests == 0 and not db.exists()
