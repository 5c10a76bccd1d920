"""What the site generates from the code: the warnings table, the configuration values, the history.

What the pages say is written once, in the code (the subtypes' docstrings,
the config values' help, the model's history); these tests check the real
site renders all of it, and that a value cannot be added without its help.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sphinx.config import ENUM

from sphinx_xenabi.config import (
    CONFIG_VALUES,
    ConfigValue,
    default_source,
    type_annotation,
)
from sphinx_xenabi.directives.warnings_table import warning_anchor
from sphinx_xenabi.model.problems import WarningSubtype
from support.abi_facts import MODEL_HISTORY
from support.building import Build
from support.html_tables import read_row_ids, read_tables
from support.paths import DOCS, REPO

# A role (:confval:`x`, :doc:`/a/b`) or a reference (`Title`_) renders as other
# text than its source; everything between them renders as written.
_MARKUP = re.compile(r":[a-z:]+:`[^`]*`|`[^`]+`_")


def _rendered_fragments(rst: str) -> list[str]:
    """The pieces of a one-paragraph reST text that appear verbatim on the page."""
    pieces = (" ".join(p.replace("``", "").split()) for p in _MARKUP.split(rst))
    return [piece.strip(" ,;()") for piece in pieces if piece.strip(" ,;().")]


# Docutils' smart quotes turn the source's apostrophes and quotes typographic.
_TYPOGRAPHIC = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")


def _plain(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def _text(fragment: str) -> str:
    without_permalinks = re.sub(r'<a class="headerlink".*?</a>', "", fragment, flags=re.S)
    return _plain(html.unescape(re.sub(r"<[^>]+>", "", without_permalinks)))


def _confvals(page: Path) -> dict[str, str]:
    """Each configuration value's entry on the page: name -> its text."""
    source = page.read_text(encoding="utf-8")
    entries = re.findall(r'<dl class="std confval">(.*?)</dd></dl>', source, re.S)
    found: dict[str, str] = {}
    for entry in entries:
        anchor = re.search(r'id="confval-([a-z_]+)"', entry)
        assert anchor is not None, entry
        found[anchor[1]] = _text(entry)
    return found


def test_the_warnings_page_lists_every_subtype_with_its_docstring(site: Build) -> None:
    page = site.outdir / "tooling" / "warnings.html"
    (table,) = [t for t in read_tables(page) if "xenabi-warnings" in str(t["classes"])]
    assert str(table["caption"]).startswith("Message subtypes")
    rows = table["rows"]
    assert isinstance(rows, list)
    assert rows[0] == ["Subtype", "Meaning"]
    assert len(rows) == len(WarningSubtype) + 1
    for subtype, (name, meaning) in zip(WarningSubtype, rows[1:], strict=True):
        assert name == f"xenabi.{subtype.value}"
        for fragment in _rendered_fragments(subtype.__doc__ or ""):
            assert fragment in _plain(meaning), (subtype, fragment)
    # each row can be linked to
    anchors = read_row_ids(page)
    for subtype in WarningSubtype:
        assert anchors[warning_anchor(subtype)] == subtype.name_in_logs


def test_the_configuration_page_lists_every_value_with_type_default_and_help(
    site: Build,
) -> None:
    entries = _confvals(site.outdir / "tooling" / "configuration.html")
    assert list(entries) == [value.name for value in CONFIG_VALUES]
    for value in CONFIG_VALUES:
        text = entries[value.name]
        assert text.startswith(
            f"{value.name} Type: {type_annotation(value)} Default: {default_source(value)} "
        ), text
        for fragment in _rendered_fragments(value.help):
            assert fragment in text, (value.name, fragment)


def test_the_pages_link_to_the_values_they_name(site: Build) -> None:
    warnings = (site.outdir / "tooling" / "warnings.html").read_text(encoding="utf-8")
    assert 'href="configuration.html#confval-xenabi_drift"' in warnings


def test_the_defaults_on_the_page_are_what_sphinx_registered(site: Build) -> None:
    for value in CONFIG_VALUES:
        assert site.app.config[value.name] == value.default or value.name == "xenabi_xen_release"


