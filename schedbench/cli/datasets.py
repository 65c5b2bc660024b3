"""`schedbench datasets`: the published reference sets that ship with schedbench, by name."""

from __future__ import annotations

from typing import Any

import typer


def datasets(
    as_json: bool = typer.Option(False, "--json", help="print the sets as one JSON list"),
) -> None:
    """List the published sets: name, family, instances, size, reference values, source and licence.

    A name works wherever a suite does (`evaluate --suite psplib/j30`), and with `solve NAME` and
    `import NAME --out DIR`.
    """
    from rich.table import Table

    from schedbench import datasets as published
    from schedbench.cli._common import out, print_json
    from schedbench.importers import importers

    available = importers()
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "family": s.family,
            "instances": s.count,
            "size": s.size,
            "disk_kb": round(published.disk_bytes(s.name) / 1024),
            "reference": s.reference,
            "importer": s.importer,
            "importer_available": s.importer in available,
            "source": s.source,
            "licence": s.licence,
        }
        for s in published.SETS
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Published sets")
    table.add_column("name", no_wrap=True)
    for column in ("family", "n", "size", "kB", "reference values", "source", "licence"):
        table.add_column(column)
    for row in rows:
        name = row["name"] if row["importer_available"] else f"{row['name']} *"
        cells = [row["family"], str(row["instances"]), row["size"], str(row["disk_kb"])]
        table.add_row(name, *cells, row["reference"], row["source"], row["licence"])
    out.print(table)
    if not all(row["importer_available"] for row in rows):
        out.print("* listed, but its importer is not available yet")
