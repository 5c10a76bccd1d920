"""Snapshot the observable behaviour of a sphinx-xenabi checkout, to diff two checkouts.

Usage::

    python behaviour_snapshot.py REPO_ROOT OUT_DIR
    diff -r BASELINE_OUT_DIR OUT_DIR

Run with the project's venv Python. REPO_ROOT is put first on PYTHONPATH, so the
``sphinx_xenabi`` of that checkout is the one imported (``imported.txt`` says which
file it was, and the script prints it).

What it records, each command's stdout, stderr and exit code in separate files:

* ``site/``: the html build of REPO_ROOT/docs (its output, ``xenabi-registry.json``,
  the hypercall index and every page under ``guest-guide/``, and under ``tooling/``,
  whose pages render the extension's other directives and the autodoc'd Python API),
  ``check`` in every format, ``extract`` and ``indent``;
* ``drifted/``: ``check`` in every format on a copy of the docs with one register
  cell changed (R10 -> RCX in the current 64-bit row), so that the check fails;
* ``xen/<rev>/``: ``check`` in every format and ``extract`` on the docs of each real
  Xen tree in ``../shared/xen-src`` beside the checkout (checked against the tree's own source);
* ``source/``: ``source`` of two Xen trees; ``diff/``: ``diff`` in every format
  between two Xen sources and between two Xen docs trees;
* ``indent/``: ``indent`` on a Xen docs tree that has findings.

A refactor that should not change behaviour must leave ``diff -r`` of two snapshots
empty. So that two checkouts at different places compare equal, outputs are
normalised: REPO_ROOT -> ``<ROOT>``, the Xen trees' folder -> ``<SHARED>``, this
script's scratch folder -> ``<TMP>``, the CLI's own temporary folders -> ``<XENABI_TMP>``,
and elapsed times (``check`` prints "... in 1.3 s") -> ``<SECONDS>``.

Xen's own docs/conf.py works with the installed Sphinx, so the Xen trees are
checked with their own conf.py (no --conf-dir).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The Xen trees beside the checkout, as the tests find them (XENABI_SHARED overrides).
SHARED = Path(os.environ.get("XENABI_SHARED", Path(__file__).resolve().parents[2] / "shared"))
XEN_SRC = SHARED / "xen-src"
XEN_REVISIONS = ("4.13.0", "4.16.0", "4.17.0", "4.18.0", "head")
SOURCE_REVISIONS = ("head", "4.16.0")
SITE_FOLDERS = ("guest-guide", "tooling")  # the html pages kept from the site build
CHECK_FORMATS = ("text", "json", "github", "junit")
DIFF_FORMATS = ("text", "markdown", "json", "github")
# The one cell the drifted copy changes: R10 -> RCX in the current 64-bit row.
DRIFT_PAGE = Path("guest-guide/x86/hypercall-abi.rst")
DRIFT_CELL = re.compile(r"^(\s*- RDI RSI RDX )R10( R8)$", re.MULTILINE)
MARKER = "imported.txt"  # written first: OUT_DIR holding it is ours to overwrite


class Snapshot:
    """Runs commands for one checkout and writes their normalised outputs."""

    def __init__(self, root: Path, out: Path, scratch: Path) -> None:
        self.root, self.out, self.scratch = root, out, scratch
        self.cwd = scratch / "cwd"  # holds none of the inputs, so paths print absolute
        self.cwd.mkdir()
        self.env = {**os.environ, "PYTHONPATH": str(root)}
        # Longest first, so that no replacement cuts into a longer path.
        self.paths = sorted(
            [(str(root), "<ROOT>"), (str(SHARED), "<SHARED>"), (str(scratch), "<TMP>")],
            key=lambda pair: -len(pair[0]),
        )
        self.xenabi_tmp = re.compile(re.escape(tempfile.gettempdir()) + r"/xenabi-\w+")

    def normalise(self, text: str) -> str:
        """``text`` with the machine-specific paths and the elapsed times replaced."""
        for path, token in self.paths:
            text = text.replace(path, token)
        text = self.xenabi_tmp.sub("<XENABI_TMP>", text)
        return re.sub(r"\bin \d+(?:\.\d+)? s\b", "in <SECONDS> s", text)

    def write(self, name: str, text: str) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.normalise(text), encoding="utf-8")

    def copy(self, source: Path, name: str) -> None:
        """Copy a produced file in, normalised, or note that it was not produced."""
        if source.is_file():
            self.write(name, source.read_text(encoding="utf-8"))
        else:
            self.write(name + ".missing", "")

    def run(self, name: str, *args: str | Path) -> None:
        """Run ``python ARGS``; write NAME.stdout, NAME.stderr and NAME.rc."""
        done = subprocess.run(
            [sys.executable, *map(str, args)],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.write(f"{name}.stdout", done.stdout)
        self.write(f"{name}.stderr", done.stderr)
        self.write(f"{name}.rc", f"{done.returncode}\n")

    def xenabi(self, name: str, *args: str | Path) -> None:
        self.run(name, "-m", "sphinx_xenabi", *args)

    def check(self, folder: str, docs: Path, *options: str | Path) -> None:
        for fmt in CHECK_FORMATS:
            self.xenabi(f"{folder}/check-{fmt}", "check", docs, *options, "--format", fmt)

    def extract(self, folder: str, docs: Path, *options: str | Path) -> None:
        output = self.scratch / "extract.json"
        output.unlink(missing_ok=True)
        self.xenabi(f"{folder}/extract", "extract", docs, *options, "-o", output)
        self.copy(output, f"{folder}/extract.json")


def imported_from(root: Path, env: dict[str, str]) -> str:
    """The ``sphinx_xenabi/__init__.py`` that Python imports with REPO_ROOT on the path."""
    code = "import sphinx_xenabi; print(sphinx_xenabi.__file__)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def site(snap: Snapshot) -> None:
    """The html build, and check/extract/indent of REPO_ROOT/docs."""
    docs, html = snap.root / "docs", snap.scratch / "html"
    snap.run("site/build", "-m", "sphinx", "-c", snap.root, "-E", "-b", "html", docs, html)
    for name in ("xenabi-registry.json", "xenabi-hypercallindex.html"):
        found = sorted(html.rglob(name))
        snap.copy(found[0] if found else html / name, f"site/{name}")
    for folder in SITE_FOLDERS:
        for page in sorted((html / folder).rglob("*.html")):
            snap.copy(page, f"site/{page.relative_to(html)}")
    snap.check("site", docs, "--conf-dir", snap.root)
    snap.extract("site", docs, "--conf-dir", snap.root)
    snap.xenabi("site/indent", "indent", docs)


def drifted(snap: Snapshot) -> None:
    """check on a copy of the docs whose current 64-bit row names RCX for R10."""
    docs = snap.scratch / "drifted" / "docs"
    shutil.copytree(snap.root / "docs", docs)
    page = docs / DRIFT_PAGE
    text, count = DRIFT_CELL.subn(r"\1RCX\2", page.read_text(encoding="utf-8"))
    if count != 1:
        raise SystemExit(f"expected one 64-bit register row in {DRIFT_PAGE}, found {count}")
    page.write_text(text, encoding="utf-8")
    snap.check("drifted", docs, "--conf-dir", snap.root)


def xen(snap: Snapshot) -> None:
    """check/extract of the real Xen trees' docs, source, diff and indent."""
    for revision in XEN_REVISIONS:
        docs = XEN_SRC / revision / "docs"
        snap.check(f"xen/{revision}", docs)
        snap.extract(f"xen/{revision}", docs)
    for revision in SOURCE_REVISIONS:
        output = snap.scratch / f"source-{revision}.json"
        snap.xenabi(f"source/{revision}", "source", XEN_SRC / revision, "-o", output)
        snap.copy(output, f"source/{revision}.json")
    pairs = {
        "source-4.16.0-4.17.0": (XEN_SRC / "4.16.0", XEN_SRC / "4.17.0"),
        "docs-4.17.0-4.18.0-all": (XEN_SRC / "4.17.0/docs", XEN_SRC / "4.18.0/docs", "--all"),
    }
    for name, sides in pairs.items():
        for fmt in DIFF_FORMATS:
            snap.xenabi(f"diff/{name}/{fmt}", "diff", *sides, "--format", fmt)
    snap.xenabi("indent/head-docs", "indent", XEN_SRC / "head/docs")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python behaviour_snapshot.py REPO_ROOT OUT_DIR", file=sys.stderr)
        return 2
    root, out = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            print(f"{out} is not empty and not a snapshot; not overwriting it", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix="xenabi-snapshot-") as scratch:
        snap = Snapshot(root, out, Path(scratch).resolve())
        imported = imported_from(root, snap.env)
        print(f"sphinx_xenabi imported from {imported}")
        if not Path(imported).resolve().is_relative_to(root):
            print(f"that is not in {root}; refusing to snapshot it", file=sys.stderr)
            return 1
        snap.write(MARKER, imported + "\n")
        site(snap)
        drifted(snap)
        xen(snap)
    print(f"snapshot written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
