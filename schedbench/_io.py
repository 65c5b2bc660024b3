"""Small pieces every long-running command shares: atomic file writes and the progress bar."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


def atomic_write(path: Path, text: str) -> None:
    """Write a text file so that a reader sees the old content or the new, never a part (write, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def progress_bar(enabled: bool = True, *fields: str) -> Progress:
    """The progress bar of long work: description, bar, done/total, then `fields` (rich format strings such as
    "errors {task.fields[errors]}"), then the elapsed time. It draws on stderr, so stdout stays clean for
    --json."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *(TextColumn(f) for f in fields),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )
