"""The ABI history's time line in real builds: one picture, on both pages that show it.

``xenabi-abi-history`` draws it above its table (with ``:windows: FILE``,
the windows of a history JSON file on it); ``xenabi-drift-windows`` draws
the same picture for its file. The drawing itself is tested in
tests/model/test_abi_timeline.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from defusedxml import ElementTree
from sphinx.util.console import strip_colors

from sphinx_xenabi.directives.abi_history import TIMELINE_CAPTION, WINDOWS_CAPTION
from sphinx_xenabi.model.history import Commit, Disagreement, HistoryReport, Verdict, find_windows
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.pictures.abi_timeline import DISAGREED
from support.building import build_root, run_sphinx
from support.html_tables import read_tables

NS = "{http://www.w3.org/2000/svg}"
FILES = {
    "conf.py": 'project = "timeline"\nextensions = ["sphinx_xenabi"]\n',
    "index.rst": "Timeline\n========\n\n.. toctree::\n\n   abi\n   drift\n   plain\n",
    "abi.rst": "ABI\n===\n\n.. xenabi-abi-history::\n   :windows: history.json\n",
    "drift.rst": "Drift\n=====\n\n.. xenabi-drift-windows:: history.json\n",
    "plain.rst": "Plain\n=====\n\n.. xenabi-abi-history::\n",
}


def _commit(day: str, subject: str) -> Commit:
    when = datetime.fromisoformat(f"{day}T12:00:00+00:00").astimezone(UTC)
    return Commit(day.replace("-", "") + "d" * 32, when, when.isoformat(), subject)


def _history(opened: str, closed: str) -> str:
    """A history JSON file, 2019-05 to 2026-08, with one x86 window."""
    cell = Disagreement("x86", "parameter-count", Location("docs/a.rst", 3), "six; five", None)
    verdicts = [
        Verdict(_commit("2019-05-29", "docs: tables"), frozenset({"x86"})),
        Verdict(_commit(opened, "x86: five"), frozenset({"x86"}), (cell,)),
        Verdict(_commit(closed, "docs: five"), frozenset({"x86"})),
        Verdict(_commit("2026-08-18", "later"), frozenset({"x86"})),
    ]
    first, last = verdicts[0].commit, verdicts[-1].commit
    report = HistoryReport(
        "xen", "docs", "HEAD", first, last, 4, first, 2, 3, find_windows(verdicts), (), ("x86",)
    )
    return report.to_json()


def _tree(root: Path, history: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {**FILES, "history.json": history}.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _picture(page: Path) -> tuple[str, str, str]:
    """The page's one time line (its ids made neutral), its caption and the words under it."""
    html = page.read_text(encoding="utf-8")
    (svg,) = re.findall(
        r'<svg [^>]*class="xenabi-picture xenabi-abi-timeline".*?</svg>', html, re.S
    )
    prefix = re.search(r'aria-labelledby="(\S+)-title', svg)
    assert prefix is not None
    caption = re.search(r'<figcaption>\s*<p><span class="caption-text">(.*?)</span>', html, re.S)
    words = re.search(r'<p class="xenabi-timeline-text">(.*?)</p>', html, re.S)
    assert caption is not None and words is not None
    return svg.replace(prefix.group(1), "ID"), caption.group(1), words.group(1)


def _band(svg: str) -> tuple[str, str]:
    root = ElementTree.fromstring(svg)
    (band,) = [
        r
        for g in root.iter(f"{NS}g")
        for r in g.iter(f"{NS}rect")
        if r.get("fill") == DISAGREED and g.find(f"{NS}title") is not None
    ]
    return band.get("x") or "", band.get("width") or ""


def test_both_pages_show_the_same_time_line_and_it_follows_the_file(tmp_path: Path) -> None:
    srcdir = _tree(tmp_path / "src", _history("2021-12-03", "2023-10-10"))
    outdir = tmp_path / "html"
    build = build_root(srcdir, outdir)
    assert build.statuscode == 0 and strip_colors(build.warnings) == ""
    abi, drift = _picture(outdir / "abi.html"), _picture(outdir / "drift.html")
    assert abi == drift  # one picture, not two: same drawing, caption and words
    svg, caption, words = abi
    assert caption == WINDOWS_CAPTION
    assert "Xen 4.17 was released in that window." in words
    root = ElementTree.fromstring(svg)
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text == words
    # The history's table follows its picture.
    html = (outdir / "abi.html").read_text(encoding="utf-8")
    assert html.index("xenabi-abi-timeline") < html.index('class="xenabi-abi-history')
    (table,) = read_tables(outdir / "abi.html")
    assert table["rows"][1][0] == "4.13"  # type: ignore[index]
    # Without :windows:, the releases and their changes alone.
    plain_svg, plain_caption, plain_words = _picture(outdir / "plain.html")
    assert plain_caption == TIMELINE_CAPTION and DISAGREED not in plain_svg
    assert "disagreed" not in plain_words and "4.17 (2022-12-12): 1 breaking" in plain_words
    # The file changes (the window closed before 4.17): an incremental build redraws both.
    before = _band(svg)
    (srcdir / "history.json").write_text(_history("2021-12-03", "2022-06-01"), encoding="utf-8")
    again = run_sphinx(srcdir, outdir, confdir=srcdir, freshenv=False)
    assert again.statuscode == 0 and strip_colors(again.warnings) == ""
    abi, drift = _picture(outdir / "abi.html"), _picture(outdir / "drift.html")
    assert abi == drift
    assert _band(abi[0])[0] == before[0] and float(_band(abi[0])[1]) < float(before[1])
    assert "released in that window" not in abi[2]


def test_a_windows_file_that_is_no_history_is_an_error_at_the_directive(tmp_path: Path) -> None:
    build = build_root(_tree(tmp_path / "src", "[]"), tmp_path / "html")
    warnings = strip_colors(build.warnings)
    assert re.search(
        r"abi\.rst:4: ERROR: xenabi-abi-history: .*history\.json: at the top: "
        r"\[\] is not of type 'object' \[xenabi\.directive\]",
        warnings,
    ), warnings
