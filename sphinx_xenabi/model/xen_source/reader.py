"""Read a Xen source tree into the ABI facts the guides state, with evidence.

:func:`read_xen_source` is the entry point: a tree root and a configuration
in, a :class:`XenSource` out, whose :meth:`~XenSource.spec` is the same
:class:`~sphinx_xenabi.model.spec.AbiSpec` the built-in model and the docs'
registry produce, so the drift check compares any two of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from sphinx_xenabi.model.abi import IRET_INDEX, TransferGuest
from sphinx_xenabi.model.content_key import Manifest
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Architecture,
    Convention,
    Evidence,
    GuestType,
    Hypercall,
    PageStub,
    Release,
    evidence_key,
)
from sphinx_xenabi.model.xen_source.availability import Entry, read_availability
from sphinx_xenabi.model.xen_source.configuration import ALL, Configuration, resolve
from sphinx_xenabi.model.xen_source.dispatch import (
    Dispatch,
    Poisoning,
    read_dispatch,
    read_generator_limit,
    read_poisoning,
)
from sphinx_xenabi.model.xen_source.forms import Form, dispatch_form, x86_forms
from sphinx_xenabi.model.xen_source.numbers import NumberedHypercall, read_numbers
from sphinx_xenabi.model.xen_source.paths import (
    ARCH_ARM_H,
    ARGS_TABLE_C,
    ARM_TRAPS_C,
    HYPERCALL_DEFS,
    PV_HYPERCALL_C,
    XEN_H,
)
from sphinx_xenabi.model.xen_source.public_header import documented_convention
from sphinx_xenabi.model.xen_source.stubs import (
    DecodedStub,
    StubSource,
    decode,
    hypercall_vector,
    read_stub_sources,
)
from sphinx_xenabi.model.xen_source.traps import Trap, contradictions, read_traps
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree
from sphinx_xenabi.model.xen_source.version import VersionHypercall, read_version_hypercall

FORMAT = "sphinx-xenabi xen-source 1"

# Which guest type's dispatch states an ABI row: PV fixes its ABI by guest
# type; HVM is the fallback when the configuration builds no such PV guest.
_ABI_GUESTS = {64: (GuestType.PV64, GuestType.HVM64), 32: (GuestType.PV32, GuestType.HVM32)}
_INDEX_STUBS = {64: (TransferGuest.PV64,), 32: (TransferGuest.PV32, TransferGuest.INTEL_HVM)}


@dataclass(frozen=True)
class SourceConvention:
    """One register-table row as the source states it, with its evidence."""

    convention: Convention
    index: Evidence
    parameters: Evidence
    result: Evidence


@dataclass(frozen=True)
class XenSource:
    """Everything read from one tree in one configuration.

    ``configuration`` is the x86 build's; a tree with ``xen/arch/arm/`` is
    also read as an arm64 build in the same choice of configuration
    (``configurations``), which adds the Arm guest types' ``entries``,
    ``dispatch`` and ``conventions`` ("arm64", "arm32") and their ``traps``.
    """

    root: Path
    version: str  # "4.17.0"
    release: Release
    release_evidence: Evidence
    layout: Form  # the form of x86's PV dispatch: its table's (see .forms)
    configuration: Configuration
    hypercalls: Mapping[int, NumberedHypercall]
    entries: Mapping[int, Mapping[GuestType, Entry]]
    dispatch: Mapping[GuestType, Dispatch]
    conventions: Mapping[str, SourceConvention]
    poisoning: Mapping[int, Poisoning]
    generator_limit: tuple[int, Evidence] | None
    stubs: Mapping[TransferGuest, StubSource]
    decoded: Mapping[TransferGuest, DecodedStub]
    vector: tuple[int, Evidence]
    warnings: tuple[str, ...]
    traps: Mapping[GuestType, Trap] = field(default_factory=lambda: MappingProxyType({}))
    configurations: Mapping[Architecture, Configuration] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # None for a sparse tree with neither public/version.h nor common/kernel.c.
    version_hypercall: VersionHypercall | None = None
    # Every file the reading opened or looked for, by content: it holds while
    # none of them changed (see model/content_key.py).
    manifest: Manifest = field(default=Manifest(()), compare=False, repr=False)

    @property
    def origin(self) -> str:
        """How findings name this reference, its configuration said in words:
        "the Xen 4.17.0 source (built with every hypercall enabled)"."""
        return f"the Xen {self.version} source ({self.configuration.description})"

    @property
    def max_parameters(self) -> int:
        return max(len(c.convention.parameters) for c in self.conventions.values())

    def spec(self) -> AbiSpec:
        """The facts as an :class:`AbiSpec`, evidence keyed by :func:`evidence_key`."""
        evidence: dict[str, Evidence] = {}
        for abi, row in self.conventions.items():
            evidence[evidence_key("convention", abi, "index")] = row.index
            evidence[evidence_key("convention", abi, "parameters")] = row.parameters
            evidence[evidence_key("convention", abi, "result")] = row.result
        # The count is gen_hypercall.awk's limit where there is one (4.17+), else
        # what the widest dispatch passes.
        if self.generator_limit is not None:
            evidence[evidence_key("parameter-count")] = self.generator_limit[1]
        elif self.conventions:
            widest = max(self.conventions.values(), key=lambda c: len(c.convention.parameters))
            evidence[evidence_key("parameter-count")] = widest.parameters
        transfers: dict[str, str] = {}
        for guest, decoded in self.decoded.items():
            transfers[guest.value] = decoded.transfer
            evidence[evidence_key("transfer", guest.value)] = decoded.evidence
        for arm_guest, trap in self.traps.items():  # Arm traps HVC inline: no page
            transfers[arm_guest.value] = trap.instruction
            evidence[evidence_key("transfer", arm_guest.value)] = trap.instruction_evidence
        stubs: dict[str, PageStub] = {}
        for guest, source in self.stubs.items():
            stubs[guest.value] = PageStub(
                _stub_pattern(source), source.stub(IRET_INDEX).hex(" ").upper()
            )
            evidence[evidence_key("stub", guest.value)] = source.evidence
        hypercalls: dict[int, Hypercall] = {}
        for number, hypercall in self.hypercalls.items():
            entries = self.entries[number]
            hypercalls[number] = Hypercall(
                number,
                hypercall.name,
                frozenset(guest for guest, entry in entries.items() if entry.available),
            )
            evidence[evidence_key("hypercall", number)] = hypercall.evidence
            for guest_type, entry in entries.items():
                if entry.evidence is not None:
                    key = evidence_key("available", number, guest_type.value)
                    evidence[key] = entry.evidence
        return AbiSpec(
            release=self.release,
            conventions=MappingProxyType(
                {abi: c.convention for abi, c in self.conventions.items()}
            ),
            transfers=MappingProxyType(transfers),
            hypercalls=MappingProxyType(hypercalls),
            origin=self.origin,
            evidence=MappingProxyType(evidence),
            stubs=MappingProxyType(stubs),
            stated_parameter_count=None
            if self.generator_limit is None
            else self.generator_limit[0],
        )

    def to_data(self) -> dict[str, Any]:
        """The documented JSON form (docs/tooling/xen-source.rst)."""
        return {
            "format": FORMAT,
            "xen": self._xen_data(),
            "conventions": {
                abi: {
                    "index": row.convention.index,
                    "parameters": list(row.convention.parameters),
                    "result": row.convention.result,
                    "evidence": {
                        "index": _evidence(row.index),
                        "parameters": _evidence(row.parameters),
                        "result": _evidence(row.result),
                    },
                }
                for abi, row in sorted(self.conventions.items())
            },
            "max_parameters": self.max_parameters,
            "dispatch": {
                guest.value: {
                    "parameters": list(d.parameters),
                    "result": d.result,
                    "evidence": _evidence(d.evidence),
                }
                for guest, d in sorted(self.dispatch.items())
            },
            "poison": {
                str(width): {
                    "value": f"0x{p.value:x}",
                    "registers": list(p.registers),
                    "evidence": _evidence(p.evidence),
                }
                for width, p in sorted(self.poisoning.items())
            },
            "generator_limit": None
            if self.generator_limit is None
            else {"value": self.generator_limit[0], "evidence": _evidence(self.generator_limit[1])},
            "hypercalls": self._hypercalls_data(),
            "stubs": {
                guest.value: {
                    "index_register": self.decoded[guest].index_register,
                    "transfer": self.decoded[guest].transfer,
                    "ordinary": _stub_pattern(source),
                    "iret": source.stub(IRET_INDEX).hex(" ").upper(),
                    "evidence": _evidence(source.evidence),
                }
                for guest, source in sorted(self.stubs.items())
            },
            "hypercall_vector": {
                "value": f"0x{self.vector[0]:x}",
                "evidence": _evidence(self.vector[1]),
            },
            "traps": {guest.value: trap.to_data() for guest, trap in sorted(self.traps.items())},
            "version_hypercall": None
            if self.version_hypercall is None
            else self.version_hypercall.to_data(),
        }

    def _xen_data(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "release": str(self.release),
            "evidence": _evidence(self.release_evidence),
            "layout": self.layout.value,
            "configuration": self.configuration.name,
            "configurations": {
                architecture.value: c.name for architecture, c in self.configurations.items()
            },
        }

    def _hypercalls_data(self) -> list[dict[str, Any]]:
        return [
            {
                "number": number,
                "name": hypercall.name,
                "evidence": _evidence(hypercall.evidence),
                "guests": {
                    guest.value: _entry(entry)
                    for guest, entry in sorted(self.entries[number].items())
                },
            }
            for number, hypercall in sorted(self.hypercalls.items())
        ]

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.to_data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    return None if evidence is None else evidence.to_data()


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "available": entry.available,
        "handler": entry.handler,
        "arguments": entry.arguments,
        "condition": entry.condition,
        "evidence": _evidence(entry.evidence),
        "arguments_evidence": _evidence(entry.arguments_evidence),
    }


def _stub_pattern(source: StubSource) -> str:
    """An ordinary stub with its index shown as ``<i LE32>``, as the facts write it."""
    one, two = source.stub(0x01010101), source.stub(0x02020202)
    parts: list[str] = []
    position = 0
    while position < len(one):
        if one[position] != two[position]:
            parts.append("<i LE32>")
            position += 4
        else:
            parts.append(f"{one[position]:02X}")
            position += 1
    return " ".join(parts)


def _conventions(
    tree: XenTree,
    dispatch: Mapping[GuestType, Dispatch],
    decoded: Mapping[TransferGuest, DecodedStub],
    stubs: Mapping[TransferGuest, StubSource],
) -> dict[str, SourceConvention]:
    rows: dict[str, SourceConvention] = {}
    for width, guests in _ABI_GUESTS.items():
        stated = [dispatch[g] for g in guests if g in dispatch]
        if not stated:
            continue  # a build without guests of this width states no such row
        first = stated[0]
        stub_guest = next(g for g in _INDEX_STUBS[width] if g in decoded)
        stub = decoded[stub_guest]
        index_line = next(
            (s.line for s in stubs[stub_guest].ordinary if s.expression.strip() == "i"),
            stubs[stub_guest].evidence.line,
        )
        index_evidence = tree.source_line(stubs[stub_guest].evidence.file, index_line)
        index = stub.index_register if width == 64 else "E" + stub.index_register[1:]
        rows[f"{width}bit"] = SourceConvention(
            Convention(f"{width}bit", index, first.parameters, first.result),
            index_evidence,
            first.evidence,
            first.evidence,
        )
    return rows


def _cross_check(
    conventions: Mapping[str, SourceConvention],
    dispatch: Mapping[GuestType, Dispatch],
    poisoning: Mapping[int, Poisoning],
    limit: tuple[int, Evidence] | None,
) -> list[str]:
    """Where the source contradicts itself: each is a warning naming both lines."""
    problems: list[str] = []
    for width, guests in _ABI_GUESTS.items():
        stated = [dispatch[g] for g in guests if g in dispatch]
        for other in stated[1:]:
            if (other.parameters, other.result) != (stated[0].parameters, stated[0].result):
                problems.append(
                    f"{other.evidence}: {other.guest.value} passes "
                    f"{' '.join(other.parameters)} -> {other.result}, but {stated[0].evidence} "
                    f"({stated[0].guest.value}) passes {' '.join(stated[0].parameters)} -> "
                    f"{stated[0].result}"
                )
        row = conventions.get(f"{width}bit")
        poison = poisoning.get(width)
        if row is not None and poison is not None:
            if poison.registers != row.convention.parameters:
                problems.append(
                    f"{poison.evidence}: the debug build poisons {' '.join(poison.registers)}, "
                    f"but {row.parameters} passes {' '.join(row.convention.parameters)}"
                )
    if limit is not None:
        for abi, row in sorted(conventions.items()):
            if len(row.convention.parameters) != limit[0]:
                problems.append(
                    f"{limit[1]}: gen_hypercall.awk allows {limit[0]} parameters, but "
                    f"{row.parameters} passes {len(row.convention.parameters)} ({abi})"
                )
    return problems


def _files_read(tree: XenTree, forms: Mapping[str, Form]) -> list[str]:
    """The x86 files the reading needs: the dispatch files and what their forms name."""
    files = [XEN_H, *forms]
    if Form.HYPERCALL_DEFS in forms.values():
        files.append(HYPERCALL_DEFS)
    if Form.C_TABLES in forms.values():
        files.append(ARGS_TABLE_C)
    files.append(tree.asm_header("hypercall.h"))
    return files


class _ArmBuild(NamedTuple):
    """The Arm facts of a tree, read as an arm64 build (none for a tree without Arm)."""

    configurations: dict[Architecture, Configuration]
    entries: dict[int, dict[GuestType, Entry]]
    traps: dict[GuestType, Trap]
    warnings: list[str]

    def merge(
        self,
        entries: dict[int, dict[GuestType, Entry]],
        dispatch: dict[GuestType, Dispatch],
        conventions: dict[str, SourceConvention],
    ) -> None:
        """Add the Arm guest types' facts to the x86 reading's."""
        for number, per_guest in self.entries.items():
            entries[number].update(per_guest)
        for guest, trap in self.traps.items():
            dispatch[guest] = trap.dispatch
            conventions[guest.abi] = SourceConvention(
                trap.convention, trap.index_evidence, trap.parameters_evidence, trap.result_evidence
            )


def _read_arm_build(
    tree: XenTree, choice: str, hypercalls: dict[int, NumberedHypercall]
) -> _ArmBuild:
    """The Arm guests' availability and traps, in the arm64 build of ``choice``."""
    if not tree.has_architecture(Architecture.ARM):
        return _ArmBuild({}, {}, {}, [])  # a sparse tree of x86 alone states no Arm fact
    files = [ARCH_ARM_H, ARM_TRAPS_C]
    if dispatch_form(tree, ARM_TRAPS_C) is Form.HYPERCALL_DEFS:
        files.append(HYPERCALL_DEFS)
    for relative in files:
        tree.text(relative)  # a missing file fails here, before any partial answer
    mentioned = tree.mentioned_options(files)
    config = resolve(tree.root / "xen", choice, mentioned, Architecture.ARM)
    entries = read_availability(tree, config, hypercalls, Architecture.ARM)
    traps = read_traps(tree, config)
    warnings = contradictions(traps, documented_convention(tree))
    return _ArmBuild({Architecture.ARM: config}, entries, traps, warnings)


