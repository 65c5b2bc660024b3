"""Instance generators, one module per family, and what they share (for families in other packages too)."""

from schedbench.generators._common import (
    Draft,
    GeneratorConfig,
    Ramp,
    chain_fields,
    chain_seed,
    instance_seed,
    parse_levels,
    parse_stages,
)

__all__ = [
    "Draft",
    "GeneratorConfig",
    "Ramp",
    "chain_fields",
    "chain_seed",
    "instance_seed",
    "parse_levels",
    "parse_stages",
]
