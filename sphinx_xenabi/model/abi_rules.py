"""The rules of the ABI diff: a stable id, a fixed severity, what triggers it.

Like oasdiff's rules and ``buf breaking``, a rule's id and severity never
depend on the input; the docs' rules table is generated from this enum
(``xenabi-diff-rules``). No Sphinx or docutils import.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Severity(StrEnum):
    """What a change means for guests, worst first."""

    BREAKING = "breaking"
    COMPATIBLE = "compatible"
    DOCUMENTATION = "documentation"

    @property
    def rank(self) -> int:
        """2 for breaking, 1 for compatible, 0 for documentation only."""
        return {"breaking": 2, "compatible": 1, "documentation": 0}[self.value]


class Rule(StrEnum):
    """The rules of the ABI diff: a stable id, a fixed severity, what triggers it."""

    _value_: str
    severity: Severity

    def __new__(cls, value: str, severity: Severity, doc: str) -> Rule:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        member.__doc__ = doc
        return member

    @classmethod
    def of(cls, rule_id: str) -> Rule:
        """The rule whose id is ``rule_id``; ValueError for an unknown id."""
        for rule in cls:
            if rule.value == rule_id:
                return rule
        raise ValueError(f"unknown ABI diff rule {rule_id!r}")

    ABI_REMOVED = (
        "abi-removed",
        Severity.BREAKING,
        "A register ABI (64bit or 32bit) is no longer stated: guests of that width "
        "have no convention left.",
    )
    ABI_ADDED = (
        "abi-added",
        Severity.COMPATIBLE,
        "A register ABI is stated that was not before.",
    )
    PARAMETER_REMOVED = (
        "parameter-removed",
        Severity.BREAKING,
        "An ABI passes one parameter fewer: a guest that passes it is no longer heard.",
    )
    PARAMETER_ADDED = (
        "parameter-added",
        Severity.COMPATIBLE,
        "An ABI passes one parameter more; guests that pass fewer are unaffected.",
    )
    PARAMETER_REPLACED = (
        "parameter-replaced",
        Severity.BREAKING,
        "A parameter moved to another register.",
    )
    PARAMETERS_REORDERED = (
        "parameters-reordered",
        Severity.BREAKING,
        "An ABI passes its parameters in the same registers, in another order.",
    )
    PARAMETER_COUNT_REDUCED = (
        "parameter-count-reduced",
        Severity.BREAKING,
        'The most parameters a hypercall takes (the N of "Parameters (1 - N)") went down.',
    )
    PARAMETER_COUNT_INCREASED = (
        "parameter-count-increased",
        Severity.COMPATIBLE,
        "The most parameters a hypercall takes went up.",
    )
    INDEX_REGISTER_CHANGED = (
        "index-register-changed",
        Severity.BREAKING,
        "An ABI takes the hypercall number from another register.",
    )
    RESULT_REGISTER_CHANGED = (
        "result-register-changed",
        Severity.BREAKING,
        "An ABI returns the result in another register.",
    )
    TRANSFER_CHANGED = (
        "transfer-changed",
        Severity.BREAKING,
        "A guest enters Xen with another instruction (spellings of one instruction, "
        "such as int $0x82 and INT 0x82, are the same).",
    )
    TRANSFER_REMOVED = (
        "transfer-removed",
        Severity.BREAKING,
        "A guest's transfer instruction is no longer stated.",
    )
    TRANSFER_ADDED = (
        "transfer-added",
        Severity.COMPATIBLE,
        "A guest's transfer instruction is stated that was not before.",
    )
    HYPERCALL_ADDED = (
        "hypercall-added",
        Severity.COMPATIBLE,
        "A hypercall number is defined that was not before.",
    )
    HYPERCALL_REMOVED = (
        "hypercall-removed",
        Severity.BREAKING,
        "A hypercall number is no longer defined: calling it returns -ENOSYS.",
    )
    HYPERCALL_RENUMBERED = (
        "hypercall-renumbered",
        Severity.BREAKING,
        "A hypercall keeps its name under another number.",
    )
    HYPERCALL_RENAMED = (
        "hypercall-renamed",
        Severity.BREAKING,
        "A hypercall number keeps its place under another name.",
    )
    AVAILABILITY_GAINED = (
        "availability-gained",
        Severity.COMPATIBLE,
        "A guest type may make a hypercall it could not make before.",
    )
    AVAILABILITY_LOST = (
        "availability-lost",
        Severity.BREAKING,
        "A guest type may no longer make a hypercall: it returns -ENOSYS.",
    )
    RELEASE_RANGE_CHANGED = (
        "release-range-changed",
        Severity.BREAKING,
        'A table states other releases in its title ("Registers in Xen 4.13 to 4.16"): '
        "guests of the releases in between are told another ABI.",
    )
    PAGE_STUB_CHANGED = (
        "page-stub-changed",
        Severity.BREAKING,
        "The bytes Xen writes into a guest's hypercall page changed (an ordinary stub "
        "or the iret stub); read from Xen source trees only.",
    )
    TABLE_MOVED = (
        "table-moved",
        Severity.DOCUMENTATION,
        "A table moved to another page or line, stating the same.",
    )
    FOOTNOTE_CHANGED = (
        "footnote-changed",
        Severity.DOCUMENTATION,
        "A footnote that a table's cells cite was added, removed or reworded.",
    )


def rules_by_severity() -> Mapping[Severity, tuple[Rule, ...]]:
    """Every rule, grouped by severity (for the docs' rules table)."""
    return {s: tuple(r for r in Rule if r.severity is s) for s in Severity}
