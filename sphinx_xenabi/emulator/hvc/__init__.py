"""Guests that call Xen with HVC: Arm, in AArch64 and AArch32 (ARM or Thumb code).

An Arm guest has no hypercall page: its kernel issues ``hvc #0xEA1`` itself,
from stubs it assembles (Linux's ``arch/arm64/xen/hypercall.S``). So here
the guest's code follows the docs' tables (number register, parameter
registers, result register, HVC immediate) and Xen is the reference: the
:class:`~sphinx_xenabi.model.dispatcher.Dispatcher` of the spec it is given,
reading the registers that spec names, taking the trap as a hypercall only
for Xen's immediate. A doc that names another register or immediate than
Xen's shows up as what Xen does with such a guest: it reads another
register, or injects an undefined-instruction exception.

The modules, one concept each:

* :mod:`.encoder`: the A64/A32/T32 encoder, and the docs' HVC text read
* :mod:`.machines`: Unicorn's AArch64 and AArch32 machines (and what
  Unicorn does, as observed), and Xen's injected exception
* :mod:`.programs`: the guest's code (stubs, call program, vectors) and memory
* :mod:`.harness`: the harness, the story of one hypercall
* :mod:`.evidence`: the docs' tables executed on an Arm guest, as evidence

What x86 and Arm share stays one level up: the configurations, the engine
(:class:`~..cpu.Cpu`, the fast path), the data block, the round-trip record.
"""

from __future__ import annotations

from .evidence import HvcRowEvidence, execute_hvc_row_check
from .harness import HvcHarness, xen_convention
from .programs import Stub

__all__ = ["HvcHarness", "HvcRowEvidence", "Stub", "execute_hvc_row_check", "xen_convention"]
