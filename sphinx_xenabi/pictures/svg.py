"""A small SVG writer for the pictures: boxes and text on a white ground.

Each picture is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` are
its text alternative (named by ``aria-labelledby``), drawn at a fixed size
that the stylesheet lets shrink to the screen (``xenabi.css``). The colours
are fixed and the ground is white, so a picture reads the same in any theme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

SANS = "Lato, 'Helvetica Neue', Arial, sans-serif"
MONO = "SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"
INK = "#1f2328"
MUTED = "#57606a"


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass
class Drawing:
    """An SVG picture under construction; ``prefix`` makes its ids unique in a page."""

    width: float
    height: float
    title: str
    description: str
    prefix: str
    css_class: str
    parts: list[str] = field(default_factory=list)

    def box(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        fill: str,
        *,
        stroke: str = MUTED,
        dashed: bool = False,
        tooltip: str = "",
    ) -> None:
        dash = ' stroke-dasharray="3 2"' if dashed else ""
        shape = (
            f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
            f'height="{_number(height)}" rx="3" fill="{fill}" stroke="{stroke}"{dash}/>'
        )
        if tooltip:  # a mouse pointer's hint; the description says it for everyone
            shape = f"<g><title>{escape(tooltip)}</title>{shape}</g>"
        self.parts.append(shape)

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: str = MUTED,
        width: float = 1,
        dashed: bool = False,
    ) -> None:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        self.parts.append(
            f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" '
            f'y2="{_number(y2)}" stroke="{stroke}" stroke-width="{_number(width)}"{dash}/>'
        )

    def mark(
        self, x: float, y: float, size: float, fill: str, *, diamond: bool = False,
        stroke: str = INK, tooltip: str = "",
    ) -> None:  # fmt: skip
        """A circle (or a diamond) of width ``size`` centred on (x, y)."""
        half = size / 2
        if diamond:
            points = f"{_number(x)},{_number(y - half)} {_number(x + half)},{_number(y)} "
            points += f"{_number(x)},{_number(y + half)} {_number(x - half)},{_number(y)}"
            shape = f'<polygon points="{points}" fill="{fill}" stroke="{stroke}"/>'
        else:
            shape = (
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(half)}" '
                f'fill="{fill}" stroke="{stroke}"/>'
            )
        if tooltip:
            shape = f"<g><title>{escape(tooltip)}</title>{shape}</g>"
        self.parts.append(shape)

    def text(
        self,
        x: float,
        y: float,
        words: str,
        *,
        size: float = 13,
        anchor: str = "middle",
        mono: bool = False,
        bold: bool = False,
        fill: str = INK,
    ) -> None:
        # The picture's defaults (sans, centred, ink) are on the <svg>: only differences here.
        extra = ' font-weight="bold"' if bold else ""
        extra += f' font-family="{escape(MONO)}"' if mono else ""
        extra += f' text-anchor="{anchor}"' if anchor != "middle" else ""
        extra += f' fill="{fill}"' if fill != INK else ""
        self.parts.append(
            f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}"{extra}>'
            f"{escape(words)}</text>"
        )

    def render(self) -> str:
        """The ``<svg>`` element, one line, ready to put in an html page."""
        title_id, desc_id = f"{self.prefix}-title", f"{self.prefix}-desc"
        size = f'width="{_number(self.width)}" height="{_number(self.height)}"'
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{self.css_class}" {size} '
            f'viewBox="0 0 {_number(self.width)} {_number(self.height)}" role="img" '
            f'aria-labelledby="{title_id} {desc_id}" font-family="{escape(SANS)}" '
            f'text-anchor="middle" dominant-baseline="central" fill="{INK}">'
            f'<title id="{title_id}">{escape(self.title)}</title>'
            f'<desc id="{desc_id}">{escape(self.description)}</desc>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(self.parts) + "</svg>"
        )


def ranges(numbers: list[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` as ``0-2, 5, 7-8``; a run of two keeps its dash."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
