"""A reference hypercall dispatcher driven by an :class:`~sphinx_xenabi.model.spec.AbiSpec`.

The dispatcher executes what a spec *says* (usually the one extracted from
the guides), not the model's constants: a doc that names the wrong register
makes the dispatcher read the wrong register, which is how drift shows up.

Not modelled: preemption/continuations and the HVMOP_guest_request_vm_event
exception to the HVM CPL check.

Stdlib only: no Sphinx or docutils.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .abi import REGISTERS, Errno, XENVER_version, poisoning_for, to_signed, to_unsigned
from .spec import AbiSpec, GuestType, Release

ENOSYS = -Errno.ENOSYS.value
EPERM = -Errno.EPERM.value


class DispatchError(Exception):
    """The dispatcher cannot run this call as asked (bad input or spec)."""


class RegisterError(DispatchError, ValueError):
    """A register name or value that the guest's register file cannot hold."""


class ArityError(DispatchError):
    """A handler needs more parameters than the spec's convention provides."""


@dataclass(frozen=True)
class HandlerContext:
    """What a handler may know about the caller besides its arguments."""

    guest: GuestType
    release: Release


@dataclass(frozen=True)
class Handler:
    """A hypercall implementation: ``func(ctx, args) -> signed result``."""

    name: str
    arity: int
    func: Callable[[HandlerContext, tuple[int, ...]], int]


def _xen_version(ctx: HandlerContext, args: tuple[int, ...]) -> int:
    # Xen declares cmd as a C int, so only the low 32 bits select the command.
    cmd = to_signed(args[0], 32)
    if cmd == XENVER_version:
        return ctx.release.xen_version
    return ENOSYS  # Xen's default case


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

    def __init__(self, guest: GuestType, spec: AbiSpec, handlers: Mapping[str, Handler]) -> None:
        self.guest = guest
        self.width = guest.width
        self.mask = (1 << self.width) - 1
        self.gprs = REGISTERS[guest.abi]
        self.ctx = HandlerContext(guest, spec.release)
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
    """Runs hypercalls against a register file the way Xen's entry code does."""

    def __init__(
        self,
        spec: AbiSpec,
        handlers: Mapping[str, Handler] | None = None,
        *,
        debug: bool = False,
    ) -> None:
        self.spec = spec
        self.handlers: Mapping[str, Handler] = MappingProxyType(
            dict(DEFAULT_HANDLERS if handlers is None else handlers)
        )
        self.debug = debug
        self._plans: dict[GuestType, _Plan] = {
            guest: _Plan(guest, spec, self.handlers) for guest in GuestType
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
    ) -> DispatchResult:
        """Run one hypercall; missing registers read as 0, input is not mutated."""
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
        value = handler.func(plan.ctx, args) & plan.mask
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
