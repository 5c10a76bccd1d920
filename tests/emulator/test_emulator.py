"""The guest harness: the docs' tables executed through the hypercall page on Unicorn.

The spec comes from the real guides: a session fixture builds ``docs/`` with
Sphinx (in a subprocess) and loads the ``xenabi-registry.json`` it writes.
Expected values (stub offsets, encodings, results) are written out from the
facts, independently of the model's code.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from types import MappingProxyType

import pytest

from sphinx_xenabi.emulator import (
    GUEST_CONFIGS,
    EmulatorError,
    GuestConfig,
    GuestFault,
    GuestHarness,
    RowEvidence,
    default_arguments,
    execute_row_check,
    run_iret_stub,
)
from sphinx_xenabi.model import abi
from sphinx_xenabi.model.abi import TransferGuest
from sphinx_xenabi.model.dispatcher import Dispatcher, Handler
from sphinx_xenabi.model.registry import load
from sphinx_xenabi.model.spec import AbiSpec, GuestType, Release
from support.building import Build
from support.paths import REPO

Checks = dict[GuestConfig, RowEvidence]


VERSION_4_22 = (4 << 16) | 22
ENOSYS = {64: 0xFFFFFFFFFFFFFFDA, 32: 0xFFFFFFDA}
POISON = {64: 0xDEADBEEFDEADF00D, 32: 0xDEADF00D}
FLAGS = 0x202  # what the harness starts the guest with (IF set)

# Where the transfer instruction sits in an ordinary stub (facts, section 3):
# PV 64 is "51 41 53 B8 <i> 0F 05 ...", the others "B8 <i> <insn> ...".
TRANSFER_OFFSET = {
    TransferGuest.PV64: 8,
    TransferGuest.PV32: 5,
    TransferGuest.INTEL_HVM: 5,
    TransferGuest.AMD_HVM: 5,
}
MNEMONIC = {
    TransferGuest.PV64: "SYSCALL",
    TransferGuest.PV32: "INT 0x82",
    TransferGuest.INTEL_HVM: "VMCALL",
    TransferGuest.AMD_HVM: "VMMCALL",
}
PARAMETERS = {64: "RDI RSI RDX R10 R8", 32: "EBX ECX EDX ESI EDI"}

CONFIG_IDS = [c.label for c in GUEST_CONFIGS]
PV64 = GuestConfig(GuestType.PV64, TransferGuest.PV64)
PV32 = GuestConfig(GuestType.PV32, TransferGuest.PV32)
INTEL64 = GuestConfig(GuestType.HVM64, TransferGuest.INTEL_HVM)
HVM_CONFIGS = [c for c in GUEST_CONFIGS if c.transfer.is_hvm]


@pytest.fixture(scope="session")
def docs_spec(site: Build) -> AbiSpec:
    """The AbiSpec of the real guides, from the registry the site's real build published."""
    return load(site.registry_json).spec_for()


@pytest.fixture(scope="session")
def row_checks(docs_spec: AbiSpec) -> Checks:
    return {config: execute_row_check(docs_spec, config) for config in GUEST_CONFIGS}


def _with_parameter(spec: AbiSpec, abi_label: str, position: int, register: str) -> AbiSpec:
    """``spec`` with parameter ``position`` (1-based) of one convention renamed."""
    conv = spec.conventions[abi_label]
    params = list(conv.parameters)
    params[position - 1] = register
    conventions = dict(spec.conventions)
    conventions[abi_label] = replace(conv, parameters=tuple(params))
    return replace(spec, conventions=MappingProxyType(conventions))


# --- the docs as built ----------------------------------------------------------


def test_docs_spec_is_the_current_abi(docs_spec: AbiSpec) -> None:
    # The fixture really read the guides' tables (and they describe 4.22).
    assert docs_spec.release == Release(4, 22)
    assert " ".join(docs_spec.conventions["64bit"].parameters) == PARAMETERS[64]
    assert " ".join(docs_spec.conventions["32bit"].parameters) == PARAMETERS[32]
    assert docs_spec.hypercalls[17].name == "xen_version"


