"""The build's result: one immutable record of what the extension found.

Produced once per build, at ``env-updated``, from the environment: the
tables and problems the domain holds, the guide map, the reference the gate
compares with, the drift findings, the executed rows and the requirement
items with the checks of their links. Everything after
reads this one record: the html writer (the evidence column), the doctest
namespace, the registry publisher and the command line. Nothing else
recomputes a part of it, and nothing reads it back out of the log.

The messages are the result's own account of every problem it holds, in
the order the build logs them; ``results/settling.py`` logs the ones found
after reading (the reading phase logs its table problems as it goes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING

from sphinx.util.logging import is_suppressed_warning

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.abi import revision_for
from sphinx_xenabi.model.content_key import digest
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import Level, Problem, WarningSubtype, capped
from sphinx_xenabi.model.records import Cell, row_key
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.requirement_trace import RequirementTrace
from sphinx_xenabi.model.row_outcome import EXECUTED_KINDS, RowOutcome
from sphinx_xenabi.results.cached_facts import (
    block_outcomes,
    drift_findings,
    executed_rows,
    registry_key,
)
from sphinx_xenabi.results.early_reading import ask_findings
from sphinx_xenabi.results.guides import build_guide_map
from sphinx_xenabi.results.release import described_release, gate_release
from sphinx_xenabi.results.state import executes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.model.spec import Release
    from sphinx_xenabi.model.verification import (
        BlockOutcome,
        ExampleBlock,
        RequirementVerification,
    )
    from sphinx_xenabi.results.reference_choice import Reference


@dataclass(frozen=True)
class BuildResult:
    """What one build found; read by every later phase and by the command line."""

    registry: Registry
    documents: int  # how many documents the build read
    reference: Reference
    release: Release  # what tables that state no release are checked against
    release_note: str | None  # why that release was guessed, when it was
    findings: tuple[Problem, ...]  # the drift check's: drift and unchecked
    executed: tuple[RowOutcome, ...]  # the rows as they ran (html and check builds)
    # The xenabi-verifies blocks as they ran against the reference (html and check builds).
    verifications: tuple[BlockOutcome, ...]
    # What each executed row's page shows, by its first cell: a row the drift
    # gate rejects fails there even when it ran clean.
    outcomes: Mapping[Location, RowOutcome]
    # Every problem shown, in the order the build logs them (suppress_warnings
    # applies); the first ``logged_while_reading`` were logged as documents were read.
    reports: tuple[Problem, ...]
    logged_while_reading: int
    summaries: tuple[Problem, ...]  # "...; the build fails" lines, one per failing check
    problems: int  # table problems found while reading, all of them
    # Every requirement item read, the links between them and the problems with the links.
    requirements: RequirementTrace = dataclasses.field(default_factory=lambda: RequirementTrace(()))
    # Each requirement item's verdict (verified, failed, unverified), by its id.
    verdicts: Mapping[str, RequirementVerification] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def failed(self) -> bool:
        """The build fails: the reference could not be read, or a check failed."""
        return self.reference.error is not None or bool(self.summaries)

    @property
    def drift(self) -> int:
        return sum(1 for f in self.findings if f.subtype is WarningSubtype.DRIFT)

    @property
    def unchecked(self) -> int:
        return len({f.location for f in self.findings if f.subtype is WarningSubtype.UNCHECKED})

    @property
    def execution_failures(self) -> int:
        return sum(1 for o in self.executed if not o.ok)

    @property
    def verification_failures(self) -> int:
        return sum(1 for o in self.verifications if not o.passed)


# -- production ---------------------------------------------------------------


def _executed_rows(registry: Registry) -> Iterator[tuple[Location, tuple[Location, ...]]]:
    """Each executed row's key (its first cell's place) and the places of all its cells."""
    for table in registry.tables:
        if table.kind in EXECUTED_KINDS:
            for row in table.rows:
                cells = (getattr(row, f.name) for f in fields(row))
                yield row_key(row), tuple(c.location for c in cells if isinstance(c, Cell))


def reject_drifted(
    outcomes: Mapping[Location, RowOutcome], registry: Registry, findings: Iterable[Problem]
) -> dict[Location, RowOutcome]:
    """Fail every executed row the drift gate rejects, whatever running it showed.

    Rows run on a dispatcher built from the docs' own tables, so a row that
    contradicts the reference (six parameters where Xen passes five) runs
    clean; with ``xenabi_drift = "warning"`` the page is still written, and
    must not show that row as passing.
    """
    rejected: dict[Location, list[str]] = {}
    for finding in findings:
        if finding.subtype is WarningSubtype.DRIFT and finding.location is not None:
            rejected.setdefault(finding.location, []).append(finding.message)
    result = dict(outcomes)
    if not rejected:
        return result
    for key, cells in _executed_rows(registry):
        outcome = result.get(key)
        messages = [m for cell in cells for m in rejected.get(cell, ())]
        if outcome is None or not messages:
            continue
        verdict = f"rejected by the drift gate: {'; '.join(dict.fromkeys(messages))}"
        ran = (
            ". It ran clean only because the dispatcher is built from this table: "
            if outcome.ok
            else "; "
        )
        result[key] = replace(outcome, ok=False, summary=verdict + ran + outcome.summary)
    return result


def one_report_per_fault(
    findings: Iterable[Problem], executed: Iterable[RowOutcome], registry: Registry
) -> tuple[list[Problem], list[Problem]]:
    """The drift findings and the failed rows' problems, one report per fault.

    A row whose cell the drift gate rejects and whose run failed is one
    mistake: its drift finding carries what the run showed, and the row
    adds no report of its own. A failed row without a drift finding (the
    docs agree with the reference, yet the row does not run) reports alone.
    """
    row_of_cell: dict[Location, Location] = {}
    for key, cells in _executed_rows(registry):
        for cell in cells:
            row_of_cell.setdefault(cell, key)
    drift = [f for f in findings if f.subtype is WarningSubtype.DRIFT]
    first_finding: dict[Location, int] = {}
    for index, finding in enumerate(drift):
        at = row_of_cell.get(finding.location) if finding.location is not None else None
        if at is not None:
            first_finding.setdefault(at, index)
    execution: list[Problem] = []
    for outcome in executed:
        if outcome.ok:
            continue
        found = first_finding.get(outcome.row)
        if found is None:
            execution.append(
                Problem(WarningSubtype.EXECUTION, _execution_text(outcome), outcome.location)
            )
        else:
            finding = drift[found]
            ran = f"; on the emulated CPU the row failed: {_execution_text(outcome)}"
            drift[found] = replace(finding, message=finding.message + ran)
    return drift, execution


def _rows_found(
    app: Sphinx, cache: FactCache, registry: Registry, tables_key: str, release: Release
) -> Callable[[], tuple[RowOutcome, ...]]:
    """The executed rows' outcomes, to call for; none in a build that runs no rows."""
    if not executes(app):
        return lambda: ()
    from sphinx_xenabi.results.row_worker import start_rows

    return executed_rows(cache, registry, tables_key, release, partial(start_rows, app))


