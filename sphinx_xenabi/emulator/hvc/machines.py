"""The Arm machines Unicorn emulates, and what Xen does to their state.

What Unicorn 2.1.4 does, as observed (and why the HVC harness looks as it does):

* AArch64 (default model, Cortex-A72): the CPU starts at EL1h (PSTATE
  0x3c5) with SCR_EL3.HCE clear, so ``hvc`` is UNDEFINED: interrupt 1 with
  PC *at* the instruction, taken again for ever if the hook returns.
  :func:`enable_hvc_a64` sets SCR_EL3.HCE (bit 8, through the
  ``UC_ARM64_REG_CP_REG`` tuple crn=1 crm=1 op0=3 op1=6 op2=0); then ``hvc
  #imm`` calls ``UC_HOOK_INTR`` with interrupt 11 (QEMU's EXCP_HVC) and PC
  already *after* the instruction, and returning resumes the guest there.
  No exception is taken and no syndrome is written (ESR_EL2 stays 0), so
  the immediate is read from the instruction at PC - 4.
* AArch32: HVC needs the Virtualization Extensions: Cortex-A15 (chosen here,
  at the engine's construction: ``ctl_set_cpu_model`` is refused once the
  engine runs), A7 or "max"; on A8/A9/R5/11xx it stays UNDEFINED even with
  SCR.HCE. The CPU starts in Non-secure SVC mode (CPSR 0x1d3). Without
  SCR.HCE (bit 8, ``UC_ARM_REG_CP_REG`` tuple cp=15 is64=0 sec=0 crn=1 crm=1
  opc1=0 opc2=0) ``hvc`` ends emulation with UC_ERR_INSN_INVALID; with it,
  interrupt 11, PC after the instruction, in ARM and Thumb state alike.
  Bit 0 of the start address (or of a ``blx`` target) selects Thumb.
* A register written from the hook takes effect when the guest resumes;
  writing PC there redirects it (what :func:`inject_undefined` does).
* Each register access through the binding costs about 2 us: the harness
  reads and writes only the registers Xen uses, in batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from unicorn import UC_ARCH_ARM, UC_ARCH_ARM64, UC_MODE_ARM, Uc
from unicorn import arm64_const as a64
from unicorn import arm_const as a32

from ...model.spec import GuestType
from ..cpu import Cpu, Machine

if TYPE_CHECKING:
    from ..configurations import GuestConfig

HVC_INTERRUPT = 11  # QEMU's EXCP_HVC, what UC_HOOK_INTR reports for a taken HVC
UNDEFINED_INTERRUPT = 1  # EXCP_UDEF: an AArch64 instruction the CPU does not accept
_HCE = 1 << 8
_SCR_EL3 = (1, 1, 3, 6, 0)  # crn, crm, op0, op1, op2
_SPSR_EL1 = (4, 0, 3, 0, 0)
_SCR = (15, 0, 0, 1, 1, 0, 0)  # cp, is64, sec, crn, crm, opc1, opc2
_VBAR = (15, 0, 0, 12, 0, 0, 0)

A64_REGISTERS: Mapping[str, int] = {
    **{f"X{n}": getattr(a64, f"UC_ARM64_REG_X{n}") for n in range(31)},
    "SP": a64.UC_ARM64_REG_SP,
    "PC": a64.UC_ARM64_REG_PC,
    "PSTATE": a64.UC_ARM64_REG_PSTATE,
    "ESR_EL1": a64.UC_ARM64_REG_ESR_EL1,
    "ELR_EL1": a64.UC_ARM64_REG_ELR_EL1,
    "VBAR_EL1": a64.UC_ARM64_REG_VBAR_EL1,
}
A32_REGISTERS: Mapping[str, int] = {
    **{f"R{n}": getattr(a32, f"UC_ARM_REG_R{n}") for n in range(16)},
    "SP": a32.UC_ARM_REG_SP,
    "LR": a32.UC_ARM_REG_LR,
    "PC": a32.UC_ARM_REG_PC,
    "CPSR": a32.UC_ARM_REG_CPSR,
    "SPSR": a32.UC_ARM_REG_SPSR,
}


def enable_hvc_a64(uc: Uc) -> None:
    """SCR_EL3.HCE: HVC reaches the hook instead of being UNDEFINED."""
    scr = uc.reg_read(a64.UC_ARM64_REG_CP_REG, _SCR_EL3)
    uc.reg_write(a64.UC_ARM64_REG_CP_REG, (*_SCR_EL3, scr | _HCE))


def enable_hvc_a32(uc: Uc) -> None:
    """SCR.HCE, as :func:`enable_hvc_a64` for AArch32."""
    scr = uc.reg_read(a32.UC_ARM_REG_CP_REG, _SCR)
    uc.reg_write(a32.UC_ARM_REG_CP_REG, (*_SCR, scr | _HCE))


AARCH64 = Machine("AArch64", UC_ARCH_ARM64, UC_MODE_ARM, 64, A64_REGISTERS, None, enable_hvc_a64)
AARCH32 = Machine(
    "AArch32",
    UC_ARCH_ARM,
    UC_MODE_ARM,
    32,
    A32_REGISTERS,
    a32.UC_CPU_ARM_CORTEX_A15,
    enable_hvc_a32,
)


def machine_for(config: GuestConfig) -> Machine:
    return AARCH64 if config.guest is GuestType.ARM64 else AARCH32


def set_vectors(cpu: Cpu, address: int) -> None:
    """VBAR_EL1 / VBAR: where the guest's exception vectors are."""
    if cpu.machine is AARCH64:
        cpu.write_register("VBAR_EL1", address)
    else:
        cpu.uc.reg_write(a32.UC_ARM_REG_CP_REG, (*_VBAR, address))


