"""What a run of the guest showed: round trips, stub runs, boot evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.abi import CPUID_HYPERCALL_LEAF, to_signed
from .layout import CPUID_BASE, XEN_SIGNATURE

if TYPE_CHECKING:
    from ..model.dispatcher import DispatchResult
    from .configurations import GuestConfig


@dataclass(frozen=True)
class Clobber:
    """A parameter that reached the dispatcher with another value than loaded."""

    position: int  # 1-based, as the docs number parameters
    register: str
    loaded: int
    arrived: int
    cause: str | None  # "the return address", "RFLAGS", ... when recognisable

    def __str__(self) -> str:
        cause = f" ({self.cause})" if self.cause else ""
        return (
            f"parameter {self.position} {self.register} arrived as {self.arrived:#x}{cause}, "
            f"loaded {self.loaded:#x}"
        )


@dataclass(frozen=True)
class RoundTrip:
    """One ``call hypercall_page + index * 32`` from load to after ``ret``.

    On Arm: one call of the guest's stub for hypercall ``index``, from load to
    after its return; the trap offset is the HVC's in the stub, the flags are
    PSTATE/CPSR, and ``parameters``/``result_register`` are the guest's (which
    Xen's, in ``dispatch.read``, may not be).
    """

    config: GuestConfig
    index: int
    parameters: tuple[str, ...]  # the convention's parameter registers, in order
    loaded: tuple[int, ...]  # what the guest loaded into each of them
    dispatch: DispatchResult  # what the dispatcher read, received and returned
    transfer: str  # the trapped instruction, disassembled: "SYSCALL", "INT 0x82" ...
    trap_offset: int  # page offset of the transfer instruction
    return_address: int  # guest address after the transfer instruction
    flags: int  # RFLAGS/EFLAGS (PSTATE/CPSR on Arm) at the trap
    result_register: str
    after: Mapping[str, int]  # the guest's registers after the stub's ret

    @property
    def received(self) -> tuple[int, ...]:
        """The arguments the handler was given (``DispatchResult.arguments``)."""
        return self.dispatch.arguments

    @property
    def result(self) -> int:
        """The result register as the guest sees it after ``ret`` (unsigned)."""
        return self.after[self.result_register]

    @property
    def result_signed(self) -> int:
        return to_signed(self.result, self.config.width)

    @property
    def final_parameters(self) -> tuple[int, ...]:
        """The parameter registers' values after ``ret`` (poison, restored ...)."""
        return tuple(self.after[reg] for reg in self.parameters)

    @property
    def clobbered(self) -> tuple[Clobber, ...]:
        """The received arguments that differ from what the guest loaded."""
        out = []
        for n, (reg, loaded, arrived) in enumerate(
            zip(self.parameters, self.loaded, self.received), start=1
        ):
            if loaded != arrived:
                out.append(Clobber(n, reg, loaded, arrived, self._cause(arrived)))
        return tuple(out)

    def _cause(self, value: int) -> str | None:
        if value == self.return_address:
            return "the return address"
        if value == self.flags:
            return self.config.flags_register
        if value == self.index:
            return "the hypercall index"
        return None

    @property
    def intact(self) -> bool:
        """Whether every argument the handler read arrived as loaded."""
        n = len(self.received)
        return n <= len(self.loaded) and self.received == self.loaded[:n]

    @property
    def line(self) -> str:
        """One evidence line about the arguments of this round trip."""
        n = len(self.received)
        regs = " ".join(self.parameters[:n])
        head = f"executed: {self.config.label}, {self.transfer}"
        if self.intact:
            return f"{head}, {n} argument{'s' if n != 1 else ''} arrived in {regs}"
        bad = self.clobbered
        good = n - len(bad)
        return f"{head}, {good} of {n} arguments arrived intact ({regs}); " + "; ".join(
            str(c) for c in bad
        )


@dataclass(frozen=True)
class StubRun:
    """What happened when the guest jumped to a stub (the iret demonstration)."""

    config: GuestConfig
    index: int
    stub: bytes  # the stub's code as mapped in guest memory, without padding
    transfer: str | None  # the trapped transfer instruction, or None
    trap_offset: int | None
    registers: Mapping[str, int]  # the register file at the trap (empty if none)
    stack: tuple[int, ...]  # words the stub pushed, top of stack first
    fault: str | None  # what stopped the guest instead (e.g. #UD on ud2)
    next_instruction: str | None  # what follows the transfer instruction in the page
    resumed: str | None  # what happened when the guest resumed after the trap


@dataclass(frozen=True)
class BootEvidence:
    """The CPUID/WRMSR way of creating the page, as the guest did it."""

    config: GuestConfig
    signature: str  # CPUID 0x40000000 EBX ECX EDX
    max_leaf: int  # CPUID 0x40000000 EAX
    pages: int  # CPUID 0x40000002 EAX
    msr: int  # CPUID 0x40000002 EBX
    msr_writes: tuple[tuple[int, int], ...]  # (MSR, value) for every WRMSR executed
    requested: int  # the address the guest wrote to the MSR
    installed: int | None  # where the harness wrote the page, None if refused
    fault: str | None
    page_matches: bool  # guest memory at the page now equals the model's page

    @property
    def ok(self) -> bool:
        return (
            self.fault is None
            and self.installed is not None
            and self.page_matches
            and self.signature == XEN_SIGNATURE
        )

    @property
    def lines(self) -> tuple[str, ...]:
        out = [
            f"cpuid {CPUID_BASE:#x}: {self.signature!r}, max leaf {self.max_leaf:#x}",
            f"cpuid {CPUID_HYPERCALL_LEAF:#x}: {self.pages} page(s), MSR {self.msr:#x}",
        ]
        if self.installed is not None:
            same = "the model's page" if self.page_matches else "NOT the model's page"
            out.append(
                f"wrmsr {self.msr:#x} <- {self.requested:#x}: {same} written at {self.installed:#x}"
            )
        else:
            out.append(f"wrmsr {self.msr:#x} <- {self.requested:#x}: refused: {self.fault}")
        return tuple(out)
