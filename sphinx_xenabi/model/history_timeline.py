"""A history's windows on a time line, as an SVG picture with its words beside it.

The picture is one bar from the range's first commit to its last, per
architecture; each window is a red band from the commit that opened it to
the one that closed it (to the end of the bar while still open). It is
generated from the report (no git, no Sphinx), scales with its container
(``viewBox``), names itself to screen readers (``role="img"`` with a title
and a description) and gives each band a tooltip. :func:`timeline_text` is
the same information in words, for readers and builders without pictures.

No Sphinx or docutils import.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sphinx_xenabi.model.history import HistoryReport, Window

_WIDTH = 800
_LEFT = 60  # room for the architecture's name
_RIGHT = 20
_ROW = 34
_TOP = 10
_BAR = 14
_AXIS = 30  # room for the year ticks
_AGREE = "#a9dfbf"
_DISAGREE = "#c0392b"
_UNCHECKED = "#e5e5e5"
_INK = "#333333"
_LEGEND = 18


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _band(window: Window) -> str:
    end = window.closed.day if window.closed is not None else "still open"
    return (
        f"{window.architecture}: disagreed from {window.opened.day} ({window.opened.short}) "
        f"to {end}"
        + (f" ({window.closed.short})" if window.closed is not None else "")
        + f", {_plural(window.days, 'day')}, {_plural(window.commits, 'commit')}"
    )


def timeline_text(report: HistoryReport) -> str:
    """The picture in words: the span, then each window."""
    span = f"From {report.first.day} to {report.last.day} ({report.commits} commits)"
    if not report.windows:
        return f"{span}, the docs never disagreed with the source."
    bands = "; ".join(_band(w) for w in report.windows)
    return f"{span}: {bands}."


class _Scale:
    """Dates to x positions along the bar."""

    def __init__(self, first: datetime, last: datetime) -> None:
        self.first = first
        self.seconds = max((last - first).total_seconds(), 1.0)

    def x(self, when: datetime) -> float:
        share = min(max((when - self.first).total_seconds() / self.seconds, 0.0), 1.0)
        return round(_LEFT + share * (_WIDTH - _LEFT - _RIGHT), 1)


def _year_ticks(scale: _Scale, report: HistoryReport, bottom: int) -> list[str]:
    first, last = report.first.when, report.last.when
    ticks = []
    for year in range(first.year + 1, last.year + 1):
        x = scale.x(first.replace(year=year, month=1, day=1, hour=0, minute=0, second=0))
        ticks.append(
            f'<line x1="{x}" y1="{_TOP}" x2="{x}" y2="{bottom + 4}" stroke="{_INK}" '
            'stroke-opacity="0.25"/>'
            f'<text x="{x}" y="{bottom + 18}" font-size="11" text-anchor="middle" '
            f'fill="{_INK}">{year}</text>'
        )
    return ticks


def _legend(y: int) -> list[str]:
    items = (
        (_DISAGREE, "the docs disagreed with the source"),
        (_AGREE, "they agreed"),
        (_UNCHECKED, "no ABI table yet"),
    )
    parts, x = [], _LEFT
    for colour, label in items:
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{y}" font-size="12" fill="{_INK}">{escape(label)}</text>'
        )
        x += 32 + round(6.3 * len(label))
    return parts


def timeline_svg(report: HistoryReport, identifier: str) -> str:
    """The picture; ``identifier`` makes its title and description ids unique in the page."""
    architectures = list(report.architectures) or sorted({w.architecture for w in report.windows})
    architectures = architectures or ["x86"]
    height = _TOP + _ROW * len(architectures) + _AXIS + _LEGEND
    scale = _Scale(report.first.when, report.last.when)
    title = f"Windows in which the docs disagreed with the source, {report.first.day} to {report.last.day}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{identifier}-title {identifier}-desc" '
        'class="xenabi-drift-timeline" font-family="sans-serif">',
        f'<title id="{identifier}-title">{escape(title)}</title>',
        f'<desc id="{identifier}-desc">{escape(timeline_text(report))}</desc>',
    ]
    start, end = scale.x(report.first.when), scale.x(report.last.when)
    # Before the docs had tables there was nothing to agree or disagree.
    checked = end if report.checked_from is None else scale.x(report.checked_from.when)
    for row, architecture in enumerate(architectures):
        y = _TOP + row * _ROW
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + _BAR - 2}" font-size="13" text-anchor="end" '
            f'fill="{_INK}">{escape(architecture)}</text>'
            f'<rect x="{start}" y="{y}" width="{round(checked - start, 1)}" height="{_BAR}" '
            f'fill="{_UNCHECKED}"/>'
            f'<rect x="{checked}" y="{y}" width="{round(end - checked, 1)}" height="{_BAR}" '
            f'fill="{_AGREE}"/>'
        )
        for window in report.windows:
            if window.architecture != architecture:
                continue
            left = scale.x(window.opened.when)
            right = scale.x(window.closed.when) if window.closed is not None else end
            parts.append(
                f'<rect x="{left}" y="{y}" width="{max(round(right - left, 1), 2)}" '
                f'height="{_BAR}" fill="{_DISAGREE}"><title>{escape(_band(window))}</title></rect>'
            )
    bottom = _TOP + _ROW * len(architectures) - (_ROW - _BAR)
    parts += _year_ticks(scale, report, bottom)
    parts += _legend(height - 8)
    parts.append("</svg>")
    return "".join(parts)
