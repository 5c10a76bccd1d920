"""Import on use: the extension loads the heavy libraries only when a build needs them.

Unicorn, capstone, pcpp, kconfiglib and jsonschema cost tens of
milliseconds to import: ``import sphinx_xenabi`` and ``setup()`` load none
of them, and a rebuild that reuses the cached facts loads none either.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.paths import REPO
from support.xen_docs import docs_in
from support.xen_trees import hypercall_defs_tree

HEAVY = ("unicorn", "capstone", "pcpp", "kconfiglib", "jsonschema")

REPORT = (
    "import sys\n"
    f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    "print('loaded:', ' '.join(loaded) or 'none')\n"
)

BUILD = (
    "import sys\n"
    "from sphinx.cmd.build import build_main\n"
    "status = build_main(['-q', '-b', 'html', sys.argv[1], sys.argv[2]])\n"
    "assert status == 0, status\n"
)


def _loaded(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_package_and_its_setup_loads_none_of_them() -> None:
    code = "import sphinx_xenabi, sphinx_xenabi.extension\n"
    assert _loaded(code) == "loaded: none"


def test_a_rebuild_that_reuses_the_facts_loads_none_of_them(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree)
    out = str(tmp_path / "out")
    first = _loaded(BUILD, str(docs), out)
    assert "pcpp" in first and "unicorn" in first  # the source was read, the rows ran
    assert _loaded(BUILD, str(docs), out) == "loaded: none"
