"""The requirements' JSON form, ``xenabi-requirements.json``: every item, its links and its verdict.

One object per requirement item, in document order, with everything a
tool outside Sphinx needs to judge it: its id (type, name, revision), where
it is written, its fields, its links both ways (what it covers and whether
each link holds, what covers it, the types it needs and which items provide
them), its status (verified, failed, unverified) and why, the
``xenabi-verifies`` blocks that name it with each one's outcome, the values
its text claims with whether a passing example asserts each, and the
findings located in the item. ``requirements.schema.json`` beside this
module is the format's JSON Schema; the output is deterministic (sorted
keys, no timestamp), so two builds of one tree write the same bytes.

No Sphinx here: the build (and ``check``) hand in the trace, the verdicts
and the findings they already hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.claims import Mentions, claims
from sphinx_xenabi.model.json_layout import one_per_line
from sphinx_xenabi.model.verification import (
    CLAIMING_FIELDS,
    BlockOutcome,
    RequirementVerification,
    Status,
)

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.requirements import RequirementItem, RequirementTrace

SCHEMA_VERSION = 1
GENERATOR = f"sphinx-xenabi {__version__}"


@cache
def requirements_schema() -> dict[str, Any]:
    """The JSON Schema shipped with the package (``requirements.schema.json``)."""
    text = resources.files(__package__).joinpath("requirements.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True)
class RequirementsReport:
    """What the export writes: the build's requirements, their verdicts and its findings."""

    trace: RequirementTrace
    verdicts: Mapping[str, RequirementVerification]
    findings: tuple[Problem, ...]  # every finding of the build; each item takes its own
    release: str  # the release the docs describe
    checked_against: str  # the reference the examples ran against
    # Whether the build ran the xenabi-verifies blocks (html and check builds that
    # execute tables): without, every item is unverified for want of a run.
    examples_run: bool = True

    def verdict(self, item: RequirementItem) -> RequirementVerification:
        """The item's verdict; an item the build gave none is unverified."""
        name = str(item.id)
        found = self.verdicts.get(name)
        if found is not None:
            return found
        return RequirementVerification(name, Status.UNVERIFIED, (f"no example verifies {name}",))

    def counts(self) -> dict[str, int]:
        """How many items there are, and how many of each status."""
        counts = {"items": len(self.trace.items)} | {status.value: 0 for status in Status}
        for item in self.trace.items:
            counts[self.verdict(item).status.value] += 1
        return counts


def item_places(item: RequirementItem) -> set[Location]:
    """Every place written as part of ``item``: its id, fields and list entries."""
    places = {item.location, *(f.location for f in item.fields)}
    places.update(link.location for link in item.covers)
    places.update(needed.location for needed in item.needs)
    places.update(p for p in (item.covers_location, item.needs_location) if p is not None)
    return places


def item_findings(item: RequirementItem, findings: Iterable[Problem]) -> list[Problem]:
    """The findings located in ``item`` (its links, its fields, its id), in the build's order."""
    places = item_places(item)
    return [f for f in findings if f.location is not None and f.location in places]


def location_data(location: Location) -> dict[str, Any]:
    return {"file": location.file, "line": location.line}


def finding_data(problem: Problem) -> dict[str, Any]:
    return {
        "subtype": problem.subtype.value,
        "level": problem.level,
        "message": problem.message,
        "location": None if problem.location is None else location_data(problem.location),
    }


def block_data(outcome: BlockOutcome) -> dict[str, Any]:
    """A block as it ran: where, what it verifies, and its first failing example if any."""
    failure = outcome.failure
    return {
        "location": location_data(outcome.block.location),
        "requirements": list(outcome.block.ids),
        "examples": len(outcome.block.examples),
        "passed": failure is None,
        "failure": None
        if failure is None
        else {"location": location_data(failure.example.location), "message": failure.describe()},
    }


def claims_data(item: RequirementItem, blocks: Iterable[BlockOutcome]) -> list[dict[str, Any]]:
    """Each value the item's description and comments state, and whether it is asserted.

    Asserted: a passing example of a block naming the item mentions it
    (:mod:`.claims`); ``missing`` says what no such example mentions.
    """
    mentions = Mentions.of(e.text for o in blocks if o.passed for e in o.block.examples)
    result = []
    for field in item.fields:
        if field.name not in CLAIMING_FIELDS:
            continue
        for claim in claims(field.text):
            missing = mentions.missing(claim)
            result.append(
                {
                    "field": field.name,
                    "text": claim.text,
                    "kind": claim.kind.value,
                    "value": claim.value,
                    "asserted": not missing,
                    "missing": list(missing),
                }
            )
    return result


def _links_data(item: RequirementItem, trace: RequirementTrace) -> dict[str, Any]:
    """The item's links both ways: what it covers, what covers it, what it needs."""
    covered_by = trace.covered_by.get(item.id, ())
    return {
        "covers": [
            {
                "id": str(link.target),
                "location": location_data(link.location),
                # a link holds when the trace counts it as covering its target
                "valid": item.id in trace.covered_by.get(link.target, ()),
            }
            for link in item.covers
        ],
        "covered_by": [str(c) for c in covered_by],
        "needs": [
            {
                "type": needed.artifact_type,
                "location": location_data(needed.location),
                "provided_by": [
                    str(c) for c in covered_by if c.artifact_type == needed.artifact_type
                ],
            }
            for needed in item.needs
        ],
    }


def item_data(item: RequirementItem, report: RequirementsReport) -> dict[str, Any]:
    verdict = report.verdict(item)
    return {
        "id": str(item.id),
        "type": item.id.artifact_type,
        "name": item.id.name,
        "revision": item.id.revision,
        "title": item.title,
        "docname": item.docname,
        "location": location_data(item.location),
        "fields": [
            {"name": f.name, "text": f.text, "location": location_data(f.location)}
            for f in item.fields
        ],
        **_links_data(item, report.trace),
        "status": verdict.status.value,
        "reasons": list(verdict.reasons),
        "blocks": [block_data(o) for o in verdict.blocks],
        "claims": claims_data(item, verdict.blocks),
        "findings": [finding_data(p) for p in item_findings(item, report.findings)],
    }


def to_data(report: RequirementsReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "release": report.release,
        "checked_against": report.checked_against,
        "examples_run": report.examples_run,
        "counts": report.counts(),
        "requirements": [item_data(item, report) for item in report.trace.items],
    }


def to_json(report: RequirementsReport) -> str:
    """The published text: one member, and one requirement item, per line."""
    return one_per_line(to_data(report), levels=2) + "\n"
