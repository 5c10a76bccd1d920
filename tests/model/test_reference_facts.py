"""The reference facts an example reads (model/reference_facts.py) and the failure that cites them."""

from __future__ import annotations

from sphinx_xenabi.model.abi import revision_for
from sphinx_xenabi.model.dispatcher import Dispatcher
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.reference_facts import (
    Fact,
    FactTrail,
    TracedDispatcher,
    facts_of,
    traced_spec,
)
from sphinx_xenabi.model.spec import Convention, Evidence, Release
from sphinx_xenabi.model.verification import Example, ExampleFailure

SPEC = revision_for(Release(4, 22))
TRAPS = Evidence("xen/arch/arm/traps.c", 2126, "do_trap_hypercall(regs, &regs->x17, hsr);")


def test_a_lookup_notes_its_fact_and_a_convention_each_register_read() -> None:
    trail = FactTrail()
    spec = traced_spec(SPEC, trail)
    convention = spec.conventions["arm64"]
    assert trail.take() == ()  # the registers are the facts, not the row
    assert (convention.index, spec.hypercalls[17].name, spec.transfers["arm64"]) == (
        "X16",
        "xen_version",
        "HVC 0xea1",
    )
    assert trail.take() == ("convention/arm64/index", "hypercall/17", "transfer/arm64")
    assert trail.take() == ()


def test_going_over_a_whole_table_or_code_getting_a_value_names_no_fact() -> None:
    trail = FactTrail()
    spec = traced_spec(SPEC, trail)
    assert len(dict(spec.hypercalls.items())) == len(SPEC.hypercalls)
    assert sorted(spec.conventions) == sorted(SPEC.conventions)
    convention = spec.conventions.get("arm64")
    assert convention is SPEC.conventions["arm64"] and "arm64" in spec.conventions
    assert convention.index == "X16"
    # A plain dispatcher set up on the traced spec, as an example may make one.
    Dispatcher(spec).dispatch("arm64", {"X16": 17})
    assert trail.take() == ()


def test_a_traced_spec_compares_and_prints_as_the_plain_one() -> None:
    trail = FactTrail()
    spec = traced_spec(SPEC, trail)
    plain = SPEC.conventions["arm64"]
    traced = spec.conventions["arm64"]
    assert traced == plain and plain == traced and hash(traced) == hash(plain)
    assert (
        repr(traced)
        == repr(plain)
        == (
            "Convention(abi='arm64', index='X16', parameters=('X0', 'X1', 'X2', 'X3', 'X4'), "
            "result='X0')"
        )
    )
    assert traced != Convention("arm64", "X17", plain.parameters, plain.result)
    assert spec == SPEC and repr(spec.transfers) == repr(SPEC.transfers)
    assert trail.take() == ()  # comparing and printing read no fact


def test_a_dispatch_notes_the_registers_and_the_hypercall_it_read() -> None:
    trail = FactTrail()
    dispatcher = TracedDispatcher(traced_spec(SPEC, trail), trail=trail)
    assert trail.take() == ()  # setting the dispatcher up is no example's reading
    dispatcher.dispatch("arm64", {"X16": 17, "X0": 0})
    assert trail.take() == (
        "convention/arm64/index",
        "convention/arm64/parameters",
        "convention/arm64/result",
        "hypercall/17",
        "available/17/arm64",
    )
    dispatcher.dispatch("arm32", {"R12": 999})  # no such hypercall: -ENOSYS, no arguments
    assert trail.take() == ("convention/arm32/index", "convention/arm32/result")


def test_facts_have_their_values_and_the_source_lines_given() -> None:
    keys = (
        "convention/arm64/index",
        "convention/arm32/parameters",
        "available/17/arm64",
        "xenver/XENVER_version",
        "hypercall/9999",  # no such fact: left out
        "convention/arm64",
    )
    facts = facts_of(keys, SPEC, {"XENVER_version": 0}, {"convention/arm64/index": TRAPS})
    assert facts == (
        Fact("convention/arm64/index", "arm64 hypercall number register", "X16", TRAPS),
        Fact("convention/arm32/parameters", "arm32 argument registers", "R0 R1 R2 R3 R4"),
        Fact("available/17/arm64", "xen_version (17) for Arm 64 guests", "available"),
        Fact("xenver/XENVER_version", "XENVER_version", "0"),
    )


def _failure(want: str, got: str, facts: tuple[Fact, ...]) -> ExampleFailure:
    example = Example('spec.conventions["arm64"].index\n', want, Location("p.rst", 3))
    return ExampleFailure(example, got, facts)


def test_a_failure_cites_the_fact_whose_value_it_got_instead() -> None:
    x17 = Fact("convention/arm64/index", "arm64 hypercall number register", "X17", TRAPS)
    params = Fact("convention/arm64/parameters", "arm64 argument registers", "X0 X1 X2 X3 X4")
    failure = _failure("'X16'\n", "'X17'\n", (params, x17))
    assert failure.contradicting() == (x17,)
    assert failure.describe() == (
        """spec.conventions["arm64"].index expected "'X16'", got "'X17'"; the reference says """
        "arm64 hypercall number register = X17 "
        "(xen/arch/arm/traps.c:2126: do_trap_hypercall(regs, &regs->x17, hsr);)"
    )


def test_a_failure_no_fact_explains_names_what_it_read_at_most_three() -> None:
    facts = tuple(Fact(f"hypercall/{n}", f"hypercall {n}", f"call{n}") for n in range(5))
    assert _failure("True\n", "False\n", facts).describe() == (
        """spec.conventions["arm64"].index expected 'True', got 'False'; the example read """
        "hypercall 0 = call0 (the built-in model); hypercall 1 = call1 (the built-in model); "
        "hypercall 2 = call2 (the built-in model); 2 more"
    )
    assert _failure("True\n", "False\n", ()).describe() == (
        """spec.conventions["arm64"].index expected 'True', got 'False'"""
    )
