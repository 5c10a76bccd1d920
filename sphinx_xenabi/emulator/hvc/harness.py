"""The HVC harness: one emulated Arm guest, and the story of one hypercall.

A round trip (:meth:`HvcHarness.call`):

1. *Load the arguments*: one write of the frame puts every register value
   and the stub's address where the call program loads them from.
2. *Call the stub*: the call program loads the registers and branches to
   the hypercall's Linux-style stub (written on first use), which puts the
   number in its register and executes ``hvc #imm``.
3. *Trap*: the HVC reaches the one interrupt hook (interrupt 11).
4. *Xen*: the hook does what Xen's ``do_trap_guest_sync`` does with the
   immediate: ``0xEA1`` (``XEN_HYPERCALL_TAG``) is a hypercall, handed to the
   dispatcher, whose result registers (the result, and with ``debug`` the
   poisoned ones) are written back before the guest resumes after the HVC;
   0 is an SMCCC call (PSCI ...) and ``0xFFxx`` a debug trap of a debug
   Xen, neither a hypercall nor modelled: the guest stops with a fault; any
   other immediate gets the guest an undefined-instruction exception, which
   its vector takes (then the guest stops with a fault that says so).
5. *Return*: the stub returns, the program stores the register file, and one
   read of the store block makes the :class:`~..results.RoundTrip`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from unicorn import UC_HOOK_INTR, UcError

from ...model.abi import TRANSFER_INSTRUCTIONS, XEN_HYPERCALL_TAG, normalise_instruction
from ...model.spec import Architecture, Convention
from ..cpu_choice import cpu_class
from ..errors import EmulatorError, GuestFault
from ..results import RoundTrip
from .encoder import a32_hvc_immediate, a64_hvc_immediate, hvc_immediate, t32_hvc_immediate
from .machines import (
    A32_THUMB,
    AARCH64,
    HVC_INTERRUPT,
    UNDEFINED_INTERRUPT,
    inject_undefined,
    machine_for,
    set_vectors,
)
from .programs import (
    CALL_PROGRAM,
    FAULT_RECORD,
    FRAME,
    STUB_SLOT,
    STUB_SLOTS,
    STUBS,
    VECTORS,
    Stub,
    call_program,
    check_convention,
    frame_for,
    listing,
    out_address,
    stub_code,
    vectors,
)

if TYPE_CHECKING:
    from ...model.dispatcher import Dispatcher, DispatchResult
    from ..configurations import GuestConfig
    from ..cpu import Cpu

SMCCC_IMMEDIATE = 0
"""HVC #0: an SMCCC call (PSCI, Xen's feature queries), which Xen's
``do_trap_hvc_smccc`` serves; not a hypercall."""
_new = object.__new__
_INTERRUPTS = {UNDEFINED_INTERRUPT: "an undefined instruction", 2: "svc", 7: "a breakpoint"}


def xen_convention(dispatcher: Dispatcher, config: GuestConfig) -> Convention:
    """The registers Xen reads and writes for the guest: the dispatcher's spec's convention."""
    spec = dispatcher.spec
    convention = spec.conventions.get(config.guest.abi)
    if convention is None:
        raise EmulatorError(
            f"the spec for Xen {spec.release} has no {config.guest.abi} register convention"
        )
    check_convention(convention, config, f"Xen {spec.release} follows")
    return convention


class HvcHarness:
    """One emulated Arm guest that calls Xen with HVC, set up once and reused.

    ``dispatcher`` plays Xen: its spec's convention for the guest's ABI says
    which registers Xen reads the number and the arguments from and writes
    the result to. The guest's code follows ``convention`` (the number and
    argument registers it loads, the register it reads the result from) and
    ``instruction`` (the HVC it executes, as the docs write it, e.g. "HVC
    #0xEA1"); by default the dispatcher's spec's. ``fast`` picks the engine
    as :class:`~..harness.GuestHarness` does.
    """

    # Per-run state, which the hook fills in (see _reset).
    _dispatcher: Dispatcher
    _trap: tuple[int, DispatchResult, int, int] | None  # PC after hvc, result, state, imm
    _injected: tuple[int, int] | None  # PC after the hvc, its immediate
    _fault: str | None
    _traps: int
    _hook_error: BaseException | None

    def __init__(
        self,
        dispatcher: Dispatcher,
        config: GuestConfig,
        *,
        convention: Convention | None = None,
        instruction: str | None = None,
        fast: bool = True,
    ) -> None:
        if config.architecture is not Architecture.ARM:
            raise EmulatorError(f"a {config.label} guest does not call Xen with HVC")
        self.dispatcher = dispatcher
        self.config = config
        self.width = config.width
        self.xen = xen_convention(dispatcher, config)
        self.convention = self.xen if convention is None else convention
        check_convention(self.convention, config, "the guest follows")
        if instruction is None:
            default = TRANSFER_INSTRUCTIONS[config.transfer].mnemonic
            instruction = dispatcher.spec.transfers.get(config.transfer.value, default)
        self.instruction = instruction
        self.immediate = hvc_immediate(instruction)
        self._frame = frame_for(config, self.convention)
        self._out = out_address(config, self._frame)
        self._stubs: dict[int, Stub] = {}
        self._sites: dict[int, Stub] = {}  # guest PC after a stub's hvc -> the stub
        self._cpu = self._boot(cpu_class(fast)(machine_for(config)))
        self._state = self._cpu.read_register(self._state_register)
        self._reset(dispatcher)

    # -- a round trip -----------------------------------------------------------

    def call(
        self,
        number: int,
        arguments: Sequence[int] = (),
        *,
        registers: Mapping[str, int] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> RoundTrip:
        """Call the stub of hypercall ``number`` with ``arguments`` loaded.

        Argument i goes into the guest convention's parameter i; ``registers``
        presets other registers (default: a recognisable filler).
        ``dispatcher`` replaces the harness's one for this call (same
        convention required).
        """
        stub = self.stub(number)
        values = self._frame.values(stub.address | self.config.thumb, arguments, registers)
        self._reset(self._dispatcher_for(dispatcher))
        self._cpu.write(FRAME, self._frame.pack(values))
        status = self._run()
        trap = self._trap
        if self._injected is not None:
            raise GuestFault(self._undefined())
        if status or self._fault is not None or trap is None or self._traps != 1:
            raise GuestFault(self._fault or self._failure(status, number))
        after = self._frame.register_file(self._cpu.read(self._out, self._frame.out.size))
        return self._round_trip(stub, values, trap, after)

    def stub(self, number: int) -> Stub:
        """The guest's stub for hypercall ``number``, written into guest memory on first use."""
        stub = self._stubs.get(number)
        if stub is None:
            stub = self._stubs[number] = self._write_stub(number)
        return stub

    def _dispatcher_for(self, dispatcher: Dispatcher | None) -> Dispatcher:
        if dispatcher is None or dispatcher is self.dispatcher:
            return self.dispatcher
        if xen_convention(dispatcher, self.config) != self.xen:
            raise EmulatorError("the dispatcher's convention differs from the harness's")
        return dispatcher

    def _failure(self, status: int, number: int) -> str:
        if status:
            return f"{self.config.label}: emulation stopped: {UcError(status)}"
        return f"{self.config.label}: the call of hypercall {number} made {self._traps} traps"

    def _round_trip(
        self, stub: Stub, values: list[int], trap: tuple[int, Any, int, int], after: Any
    ) -> RoundTrip:
        pc, result, state, imm = trap
        obj = _new(RoundTrip)
        obj.__dict__.update(  # as the page harness does: no frozen __init__ on the hot path
            config=self.config,
            index=stub.number,
            parameters=self.convention.parameters,
            loaded=self._frame.loaded_arguments(values),
            dispatch=result,
            transfer=_mnemonic(imm),
            trap_offset=pc - 4 - stub.address,
            return_address=pc,
            flags=state,
            result_register=self.convention.result,
            after=after,
        )
        return obj

    # -- the trap (hot path) ----------------------------------------------------

    def _on_interrupt(self, _uc: object, intno: int, _data: object) -> None:
        try:
            values = self._trap_registers.read()
            pc = values[0]
            if intno != HVC_INTERRUPT:
                what = _INTERRUPTS.get(intno, f"interrupt {intno}")
                self._halt(f"{self.config.label}: {what} at {pc:#x}, not an HVC")
                return
            stub = self._sites.get(pc)
            imm = stub.immediate if stub is not None else self._immediate_before(pc, values[1])
            if imm == XEN_HYPERCALL_TAG:
                self._hypercall(pc, values, imm)
            elif imm is None or imm == SMCCC_IMMEDIATE or self._debug_trap(imm):
                self._halt(self._not_hypercall(pc, imm))
            else:  # do_trap_hypercall: "Invalid HVC imm", inject_undef_exception
                self._injected = (pc, imm)
                self._cpu.write(FAULT_RECORD, bytes(self._record.size))
                inject_undefined(self._cpu, VECTORS, pc, values[1])
        except BaseException as exc:  # noqa: BLE001 - re-raised by _run
            self._stop(exc)

    def _hypercall(self, pc: int, values: list[int], imm: int) -> None:
        """Hand Xen's registers to the dispatcher and write its result registers back."""
        registers = self._xen_registers
        file = dict(zip(registers, values[2:]))
        result: DispatchResult = self._dispatcher.dispatch(self.config.guest, file)
        out = result.registers
        self._write_registers.write([out[r] for r in registers])
        self._traps += 1
        self._trap = (pc, result, values[1], imm)

    def _debug_trap(self, imm: int) -> bool:
        """A debug Xen's ``do_debug_trap`` (HVC #0xFFxx: print a register, a character ...)."""
        return self._dispatcher.debug and imm & 0xFF00 == 0xFF00

    def _not_hypercall(self, pc: int, imm: int | None) -> str:
        where = f"{self.config.label}: {self._hvc_text(imm)} {self._where(pc - 4)}"
        if imm is None:
            return f"{where}: interrupt 11 after an instruction that is not an HVC"
        if imm == SMCCC_IMMEDIATE:
            return (
                f"{where} is an SMCCC call (the function ID in {self.xen.parameters[0]}), "
                f"which Xen serves apart (do_trap_hvc_smccc): not a hypercall, not modelled"
            )
        return f"{where} is a debug trap of a debug Xen (do_debug_trap): not a hypercall"

    def _immediate_before(self, pc: int, state: int) -> int | None:
        """The immediate of the HVC that ends at ``pc`` (an HVC outside the stubs)."""
        code = self._cpu.read(pc - 4, 4)
        if self._cpu.machine is AARCH64:
            return a64_hvc_immediate(int.from_bytes(code, "little"))
        if state & A32_THUMB:
            return t32_hvc_immediate(code)
        return a32_hvc_immediate(int.from_bytes(code, "little"))

    def _halt(self, fault: str) -> None:
        """The hook found something Xen would not take as a hypercall: say what, and stop."""
        self._fault = fault
        self._cpu.stop()

    def _stop(self, error: BaseException) -> None:
        """Called from the hook when it raised: remember it and stop the guest."""
        if self._hook_error is None:
            self._hook_error = error
        self._cpu.stop()

    def _run(self) -> int:
        """Run the call program to EXIT_ADDRESS; re-raise what the hook raised."""
        self._hook_error = None
        status = self._cpu.run(CALL_PROGRAM)
        error = self._hook_error
        if error is not None:
            self._hook_error = None
            self._restore()
            raise error
        return status

    # -- the injected exception ---------------------------------------------------

    def _undefined(self) -> str:
        """What the guest's vector recorded, as the fault of the round trip; the CPU restored."""
        assert self._injected is not None
        pc, imm = self._injected
        first, second, third = self._record.unpack(self._cpu.read(FAULT_RECORD, self._record.size))
        self._restore()
        if self._cpu.machine is AARCH64:
            seen = f"ESR_EL1 {first:#x}, ELR_EL1 {second:#x}, SPSR_EL1 {third:#x}"
        else:
            seen = f"LR_und {first:#x}, SPSR_und {second:#x}, CPSR {third:#x}"
        took = f"the guest's vector took it ({seen})" if first else "its vector did not run"
        return (
            f"{self.config.label}: {self._hvc_text(imm)} {self._where(pc - 4)} is not a hypercall "
            f"(Xen takes HVC #{XEN_HYPERCALL_TAG:#x}): Xen injected an undefined-instruction "
            f"exception, and {took}"
        )

    def _restore(self) -> None:
        """Back to the state the call program runs in (after an exception or a stop)."""
        self._cpu.write_register(self._state_register, self._state)

    # -- inspection -------------------------------------------------------------------

    def read_memory(self, address: int, size: int) -> bytes:
        """Guest memory, for inspection."""
        return self._cpu.read(address, size)

    def read_register(self, name: str) -> int:
        """A register of the guest as it is now (e.g. "X16" after a call)."""
        return self._cpu.read_register(name)

    def disassemble(self, which: str | int = "call") -> tuple[str, ...]:
        """The call program ("call"), the undefined-instruction handler ("vectors"), or
        the stub of a hypercall number, as text lines (capstone)."""
        if isinstance(which, int):
            stub = self.stub(which)
            return listing(self.config.code, stub.code, stub.address)
        if which == "call":
            return listing(_program_code(self.config), call_program(self.config), CALL_PROGRAM)
        if which == "vectors":
            address, code = vectors(self.config)
            return listing(_program_code(self.config), code, address)
        raise ValueError(f"no guest code called {which!r} (call, vectors, or a number)")

    def _hvc_text(self, imm: int | None) -> str:
        mnemonic = "hvc.w" if self.config.thumb else "hvc"
        return f"{mnemonic} #{imm:#x}" if imm is not None else mnemonic

    def _where(self, address: int) -> str:
        for stub in self._stubs.values():
            if stub.address <= address < stub.address + len(stub.code):
                return (
                    f"in the stub of hypercall {stub.number} (offset {address - stub.address:#x})"
                )
        return f"at {address:#x}"

    # -- set-up -----------------------------------------------------------------------

    def _boot(self, cpu: Cpu) -> Cpu:
        """An engine with the call program, the vectors and the frame, and the hook."""
        config = self.config
        cpu.write(CALL_PROGRAM, call_program(config))
        handler, code = vectors(config)
        cpu.write(handler, code)
        set_vectors(cpu, VECTORS)
        cpu.write_register("SP", FRAME)
        self._state_register = "PSTATE" if cpu.machine is AARCH64 else "CPSR"
        word = "Q" if self.width == 64 else "I"
        self._record = struct.Struct(f"<3{word}")
        # Read at a trap: PC, PSTATE/CPSR and the registers Xen uses; written: those.
        self._xen_registers = tuple(
            dict.fromkeys((self.xen.index, *self.xen.parameters, self.xen.result))
        )
        self._trap_registers = cpu.registers(("PC", self._state_register, *self._xen_registers))
        self._write_registers = cpu.registers(self._xen_registers)
        cpu.hook(UC_HOOK_INTR, self._on_interrupt)
        return cpu

    def _write_stub(self, number: int) -> Stub:
        if not 0 <= number < 1 << self.width:
            raise ValueError(f"hypercall number {number} does not fit a {self.width}-bit register")
        slot = len(self._stubs)
        if slot >= STUB_SLOTS:
            raise EmulatorError(f"{self.config.label}: no room for another stub")
        address = STUBS + slot * STUB_SLOT
        code, offset = stub_code(self.config, self.convention.index, number, self.immediate)
        self._cpu.write_code(address, code)
        # The immediate the CPU will see, read back from guest memory.
        imm = self._immediate_before(address + offset + 4, A32_THUMB if self.config.thumb else 0)
        if imm is None:
            raise EmulatorError(f"{self.config.label}: the stub's hvc did not encode")
        stub = Stub(number, address, code, offset, imm)
        self._sites[address + offset + 4] = stub
        return stub

    def _reset(self, dispatcher: Dispatcher) -> None:
        """The per-run state the hook fills in."""
        self._dispatcher = dispatcher
        self._trap = None
        self._injected = None
        self._fault = None
        self._traps = 0
        self._hook_error = None


def _program_code(config: GuestConfig) -> str:
    """The call program's and the vectors' instruction set: A64, else A32 (Thumb stubs too)."""
    return "A64" if config.code == "A64" else "A32"


@cache
def _mnemonic(imm: int) -> str:
    """How the round trip names what trapped, as the docs' text normalises: "HVC 0xea1"."""
    return normalise_instruction(f"HVC {imm:#x}")
