"""The drift gate in the build: report findings at their cells, fail the build.

By default (``xenabi_drift = "error"``) a disagreement is logged as an error
and the build exits non-zero in every builder, with or without ``-W``;
``xenabi_drift = "warning"`` reports the same findings as warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_xenabi.messages import location_string, logger, report_failures, warn
from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE, NEWEST_RELEASE_RANGE
from sphinx_xenabi.model.drift import Finding, check_registry
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.reference import Reference, load_reference

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def gate_release(registry: Registry) -> tuple[Release, str | None]:
    """The release unranged tables are checked against, and a note if guessed."""
    release = registry.described_release
    if release is not None:
        return release, None
    newest = NEWEST_MODELLED_RELEASE
    stated = (
        f"the documented release {registry.release!r} is not MAJOR.MINOR"
        if registry.release.strip()
        else "the project states no release (set release or xenabi_xen_release in conf.py)"
    )
    note = (
        f"xenabi: {stated}; checking tables that state no release against the newest "
        f"model revision ({NEWEST_RELEASE_RANGE}) as it stands in Xen {newest}"
    )
    return newest, note


def report_findings(app: Sphinx, findings: list[Finding], reference: str) -> bool:
    """Log each finding at its cell; True when the build must fail."""
    drift = [(f.subtype, f.message, f.location) for f in findings if f.subtype == "drift"]
    for finding in findings:
        if finding.subtype != "drift":  # "unchecked" informs, it never fails
            warn(finding.subtype, finding.message, location_string(app.srcdir, finding.location))
    return report_failures(
        app, drift, f"{len(drift)} disagreement(s) between the docs and {reference}"
    )


def run_gate(app: Sphinx, registry: Registry) -> tuple[list[Finding], bool, Reference]:
    """Check the registry, report at the cells; the findings, whether to fail, the reference."""
    reference = load_reference(app)
    if reference.error is not None:
        return [], True, reference
    release, note = gate_release(registry)
    if note is not None and reference.source is None:
        logger.info(note)
    findings = check_registry(registry, release, reference.spec)
    return findings, report_findings(app, findings, reference.name), reference
