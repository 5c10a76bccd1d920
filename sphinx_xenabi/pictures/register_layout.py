"""The registers of each ABI by parameter position, as a picture.

One row per ABI: the register that carries the hypercall number, the
parameter registers under their positions 1 to N, and the result register.
A register has the same colour wherever it appears in a row or across the
rows of one architecture (RAX and EAX alike), so the picture shows at a
glance that x86's fourth parameter is R10 but ESI, or that Arm's result
comes back in the first parameter's register.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sphinx_xenabi.pictures.svg import MUTED, Drawing

# Soft fills, told apart by eye and dark text stays readable on each.
PALETTE = (
    "#cfe2ff",
    "#d1f0d8",
    "#ffe5b4",
    "#f3d4f5",
    "#d7f0f5",
    "#fde2e1",
    "#e6e0ff",
    "#eef3c6",
    "#ffd9ec",
    "#dbe4ea",
)

_LABEL_WIDTH = 56
_BOX_WIDTH = 42
_GAP = 4
_GROUP_GAP = 10  # between the number, the parameters and the result
_ROW_HEIGHT = 32
_HEAD_HEIGHT = 22


@dataclass(frozen=True)
class RegisterLayout:
    """One registers-table row: its ABI and the registers it names, as written."""

    abi: str
    index: str
    parameters: tuple[str, ...]
    result: str


_X86_FAMILY = re.compile(r"^[RE]?([ABCD])X$|^[RE]?(SI|DI|BP|SP)$")


def family(abi: str, register: str) -> str:
    """What two spellings of one register share: RAX and EAX are ``x86 A``, x0 and
    w0 (or arm32's r0) ``arm 0``; R10 on x86 and r10 on Arm stay apart."""
    name = register.upper()
    if abi.lower().startswith("arm"):
        return "arm " + name.lstrip("XWR")
    match = _X86_FAMILY.match(name)
    return "x86 " + (match.group(1) or match.group(2) if match else name)


def describe(layouts: Sequence[RegisterLayout]) -> str:
    """The picture in words: its text alternative."""
    return " ".join(
        f"{layout.abi}: number in {layout.index}; parameters 1 to {len(layout.parameters)} "
        f"in {', '.join(layout.parameters)}; result in {layout.result}."
        for layout in layouts
    )


def register_layout_svg(layouts: Sequence[RegisterLayout], *, prefix: str, title: str) -> str:
    """The ABIs' registers by position, one row each, as an ``<svg>`` element."""
    positions = max((len(layout.parameters) for layout in layouts), default=0)
    x_number = _LABEL_WIDTH
    x_parameters = x_number + _BOX_WIDTH + _GROUP_GAP
    x_result = x_parameters + positions * (_BOX_WIDTH + _GAP) - _GAP + _GROUP_GAP
    width = x_result + _BOX_WIDTH + 2
    drawing = Drawing(
        width=width,
        height=_HEAD_HEIGHT + len(layouts) * _ROW_HEIGHT + 2,
        title=title,
        description=describe(layouts),
        prefix=prefix,
        css_class="xenabi-picture xenabi-register-layout",
    )
    head = _HEAD_HEIGHT / 2
    drawing.text(x_number + _BOX_WIDTH / 2, head, "number", size=11, bold=True, fill=MUTED)
    for position in range(positions):
        centre = x_parameters + position * (_BOX_WIDTH + _GAP) + _BOX_WIDTH / 2
        drawing.text(centre, head, str(position + 1), size=12, bold=True, fill=MUTED)
    drawing.text(x_result + _BOX_WIDTH / 2, head, "result", size=11, bold=True, fill=MUTED)
    colours: dict[str, str] = {}
    for row, layout in enumerate(layouts):
        top = _HEAD_HEIGHT + row * _ROW_HEIGHT + 2
        drawing.text(2, top + (_ROW_HEIGHT - 6) / 2, layout.abi, anchor="start", bold=True)
        cells = [(x_number, layout.index, "number")]
        cells += [
            (x_parameters + i * (_BOX_WIDTH + _GAP), register, f"parameter {i + 1}")
            for i, register in enumerate(layout.parameters)
        ]
        cells.append((x_result, layout.result, "result"))
        for x, register, role in cells:
            key = family(layout.abi, register)
            colour = colours.setdefault(key, PALETTE[len(colours) % len(PALETTE)])
            drawing.box(x, top, _BOX_WIDTH, _ROW_HEIGHT - 6, colour, tooltip=f"{layout.abi} {role}")
            drawing.text(x + _BOX_WIDTH / 2, top + (_ROW_HEIGHT - 6) / 2, register, mono=True)
    return drawing.render()
