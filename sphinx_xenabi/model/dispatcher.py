"""A reference hypercall dispatcher driven by an :class:`~sphinx_xenabi.model.spec.AbiSpec`.

The dispatcher executes what a spec *says* (usually the one extracted from
the guides), not the model's constants: a doc that names the wrong register
makes the dispatcher read the wrong register, which is how drift shows up.

``xen_version`` answers ``XENVER_version`` from the spec's release. Given a
``GuestMemory`` (``dispatch(..., memory=...)``), it also answers the
buffer commands whose string the model knows: ``XENVER_capabilities`` on Arm
(``arm64_capabilities`` of ``sphinx_xenabi.model.version``, for the CPU the
dispatcher's ``XenBuild`` states), and
``XENVER_extraversion`` and ``XENVER_changeset`` when the build states them.
The string is written as Xen writes it, NUL-filled to the size of the
command's buffer type (``char[1024]`` for the capabilities), and the call
returns 0, or -EFAULT where the buffer is not all mapped (Xen may then have
written the mapped part; this dispatcher writes nothing). Without a memory,
every command but ``XENVER_version`` returns -ENOSYS, as before.

Not modelled: preemption/continuations, the HVMOP_guest_request_vm_event
exception to the HVM CPL check, XSM denying a command (the guest is one the
policy lets read these strings) and x86's capabilities string.

Stdlib only: no Sphinx or docutils.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from .abi import REGISTERS, Errno, XENVER_version, poisoning_for, to_signed, to_unsigned
from .spec import AbiSpec, Architecture, GuestType, Release
from .version import (
    XenBuild,
    XENVER_capabilities,
    XENVER_changeset,
    XENVER_extraversion,
    arm64_capabilities,
    buffer_bytes,
    commands_for,
)

ENOSYS = -Errno.ENOSYS.value
EPERM = -Errno.EPERM.value
EFAULT = -Errno.EFAULT.value


class DispatchError(Exception):
    """The dispatcher cannot run this call as asked (bad input or spec)."""


class RegisterError(DispatchError, ValueError):
    """A register name or value that the guest's register file cannot hold."""


class ArityError(DispatchError):
    """A handler needs more parameters than the spec's convention provides."""


class GuestMemory:
    """The guest memory a hypercall may write: mapped ranges, each of bytes.

    ``GuestMemory({0x1000: 1024})`` maps 1024 zero bytes at 0x1000. Only
    what is mapped can be written; :meth:`read` shows what a call wrote.
    """

    def __init__(self, regions: Mapping[int, int] | None = None) -> None:
        self._regions: dict[int, bytearray] = {}
        for address, size in (regions or {}).items():
            self.map(address, size)

    def map(self, address: int, size: int) -> None:
        """Map ``size`` zero bytes at ``address``; ValueError on an overlap."""
        if address < 0 or size <= 0:
            raise ValueError(f"cannot map {size} bytes at {address:#x}")
        for start, data in self._regions.items():
            if address < start + len(data) and start < address + size:
                raise ValueError(f"{address:#x}+{size} overlaps the region at {start:#x}")
        self._regions[address] = bytearray(size)

    def _region(self, address: int, size: int) -> tuple[int, bytearray] | None:
        for start, data in self._regions.items():
            if start <= address and address + size <= start + len(data):
                return start, data
        return None

    def read(self, address: int, size: int) -> bytes:
        """The ``size`` bytes at ``address``; ValueError where they are not all mapped."""
        found = self._region(address, size)
        if found is None:
            raise ValueError(f"{address:#x}+{size} is not mapped")
        start, data = found
        return bytes(data[address - start : address - start + size])

    def copy_to_guest(self, address: int, data: bytes) -> bool:
        """Write ``data`` at ``address`` if every byte is mapped; whether it was."""
        found = self._region(address, len(data))
        if found is None:
            return False
        start, region = found
        region[address - start : address - start + len(data)] = data
        return True


@dataclass(frozen=True)
class HandlerContext:
    """What a handler may know about the caller besides its arguments.

    ``memory`` is the call's guest memory (None: not modelled), ``build``
    what the dispatcher's Xen build reports (None: nothing stated).
    """

    guest: GuestType
    release: Release
    memory: GuestMemory | None = None
    build: XenBuild | None = None


@dataclass(frozen=True)
class Handler:
    """A hypercall implementation: ``func(ctx, args) -> signed result``."""

    name: str
    arity: int
    func: Callable[[HandlerContext, tuple[int, ...]], int]


