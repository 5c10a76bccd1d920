"""``check``'s requirements: each item's verdict as a case, with the findings that belong to it.

Every requirement item the build read becomes one :class:`RequirementCase`:
its status (verified, failed, unverified), the failing examples of the
blocks that name it (the build's ``xenabi.verification`` errors, at the
examples' lines), the build's findings located in the item (broken links,
unasserted values) and, for an unverified item that no
``xenabi.unverified-claim`` warning explains, one ``check``-only
``xenabi.unverified-requirement`` warning at its id. The formats render the
cases (``check_formats``); the verdict counts them (``check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.problems import Problem, WarningSubtype

# The requirement model loads in the functions that make cases: check of
# docs without items counts its findings (link_findings) without it.
if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.requirements import RequirementItem, RequirementTrace
    from sphinx_xenabi.model.verification import RequirementVerification, Status

# The findings that break what is written, an item or a link: check exits 1 on
# them. An item not yet covered (uncovered) or verified (unverified) is work
# still to do, a warning that leaves check clean.
LINK_FINDINGS = frozenset(
    {
        WarningSubtype.BAD_REQUIREMENT,
        WarningSubtype.DUPLICATE_REQUIREMENT,
        WarningSubtype.COVERS_UNKNOWN,
        WarningSubtype.COVERS_OUTDATED,
        WarningSubtype.COVERS_PREDATED,
        WarningSubtype.COVERS_UNWANTED,
    }
)


@dataclass(frozen=True)
class RequirementCase:
    """One requirement item as ``check`` reports it."""

    id: str
    artifact_type: str
    title: str
    location: Location  # the id paragraph
    status: Status
    reasons: tuple[str, ...]
    failures: tuple[Problem, ...]  # a failing example of each failed block naming it
    findings: tuple[Problem, ...]  # the build's findings in the item, and check's own warning

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*self.failures, *self.findings)

    @property
    def failed(self) -> bool:
        """A failure: a failing example, or a finding that fails (a broken link)."""
        return any(p.fails for p in self.problems)


def _failures(verdict: RequirementVerification, problems: Sequence[Problem]) -> tuple[Problem, ...]:
    """The build's ``verification`` error at each failing example of the item's blocks."""
    found = []
    for outcome in verdict.blocks:
        if outcome.failure is None:
            continue
        at = outcome.failure.example.location
        logged = next(
            (p for p in problems if p.subtype is WarningSubtype.VERIFICATION and p.location == at),
            None,
        )
        found.append(
            logged
            or Problem(
                WarningSubtype.VERIFICATION,
                f"example verifying {outcome.block.names} failed: {outcome.failure.describe()}",
                at,
                "error",
            )
        )
    return tuple(found)


def unverified_warning(item: RequirementItem, verdict: RequirementVerification) -> Problem:
    reasons = "; ".join(verdict.reasons) or f"no example verifies {item.id}"
    return Problem(
        WarningSubtype.UNVERIFIED_REQUIREMENT,
        f"{item.id} is unverified: {reasons}",
        item.location,
    )


def requirement_case(
    item: RequirementItem, verdict: RequirementVerification, problems: Sequence[Problem]
) -> RequirementCase:
    from sphinx_xenabi.model.requirements_json import item_findings
    from sphinx_xenabi.model.verification import Status

    findings = item_findings(item, problems)
    explained = any(p.subtype is WarningSubtype.UNVERIFIED_CLAIM for p in findings)
    if verdict.status is Status.UNVERIFIED and not explained:
        findings.append(unverified_warning(item, verdict))
    return RequirementCase(
        str(item.id),
        item.id.artifact_type,
        item.title,
        item.location,
        verdict.status,
        verdict.reasons,
        _failures(verdict, problems),
        tuple(findings),
    )


def requirement_cases(
    trace: RequirementTrace,
    verdicts: Mapping[str, RequirementVerification],
    problems: Iterable[Problem],
) -> list[RequirementCase]:
    """One case per item, in document order (a duplicated id's later item too)."""
    from sphinx_xenabi.model.verification import RequirementVerification, Status

    shown = list(problems)
    cases = []
    for item in trace.items:
        name = str(item.id)
        verdict = verdicts.get(name)
        if verdict is None:
            verdict = RequirementVerification(
                name, Status.UNVERIFIED, (f"no example verifies {name}",)
            )
        cases.append(requirement_case(item, verdict, shown))
    return cases


def check_only(cases: Iterable[RequirementCase]) -> list[Problem]:
    """The warnings ``check`` adds to the build's findings: the unexplained unverified items."""
    return [
        p for c in cases for p in c.findings if p.subtype is WarningSubtype.UNVERIFIED_REQUIREMENT
    ]


def link_findings(problems: Iterable[Problem]) -> int:
    """How many findings break requirement items or their links."""
    return sum(1 for p in problems if p.subtype in LINK_FINDINGS)


def uncovered(problems: Iterable[Problem]) -> int:
    """How many needed types no item covers yet (``xenabi.uncovered-requirement``)."""
    return sum(1 for p in problems if p.subtype is WarningSubtype.UNCOVERED_REQUIREMENT)
