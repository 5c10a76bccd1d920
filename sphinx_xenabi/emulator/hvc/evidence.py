"""The docs' register and transfer tables, executed on an Arm guest: evidence.

:func:`execute_hvc_row_check` makes the three round trips the x86 check
makes (:mod:`..probes`) with the guest's code written from the docs and Xen
reading what Xen reads, and reports them as :class:`HvcRowEvidence`, which
``row_execution.py`` turns into a table row's outcome as it does x86's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ...model.abi import TRANSFER_INSTRUCTIONS, Errno, XENVER_version
from ...model.abi import revision_for as model_revision
from ...model.dispatcher import Dispatcher
from ...model.spec import AbiSpec, Convention, Release
from ..errors import EmulatorError, GuestFault
from ..probes import probe_dispatcher, probe_target, unknown_index, xen_version_number
from ..registers import default_arguments
from .harness import HvcHarness

if TYPE_CHECKING:
    from ..configurations import GuestConfig
    from ..results import RoundTrip


@dataclass(frozen=True)
class HvcRowEvidence:
    """What executing the docs' tables on one Arm guest configuration showed.

    The round trips are None when the guest faulted before them (``fault``
    says how: an HVC Xen does not take as a hypercall).
    """

    config: GuestConfig
    release: Release
    convention: Convention  # the docs': what the guest's code follows
    xen: Convention  # what Xen reads and writes
    documented_transfer: str | None  # the docs' instruction for this guest
    instruction: str  # the HVC the guest executed (the docs', else Xen's)
    probe_number: int
    probe_name: str  # the hypercall the probe handler stood in for
    probe: RoundTrip | None  # every documented parameter loaded, a recording handler
    version: RoundTrip | None  # xen_version(XENVER_version, ...)
    unknown: RoundTrip | None  # a number the docs do not define
    fault: str | None = None

    @property
    def transfer(self) -> str:
        """What trapped ("HVC 0xea1"), or the instruction the guest executed."""
        return self.probe.transfer if self.probe is not None else self.instruction

    @property
    def trap_site(self) -> str:
        offset = self.probe.trap_offset if self.probe is not None else 0
        return f"at stub offset {offset:#x}"

    @property
    def transfer_documented(self) -> bool:
        """Whether the docs' instruction trapped into Xen as a hypercall."""
        return self.documented_transfer is not None and self.probe is not None

    @property
    def number_arrived(self) -> bool:
        return self.probe is not None and self.probe.dispatch.number == self.probe_number

    @property
    def arguments_intact(self) -> bool:
        """The number reached Xen, and Xen's handler got every argument as the guest loaded it."""
        probe = self.probe
        return probe is not None and self.number_arrived and probe.received == probe.loaded

    @property
    def version_ok(self) -> bool:
        return self.version is not None and self.version.result == self.release.xen_version

    @property
    def enosys_ok(self) -> bool:
        return self.unknown is not None and self.unknown.result_signed == -Errno.ENOSYS

    @property
    def ok(self) -> bool:
        return (
            self.arguments_intact
            and self.version_ok
            and self.enosys_ok
            and self.transfer_documented
        )

    @property
    def lines(self) -> tuple[str, ...]:
        """Arguments, transfer, xen_version, unknown number: as x86's :class:`~..row_probe.RowEvidence`."""
        return (self._arguments_line(), self._transfer_line(), *self._result_lines())

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def _arguments_line(self) -> str:
        probe = self.probe
        if probe is None:
            return f"executed: {self.fault}"
        head = f"executed: {self.config.label}, {probe.transfer}"
        guest, xen = self.convention, self.xen
        if not self.number_arrived:
            return (
                f"{head}: the guest put hypercall {self.probe_number} in {guest.index}, the docs' "
                f"number register; Xen reads the number from {xen.index}, which held "
                f"{probe.dispatch.number:#x}: {_errno(probe.result_signed)} (MISMATCH)"
            )
        if self.arguments_intact:
            n = len(probe.received)
            registers = " ".join(guest.parameters)
            return (
                f"{head}, the number in {guest.index} and {n} argument{'s' if n != 1 else ''} "
                f"arrived in {registers}"
            )
        return f"{head}, the number in {guest.index}; " + "; ".join(self._argument_problems())

    def _argument_problems(self) -> list[str]:
        """Each parameter that did not arrive as loaded, and why (register names first)."""
        assert self.probe is not None
        probe, guest, xen = self.probe, self.convention.parameters, self.xen.parameters
        read = probe.dispatch.read[1:]  # Xen's parameter registers, in order
        out: list[str] = []
        for i in range(max(len(guest), len(read))):
            n = i + 1
            if i >= len(read):
                out.append(
                    f"the docs' parameter {n} in {guest[i]} is not read: Xen reads {len(xen)}"
                )
            elif i >= len(guest):
                out.append(
                    f"Xen reads parameter {n} from {read[i]} ({probe.received[i]:#x}), "
                    f"which the docs do not name"
                )
            elif guest[i] != read[i]:
                out.append(f"parameter {n} went into {guest[i]} (the docs); Xen reads {read[i]}")
            elif probe.loaded[i] != probe.received[i]:
                arrived, loaded = probe.received[i], probe.loaded[i]
                cause = " (the hypercall number)" if arrived == probe.index else ""
                out.append(
                    f"parameter {n} {guest[i]} arrived as {arrived:#x}{cause}, loaded {loaded:#x}"
                )
        return out

    def _transfer_line(self) -> str:
        label = self.config.transfer.value
        doc = self.documented_transfer
        if doc is None:
            return f"transfer: the docs name no instruction for {label}"
        if self.probe is None:
            return f"transfer: the docs name {doc} for {label}; {self.fault} (MISMATCH)"
        return (
            f"transfer: the docs name {doc} for {label}; {self.probe.transfer} trapped "
            f"{self.trap_site}, a hypercall for Xen"
        )

    def _result_lines(self) -> tuple[str, str]:
        res, version, unknown = self.convention.result, self.version, self.unknown
        if version is None or unknown is None:
            return (
                "xen_version(XENVER_version): not reached",
                "unknown number: not reached",
            )
        elsewhere = f" in {self.xen.result}" if res != self.xen.result else ""
        version_line = f"xen_version(XENVER_version): {res} = {version.result:#x} after ret" + (
            f", Xen {self.release}'s version"
            if self.version_ok
            else f"; Xen {self.release} returns {self.release.xen_version:#x}{elsewhere} (MISMATCH)"
        )
        unknown_line = (
            f"unknown number {unknown.index}: {res} = {unknown.result:#x} "
            f"({unknown.result_signed}) after ret"
            + ("" if self.enosys_ok else " (expected -ENOSYS)")
        )
        return version_line, unknown_line


