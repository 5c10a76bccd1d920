"""The package's import graph, read from its source with :mod:`ast`, and its layering rules.

Every module of the package, recursively, is a node. An import is an edge
from the module that holds it to the module it names, wherever it stands
(inside a function too), except under ``if TYPE_CHECKING:``:

- ``import a.b.c`` (or ``from a.b.c import x``) is an edge to the longest
  prefix of ``a.b.c`` that is a module of the package;
- ``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else
  to ``a.b`` (the longest module prefix of it);
- relative imports are resolved against the importing module's package.

Imports of other distributions (sphinx, docutils, ...) are kept apart, by
their full dotted name, for the rules on what a layer may import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PackageImports:
    """A package's modules and their imports: ``{importer: {imported: first line}}``."""

    name: str
    modules: dict[str, Path]
    internal: dict[str, dict[str, int]] = field(default_factory=dict)
    external: dict[str, dict[str, int]] = field(default_factory=dict)


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module under ``package_dir`` (a package), by dotted name; packages by their own."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(statements: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import in ``statements``, nested too, except in the body of ``if TYPE_CHECKING:``."""
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, ast.If) and _is_type_checking(statement.test):
            yield from _import_nodes(statement.orelse)
        else:
            for child in ast.iter_child_nodes(statement):
                if isinstance(child, ast.stmt):
                    yield from _import_nodes([child])
                elif isinstance(child, (ast.excepthandler, ast.match_case)):
                    yield from _import_nodes(child.body)


def _longest_module(name: str, modules: dict[str, Path]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def _imported(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]
) -> Iterator[str]:
    """The dotted names an import names: ``a.b`` for ``import a.b``; for ``from a.b import c``,
    ``a.b.c`` when that is a module of the package, else ``a.b``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:  # relative: against the importing module's package
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base


def read_package(package_dir: Path) -> PackageImports:
    """The import graph of the package in ``package_dir`` (``.../name/__init__.py``)."""
    modules = module_names(package_dir)
    result = PackageImports(package_dir.name, modules)
    prefix = package_dir.name + "."
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        internal = result.internal.setdefault(module, {})
        external = result.external.setdefault(module, {})
        for node in _import_nodes(tree.body):
            for name in _imported(node, module, path.name == "__init__.py", modules):
                if name == package_dir.name or name.startswith(prefix):
                    target = _longest_module(name, modules)
                    if target is not None and target != module:
                        internal.setdefault(target, node.lineno)
                else:
                    external.setdefault(name, node.lineno)
    return result


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The import cycles: each strongly connected component of more than one module, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_edges(imports: PackageImports, component: list[str]) -> list[str]:
    """The edges inside one cycle, as ``importer:line -> imported``, for the report."""
    members = set(component)
    return [
        f"{importer}:{line} -> {target}"
        for importer in component
        for target, line in sorted(imports.internal.get(importer, {}).items())
        if target in members
    ]


def _in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def layer_violations(imports: PackageImports) -> list[str]:
    """What a layer imports that it may not, as ``importer:line imports name``.

    - ``model``, ``emulator`` and ``pictures`` import nothing of sphinx, docutils or myst_parser;
    - ``extraction`` imports nothing of ``build`` (or ``results``, its name since the
      package refactor), ``domain`` or ``cli``;
    - nothing outside ``cli`` imports ``cli``, except the package's ``__main__``.
    """
    pkg = imports.name
    found = []
    for module in sorted(imports.modules):
        if _in(module, f"{pkg}.model", f"{pkg}.emulator", f"{pkg}.pictures"):
            for name, line in sorted(imports.external.get(module, {}).items()):
                if _in(name, "sphinx", "docutils", "myst_parser"):
                    found.append(f"{module}:{line} imports {name}")
        for target, line in sorted(imports.internal.get(module, {}).items()):
            if _in(module, f"{pkg}.extraction") and _in(
                target, f"{pkg}.build", f"{pkg}.results", f"{pkg}.domain", f"{pkg}.cli"
            ):
                found.append(f"{module}:{line} imports {target}")
            if (
                _in(target, f"{pkg}.cli")
                and not _in(module, f"{pkg}.cli")
                and module != f"{pkg}.__main__"
            ):
                found.append(f"{module}:{line} imports {target}")
    return found


def size_violations(
    package_dir: Path, *, top_modules: int = 8, module_lines: int = 500, function_lines: int = 60
) -> list[str]:
    """Too many modules directly in the package, modules or functions too long."""
    found = []
    top = sorted(p.name for p in package_dir.glob("*.py"))
    if len(top) > top_modules:
        found.append(f"{len(top)} modules directly in {package_dir.name}/: {', '.join(top)}")
    for path in sorted(package_dir.rglob("*.py")):
        where = path.relative_to(package_dir.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > module_lines:
            found.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > function_lines:
                    found.append(f"{where}:{node.lineno}: {node.name}() is {length} lines")
    return found