def test_every_xenabi_value_the_extension_registers_is_declared_with_help(site: Build) -> None:
    registered = {option.name for option in site.app.config if option.name.startswith("xenabi_")}
    assert registered == {value.name for value in CONFIG_VALUES}
    assert all(value.help.strip() for value in CONFIG_VALUES)
    # and nowhere but config.py adds one
    adders = [
        path.relative_to(REPO).as_posix()
        for path in sorted((REPO / "sphinx_xenabi").rglob("*.py"))
        if "add_config_value(" in path.read_text(encoding="utf-8")
    ]
    assert adders == ["sphinx_xenabi/config.py"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("xenabi_new", True, "", frozenset({bool}), ""), "xenabi_new has no help text"),
        (("xenabi_new", True, "", frozenset({bool}), "  \n"), "xenabi_new has no help text"),
        (("new", True, "", frozenset({bool}), "Help."), "does not start with xenabi_"),
        (("xenabi_new", 1, "", frozenset({int}), "Help."), "has no words"),
        (("xenabi_new", "no", "", frozenset({bool}), "Help."), "has no words"),
    ],
)
def test_a_value_without_help_or_namable_types_is_refused(
    arguments: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ConfigValue(*arguments)  # type: ignore[arg-type]


def test_an_enum_value_needs_its_default_among_the_choices() -> None:
    with pytest.raises(ValueError, match="is not a choice"):
        ConfigValue("xenabi_new", "loud", "", ENUM("quiet"), "Help.", ("quiet",))


def test_the_pages_generate_the_lists_instead_of_retyping_them() -> None:
    tooling = REPO / "docs" / "tooling"
    configuration = (tooling / "configuration.rst").read_text(encoding="utf-8")
    assert configuration.count(".. xenabi-config-values::") == 1
    # no hand-written entry (``xenabi_drift`` then an indented description) is left
    assert re.findall(r"^``xenabi_\w+``\n   \S", configuration, re.M) == []
    warnings = (tooling / "warnings.rst").read_text(encoding="utf-8")
    assert warnings.count(".. xenabi-warnings::") == 1
    assert "list-table" not in warnings


# -- the warnings page names every subtype and no other ------------------------------


def test_documented_subtypes_match_the_code(site: Build) -> None:
    """The warnings page lists every subtype, generated from the enum, and names no other."""
    source = (DOCS / "tooling" / "warnings.rst").read_text(encoding="utf-8")
    assert ".. xenabi-warnings::" in source  # the list is generated, not retyped
    # every subtype the guides' prose names (not sphinx_xenabi.model, not xenabi.css) exists
    named = {
        match
        for page in sorted(DOCS.rglob("*"))
        if page.suffix in (".rst", ".md")
        for match in re.findall(r"(?<![\w.])xenabi\.([a-z][a-z-]*)\b", page.read_text("utf-8"))
    }
    assert {"drift", "orphan", "unknown-hypercall"} <= named
    assert named - {"css"} <= {s.value for s in WarningSubtype}
    (generated,) = [
        t
        for t in read_tables(site.outdir / "tooling" / "warnings.html")
        if "xenabi-warnings" in str(t["classes"])
    ]
    rows = generated["rows"]
    assert isinstance(rows, list)
    assert [cells[0] for cells in rows[1:]] == [s.name_in_logs for s in WarningSubtype]
    assert {cells[0].removeprefix("xenabi.") for cells in rows[1:]} == {
        s.value for s in WarningSubtype
    }


# -- the ABI page's history and the diff page's example ---------------------------------


def test_the_site_shows_the_history_and_the_generated_example(site: Build) -> None:
    tables = read_tables(site.outdir / "guest-guide/x86/hypercall-abi.html")
    (history_table,) = [t for t in tables if "xenabi-abi-history" in str(t["classes"])]
    texts = [row[-1] for row in history_table["rows"][1:]]  # type: ignore[index]
    assert texts == ["first release shown: 6 parameters, 43 hypercall numbers"] + [
        text for _, _, text in MODEL_HISTORY
    ]
    tables = read_tables(site.outdir / "tooling/abi-diff.html")
    example = next(t for t in tables if t["rows"] and t["rows"][0][0] == "Severity")  # type: ignore[index]
    assert [row[1] for row in example["rows"][1:]] == [  # type: ignore[index]
        "64bit parameter 6 (R9) removed",
        "32bit parameter 6 (EBP) removed",
        "parameter count reduced from 6 to 5",
    ]
    page = (site.outdir / "tooling/abi-diff.html").read_text(encoding="utf-8")
    assert "abi_diff.schema.json" in page and '"sphinx-xenabi abi-diff 1"' in page
