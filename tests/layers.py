"""The layers of src/runbookctl and its import graph, read from the source with ast.

The layers are read from pyproject.toml's [tool.importlinter] layers contract, so
the rule has one home: import-linter keeps it in `make lint`, and the tests that
use this module name each offending import by file:line. Every import counts:
module level, inside functions (the lazy ones) and under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


@dataclass(frozen=True)
class Import:
    """`importer` imports `imported` at `file`:`line`."""

    importer: str
    imported: str
    file: Path
    line: int

    def where(self) -> str:
        shown = self.file.relative_to(ROOT) if self.file.is_relative_to(ROOT) else self.file
        return f"{shown}:{self.line}"


def layers(pyproject: Path = ROOT / "pyproject.toml") -> list[list[str]]:
    """The layers top to bottom; each a list of packages that may not import each other."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    return [[p.strip() for p in layer.split("|")] for layer in contract["layers"]]


def modules(src: Path = SRC, root: str = "runbookctl") -> dict[str, Path]:
    """Every module of the package under `src`, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((src / root).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(mods: dict[str, Path]) -> list[Import]:
    """Every import from one module of `mods` to another, wherever it stands in the file."""
    found = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = {_known(target, mods) for target in _targets(node, package)}
            found += [Import(name, module, path, node.lineno)
                      for module in sorted(t for t in targets if t not in (None, name))]
    return found


def _targets(node: ast.AST, package: str) -> list[str]:
    """The dotted names an import statement loads (`from a import b`: a.b, which is a module
    or else an attribute of module a)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    return [f"{base}.{alias.name}" for alias in node.names]


def _known(target: str, mods: dict[str, Path]) -> str | None:
    """The module of `mods` that `target` names: itself, else the longest module it is in."""
    while target:
        if target in mods:
            return target
        target = target.rpartition(".")[0]
    return None


def layer_of(module: str, stack: list[list[str]]) -> tuple[int, str] | None:
    """(index of the layer, top package) of `module`; None for a module outside the layers."""
    for index, layer in enumerate(stack):
        for package in layer:
            if module == package or module.startswith(package + "."):
                return index, package
    return None


def layer_violations(found: list[Import], stack: list[list[str]]) -> list[str]:
    """Each import that goes up a layer or across to an independent sibling, located."""
    bad = []
    for imp in found:
        src, dst = layer_of(imp.importer, stack), layer_of(imp.imported, stack)
        if src is None or dst is None or src[1] == dst[1]:
            continue
        if dst[0] < src[0]:
            bad.append(f"{imp.where()}: {imp.importer} imports {imp.imported}, a higher layer")
        elif dst[0] == src[0]:
            bad.append(f"{imp.where()}: {imp.importer} imports {imp.imported}, an independent "
                       f"sibling ({src[1]} | {dst[1]})")
    return bad


def cycles(found: list[Import]) -> dict[frozenset[str], list[Import]]:
    """Each group of modules that import each other in a circle, with one such cycle."""
    # The validator's Tarjan (loops in runbooks), reused; imported here so that
    # tests/layer_trace.py can measure an older checkout that lacks it.
    from runbookctl.check.validate import _sccs as strongly_connected

    graph: dict[str, dict[str, Import]] = {}
    for imp in found:
        graph.setdefault(imp.importer, {}).setdefault(imp.imported, imp)
    adj = {node: set(children) for node, children in graph.items()}
    return {frozenset(group): _cycle_in(group, graph) for group in strongly_connected(adj) if len(group) > 1}


def _cycle_in(group: set[str], graph: dict[str, dict[str, Import]]) -> list[Import]:
    """A shortest cycle through the group's first module (breadth-first back to it)."""
    start = min(group)
    came: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child, imp in sorted(graph.get(node, {}).items()):
                if child not in group:
                    continue
                if child == start:
                    path = [imp]
                    while path[0].importer != start:
                        path.insert(0, came[path[0].importer])
                    return path
                if child not in came:
                    came[child] = imp
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle through {start} in {sorted(group)}")


def describe(cycle: list[Import]) -> str:
    """`a -> b (file:line) -> a (file:line)`."""
    return cycle[0].importer + "".join(f" -> {i.imported} ({i.where()})" for i in cycle)
