"""`schedbench export-suite SUITE OUT`: a suite as a Hugging Face dataset (parquet and a dataset card)."""

from __future__ import annotations

from pathlib import Path

import typer


def export_suite(
    suite: str = typer.Argument(..., help="suite folder, .jsonl/.parquet file or Hub name"),
    out: Path = typer.Argument(..., help="dataset folder to write (README.md and data/*.parquet)"),
    license_id: str = typer.Option("mit", "--license", help="licence identifier for the card's metadata"),
    name: str = typer.Option(None, "--name", help="dataset name shown in the card (default: OUT's name)"),
) -> None:
    """Write the suite as parquet plus a dataset card that `datasets.load_dataset(OUT)` reads back."""
    from schedbench.cli._common import err
    from schedbench.errors import InputError
    from schedbench.hub import export_suite as write
    from schedbench.suites import load_instances, read_manifest

    instances = load_instances(suite)
    if not instances:
        raise InputError(suite, None, "the suite has no instances")
    manifest = read_manifest(Path(suite)) if Path(suite).is_dir() else {}
    if out.exists() and not out.is_dir():
        raise InputError(str(out), None, "exists and is not a folder")
    try:
        written = write(instances, out, suite, manifest, license_id=license_id, name=name)
    except OSError as exc:
        raise InputError(str(out), None, f"cannot write: {exc.strerror or exc}") from None
    for path in written:
        err.print(f"wrote {path}")
