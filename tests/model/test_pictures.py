"""The pictures drawn from the ABI's data: the register layout and the hypercall page map.

Sphinx-free (``sphinx_xenabi.pictures``); the directives that put them in
pages are tested in real builds in tests/sphinx/test_pictures.py.
"""

from __future__ import annotations

import re
from dataclasses import replace
from xml.etree import ElementTree

from sphinx_xenabi.model.abi import HYPERCALLS, IRET_INDEX, STUB_COUNT, STUB_SIZE
from sphinx_xenabi.model.spec import GuestType
from sphinx_xenabi.pictures.page_map import Slot, page_map_svg, slots
from sphinx_xenabi.pictures.register_layout import RegisterLayout, family, register_layout_svg
from sphinx_xenabi.pictures.svg import ranges

SVG = "{http://www.w3.org/2000/svg}"
X86 = [
    RegisterLayout("64bit", "RAX", ("RDI", "RSI", "RDX", "R10", "R8"), "RAX"),
    RegisterLayout("32bit", "EAX", ("EBX", "ECX", "EDX", "ESI", "EDI"), "EAX"),
]


def _parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def _text_alternative(root: ElementTree.Element) -> tuple[str, str]:
    """The picture's title and description, checked to be what aria-labelledby names."""
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return title.text or "", desc.text or ""


def _fill_of(root: ElementTree.Element, tooltip: str) -> str:
    """The fill of the box whose hint is ``tooltip``."""
    for group in root.iter(f"{SVG}g"):
        hint = group.find(f"{SVG}title")
        if hint is not None and hint.text == tooltip:
            box = group.find(f"{SVG}rect")
            assert box is not None
            return box.get("fill") or ""
    raise AssertionError(f"no box {tooltip!r}")


def test_the_register_picture_says_in_words_what_it_draws() -> None:
    root = _parsed(register_layout_svg(X86, prefix="p1", title="Registers"))
    title, desc = _text_alternative(root)
    assert title == "Registers"
    assert desc == (
        "64bit: number in RAX; parameters 1 to 5 in RDI, RSI, RDX, R10, R8; result in RAX. "
        "32bit: number in EAX; parameters 1 to 5 in EBX, ECX, EDX, ESI, EDI; result in EAX."
    )
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert shown[:7] == ["number", "1", "2", "3", "4", "5", "result"]
    assert shown.count("R10") == 1 and shown.count("EAX") == 2


def test_a_register_keeps_its_colour_across_rows_and_spellings() -> None:
    root = _parsed(register_layout_svg(X86, prefix="p", title="t"))
    # RAX and EAX are one register: the number and result boxes of both rows match.
    accumulators = {
        _fill_of(root, f"{abi} {role}")
        for abi in ("64bit", "32bit")
        for role in ("number", "result")
    }
    assert len(accumulators) == 1
    # The first parameter differs between the ABIs (RDI, EBX), the third does not (RDX, EDX).
    assert _fill_of(root, "64bit parameter 1") != _fill_of(root, "32bit parameter 1")
    assert _fill_of(root, "64bit parameter 3") == _fill_of(root, "32bit parameter 3")
    assert family("64bit", "R10") != family("arm32", "r10")
    assert family("arm64", "x0") == family("arm64", "X0") == "arm 0"


def test_changing_a_register_changes_the_register_picture() -> None:
    before = register_layout_svg(X86, prefix="p", title="t")
    changed = [replace(X86[0], parameters=("RDI", "RSI", "RDX", "RCX", "R8")), X86[1]]
    after = register_layout_svg(changed, prefix="p", title="t")
    assert after != before
    assert ">RCX</text>" in after and ">R10</text>" not in after
    assert "RDX, RCX, R8" in _text_alternative(_parsed(after))[1]


def test_a_sixth_parameter_widens_the_picture() -> None:
    six = [replace(X86[0], parameters=(*X86[0].parameters, "R9"))]
    narrow, wide = (_parsed(register_layout_svg(x, prefix="p", title="t")) for x in ([X86[0]], six))
    assert float(wide.get("width") or 0) > float(narrow.get("width") or 0)
    assert "6" in [t.text for t in wide.iter(f"{SVG}text")]


def _page_map(hypercalls: object = HYPERCALLS) -> str:
    return page_map_svg(
        hypercalls,  # type: ignore[arg-type]
        stub_count=STUB_COUNT,
        stub_size=STUB_SIZE,
        iret_index=IRET_INDEX,
        prefix="map",
        title="The hypercall page",
    )


def test_the_page_map_has_a_slot_per_stub_and_a_legend() -> None:
    root = _parsed(_page_map())
    title, desc = _text_alternative(root)
    assert title == "The hypercall page"
    hints = [g.find(f"{SVG}title") for g in root.iter(f"{SVG}g")]
    assert len(hints) == STUB_COUNT
    assert hints[17] is not None and hints[17].text == (
        "17 xen_version, offset 0x220: hypercall for PV and HVM guests"
    )
    assert desc.startswith("128 stubs of 32 bytes, stub i at offset i * 32. ")
    assert "iret: PV guests jump to it; ud2 in HVM pages: 23" in desc
    assert "no hypercall: the stub returns -ENOSYS: 11, 43-47, 50-127" in desc
    # Each row is 256 bytes: its label is its page offset.
    labels = [
        t.text for t in root.iter(f"{SVG}text") if re.fullmatch(r"0x[0-9a-f]{3}", t.text or "")
    ]
    assert labels == [f"{row * 8 * STUB_SIZE:#05x}" for row in range(STUB_COUNT // 8)]
    legend = [t.text for t in root.iter(f"{SVG}text")][-len(set(slots(HYPERCALLS, 128, 23))) :]
    assert legend == [kind.value for kind in Slot if kind is not Slot.HVM]  # no HVM-only call


def test_changing_who_may_call_a_hypercall_changes_the_page_map() -> None:
    before = _page_map()
    pv_only = dict(HYPERCALLS)
    pv_only[17] = replace(HYPERCALLS[17], available=frozenset({GuestType.PV32, GuestType.PV64}))
    after = _page_map(pv_only)
    assert after != before
    assert slots(pv_only, STUB_COUNT, IRET_INDEX)[17] is Slot.PV
    assert _fill_of(_parsed(after), "17 xen_version, offset 0x220: hypercall for PV guests only")
    gone = {n: h for n, h in HYPERCALLS.items() if n != 12}
    assert "11-12, 43-47" in _text_alternative(_parsed(_page_map(gone)))[1]


def test_ranges() -> None:
    assert ranges([5, 0, 1, 2, 7, 8]) == "0-2, 5, 7-8"
    assert ranges([]) == ""
