"""``check``'s results for CI: JSON, GitHub workflow commands, GitLab Code Quality (and the
cases JUnit XML is made of, written by :mod:`.check_junit`).

Every format names a file the same way (:func:`shown_path`): relative to the
directory ``check`` ran in when the file is under it (a CI job's checkout),
else absolute; JSON states that directory. The findings are the build result's problems (printed as the build logs
them: ``PATH:LINE: ERROR: MESSAGE [xenabi.SUBTYPE]``), matched to the
registry's rows by the cells they point at: each row becomes a JUnit test
case, failing when a finding lies in one of its cells. Each requirement
item is a case too (``check_requirements``): failing on a failed example
or a broken link, skipped when unverified. No Sphinx here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.records import Cell, NumberRow, RegisterRow, Row

if TYPE_CHECKING:
    from sphinx_xenabi.cli.check_requirements import RequirementCase
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.registry import Registry

REPORT_SCHEMA_VERSION = 1


def problem_file(problem: Problem, docs_dir: Path) -> str | None:
    """The problem's file, absolute, as the build prints it; None for the build as a whole."""
    return None if problem.location is None else str(docs_dir / problem.location.file)


def problem_line(problem: Problem) -> int | None:
    return problem.location.line or None if problem.location is not None else None


def shown_path(file: str | Path, base: Path | None = None) -> str:
    """``file`` relative to ``base`` (default: the working directory) when under it, else
    absolute: how every format names a file, so CI finds it from where ``check`` ran."""
    path = _resolved(str(file))
    try:
        return path.relative_to(_resolved(str(base or Path.cwd()))).as_posix()
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=4096)
def _resolved(path: str) -> Path:
    # A tree's findings name the same few files many times: one resolve each.
    return Path(path).resolve()


def forget_resolved_paths() -> None:
    """Drop the resolved paths: a link may point elsewhere by the next run in this process."""
    _resolved.cache_clear()


def line_text(problem: Problem, docs_dir: Path, base: Path | None = None) -> str:
    """The problem as a Sphinx build prints it: ``PATH:LINE: ERROR: TEXT [xenabi.SUBTYPE]``.

    The path is absolute, as Sphinx prints it; with ``base``, relative to it
    when under it (``check`` passes its working directory, as every format does).
    """
    file, line = problem_file(problem, docs_dir), problem_line(problem)
    if file is not None and base is not None:
        file = shown_path(file, base)
    where = "" if file is None else f"{file}:{line}: " if line else f"{file}: "
    return f"{where}{problem.level.upper()}: {problem.message} [xenabi.{problem.subtype}]"


@dataclass
class Case:
    """A table row (or a table, or a stray finding) as one test case."""

    name: str
    file: str
    line: int | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.fails for p in self.problems)


@dataclass
class Suite:
    name: str
    kind: str
    file: str
    line: int | None
    cases: list[Case]


@dataclass(frozen=True)
class CheckReport:
    """Everything ``check`` found, ready to render."""

    docs_dir: Path
    checked_against: str
    exit_code: int
    summary: str
    registry: Registry
    problems: tuple[Problem, ...]
    requirements: tuple[RequirementCase, ...] = ()
    # Where check ran: the files every format names are relative to it.
    working_dir: Path = field(default_factory=Path.cwd)

    @property
    def root(self) -> Path:
        """The docs directory as the build read it: locations are relative to it."""
        return self.docs_dir.resolve()

    def shown(self, docs_file: str) -> str:
        """A file named relative to the docs directory, as every format shows it."""
        return shown_path(self.root / docs_file, self.working_dir)

    def problem_path(self, problem: Problem) -> str | None:
        """The problem's file as every format shows it; None for the build as a whole."""
        file = problem_file(problem, self.root)
        return None if file is None else shown_path(file, self.working_dir)


def _row_label(row: Row) -> str:
    if isinstance(row, RegisterRow):
        return row.abi.value
    if isinstance(row, NumberRow):
        return f"{row.number.value} {row.name.value}"
    return row.guest.value


def _cells(row: Row) -> Iterator[Cell[Any]]:
    for item in fields(row):
        value = getattr(row, item.name)
        if isinstance(value, Cell):
            yield value
        elif isinstance(value, dict):
            yield from value.values()


