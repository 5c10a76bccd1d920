"""``xenabi-drift-windows`` in real builds: a history JSON file on the ABI's time line, and tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from defusedxml import ElementTree
from sphinx.util.console import strip_colors

from sphinx_xenabi.model.history import (
    Commit,
    Disagreement,
    HistoryReport,
    Verdict,
    find_windows,
)
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.spec import Evidence
from sphinx_xenabi.pictures.abi_timeline import DISAGREED
from support.building import build_root
from support.html_tables import read_tables

START = datetime(2021, 11, 1, 10, tzinfo=UTC)
CONF = 'project = "drift"\nextensions = ["sphinx_xenabi"]\n'
PAGE = """\
Drift
=====

.. xenabi-drift-windows:: {file}
   :trailer: Xen-Commit
"""


def commit(day: int, subject: str) -> Commit:
    when = START + timedelta(days=day)
    sha, upstream = f"{day:06d}" + "a" * 34, f"{day:06d}" + "b" * 34
    return Commit(sha, when, when.isoformat(), subject, {"Xen-Commit": upstream})


def report() -> HistoryReport:
    source = Evidence("xen/arch/x86/pv/hypercall.c", 167, "native(rdi, rsi, rdx, r10, r8);")
    r9 = Disagreement(
        "x86",
        "convention/64bit/parameters",
        Location("docs/guest-guide/x86/hypercall-abi.rst", 26),
        "64bit parameter 6 is R9; the source passes only 5 parameters",
        source,
    )
    verdicts = [
        Verdict(commit(0, "docs: the tables"), frozenset({"x86"})),
        Verdict(commit(32, "x86: five parameters"), frozenset({"x86"}), (r9,)),
        Verdict(commit(700, "docs: five parameters"), frozenset({"x86"})),
        Verdict(commit(900, "later"), frozenset({"x86"})),
    ]
    return HistoryReport(
        "xen-history",
        "docs",
        "HEAD",
        verdicts[0].commit,
        verdicts[-1].commit,
        4,
        verdicts[0].commit,
        2,
        3,
        find_windows(verdicts),
        (),
        ("x86",),
    )


def tree(tmp_path: Path, data: str) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.rst").write_text(
        PAGE.format(file="history.json") + "\n.. toctree::\n\n   sub/page\n", encoding="utf-8"
    )
    (src / "history.json").write_text(data, encoding="utf-8")
    # A leading slash: relative to the docs, from a page in a subdirectory.
    directive = PAGE.format(file="/history.json").split("\n\n", 1)[1]
    (src / "sub" / "page.rst").write_text(
        PAGE.format(file="/history.json") + "\n" + directive, encoding="utf-8"
    )
    return src


def test_the_windows_render_as_a_time_line_and_tables(tmp_path: Path) -> None:
    build = build_root(tree(tmp_path, report().to_json()), tmp_path / "html")
    assert build.statuscode == 0 and strip_colors(build.warnings) == ""
    page = (build.outdir / "index.html").read_text(encoding="utf-8")
    svg_text = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg_text is not None
    svg = ElementTree.fromstring(svg_text.group(0))
    assert svg.get("role") == "img"
    ns = "{http://www.w3.org/2000/svg}"
    title, desc = svg.find(f"{ns}title"), svg.find(f"{ns}desc")
    assert title is not None and desc is not None
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # The ABI history's time line, with this file's window on it (tests/sphinx/test_timeline_directives.py).
    words = (
        "The x86 docs disagreed with the source from 2021-12-03 to 2023-10-02, 668 days; "
        "Xen 4.17 was released in that window."
    )
    assert (desc.text or "").endswith(words)
    assert f'<p class="xenabi-timeline-text">{desc.text}</p>' in page
    bands = [
        r
        for g in svg.iter(f"{ns}g")
        for r in g.iter(f"{ns}rect")
        if r.get("fill") == DISAGREED and g.find(f"{ns}title") is not None
    ]
    assert len(bands) == 1
    windows, cells = read_tables(build.outdir / "index.html")
    assert windows["rows"][0] == [
        "Architecture",
        "First disagreed",
        "Agreed again",
        "Days",
        "Commits",
    ]
    assert windows["rows"][1][0] == "x86" and windows["rows"][1][3:] == ["668", "1"]
    assert windows["rows"][1][1] == (
        "000032aaaaaa (2021-12-03) x86: five parameters [Xen-Commit: 000032bbbbbb]"
    )
    assert cells["rows"][1] == [
        "docs/guest-guide/x86/hypercall-abi.rst:26",
        "64bit parameter 6 is R9; the source passes only 5 parameters",
        "xen/arch/x86/pv/hypercall.c:167: native(rdi, rsi, rdx, r10, r8);",
    ]
    # The page in a subdirectory found the file; its two pictures have their own ids.
    other = (build.outdir / "sub" / "page.html").read_text(encoding="utf-8")
    ids = re.findall(r'<title id="([^"]+)">', other)
    assert len(ids) == 2 and len(set(ids)) == 2


def test_builders_without_pictures_keep_the_words(tmp_path: Path) -> None:
    build = build_root(tree(tmp_path, report().to_json()), tmp_path / "text", buildername="text")
    assert build.statuscode == 0
    text = (build.outdir / "index.txt").read_text(encoding="utf-8")
    assert "<svg" not in text
    assert "The x86 docs disagreed with the source from 2021-12-03 to 2023-10-02" in " ".join(
        text.split()
    )


def test_a_file_that_is_no_history_is_an_error_at_the_directive(tmp_path: Path) -> None:
    build = build_root(tree(tmp_path, '{"format": "something else"}'), tmp_path / "html")
    warnings = strip_colors(build.warnings)
    assert re.search(
        r"index\.rst:4: ERROR: xenabi-drift-windows: .*history\.json: at the top: "
        r"'repository' is a required property \[xenabi\.directive\]",
        warnings,
    ), warnings
