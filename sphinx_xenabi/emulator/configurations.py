"""The guest configurations: a guest type plus the hypercall page it runs."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.abi import TRANSFER_INSTRUCTIONS, Instruction, TransferGuest
from ..model.spec import AbiSpec, Convention, GuestType, label_key
from .errors import EmulatorError
from .registers import REGISTER_CODES, STACK_POINTER


@dataclass(frozen=True)
class GuestConfig:
    """A guest type plus the transfer-table row whose page it runs."""

    guest: GuestType
    transfer: TransferGuest

    def __post_init__(self) -> None:
        if self.guest not in self.transfer.guest_types:
            raise EmulatorError(
                f"a {self.guest.label} guest does not use the {self.transfer.value} page"
            )

    @classmethod
    def parse(cls, text: str) -> GuestConfig:
        """Accept a label such as "PV 64", "intel hvm 32" or "AMD-HVM-64"."""
        key = label_key(text)
        for config in GUEST_CONFIGS:
            if label_key(config.label) == key:
                return config
        choices = ", ".join(c.label for c in GUEST_CONFIGS)
        raise ValueError(f"unknown guest configuration {text!r} (expected one of {choices})")

    @property
    def label(self) -> str:
        """ "PV 64", "PV 32", "Intel HVM 64", "AMD HVM 32" ..."""
        if self.transfer.is_hvm:
            return f"{self.transfer.value} {self.guest.width}"
        return self.guest.label

    @property
    def width(self) -> int:
        return self.guest.width

    @property
    def instruction(self) -> Instruction:
        """The transfer instruction this guest's page uses."""
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


def convention_for(spec: AbiSpec, config: GuestConfig) -> Convention:
    """The spec's convention for the guest's ABI, checked loadable by the program."""
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
