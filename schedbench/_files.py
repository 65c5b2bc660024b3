"""Writing files so that a reader never sees half of them: a file or a whole folder is written under a
temporary name beside its destination and renamed into place (a rename is atomic on one file system), so a
process killed at any moment leaves either the old content or the new, never a mix."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Write a text file (UTF-8) through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic_folder(out: Path, replaceable: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Yield a temporary folder beside `out`; when the block succeeds it becomes `out`, replacing an existing
    `out` whose files all have names in `replaceable` (an earlier copy of the same kind of folder). On failure
    the temporary folder is removed and `out` is left as it was.

    Raises FileExistsError when `out` exists and holds anything else (it is never deleted)."""
    _check_replaceable(out, replaceable)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        yield temporary
        _check_replaceable(out, replaceable)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
            os.replace(out, old)  # onto the empty folder just made
            os.replace(temporary, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _check_replaceable(out: Path, replaceable: frozenset[str]) -> None:
    if out.is_dir():
        strangers = sorted(p.name for p in out.iterdir() if p.name not in replaceable)
        if strangers:
            raise FileExistsError(f"the folder holds other files ({', '.join(strangers[:3])}); choose a new folder")
    elif out.exists():
        raise FileExistsError("exists and is not a folder")
