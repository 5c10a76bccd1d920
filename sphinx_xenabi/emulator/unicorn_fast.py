"""The hot path on Unicorn's C library directly (the binding's private API).

Why: a round trip is one data write, one run, one trap (a register read, a
dispatch, a register write) and one data read. Through the binding's public
API each register batch is rebuilt per call (a register-class lookup per
register) and each hook goes through three Python frames; here the batches
are preallocated ctypes arrays and the hooks are bare ctypes thunks. That
needs the engine handle (``Uc._uch``) and the loaded library (``uclib``),
which the binding does not export; this module is the only user of either.
:class:`FastCpu` has :class:`~.cpu.Cpu`'s interface, so the harness does not
know which one it runs on.

Does it earn its keep? ``benchmarks/bench_emulator.py`` times both (2
cores shared, load average 5 to 8, so absolute figures are low and noisy;
the ratio held in every run):

* per round trip: 15,000-51,000/s here against 2,100-10,600/s on the
  public API, 1.6x to 8.6x (typically 3x to 5x). 100,000 round trips take
  2-7 s here and 10-45 s on the public API, which cannot reach the
  benchmark's goal of 50,000/s in any configuration.
* at site scale (12 harnesses, 36 round trips: an html build of the
  guides): 12-20 ms of CPU here against 15-27 ms, which no build notices.

So it is kept for the throughput goal alone: the site does not need it.
It stays small and optional: without it (``GuestHarness(fast=False)``, or a
binding whose internals moved, where the harness falls back) every result
is the same, only slower; deleting this file and ``cpu_choice.cpu_class``
removes it.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from unicorn import UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UcError
from unicorn import x86_const as x86
from unicorn.unicorn_py3.unicorn import uclib

from .cpu import Callback, Cpu, Machine
from .errors import EmulatorError
from .layout import EXIT_ADDRESS

# Raw Unicorn callback types (uc_engine *, ..., void *user_data).
_SYSCALL_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_CPUID_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_CALLBACK_TYPES: dict[tuple[int, int], Any] = {
    (UC_HOOK_INSN, x86.UC_X86_INS_SYSCALL): _SYSCALL_CB,
    (UC_HOOK_INSN, x86.UC_X86_INS_CPUID): _CPUID_CB,
    (UC_HOOK_INTR, 0): ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p),
    (UC_HOOK_INSN_INVALID, 0): ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p),
    (UC_HOOK_CODE, 0): ctypes.CFUNCTYPE(
        None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p
    ),
}


class FastRegisterBatch:
    """A register batch in preallocated ctypes arrays: one C call per read or write."""

    def __init__(self, uch: int, width: int, ids: Sequence[int]) -> None:
        ctype = ctypes.c_uint64 if width == 64 else ctypes.c_uint32
        n = self._n = len(ids)
        self._uch = uch
        self._ids = (ctypes.c_int * n)(*ids)
        self._vals = (ctype * n)()
        base, size = ctypes.addressof(self._vals), ctypes.sizeof(ctype)
        self._ptrs = (ctypes.c_void_p * n)(*(base + i * size for i in range(n)))

    def read(self) -> list[int]:
        uclib.uc_reg_read_batch(self._uch, self._ids, self._ptrs, self._n)
        return self._vals[:]

    def write(self, values: Sequence[int]) -> None:
        """Write the first ``len(values)`` registers."""
        n = len(values)
        self._vals[:n] = values
        uclib.uc_reg_write_batch(self._uch, self._ids, self._ptrs, n)


class FastCpu(Cpu):
    """:class:`~.cpu.Cpu` with the per-call operations on the C library."""

    def __init__(self, machine: Machine) -> None:
        super().__init__(machine)
        self._width = machine.width
        self._uch = self.uc._uch
        self._thunks: dict[int, Any] = {}  # handle -> ctypes thunk, kept alive while hooked
        self._buffers: dict[int, ctypes.Array[ctypes.c_char]] = {}

    def registers(self, names: Sequence[str]) -> FastRegisterBatch:  # type: ignore[override]
        return FastRegisterBatch(self._uch, self._width, [self._ids[name] for name in names])

    def read(self, address: int, size: int) -> bytes:
        buffer = self._buffers.get(size)
        if buffer is None:  # one per size: the call path reads the same block each time
            buffer = self._buffers[size] = ctypes.create_string_buffer(size)
        if uclib.uc_mem_read(self._uch, address, buffer, size):
            raise EmulatorError(f"cannot read guest memory at {address:#x}")
        return buffer.raw

    def write(self, address: int, data: bytes) -> None:
        if uclib.uc_mem_write(self._uch, address, data, len(data)):
            raise EmulatorError(f"cannot write guest memory at {address:#x}")

    def hook(
        self, kind: int, callback: Callback, insn: int = 0, begin: int = 1, end: int = 0
    ) -> int:
        thunk = _CALLBACK_TYPES[kind, insn](callback)
        handle = ctypes.c_size_t()
        extra = (ctypes.c_int(insn),) if kind == UC_HOOK_INSN else ()
        status = uclib.uc_hook_add(
            self._uch,
            ctypes.byref(handle),
            kind,
            ctypes.cast(thunk, ctypes.c_void_p),
            None,
            ctypes.c_uint64(begin),
            ctypes.c_uint64(end),
            *extra,
        )
        if status:
            raise EmulatorError(f"Unicorn refused a hook: {UcError(status)}")
        self._thunks[handle.value] = thunk
        return handle.value

    def unhook(self, handle: int) -> None:
        uclib.uc_hook_del(self._uch, handle)
        del self._thunks[handle]

    def run(self, begin: int, count: int = 0) -> int:
        status: int = uclib.uc_emu_start(self._uch, begin, EXIT_ADDRESS, 0, count)
        return status

    def stop(self) -> None:
        uclib.uc_emu_stop(self._uch)
