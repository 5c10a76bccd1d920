"""The ABI history's time line: releases on their days, their changes, and the windows.

Sphinx-free (``sphinx_xenabi.pictures.abi_timeline``); the directives that
put it in pages are tested in real builds in tests/sphinx/test_timeline_directives.py.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

from sphinx_xenabi.model.abi_history import model_history, model_releases
from sphinx_xenabi.model.abi_rules import Severity
from sphinx_xenabi.model.history import Commit, Disagreement, HistoryReport, Verdict, find_windows
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.release_dates import RELEASE_DAYS, release_day
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.pictures.abi_timeline import (
    BREAKING,
    COMPATIBLE,
    DISAGREED,
    ReleaseMark,
    abi_timeline_svg,
    describe,
    release_marks,
)

SVG = "{http://www.w3.org/2000/svg}"


def _commit(day: date, subject: str) -> Commit:
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Commit(f"{day:%Y%m%d}" + "c" * 32, when, when.isoformat(), subject)


def _report(opened: date, closed: date) -> HistoryReport:
    """A history from 2019-05 to 2026-08 with one x86 window from ``opened`` to ``closed``."""
    cell = Disagreement(
        "x86", "parameter-count", Location("docs/abi.rst", 21), "6 parameters; code passes 5", None
    )
    verdicts = [
        Verdict(_commit(date(2019, 5, 29), "docs: the tables"), frozenset({"x86"})),
        Verdict(_commit(opened, "x86: five parameters"), frozenset({"x86"}), (cell,)),
        Verdict(_commit(closed, "docs: five parameters"), frozenset({"x86"})),
        Verdict(_commit(date(2026, 8, 18), "later"), frozenset({"x86"})),
    ]
    first, last = verdicts[0].commit, verdicts[-1].commit
    return HistoryReport(
        "xen", "docs", "HEAD", first, last, 4, first, 2, 3, find_windows(verdicts), (), ("x86",)
    )


def _parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def _marks(root: ElementTree.Element) -> list[tuple[str, str, float]]:
    """Each change mark's tooltip, fill and x, in drawing order."""
    found = []
    for group in root.iter(f"{SVG}g"):
        hint, shape = group.find(f"{SVG}title"), group.find(f"{SVG}polygon")
        if shape is None:
            shape = group.find(f"{SVG}circle")
        if hint is None or shape is None:
            continue
        x = shape.get("cx") or (shape.get("points") or "").split(",")[0]
        found.append((hint.text or "", shape.get("fill") or "", float(x)))
    return found


def _label_x(root: ElementTree.Element, words: str) -> float:
    (x,) = [float(t.get("x") or 0) for t in root.iter(f"{SVG}text") if t.text == words]
    return x


def _band(root: ElementTree.Element) -> tuple[float, float]:
    """The window's band: the amber box with a tooltip (the legend's has none)."""
    (band,) = [
        r
        for g in root.iter(f"{SVG}g")
        for r in g.iter(f"{SVG}rect")
        if r.get("fill") == DISAGREED and g.find(f"{SVG}title") is not None
    ]
    left = float(band.get("x") or 0)
    return left, left + float(band.get("width") or 0)


def test_the_release_days_are_xen_s_own() -> None:
    assert release_day(Release(4, 13)) == date(2019, 12, 17)
    assert release_day(Release(4, 17)) == date(2022, 12, 12)
    assert release_day(Release(4, 18)) == date(2023, 11, 16)
    assert release_day(Release(4, 21)) == date(2025, 11, 19)
    assert release_day(Release(4, 22)) is None  # not recorded: drawn apart, not guessed
    days = [RELEASE_DAYS[r] for r in sorted(RELEASE_DAYS)]
    assert days == sorted(days)  # a later release came out later