def produce_result(
    app: Sphinx, env: BuildEnvironment, cache: FactCache, reference: Reference
) -> BuildResult:
    """Turn the environment into the build's result (run at env-updated, unless reused).

    What did not change since the last build is reused from ``cache`` (see
    cached_facts); the caller saves it.
    """
    registry, orphans = _assemble(app, env)
    release, release_note = gate_release(registry)
    tables_key = registry_key(registry)
    # The worker that read the source checks the tables while the row worker
    # runs the rows; without the one, the check runs here, beside the other.
    findings_found = drift_findings(
        cache, registry, tables_key, release, reference, partial(ask_findings, app)
    )
    rows_found = _rows_found(app, cache, registry, tables_key, release)
    # While the workers check and run the tables, the examples run and the
    # requirement items are traced and verified here: neither needs the tables' facts.
    verifications = run_verifications(app, env, reference, release, cache)
    requirements, verdicts = _requirement_verdicts(env, verifications)
    findings = findings_found()
    executed = rows_found()
    outcomes = reject_drifted({o.row: o for o in executed}, registry, findings)
    reports = _Reports(app)
    reports.extend(_read_problems(env))
    logged_while_reading = len(reports.shown)
    reports.extend(_orphan_reports(env, orphans))
    reports.extend(_reference_reports(reference))
    reports.extend(_finding_reports(findings))
    reports.extend(requirements.problems)
    reports.extend(p for _, problems in verdicts.values() for p in problems)
    drift, execution = one_report_per_fault(findings, executed, registry)
    reports.failing(drift, f"disagreement(s) between the docs and {reference.name}")
    reports.failing(execution, "table row(s) failed when executed on the emulated CPU")
    if verifications:
        from sphinx_xenabi.results.verification import verification_problems

        reports.failing(
            list(verification_problems(verifications)), "xenabi-verifies example block(s) failed"
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
        verifications=verifications,
        outcomes=MappingProxyType(outcomes),
        reports=tuple(reports.shown),
        logged_while_reading=logged_while_reading,
        summaries=tuple(reports.summaries),
        problems=problems,
        requirements=requirements,
        verdicts=MappingProxyType({name: verdict for name, (verdict, _) in verdicts.items()}),
    )


