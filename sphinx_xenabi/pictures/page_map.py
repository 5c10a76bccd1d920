"""The 4 KiB hypercall page as a map: a slot per stub, coloured by who may call it.

Eight 32-byte stubs a row, so a row is 256 bytes and its label is its page
offset; each slot shows its stub's index. The colours tell which guests may
make the hypercall of that index (PV and HVM, PV only, HVM only, none), which
indices have no hypercall at all, and the one stub guests do not call:
``iret``'s, which PV guests jump to and HVM pages fill with ``ud2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from sphinx_xenabi.model.spec import GuestType, Hypercall
from sphinx_xenabi.pictures.svg import MUTED, Drawing, ranges


class Slot(Enum):
    """What one stub of the page is for; the value is the legend's words."""

    ALL = "hypercall for PV and HVM guests"
    PV = "hypercall for PV guests only"
    HVM = "hypercall for HVM guests only"
    NONE = "hypercall no guest may make (-ENOSYS)"
    UNUSED = "no hypercall: the stub returns -ENOSYS"
    IRET = "iret: PV guests jump to it; ud2 in HVM pages"


FILLS = {
    Slot.ALL: "#b7e1c1",
    Slot.PV: "#bcd7f5",
    Slot.HVM: "#ffd8a8",
    Slot.NONE: "#d9d9d9",
    Slot.UNUSED: "#ffffff",
    Slot.IRET: "#f5b7c8",
}

_PV = frozenset({GuestType.PV32, GuestType.PV64})
_HVM = frozenset({GuestType.HVM32, GuestType.HVM64})

_PER_ROW = 8
_LABEL_WIDTH = 46
_SLOT_WIDTH = 40
_SLOT_HEIGHT = 20
_GAP = 2
_HEAD_HEIGHT = 18
_LEGEND_LINE = 20


def slots(
    hypercalls: Mapping[int, Hypercall], stub_count: int, iret_index: int
) -> tuple[Slot, ...]:
    """Each stub's slot kind, by index, from the hypercall numbers and who may call them."""
    kinds = []
    for index in range(stub_count):
        hypercall = hypercalls.get(index)
        if index == iret_index:
            kinds.append(Slot.IRET)
        elif hypercall is None:
            kinds.append(Slot.UNUSED)
        else:
            pv, hvm = bool(hypercall.available & _PV), bool(hypercall.available & _HVM)
            kinds.append(
                Slot.ALL if pv and hvm else Slot.PV if pv else Slot.HVM if hvm else Slot.NONE
            )
    return tuple(kinds)


def describe(kinds: tuple[Slot, ...], stub_size: int) -> str:
    """The map in words, its text alternative: each kind's stub indices."""
    found = [
        f"{kind.value}: {ranges([i for i, k in enumerate(kinds) if k is kind])}"
        for kind in Slot
        if kind in kinds
    ]
    return (
        f"{len(kinds)} stubs of {stub_size} bytes, stub i at offset i * {stub_size}. "
        + "; ".join(found)
        + "."
    )


def page_map_svg(
    hypercalls: Mapping[int, Hypercall],
    *,
    stub_count: int,
    stub_size: int,
    iret_index: int,
    prefix: str,
    title: str,
) -> str:
    """The page's map as an ``<svg>`` element, with its legend below the slots."""
    kinds = slots(hypercalls, stub_count, iret_index)
    rows = -(-stub_count // _PER_ROW)
    legend = [kind for kind in Slot if kind in kinds]
    grid_bottom = _HEAD_HEIGHT + rows * (_SLOT_HEIGHT + _GAP)
    drawing = Drawing(
        width=_LABEL_WIDTH + _PER_ROW * (_SLOT_WIDTH + _GAP),
        height=grid_bottom + 8 + len(legend) * _LEGEND_LINE,
        title=title,
        description=describe(kinds, stub_size),
        prefix=prefix,
        css_class="xenabi-picture xenabi-page-map",
    )
    for column in range(_PER_ROW):
        x = _LABEL_WIDTH + column * (_SLOT_WIDTH + _GAP) + _SLOT_WIDTH / 2
        drawing.text(x, _HEAD_HEIGHT / 2, f"+{column * stub_size:#04x}", size=10, mono=True)
    for index, kind in enumerate(kinds):
        row, column = divmod(index, _PER_ROW)
        x = _LABEL_WIDTH + column * (_SLOT_WIDTH + _GAP)
        y = _HEAD_HEIGHT + row * (_SLOT_HEIGHT + _GAP)
        if column == 0:
            offset = f"{index * stub_size:#05x}"
            drawing.text(2, y + _SLOT_HEIGHT / 2, offset, size=11, anchor="start", mono=True)
        hypercall = hypercalls.get(index)
        name = hypercall.name if hypercall is not None else "unused"
        drawing.box(
            x,
            y,
            _SLOT_WIDTH,
            _SLOT_HEIGHT,
            FILLS[kind],
            dashed=kind is Slot.UNUSED,
            tooltip=f"{index} {name}, offset {index * stub_size:#05x}: {kind.value}",
        )
        faint = kind is Slot.UNUSED
        drawing.text(x + _SLOT_WIDTH / 2, y + _SLOT_HEIGHT / 2, str(index), size=11,
                     fill=MUTED if faint else "#1f2328", bold=kind is Slot.IRET)  # fmt: skip
    for line, kind in enumerate(legend):
        y = grid_bottom + 8 + line * _LEGEND_LINE
        drawing.box(2, y + 2, 22, 14, FILLS[kind], dashed=kind is Slot.UNUSED)
        drawing.text(32, y + 9, kind.value, size=12, anchor="start")
    return drawing.render()