def suites(report: CheckReport) -> list[Suite]:
    """One suite per table, one case per row; findings placed at their cells."""
    by_place: dict[tuple[str, int | None], list[Problem]] = {}
    for problem in report.problems:
        file = problem_file(problem, report.root)
        if file is not None:
            by_place.setdefault((file, problem_line(problem)), []).append(problem)
    # A requirement's findings are its case's (see requirement_suite).
    placed: set[int] = {id(p) for case in report.requirements for p in case.problems}

    def take(location: Location) -> list[Problem]:
        found = by_place.get((str(report.root / location.file), location.line), [])
        placed.update(id(m) for m in found)
        return list(found)

    result: list[Suite] = []
    for table in report.registry.tables:
        file = report.shown(table.location.file)
        cases = []
        for row in table.rows:
            cells = list(_cells(row))
            case = Case(
                _row_label(row),
                report.shown(table.location.file),
                cells[0].location.line if cells else None,
            )
            for location in dict.fromkeys(c.location for c in cells):
                case.problems.extend(take(location))
            cases.append(case)
        # Findings about the whole table (its title, header, a missing row).
        whole = [m for c in (table.location, *(h.location for h in table.header)) for m in take(c)]
        if whole:
            cases.append(Case("(whole table)", file, table.location.line, whole))
        name = f"{file}:{table.location.line} {table.kind.value}"
        result.append(Suite(name, table.kind.value, file, table.location.line, cases))
    stray = [p for p in report.problems if id(p) not in placed]
    if stray:
        cases = [_stray_case(p, report) for p in stray]
        result.append(Suite("other findings", "other", "", None, cases))
    return result


def _stray_case(problem: Problem, report: CheckReport) -> Case:
    file, line = report.problem_path(problem) or "", problem_line(problem)
    return Case(f"{file}:{line or ''} xenabi.{problem.subtype}", file, line, [problem])


# -- JSON -------------------------------------------------------------------------


def report_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("check_report.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _problem_data(problem: Problem, report: CheckReport) -> dict[str, Any]:
    return {
        "file": report.problem_path(problem),
        "line": problem_line(problem),
        "level": problem.level,
        "subtype": problem.subtype.value,
        "message": problem.message,
    }


def _requirement_data(case: RequirementCase, report: CheckReport) -> dict[str, Any]:
    return {
        "id": case.id,
        "type": case.artifact_type,
        "title": case.title,
        "file": report.shown(case.location.file),
        "line": case.location.line,
        "status": case.status.value,
        "reasons": list(case.reasons),
        "failed": case.failed,
        "messages": [p.message for p in case.problems],
    }


def to_json(report: CheckReport) -> str:
    data = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generator": f"sphinx-xenabi {__version__}",
        "docs_dir": str(report.root),
        "working_dir": str(report.working_dir.resolve()),
        "checked_against": report.checked_against,
        "exit_code": report.exit_code,
        "summary": report.summary,
        "tables": [
            {
                "kind": suite.kind,
                "file": suite.file,
                "line": suite.line,
                "rows": [
                    {
                        "name": case.name,
                        "line": case.line,
                        "status": "fail" if case.failed else "pass",
                        "messages": [p.message for p in case.problems],
                    }
                    for case in suite.cases
                ],
            }
            for suite in suites(report)
            if suite.kind != "other"
        ],
        "requirements": [_requirement_data(case, report) for case in report.requirements],
        "messages": [_problem_data(p, report) for p in report.problems],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


# -- GitHub workflow commands -----------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: CheckReport) -> str:
    lines = []
    for problem in report.problems:
        file, line = report.problem_path(problem), problem_line(problem)
        properties = [f"title={_escape_property('xenabi.' + problem.subtype)}"]
        if file is not None:
            properties.insert(0, f"file={_escape_property(file)}")
            if line is not None:
                properties.insert(1, f"line={line}")
        lines.append(f"::{problem.level} {','.join(properties)}::{_escape_data(problem.message)}")
    lines.append(report.summary)
    return "\n".join(lines) + "\n"


# -- GitLab Code Quality ----------------------------------------------------------
#
# The report GitLab CI reads from ``artifacts: reports: codequality``: a JSON
# array, one object per finding, with a description, a check name, a
# fingerprint unique to the finding, a severity and the path and first line.

_GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


def _gitlab_issue(problem: Problem, report: CheckReport) -> dict[str, Any]:
    line = problem_line(problem)
    path = report.problem_path(problem) or shown_path(report.root, report.working_dir)
    severity = _GITLAB_SEVERITY[problem.level] if problem.fails else "info"
    identity = f"{problem.subtype}\0{path}\0{line}\0{problem.message}"
    return {
        "description": problem.message,
        "check_name": f"xenabi.{problem.subtype}",
        "fingerprint": hashlib.sha256(identity.encode("utf-8")).hexdigest(),
        "severity": severity,
        "location": {"path": path, "lines": {"begin": line or 1}},
    }


def to_gitlab(report: CheckReport) -> str:
    """Every problem as a Code Quality issue (paths relative to the working directory)."""
    issues = [_gitlab_issue(p, report) for p in report.problems]
    return json.dumps(issues, indent=2) + "\n"


def render(output_format: str, report: CheckReport) -> str:
    """The report in ``json``, ``github`` or ``gitlab`` (``junit``: :mod:`.check_junit`)."""
    if output_format == "json":
        return to_json(report)
    if output_format == "github":
        return to_github(report)
    if output_format == "gitlab":
        return to_gitlab(report)
    raise ValueError(f"unknown format {output_format!r}")