def _requirement_verdicts(
    env: BuildEnvironment, verifications: tuple[BlockOutcome, ...]
) -> tuple[RequirementTrace, dict[str, tuple[RequirementVerification, tuple[Problem, ...]]]]:
    """The requirement items linked, and each one's verdict with its problems.

    Docs without items (most trees) load none of the requirement code.
    """
    items = xenabi_domain(env).all_requirements()
    if not items:
        return RequirementTrace(()), {}
    from sphinx_xenabi.model.requirements import trace_requirements
    from sphinx_xenabi.model.verification import verify_item

    trace = trace_requirements(items)
    return trace, {str(item.id): verify_item(item, verifications) for item in trace.items}


def run_verifications(
    app: Sphinx,
    env: BuildEnvironment,
    reference: Reference,
    release: Release,
    cache: FactCache | None = None,
) -> tuple[BlockOutcome, ...]:
    """Every ``xenabi-verifies`` block run on the reference, in a build that executes rows.

    None run when the Xen source cannot be read (that error fails the
    build); before the first modelled release, each block fails, saying so.
    """
    blocks = xenabi_domain(env).all_verifications()
    if not blocks or not executes(app) or reference.error is not None:
        return ()

    def run(todo: Sequence[ExampleBlock]) -> tuple[BlockOutcome, ...]:
        # The examples' runner (doctest, the dispatcher, the emulator) loads only to run.
        from sphinx_xenabi.results.verification import not_run, run_on_reference

        spec = reference.spec
        if spec is None:
            try:
                spec = revision_for(release)
            except ValueError as exc:
                return not_run(todo, str(exc))
        return run_on_reference(todo, spec, reference.source)

    if cache is None:
        return run(blocks)
    return block_outcomes(cache, blocks, digest(reference.key, str(release)), run)


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


def _read_problems(env: BuildEnvironment) -> Iterator[Problem]:
    """What the reading phase logged, document by document, as it logged it.

    A document's directive errors come first (logged while it is parsed),
    then its table problems (logged once its tables are read), then its
    requirement items' problems.
    """
    domain = xenabi_domain(env)
    problems, directive_errors = domain.problems, domain.directive_errors
    requirements = domain.requirement_problems
    # Sphinx's reading order
    for docname in sorted(problems.keys() | directive_errors.keys() | requirements.keys()):
        yield from directive_errors.get(docname, ())
        yield from capped(problems.get(docname, ()))
        yield from requirements.get(docname, ())


def _orphan_reports(env: BuildEnvironment, orphans: Iterable[str]) -> Iterator[Problem]:
    for docname in orphans:
        yield Problem(
            WarningSubtype.ORPHAN,
            "document is reachable from no guide listed by the root document's toctrees; "
            "its tables are recorded without a guide",
            Location(env.doc2path(docname, False).as_posix(), 0),  # the whole document
        )


def _reference_reports(reference: Reference) -> Iterator[Problem]:
    if reference.error is not None:
        yield Problem(WarningSubtype.SOURCE, reference.error, level="error")
    for problem in reference.contradictions:
        yield Problem(WarningSubtype.SOURCE, f"the Xen source contradicts itself: {problem}")


def _finding_reports(findings: Iterable[Problem]) -> Iterator[Problem]:
    """``unchecked`` informs at its cell; drift is a failing check (below)."""
    return (f for f in findings if f.subtype is not WarningSubtype.DRIFT)


class _Reports:
    """Collects the reports a project shows (``suppress_warnings`` drops the rest)."""

    def __init__(self, app: Sphinx) -> None:
        self._suppressed = app.config.suppress_warnings
        self._fails = app.config.xenabi_drift != "warning"
        self.shown: list[Problem] = []
        self.summaries: list[Problem] = []

    def _visible(self, subtype: WarningSubtype) -> bool:
        return not is_suppressed_warning("xenabi", subtype.value, self._suppressed)

    def extend(self, reports: Iterable[Problem]) -> None:
        self.shown.extend(r for r in reports if self._visible(r.subtype))

    def failing(self, failures: list[Problem], what: str) -> None:
        """A check's failures at their cells, by ``xenabi_drift``; a summary if it fails.

        At most MAX_PER_CELL of a kind per cell (see :func:`capped`); the
        summary counts them all. A build never fails on failures it does
        not show: suppressing the subtype silences the check whole.
        """
        shown = [f for f in failures if self._visible(f.subtype)]
        level: Level = "error" if self._fails else "warning"
        self.shown.extend(f.at_level(level) for f in capped(shown))
        if self._fails and shown:
            self.summaries.append(
                Problem(
                    shown[0].subtype,
                    f'xenabi: {len(shown)} {what}; the build fails (set xenabi_drift = "warning" '
                    "to report this as warnings instead)",
                    level="error",
                )
            )
