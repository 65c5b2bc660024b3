"""The price table: USD per million tokens by model spec, shipped as `prices.toml`, overridable by a file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Price:
    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD for one request."""
        return (input_tokens * self.input + output_tokens * self.output) / 1e6


class PriceTable:
    """Prices by exact spec, or by the longest `prefix*` pattern matching the spec."""

    def __init__(self, entries: dict[str, Price]) -> None:
        self.entries = entries
        self._found: dict[str, Price | None] = {}

    @classmethod
    def load(cls, override: Path | None = None) -> PriceTable:
        """The shipped table, updated by the entries of `override` (a TOML file of the same shape)."""
        text = resources.files("schedbench.llm").joinpath("prices.toml").read_text(encoding="utf-8")
        entries = _read(tomllib.loads(text), "prices.toml")
        if override is not None:
            entries.update(_read(tomllib.loads(Path(override).read_text(encoding="utf-8")), str(override)))
        return cls(entries)

    def lookup(self, spec: str) -> Price | None:
        """The price for a model spec, or None when the table does not know it."""
        if spec not in self._found:
            patterns = [k for k in self.entries if k.endswith("*") and spec.startswith(k[:-1])]
            self._found[spec] = self.entries.get(spec) or (self.entries[max(patterns, key=len)] if patterns else None)
        return self._found[spec]

    def cost(self, spec: str, input_tokens: int, output_tokens: int) -> float:
        """USD for one request (0 when the price is unknown)."""
        price = self.lookup(spec)
        return price.cost(input_tokens, output_tokens) if price else 0.0


def load_prices(override: str | Path | None = None) -> PriceTable:
    """The shipped price table updated by `override`; InputError naming the file when it cannot be read."""
    from schedbench.errors import InputError

    try:
        return PriceTable.load(Path(override) if override else None)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(override or "prices.toml"), None, str(exc)) from None


def _read(document: dict, source: str) -> dict[str, Price]:
    out = {}
    for spec, row in document.items():
        if not isinstance(row, dict) or not {"input", "output"} <= row.keys():
            raise ValueError(f"{source}: {spec}: needs 'input' and 'output' (USD per million tokens)")
        out[spec] = Price(float(row["input"]), float(row["output"]))
    return out
