"""The guides' three ABI tables as text: what tables stating an :class:`AbiSpec` say.

The inverse of :mod:`.docs_spec`: a spec written as the header and rows of
the registers, transfer and numbers tables, with the headers the guides use
and the extraction recognises. A generated tree (``benchmarks/``) writes
these, so it states the model's facts without a copy of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sphinx_xenabi.model.abi import TransferGuest
from sphinx_xenabi.model.records import TableKind
from sphinx_xenabi.model.spec import AbiSpec, GuestType


@dataclass(frozen=True)
class TableText:
    """One table's cells as the docs write them, and its title."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""


def registers_table(spec: AbiSpec, title: str = "") -> TableText:
    """ "ABI | Hypercall Index | Parameters (1 - N) | Result", one row per ABI."""
    header = ("ABI", "Hypercall Index", f"Parameters (1 - {spec.parameter_count})", "Result")
    rows = tuple(
        (c.abi, c.index, " ".join(c.parameters), c.result) for c in spec.conventions.values()
    )
    return TableText(header, rows, title)


def transfer_table(spec: AbiSpec, title: str = "") -> TableText:
    """ "Guest | Transfer instruction", in the table's own row order."""
    rows = tuple((g.value, spec.transfers[g.value]) for g in TransferGuest if g in spec.transfers)
    return TableText(("Guest", "Transfer instruction"), rows, title)


def numbers_table(spec: AbiSpec, title: str = "") -> TableText:
    """ "Index | Name | PV 32 | PV 64 | HVM 32 | HVM 64", yes or no per guest type."""
    rows = tuple(
        (str(n), h.name, *("yes" if g in h.available else "no" for g in GuestType))
        for n, h in sorted(spec.hypercalls.items())
    )
    return TableText(("Index", "Name", *(g.label for g in GuestType)), rows, title)


def tables_of(spec: AbiSpec) -> Mapping[TableKind, TableText]:
    """The three tables that state ``spec``."""
    return {
        TableKind.REGISTERS: registers_table(spec),
        TableKind.TRANSFER: transfer_table(spec),
        TableKind.NUMBERS: numbers_table(spec),
    }
