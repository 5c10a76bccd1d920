"""The docs' register and transfer tables, executed: evidence for one guest configuration.

:func:`execute_row_check` makes three round trips through the page and
reports them as :class:`RowEvidence`, which ``row_execution.py`` turns into a
table row's outcome; :func:`run_iret_stub` is the iret demonstration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.abi import IRET_INDEX, Errno, XENVER_version, normalise_instruction
from ..model.dispatcher import Dispatcher
from ..model.spec import AbiSpec, Architecture, Convention, Release
from .configurations import GuestConfig, convention_for
from .errors import EmulatorError
from .harness import GuestHarness
from .probes import probe_dispatcher, probe_target, unknown_index, xen_version_number
from .registers import default_arguments

if TYPE_CHECKING:
    from .results import RoundTrip, StubRun


@dataclass(frozen=True)
class RowEvidence:
    """What executing the docs' tables on one guest configuration showed."""

    config: GuestConfig
    release: Release
    convention: Convention
    documented_transfer: str | None  # the docs' instruction for this page's row
    probe: RoundTrip  # every parameter register loaded, a recording handler
    probe_name: str  # the hypercall the probe handler stood in for
    version: RoundTrip  # xen_version(XENVER_version, ...)
    unknown: RoundTrip  # an index the docs do not define

    @property
    def transfer(self) -> str:
        return self.probe.transfer

    @property
    def trap_site(self) -> str:
        """Where the transfer instruction trapped, for the transfer row's summary."""
        return f"at page offset {self.probe.trap_offset:#x}"

    @property
    def transfer_documented(self) -> bool:
        """Whether the docs' transfer row names the instruction that trapped."""
        if self.documented_transfer is None:
            return False
        try:
            return normalise_instruction(self.documented_transfer) == self.transfer
        except ValueError:
            return False

    @property
    def arguments_intact(self) -> bool:
        return self.probe.intact and len(self.probe.received) == len(self.convention.parameters)

    @property
    def version_ok(self) -> bool:
        return self.version.result == self.release.xen_version

    @property
    def enosys_ok(self) -> bool:
        return self.unknown.result_signed == -Errno.ENOSYS

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
        res = self.convention.result
        doc = self.documented_transfer
        transfer = (
            f"transfer: the docs name {doc} for {self.config.transfer.value}; "
            f"{self.transfer} trapped at page offset {self.probe.trap_offset:#x}"
        )
        if doc is None:
            transfer = f"transfer: the docs name no instruction for {self.config.transfer.value}"
        elif not self.transfer_documented:
            transfer += " (MISMATCH)"
        return (
            self.probe.line,
            transfer,
            f"xen_version(XENVER_version): {res} = {self.version.result:#x} after ret"
            + (
                f", Xen {self.release}'s version"
                if self.version_ok
                else f"; Xen {self.release} returns {self.release.xen_version:#x} (MISMATCH)"
            ),
            f"unknown index {self.unknown.index}: {res} = {self.unknown.result:#x} "
            f"({self.unknown.result_signed}) after ret"
            + ("" if self.enosys_ok else " (expected -ENOSYS)"),
        )

    def __str__(self) -> str:
        return "\n".join(self.lines)


def execute_row_check(
    spec: AbiSpec, config: GuestConfig, *, harness: GuestHarness | None = None
) -> RowEvidence:
    """Execute the docs' tables for one guest configuration and report.

    Three round trips through the page: a probe (a recording handler under a
    hypercall this guest may call, with distinct values in every parameter
    register the convention names), xen_version(XENVER_version) with the
    same loading, and an index the docs do not define. (An Arm guest has no
    page: :func:`~.hvc.evidence.execute_hvc_row_check` runs its row checks.)
    """
    if config.architecture is not Architecture.X86:
        raise EmulatorError(f"a {config.label} guest has no hypercall page (see emulator.hvc)")
    convention = convention_for(spec, config)
    number, name = probe_target(spec, config.guest)
    record: list[tuple[int, ...]] = []
    probe = probe_dispatcher(spec, config.guest, name, record)
    plain = Dispatcher(spec)
    if harness is None:
        harness = GuestHarness(plain, config)
    elif harness.config != config or harness.convention != convention:
        raise EmulatorError("the harness was built for another guest or convention")
    args = default_arguments(config.width, len(convention.parameters))
    probe_run = harness.call(number, args, dispatcher=probe)
    if record != [probe_run.received]:  # the handler must get what the dispatcher reports
        raise EmulatorError(f"probe handler saw {record}, dispatcher reports {probe_run.received}")
    version_args = (XENVER_version, *args[1:])
    version = harness.call(xen_version_number(spec), version_args, dispatcher=plain)
    unknown = harness.call(unknown_index(spec), args, dispatcher=plain)
    return RowEvidence(
        config=config,
        release=spec.release,
        convention=convention,
        documented_transfer=spec.transfers.get(config.transfer.value),
        probe=probe_run,
        probe_name=name,
        version=version,
        unknown=unknown,
    )


def run_iret_stub(
    dispatcher: Dispatcher | AbiSpec,
    config: GuestConfig,
    registers: Mapping[str, int] | None = None,
) -> StubRun:
    """Jump to the iret stub (23) as a PV guest does and report what happened."""
    if isinstance(dispatcher, AbiSpec):
        dispatcher = Dispatcher(dispatcher)
    return GuestHarness(dispatcher, config).jump(IRET_INDEX, registers=registers)
