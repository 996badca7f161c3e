"""The import structure of ``lib/shoplake``: no module, and no sub-package, imports itself back.

A cycle makes import order matter and hides which floor a shared name belongs on. Every import
in a file counts, also one inside a function: deferring an import hides a cycle, it does not
break it. Break one by moving the shared part one floor down (``shoplake.schemas``,
``shoplake.errors``, ...), below everything that uses it.
"""
from __future__ import annotations

import ast
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "lib"

Graph = Mapping[str, set[str]]


def import_graph(lib: Path = LIB, package: str = "shoplake") -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports anywhere in its file (module level or in a function).

    ``from pkg import name`` imports ``pkg.name`` when that is a module, else ``pkg`` (its ``__init__``);
    relative imports count as the absolute ones they stand for.
    """
    files = {_module_name(path, lib): path for path in sorted((lib / package).rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, here)
                imported.update(f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names)
        graph[name] = {module for module in imported if module in files and module != name}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """A shortest cycle ``[a, b, ..., a]`` through each strongly connected part of ``graph`` with more than one node."""
    return [_shortest_cycle(graph, part) for part in _strongly_connected(graph) if len(part) > 1]


def subpackage_graph(graph: Graph) -> dict[str, set[str]]:
    """The module graph with each module replaced by its sub-package (see :func:`subpackages`)."""
    owner = subpackages(graph)
    merged: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        merged[owner[module]].update(owner[other] for other in imported if owner[other] != owner[module])
    return dict(merged)


def subpackages(modules: Iterable[str]) -> dict[str, str]:
    """Module -> its sub-package: ``shoplake.X`` for everything under ``shoplake/X/``, a module directly
    under ``shoplake/`` its own; a package that only groups sub-packages (``shoplake.ml``) splits into
    them (``shoplake.ml.recommend``), its ``__init__`` stays the package itself."""
    modules = set(modules)
    children: dict[str, set[str]] = defaultdict(set)
    for module in modules:
        children[module.rpartition(".")[0]].add(module)
    packages = set(children) & modules
    groups = {package for package in packages if children[package] <= packages}
    owner = {}
    for module in modules:
        parts = module.split(".")
        depth = 2
        while depth < len(parts) and ".".join(parts[:depth]) in groups:
            depth += 1
        owner[module] = ".".join(parts[:depth])
    return owner


def describe(found: list[list[str]]) -> str:
    """One line per cycle: ``a → b → a``."""
    return "\n".join(" → ".join(cycle) for cycle in found)


def test_no_module_imports_itself_back():
    found = cycles(import_graph())
    assert not found, f"import cycles between modules:\n{describe(found)}"


def test_no_subpackage_imports_itself_back():
    found = cycles(subpackage_graph(import_graph()))
    assert not found, f"import cycles between sub-packages:\n{describe(found)}"


def test_every_kind_of_import_counts_and_a_cycle_is_named(tmp_path):
    _write(tmp_path / "shop/__init__.py", "VALUE = 1\n")
    _write(tmp_path / "shop/a.py", "from shop import b\n")  # a module by name: shop.b
    _write(tmp_path / "shop/b.py", "def late():\n    from shop.c import thing\n")  # inside a function
    _write(tmp_path / "shop/c.py", "import shop.a\nfrom shop import VALUE\nthing = 1\n")  # a name: shop itself
    _write(tmp_path / "shop/d.py", "from . import c\nimport json\n")  # relative; outside the package: ignored

    graph = import_graph(tmp_path, "shop")

    assert graph == {"shop": set(), "shop.a": {"shop.b"}, "shop.b": {"shop.c"},
                     "shop.c": {"shop.a", "shop"}, "shop.d": {"shop.c"}}
    assert describe(cycles(graph)) == "shop.a → shop.b → shop.c → shop.a"
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_a_package_of_packages_splits_into_its_subpackages():
    modules = ["shoplake", "shoplake.cli", "shoplake.lake", "shoplake.lake.api", "shoplake.lake.deltars",
               "shoplake.lake.deltars.files", "shoplake.ml", "shoplake.ml.recommend", "shoplake.ml.recommend.als"]

    owner = subpackages(modules)

    assert owner["shoplake.cli"] == "shoplake.cli"
    assert owner["shoplake.lake.deltars.files"] == owner["shoplake.lake.api"] == "shoplake.lake"
    assert owner["shoplake.ml.recommend.als"] == "shoplake.ml.recommend"
    assert owner["shoplake.ml"] == "shoplake.ml"


def _module_name(path: Path, lib: Path) -> str:
    parts = path.relative_to(lib).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module ``from <module> import ...`` names, with a relative one resolved against ``package``."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm: the graph's strongly connected parts."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    parts: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = set()
            while True:
                member = stack.pop()
                part.add(member)
                if member == node:
                    break
            parts.append(part)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return parts


def _shortest_cycle(graph: Graph, part: set[str]) -> list[str]:
    """The shortest path from the first node of ``part`` back to itself, inside ``part`` (breadth first)."""
    start = min(part)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node] & part):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"{sorted(part)} is not strongly connected")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
