"""Problem families: instance data, solutions, and the registry that binds every layer's functions."""

from schedbench.problems._envelope import Instance, Reference, Verification, Violation
from schedbench.problems._family import Baseline, Family, Importer
from schedbench.problems._registry import family_names, get_family
from schedbench.problems._registry import refresh as refresh_families

__all__ = [
    "Baseline",
    "Family",
    "Importer",
    "Instance",
    "Reference",
    "Verification",
    "Violation",
    "family_names",
    "get_family",
    "refresh_families",
]
