"""Claims: the values a requirement's text states, and the verdict on a requirement.

The real texts are Xen's own requirements (docs/fusa/reqs in the head tree
of ../shared/xen-src); the expected claims are read off them by hand.
"""

from __future__ import annotations

import pytest

from sphinx_xenabi.model.claims import Claim, ClaimKind, asserted, claims
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.verification import (
    BlockOutcome,
    ExampleFailure,
    Status,
    read_block,
    verify_requirement,
)
from support.xen_trees import XEN_SRC

REQS = XEN_SRC / "head" / "docs" / "fusa" / "reqs"
R, RS, IMM, HC, CMD, SIZE = (
    ClaimKind.REGISTER,
    ClaimKind.REGISTERS,
    ClaimKind.IMMEDIATE,
    ClaimKind.HYPERCALL,
    ClaimKind.COMMAND,
    ClaimKind.SIZE,
)


def requirement_text(relative: str) -> str:
    path = REQS / relative
    if not path.is_file():
        pytest.skip(
            f"the Xen requirements {path} are absent (../shared/xen-src is not beside the clone)"
        )
    return path.read_text(encoding="utf-8")


def found(text: str) -> list[tuple[ClaimKind, str | int, str, int]]:
    """Each claim as (kind, value, as written, line)."""
    return [(c.kind, c.value, c.text, text.count("\n", 0, c.offset) + 1) for c in claims(text)]


def test_the_arm64_hypercall_requirements() -> None:
    text = requirement_text("design-reqs/arm64/hypercall.rst")
    assert found(text) == [
        (IMM, 0xEA1, "0xEA1", 12),  # hvc instruction execution (with 0xEA1)
        (IMM, 0xEA1, "0xEA1", 21),  # ESR_EL2.ISS should be 0xEA1
        (IMM, 0x16, "0x16", 22),  # ESR_EL2.EC should be 0x16
        (RS, "x0-x4", "x0 - x4", 34),
        (R, "x0", "x0", 40),  # Xen shall read x0 for the first argument,
        (R, "x1", "x1", 40),  # x1 for the second argument and so on
        (R, "x16", "x16", 52),
        (R, "x0", "x0", 68),  # the return value in x0
    ]
    for claim in claims(text):
        assert text[claim.offset : claim.offset + len(claim.text)] == claim.text


def test_the_arm64_version_requirements_state_no_value() -> None:
    # "xen-3.0-aarch64", "arm32", "arm64": strings and names, not registers or numbers.
    assert claims(requirement_text("design-reqs/arm64/version_hypercall.rst")) == ()


def test_the_version_hypercall_product_requirements() -> None:
    text = requirement_text("product-reqs/version_hypercall.rst")
    assert found(text) == [
        (R, "x0", "x0", 12),
        (R, "x1", "x1", 30),
        (CMD, 0, "command (num 0)", 50),
        (HC, 17, "hypercall (num 17)", 50),
        (CMD, 1, "command (num 1)", 72),
        (HC, 17, "hypercall (num 17)", 72),
        (CMD, 3, "command (num 3)", 93),
        (HC, 17, "hypercall (num 17)", 93),
        (SIZE, 1024, "char[1024]", 99),
        (CMD, 4, "command (num 4)", 114),
        (HC, 17, "hypercall (num 17)", 114),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xen reads X16.", [(R, "x16", "X16")]),
        ("r0-r3 and R12", [(RS, "r0-r3", "r0-r3"), (R, "r12", "R12")]),
        (
            "x0 to x7, x2..x3, x1 – x2",
            [(RS, "x0-x7", "x0 to x7"), (RS, "x2-x3", "x2..x3"), (RS, "x1-x2", "x1 – x2")],
        ),
        ("hvc #0xea1 or #3745", [(IMM, 0xEA1, "0xea1"), (IMM, 3745, "#3745")]),
        (
            "hypercall (number 0x11), command (num 2)",
            [(HC, 17, "hypercall (number 0x11)"), (CMD, 2, "command (num 2)")],
        ),
        (
            "uint8_t[ 16 ] and char[0x400]",
            [(SIZE, 16, "uint8_t[ 16 ]"), (SIZE, 1024, "char[0x400]")],
        ),
        # Not registers: past the last one, in a word, in a hex value, a leading zero.
        ("x31, r16, x01, 0x16, aarch64, xen-3.0-armv7l, ESR_EL2, regs_x0", [(IMM, 0x16, "0x16")]),
        # A backwards or mixed range is two registers.
        ("x4 - x0, x0 - r4", [(R, "x4", "x4"), (R, "x0", "x0"), (R, "x0", "x0"), (R, "r4", "r4")]),
        ("Xen shall return its version.", []),
    ],
)
def test_claims_of_small_texts(text: str, expected: list[tuple[ClaimKind, object, str]]) -> None:
    assert [(c.kind, c.value, c.text) for c in claims(text)] == expected


def test_a_range_stands_for_each_register() -> None:
    (claim,) = claims("x0 - x4")
    assert claim == Claim(RS, "x0-x4", 0, "x0 - x4")
    assert claim.registers == ("x0", "x1", "x2", "x3", "x4")
    assert claims("x16")[0].registers == ("x16",)


