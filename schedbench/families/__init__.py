"""The built-in families' records, one module each (`rcpsp`, `asyncplan`, `smtt`).

Each module defines `family()`, registered under the entry-point group `schedbench.families` in
pyproject.toml, exactly as a separate package registers its own family (docs/adding-a-family.md). These
modules sit above every layer they bind; nothing in schedbench imports them — the registry loads them through
their entry points.
"""
