"""The reference dispatcher, run on model specs and on hand-made ones."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.dispatcher import (
    DEFAULT_HANDLERS,
    ArityError,
    Dispatcher,
    DispatchError,
    Handler,
    HandlerContext,
    RegisterError,
)
from sphinx_xenabi.model.spec import AbiSpec, Convention, GuestType, Hypercall, Release

VERSION_4_22 = (4 << 16) | 22
ENOSYS_64 = 0xFFFFFFFFFFFFFFDA
ENOSYS_32 = 0xFFFFFFDA
EPERM_64 = 0xFFFFFFFFFFFFFFFF
POISON_64 = 0xDEADBEEFDEADF00D
POISON_32 = 0xDEADF00D


@pytest.fixture
def spec() -> AbiSpec:
    return abi.revision_for(Release(4, 22))


@pytest.fixture
def dispatcher(spec: AbiSpec) -> Dispatcher:
    return Dispatcher(spec)


@pytest.mark.parametrize("guest", [GuestType.PV64, GuestType.HVM64])
def test_xen_version_64bit(dispatcher: Dispatcher, guest: GuestType) -> None:
    r = dispatcher.dispatch(guest, {"RAX": 17, "RDI": 0, "RSI": 0x1234, "RBX": 7})
    assert r.guest is guest
    assert (r.number, r.name) == (17, "xen_version")
    assert r.read == ("RAX", "RDI", "RSI")
    assert r.arguments == (0, 0x1234)
    assert r.result == VERSION_4_22 == 0x40016
    assert r.result_register_value == VERSION_4_22
    assert r.registers == {"RAX": VERSION_4_22, "RDI": 0, "RSI": 0x1234, "RBX": 7}
    assert r.poisoned == ()


@pytest.mark.parametrize("guest", ["pv32", "HVM 32"])
def test_xen_version_32bit(dispatcher: Dispatcher, guest: str) -> None:
    r = dispatcher.dispatch(guest, {"EAX": 17, "EBX": 0, "ECX": 5})
    assert r.guest is GuestType.parse(guest)
    assert r.read == ("EAX", "EBX", "ECX")
    assert r.arguments == (0, 5)
    assert r.registers["EAX"] == VERSION_4_22


def test_version_follows_spec_release() -> None:
    r = Dispatcher(abi.revision_for(Release(4, 16))).dispatch("pv64", {"RAX": 17})
    assert r.result == 0x40010


def test_missing_registers_read_as_zero(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("pv64", {"RAX": 17})
    assert r.arguments == (0, 0)
    assert r.result == VERSION_4_22
    assert r.registers == {"RAX": VERSION_4_22}


def test_xen_version_other_cmd_is_enosys(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("pv64", {"RAX": 17, "RDI": 1})
    assert r.result == -38
    assert r.registers["RAX"] == ENOSYS_64
    # Xen's cmd is a C int: only the low 32 bits pick the command.
    assert dispatcher.dispatch("pv64", {"RAX": 17, "RDI": 1 << 32}).result == VERSION_4_22


@pytest.mark.parametrize("number", [11, 43, 50, 55, 56, 1000, 2**40])
def test_unknown_numbers_enosys_64(dispatcher: Dispatcher, number: int) -> None:
    r = dispatcher.dispatch("pv64", {"RAX": number, "RDI": 3})
    assert r.result == -38
    assert r.registers == {"RAX": 0xFFFFFFFFFFFFFFDA, "RDI": 3}
    assert r.result_register_value == ENOSYS_64
    assert r.name is None
    assert r.read == ("RAX",)
    assert r.arguments == ()


def test_unknown_number_enosys_32(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("hvm32", {"EAX": 43})
    assert r.result == -38
    assert r.registers == {"EAX": 0xFFFFFFDA}
    assert r.result_register_value == ENOSYS_32


def test_defined_but_unhandled_is_enosys(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("pv64", {"RAX": 12})  # memory_op: no handler by default
    assert (r.result, r.name) == (-38, "memory_op")


def _const_handler(name: str, arity: int, value: int) -> Handler:
    return Handler(name, arity, lambda ctx, args: value)


def test_unavailable_for_guest_type_is_enosys(spec: AbiSpec) -> None:
    handlers = {"iret": _const_handler("iret", 0, 0), "tmem_op": _const_handler("tmem_op", 1, 0)}
    d = Dispatcher(spec, handlers)
    assert d.dispatch("pv64", {"RAX": 23}).result == 0  # iret is PV-only
    r = d.dispatch("hvm64", {"RAX": 23})
    assert (r.result, r.name) == (-38, "iret")
    assert r.registers["RAX"] == ENOSYS_64
    assert d.dispatch("hvm32", {"EAX": 23}).registers["EAX"] == ENOSYS_32
    for guest in GuestType:  # tmem_op is available to nobody
        reg = {"64bit": "RAX", "32bit": "EAX", "arm64": "X16", "arm32": "R12"}[guest.abi]
        assert d.dispatch(guest, {reg: 38}).result == -38


def test_hvm_user_mode_gets_eperm(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("hvm64", {"RAX": 17}, cpl=3)
    assert r.result == -1
    assert r.registers == {"RAX": EPERM_64}
    assert r.arguments == ()
    # Checked before the number: an unknown number is -EPERM too, not -ENOSYS.
    assert dispatcher.dispatch("hvm32", {"EAX": 1000}, cpl=3).registers == {"EAX": 0xFFFFFFFF}
    # And no poisoning on that path even in debug mode.
    assert dispatcher.dispatch("hvm64", {"RAX": 17}, cpl=3, debug=True).poisoned == ()


@pytest.mark.parametrize("guest", [GuestType.PV32, GuestType.PV64])
def test_pv_user_mode_dispatches(dispatcher: Dispatcher, guest: GuestType) -> None:
    reg = "RAX" if guest.width == 64 else "EAX"
    assert dispatcher.dispatch(guest, {reg: 17}, cpl=3).result == VERSION_4_22


def test_debug_poisons_exactly_used_registers(spec: AbiSpec) -> None:
    d = Dispatcher(spec, debug=True)
    r = d.dispatch("pv64", {"RAX": 17, "RDI": 0, "RSI": 9, "RDX": 5, "R10": 6})
    assert r.poisoned == ("RDI", "RSI")
    assert r.registers == {
        "RAX": VERSION_4_22,
        "RDI": POISON_64,
        "RSI": POISON_64,
        "RDX": 5,
        "R10": 6,
    }
    r32 = d.dispatch("hvm32", {"EAX": 17, "EDX": 4})
    assert r32.poisoned == ("EBX", "ECX")
    assert r32.registers == {"EAX": VERSION_4_22, "EBX": POISON_32, "ECX": POISON_32, "EDX": 4}
    # Per-call override beats the dispatcher default.
    assert d.dispatch("pv64", {"RAX": 17}, debug=False).poisoned == ()
    assert Dispatcher(spec).dispatch("pv64", {"RAX": 17}, debug=True).poisoned == ("RDI", "RSI")


def test_debug_no_poison_after_enosys(spec: AbiSpec) -> None:
    d = Dispatcher(spec, debug=True)
    for regs in ({"RAX": 99, "RDI": 1}, {"RAX": 17, "RDI": 1}):  # no such call; bad cmd
        r = d.dispatch("pv64", regs)
        assert r.result == -38
        assert r.poisoned == ()
        assert r.registers["RDI"] == 1


def test_debug_poisons_after_other_errors(spec: AbiSpec) -> None:
    d = Dispatcher(spec, {"xen_version": _const_handler("xen_version", 1, -22)}, debug=True)
    r = d.dispatch("pv64", {"RAX": 17})
    assert r.result == -22
    assert r.poisoned == ("RDI",)


def test_debug_never_poisons_result_register(spec: AbiSpec) -> None:
    conv = Convention("64bit", "RAX", ("RAX", "RSI"), "RAX")
    odd = replace(spec, conventions={**spec.conventions, "64bit": conv})
    d = Dispatcher(odd, {"xen_version": _const_handler("xen_version", 2, 5)}, debug=True)
    r = d.dispatch("pv64", {"RAX": 17, "RSI": 1})
    assert r.arguments == (17, 1)
    assert r.poisoned == ("RSI",)
    assert r.registers == {"RAX": 5, "RSI": POISON_64}


@pytest.mark.parametrize(
    ("guest", "regs", "message"),
    [
        ("pv64", {"RDI": 2**64}, "RDI = 0x1_0000_0000_0000_0000 does not fit a 64-bit register"),
        ("pv32", {"EBX": 2**32}, "EBX = 0x1_0000_0000 does not fit a 32-bit register"),
        ("hvm64", {"RAX": -1}, "RAX = -0x1 is negative"),
        ("hvm32", {"EAX": -38}, "negative"),
    ],
)
def test_out_of_width_values_refused(
    dispatcher: Dispatcher, guest: str, regs: dict[str, int], message: str
) -> None:
    with pytest.raises(RegisterError, match=message):
        dispatcher.dispatch(guest, regs)


def test_largest_values_accepted(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("pv64", {"RAX": 17, "R15": 2**64 - 1})
    assert r.registers["R15"] == 2**64 - 1


@pytest.mark.parametrize(
    ("guest", "name"), [("pv32", "RAX"), ("pv64", "EAX"), ("pv64", "XMM0"), ("hvm32", "R8")]
)
def test_unknown_register_name_refused(dispatcher: Dispatcher, guest: str, name: str) -> None:
    with pytest.raises(RegisterError, match=repr(name)) as info:
        dispatcher.dispatch(guest, {name: 1})
    width = GuestType.parse(guest).width
    assert f"{width}-bit" in str(info.value)


def test_non_integer_values_refused(dispatcher: Dispatcher) -> None:
    with pytest.raises(RegisterError):
        dispatcher.dispatch("pv64", {"RAX": "17"})  # type: ignore[dict-item]
    with pytest.raises(RegisterError):
        dispatcher.dispatch("pv64", {"RAX": True})


def test_lower_case_names_are_normalised(dispatcher: Dispatcher) -> None:
    r = dispatcher.dispatch("pv64", {"rax": 17, "rsi": 4})
    assert r.arguments == (0, 4)
    assert r.registers == {"RAX": VERSION_4_22, "RSI": 4}


def test_input_not_mutated(spec: AbiSpec) -> None:
    regs = {"RAX": 17, "RDI": 0, "RSI": 1}
    frozen = MappingProxyType(dict(regs))
    r = Dispatcher(spec, debug=True).dispatch("pv64", regs)
    assert regs == {"RAX": 17, "RDI": 0, "RSI": 1}
    assert r.registers is not regs
    Dispatcher(spec).dispatch("pv64", frozen)  # read-only mappings are fine


def test_unknown_guest_refused(dispatcher: Dispatcher) -> None:
    with pytest.raises(ValueError, match="unknown guest type"):
        dispatcher.dispatch("riscv64", {})


def test_custom_handler(spec: AbiSpec) -> None:
    seen: list[tuple[HandlerContext, tuple[int, ...]]] = []

    def memory_op(ctx: HandlerContext, args: tuple[int, ...]) -> int:
        seen.append((ctx, args))
        return args[0] + args[1]

    handlers = {**DEFAULT_HANDLERS, "memory_op": Handler("memory_op", 2, memory_op)}
    d = Dispatcher(spec, handlers)
    r = d.dispatch("hvm32", {"EAX": 12, "EBX": 0xFFFFFFFF, "ECX": 2})
    assert seen == [(HandlerContext(GuestType.HVM32, Release(4, 22)), (0xFFFFFFFF, 2))]
    assert r.name == "memory_op"
    assert r.registers["EAX"] == 1  # 0x1_0000_0001 truncated to 32 bits
    assert r.result == 1
    assert d.dispatch("pv64", {"RAX": 17}).result == VERSION_4_22  # defaults still there
    # Handlers replace the defaults entirely when given.
    assert Dispatcher(spec, {}).dispatch("pv64", {"RAX": 17}).result == -38


def test_handler_result_read_as_signed(spec: AbiSpec) -> None:
    d = Dispatcher(spec, {"xen_version": _const_handler("xen_version", 0, 0xFFFFFFF2)})
    assert d.dispatch("pv32", {"EAX": 17}).result == -14
    assert d.dispatch("pv64", {"RAX": 17}).result == 0xFFFFFFF2


def test_arity_beyond_convention(spec: AbiSpec) -> None:
    d = Dispatcher(spec, {"xen_version": _const_handler("xen_version", 6, 0)})
    with pytest.raises(ArityError, match="6 parameters"):
        d.dispatch("pv64", {"RAX": 17})
    # Six parameters were fine before 4.17.
    old = Dispatcher(abi.revision_for(Release(4, 16)), d.handlers, debug=True)
    r = old.dispatch("pv64", {"RAX": 17})
    assert r.read == ("RAX", "RDI", "RSI", "RDX", "R10", "R8", "R9")
    assert r.poisoned == ("RDI", "RSI", "RDX", "R10", "R8", "R9")


def test_dispatcher_follows_spec_not_constants(spec: AbiSpec) -> None:
    # A doc that wrongly lists RCX as the first 64-bit parameter.
    wrong = Convention("64bit", "RAX", ("RCX", "RSI", "RDX", "R10", "R8"), "RAX")
    drifted = replace(spec, conventions={**spec.conventions, "64bit": wrong})
    r = Dispatcher(drifted).dispatch("pv64", {"RAX": 17, "RCX": 1, "RDI": 0})
    assert r.read == ("RAX", "RCX", "RSI")
    assert r.arguments == (1, 0)
    assert r.result == -38  # cmd 1 came from RCX


def test_dispatcher_follows_spec_availability_and_index(spec: AbiSpec) -> None:
    hypercalls = {17: Hypercall(17, "xen_version", frozenset({GuestType.PV64}))}
    conv32 = Convention("32bit", "EBX", ("ECX",), "EDX")
    custom = replace(spec, hypercalls=hypercalls, conventions={**spec.conventions, "32bit": conv32})
    d = Dispatcher(custom, {"xen_version": _const_handler("xen_version", 1, 7)})
    assert d.dispatch("hvm64", {"RAX": 17}).result == -38
    r = d.dispatch("pv32", {"EBX": 17})
    assert r.result == -38  # available to pv64 only in this spec
    assert r.registers == {"EBX": 17, "EDX": ENOSYS_32}


def test_spec_with_bad_convention(spec: AbiSpec) -> None:
    bad = replace(spec, conventions={"64bit": Convention("64bit", "RAX", ("R1O",), "RAX")})
    d = Dispatcher(bad)
    with pytest.raises(DispatchError, match="R1O"):
        d.dispatch("pv64", {"RAX": 17})
    with pytest.raises(DispatchError, match="no 32bit register convention"):
        d.dispatch("pv32", {"EAX": 17})
