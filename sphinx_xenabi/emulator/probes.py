"""The hypercalls a row check makes, whatever the guest: which, and the recording handler.

A row check (:func:`~.row_probe.execute_row_check` on x86,
:func:`~.hvc.evidence.execute_hvc_row_check` on Arm) makes three round trips:
a probe (a recording handler under a hypercall the guest may call),
xen_version(XENVER_version) and a number the docs do not define.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.abi import IRET_INDEX, STUB_COUNT
from ..model.dispatcher import DEFAULT_HANDLERS, Dispatcher, Handler, HandlerContext
from .errors import EmulatorError

if TYPE_CHECKING:
    from ..model.spec import AbiSpec, GuestType


def probe_dispatcher(
    spec: AbiSpec,
    guest: GuestType,
    name: str = "xen_version",
    record: list[tuple[int, ...]] | None = None,
) -> Dispatcher:
    """A dispatcher whose ``name`` handler takes every parameter the spec names.

    The handler's arity is the parameter count of ``guest``'s convention, so
    the dispatcher reads all of them; it returns 0 and appends its arguments
    to ``record``. Other hypercalls keep the default handlers.
    """
    convention = spec.conventions.get(guest.abi)
    if convention is None:
        raise EmulatorError(
            f"the spec for Xen {spec.release} has no {guest.abi} register convention"
        )

    def probe(ctx: HandlerContext, args: tuple[int, ...]) -> int:
        if record is not None:
            record.append(args)
        return 0

    handlers = dict(DEFAULT_HANDLERS)
    handlers[name] = Handler(name, len(convention.parameters), probe)
    return Dispatcher(spec, handlers)


def unknown_index(spec: AbiSpec) -> int:
    """The first stub index (hypercall number) the spec does not define, iret's aside."""
    free = sorted(set(range(STUB_COUNT)) - set(spec.hypercalls) - {IRET_INDEX})
    if not free:
        raise EmulatorError("the spec defines every stub index; none is unknown")
    return free[0]


def probe_target(spec: AbiSpec, guest: GuestType) -> tuple[int, str]:
    """xen_version if this guest type may call it, else any callable hypercall."""
    calls = sorted(spec.hypercalls.values(), key=lambda c: c.number)
    for call in calls:
        if call.name == "xen_version" and guest in call.available:
            return call.number, call.name
    for call in calls:
        if guest in call.available and call.number != IRET_INDEX and call.number < STUB_COUNT:
            return call.number, call.name
    raise EmulatorError(f"the docs let a {guest.label} guest call no hypercall")


def xen_version_number(spec: AbiSpec) -> int:
    """xen_version's number in the spec's table."""
    for call in spec.hypercalls.values():
        if call.name == "xen_version":
            return call.number
    return 17  # not in the docs' table: the call will say -ENOSYS
