"""The guest configurations: a guest type plus the transfer-table row it enters Xen by.

x86 guests (:data:`GUEST_CONFIGS`) call through the hypercall page of their
transfer row; Arm guests (:data:`ARM_CONFIGS`) issue ``HVC`` themselves, in
AArch64, or in AArch32 in the ARM or the Thumb instruction set.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.abi import TRANSFER_INSTRUCTIONS, Instruction, TransferGuest
from ..model.spec import AbiSpec, Architecture, Convention, GuestType, label_key
from .errors import EmulatorError
from .registers import REGISTER_CODES, STACK_POINTER


@dataclass(frozen=True)
class GuestConfig:
    """A guest type plus the transfer-table row whose page (x86) or instruction (Arm) it uses.

    ``thumb``: an arm32 guest whose code is Thumb (T32), as a Linux kernel
    built with CONFIG_THUMB2_KERNEL; otherwise ARM (A32).
    """

    guest: GuestType
    transfer: TransferGuest
    thumb: bool = False

    def __post_init__(self) -> None:
        if self.guest not in self.transfer.guest_types:
            raise EmulatorError(
                f"a {self.guest.label} guest does not use the {self.transfer.value} page"
            )
        if self.thumb and self.guest is not GuestType.ARM32:
            raise EmulatorError(f"a {self.guest.label} guest has no Thumb code")

    @classmethod
    def parse(cls, text: str) -> GuestConfig:
        """Accept a label such as "PV 64", "intel hvm 32" or "AMD-HVM-64"."""
        key = label_key(text)
        for config in ALL_CONFIGS:
            if label_key(config.label) == key:
                return config
        choices = ", ".join(c.label for c in ALL_CONFIGS)
        raise ValueError(f"unknown guest configuration {text!r} (expected one of {choices})")

    @property
    def label(self) -> str:
        """ "PV 64", "PV 32", "Intel HVM 64", "AMD HVM 32", "Arm 64", "Arm 32 Thumb" ..."""
        if self.transfer.is_hvm:
            return f"{self.transfer.value} {self.guest.width}"
        return self.guest.label + (" Thumb" if self.thumb else "")

    @property
    def width(self) -> int:
        return self.guest.width

    @property
    def architecture(self) -> Architecture:
        return self.guest.architecture

    @property
    def code(self) -> str:
        """The guest code's instruction set: "64-bit", "32-bit" (x86), "A64", "A32", "T32"."""
        if self.architecture is Architecture.X86:
            return f"{self.width}-bit"
        if self.guest is GuestType.ARM64:
            return "A64"
        return "T32" if self.thumb else "A32"

    @property
    def flags_register(self) -> str:
        """Where the CPU keeps its flags: RFLAGS, EFLAGS, PSTATE or CPSR."""
        if self.architecture is Architecture.ARM:
            return "PSTATE" if self.width == 64 else "CPSR"
        return "RFLAGS" if self.width == 64 else "EFLAGS"

    @property
    def instruction(self) -> Instruction:
        """The model's transfer instruction for this guest (its A64 or A32 encoding on Arm)."""
        return TRANSFER_INSTRUCTIONS[self.transfer]

    def __str__(self) -> str:
        return self.label


GUEST_CONFIGS: tuple[GuestConfig, ...] = (
    GuestConfig(GuestType.PV64, TransferGuest.PV64),
    GuestConfig(GuestType.PV32, TransferGuest.PV32),
    GuestConfig(GuestType.HVM64, TransferGuest.INTEL_HVM),
    GuestConfig(GuestType.HVM32, TransferGuest.INTEL_HVM),
    GuestConfig(GuestType.HVM64, TransferGuest.AMD_HVM),
    GuestConfig(GuestType.HVM32, TransferGuest.AMD_HVM),
)
"""The x86 configurations: the guests that call through a hypercall page."""

ARM_CONFIGS: tuple[GuestConfig, ...] = (
    GuestConfig(GuestType.ARM64, TransferGuest.ARM64),
    GuestConfig(GuestType.ARM32, TransferGuest.ARM32),
    GuestConfig(GuestType.ARM32, TransferGuest.ARM32, thumb=True),
)
"""The Arm configurations: the guests that issue HVC themselves."""

ALL_CONFIGS: tuple[GuestConfig, ...] = GUEST_CONFIGS + ARM_CONFIGS


def configs_for_abi(abi: str) -> tuple[GuestConfig, ...]:
    """The configurations a registers-table row of ABI ``abi`` ("64bit", "arm32" ...) runs on."""
    return tuple(c for c in ALL_CONFIGS if c.guest.abi == abi)


def configs_for_transfer(label: str) -> tuple[GuestConfig, ...]:
    """The configurations a transfer-table row of guest ``label`` runs on."""
    return tuple(c for c in ALL_CONFIGS if c.transfer.value == label)


def convention_for(spec: AbiSpec, config: GuestConfig) -> Convention:
    """The spec's convention for an x86 guest's ABI, checked loadable by the program.

    (An Arm guest's is checked by :func:`~.hvc.programs.check_convention`.)
    """
    abi = config.guest.abi
    convention = spec.conventions.get(abi)
    if convention is None:
        raise EmulatorError(f"the spec for Xen {spec.release} has no {abi} register convention")
    codes = REGISTER_CODES[config.width]
    sp = STACK_POINTER[config.width]
    bad = [r for r in (*convention.parameters, convention.result) if r not in codes or r == sp]
    if bad:
        raise EmulatorError(
            f"the {abi} convention for Xen {spec.release} names {' '.join(bad)}: "
            f"the {config.label} guest program cannot load or read that"
        )
    return convention