def _buffer_text(ctx: HandlerContext, cmd: int) -> str:
    """The string a buffer command writes, or DispatchError where the model has none."""
    build = ctx.build or XenBuild()
    if cmd == XENVER_capabilities:
        if ctx.guest.architecture is not Architecture.ARM:
            raise DispatchError("the model does not know x86's XENVER_capabilities string")
        if build.aarch32 is None:
            raise DispatchError(
                "XENVER_capabilities on Arm depends on the CPU: give the dispatcher "
                "build=XenBuild(aarch32=True or False)"
            )
        return arm64_capabilities(build.aarch32)
    field = "extraversion" if cmd == XENVER_extraversion else "changeset"
    text: str | None = getattr(build, field)
    if text is None:
        raise DispatchError(
            f"XENVER_{field} reports the build's {field}: give the dispatcher "
            f"build=XenBuild({field}=...)"
        )
    return text


_BUFFER_COMMANDS = frozenset({XENVER_extraversion, XENVER_capabilities, XENVER_changeset})


def _xen_version(ctx: HandlerContext, args: tuple[int, ...]) -> int:
    # Xen declares cmd as a C int, so only the low 32 bits select the command.
    cmd = to_signed(args[0], 32)
    if cmd == XENVER_version:
        return ctx.release.xen_version
    if ctx.memory is None or cmd not in _BUFFER_COMMANDS:
        return ENOSYS  # Xen's default case, or a buffer command without a memory
    buffer = commands_for(ctx.release)[cmd].buffer
    assert buffer is not None  # every command of _BUFFER_COMMANDS has one
    data = buffer_bytes(_buffer_text(ctx, cmd), buffer)
    return 0 if ctx.memory.copy_to_guest(args[1], data) else EFAULT


DEFAULT_HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {"xen_version": Handler("xen_version", 2, _xen_version)}
)


@dataclass(frozen=True)
class DispatchResult:
    """The outcome of one dispatch; ``registers`` is the file after the call."""

    guest: GuestType
    number: int
    name: str | None
    read: tuple[str, ...]
    arguments: tuple[int, ...]
    result: int
    registers: dict[str, int]
    poisoned: tuple[str, ...]

    @property
    def result_register_value(self) -> int:
        """The result as the guest sees it in its result register."""
        return to_unsigned(self.result, self.guest.width)


_new = object.__new__


def _result(
    guest: GuestType,
    number: int,
    name: str | None,
    read: tuple[str, ...],
    arguments: tuple[int, ...],
    result: int,
    registers: dict[str, int],
    poisoned: tuple[str, ...],
) -> DispatchResult:
    # The frozen dataclass __init__ sets fields one object.__setattr__ at a
    # time, about a third of a dispatch; filling __dict__ at once is 3x faster.
    obj = _new(DispatchResult)
    obj.__dict__.update(
        guest=guest,
        number=number,
        name=name,
        read=read,
        arguments=arguments,
        result=result,
        registers=registers,
        poisoned=poisoned,
    )
    return obj


class _Plan:
    """Everything dispatch needs for one guest type, worked out up front."""

    __slots__ = (
        "guest",
        "width",
        "mask",
        "gprs",
        "index",
        "result",
        "names",
        "calls",
        "ctx",
        "enosys",
        "eperm",
        "poison",
        "poison_after_enosys",
        "error",
    )

    def __init__(
        self,
        guest: GuestType,
        spec: AbiSpec,
        handlers: Mapping[str, Handler],
        build: XenBuild | None = None,
    ) -> None:
        self.guest = guest
        self.width = guest.width
        self.mask = (1 << self.width) - 1
        self.gprs = REGISTERS[guest.abi]
        self.ctx = HandlerContext(guest, spec.release, build=build)
        self.enosys = to_unsigned(ENOSYS, self.width)
        self.eperm = to_unsigned(EPERM, self.width)
        poisoning = poisoning_for(guest, spec.release)
        self.poison = poisoning.value
        self.poison_after_enosys = poisoning.after_enosys
        self.names = {number: call.name for number, call in spec.hypercalls.items()}
        # number -> (name, handler, parameter registers it reads, or an error)
        self.calls: dict[int, tuple[str, Handler, tuple[str, ...], tuple[str, ...]] | str] = {}
        self.error: str | None = None
        self.index = self.result = ""
        convention = spec.conventions.get(guest.abi)
        if convention is None:
            self.error = f"the spec for Xen {spec.release} has no {guest.abi} register convention"
            return
        named = (convention.index, convention.result, *convention.parameters)
        bad = [reg for reg in named if reg not in self.gprs]
        if bad:
            self.error = (
                f"the {guest.abi} convention for Xen {spec.release} names "
                f"{', '.join(bad)}, not {self.width}-bit registers"
            )
            return
        self.index, self.result = convention.index, convention.result
        for number, call in spec.hypercalls.items():
            handler = handlers.get(call.name)
            if handler is None or guest not in call.available:
                continue  # -ENOSYS, like an empty slot in Xen's table
            if handler.arity > len(convention.parameters):
                # Reported at call time so one bad handler doesn't sink the rest.
                self.calls[number] = (
                    f"{call.name} takes {handler.arity} parameters but the {guest.abi} "
                    f"convention for Xen {spec.release} passes only "
                    f"{len(convention.parameters)} ({' '.join(convention.parameters)})"
                )
                continue
            used = convention.parameters[: handler.arity]
            # Debug Xen never poisons the result register: it carries the result.
            poison = tuple(reg for reg in used if reg != convention.result)
            if poisoning.number_register:
                poison += (convention.index,)
            self.calls[number] = (call.name, handler, used, poison)


