"""``check``'s results for CI: JSON, GitHub workflow commands, JUnit XML.

The findings are the build result's messages (printed as the build logs
them: ``PATH:LINE: ERROR: MESSAGE [xenabi.SUBTYPE]``), matched to the
registry's rows by the cells they point at: each row becomes a JUnit test
case, failing when a finding lies in one of its cells. No Sphinx here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry import Cell, Location, NumberRow, RegisterRow, Registry, Row

FORMATS = ("text", "json", "github", "junit")
REPORT_SCHEMA_VERSION = 1
# Subtypes that inform and never make check exit 1.
INFORMATIONAL = frozenset({WarningSubtype.UNCHECKED, WarningSubtype.ORPHAN, WarningSubtype.SOURCE})

_LINE = re.compile(
    r"^(?:(?P<file>.+?)(?::(?P<line>\d+))?: )?(?P<level>WARNING|ERROR|CRITICAL): "
    r"(?P<text>.*) \[xenabi\.(?P<subtype>[a-z-]+)\]$"
)


@dataclass(frozen=True)
class Message:
    """One located finding of the build."""

    file: str | None  # absolute, as the build prints it
    line: int | None
    level: str  # "error" or "warning"
    subtype: str
    text: str

    @property
    def fails(self) -> bool:
        return self.subtype not in INFORMATIONAL

    @property
    def line_text(self) -> str:
        """The message as a Sphinx build prints it (:func:`parse_message` reads it back)."""
        where = (
            ""
            if self.file is None
            else f"{self.file}:{self.line}: "
            if self.line
            else f"{self.file}: "
        )
        return f"{where}{self.level.upper()}: {self.text} [xenabi.{self.subtype}]"


def parse_message(line: str) -> Message | None:
    match = _LINE.match(line)
    if match is None:
        return None
    return Message(
        match["file"],
        int(match["line"]) if match["line"] else None,
        "warning" if match["level"] == "WARNING" else "error",
        match["subtype"],
        match["text"],
    )


@dataclass
class Case:
    """A table row (or a table, or a stray finding) as one test case."""

    name: str
    file: str
    line: int | None
    messages: list[Message] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(m.fails for m in self.messages)


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
    messages: tuple[Message, ...]


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
    root = report.docs_dir.resolve()
    by_place: dict[tuple[str, int | None], list[Message]] = {}
    for message in report.messages:
        if message.file is not None:
            by_place.setdefault((message.file, message.line), []).append(message)
    placed: set[int] = set()

    def take(location: Location) -> list[Message]:
        found = by_place.get((str(root / location.file), location.line), [])
        placed.update(id(m) for m in found)
        return list(found)

    result: list[Suite] = []
    for table in report.registry.tables:
        cases = []
        for row in table.rows:
            cells = list(_cells(row))
            case = Case(
                _row_label(row), table.location.file, cells[0].location.line if cells else None
            )
            for location in dict.fromkeys(c.location for c in cells):
                case.messages.extend(take(location))
            cases.append(case)
        # Findings about the whole table (its title, header, a missing row).
        whole = [m for c in (table.location, *(h.location for h in table.header)) for m in take(c)]
        if whole:
            cases.append(Case("(whole table)", table.location.file, table.location.line, whole))
        name = f"{table.location} {table.kind.value}"
        result.append(
            Suite(name, table.kind.value, table.location.file, table.location.line, cases)
        )
    stray = [m for m in report.messages if id(m) not in placed]
    if stray:
        cases = [
            Case(f"{m.file or ''}:{m.line or ''} xenabi.{m.subtype}", m.file or "", m.line, [m])
            for m in stray
        ]
        result.append(Suite("other findings", "other", "", None, cases))
    return result


# -- JSON -------------------------------------------------------------------------


def report_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("check_report.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _message_data(message: Message) -> dict[str, Any]:
    return {
        "file": message.file,
        "line": message.line,
        "level": message.level,
        "subtype": message.subtype,
        "message": message.text,
    }


def to_json(report: CheckReport) -> str:
    data = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generator": f"sphinx-xenabi {__version__}",
        "docs_dir": str(report.docs_dir.resolve()),
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
                        "messages": [m.text for m in case.messages],
                    }
                    for case in suite.cases
                ],
            }
            for suite in suites(report)
            if suite.kind != "other"
        ],
        "messages": [_message_data(m) for m in report.messages],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


# -- GitHub workflow commands -----------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _shown_path(file: str) -> str:
    """Relative to the working directory (the checkout, in a workflow) when under it."""
    path = Path(file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return file


def to_github(report: CheckReport) -> str:
    lines = []
    for message in report.messages:
        properties = [f"title={_escape_property('xenabi.' + message.subtype)}"]
        if message.file is not None:
            properties.insert(0, f"file={_escape_property(_shown_path(message.file))}")
            if message.line is not None:
                properties.insert(1, f"line={message.line}")
        lines.append(f"::{message.level} {','.join(properties)}::{_escape_data(message.text)}")
    lines.append(report.summary)
    return "\n".join(lines) + "\n"


# -- JUnit XML --------------------------------------------------------------------


def to_junit(report: CheckReport) -> str:
    all_suites = suites(report)
    root = ElementTree.Element("testsuites", name="sphinx-xenabi check")
    total = failures = 0
    for suite in all_suites:
        failed = sum(1 for c in suite.cases if c.failed)
        element = ElementTree.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(failed),
            errors="0",
            skipped="0",
        )
        total += len(suite.cases)
        failures += failed
        for case in suite.cases:
            attributes = {"classname": f"xenabi.{suite.kind}.{suite.file}", "name": case.name}
            if case.file:
                attributes["file"] = case.file
            if case.line is not None:
                attributes["line"] = str(case.line)
            testcase = ElementTree.SubElement(element, "testcase", attributes)
            for message in case.messages:
                tag = "failure" if message.fails else "system-out"
                child = ElementTree.SubElement(testcase, tag)
                if message.fails:
                    child.set("type", f"xenabi.{message.subtype}")
                    child.set("message", message.text)
                child.text = f"{message.file}:{message.line}: {message.text}"
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render(output_format: str, report: CheckReport) -> str:
    if output_format == "json":
        return to_json(report)
    if output_format == "github":
        return to_github(report)
    if output_format == "junit":
        return to_junit(report)
    raise ValueError(f"unknown format {output_format!r}")
