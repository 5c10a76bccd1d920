"""One Unicorn engine with the guest's RAM, through the binding's public API.

The harnesses need little of Unicorn: map RAM, read and write memory and
batches of registers, add and remove hooks, start and stop. :class:`Cpu` is
that surface, for any :class:`Machine` (the x86 machines are here, the Arm
ones in :mod:`.hvc.machines`); :mod:`.unicorn_fast` implements the same one on
Unicorn's C library directly, for the hot path.

What Unicorn 2.1.4 does for an x86 guest, as observed (and why the page
harness looks as it does):

* ``SYSCALL`` (64-bit): ``UC_HOOK_INSN`` with ``UC_X86_INS_SYSCALL`` fires with
  RIP at the SYSCALL itself. Unicorn applies none of SYSCALL's side effects
  (RCX and R11 keep the guest's values), so the harness writes RCX <- return
  address and R11 <- RFLAGS before dispatching, as the CPU would. Unicorn adds
  the instruction length to RIP *after* the hook, so the hook must not write
  RIP (a written RIP gets +2).
* ``INT 0x82`` (32-bit): ``UC_HOOK_INTR`` fires with intno 0x82 and EIP already
  after the instruction; emulation resumes there.
* ``VMCALL`` / ``VMMCALL`` (either width) and ``UD2``: Unicorn raises #UD, which
  never reaches ``UC_HOOK_INTR``; ``UC_HOOK_INSN_INVALID`` fires with RIP at the
  instruction. Returning True after moving RIP past it resumes the guest;
  returning False ends emulation with ``UC_ERR_INSN_INVALID``.
* ``CPUID``: ``UC_HOOK_INSN`` with ``UC_X86_INS_CPUID`` works; a callback that
  returns 1 skips Unicorn's own CPUID (whose leaves 0x40000000+ read 0).
* ``WRMSR`` / ``RDMSR``: not hookable. The Python binding refuses
  ``UC_X86_INS_WRMSR`` (``UC_ERR_ARG``) and the C library's ``uc_hook_add``
  returns ``UC_ERR_HOOK`` for it; a WRMSR to MSR 0x40000000 at CPL 0 is a
  silent no-op. So the harness traps WRMSR with a ``UC_HOOK_CODE`` bounded to
  the boot program (which runs once; the hook is removed afterwards).
* Writing guest memory that was already translated (``mem_write``) leaves the
  old translated blocks in place: :meth:`Cpu.write_code` drops them.
* The first run after a run with an instruction count pays a one-time
  retranslation (measured: about 0.5 ms) when Unicorn drops the count, so
  only the one-off runs (boot, jump) are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from unicorn import UC_ARCH_X86, UC_MODE_32, UC_MODE_64, UC_PROT_ALL, Uc, UcError
from unicorn import x86_const as x86

from .layout import EXIT_ADDRESS, RAM_BASE, RAM_END
from .registers import FLAGS, INSTRUCTION_POINTER, REGISTER_CODES

# Unicorn's register ids, by name.
UC_REG: dict[str, int] = {
    name: getattr(x86, f"UC_X86_REG_{name}")
    for width in (64, 32)
    for name in (*REGISTER_CODES[width], INSTRUCTION_POINTER[width], FLAGS[width])
}
UC_REG["CS"] = x86.UC_X86_REG_CS

# The guest programs translate to a few KiB of host code. Unicorn's default
# translation buffer is far larger and costs ~5 ms of page faults per engine.
TCG_BUFFER_SIZE = 1 << 20

Callback = Callable[..., Any]


@dataclass(frozen=True)
class Machine:
    """What Unicorn emulates for a guest: the architecture, mode and CPU model,
    the register width, the names of the registers the harness uses, and what
    the engine needs set before the guest runs (``setup``, given the engine
    once RAM is mapped)."""

    name: str
    arch: int
    mode: int
    width: int
    register_ids: Mapping[str, int]
    model: int | None = None  # Unicorn's CPU model; None: Unicorn's default
    setup: Callable[[Uc], None] | None = None

    def engine(self) -> Uc:
        # mypy sees unicorn.Uc as the Python 2 shim, which has no ``cpu``.
        return Uc(self.arch, self.mode, cpu=self.model)  # type: ignore[call-arg]


X86_MACHINES: Mapping[int, Machine] = {
    64: Machine("x86-64", UC_ARCH_X86, UC_MODE_64, 64, UC_REG),
    32: Machine("x86-32", UC_ARCH_X86, UC_MODE_32, 32, UC_REG),
}
"""The x86 machines, by code width (Unicorn's default CPU model)."""


class RegisterBatch:
    """A fixed list of registers, read and written together."""

    def __init__(self, uc: Uc, ids: Sequence[int]) -> None:
        self._uc = uc
        self._ids = list(ids)

    def read(self) -> list[int]:
        return list(self._uc.reg_read_batch(self._ids))  # type: ignore[attr-defined]

    def write(self, values: Sequence[int]) -> None:
        """Write the first ``len(values)`` registers."""
        self._uc.reg_write_batch(list(zip(self._ids, values)))  # type: ignore[attr-defined]


class Cpu:
    """A Unicorn engine for ``machine``, RAM mapped at RAM_BASE..RAM_END."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._ids = machine.register_ids
        self.uc = machine.engine()
        # Before the engine's lazy init. (mypy sees unicorn.Uc as the Python 2 shim.)
        self.uc.ctl_set_tcg_buffer_size(TCG_BUFFER_SIZE)  # type: ignore[attr-defined]
        self.uc.mem_map(RAM_BASE, RAM_END - RAM_BASE, UC_PROT_ALL)
        if machine.setup is not None:
            machine.setup(self.uc)

    def registers(self, names: Sequence[str]) -> RegisterBatch:
        return RegisterBatch(self.uc, [self._ids[name] for name in names])

    def read_register(self, name: str) -> int:
        value: int = self.uc.reg_read(self._ids[name])
        return value

    def write_register(self, name: str, value: int) -> None:
        self.uc.reg_write(self._ids[name], value)

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, data)

    def write_code(self, address: int, data: bytes) -> None:
        """Write ``data`` and drop stale translations of what was there before."""
        self.uc.mem_write(address, data)
        self.uc.ctl_remove_cache(address, address + len(data))

    def hook(
        self, kind: int, callback: Callback, insn: int = 0, begin: int = 1, end: int = 0
    ) -> int:
        """Call ``callback(engine, ..., user_data)`` on ``kind`` events; the hook's handle.

        The callback must not raise: the harness's hooks catch and keep
        their own exceptions.
        """
        handle: int = self.uc.hook_add(kind, callback, None, begin, end, insn)
        return handle

    def unhook(self, handle: int) -> None:
        self.uc.hook_del(handle)

    def run(self, begin: int, count: int = 0) -> int:
        """Emulate from ``begin`` until EXIT_ADDRESS; Unicorn's status (0: arrived)."""
        try:
            self.uc.emu_start(begin, EXIT_ADDRESS, 0, count)
        except UcError as error:
            return int(error.errno)
        return 0

    def stop(self) -> None:
        self.uc.emu_stop()
