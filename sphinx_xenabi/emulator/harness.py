"""The guest harness: one emulated guest, and the story of one hypercall.

A round trip (:meth:`GuestHarness.call`):

1. *Load the arguments*: one write of the data block puts every register
   value and the stub's address where the call program loads them from.
2. *Call the stub*: the call program loads the registers and executes
   ``call hypercall_page + index * 32``.
3. *Trap*: the stub's transfer instruction (SYSCALL, INT 0x82, VMCALL,
   VMMCALL) fires the one hook set up for it.
4. *Dispatch*: the hook hands the register file to the dispatcher (which
   plays Xen) and writes the result back, then the guest resumes.
5. *Return*: the stub ``ret``s, the program stores the register file, and
   one read of the data block makes the :class:`RoundTrip`.

Everything else is set up once per harness: the programs are fixed, the trap
hooks fire only on their instruction, and no ``UC_HOOK_CODE`` or instruction
count runs on this path. :meth:`GuestHarness.jump` (the iret stub) and
:meth:`GuestHarness.boot` (CPUID/WRMSR) are one-off runs with an instruction
cap as a safety net.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from unicorn import UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UcError
from unicorn import x86_const as x86

from ..model.abi import (
    HYPERCALL_MSR,
    PAGE_SIZE,
    STUB_COUNT,
    STUB_SIZE,
    TransferGuest,
    normalise_instruction,
)
from ..model.page import hypercall_page
from ..model.spec import Architecture
from .boot import BOOT_OUT_SIZE, boot_evidence, cpuid_answers, refusal
from .configurations import GuestConfig, convention_for
from .cpu import X86_MACHINES, Cpu
from .cpu_choice import cpu_class
from .encoder import HLT, PROGRAM_BASES, WRMSR, assemble
from .errors import EmulatorError, GuestFault
from .inspection import first_instruction, listing, transfer_sites
from .layout import (
    BOOT_IN,
    BOOT_OUT,
    BOOT_PAGE_ADDRESS,
    BOOT_PROGRAM,
    CALL_IN,
    CALL_OUT,
    CALL_PROGRAM,
    EXIT_ADDRESS,
    INITIAL_FLAGS,
    JUMP_PROGRAM,
    PAGE_ADDRESS,
    RUN_LIMIT,
    STACK_TOP,
)
from .registers import CPUID_REGISTERS, FLAGS, INSTRUCTION_POINTER, STACK_POINTER, DataBlock
from .results import BootEvidence, RoundTrip, StubRun

if TYPE_CHECKING:
    from ..model.dispatcher import Dispatcher, DispatchResult

_new = object.__new__


class GuestHarness:
    """One emulated guest, set up once and reused for many round trips.

    ``dispatcher`` plays Xen; its spec's convention for the guest's ABI says
    which registers the guest loads the arguments into. With ``install`` the
    harness maps the model's page at ``page_address`` itself (as the domain
    builder does for a PV guest's ELF note); without it, call :meth:`boot`.
    ``fast`` picks the engine: :class:`~.unicorn_fast.FastCpu` (the default)
    or the binding's public API (:class:`~.cpu.Cpu`), which the benchmark
    compares.
    """

    # Per-run state, which the hooks fill in (see _reset).
    _dispatcher: Dispatcher
    _jumping: bool
    _trap: tuple[int, Any, int, int] | None  # site, dispatch result or registers, ret, flags
    _fault: str | None
    _traps: int
    _hook_error: BaseException | None

    def __init__(
        self,
        dispatcher: Dispatcher,
        config: GuestConfig,
        *,
        install: bool = True,
        page_address: int = PAGE_ADDRESS,
        fast: bool = True,
    ) -> None:
        if config.architecture is not Architecture.X86:
            raise EmulatorError(f"a {config.label} guest has no hypercall page (see emulator.hvc)")
        self.dispatcher = dispatcher
        self.config = config
        self.convention = convention_for(dispatcher.spec, config)
        self.width = config.width
        self.page_address: int | None = None
        self.cpuid_log: list[int] = []  # leaves the harness answered, in order
        self._data = DataBlock(self.width, self.convention, config.label)
        self._programs = assemble(self.width, self._data.loaded, self._data.gprs)
        self._insn = normalise_instruction(config.instruction.mnemonic)
        self._insn_len = len(config.instruction.encoding)
        self._sites: dict[int, int] = {}  # guest address of a transfer instruction -> its page
        self._cpuid = cpuid_answers(dispatcher.spec.release)
        self._boot_writes: list[tuple[int, int]] = []  # (MSR, value) of each WRMSR in boot()
        self._boot_installed: int | None = None
        self._cpu = self._boot_cpu(cpu_class(fast))
        # CPL is CS's low bits; Unicorn's flat segments make it 0.
        self.cpl = self._cpu.read_register("CS") & 3
        self._reset(dispatcher, jumping=False)
        self._add_hooks()
        if install:
            self._install(page_address)

    # -- a round trip -----------------------------------------------------------

    def call(
        self,
        index: int,
        arguments: Sequence[int] = (),
        *,
        registers: Mapping[str, int] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> RoundTrip:
        """Run ``call hypercall_page + index * 32`` with ``arguments`` loaded.

        Argument i goes into the convention's parameter i; ``registers``
        presets other registers (default: a recognisable filler). ``dispatcher``
        replaces the harness's one for this call (same convention required).
        """
        values = self._values(index, arguments, registers)  # 1. load the arguments
        self._reset(self._dispatcher_for(dispatcher), jumping=False)
        self._cpu.write(CALL_IN, self._data.pack(values))
        status = self._run(CALL_PROGRAM)  # 2.-4. call the stub; the hook traps and dispatches
        trap = self._trap
        if status or self._fault is not None or trap is None or self._traps != 1:
            raise GuestFault(self._fault or self._failure(status, index))
        after = self._data.register_file(self._cpu.read(CALL_OUT, self._data.out.size))
        return self._round_trip(index, values, trap, after)  # 5. what the guest saw after ret

    def _dispatcher_for(self, dispatcher: Dispatcher | None) -> Dispatcher:
        if dispatcher is None or dispatcher is self.dispatcher:
            return self.dispatcher
        if convention_for(dispatcher.spec, self.config) != self.convention:
            raise EmulatorError("the dispatcher's convention differs from the harness's")
        return dispatcher

    def _failure(self, status: int, index: int) -> str:
        if status:
            return f"{self.config.label}: emulation stopped: {UcError(status)}"
        return f"{self.config.label}: the call to stub {index} made {self._traps} traps"

    def _round_trip(
        self,
        index: int,
        values: list[int],
        trap: tuple[int, Any, int, int],
        after: Mapping[str, int],
    ) -> RoundTrip:
        site, result, ret, flags = trap
        obj = _new(RoundTrip)
        # Filling __dict__ at once, as the dispatcher does for DispatchResult:
        # the frozen dataclass __init__ is a third of a round trip otherwise.
        obj.__dict__.update(
            config=self.config,
            index=index,
            parameters=self._data.parameters,
            loaded=self._data.loaded_arguments(values),
            dispatch=result,
            transfer=self._insn,
            trap_offset=site - self._sites[site],
            return_address=ret,
            flags=flags,
            result_register=self.convention.result,
            after=after,
        )
        return obj

    # -- the trap (hot path) ----------------------------------------------------

    def _on_syscall(self, _uc: object, _data: object) -> None:
        try:
            values = self._trap_registers.read()
            rip = values[-2]
            if rip not in self._sites:
                self._halt(f"{self.config.label}: SYSCALL {self._where(rip)}, not in a stub")
                return
            # Unicorn steps RIP past SYSCALL after this hook: never write RIP here.
            self._trapped(rip, values, syscall=True)
        except BaseException as exc:  # noqa: BLE001 - re-raised by _run
            self._stop(exc)

    def _on_interrupt(self, _uc: object, intno: int, _data: object) -> None:
        try:
            values = self._trap_registers.read()
            ip = values[-2]  # after the instruction for INT n / int3
            pv32 = self.config.transfer is TransferGuest.PV32
            if intno == 0x82 and pv32 and ip - 2 in self._sites:
                self._trapped(ip - 2, values, syscall=False)
            elif intno == 3:
                self._halt(f"{self.config.label}: int3 {self._where(ip - 1)} (0xCC padding)")
            else:
                self._halt(f"{self.config.label}: interrupt {intno:#x} near {self._where(ip)}")
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)

    def _on_invalid(self, _uc: object, _data: object) -> bool:
        try:
            values = self._trap_registers.read()
            ip = values[-2]  # at the instruction
            if self.config.transfer.is_hvm and ip in self._sites:
                self._trapped(ip, values, syscall=False)
                return True  # _write moved IP past the instruction
            self._fault = f"{self.config.label}: #UD: {self._describe(ip)}"
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)
        return False

    def _trapped(self, site: int, values: list[int], syscall: bool) -> None:
        """Hand the register file at a transfer instruction to the dispatcher."""
        ret = site + self._insn_len
        flags = values[-1]
        file = dict(zip(self._data.gprs, values))
        if syscall:
            # SYSCALL's architectural effects, which Unicorn leaves out.
            file["RCX"] = ret
            file["R11"] = flags
        self._traps += 1
        if self._jumping:  # Xen's iret never returns to the stub: record, do not dispatch
            self._trap = (site, file, ret, flags)
            self._write(file, ret)
            self._cpu.stop()
            return
        result: DispatchResult = self._dispatcher.dispatch(self.config.guest, file, cpl=self.cpl)
        self._write(result.registers, ret)
        self._trap = (site, result, ret, flags)

    def _write(self, registers: Mapping[str, int], ip: int) -> None:
        values = [registers[r] for r in self._data.gprs]
        if self._steps_ip:
            values.append(ip)
        self._trap_registers.write(values)

    def _halt(self, fault: str) -> None:
        """A hook found something the guest should not do: say what, and stop it."""
        self._fault = fault
        self._cpu.stop()

    def _stop(self, error: BaseException) -> None:
        """Called from a hook that raised: remember it and stop the guest."""
        if self._hook_error is None:
            self._hook_error = error
        self._cpu.stop()

    def _run(self, begin: int, count: int = 0) -> int:
        """Run from ``begin`` to EXIT_ADDRESS; re-raise what a hook raised."""
        self._hook_error = None
        status = self._cpu.run(begin, count)
        error = self._hook_error
        if error is not None:
            self._hook_error = None
            raise error
        return status

    # -- the iret stub ------------------------------------------------------------

    def jump(self, index: int, *, registers: Mapping[str, int] | None = None) -> StubRun:
        """``jmp hypercall_page + index * 32`` and record what trapped and the stack.

        At a trap the harness does not dispatch (Xen's iret never returns to
        the stub); it records the registers and the words the stub pushed,
        then resumes after the transfer instruction to show what runs next.
        """
        values = self._values(index, (), registers)
        page = self._require_page()
        self._reset(self.dispatcher, jumping=True)
        self._cpu.write(CALL_IN, self._data.pack(values))
        status = self._run(JUMP_PROGRAM, RUN_LIMIT)
        self._note(status)
        stub = self._cpu.read(page + index * STUB_SIZE, STUB_SIZE).rstrip(b"\xcc")
        trap, fault = self._trap, self._fault
        if trap is None:
            return StubRun(self.config, index, stub, None, None, {}, (), fault, None, None)
        site, registers_at_trap, ret, _flags = trap
        stack = self._stack(registers_at_trap[STACK_POINTER[self.width]])
        # Resume as if Xen had returned to the stub, to show what follows it.
        self._fault = None
        self._note(self._run(ret, RUN_LIMIT))
        ip = self._cpu.read_register(INSTRUCTION_POINTER[self.width])
        resumed = self._fault or f"ran on to {self._describe(ip)}"
        return StubRun(
            self.config,
            index,
            stub,
            self._insn,
            site - self._sites[site],
            MappingProxyType(dict(registers_at_trap)),
            stack,
            fault,
            self._instruction_at(ret),
            resumed,
        )

    def _stack(self, sp: int) -> tuple[int, ...]:
        """The words between ``sp`` and the top of the stack, top of stack first."""
        word = self.width // 8
        words = (STACK_TOP - sp) // word
        raw = self._cpu.read(sp, words * word) if words > 0 else b""
        return struct.unpack(f"<{words}{'Q' if self.width == 64 else 'I'}", raw)

    def _note(self, status: int) -> None:
        """Keep a one-off run's failure as its fault, unless a hook said more."""
        if status:
            self._fault = self._fault or f"emulation stopped: {UcError(status)}"

    # -- the CPUID/WRMSR boot -----------------------------------------------------

    def boot(self, address: int = BOOT_PAGE_ADDRESS) -> BootEvidence:
        """The guest asks for the page: CPUID 0x40000000/0x40000002, then WRMSR.

        The guest program writes ``address`` to the MSR that CPUID named; the
        harness traps the WRMSR and writes the model's page there, or refuses
        (like Xen's #GP) when the address is not page aligned or not RAM.
        """
        if not 0 <= address < 1 << 64:
            raise ValueError(f"{address:#x} is not a 64-bit guest-physical address")
        if self.width == 32 and address >> 32:
            raise ValueError(f"a 32-bit guest cannot write {address:#x} with EDX:EAX here")
        cpu = self._cpu
        cpu.write(BOOT_IN, struct.pack("<Q", address))
        cpu.write(BOOT_OUT, bytes(BOOT_OUT_SIZE))
        self._fault = None
        self._boot_writes = []
        self._boot_installed = None
        end = BOOT_PROGRAM + len(self._programs.boot)
        # Unicorn cannot hook WRMSR (see .cpu): a code hook bounded to the
        # one-shot boot program finds it instead, off the fast path.
        hook = cpu.hook(UC_HOOK_CODE, self._on_boot_code, begin=BOOT_PROGRAM, end=end - 1)
        try:
            self._note(self._run(BOOT_PROGRAM, RUN_LIMIT))
        finally:
            cpu.unhook(hook)
        installed = self._boot_installed
        return boot_evidence(
            self.config,
            cpu.read(BOOT_OUT, BOOT_OUT_SIZE),
            msr_writes=tuple(self._boot_writes),
            requested=address,
            installed=installed,
            fault=self._fault,
            page_matches=installed is not None and cpu.read(installed, PAGE_SIZE) == self.page,
        )

    def _on_cpuid(self, _uc: object, _data: object) -> int:
        try:
            leaf = self._cpuid_registers.read()[0] & 0xFFFFFFFF
            answer = self._cpuid.get(leaf)
            if answer is None:
                return 0  # let Unicorn's CPUID answer
            self.cpuid_log.append(leaf)
            self._cpuid_registers.write(answer)  # full-width writes zero-extend, as CPUID does
            return 1  # skip Unicorn's own CPUID
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)
            return 1

    def _on_boot_code(self, _uc: object, address: int, size: int, _data: object) -> None:
        try:
            self._boot_instruction(address, size)
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)

    def _boot_instruction(self, address: int, size: int) -> None:
        """Do what Xen does for a WRMSR of the hypercall MSR; ignore other instructions."""
        cpu = self._cpu
        if size != 2 or cpu.read(address, 2) != WRMSR:
            return
        ecx, eax, edx = (cpu.read_register(r) & 0xFFFFFFFF for r in ("ECX", "EAX", "EDX"))
        value = edx << 32 | eax
        self._boot_writes.append((ecx, value))
        if ecx != HYPERCALL_MSR:
            return  # not ours; Unicorn's WRMSR does what it does
        fault = refusal(ecx, value)
        if fault is not None:
            self._halt(fault)
            return
        self._install(value)
        self._boot_installed = value

    # -- inspection -----------------------------------------------------------------

    @property
    def page(self) -> bytes:
        """The hypercall page this guest type gets from the model."""
        return hypercall_page(self.config.transfer)

    def read_memory(self, address: int, size: int) -> bytes:
        """Guest memory, for inspection."""
        return self._cpu.read(address, size)

    def disassemble(self, which: str = "call") -> tuple[str, ...]:
        """The guest program ("call", "jump" or "boot") as Intel-syntax lines."""
        return listing(getattr(self._programs, which), PROGRAM_BASES[which], self.width)

    def _instruction_at(self, address: int) -> str:
        """The instruction at ``address`` in guest memory, Intel syntax."""
        return first_instruction(self.read_memory(address, 16), address, self.width)

    def _describe(self, address: int) -> str:
        """The instruction at ``address``, with its page offset when in the page."""
        return f"{self._instruction_at(address)} {self._where(address)}"

    def _where(self, address: int) -> str:
        page = self.page_address
        if page is not None and page <= address < page + PAGE_SIZE:
            return f"at page offset {address - page:#x}"
        return f"at {address:#x}"

    # -- set-up -----------------------------------------------------------------------

    def _boot_cpu(self, kind: type[Cpu]) -> Cpu:
        """An engine with the programs in RAM and the guest's initial flags."""
        cpu = kind(X86_MACHINES[self.width])
        for which, base in PROGRAM_BASES.items():
            cpu.write(base, getattr(self._programs, which))
        cpu.write(EXIT_ADDRESS, HLT)  # never executed: emulation stops on arrival
        cpu.write_register(FLAGS[self.width], INITIAL_FLAGS)
        return cpu

    def _add_hooks(self) -> None:
        """The trap hooks, and the register batches they use."""
        cpu, width, gprs = self._cpu, self.width, self._data.gprs
        # Read at a trap: the GPRs, IP and flags. Written back: the GPRs, plus IP
        # where the hook must step past the instruction itself (the #UD hook);
        # SYSCALL and INT resume on their own.
        self._trap_registers = cpu.registers((*gprs, INSTRUCTION_POINTER[width], FLAGS[width]))
        self._steps_ip = self.config.transfer.is_hvm
        self._cpuid_registers = cpu.registers(CPUID_REGISTERS[width])
        if self.config.transfer is TransferGuest.PV64:
            cpu.hook(UC_HOOK_INSN, self._on_syscall, x86.UC_X86_INS_SYSCALL)
        # Always: INT 0x82 for PV 32, and stray int3/exceptions for everyone.
        cpu.hook(UC_HOOK_INTR, self._on_interrupt)
        # Always: VMCALL/VMMCALL for HVM, and ud2 / wrong-vendor #UD for everyone.
        cpu.hook(UC_HOOK_INSN_INVALID, self._on_invalid)
        cpu.hook(UC_HOOK_INSN, self._on_cpuid, x86.UC_X86_INS_CPUID)

    def _reset(self, dispatcher: Dispatcher, *, jumping: bool) -> None:
        """The per-run state the hooks fill in."""
        self._dispatcher = dispatcher
        self._jumping = jumping
        self._trap = None
        self._fault = None
        self._traps = 0
        self._hook_error = None

    def _install(self, address: int) -> None:
        """Write the model's page at ``address`` and index its transfer sites."""
        self._cpu.write_code(address, self.page)
        memory = self._cpu.read(address, PAGE_SIZE)
        for offset in transfer_sites(memory, self.config.instruction.encoding):
            self._sites[address + offset] = address
        self.page_address = address

    def _require_page(self) -> int:
        if self.page_address is None:
            raise EmulatorError(f"{self.config.label}: no hypercall page installed (call boot())")
        return self.page_address

    def _values(
        self, index: int, arguments: Sequence[int], registers: Mapping[str, int] | None
    ) -> list[int]:
        """The data block for a run of stub ``index``, checked."""
        if not 0 <= index < STUB_COUNT:
            raise ValueError(f"stub index {index} is outside the page (0 to {STUB_COUNT - 1})")
        page = self._require_page()
        return self._data.values(page + index * STUB_SIZE, arguments, registers)
