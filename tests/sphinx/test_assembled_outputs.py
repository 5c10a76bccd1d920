"""Outputs that inline many pages into one doctree (singlehtml, latex) render what each page's
own html shows: the evidence under executed tables, the requirement items' statuses.

Such a doctree is resolved once, under the start document's name, and has
no map of the ids inlined into it (``results/assembled_pages.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

from support.building import build_root, copy_root

EVIDENCE_ITEM = re.compile(
    r'<li class="xenabi-(?:pass|fail|skipped)" id="xenabi-evidence-[^"]*">(.*?)</li>', re.S
)


def _evidence_lines(page: Path) -> list[str]:
    """Each evidence line of a page as a reader reads it (links and ids aside)."""
    text = page.read_text(encoding="utf-8")
    return [re.sub(r"<[^>]+>", "", item) for item in EVIDENCE_ITEM.findall(text)]


def test_singlehtml_shows_the_evidence_of_every_executed_table(tmp_path: Path) -> None:
    root = copy_root("rst", tmp_path / "rst")
    pages = build_root(root, tmp_path / "html")
    single = build_root(root, tmp_path / "single", buildername="singlehtml")
    per_page = [line for page in pages.outdir.rglob("*.html") for line in _evidence_lines(page)]
    assert per_page  # the root has executed registers and transfer tables
    assert sorted(_evidence_lines(single.outdir / "index.html")) == sorted(per_page)


def test_latex_shows_every_requirement_items_status_with_working_links(tmp_path: Path) -> None:
    root = copy_root("requirements", tmp_path / "requirements")
    pages = build_root(root, tmp_path / "html")
    latex = build_root(root, tmp_path / "tex", buildername="latex")
    badges = sum(
        page.read_text(encoding="utf-8").count('class="xenabi-req-status ')
        for page in pages.outdir.rglob("*.html")
    )
    [document] = latex.outdir.glob("*.tex")
    text = document.read_text(encoding="utf-8")
    assert badges > 0
    assert text.count(r"\DUrole{xenabi-req-status}") == badges
    # The panels' links to other items land on labels the document has.
    targets = set(re.findall(r"\\hyperref\[\\detokenize\{([^}]*:requirement-[^}]*)\}\]", text))
    labels = set(re.findall(r"\\label\{\\detokenize\{([^}]*)\}\}", text))
    assert targets and targets <= labels
