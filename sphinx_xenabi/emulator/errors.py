"""What the emulator raises."""

from __future__ import annotations


class EmulatorError(Exception):
    """The harness cannot run what was asked (bad configuration or input)."""


class GuestFault(EmulatorError):
    """The guest did not complete the round trip (stray trap, #UD, int3 ...)."""
