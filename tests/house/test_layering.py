"""The package's layering, read from its source (support.layering): no import cycle,
each layer imports only what it may, and no module or function grows too long.

The checker itself is tested on small synthetic packages, so a rule that
finds nothing on the package is known to be able to find something.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.layering import (
    PackageImports,
    cycle_edges,
    cycles,
    layer_violations,
    read_package,
    size_violations,
)
from support.paths import REPO

PACKAGE = REPO / "sphinx_xenabi"


@pytest.fixture(scope="module")
def package() -> PackageImports:
    return read_package(PACKAGE)


def test_the_whole_package_is_read(package: PackageImports) -> None:
    # recursively: every subpackage and module, the model's xen_source reader too
    assert {"sphinx_xenabi", "sphinx_xenabi.__main__", "sphinx_xenabi.extension"} <= set(
        package.modules
    )
    for layer in ("model", "emulator", "extraction", "domain", "directives", "cli"):
        assert any(m.startswith(f"sphinx_xenabi.{layer}.") for m in package.modules), layer
    assert any(m.startswith("sphinx_xenabi.model.xen_source.") for m in package.modules)
    assert len(package.modules) == len(list(PACKAGE.rglob("*.py")))


def test_no_import_cycle(package: PackageImports) -> None:
    found = cycles(package.internal)
    report = "\n".join(
        f"cycle of {len(c)}: {', '.join(c)}\n  " + "\n  ".join(cycle_edges(package, c))
        for c in found
    )
    assert found == [], report


def test_each_layer_imports_only_what_it_may(package: PackageImports) -> None:
    # model, emulator, pictures: no sphinx, docutils, myst_parser; extraction: not the build's
    # result, domain or cli; cli: imported by itself and the package's __main__ alone
    assert layer_violations(package) == []


def test_no_module_or_function_is_too_long() -> None:
    # at most 8 modules directly in sphinx_xenabi/, 500 lines a module, 60 a function
    assert size_violations(PACKAGE) == []


# -- the checker ---------------------------------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    """A package ``pkg`` under ``root`` with ``files`` (paths inside it: source)."""
    for name, text in {"__init__.py": "", **files}.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_checker_finds_a_cycle_and_a_model_module_importing_sphinx(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "model/__init__.py": "",
            "model/facts.py": "import json\n\ndef f():\n    from sphinx.util import logging\n",
            "model/clean.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    import docutils.nodes\n",
            "emulator/__init__.py": "",
            "emulator/cpu.py": "import docutils.nodes\n",
            "pictures/__init__.py": "",
            "pictures/map.py": "from sphinx.util.docutils import SphinxDirective\n",
            "a.py": "from pkg import b\n",
            "b.py": "from . import c\n",
            "c.py": "import pkg.a\n",
        },
    )
    imports = read_package(pkg)
    assert cycles(imports.internal) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert cycle_edges(imports, ["pkg.a", "pkg.b", "pkg.c"]) == [
        "pkg.a:1 -> pkg.b",
        "pkg.b:1 -> pkg.c",
        "pkg.c:1 -> pkg.a",
    ]
    assert layer_violations(imports) == [
        "pkg.emulator.cpu:1 imports docutils.nodes",
        "pkg.model.facts:4 imports sphinx.util",  # inside a function: it counts
        "pkg.pictures.map:1 imports sphinx.util.docutils",
    ]  # and model.clean's import under TYPE_CHECKING does not


def test_the_checker_finds_what_extraction_and_others_may_not_import(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "__main__.py": "from pkg.cli import main\n",
            "cli/__init__.py": "from .commands import run\n",
            "cli/commands.py": "from ..extraction import tables\n",
            "extraction/__init__.py": "",
            "extraction/tables.py": "from pkg.build import result\nfrom ..domain import index\n",
            "build/__init__.py": "",
            "build/result.py": "",
            "domain/__init__.py": "from pkg import cli\n",
            "domain/index.py": "",
        },
    )
    imports = read_package(pkg)
    assert imports.internal["pkg.cli"] == {"pkg.cli.commands": 1}  # relative, to the module
    assert imports.internal["pkg.extraction.tables"] == {
        "pkg.build.result": 1,
        "pkg.domain.index": 2,
    }
    assert layer_violations(imports) == [
        "pkg.domain:1 imports pkg.cli",
        "pkg.extraction.tables:1 imports pkg.build.result",
        "pkg.extraction.tables:2 imports pkg.domain.index",
    ]  # __main__ may import the cli, the cli anything
    assert cycles(imports.internal) == []


def test_the_checker_resolves_names_to_the_longest_module(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "model/__init__.py": "from .spec import Release\n",
            "model/spec.py": "class Release: ...\n",
            "user.py": "import pkg.model.spec.Release\n"  # a prefix is the module
            "from pkg.model import Release\n"  # a name, not a module: the package
            "from pkg.model import spec\n"
            "try:\n    import json\nexcept ImportError:\n    import pkg.missing\n",
        },
    )
    imports = read_package(pkg)
    assert imports.internal["pkg.user"] == {"pkg.model.spec": 1, "pkg.model": 2, "pkg": 7}
    assert imports.external["pkg.user"] == {"json": 5}
    assert imports.internal["pkg.model"] == {"pkg.model.spec": 1}


def test_the_checker_finds_long_modules_and_functions(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    pkg = _package(
        tmp_path,
        {
            **{f"m{i}.py": "" for i in range(8)},  # with __init__.py: 9 directly in pkg/
            "long/__init__.py": "",
            "long/module.py": "x = 1\n" * 501,
            "long/function.py": f"def short():\n    pass\n\n\ndef long():\n{body}",
        },
    )
    found = size_violations(pkg)
    assert found[0].startswith("9 modules directly in pkg/: __init__.py, m0.py")
    assert found[1:] == [
        "pkg/long/function.py:5: long() is 61 lines",
        "pkg/long/module.py: 501 lines",
    ]