class Dispatcher:
    """Runs hypercalls against a register file the way Xen's entry code does.

    ``build`` states what the Xen build reports through ``xen_version``'s
    buffer commands (see the module's docstring).
    """

    def __init__(
        self,
        spec: AbiSpec,
        handlers: Mapping[str, Handler] | None = None,
        *,
        debug: bool = False,
        build: XenBuild | None = None,
    ) -> None:
        self.spec = spec
        self.handlers: Mapping[str, Handler] = MappingProxyType(
            dict(DEFAULT_HANDLERS if handlers is None else handlers)
        )
        self.debug = debug
        self.build = build
        self._plans: dict[GuestType, _Plan] = {
            guest: _Plan(guest, spec, self.handlers, build) for guest in GuestType
        }

    def _plan(self, guest: GuestType | str) -> _Plan:
        plan = self._plans.get(guest)  # type: ignore[arg-type]
        if plan is None:
            plan = self._plans[GuestType.parse(str(guest))]
        if plan.error is not None:
            raise DispatchError(plan.error)
        return plan

    def dispatch(
        self,
        guest: GuestType | str,
        registers: Mapping[str, int],
        *,
        cpl: int = 0,
        debug: bool | None = None,
        memory: GuestMemory | None = None,
    ) -> DispatchResult:
        """Run one hypercall; missing registers read as 0, input is not mutated.

        ``memory`` is the guest memory the call may write (None: not modelled).
        """
        plan = self._plan(guest)
        out = self._validated(plan, registers)
        number = out.get(plan.index, 0)
        read = (plan.index,)

        # Xen refuses HVM hypercalls from user mode before looking at the number;
        # the index is reported for the record only.
        if cpl != 0 and plan.guest.is_hvm:
            out[plan.result] = plan.eperm
            return _result(plan.guest, number, plan.names.get(number), read, (), EPERM, out, ())

        entry = plan.calls.get(number)
        if entry is None:
            out[plan.result] = plan.enosys
            return _result(plan.guest, number, plan.names.get(number), read, (), ENOSYS, out, ())
        if isinstance(entry, str):
            raise ArityError(entry)
        name, handler, used, poison = entry
        get = out.get
        args = tuple([get(reg, 0) for reg in used])
        ctx = plan.ctx if memory is None else replace(plan.ctx, memory=memory)
        value = handler.func(ctx, args) & plan.mask
        out[plan.result] = value
        poisoned: tuple[str, ...] = ()
        if (self.debug if debug is None else debug) and (
            value != plan.enosys or plan.poison_after_enosys
        ):
            for reg in poison:
                out[reg] = plan.poison
            poisoned = poison
        if value >> (plan.width - 1):
            value -= 1 << plan.width
        return _result(plan.guest, number, name, read + used, args, value, out, poisoned)

    @staticmethod
    def _validated(plan: _Plan, registers: Mapping[str, int]) -> dict[str, int]:
        """A copy of ``registers`` with upper-case names, or RegisterError."""
        out: dict[str, int] = {}
        gprs, mask = plan.gprs, plan.mask
        for name, value in registers.items():
            if name not in gprs:
                upper = name.upper() if isinstance(name, str) else name
                if upper not in gprs:
                    allowed = " ".join(sorted(gprs, key=_register_order))
                    raise RegisterError(
                        f"{name!r} is not a {plan.width}-bit general-purpose register "
                        f"of a {plan.guest.label} guest (expected one of {allowed})"
                    )
                name = upper
            if value.__class__ is not int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise RegisterError(f"{name} = {value!r} is not an integer register value")
                value = int(value)
            if value < 0:
                raise RegisterError(
                    f"{name} = {value:#_x} is negative; register values are unsigned "
                    f"(use to_unsigned(value, {plan.width}))"
                )
            if value > mask:
                raise RegisterError(
                    f"{name} = {value:#_x} does not fit a {plan.width}-bit register"
                )
            out[name] = value
        return out


_ORDER = {
    reg: i
    for i, reg in enumerate(
        "RAX RBX RCX RDX RSI RDI RBP RSP R8 R9 R10 R11 R12 R13 R14 R15 "
        "EAX EBX ECX EDX ESI EDI EBP ESP".split()
        + [f"X{n}" for n in range(31)]
        + [f"R{n}" for n in range(8)]  # R8-R15 are x86's names above too
    )
}


def _register_order(reg: str) -> int:
    return _ORDER.get(reg, len(_ORDER))