def _errno(value: int) -> str:
    """-38 as "-ENOSYS": a result as Xen's code names it."""
    try:
        return f"-{Errno(-value).name}"
    except ValueError:
        return str(value)


def xen_spec(spec: AbiSpec, xen: AbiSpec | None = None) -> AbiSpec:
    """What Xen runs: ``xen``'s (default: the model's) conventions and transfers, ``spec``'s numbers."""
    reference = model_revision(spec.release) if xen is None else xen
    return AbiSpec(spec.release, reference.conventions, reference.transfers, spec.hypercalls)


def _guest_side(
    spec: AbiSpec, config: GuestConfig, reference: AbiSpec
) -> tuple[Convention, str | None, str]:
    """The docs' convention and instruction for the guest, and the instruction it executes."""
    abi = config.guest.abi
    convention = spec.conventions.get(abi)
    if convention is None:
        raise EmulatorError(f"the spec for Xen {spec.release} has no {abi} register convention")
    documented = spec.transfers.get(config.transfer.value)
    fallback = TRANSFER_INSTRUCTIONS[config.transfer].mnemonic
    instruction = documented or reference.transfers.get(config.transfer.value, fallback)
    return convention, documented, instruction


def execute_hvc_row_check(
    spec: AbiSpec,
    config: GuestConfig,
    *,
    harness: HvcHarness | None = None,
    xen: AbiSpec | None = None,
) -> HvcRowEvidence:
    """Execute the docs' tables for one Arm guest configuration and report.

    The guest's code follows ``spec`` (the docs): its convention for the
    guest's ABI and its transfer instruction (Xen's, if it names none). Xen
    follows ``xen`` (default: the model's revision for the release), with
    ``spec``'s hypercall numbers. Three round trips as on x86: a probe (a
    recording handler that takes every parameter Xen passes, under a
    hypercall this guest may call, the guest loading distinct values into
    every parameter register the docs name), xen_version(XENVER_version)
    with the same loading, and a number the docs do not define.
    """
    reference = xen_spec(spec, xen)
    convention, documented, instruction = _guest_side(spec, config, reference)
    plain = Dispatcher(reference)
    if harness is None:
        harness = HvcHarness(plain, config, convention=convention, instruction=instruction)
    elif harness.config != config or harness.convention != convention:
        raise EmulatorError("the harness was built for another guest or convention")
    elif harness.instruction != instruction:
        raise EmulatorError("the harness was built for another instruction")
    number, name = probe_target(spec, config.guest)
    evidence = HvcRowEvidence(
        config=config,
        release=spec.release,
        convention=convention,
        xen=harness.xen,
        documented_transfer=documented,
        instruction=instruction,
        probe_number=number,
        probe_name=name,
        probe=None,
        version=None,
        unknown=None,
    )
    try:
        return _round_trips(evidence, spec, reference, harness, plain)
    except GuestFault as fault:
        return replace(evidence, fault=str(fault))


def _round_trips(
    evidence: HvcRowEvidence,
    spec: AbiSpec,
    reference: AbiSpec,
    harness: HvcHarness,
    plain: Dispatcher,
) -> HvcRowEvidence:
    """The probe, xen_version and the unknown number, into ``evidence``."""
    number, name, config = evidence.probe_number, evidence.probe_name, evidence.config
    record: list[tuple[int, ...]] = []
    probe = probe_dispatcher(reference, config.guest, name, record)
    args = default_arguments(config.width, len(evidence.convention.parameters))
    probe_run = harness.call(number, args, dispatcher=probe)
    if probe_run.dispatch.name == name and record != [probe_run.received]:
        raise EmulatorError(f"probe handler saw {record}, dispatcher reports {probe_run.received}")
    version_args = (XENVER_version, *args[1:])
    version = harness.call(xen_version_number(spec), version_args, dispatcher=plain)
    unknown = harness.call(unknown_index(spec), args, dispatcher=plain)
    return replace(evidence, probe=probe_run, version=version, unknown=unknown)
