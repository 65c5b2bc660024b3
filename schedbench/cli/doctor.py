"""`schedbench doctor`: which isolation layers untrusted programs get on this machine."""

from __future__ import annotations

import typer


def doctor(as_json: bool = typer.Option(False, "--json", help="print the layers as one JSON document")) -> None:
    """Say which isolation layers are active for untrusted code (evolve candidates, program runs)."""
    from rich.table import Table

    from schedbench.cli._common import out, print_json
    from schedbench.sandbox import INSTALL_HINT, isolation

    found = isolation()
    layers = found.layers()
    if as_json:
        print_json(
            {
                "isolated": found.available,
                "note": found.note,
                "layers": [{"layer": name, "active": active, "detail": detail} for name, active, detail in layers],
            }
        )
        return
    table = Table("layer", "active", "detail", title="isolation of untrusted code")
    for name, active, detail in layers:
        table.add_row(name, "yes" if active else "no", detail)
    out.print(table)
    if found.available:
        out.print("untrusted code runs under OS isolation (bubblewrap)")
    else:
        out.print(
            f"no OS isolation: untrusted code is refused unless --allow-unisolated is passed; {INSTALL_HINT}",
            markup=False,
        )
