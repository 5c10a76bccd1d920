"""Arm guests that call Xen with HVC, on Unicorn's AArch64 and AArch32.

The guest's code is written from a docs convention and transfer text, in
the style of Linux's ``arch/arm64/xen/hypercall.S`` (``mov x16, #nr; hvc
#0xEA1; ret``); Xen is the reference dispatcher. Expected encodings and
results are written out from the architecture and Xen's source, not from
the emulator's code: the A64/A32/T32 words below are the ARM ARM's (and
capstone reads them back), 0x40016 is XENVER_version's (4 << 16 | 22),
0xDEADBEEF what a debug Xen writes (``do_trap_hypercall``).
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import capstone
import pytest

from sphinx_xenabi.emulator import (
    ARM_CONFIGS,
    GUEST_CONFIGS,
    EmulatorError,
    GuestConfig,
    GuestFault,
    GuestHarness,
    HvcHarness,
    execute_row_check,
)
from sphinx_xenabi.emulator.hvc import encoder
from sphinx_xenabi.model.abi import TRANSFER_INSTRUCTIONS, TransferGuest, revision_for
from sphinx_xenabi.model.dispatcher import DEFAULT_HANDLERS, Dispatcher, Handler, HandlerContext
from sphinx_xenabi.model.spec import Convention, GuestType, Release

REPO = Path(__file__).resolve().parents[2]
RELEASE = Release(4, 22)
VERSION_4_22 = 0x40016
XEN_VERSION = 17
XENVER_VERSION = 0
POISON = 0xDEADBEEF
ENOSYS = {64: 0xFFFFFFFFFFFFFFDA, 32: 0xFFFFFFDA}

ARM64 = GuestConfig(GuestType.ARM64, TransferGuest.ARM64)
ARM32 = GuestConfig(GuestType.ARM32, TransferGuest.ARM32)
THUMB = GuestConfig(GuestType.ARM32, TransferGuest.ARM32, thumb=True)
CONFIG_IDS = [c.label for c in ARM_CONFIGS]

# The docs' tables, as a docs page on the Arm ABI states them.
DOCS = {
    ARM64: Convention("arm64", "X16", ("X0", "X1", "X2", "X3", "X4"), "X0"),
    ARM32: Convention("arm32", "R12", ("R0", "R1", "R2", "R3", "R4"), "R0"),
    THUMB: Convention("arm32", "R12", ("R0", "R1", "R2", "R3", "R4"), "R0"),
}
DOCS_HVC = "HVC #0xEA1"
NUMBER = {64: "X16", 32: "R12"}
RESULT = {64: "X0", 32: "R0"}

# Linux's stubs for xen_version, as the architecture encodes them (little-endian words):
# A64 mov x16, #17 = d2800230; hvc #0xea1 = d401d422; ret = d65f03c0.
# A32 mov r12, #17 = e3a0c011; hvc #0xea1 = e140ea71; bx lr = e12fff1e.
# T32 movw r12, #17 = f240 0c11; hvc.w #0xea1 = f7e0 8ea1; bx lr = 4770.
LINUX_STUB = {
    ARM64: struct.pack("<3I", 0xD2800230, 0xD401D422, 0xD65F03C0),
    ARM32: struct.pack("<3I", 0xE3A0C011, 0xE140EA71, 0xE12FFF1E),
    THUMB: struct.pack("<5H", 0xF240, 0x0C11, 0xF7E0, 0x8EA1, 0x4770),
}
LINUX_TEXT = {
    ARM64: ("mov x16, #0x11", "hvc #0xea1", "ret"),
    ARM32: ("mov ip, #0x11", "hvc #0xea1", "bx lr"),
    THUMB: ("movw ip, #0x11", "hvc.w #0xea1", "bx lr"),
}


def harness(
    config: GuestConfig, *, instruction: str = DOCS_HVC, debug: bool = False, fast: bool = True
) -> HvcHarness:
    """An Arm guest written from the docs, Xen 4.22 (the model) as the dispatcher."""
    dispatcher = Dispatcher(revision_for(RELEASE), debug=debug)
    return HvcHarness(
        dispatcher, config, convention=DOCS[config], instruction=instruction, fast=fast
    )


def recording(
    release: Release,
    arity: int,
    calls: list[tuple[int, ...]],
    *,
    debug: bool = False,
    result: int = 0,
) -> Dispatcher:
    """Xen with a xen_version handler of ``arity`` parameters that records its arguments."""

    def handler(ctx: HandlerContext, args: tuple[int, ...]) -> int:
        calls.append(args)
        return result

    handlers = dict(DEFAULT_HANDLERS)
    handlers["xen_version"] = Handler("xen_version", arity, handler)
    return Dispatcher(revision_for(release), handlers, debug=debug)


# --- the acceptance: Linux-style stubs from the docs, on the emulated CPU ---------------


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_the_linux_style_stub_is_written_from_the_docs(config: GuestConfig) -> None:
    h = harness(config)
    stub = h.stub(XEN_VERSION)
    assert stub.code == LINUX_STUB[config]
    assert h.read_memory(stub.address, len(stub.code)) == LINUX_STUB[config]
    assert h.disassemble(XEN_VERSION) == LINUX_TEXT[config]
    assert (stub.hvc_offset, stub.immediate) == (4, 0xEA1)


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_xen_version_result_in_x0_r0(config: GuestConfig) -> None:
    h = harness(config)
    trip = h.call(XEN_VERSION, (XENVER_VERSION, 0x1234))
    assert trip.after[RESULT[config.width]] == VERSION_4_22
    assert trip.result == VERSION_4_22
    assert h.read_register(RESULT[config.width]) == VERSION_4_22  # the CPU's, not a copy
    # Xen read the number from x16/r12 and the arguments from x0, x1.
    assert trip.dispatch.read == (NUMBER[config.width], *DOCS[config].parameters[:2])
    assert trip.dispatch.arguments == (XENVER_VERSION, 0x1234)
    assert trip.transfer == "HVC 0xea1"
    assert trip.trap_offset == 4
    # Non-debug Xen leaves the number and the other argument registers alone.
    assert trip.after[NUMBER[config.width]] == XEN_VERSION
    assert trip.after[DOCS[config].parameters[1]] == 0x1234


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_debug_xen_poisons_the_used_arguments_and_the_number_register(
    config: GuestConfig,
) -> None:
    params = DOCS[config].parameters
    # xen_version takes 2: arguments 2..n are x1/r1; and x16/r12.
    h = harness(config, debug=True)
    trip = h.call(XEN_VERSION, (XENVER_VERSION, 0x1234, 0x55, 0x66, 0x77))
    assert trip.result == VERSION_4_22
    assert trip.after[params[1]] == POISON
    assert trip.after[NUMBER[config.width]] == POISON
    assert [trip.after[r] for r in params[2:]] == [0x55, 0x66, 0x77]  # not used: untouched
    # A hypercall of five parameters: x1-x4 / r1-r4 and the number register.
    calls: list[tuple[int, ...]] = []
    five = HvcHarness(recording(RELEASE, 5, calls, debug=True), config, convention=DOCS[config])
    trip = five.call(XEN_VERSION, (1, 2, 3, 4, 5))
    assert calls == [(1, 2, 3, 4, 5)]
    assert trip.after[params[0]] == 0  # the result, never poisoned
    assert [trip.after[r] for r in params[1:]] == [POISON] * 4
    assert trip.after[NUMBER[config.width]] == POISON


@pytest.mark.parametrize(
    ("release", "poisoned"), [(Release(4, 16), True), (Release(4, 17), False)], ids=["4.16", "4.17"]
)
def test_debug_poisoning_after_enosys_changed_in_4_17(release: Release, poisoned: bool) -> None:
    # Xen 39fc5f5c02: Arm stopped poisoning after a handler's -ENOSYS.
    calls: list[tuple[int, ...]] = []
    dispatcher = recording(release, 2, calls, debug=True, result=-38)
    trip = HvcHarness(dispatcher, ARM64, convention=DOCS[ARM64]).call(XEN_VERSION, (0, 0x1234))
    assert trip.result == ENOSYS[64]
    assert (trip.after["X1"] == POISON) is poisoned
    assert (trip.after["X16"] == POISON) is poisoned


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_unknown_number_is_enosys_and_not_poisoned(config: GuestConfig) -> None:
    trip = harness(config, debug=True).call(0x12345, (1, 2))  # needs movk/movt
    assert trip.dispatch.number == 0x12345
    assert trip.result == ENOSYS[config.width]
    assert trip.after[NUMBER[config.width]] == 0x12345
    assert trip.after[DOCS[config].parameters[1]] == 2


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("instruction", ["HVC #0", "hvc #0x0"])
def test_hvc_0_is_smccc_not_a_hypercall(config: GuestConfig, instruction: str) -> None:
    calls: list[tuple[int, ...]] = []
    h = HvcHarness(
        recording(RELEASE, 2, calls), config, convention=DOCS[config], instruction=instruction
    )
    assert h.disassemble(XEN_VERSION)[1].startswith("hvc")
    with pytest.raises(GuestFault, match=r"hvc(\.w)? #0x0 .* is an SMCCC call") as fault:
        h.call(XEN_VERSION, (XENVER_VERSION,))
    assert "not a hypercall" in str(fault.value)
    assert calls == []  # the dispatcher never ran


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_hvc_0xea2_is_an_undefined_instruction_for_the_guest(config: GuestConfig) -> None:
    calls: list[tuple[int, ...]] = []
    h = HvcHarness(
        recording(RELEASE, 2, calls), config, convention=DOCS[config], instruction="HVC #0xEA2"
    )
    stub = h.stub(XEN_VERSION)
    assert h.disassemble(XEN_VERSION)[1] in ("hvc #0xea2", "hvc.w #0xea2")
    after_hvc = stub.address + 8  # Xen's guest PC for the trapped HVC: the next instruction
    for _ in range(2):  # and the guest runs again after it
        with pytest.raises(GuestFault, match="undefined-instruction exception") as fault:
            h.call(XEN_VERSION, (XENVER_VERSION,))
        text = str(fault.value)
        assert "#0xea2" in text and "not a hypercall" in text
        if config.guest is GuestType.ARM64:
            # inject_undef64_exception: EC 0 (unknown) with IL, ELR = PC, SPSR = PSTATE (EL1h).
            assert f"ESR_EL1 0x2000000, ELR_EL1 {after_hvc:#x}, SPSR_EL1 0x400003c5" in text
        else:
            # inject_undef32_exception: Undefined mode (0x1b), LR = PC + 4 (ARM) or + 2 (Thumb).
            lr = after_hvc + (2 if config.thumb else 4)
            spsr = 0x400001F3 if config.thumb else 0x400001D3
            assert f"LR_und {lr:#x}, SPSR_und {spsr:#x}, CPSR 0x400001db" in text
    assert calls == []
    # The same guest with the docs' right immediate: a hypercall.
    assert harness(config).call(XEN_VERSION, (XENVER_VERSION,)).result == VERSION_4_22


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_debug_trap_immediates(config: GuestConfig) -> None:
    # Debug Xen serves HVC #0xFFxx as do_debug_trap; a release build injects #UD.
    with pytest.raises(GuestFault, match="debug trap of a debug Xen"):
        harness(config, instruction="HVC #0xFFFE", debug=True).call(XEN_VERSION, (0,))
    with pytest.raises(GuestFault, match="undefined-instruction exception"):
        harness(config, instruction="HVC #0xFFFE").call(XEN_VERSION, (0,))


# --- the docs' convention against Xen's ---------------------------------------------------


def test_a_number_in_x17_does_not_reach_xen() -> None:
    wrong = Convention("arm64", "X17", DOCS[ARM64].parameters, "X0")
    h = HvcHarness(Dispatcher(revision_for(RELEASE)), ARM64, convention=wrong)
    assert h.disassemble(XEN_VERSION)[0] == "mov x17, #0x11"
    trip = h.call(XEN_VERSION, (XENVER_VERSION,))
    assert trip.dispatch.read[0] == "X16"  # Xen reads x16, which holds the filler
    assert trip.dispatch.number != XEN_VERSION
    assert trip.result == ENOSYS[64]


def test_the_guest_code_cannot_use_the_link_register() -> None:
    bad = Convention("arm64", "X16", ("X0", "X30"), "X0")
    with pytest.raises(EmulatorError, match="names X30: .*it loads X0-X29"):
        HvcHarness(Dispatcher(revision_for(RELEASE)), ARM64, convention=bad)
    bad32 = Convention("arm32", "R13", ("R0",), "R0")
    with pytest.raises(EmulatorError, match="names R13: .*it loads R0-R12"):
        HvcHarness(Dispatcher(revision_for(RELEASE)), ARM32, convention=bad32)


@pytest.mark.parametrize(
    ("text", "immediate"),
    [("HVC #0xEA1", 0xEA1), ("hvc 0xea1", 0xEA1), ("HVC #3745", 0xEA1), ("hvc.w #0", 0)],
)
def test_the_docs_hvc_text(text: str, immediate: int) -> None:
    assert encoder.hvc_immediate(text) == immediate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SVC #0", "is not HVC #imm"),
        ("HVC", "is not HVC #imm"),
        ("HVC #0x10000", "16-bit immediate"),
        ("HVC #xen", "not a number"),
    ],
)
def test_the_docs_hvc_text_refused(text: str, message: str) -> None:
    with pytest.raises(EmulatorError, match=message):
        encoder.hvc_immediate(text)


# --- the machinery -----------------------------------------------------------------------


def test_the_encoder_against_capstone() -> None:
    a64 = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    a32 = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_ARM)
    t32 = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)

    def text(cs: capstone.Cs, code: bytes) -> list[str]:
        return [f"{i.mnemonic} {i.op_str}" for i in cs.disasm(code, 0x1000)]

    w = encoder.words
    assert text(a64, w(encoder.a64_pair(True, 2, 3, 31, 16))) == ["ldp x2, x3, [sp, #0x10]"]
    assert text(a64, w(encoder.a64_pair(False, 0, 1, 31, 256))) == ["stp x0, x1, [sp, #0x100]"]
    assert text(a64, w(encoder.a64_single(True, 30, 31, 240))) == ["ldr x30, [sp, #0xf0]"]
    assert text(a64, w(encoder.a64_blr(30))) == ["blr x30"]
    assert text(a64, w(encoder.a64_b(0x1000, 0x12000))) == ["b #0x12000"]
    assert text(a64, w(*encoder.a64_mov(5, 0x123456789A))) == [
        "mov x5, #0x789a",
        "movk x5, #0x3456, lsl #16",
        "movk x5, #0x12, lsl #32",
    ]
    assert text(a64, w(encoder.a64_mrs(1, 3, 0, 4, 0, 1))) == ["mrs x1, elr_el1"]
    assert text(a32, w(*encoder.a32_mov(12, 0x12345))) == ["movw ip, #0x2345", "movt ip, #1"]
    assert text(a32, w(encoder.a32_multiple(True, 13, 0x1FFF)))[0].startswith("ldm sp, {r0,")
    assert text(a32, w(encoder.a32_multiple(False, 13, 0x4001, before=True))) == [
        "stmdb sp, {r0, lr}"
    ]
    assert text(a32, w(encoder.a32_single(True, 14, 13, 52))) == ["ldr lr, [sp, #0x34]"]
    assert text(a32, w(encoder.a32_blx(14))) == ["blx lr"]
    assert text(a32, w(encoder.a32_mrs(1, spsr=True))) == ["mrs r1, spsr"]
    assert text(t32, encoder.t32_mov(3, 0xABCD1234)) == ["movw r3, #0x1234", "movt r3, #0xabcd"]
    for imm in (0, 1, 0xEA1, 0xEA2, 0xFFFE, 0xFFFF):
        shown = f"{imm:#x}" if imm > 9 else str(imm)  # capstone: "#0", "#1", "#0xea1"
        assert text(a64, w(encoder.a64_hvc(imm))) == [f"hvc #{shown}"]
        assert text(a32, w(encoder.a32_hvc(imm))) == [f"hvc #{shown}"]
        assert text(t32, encoder.t32_hvc(imm)) == [f"hvc.w #{shown}"]
        assert encoder.a64_hvc_immediate(encoder.a64_hvc(imm)) == imm
        assert encoder.a32_hvc_immediate(encoder.a32_hvc(imm)) == imm
        assert encoder.t32_hvc_immediate(encoder.t32_hvc(imm)) == imm
    # The model's transfer instructions are these encodings.
    assert w(encoder.a64_hvc(0xEA1)) == TRANSFER_INSTRUCTIONS[TransferGuest.ARM64].encoding
    assert w(encoder.a32_hvc(0xEA1)) == TRANSFER_INSTRUCTIONS[TransferGuest.ARM32].encoding


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_the_call_program_loads_every_register_and_calls_through_the_link_register(
    config: GuestConfig,
) -> None:
    program = harness(config).disassemble("call")
    if config.width == 64:
        assert program[0] == "ldp x0, x1, [sp]" and program[14] == "ldp x28, x29, [sp, #0xe0]"
        assert program[15:17] == ("ldr x30, [sp, #0xf0]", "blr x30")
    else:
        assert program[:3] == (
            "ldm sp, {r0, r1, r2, r3, r4, r5, r6, r7, r8, sb, sl, fp, ip}",
            "ldr lr, [sp, #0x34]",
            "blx lr",
        )
    assert program[-1] == "b #0x12000"


def test_a_thumb_stub_runs_in_thumb_state() -> None:
    trip = harness(THUMB).call(XEN_VERSION, (XENVER_VERSION,))
    assert trip.flags & 0x20  # CPSR.T at the HVC
    assert trip.result == VERSION_4_22
    assert not harness(ARM32).call(XEN_VERSION, (XENVER_VERSION,)).flags & 0x20


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=CONFIG_IDS)
def test_the_public_api_engine_agrees(config: GuestConfig) -> None:
    args = (XENVER_VERSION, 0x1234, 0x55)
    fast = harness(config, debug=True).call(XEN_VERSION, args)
    public = harness(config, debug=True, fast=False)
    assert type(public._cpu).__name__ == "Cpu"
    slow = public.call(XEN_VERSION, args)
    assert dict(slow.after) == dict(fast.after)
    assert slow.dispatch == fast.dispatch
    with pytest.raises(GuestFault, match="undefined-instruction"):
        harness(config, instruction="HVC #0xEA2", fast=False).call(XEN_VERSION, (0,))


def test_configurations() -> None:
    assert [c.label for c in ARM_CONFIGS] == ["Arm 64", "Arm 32", "Arm 32 Thumb"]
    assert [c.code for c in ARM_CONFIGS] == ["A64", "A32", "T32"]
    assert GuestConfig.parse("arm 32 thumb") == THUMB
    assert GuestConfig.parse("PV 64") == GUEST_CONFIGS[0]
    with pytest.raises(EmulatorError, match="no Thumb code"):
        GuestConfig(GuestType.ARM64, TransferGuest.ARM64, thumb=True)
    with pytest.raises(EmulatorError, match="does not use"):
        GuestConfig(GuestType.ARM64, TransferGuest.ARM32)


def test_the_harnesses_keep_to_their_architecture() -> None:
    spec = revision_for(RELEASE)
    with pytest.raises(EmulatorError, match="does not call Xen with HVC"):
        HvcHarness(Dispatcher(spec), GUEST_CONFIGS[0])
    with pytest.raises(EmulatorError, match="no hypercall page"):
        execute_row_check(spec, ARM64)
    with pytest.raises(EmulatorError, match="no hypercall page"):
        GuestHarness(Dispatcher(spec), ARM64)


def test_the_hvc_package_keeps_to_the_public_api() -> None:
    # Unicorn's private API stays in unicorn_fast.py; no Sphinx with the HVC harness.
    package = REPO / "sphinx_xenabi" / "emulator" / "hvc"
    assert not [
        p.name for p in package.glob("*.py") if "uclib" in (t := p.read_text()) or "_uch" in t
    ]
    code = (
        "import sys, sphinx_xenabi.emulator.hvc\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils')]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