def test_configurations() -> None:
    assert [c.label for c in GUEST_CONFIGS] == [
        "PV 64",
        "PV 32",
        "Intel HVM 64",
        "Intel HVM 32",
        "AMD HVM 64",
        "AMD HVM 32",
    ]
    assert GuestConfig.parse("intel hvm 32") == GUEST_CONFIGS[3]
    assert GuestConfig.parse("PV64") == PV64
    with pytest.raises(EmulatorError, match="does not use"):
        GuestConfig(GuestType.PV64, TransferGuest.INTEL_HVM)
    with pytest.raises(ValueError, match="unknown guest configuration"):
        GuestConfig.parse("HVM 16")


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_guest_program_loads_the_documented_registers(
    docs_spec: AbiSpec, config: GuestConfig
) -> None:
    # The hand encoder, checked by an independent disassembler (capstone).
    program = GuestHarness(Dispatcher(docs_spec), config).disassemble("call")
    size = "qword" if config.width == 64 else "dword"
    moves = [line[4:].split(", ", 1) for line in program if line.startswith("mov ")]
    loaded = [dst.upper() for dst, src in moves if src.startswith(f"{size} ptr [0x110")]
    assert set(PARAMETERS[config.width].split()) <= set(loaded)
    # The call goes through the slot after the loaded registers' (0x11000 + n * word).
    slot = 0x11000 + len(loaded) * config.width // 8
    assert f"call {size} ptr [{slot:#x}]" in program
    assert program[-1] == "jmp 0x12000"


# --- every configuration, with the docs' spec -------------------------------------


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_every_argument_arrives(row_checks: Checks, config: GuestConfig) -> None:
    ev = row_checks[config]
    probe = ev.probe
    expected = default_arguments(config.width, 5)
    assert probe.parameters == tuple(PARAMETERS[config.width].split())
    assert probe.loaded == expected
    assert probe.received == expected  # DispatchResult.arguments
    assert probe.dispatch.read[1:] == probe.parameters
    assert probe.intact and probe.clobbered == ()
    assert ev.arguments_intact
    assert probe.transfer == MNEMONIC[config.transfer]
    assert probe.trap_offset == 17 * 32 + TRANSFER_OFFSET[config.transfer]
    assert probe.line == (
        f"executed: {config.label}, {MNEMONIC[config.transfer]}, 5 arguments arrived in "
        f"{PARAMETERS[config.width]}"
    )


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_xen_version_seen_after_ret(row_checks: Checks, config: GuestConfig) -> None:
    ev = row_checks[config]
    assert ev.version.index == 17
    assert ev.version.received[0] == 0  # XENVER_version
    assert ev.version.result == VERSION_4_22
    result_reg = "RAX" if config.width == 64 else "EAX"
    assert ev.version.after[result_reg] == VERSION_4_22
    assert ev.version_ok
    assert f"{result_reg} = 0x40016 after ret" in ev.lines[2]


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_unknown_index_is_enosys(row_checks: Checks, config: GuestConfig) -> None:
    ev = row_checks[config]
    assert ev.unknown.index == 11  # unused since set_fast_trap
    assert ev.unknown.result == ENOSYS[config.width]
    assert ev.unknown.result_signed == -38
    assert ev.enosys_ok and ev.transfer_documented and ev.ok


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_more_round_trips(docs_spec: AbiSpec, config: GuestConfig) -> None:
    h = GuestHarness(Dispatcher(docs_spec), config)
    ones = (1 << config.width) - 1
    # Full-width values survive; the last stub's index too.
    r = h.call(17, (0, ones, ones, ones, ones))
    assert r.received == (0, ones) and r.result == VERSION_4_22
    assert h.call(127).result == ENOSYS[config.width]
    assert h.call(38).result == ENOSYS[config.width]  # tmem_op: no handler anywhere
    other = h.call(17, (1,))  # XENVER_ other than version: -ENOSYS from the handler
    assert other.received[0] == 1 and other.result == ENOSYS[config.width]
    # xen_version reads two parameters; the rest stay as loaded after ret.
    assert r.final_parameters == (0, ones, ones, ones, ones)