def test_the_model_s_releases_and_changes_are_on_one_axis() -> None:
    marks = release_marks(model_releases(), model_history())
    assert [str(m.release) for m in marks] == [f"4.{n}" for n in range(13, 23)]
    root = _parsed(abi_timeline_svg(marks, prefix="t", title="The history"))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t-title t-desc"
    drawn = _marks(root)
    assert [fill for _, fill, _ in drawn].count(BREAKING) == 2  # 4.17 and 4.22
    assert [fill for _, fill, _ in drawn].count(COMPATIBLE) == 4  # 4.14 (3) and 4.15
    (parameter,) = [d for d in drawn if "parameter 6" in d[0]]
    assert parameter[0].startswith("Xen 4.17 (released 2022-12-12), breaking:")
    assert parameter[2] == _label_x(root, "4.17")  # the mark is under its release
    # Releases sit in the order of their days; the undated one right of the axis.
    xs = [_label_x(root, f"4.{n}") for n in range(13, 23)]
    assert xs == sorted(xs)
    assert _label_x(root, "undated") == xs[-1]  # 4.22's slot, under its label
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == describe(marks)
    assert "4.17 (2022-12-12): 1 breaking" in (desc.text or "")
    assert "4.22 (release day not recorded): 1 breaking" in (desc.text or "")
    assert DISAGREED not in abi_timeline_svg(marks, prefix="t", title="T")  # no windows given


def test_a_change_of_severity_changes_the_picture() -> None:
    marks = release_marks(model_releases(), model_history())
    before = abi_timeline_svg(marks, prefix="t", title="T")
    # 4.15's one change, told as breaking instead of compatible.
    changed = [
        replace(m, changes=tuple((Severity.BREAKING, text) for _, text in m.changes))
        if m.release == Release(4, 15)
        else m
        for m in marks
    ]
    after = abi_timeline_svg(changed, prefix="t", title="T")
    assert before != after
    fills = {hint.split(",")[0]: fill for hint, fill, _ in _marks(_parsed(after))}
    assert fills["Xen 4.15 (released 2021-04-08)"] == BREAKING
    assert [f for _, f, _ in _marks(_parsed(after))].count(BREAKING) == 3
    assert "4.15 (2021-04-08): 1 breaking" in describe(changed)


def test_the_window_is_drawn_against_the_releases_it_spanned() -> None:
    marks = release_marks(model_releases(), model_history())
    xen = _report(date(2021, 12, 3), date(2023, 10, 10))
    root = _parsed(abi_timeline_svg(marks, xen, prefix="w", title="T"))
    left, right = _band(root)
    assert left < _label_x(root, "4.17") < right < _label_x(root, "4.18")
    assert _label_x(root, "4.16") < left
    words = describe(marks, xen)
    assert words.endswith(
        "The x86 docs disagreed with the source from 2021-12-03 to 2023-10-10, 676 days; "
        "Xen 4.17 was released in that window."
    )
    # The history's window closed before 4.17 came out: the band ends before its tick.
    early = _report(date(2021, 12, 3), date(2022, 6, 1))
    moved = _parsed(abi_timeline_svg(marks, early, prefix="w", title="T"))
    assert _band(moved)[0] == left and _band(moved)[1] < _label_x(moved, "4.17")
    assert "released in that window" not in describe(marks, early)


def test_an_open_window_runs_to_the_end_of_the_range() -> None:
    marks = release_marks(model_releases(), model_history())
    report = _report(date(2021, 12, 3), date(2023, 10, 10))
    still = replace(report, windows=(replace(report.windows[0], closed=None, closure=None),))
    words = describe(marks, still)
    assert "from 2021-12-03 and still at the end of the range (2026-08-18)" in words
    assert "Xen 4.17, 4.18, 4.19, 4.20, 4.21 were released in that window" in words


def test_close_releases_have_their_labels_on_two_rows() -> None:
    # Three releases about 25 px apart on an axis of five years, and one far off.
    start = date(2020, 1, 1)
    marks = [ReleaseMark(Release(9, n), start + timedelta(days=87 * n), ()) for n in range(3)]
    marks.append(ReleaseMark(Release(9, 3), date(2025, 1, 1), ()))
    root = _parsed(abi_timeline_svg(marks, prefix="c", title="T"))
    rows = {
        t.text: float(t.get("y") or 0)
        for t in root.iter(f"{SVG}text")
        if re.fullmatch(r"9\.\d", t.text or "")
    }
    assert rows["9.0"] == rows["9.2"] != rows["9.1"]
    assert "No release changed the ABI" in describe(marks)