# -- what Xen does to the guest's state -----------------------------------------------

A64_UNDEFINED_ESR = 0x02000000
"""ESR_EL1 of Xen's injected exception: EC 0 (unknown reason), IL (a 32-bit instruction)."""
A64_EL1H_MASKED = 0x3C5  # EL1h with D, A, I and F masked
A64_SYNC_CURRENT_SPX = 0x200  # the vector of a synchronous exception from EL1h
A32_UNDEFINED_VECTOR = 0x4
_A32_MODE_UND = 0x1B
_A32_CLEARED = 0x1F | 0x0600FC00 | 0x01000000 | 0x200 | 0x20  # mode, IT, J, E, T
_A32_IRQ_MASK = 0x80
A32_THUMB = 0x20


def inject_undefined(cpu: Cpu, vectors: int, return_address: int, state: int) -> int:
    """Enter the guest's undefined-instruction vector as Xen's ``inject_undef_exception`` does.

    ``return_address`` is the guest PC Xen holds for the trapped HVC (the
    instruction after it) and ``state`` is PSTATE or CPSR. AArch64
    (``inject_undef64_exception``): ESR_EL1 = EC 0 with IL, ELR_EL1 = that
    PC, SPSR_EL1 = PSTATE, EL1h with DAIF masked, PC = VBAR_EL1 + 0x200.
    AArch32 (``inject_undef32_exception``): Undefined mode with IRQs masked
    and Thumb off, SPSR_und = CPSR, LR_und = PC + 4 (+ 2 in Thumb), PC =
    VBAR + 4. Returns the vector's address.
    """
    uc = cpu.uc
    if cpu.machine is AARCH64:
        vector = vectors + A64_SYNC_CURRENT_SPX
        cpu.write_register("ESR_EL1", A64_UNDEFINED_ESR)
        cpu.write_register("ELR_EL1", return_address)
        uc.reg_write(a64.UC_ARM64_REG_CP_REG, (*_SPSR_EL1, state))
        cpu.write_register("PSTATE", A64_EL1H_MASKED)
    else:
        vector = vectors + A32_UNDEFINED_VECTOR
        cpu.write_register("CPSR", state & ~_A32_CLEARED | _A32_MODE_UND | _A32_IRQ_MASK)
        cpu.write_register("SPSR", state)  # the banked registers of the mode just entered
        cpu.write_register("LR", return_address + (2 if state & A32_THUMB else 4))
    cpu.write_register("PC", vector)
    return vector
