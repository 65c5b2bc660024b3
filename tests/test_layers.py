"""Layers import downwards only and no module imports itself back through others.

Order (a module may import its own layer or any layer below): problems → generators / verifiers / solvers /
heuristics → prompts / llm → evaluate / evolve → results → cli. Every import counts, also those inside
functions (a lazy import still ties the layers together).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "schedbench"

LAYERS: dict[str, int] = {
    # 0: the envelope, the family record and the errors every layer raises
    "schedbench": 0,  # the facade: only `schedbench.api`, imported on first attribute access (see FACADE)
    "schedbench.errors": 0,
    "schedbench._io": 0,
    "schedbench._files": 0,
    "schedbench._json": 0,
    "schedbench.problems": 0,
    "schedbench.datasets": 0,
    # 1: what works on one family's instances
    "schedbench.generators": 1,
    "schedbench.verifiers": 1,
    "schedbench.solvers": 1,
    "schedbench.heuristics": 1,
    "schedbench.importers": 1,
    "schedbench.executors": 1,
    "schedbench.sandbox": 1,  # isolated runs of untrusted programs (evolve now, formalize and tools later)
    "schedbench._raycluster": 1,
    "schedbench._loopback_ray": 1,
    "schedbench.suites": 1,
    "schedbench.references": 1,
    "schedbench.hub": 1,  # suites as Hugging Face dataset folders
    # 2: questions and models
    "schedbench.prompts": 2,
    "schedbench.llm": 2,
    # 3: running models and evolution, and the charts they draw
    "schedbench.evaluate": 3,
    "schedbench.evolve": 3,
    "schedbench.results.store": 3,  # the SQLite store: evaluate writes it, the reports above read it
    "schedbench.plots": 3,
    # 4: stored results and reports
    "schedbench.results": 4,
    # 5: entry points: the command line, the Python API, the demo and the family records binding every layer
    "schedbench.cli": 5,
    "schedbench.api": 5,
    "schedbench.demo": 5,
    "schedbench.families": 5,
    "schedbench.inspect_tasks": 5,  # inspect_ai's entry point into schedbench
    "schedbench.__main__": 5,
}
FACADE = {("schedbench", "schedbench.api")}
"""Allowed upward imports: the package's `__getattr__` loads the Python API when `sb.<name>` is first used."""


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """The layer of a schedbench module: its longest prefix in LAYERS."""
    parts = module.split(".")
    if module == "schedbench":
        return LAYERS[module]
    for end in range(len(parts), 1, -1):  # a new top-level module must be placed in LAYERS explicitly
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    return None


def imports_of(path: Path, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """The schedbench modules a file imports (top level or inside functions), relative imports resolved.

    `from a.b import c` counts as an import of the module `a.b.c` when there is one, else of `a.b`.
    """
    found: set[str] = set()
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                origin = ".".join(base[: len(base) - node.level + 1] + ([origin] if origin else []))
            for alias in node.names:
                found.add(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin)
    resolved = set()
    for name in found:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            resolved.add(name)
    return resolved


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the schedbench modules it imports."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    return {m: imports_of(p, m, p.name == "__init__.py", set(files)) for m, p in files.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        own = layer_of(module)
        if own is None:
            problems.append(f"{module} belongs to no layer (add it to LAYERS)")
            continue
        for target in sorted(targets):
            theirs = layer_of(target)
            if theirs is not None and theirs > own and (module, target) not in FACADE:
                problems.append(f"{module} (layer {own}) imports {target} (layer {theirs})")
    return problems


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle between modules (a package counts apart from its submodules), or None. The facade's
    import happens on first attribute access, after every module has loaded, so it closes no cycle."""
    graph = {module: {t for t in targets if (module, t) not in FACADE} for module, targets in graph.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_layers_import_downwards_only() -> None:
    assert upward_imports(import_graph(PACKAGE)) == []


def test_no_import_cycles() -> None:
    assert import_cycle(import_graph(PACKAGE)) is None


def test_an_upward_import_or_a_cycle_is_caught(tmp_path: Path) -> None:
    """The checks can fail: a copy of two modules with an upward import, then with a cycle."""
    root = tmp_path / "schedbench"
    (root / "problems").mkdir(parents=True)
    (root / "evaluate").mkdir()
    for folder in (root, root / "problems", root / "evaluate"):
        (folder / "__init__.py").write_text("")
    (root / "problems" / "rcpsp.py").write_text("from schedbench.evaluate.metrics import summarise\n")
    (root / "evaluate" / "metrics.py").write_text("def summarise():\n    from ..problems import rcpsp\n")
    graph = import_graph(root)
    assert upward_imports(graph) == [
        "schedbench.problems.rcpsp (layer 0) imports schedbench.evaluate.metrics (layer 3)"
    ]
    assert set(import_cycle(graph) or []) == {"schedbench.problems.rcpsp", "schedbench.evaluate.metrics"}


@pytest.mark.parametrize(
    ("importer", "imported", "upward"),
    [("schedbench.solvers.x", "schedbench.prompts", True), ("schedbench.cli.x", "schedbench.problems", False)],
)
def test_layer_order(importer: str, imported: str, upward: bool) -> None:
    assert (upward_imports({importer: {imported}, imported: set()}) != []) is upward
