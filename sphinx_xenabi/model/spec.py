"""Plain ABI description shared by the model and the docs' registry.

Both the reference model (``abi.revision_for``) and the registry extracted
from the guides (``Registry.spec_for``) produce an :class:`AbiSpec`, so the
drift gate compares like with like and the dispatcher runs on either.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

# Release numbers have a module of their own (loaded without the rest of the
# ABI description, to check a project's release setting); named here too.
from sphinx_xenabi.model.releases import RELEASE_PART_MAX as RELEASE_PART_MAX
from sphinx_xenabi.model.releases import Release as Release  # noqa: TC001 - named here too
from sphinx_xenabi.model.releases import ReleaseOverflowError as ReleaseOverflowError
from sphinx_xenabi.model.releases import ReleaseRange as ReleaseRange  # noqa: TC001 - named here too

_LABEL_NOISE = re.compile(r"[\s_-]+")


def label_key(text: str) -> str:
    """The form labels are matched in: no spaces, ``-`` or ``_``, lower case.

    "PV 64", "pv-64" and "PV_64" are one label; so are "64bit PV" and
    "64-bit pv". Every parser of a guest label (guest types, transfer-table
    guests, guest configurations) compares through this.
    """
    return _LABEL_NOISE.sub("", text).lower()


class Architecture(StrEnum):
    """A CPU architecture Xen runs guests of: a dimension of every ABI fact."""

    X86 = "x86"
    ARM = "arm"

    @property
    def label(self) -> str:
        return "x86" if self is Architecture.X86 else "Arm"


# The register-table ABI labels of each architecture: x86 names its ABIs by
# width ("64bit"), Arm by the guest's execution state ("arm64" for AArch64).
ABI_LABELS: Mapping[Architecture, tuple[str, ...]] = MappingProxyType(
    {Architecture.X86: ("64bit", "32bit"), Architecture.ARM: ("arm64", "arm32")}
)


def abi_architecture(abi: str) -> Architecture | None:
    """The architecture whose register-table ABI ``abi`` is, or None for no known ABI."""
    for architecture, labels in ABI_LABELS.items():
        if abi in labels:
            return architecture
    return None


class GuestType(StrEnum):
    """The guest types that decide ABI width and hypercall availability.

    x86 has four (PV and HVM, 32 and 64 bit); Arm guests run in AArch64 or
    AArch32 state, and Xen's one ``arm`` availability column serves both.
    """

    PV32 = "pv32"
    PV64 = "pv64"
    HVM32 = "hvm32"
    HVM64 = "hvm64"
    ARM64 = "arm64"
    ARM32 = "arm32"

    @property
    def architecture(self) -> Architecture:
        return Architecture.ARM if self in (GuestType.ARM64, GuestType.ARM32) else Architecture.X86

    @property
    def width(self) -> int:
        return 64 if self in (GuestType.PV64, GuestType.HVM64, GuestType.ARM64) else 32

    @property
    def abi(self) -> str:
        """The register-table ABI label this guest type uses ("64bit", "arm64", ...)."""
        if self.architecture is Architecture.ARM:
            return self.value
        return f"{self.width}bit"

    @property
    def is_hvm(self) -> bool:
        """An x86 HVM guest (Arm guests have no PV/HVM split)."""
        return self in (GuestType.HVM32, GuestType.HVM64)

    @property
    def label(self) -> str:
        """The column header the numbers table uses, e.g. "PV 64", "Arm 64"."""
        if self.architecture is Architecture.ARM:
            return f"Arm {self.width}"
        return f"{'HVM' if self.is_hvm else 'PV'} {self.width}"

    @classmethod
    def of(cls, architecture: Architecture) -> frozenset[GuestType]:
        return frozenset(g for g in cls if g.architecture is architecture)

    @classmethod
    def parse(cls, text: str) -> GuestType:
        """Accept "pv64", "PV 64", "PV64", "hvm 32" ...; raise ValueError otherwise."""
        try:
            return cls(label_key(text))
        except ValueError:
            choices = ", ".join(g.label for g in cls)
            raise ValueError(f"unknown guest type {text!r} (expected one of {choices})") from None


@dataclass(frozen=True)
class Convention:
    """One row of the registers table: where index, parameters and result live."""

    abi: str
    index: str
    parameters: tuple[str, ...]
    result: str


@dataclass(frozen=True)
class Hypercall:
    """One hypercall number, its name and the guest types that may call it."""

    number: int
    name: str
    available: frozenset[GuestType] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Evidence:
    """Where a reference fact was read: a file of a Xen tree, a line, its text.

    ``note`` says what else decided the fact, e.g. which ``CONFIG_*`` option
    compiled an entry out in the configuration that was read.
    """

    file: str
    line: int
    text: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_data(self) -> dict[str, Any]:
        """The JSON form the source reader and the diff report write (``note`` if any)."""
        data: dict[str, Any] = {"file": self.file, "line": self.line, "text": self.text}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class PageStub:
    """One guest's hypercall page code: every ordinary stub, and iret's.

    Both are bytes in hex as Xen's facts write them; ``ordinary`` shows the
    stub's own index as ``<i LE32>``: ``51 41 53 B8 <i LE32> 0F 05 41 5B 59 C3``.
    """

    ordinary: str
    iret: str


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AbiSpec:
    """Everything the guides' tables state for one release.

    ``conventions`` is keyed by ABI label ("64bit", "32bit"), ``transfers`` by
    the transfer table's guest label ("64bit PV", "Intel HVM", ...) with the
    instruction as written ("INT 0x82"), ``hypercalls`` by number.

    A spec read from a Xen source tree also names itself in ``origin`` ("the
    Xen 4.17.0 source (built with every hypercall enabled)") and states its hypercall ``stubs`` by
    transfer-table guest label. The docs' spec states the release ``ranges``
    its tables' titles give, by table kind ("registers", "transfer",
    "numbers"), and the ``footnotes`` its tables' cells cite, by table kind.
    Both may state the parameter count apart from the ABI rows.

    The source's and the docs' specs carry the :class:`Evidence` of their
    facts, keyed as :func:`evidence_key` spells them (a source line, a table
    cell); the model's has none.
    """

    release: Release
    conventions: Mapping[str, Convention]
    transfers: Mapping[str, str]
    hypercalls: Mapping[int, Hypercall]
    origin: str = ""
    evidence: Mapping[str, Evidence] = field(default_factory=_empty, compare=False)
    stubs: Mapping[str, PageStub] = field(default_factory=_empty)
    ranges: Mapping[str, ReleaseRange] = field(default_factory=_empty)
    footnotes: Mapping[str, tuple[Evidence, ...]] = field(default_factory=_empty, compare=False)
    # The N of "Parameters (1 - N)" where it is stated apart from the rows: the
    # docs' header, a source's gen_hypercall.awk limit.
    stated_parameter_count: int | None = None

    def part(
        self, kind: str, architectures: Collection[Architecture] = tuple(Architecture)
    ) -> AbiSpec:
        """Only the facts one kind of docs table states: "registers" (the
        conventions and the parameter count), "transfer" or "numbers"; and
        of the registers and transfer facts, those of ``architectures``.

        A table is compared with this part of the reference, so the facts
        other tables state (or another architecture's table) are not missing
        from it.
        """
        registers = kind == "registers"
        conventions = {
            abi: c for abi, c in self.conventions.items() if abi_architecture(abi) in architectures
        }
        transfers = {
            label: insn
            for label, insn in self.transfers.items()
            if transfer_architecture(label) in architectures
        }
        return AbiSpec(
            self.release,
            MappingProxyType(conventions) if registers else _empty(),
            MappingProxyType(transfers) if kind == "transfer" else _empty(),
            self.hypercalls if kind == "numbers" else _empty(),
            origin=self.origin,
            evidence=self.evidence,
            stated_parameter_count=self.stated_parameter_count if registers else None,
        )

    @property
    def parameter_count(self) -> int:
        """The most parameters a hypercall takes: as stated, else the longest ABI row."""
        if self.stated_parameter_count is not None:
            return self.stated_parameter_count
        return max((len(c.parameters) for c in self.conventions.values()), default=0)


def transfer_architecture(label: str) -> Architecture:
    """The architecture of a transfer-table guest label: Arm's are "arm64" and "arm32"."""
    return (
        Architecture.ARM if label_key(label) in ABI_LABELS[Architecture.ARM] else Architecture.X86
    )


def evidence_key(*parts: object) -> str:
    """The key of one fact in ``AbiSpec.evidence``, e.g. ``convention/64bit/parameters``.

    Kinds: ``convention/<abi>/{index,parameters,result}``, ``transfer/<label>``,
    ``hypercall/<number>`` (its name and number),
    ``available/<number>/<guest type>`` and ``parameter-count`` (the docs'
    "Parameters (1 - N)" header cell; a source's generator limit). A source
    also locates ``stub/<label>`` (the function that writes a guest's page);
    the docs ``convention/<abi>`` (the ABI cell), ``hypercall/<number>/name``
    (the name cell) and ``table/<kind>`` (the table, its ``text`` the title).
    """
    return "/".join(str(part) for part in parts)