def read_xen_source(root: Path, configuration: str = ALL) -> XenSource:
    """Read the tree at ``root`` in ``configuration`` ("all", "defconfig" or a .config path).

    Raises :class:`SourceError` (or ``ConfigurationError``) naming the file
    and what was expected when the tree cannot be read.
    """
    tree = XenTree.open(root)
    release, version, release_evidence = tree.release()
    forms = x86_forms(tree)
    files = _files_read(tree, forms)
    for relative in files:
        tree.text(relative)  # a missing file fails here, before any partial answer
    config = resolve(tree.root / "xen", configuration, tree.mentioned_options(files))
    hypercalls = read_numbers(tree, config)
    iret = next((h for h in hypercalls.values() if h.name == "iret"), None)
    if iret is None:
        raise SourceError(f"{tree.root / XEN_H}: no __HYPERVISOR_iret (expected hypercall 23)")
    entries = read_availability(tree, config, hypercalls)
    dispatch = read_dispatch(tree, config)
    poisoning = read_poisoning(tree, config)
    limit = read_generator_limit(tree)
    vector = hypercall_vector(tree)
    stubs = read_stub_sources(tree, iret.number, vector[0])
    decoded = {
        guest: decode(source, 64 if guest is TransferGuest.PV64 else 32)
        for guest, source in stubs.items()
    }
    conventions = _conventions(tree, dispatch, decoded, stubs)
    arm = _read_arm_build(tree, configuration, hypercalls)
    arm.merge(entries, dispatch, conventions)
    warnings = _cross_check(conventions, dispatch, poisoning, limit)
    version_hypercall = read_version_hypercall(
        tree, config.enabled, arm.configurations.get(Architecture.ARM)
    )
    for configuration_read in (config, *arm.configurations.values()):
        tree.note_read(configuration_read.read)
    return XenSource(
        root=tree.root,
        version=version,
        release=release,
        release_evidence=release_evidence,
        layout=forms[PV_HYPERCALL_C],
        configuration=config,
        hypercalls=hypercalls,
        entries=entries,
        dispatch=dispatch,
        conventions=conventions,
        poisoning=poisoning,
        generator_limit=limit,
        stubs=stubs,
        decoded=decoded,
        vector=vector,
        warnings=tuple(warnings + arm.warnings),
        traps=MappingProxyType(arm.traps),
        configurations=MappingProxyType({Architecture.X86: config, **arm.configurations}),
        version_hypercall=version_hypercall,
        manifest=tree.manifest(),
    )


__all__ = ["SourceError", "XenSource", "read_xen_source"]
