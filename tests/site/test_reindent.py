"""A whitespace-only change to directive indentation leaves the registry unchanged.

The project's seed was a change that re-indented every directive body of
Xen's guides from 2 to 3 spaces. Undoing it (3 -> 2) in a copy of the real
docs must give a byte-identical ``xenabi-registry.json``.
"""

from __future__ import annotations

from support.building import Build, Reindented
from support.paths import DOCS
from support.reindent import reindent_directives

# -- the helper itself ------------------------------------------------------------


def test_directive_options_and_body_move_one_space() -> None:
    text = (
        "Intro paragraph.\n"
        "\n"
        ".. list-table:: Title\n"
        "   :header-rows: 1\n"
        "\n"
        "   * - ABI\n"
        "     - Result\n"
        "\n"
        "After the table.\n"
    )
    assert reindent_directives(text) == (
        "Intro paragraph.\n"
        "\n"
        ".. list-table:: Title\n"
        "  :header-rows: 1\n"
        "\n"
        "  * - ABI\n"
        "    - Result\n"
        "\n"
        "After the table.\n"
    )


def test_nested_directives_move_cumulatively() -> None:
    text = (
        ".. note::\n"
        "\n"
        "   Outer text.\n"
        "\n"
        "   .. warning::\n"
        "\n"
        "      Inner text,\n"
        "      two lines.\n"
        "\n"
        "   .. code-block:: none\n"
        "\n"
        "      make -C xen\n"
        "          indented more\n"
        "\n"
        "   Outer again.\n"
        "\n"
        "Outside.\n"
    )
    assert reindent_directives(text) == (
        ".. note::\n"
        "\n"
        "  Outer text.\n"
        "\n"
        "  .. warning::\n"
        "\n"
        "    Inner text,\n"
        "    two lines.\n"
        "\n"
        "  .. code-block:: none\n"
        "\n"
        "    make -C xen\n"
        "        indented more\n"
        "\n"
        "  Outer again.\n"
        "\n"
        "Outside.\n"
    )


def test_literal_text_opens_no_directive() -> None:
    text = (
        ".. code-block:: rst\n"
        "\n"
        "   .. note::\n"
        "\n"
        "      Not a directive: the code block's text.\n"
        "\n"
        "A paragraph that ends with a literal block::\n"
        "\n"
        "   .. also::\n"
        "\n"
        "      just text\n"
    )
    assert reindent_directives(text) == (
        ".. code-block:: rst\n"
        "\n"
        "  .. note::\n"
        "\n"
        "     Not a directive: the code block's text.\n"
        "\n"
        "A paragraph that ends with a literal block::\n"
        "\n"
        "   .. also::\n"
        "\n"
        "      just text\n"
    )


def test_footnotes_comments_targets_and_plain_text_stay() -> None:
    text = (
        ".. [#params] Xen 4.17 stopped passing a sixth parameter,\n"
        "   which earlier releases took from R9 or EBP.\n"
        "\n"
        ".. _History:\n"
        "\n"
        ".. A comment that mentions\n"
        "   .. note:: inside it.\n"
        "\n"
        "Term\n"
        "   Its definition.\n"
        "\n"
        "   A block quote.\n"
        "\n"
        "#. An enumerated item\n"
        "   that continues.\n"
    )
    assert reindent_directives(text) == text


def test_a_directive_inside_a_footnote_moves_its_own_body_only() -> None:
    text = ".. [#f] A footnote.\n\n   .. note::\n\n      Body.\n"
    assert reindent_directives(text) == ".. [#f] A footnote.\n\n   .. note::\n\n     Body.\n"


def test_substitution_definitions_and_line_endings() -> None:
    text = ".. |logo| image:: logo.png\r\n   :alt: Xen\r\n\r\nText.\r\n"
    assert reindent_directives(text) == ".. |logo| image:: logo.png\r\n  :alt: Xen\r\n\r\nText.\r\n"


def test_widths_work_both_ways() -> None:
    three = ".. note::\n\n   .. warning::\n\n      Deep.\n\n   Back.\n"
    two = ".. note::\n\n  .. warning::\n\n    Deep.\n\n  Back.\n"
    assert reindent_directives(three) == two
    assert reindent_directives(two, width_from=2, width_to=3) == three


# -- the real docs ------------------------------------------------------------------


def test_reindented_real_docs_give_a_byte_identical_registry(
    site: Build, reindented_docs: Reindented, reindented_site: Build
) -> None:
    # the session's site is the build before, reindented_site the one after
    # (reindented_docs: a copy of the real docs passed through reindent_tree)
    original = site
    assert original.statuscode == 0, original.warnings
    before = original.registry_json.read_bytes()
    docs_copy, changed = reindented_docs.root, reindented_docs.changed
    markdown = {p.relative_to(DOCS): p.read_bytes() for p in DOCS.rglob("*.md")}
    assert markdown, "the real docs have MyST pages"

    # the re-indent really happened, in whitespace only
    names = {p.relative_to(docs_copy).as_posix() for p in changed}
    assert {
        "index.rst",
        "guest-guide/x86/hypercall-abi.rst",
        "hypervisor-guide/code-coverage.rst",
    } <= names
    for path, (old, new) in changed.items():
        assert old == (DOCS / path.relative_to(docs_copy)).read_text(encoding="utf-8"), path
        old_lines, new_lines = old.splitlines(), new.splitlines()
        assert len(old_lines) == len(new_lines), path
        assert [line.strip() for line in old_lines] == [line.strip() for line in new_lines], path
    abi = changed[docs_copy / "guest-guide/x86/hypercall-abi.rst"][1]
    assert ".. list-table::\n  :header-rows: 1\n\n  * - ABI\n    - Hypercall Index\n" in abi
    assert "\n   :header-rows: 1" not in abi
    assert {p.relative_to(docs_copy): p.read_bytes() for p in docs_copy.rglob("*.md")} == markdown

    reindented = reindented_site
    assert reindented.statuscode == 0, reindented.warnings
    assert reindented.warnings == original.warnings
    assert reindented.registry_json.read_bytes() == before
    tables = reindented.app.env.domains["xenabi"].all_tables()
    assert len(tables) >= 4