@pytest.mark.parametrize(
    ("claim", "examples", "expected"),
    [
        ("x16", ['trip.after["X16"]'], True),
        ("x16", ["regs.x16 == 17"], True),
        ("x16", ["x16_value = 1", "0x16"], False),
        ("X16", [">>> spec.conventions['arm64'].index\n'X16'\n"], True),  # the expected output
        ("0xEA1", ["abi.XEN_HYPERCALL_TAG == 0xea1"], True),
        ("0xEA1", ["hvc(guest, 17, 3745)"], True),
        ("0xEA1", ["'HVC 0xea2'"], False),
        ("x0 - x4", ["(X0, X1, X2)", "x3 and x4"], True),
        ("x0 - x4", ["x0 x1 x2 x3"], False),
        ("hypercall (num 17)", ["hvc(GuestType.ARM64, 0x11, 0)"], True),
        ("hypercall (num 17)", ["hvc(GuestType.ARM64, 117)"], False),
        ("char[1024]", ["len(buffer) == 1024"], True),
    ],
)
def test_asserted(claim: str, examples: list[str], expected: bool) -> None:
    (found_claim,) = claims(claim)
    assert asserted(found_claim, examples) is expected


# -- the verdict on a requirement ---------------------------------------------------------

NUM = "XenSwdgn~arm64_hyp_num~1"
NUM_TEXT = "Xen shall read x16 to obtain the hypercall number."


def outcome(ids: list[str], *lines: str, failed: str | None = None) -> BlockOutcome:
    locations = [Location("reqs.rst", 10 + i) for i in range(len(lines))]
    block = read_block(ids, Location("reqs.rst", 8), list(lines), locations)
    if failed is None:
        return BlockOutcome(block)
    return BlockOutcome(block, ExampleFailure(block.examples[-1], failed))


def test_verified_when_every_block_passed_and_every_claim_is_asserted() -> None:
    blocks = [
        outcome([NUM], ">>> spec.conventions['arm64'].index", "'X16'"),
        outcome(["XenSwdgn~other~1"], ">>> 1", "1", failed="2\n"),  # another requirement's
    ]
    verdict = verify_requirement(NUM, NUM_TEXT, blocks)
    assert (verdict.status, verdict.reasons, verdict.blocks) == (Status.VERIFIED, (), (blocks[0],))


def test_unverified_without_an_example() -> None:
    verdict = verify_requirement(NUM, NUM_TEXT, [])
    assert (verdict.status, verdict.reasons) == (
        Status.UNVERIFIED,
        (f"no example verifies {NUM}",),
    )


def test_unverified_when_a_claim_is_mentioned_by_no_example() -> None:
    block = outcome([NUM], ">>> trip = hvc(GuestType.ARM64, 17, 0)", ">>> trip.result > 0", "True")
    verdict = verify_requirement(NUM, "Xen shall read x17 to obtain the hypercall number.", [block])
    assert (verdict.status, verdict.reasons) == (
        Status.UNVERIFIED,
        (f"x17 in {NUM} is not verified",),
    )
    params = verify_requirement(
        "XenSwdgn~arm64_hyp_param~1",
        "Xen shall use x0 - x4 core registers to obtain the arguments.",
        [outcome(["XenSwdgn~arm64_hyp_param~1"], ">>> ('X0', 'X1', 'X2')", "('X0', 'X1', 'X2')")],
    )
    assert params.reasons == (
        "x0 - x4 in XenSwdgn~arm64_hyp_param~1 is not verified "
        "(no passing example mentions x3, x4)",
    )


def test_failed_when_a_block_failed() -> None:
    blocks = [
        outcome([NUM], ">>> spec.conventions['arm64'].index", "'X16'", failed="'X17'\n"),
        outcome([NUM, "XenSwdgn~other~1"], ">>> 1", "1"),
    ]
    verdict = verify_requirement(NUM, NUM_TEXT, blocks)
    assert verdict.status is Status.FAILED
    assert verdict.reasons == (
        "reqs.rst:10: spec.conventions['arm64'].index expected \"'X16'\", got \"'X17'\"",
    )


def test_the_real_requirement_texts_against_examples() -> None:
    text = requirement_text("design-reqs/arm64/hypercall.rst")
    start = text.index("`XenSwdgn~arm64_hyp_instr~1`")
    instr = text[start : text.index("Covers:", start)]
    block = outcome(
        ["XenSwdgn~arm64_hyp_instr~1"],
        ">>> hex(abi.XEN_HYPERCALL_TAG)",
        "'0xea1'",
    )
    verdict = verify_requirement("XenSwdgn~arm64_hyp_instr~1", instr, [block])
    # ESR_EL2.EC's 0x16 is stated in the comments and asserted by no example.
    assert verdict.reasons == ("0x16 in XenSwdgn~arm64_hyp_instr~1 is not verified",)


def test_read_block_locates_each_example() -> None:
    lines = [">>> a = 1", ">>> a", "1", "", "prose between", ">>> a + 1  # doctest: +ELLIPSIS", "2"]
    block = read_block(
        [NUM], Location("p.md", 3), lines, [Location("p.md", 4 + i) for i in range(7)]
    )
    assert [(e.source, e.want, e.location.line) for e in block.examples] == [
        ("a = 1\n", "", 4),
        ("a\n", "1\n", 5),
        ("a + 1  # doctest: +ELLIPSIS\n", "2\n", 9),
    ]
    assert block.examples[2].options and block.text == "\n".join(lines)


def test_read_block_refuses_what_is_not_a_block() -> None:
    with pytest.raises(ValueError, match="'a~b' is not a requirement id"):
        read_block(["a~b"], Location("p", 1), [">>> 1", "1"], [Location("p", 2)] * 2)
    with pytest.raises(ValueError, match="no example"):
        read_block([NUM], Location("p", 1), ["prose"], [Location("p", 2)])
