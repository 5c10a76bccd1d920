"""Small hand-written ABI pages (reST) that the current model accepts."""

from __future__ import annotations

REGISTERS_PAGE = """Registers
=========

.. list-table::
   :header-rows: 1

   * - ABI
     - Hypercall Index
     - Parameters (1 - 5)
     - Result
   * - 64bit
     - RAX
     - RDI RSI RDX R10 R8
     - RAX
   * - 32bit
     - EAX
     - EBX ECX EDX ESI EDI
     - EAX
"""

TRANSFER_PAGE = """Transfer
========

.. list-table::
   :header-rows: 1

   * - Guest
     - Transfer instruction
   * - 32bit PV
     - INT 0x82
   * - 64bit PV
     - SYSCALL
   * - Intel HVM
     - VMCALL
   * - AMD HVM
     - VMMCALL
"""
