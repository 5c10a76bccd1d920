"""Which CPU class a harness runs on: the fast path when the binding allows it.

Apart from both classes, so that neither imports the other.
"""

from __future__ import annotations

from .cpu import Cpu


def cpu_class(fast: bool) -> type[Cpu]:
    """The fast path if asked for and the binding's internals are where it expects."""
    if not fast:
        return Cpu
    try:
        from .unicorn_fast import FastCpu
    except ImportError:  # a binding whose internals moved: slower, still right
        return Cpu
    return FastCpu
