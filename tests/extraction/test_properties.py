"""Property-based: generated tables, valid and mutated, through real Sphinx builds.

Each example is a small tree with a reST page and a MyST page of generated
tables (``tests/support/table_strategies.py``), built twice: html (which runs the rows on
the emulated CPU) and, from another directory, the dummy builder. For every
example:

- no exception escapes and the build succeeds (drift is a warning here);
- every problem the extraction reports is exactly one the oracle expects,
  typed, at the line of the offending cell, and no expected one is missing;
- every other ``xenabi.*`` message stands at a line of one of the tables;
- a table whose header matches a kind is recorded (unless docutils itself
  refuses it, with its own located error), with the rows the oracle expects;
- the published registry loads, and is byte-identical across the two builds.

The CI profile (``tests/support/hypothesis_profiles.py``) is fixed and
derandomised; run
``pytest tests/extraction/test_properties.py --hypothesis-profile=long`` for a deep run,
whose trees hold more tables each (a tree's two builds cost more than its
tables, so the run covers more tables in the same time).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from sphinx.util.console import strip_colors

from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry import load
from support.building import Build, run_sphinx
from support.table_strategies import Page, pages

# Fifty generated trees, each built twice (about 25 s): the slow tier, not a whole site.
pytestmark = pytest.mark.site

EXTRACTION_SUBTYPES = frozenset(
    {
        "ragged-row",
        "empty-cell",
        "duplicate-row",
        "duplicate-column",
        "unknown-abi",
        "bad-register",
        "parameter-count",
        "unknown-guest",
        "bad-number",
        "bad-availability",
        "release-range",
    }
)

CONF = """\
project = "generated"
extensions = ["myst_parser", "sphinx_xenabi"]
release = "4.22"
xenabi_drift = "warning"
"""

INDEX = """\
Root
====

.. toctree::

   guide
   guide_md
"""


def _profile() -> str:
    current = getattr(settings, "get_current_profile_name", None)  # hypothesis 6.122+
    return str(current() if current else settings._current_profile)


# Tables per generated tree: a deep run builds fewer, fuller trees.
TABLES_PER_TREE = {"long": (26, 34)}.get(_profile(), (1, 14))

_MESSAGE = re.compile(
    r"^(?P<path>[^:]*?)(?::(?P<line>\d+))?: (?P<level>WARNING|ERROR|CRITICAL): "
    r"(?P<message>.*?)(?: \[(?P<type>[\w.-]+)\])?$"
)


def build_tree(root: Path, pages_: tuple[Page, ...], builder: str) -> Build:
    root.mkdir(parents=True)
    (root / "conf.py").write_text(CONF, encoding="utf-8")
    (root / "index.rst").write_text(INDEX, encoding="utf-8")
    for page in pages_:
        (root / page.file).write_text(page.text, encoding="utf-8")
    return run_sphinx(
        root, root.parent / f"out-{builder}", confdir=root, buildername=builder, freshenv=True
    )


def messages(build: Build) -> list[dict[str, Any]]:
    """Every warning and error: file relative to the tree, line, level, message, type."""
    srcdir = Path(build.app.srcdir)
    found = []
    for raw in strip_colors(build.warnings).splitlines():
        match = _MESSAGE.match(raw)
        if match is None:  # docutils follows its own errors with the offending source
            assert found and not found[-1]["type"], f"a message of unknown form: {raw!r}"
            continue
        path = match["path"]
        if path.startswith(str(srcdir)):
            path = Path(path).relative_to(srcdir).as_posix()
        found.append(
            {
                "file": path,
                "line": int(match["line"]) if match["line"] else None,
                "level": match["level"],
                "message": match["message"],
                "type": match["type"] or "",
            }
        )
    return found


def check_build(build: Build, generated: tuple[Page, ...]) -> list[dict[str, Any]]:
    output = strip_colors(build.status + build.warnings)
    assert "Traceback" not in output and "Extension error" not in output, output
    assert build.statuscode == 0, build.warnings
    found = messages(build)
    for page in generated:
        on_page = [m for m in found if m["file"] == page.file]
        ours = [m for m in on_page if m["type"].startswith("xenabi.")]
        # Every problem expected, at its cell's line, and nothing else.
        extraction = sorted(
            (m["type"].removeprefix("xenabi."), m["line"])
            for m in ours
            if m["type"].removeprefix("xenabi.") in EXTRACTION_SUBTYPES
        )
        assert extraction == page.expected_problems(), (page.text, extraction)
        # Drift, execution and unchecked findings stand at the tables' lines.
        known = page.known_lines()
        for message in ours:
            assert message["type"].removeprefix("xenabi.") in set(WarningSubtype), message
            assert message["line"] in known, (message, page.text)
        # Only docutils' refusal of a ragged list-table is not ours, at its directive.
        refused = {page.starts[i] for i, t in enumerate(page.tables) if t.refused}
        for message in on_page:
            if not message["type"].startswith("xenabi."):
                assert message["line"] in refused, (message, page.text)
        assert {m["line"] for m in on_page if not m["type"]} >= refused
    others = [m for m in found if m["file"] not in {p.file for p in generated}]
    assert others == [], others
    return found


def check_registry(build: Build, generated: tuple[Page, ...]) -> bytes:
    registry = load(build.registry_json)  # a successful build's registry always loads
    text = build.registry_json.read_bytes()
    assert registry.to_json().encode("utf-8") == text
    for page in generated:
        recorded = [t for t in registry.tables if t.location.file == page.file]
        kept = [(i, t) for i, t in enumerate(page.tables) if not t.refused]
        # Never a table dropped: each recognised table, in page order, with its rows.
        assert [t.kind.value for t in recorded] == [t.kind for _, t in kept], page.text
        for record, (position, table) in zip(recorded, kept):
            assert len(record.rows) == table.recorded, (position, table, page.text)
            assert record.location.line in page.known_lines()
    return text


def _summary(generated: tuple[Page, ...]) -> None:
    for page in generated:
        for table in page.tables:
            event(f"syntax {table.syntax}")
            event(f"kind {table.kind}")
            for fault in table.faults or ["none"]:
                event(f"fault {fault}")


@given(pages(*TABLES_PER_TREE))
def test_generated_tables_are_read_exactly(generated: tuple[Page, ...]) -> None:
    _summary(generated)
    with tempfile.TemporaryDirectory(prefix="xenabi-properties-") as scratch:
        html = build_tree(Path(scratch) / "a" / "docs", generated, "html")
        found = check_build(html, generated)
        published = check_registry(html, generated)
        # Output is byte-identical across runs: another directory, another builder.
        dummy = build_tree(Path(scratch) / "b" / "elsewhere", generated, "dummy")
        check_build(dummy, generated)
        assert dummy.registry_json.read_bytes() == published

        def extraction(of: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
            return [
                (m["file"], m["line"], m["type"], m["message"])
                for m in of
                if m["type"].removeprefix("xenabi.") in EXTRACTION_SUBTYPES
            ]

        assert extraction(messages(dummy)) == extraction(found)
