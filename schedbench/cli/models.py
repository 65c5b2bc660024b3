"""`schedbench models`: providers, baseline rules per family, and the price table."""

from __future__ import annotations

from pathlib import Path

import typer


def models(
    prices: Path = typer.Option(None, "--prices", help="TOML price table overriding the shipped one"),
    as_json: bool = typer.Option(False, "--json", help="print everything as one JSON document"),
) -> None:
    """List model providers, every family's baseline rules (`baseline/<rule>`) and known prices."""
    from rich.table import Table

    from schedbench.cli._common import out, print_json
    from schedbench.errors import InputError
    from schedbench.llm import providers
    from schedbench.llm._prices import PriceTable
    from schedbench.problems import family_names, get_family

    try:
        table = PriceTable.load(prices)
    except (OSError, ValueError) as exc:
        raise InputError(str(prices), None, str(exc)) from None
    baselines = {name: list(get_family(name).baselines) for name in family_names()}
    document = {
        "providers": [{"prefix": p.prefix, "offline": p.offline, "description": p.description} for p in providers()],
        "baselines": baselines,
        "prices_usd_per_million_tokens": {
            spec: {"input": p.input, "output": p.output} for spec, p in table.entries.items()
        },
    }
    if as_json:
        print_json(document)
        return
    provider_table = Table("spec", "kind", "what", title="Model providers")
    for p in providers():
        spec = p.prefix if "/" in p.prefix else f"{p.prefix}/<name>"
        provider_table.add_row(spec, "offline" if p.offline else "API", p.description)
    out.print(provider_table)
    rules = Table("family", "baseline/<rule>", title="Baseline rules")
    for name, names in baselines.items():
        rules.add_row(name, ", ".join(names))
    out.print(rules)
    price_table = Table("spec", "input $/M", "output $/M", title="Prices (override with --prices FILE)")
    for spec, price in table.entries.items():
        price_table.add_row(spec, f"{price.input:.2f}", f"{price.output:.2f}")
    out.print(price_table)
