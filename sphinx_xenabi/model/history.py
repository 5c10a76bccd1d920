"""Drift over a repository's history: each commit's verdict, and the windows of disagreement.

``sphinx-xenabi history`` checks the docs against the source of the same
commit along a range and gives each commit a :class:`Verdict`: the cells at
which the docs disagree with the code, per architecture. :func:`find_windows`
turns the verdicts into :class:`Window` objects: where an architecture's
tables first disagreed with the source, where they first agreed again, how
long that took and which cells and source lines were involved. A
:class:`HistoryReport` is the whole answer; its JSON form is what the
``xenabi-drift-windows`` directive renders, with ``history.schema.json``
as its schema.

No Sphinx or docutils import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.spec import Evidence

FORMAT = "sphinx-xenabi history 1"
SCHEMA_FILENAME = "history.schema.json"


@dataclass(frozen=True)
class Commit:
    """One commit of the range: its id, when it entered the branch, its subject and trailers."""

    sha: str
    when: datetime  # the committer date, in UTC
    date: str  # the committer date as git prints it (ISO 8601, the committer's offset)
    subject: str
    trailers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def day(self) -> str:
        """``2021-12-03``: the day in the committer's own time zone."""
        return self.date[:10]

    def to_data(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "date": self.date,
            "subject": self.subject,
            "trailers": dict(self.trailers),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Commit:
        date = str(data["date"])
        when = datetime.fromisoformat(date).astimezone(UTC)
        trailers = MappingProxyType({str(k): str(v) for k, v in data["trailers"].items()})
        return cls(str(data["sha"]), when, date, str(data["subject"]), trailers)


@dataclass(frozen=True)
class Disagreement:
    """One cell of the docs that disagrees with the source, and the source line it disagrees with.

    ``subject`` names the fact the cell states (an evidence key such as
    ``convention/64bit/parameters``), so the same disagreement is recognised
    from commit to commit while lines move and version strings change.
    """

    architecture: str  # "x86" or "arm"
    subject: str
    cell: Location  # the file relative to the repository's top, the line
    message: str  # as the build's drift error says it at this commit
    source: Evidence | None  # the line of the source that states the fact

    @property
    def key(self) -> tuple[str, str]:
        return self.architecture, self.subject

    def to_data(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "subject": self.subject,
            "cell": {"file": self.cell.file, "line": self.cell.line},
            "message": self.message,
            "source": None if self.source is None else self.source.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Disagreement:
        source = data["source"]
        evidence = None
        if source is not None:
            evidence = Evidence(
                str(source["file"]),
                int(source["line"]),
                str(source["text"]),
                source.get("note", ""),
            )
        cell = data["cell"]
        return cls(
            str(data["architecture"]),
            str(data["subject"]),
            Location(str(cell["file"]), int(cell["line"])),
            str(data["message"]),
            evidence,
        )


@dataclass(frozen=True)
class Verdict:
    """What the check said at one commit.

    ``architectures`` are those the docs have tables for at this commit;
    ``unchecked`` says why there is no verdict (the source could not be
    read), and then the window state carries over from the commit before.
    """

    commit: Commit
    architectures: frozenset[str] = frozenset()
    disagreements: tuple[Disagreement, ...] = ()
    unchecked: str | None = None

    def disagrees(self, architecture: str) -> bool:
        return any(d.architecture == architecture for d in self.disagreements)


class Closure(StrEnum):
    """How a window ended."""

    AGREED = "agreed"  # the first commit at which the tables agree with the source again
    TABLES_REMOVED = "tables-removed"  # the docs no longer have a table of this architecture


@dataclass(frozen=True)
class Window:
    """A run of commits during which one architecture's tables disagreed with the source."""

    architecture: str
    opened: Commit  # the first commit at which they disagreed
    last: Commit  # the last commit at which they still disagreed
    closed: Commit | None  # the first commit at which they no longer did; None: still open
    closure: Closure | None
    commits: int  # commits in disagreement: from ``opened`` up to ``closed``, not counting it
    unchecked: int  # of those, commits whose source could not be read
    disagreements: tuple[Disagreement, ...]  # each cell as the window first showed it
    # The range starts in disagreement: the true opening is older than the range.
    opened_before_range: bool = False
    # The cells as they stood at ``last`` (where an open window's cells are now).
    at_last: tuple[Disagreement, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.closed is None

    @property
    def days(self) -> int:
        """Days from the opening to the closing commit (or to the last commit, while open)."""
        end = self.closed or self.last
        return (end.when - self.opened.when).days

    def to_data(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "opened": self.opened.to_data(),
            "last": self.last.to_data(),
            "closed": None if self.closed is None else self.closed.to_data(),
            "closure": None if self.closure is None else self.closure.value,
            "days": self.days,
            "commits": self.commits,
            "unchecked": self.unchecked,
            "opened_before_range": self.opened_before_range,
            "disagreements": [d.to_data() for d in self.disagreements],
            "at_last": [d.to_data() for d in self.at_last],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Window:
        closed = data["closed"]
        return cls(
            str(data["architecture"]),
            Commit.from_data(data["opened"]),
            Commit.from_data(data["last"]),
            None if closed is None else Commit.from_data(closed),
            None if data["closure"] is None else Closure(data["closure"]),
            int(data["commits"]),
            int(data["unchecked"]),
            tuple(Disagreement.from_data(d) for d in data["disagreements"]),
            bool(data["opened_before_range"]),
            tuple(Disagreement.from_data(d) for d in data["at_last"]),
        )


@dataclass
class _Run:
    """A window being followed through the verdicts."""

    opened: Commit
    last: Commit
    before_range: bool
    commits: int = 0
    unchecked: int = 0
    seen: dict[tuple[str, str], Disagreement] = field(default_factory=dict)
    at_last: tuple[Disagreement, ...] = ()

    def window(self, architecture: str, closed: Commit | None, how: Closure | None) -> Window:
        cells = sorted(self.seen.values(), key=lambda d: (d.cell, d.subject))
        return Window(
            architecture,
            self.opened,
            self.last,
            closed,
            how,
            self.commits,
            self.unchecked,
            tuple(cells),
            self.before_range,
            self.at_last,
        )


def _windows_of(architecture: str, verdicts: Sequence[Verdict]) -> Iterable[Window]:
    run: _Run | None = None
    for index, verdict in enumerate(verdicts):
        present = verdict.unchecked is None and architecture in verdict.architectures
        if verdict.unchecked is not None:
            if run is not None:
                run.commits += 1
                run.unchecked += 1
            continue
        if run is not None and not present:
            yield run.window(architecture, verdict.commit, Closure.TABLES_REMOVED)
            run = None
        elif run is not None and not verdict.disagrees(architecture):
            yield run.window(architecture, verdict.commit, Closure.AGREED)
            run = None
        elif present and verdict.disagrees(architecture):
            if run is None:
                run = _Run(verdict.commit, verdict.commit, before_range=index == 0)
            run.commits += 1
            run.last = verdict.commit
            run.at_last = tuple(d for d in verdict.disagreements if d.architecture == architecture)
            for disagreement in run.at_last:
                run.seen.setdefault(disagreement.key, disagreement)
    if run is not None:
        yield run.window(architecture, None, None)


def find_windows(verdicts: Sequence[Verdict]) -> tuple[Window, ...]:
    """The windows of every architecture, in the order they opened (then by architecture)."""
    architectures = sorted({a for v in verdicts for a in v.architectures})
    windows = [w for a in architectures for w in _windows_of(a, verdicts)]
    return tuple(sorted(windows, key=lambda w: (w.opened.when, w.architecture)))


@dataclass(frozen=True)
class Unchecked:
    """A commit at which the check could not run, and why."""

    commit: Commit
    reason: str


@dataclass(frozen=True)
class HistoryReport:
    """The answer of ``history``: the range, how much was read, and the windows."""

    repository: str  # as the user named it
    docs: str  # the docs directory, relative to the repository's top
    range: str
    first: Commit
    last: Commit
    commits: int
    checked_from: Commit | None  # the first commit checked: tables and a readable source
    docs_reads: int
    source_reads: int
    windows: tuple[Window, ...]
    unchecked: tuple[Unchecked, ...] = ()
    architectures: tuple[str, ...] = ()  # those with tables at some commit of the range

    @property
    def open_windows(self) -> tuple[Window, ...]:
        return tuple(w for w in self.windows if w.is_open)

    @property
    def ends_in_disagreement(self) -> bool:
        return bool(self.open_windows)

    def to_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "repository": self.repository,
            "docs": self.docs,
            "range": self.range,
            "first": self.first.to_data(),
            "last": self.last.to_data(),
            "commits": self.commits,
            "checked_from": None if self.checked_from is None else self.checked_from.to_data(),
            "docs_reads": self.docs_reads,
            "source_reads": self.source_reads,
            "architectures": list(self.architectures),
            "ends_in_disagreement": self.ends_in_disagreement,
            "windows": [w.to_data() for w in self.windows],
            "unchecked": [
                {"commit": u.commit.to_data(), "reason": u.reason} for u in self.unchecked
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> HistoryReport:
        checked_from = data["checked_from"]
        return cls(
            str(data["repository"]),
            str(data["docs"]),
            str(data["range"]),
            Commit.from_data(data["first"]),
            Commit.from_data(data["last"]),
            int(data["commits"]),
            None if checked_from is None else Commit.from_data(checked_from),
            int(data["docs_reads"]),
            int(data["source_reads"]),
            tuple(Window.from_data(w) for w in data["windows"]),
            tuple(
                Unchecked(Commit.from_data(u["commit"]), str(u["reason"]))
                for u in data["unchecked"]
            ),
            tuple(str(a) for a in data["architectures"]),
        )


class HistoryFormatError(ValueError):
    """A history JSON file that is not one :meth:`HistoryReport.to_json` wrote."""


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the history report (``history.schema.json``)."""
    text = resources.files("sphinx_xenabi.model").joinpath(SCHEMA_FILENAME).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load(path: Path) -> HistoryReport:
    """Read and validate a history JSON file; HistoryFormatError says where it is wrong."""
    import jsonschema

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HistoryFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryFormatError(f"{path}: not JSON: {exc}") from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema()).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top"
        raise HistoryFormatError(f"{path}: at {where}: {error.message}")
    return HistoryReport.from_data(data)