def test_pv64_stub_restores_rcx_and_r11(docs_spec: AbiSpec) -> None:
    h = GuestHarness(Dispatcher(docs_spec), PV64)
    r = h.call(17, (0,), registers={"RCX": 0xC0C0, "R11": 0xB0B0})
    # Xen saw the SYSCALL-clobbered values; the stub's pops gave the guest its own back.
    assert r.dispatch.registers["RCX"] == r.return_address == h.page_address + 17 * 32 + 10
    assert r.dispatch.registers["R11"] == r.flags == FLAGS
    assert (r.after["RCX"], r.after["R11"]) == (0xC0C0, 0xB0B0)


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_debug_poison_seen_by_guest(docs_spec: AbiSpec, config: GuestConfig) -> None:
    h = GuestHarness(Dispatcher(docs_spec, debug=True), config)
    args = default_arguments(config.width, 5)
    r = h.call(17, (0, *args[1:]))
    assert r.result == VERSION_4_22
    # The two parameters xen_version used come back poisoned, the others as loaded.
    assert r.final_parameters == (POISON[config.width],) * 2 + args[2:]
    # No poison on -ENOSYS.
    assert h.call(11, args).final_parameters == args


# --- the docs naming a register that SYSCALL clobbers -------------------------------


@pytest.mark.parametrize(("register", "cause"), [("RCX", "the return address"), ("R11", "RFLAGS")])
def test_syscall_clobbered_parameter(docs_spec: AbiSpec, register: str, cause: str) -> None:
    bad = _with_parameter(docs_spec, "64bit", 4, register)
    ev = execute_row_check(bad, PV64)
    probe = ev.probe
    loaded = 0x4444444444444444
    assert probe.parameters[3] == register and probe.loaded[3] == loaded
    assert not probe.intact and not ev.arguments_intact and not ev.ok
    (clobber,) = probe.clobbered
    assert (clobber.position, clobber.register, clobber.loaded) == (4, register, loaded)
    expected = probe.return_address if register == "RCX" else probe.flags
    assert clobber.arrived == expected == probe.received[3]
    if register == "RCX":
        assert expected == 0x40000 + 17 * 32 + 10  # the instruction after SYSCALL
    else:
        assert expected == FLAGS
    assert clobber.cause == cause
    assert probe.line == (
        "executed: PV 64, SYSCALL, 4 of 5 arguments arrived intact "
        f"(RDI RSI RDX {register} R8); parameter 4 {register} arrived as {expected:#x} "
        f"({cause}), loaded {loaded:#x}"
    )
    # The other four arrived; the guest still has its value after the stub's pop.
    assert probe.received[:3] + probe.received[4:] == probe.loaded[:3] + probe.loaded[4:]
    assert probe.after[register] == loaded


@pytest.mark.parametrize("register", ["RCX", "R11"])
@pytest.mark.parametrize("config", [c for c in HVM_CONFIGS if c.width == 64], ids=lambda c: c.label)
def test_hvm_does_not_clobber(docs_spec: AbiSpec, register: str, config: GuestConfig) -> None:
    # Only SYSCALL writes RCX/R11: the same table is fine for VMCALL/VMMCALL.
    ev = execute_row_check(_with_parameter(docs_spec, "64bit", 4, register), config)
    assert ev.probe.intact and ev.arguments_intact and ev.ok


def test_wrong_transfer_in_docs_is_reported(docs_spec: AbiSpec) -> None:
    transfers = dict(docs_spec.transfers)
    transfers["Intel HVM"] = "VMMCALL"
    bad = replace(docs_spec, transfers=MappingProxyType(transfers))
    ev = execute_row_check(bad, INTEL64)
    assert ev.transfer == "VMCALL" and not ev.transfer_documented and not ev.ok
    assert ev.lines[1].endswith("(MISMATCH)")


