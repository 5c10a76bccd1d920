"""The ABI's history on one time axis: releases, their changes, and where the docs said otherwise.

One picture for the two questions a reader of the history asks: when did
the ABI change for guests, and when did the docs not say what the code did.
Along one axis of days:

- each Xen release is a tick with its version, on the day it came out
  (:mod:`~sphinx_xenabi.model.release_dates`); a release without a
  recorded day stands apart at the right, marked undated;
- under it, one mark per change it made for guests (a line of the
  history table): a red diamond for a breaking change, a blue dot for a
  compatible one, a hollow dot when it changed nothing;
- when a history report (``sphinx-xenabi history``) is given, a bar per
  architecture from the range's first commit to its last: grey before the
  docs had an ABI table, green while they agreed with the source, amber
  where they disagreed (a window). A release tick that crosses an amber
  band is a release whose docs said otherwise.

:func:`describe` says the same in words: the picture's ``<desc>`` and the
paragraph under it. No Sphinx or docutils import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sphinx_xenabi.model.abi_rules import Severity
from sphinx_xenabi.model.release_dates import release_day
from sphinx_xenabi.pictures.svg import INK, MUTED, Drawing

if TYPE_CHECKING:
    from sphinx_xenabi.model.abi_history import HistoryEntry
    from sphinx_xenabi.model.history import Commit, HistoryReport, Window
    from sphinx_xenabi.model.spec import Release

BREAKING = "#c62828"
COMPATIBLE = "#1565c0"
UNCHANGED = "#ffffff"
DISAGREED = "#f2a531"
AGREED = "#b9e4c4"
NO_TABLE = "#e3e3e3"

_WIDTH = 720
_LEFT = 118  # the lanes' names, right-aligned before the axis
_RIGHT = 16
_UNDATED = 60  # the slot right of the axis for releases without a day
_LABEL_ROW = 17  # a row of version labels (two when neighbours are close)
_LABEL_GAP = 36  # the least distance between two version labels of a row
_TICK = 10
_MARK = 11  # a change mark's width
_MARK_STEP = 16
_BAR = 18
_BAR_ROW = 30
_AXIS_ROOM = 30
_LEGEND_LINE = 20
_MARGIN = 45  # days of room before the first day and after the last


@dataclass(frozen=True)
class ReleaseMark:
    """One release on the time line: its day (None: not recorded) and the changes it made."""

    release: Release
    day: date | None
    changes: tuple[tuple[Severity, str], ...]

    def counted(self) -> str:
        """``3 compatible`` or ``1 breaking, 1 compatible``: its changes, by severity."""
        counts = [(s, sum(1 for c in self.changes if c[0] is s)) for s in Severity]
        return ", ".join(f"{n} {s.value}" for s, n in counts if n)


def release_marks(
    releases: Iterable[Release], entries: Iterable[HistoryEntry]
) -> list[ReleaseMark]:
    """The releases of a history, oldest first, each with its lines (none for the first)."""
    lines = {e.release: tuple((line.severity, line.text) for line in e.lines) for e in entries}
    every = sorted(set(releases) | set(lines))
    return [ReleaseMark(r, release_day(r), lines.get(r, ())) for r in every]


def _day(commit: Commit) -> date:
    return date.fromisoformat(commit.day)


def _window_end(window: Window, report: HistoryReport) -> date:
    return _day(window.closed) if window.closed is not None else _day(report.last)


def _window_words(window: Window, report: HistoryReport, marks: Sequence[ReleaseMark]) -> str:
    opened = _day(window.opened)
    if window.closed is None:
        span = f"from {opened} and still at the end of the range ({report.last.day})"
    else:
        span = f"from {opened} to {window.closed.day}"
    words = f"the {window.architecture} docs disagreed with the source {span}, {window.days} days"
    inside = [
        str(m.release)
        for m in marks
        if m.day is not None and opened <= m.day <= _window_end(window, report)
    ]
    if inside:
        verb = "was" if len(inside) == 1 else "were"
        words += f"; Xen {', '.join(inside)} {verb} released in that window"
    return words


def describe(marks: Sequence[ReleaseMark], report: HistoryReport | None = None) -> str:
    """The picture in words: the releases and their changes, then the windows."""
    dated = [m for m in marks if m.day is not None]
    words = (
        f"Xen {dated[0].release} ({dated[0].day}) to {dated[-1].release} ({dated[-1].day}) "
        "on a time line"
        if dated
        else "Xen releases without recorded days"
    )
    changed = [
        f"{m.release} ({m.day or 'release day not recorded'}): {m.counted()}"
        for m in marks
        if m.changes
    ]
    if changed:
        words += ". ABI changes for guests: " + "; ".join(changed)
        words += ". No other release changed the ABI"
    else:
        words += ". No release changed the ABI"
    undated = [str(m.release) for m in marks if m.day is None and not m.changes]
    if undated:
        words += f". No release day recorded for {', '.join(undated)}"
    if report is not None:
        for window in report.windows:
            sentence = _window_words(window, report, marks)
            words += ". " + sentence[0].upper() + sentence[1:]
        if not report.windows and report.checked_from is not None:
            words += (
                f". The docs agreed with the source from {report.checked_from.day} "
                f"to {report.last.day}"
            )
    return words + "."


class _Axis:
    """Days to x positions, and where the undated releases go."""

    def __init__(self, days: Sequence[date], undated: int) -> None:
        self.first = min(days) - timedelta(days=_MARGIN)
        self.last = max(days) + timedelta(days=_MARGIN)
        self.left = _LEFT
        self.right = _WIDTH - _RIGHT - (_UNDATED * undated)
        self.undated_x = [self.right + _UNDATED * (i + 0.5) for i in range(undated)]

    def x(self, day: date) -> float:
        share = (day - self.first).days / max((self.last - self.first).days, 1)
        return round(self.left + min(max(share, 0.0), 1.0) * (self.right - self.left), 1)


def _positions(marks: Sequence[ReleaseMark], axis: _Axis) -> list[float]:
    undated = iter(axis.undated_x)
    return [axis.x(m.day) if m.day is not None else next(undated) for m in marks]


def _label_rows(xs: Sequence[float]) -> list[int]:
    """Each version label's row: 0, or 1 (above) when it would touch a label of row 0.

    Releases weeks apart would need more rows; Xen's come months apart.
    """
    rows: list[int] = []
    last = [-1e9, -1e9]  # the x of the latest label in each row
    for x in xs:
        row = 0 if x - last[0] >= _LABEL_GAP else 1
        rows.append(row)
        last[row] = x
    return rows


@dataclass(frozen=True)
class _Rows:
    """Where the release lanes are, top to bottom."""

    labels: tuple[int, ...]  # each version label's row: 0, or 1 above it
    tick_top: float
    marks_top: float
    marks_bottom: float

    @classmethod
    def of(cls, marks: Sequence[ReleaseMark], xs: Sequence[float]) -> _Rows:
        labels = tuple(_label_rows(xs))
        tick_top = 4 + _LABEL_ROW * (2 if any(labels) else 1) + 2
        marks_top = tick_top + _TICK + 8
        deepest = max((len(m.changes) for m in marks), default=1)
        return cls(labels, tick_top, marks_top, marks_top + max(deepest, 1) * _MARK_STEP)


def _draw_releases(
    drawing: Drawing, marks: Sequence[ReleaseMark], xs: Sequence[float], rows: _Rows, bottom: float
) -> None:
    """Version labels, ticks, the guides down to ``bottom`` and the change marks."""
    tick_top, marks_y = rows.tick_top, rows.marks_top + _MARK / 2
    drawing.text(_LEFT - 10, tick_top + _TICK / 2, "Xen releases", size=13, anchor="end")
    drawing.text(_LEFT - 10, marks_y, "ABI changes", size=13, anchor="end")
    for mark, x, row in zip(marks, xs, rows.labels, strict=True):
        undated = mark.day is None
        drawing.line(x, tick_top + _TICK, x, bottom, stroke="#8c959f", dashed=True)
        drawing.line(x, tick_top, x, tick_top + _TICK, stroke=INK, width=2)
        label_y = tick_top - 2 - _LABEL_ROW / 2 - row * _LABEL_ROW
        drawing.text(x, label_y, str(mark.release), size=14, bold=True)
        when = "release day not recorded" if undated else f"released {mark.day}"
        if not mark.changes:
            hint = f"Xen {mark.release}, {when}: no ABI change for guests"
            drawing.mark(x, marks_y, _MARK - 3, UNCHANGED, stroke=MUTED, tooltip=hint)
        for index, (severity, text) in enumerate(mark.changes):
            breaking = severity is Severity.BREAKING
            fill = BREAKING if breaking else COMPATIBLE
            hint = f"Xen {mark.release} ({when}), {severity.value}: {text}"
            drawing.mark(x, marks_y + index * _MARK_STEP, _MARK + (2 if breaking else 0), fill,
                         diamond=breaking, tooltip=hint)  # fmt: skip


def _architectures(report: HistoryReport) -> list[str]:
    found = list(report.architectures) or sorted({w.architecture for w in report.windows})
    return found or ["x86"]


def _windows_height(report: HistoryReport) -> float:
    return len(_architectures(report)) * _BAR_ROW - (_BAR_ROW - _BAR)


def _draw_windows(
    drawing: Drawing, report: HistoryReport, axis: _Axis, top: float, marks: Sequence[ReleaseMark]
) -> None:
    """A bar per architecture: no table yet, agreed, and the windows in amber."""
    start, end = axis.x(_day(report.first)), axis.x(_day(report.last))
    checked = end if report.checked_from is None else axis.x(_day(report.checked_from))
    for row, architecture in enumerate(_architectures(report)):
        y = top + row * _BAR_ROW
        centre = y + _BAR / 2
        drawing.text(_LEFT - 10, centre, f"{architecture} docs", size=13, anchor="end")
        drawing.box(start, y, checked - start, _BAR, NO_TABLE, stroke="none")
        drawing.box(checked, y, end - checked, _BAR, AGREED, stroke="none")
        for window in (w for w in report.windows if w.architecture == architecture):
            left = axis.x(_day(window.opened))
            right = axis.x(_window_end(window, report))
            width = max(right - left, 3)
            drawing.box(left, y, width, _BAR, DISAGREED, stroke="#9a5b00",
                        tooltip=_window_words(window, report, marks))  # fmt: skip
            words = f"{window.days} days"
            if width > 7 * len(words) + 8:
                drawing.text(left + width / 2, centre, words, size=13)


def _draw_axis(drawing: Drawing, axis: _Axis, y: float, undated: Sequence[float]) -> None:
    drawing.line(axis.left, y, axis.right, y, stroke=INK)
    for year in range(axis.first.year + 1, axis.last.year + 1):
        x = axis.x(date(year, 1, 1))
        drawing.line(x, y, x, y + 5, stroke=INK)
        if not undated or x < axis.right - 20:  # clear of the word "undated"
            drawing.text(x, y + 16, str(year), size=13, fill=MUTED)
    for x in undated:
        drawing.text(x, y + 16, "undated", size=13, fill=MUTED)


def _legend_items(with_windows: bool) -> list[tuple[str, str, str]]:
    items = [
        ("diamond", BREAKING, "breaking change"),
        ("dot", COMPATIBLE, "compatible change"),
        ("dot", UNCHANGED, "no ABI change"),
    ]
    if with_windows:
        items += [
            ("box", DISAGREED, "docs disagreed with the source"),
            ("box", AGREED, "agreed"),
            ("box", NO_TABLE, "no ABI table yet"),
        ]
    return items


def _legend_lines(with_windows: bool) -> list[list[tuple[str, str, str, float]]]:
    """The legend's items with their x, wrapped to the picture's width."""
    lines: list[list[tuple[str, str, str, float]]] = [[]]
    x = float(_LEFT)
    for shape, fill, words in _legend_items(with_windows):
        width = 24 + 6.8 * len(words) + 16
        if x + width > _WIDTH - _RIGHT and lines[-1]:
            lines.append([])
            x = float(_LEFT)
        lines[-1].append((shape, fill, words, x))
        x += width
    return lines


def _draw_legend(
    drawing: Drawing, lines: list[list[tuple[str, str, str, float]]], top: float
) -> None:
    for number, line in enumerate(lines):
        y = top + number * _LEGEND_LINE + _LEGEND_LINE / 2
        for shape, fill, words, x in line:
            if shape == "box":
                drawing.box(x, y - 7, 16, 14, fill, stroke="none")
            else:
                stroke = MUTED if fill == UNCHANGED else INK
                size = _MARK + (2 if shape == "diamond" else 0)
                drawing.mark(x + 8, y, size, fill, diamond=shape == "diamond", stroke=stroke)
            drawing.text(x + 22, y, words, size=13, anchor="start")


def abi_timeline_svg(
    marks: Sequence[ReleaseMark],
    report: HistoryReport | None = None,
    *,
    prefix: str,
    title: str,
) -> str:
    """The releases, their changes and (with ``report``) the windows, on one axis."""
    days = [m.day for m in marks if m.day is not None]
    if report is not None:
        days += [_day(report.first), _day(report.last)]
    axis = _Axis(days or [date.today()], sum(1 for m in marks if m.day is None))
    xs = _positions(marks, axis)
    rows = _Rows.of(marks, xs)
    lanes = 0.0 if report is None else _windows_height(report) + 8
    axis_y = rows.marks_bottom + lanes + 4
    legend = _legend_lines(report is not None)
    drawing = Drawing(
        width=_WIDTH,
        height=axis_y + _AXIS_ROOM + len(legend) * _LEGEND_LINE + 6,
        title=title,
        description=describe(marks, report),
        prefix=prefix,
        css_class="xenabi-picture xenabi-abi-timeline",
    )
    if report is not None:  # under the guides, so each release is seen crossing the bars
        _draw_windows(drawing, report, axis, rows.marks_bottom + 6, marks)
    _draw_releases(drawing, marks, xs, rows, axis_y)
    _draw_axis(drawing, axis, axis_y, axis.undated_x)
    _draw_legend(drawing, legend, axis_y + _AXIS_ROOM)
    return drawing.render()
