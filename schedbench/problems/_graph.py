"""Graph checks shared by the families' data models."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable


def check_acyclic(edges: Iterable[tuple[str, str]]) -> None:
    """Raise ValueError naming a cycle (`a -> b -> a`, in edge direction) if the precedences have one.

    The standard library's topological sorter: validating a suite of thousands of instances is on the path of
    every evaluation, and building a networkx graph per instance cost more than the rest of validation.
    """
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for before, after in edges:
        sorter.add(after, before)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise ValueError("precedences form a cycle: " + " -> ".join(exc.args[1])) from None