# --- iret (23) -------------------------------------------------------------------


def test_iret_pv64(docs_spec: AbiSpec) -> None:
    run = run_iret_stub(docs_spec, PV64, {"RAX": 0xAAAA, "RCX": 0xCCCC, "R11": 0xBBBB})
    assert run.stub == bytes.fromhex("51 41 53 50 B8 17 00 00 00 0F 05")
    assert run.transfer == "SYSCALL" and run.trap_offset == 23 * 32 + 9
    assert run.registers["RAX"] == 23
    assert run.registers["RCX"] == 0x40000 + 23 * 32 + 11  # SYSCALL's return address
    # push rcx; push r11; push rax: top of stack first.
    assert run.stack == (0xAAAA, 0xBBBB, 0xCCCC)
    assert run.fault is None
    # No ret after the SYSCALL: the padding's int3 is what would run.
    assert run.next_instruction == "int3"
    assert run.resumed is not None and "int3 at page offset 0x2eb" in run.resumed


def test_iret_pv32(docs_spec: AbiSpec) -> None:
    run = run_iret_stub(docs_spec, PV32, {"EAX": 0xAAAA, "ECX": 0xCCCC})
    assert run.stub == bytes.fromhex("50 B8 17 00 00 00 CD 82")
    assert run.transfer == "INT 0x82" and run.trap_offset == 23 * 32 + 6
    assert run.registers["EAX"] == 23
    assert run.registers["ECX"] == 0xCCCC  # INT does not touch ECX
    assert run.stack == (0xAAAA,)
    assert run.next_instruction == "int3"
    assert run.resumed is not None and "int3 at page offset 0x2e8" in run.resumed


@pytest.mark.parametrize("config", HVM_CONFIGS, ids=lambda c: c.label)
def test_iret_hvm_is_ud2(docs_spec: AbiSpec, config: GuestConfig) -> None:
    run = run_iret_stub(docs_spec, config)
    assert run.stub == bytes.fromhex("0F 0B")
    assert run.transfer is None and run.stack == () and run.registers == {}
    assert run.fault is not None and "#UD: ud2 at page offset 0x2e0" in run.fault
    h = GuestHarness(Dispatcher(docs_spec), config)
    with pytest.raises(GuestFault, match="#UD: ud2"):
        h.call(23)
    # The guest is still usable afterwards.
    assert h.call(17, (0,)).result == VERSION_4_22


# --- CPUID + WRMSR ----------------------------------------------------------------


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_page_created_by_cpuid_and_wrmsr(docs_spec: AbiSpec, config: GuestConfig) -> None:
    h = GuestHarness(Dispatcher(docs_spec), config, install=False)
    with pytest.raises(EmulatorError, match="no hypercall page"):
        h.call(17)

    # A non-zero offset within the page is a fault: nothing is written.
    refused = h.boot(0x80010)
    assert refused.installed is None and not refused.ok
    assert refused.fault is not None and refused.fault.startswith("#GP(0)")
    assert h.read_memory(0x80000, 4096) == bytes(4096)
    assert h.page_address is None

    boot = h.boot(0x80000)
    assert boot.ok, boot.lines
    assert boot.signature == "XenVMMXenVMM" and boot.max_leaf >= 0x40000002
    assert (boot.pages, boot.msr) == (1, 0x40000000)
    assert boot.msr_writes == ((0x40000000, 0x80000),)
    assert boot.installed == h.page_address == 0x80000
    assert h.read_memory(0x80000, 4096) == h.page
    assert h.cpuid_log[-2:] == [0x40000000, 0x40000002]

    r = h.call(17, (0,))
    assert r.result == VERSION_4_22
    assert r.return_address == 0x80000 + 17 * 32 + TRANSFER_OFFSET[config.transfer] + (
        2 if config.transfer in (TransferGuest.PV64, TransferGuest.PV32) else 3
    )


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_handler_error_propagates(docs_spec: AbiSpec, config: GuestConfig) -> None:
    def boom(ctx: object, args: tuple[int, ...]) -> int:
        raise RuntimeError("handler exploded")

    handlers = {"xen_version": Handler("xen_version", 1, boom)}
    h = GuestHarness(Dispatcher(docs_spec, handlers), config)
    with pytest.raises(RuntimeError, match="exploded"):
        h.call(17)
    assert h.call(11).result == ENOSYS[config.width]


