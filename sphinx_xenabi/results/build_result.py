"""The build's result: one immutable record of what the extension found.

Produced once per build, at ``env-updated``, from the environment: the
tables and problems the domain holds, the guide map, the reference the gate
compares with, the drift findings and the executed rows. Everything after
reads this one record: the html writer (the evidence column), the doctest
namespace, the registry publisher and the command line. Nothing else
recomputes a part of it, and nothing reads it back out of the log.

The messages are the result's own account of every problem it holds, in
the order the build logs them; :func:`report_result` logs the ones found
after reading (the reading phase logs its table problems as it goes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from sphinx.util.logging import is_suppressed_warning

from sphinx_xenabi.cli.check_formats import Message
from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.results.evidence_column import executes, reject_drifted
from sphinx_xenabi.results.guides import build_guide_map
from sphinx_xenabi.log import bounded, capped, error, location_string, logger, warn
from sphinx_xenabi.model.drift import Finding, check_registry
from sphinx_xenabi.model.registry import Location, Registry
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.results.reference_choice import Reference, load_reference
from sphinx_xenabi.results.release import described_release, gate_release
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.emulator.row_execution import RowOutcome

Level = Literal["warning", "error"]


@dataclass(frozen=True)
class Report:
    """One problem of the build, where it is and how it is logged."""

    subtype: str
    level: Level
    text: str
    location: Location | None = None  # a table cell
    docname: str | None = None  # a whole document (an orphan)
    read: bool = False  # logged by the reading phase already


@dataclass(frozen=True)
class BuildResult:
    """What one build found; read by every later phase and by the command line."""

    registry: Registry
    documents: int  # how many documents the build read
    reference: Reference
    release: Release  # what tables that state no release are checked against
    release_note: str | None  # why that release was guessed, when it was
    findings: tuple[Finding, ...]
    executed: tuple[RowOutcome, ...]  # the rows as they ran (html and check builds)
    # What each executed row's page shows, by its first cell: a row the drift
    # gate rejects fails there even when it ran clean.
    outcomes: Mapping[Location, RowOutcome]
    reports: tuple[Report, ...]  # shown ones only: suppress_warnings applies
    summaries: tuple[Report, ...]  # "...; the build fails" lines, one per failing check
    problems: int  # table problems found while reading, all of them

    @property
    def failed(self) -> bool:
        """The build fails: the reference could not be read, or a check failed."""
        return self.reference.error is not None or bool(self.summaries)

    @property
    def drift(self) -> int:
        return sum(1 for f in self.findings if f.subtype == "drift")

    @property
    def unchecked(self) -> int:
        return len({f.location for f in self.findings if f.subtype == "unchecked"})

    @property
    def execution_failures(self) -> int:
        return sum(1 for o in self.executed if not o.ok)

    def messages(self, srcdir: Path, doc_path: Mapping[str, Path]) -> tuple[Message, ...]:
        """The reports as located messages (``check``'s findings), absolute paths."""
        return tuple(_message(r, srcdir, doc_path) for r in self.reports)


def _message(report: Report, srcdir: Path, doc_path: Mapping[str, Path]) -> Message:
    if report.location is not None:
        file, line = str(srcdir / report.location.file), report.location.line or None
    elif report.docname is not None:
        file, line = str(doc_path[report.docname]), None
    else:
        file, line = None, None
    return Message(file, line, report.level, report.subtype, bounded(report.text))


# -- production ---------------------------------------------------------------


def produce_result(app: Sphinx, env: BuildEnvironment) -> BuildResult:
    """Turn the environment into the build's result (run once, at env-updated)."""
    registry, orphans = _assemble(app, env)
    reference = load_reference(app)
    release, release_note = gate_release(registry)
    findings: tuple[Finding, ...] = ()
    if reference.error is None:
        findings = tuple(check_registry(registry, release, reference.spec))
    executed: tuple[RowOutcome, ...] = ()
    if executes(app):
        # Deferred: the emulator (Unicorn) is loaded only by builds that run tables.
        from sphinx_xenabi.emulator.row_execution import execute_registry

        executed = tuple(execute_registry(registry, release))
    outcomes = reject_drifted({o.row: o for o in executed}, registry, findings)
    reports = _Reports(app)
    reports.extend(_read_problems(env))
    reports.extend(_orphan_reports(orphans))
    reports.extend(_reference_reports(reference))
    reports.extend(_finding_reports(findings))
    reports.failing(
        [
            (WarningSubtype.DRIFT, f.message, f.location)
            for f in findings
            if f.subtype == WarningSubtype.DRIFT
        ],
        f"disagreement(s) between the docs and {reference.name}",
    )
    reports.failing(
        [(WarningSubtype.EXECUTION, _execution_text(o), o.location) for o in executed if not o.ok],
        "table row(s) failed when executed on the emulated CPU",
    )
    problems = sum(len(p) for p in xenabi_domain(env).problems.values())
    return BuildResult(
        registry=registry,
        documents=len(env.found_docs),
        reference=reference,
        release=release,
        release_note=release_note,
        findings=findings,
        executed=executed,
        outcomes=MappingProxyType(outcomes),
        reports=tuple(reports.shown),
        summaries=tuple(reports.summaries),
        problems=problems,
    )


def _execution_text(outcome: RowOutcome) -> str:
    return "; ".join(dict.fromkeys(outcome.details or (outcome.summary,)))


def _assemble(app: Sphinx, env: BuildEnvironment) -> tuple[Registry, list[str]]:
    """The registry of everything read, tables tagged with their guide; and the orphans."""
    titles = {docname: title.astext() for docname, title in env.titles.items()}
    guide_map = build_guide_map(app.config.root_doc, env.toctree_includes, titles, env.found_docs)
    domain = xenabi_domain(env)
    # A page without ABI tables loses nothing by being in no guide.
    orphans = [d for d in guide_map.unreachable if domain.tables.get(d)]
    tables = tuple(
        dataclasses.replace(t, guide=guide_map.guide_of.get(t.docname)) for t in domain.all_tables()
    )
    registry = Registry(release=described_release(app), guides=guide_map.guides, tables=tables)
    return registry, orphans


def _read_problems(env: BuildEnvironment) -> Iterator[Report]:
    """What the reading phase logged, document by document, as it logged it.

    A document's directive errors come first (logged while it is parsed),
    then its table problems (logged once its tables are read).
    """
    domain = xenabi_domain(env)
    problems, directive_errors = domain.problems, domain.directive_errors
    for docname in sorted(problems.keys() | directive_errors.keys()):  # Sphinx's reading order
        for fault in directive_errors.get(docname, ()):
            yield Report(fault.subtype, "error", fault.message, fault.location, read=True)
        shown = capped((p.subtype, p.message, p.location) for p in problems.get(docname, ()))
        for subtype, text, location in shown:
            yield Report(subtype, "warning", text, location, read=True)


def _orphan_reports(orphans: Iterable[str]) -> Iterator[Report]:
    for docname in orphans:
        yield Report(
            "orphan",
            "warning",
            "document is reachable from no guide listed by the root document's toctrees; "
            "its tables are recorded without a guide",
            docname=docname,
        )


def _reference_reports(reference: Reference) -> Iterator[Report]:
    if reference.error is not None:
        yield Report("source", "error", reference.error)
    for problem in reference.contradictions:
        yield Report("source", "warning", f"the Xen source contradicts itself: {problem}")


def _finding_reports(findings: Iterable[Finding]) -> Iterator[Report]:
    """``unchecked`` informs at its cell; drift is a failing check (below)."""
    for finding in findings:
        if finding.subtype != "drift":
            yield Report(finding.subtype, "warning", finding.message, finding.location)


class _Reports:
    """Collects the reports a project shows (``suppress_warnings`` drops the rest)."""

    def __init__(self, app: Sphinx) -> None:
        self._suppressed = app.config.suppress_warnings
        self._fails = app.config.xenabi_drift != "warning"
        self.shown: list[Report] = []
        self.summaries: list[Report] = []

    def _visible(self, subtype: str) -> bool:
        return not is_suppressed_warning("xenabi", subtype, self._suppressed)

    def extend(self, reports: Iterable[Report]) -> None:
        self.shown.extend(r for r in reports if self._visible(r.subtype))

    def failing(self, failures: list[tuple[str, str, Location]], what: str) -> None:
        """A check's failures at their cells, by ``xenabi_drift``; a summary if it fails.

        At most MAX_PER_CELL of a kind per cell (see :func:`capped`); the
        summary counts them all. A build never fails on failures it does
        not show: suppressing the subtype silences the check whole.
        """
        shown = [f for f in failures if self._visible(f[0])]
        level: Level = "error" if self._fails else "warning"
        self.shown.extend(Report(s, level, text, loc) for s, text, loc in capped(shown))
        if self._fails and shown:
            self.summaries.append(
                Report(
                    shown[0][0],
                    "error",
                    f'xenabi: {len(shown)} {what}; the build fails (set xenabi_drift = "warning" '
                    "to report this as warnings instead)",
                )
            )


# -- reporting ----------------------------------------------------------------


def report_result(app: Sphinx, result: BuildResult) -> None:
    """Log what the build found after reading, at its cells; fail the build if it must."""
    if result.reference.note is not None:
        logger.info(result.reference.note)
    elif result.release_note is not None and result.reference.error is None:
        logger.info(result.release_note)
    for report in result.reports:
        if not report.read:
            _log(app, report)
    if result.executed:
        ran = sum(1 for o in result.executed if o.ok)
        logger.info(
            "xenabi: executed %d of %d table rows on the emulated CPU", ran, len(result.executed)
        )
    for summary in result.summaries:
        _log(app, summary)
    if result.failed:
        app.statuscode = 1


def _log(app: Sphinx, report: Report) -> None:
    location: str | tuple[str, None] | None = None
    if report.location is not None:
        location = location_string(Path(app.srcdir), report.location)
    elif report.docname is not None:
        location = (report.docname, None)  # Sphinx prints the document's path
    (error if report.level == "error" else warn)(report.subtype, report.text, location)