def test_bad_input(docs_spec: AbiSpec) -> None:
    h = GuestHarness(Dispatcher(docs_spec), INTEL64)
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        h.call(17, (1 << 64,))
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        h.call(17, (-1,))
    with pytest.raises(ValueError, match="6 arguments"):
        h.call(17, (0,) * 6)
    with pytest.raises(ValueError, match="'RSP'"):
        h.call(17, registers={"RSP": 0})
    with pytest.raises(ValueError, match="outside the page"):
        h.call(128)
    only32 = MappingProxyType({"32bit": docs_spec.conventions["32bit"]})
    no64 = replace(docs_spec, conventions=only32)
    with pytest.raises(EmulatorError, match="no 64bit register convention"):
        GuestHarness(Dispatcher(no64), PV64)


def test_model_spec_agrees(docs_spec: AbiSpec) -> None:
    # The same evidence from the reference model's own spec.
    for config in GUEST_CONFIGS:
        assert execute_row_check(abi.revision_for(Release(4, 22)), config).ok


# --- the two engines: the fast path and Unicorn's public API ----------------------


@pytest.mark.parametrize("config", GUEST_CONFIGS, ids=CONFIG_IDS)
def test_public_api_engine_agrees(
    docs_spec: AbiSpec, row_checks: Checks, config: GuestConfig
) -> None:
    # GuestHarness(fast=False) is what the benchmark measures the fast path against.
    public = GuestHarness(Dispatcher(docs_spec), config, fast=False)
    assert execute_row_check(docs_spec, config, harness=public) == row_checks[config]
    fast = GuestHarness(Dispatcher(docs_spec), config)
    assert public.jump(23) == fast.jump(23)
    booted = [GuestHarness(Dispatcher(docs_spec), config, install=False, fast=f) for f in (0, 1)]
    assert booted[0].boot(0x80010) == booted[1].boot(0x80010)
    evidence = booted[0].boot()
    assert evidence.ok and evidence == booted[1].boot()
    assert booted[0].cpuid_log == booted[1].cpuid_log
    assert booted[0].call(17, (0,)) == booted[1].call(17, (0,))


def test_public_api_engine_faults(docs_spec: AbiSpec) -> None:
    def boom(ctx: object, args: tuple[int, ...]) -> int:
        raise RuntimeError("handler exploded")

    handlers = {"xen_version": Handler("xen_version", 1, boom)}
    h = GuestHarness(Dispatcher(docs_spec, handlers), INTEL64, fast=False)
    with pytest.raises(RuntimeError, match="exploded"):
        h.call(17)
    with pytest.raises(GuestFault, match="#UD: ud2"):
        h.call(23)
    assert h.call(11).result == ENOSYS[64]


def test_without_the_private_api(docs_spec: AbiSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    # A binding that moved its internals costs speed, not correctness.
    monkeypatch.setitem(sys.modules, "sphinx_xenabi.emulator.unicorn_fast", None)
    h = GuestHarness(Dispatcher(docs_spec), PV64)
    assert type(h._cpu).__name__ == "Cpu"
    assert h.call(17, (0,)).result == VERSION_4_22


def test_emulator_package_boundaries() -> None:
    # Unicorn's private API in one file; no Sphinx or docutils anywhere in the package.
    package = REPO / "sphinx_xenabi" / "emulator"
    private = {
        p.name for p in package.glob("*.py") if "uclib" in (t := p.read_text()) or "_uch" in t
    }
    assert private == {"unicorn_fast.py"}
    code = (
        "import sys, sphinx_xenabi.emulator\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils')]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
