"""A :class:`~sphinx_xenabi.model.history.HistoryReport` in the formats people and CI read.

``text`` for a terminal, ``markdown`` for a pull-request comment or an
issue, ``github`` for workflow annotations (an open window at its cells, a
closed one as a notice) and ``json`` (``history.schema.json``). Every
format ends with the same verdict line (:func:`summary`).

No Sphinx or docutils import.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx_xenabi.model.history import Commit, Disagreement, HistoryReport, Window


class OutputFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    GITHUB = "github"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary(report: HistoryReport) -> str:
    """The verdict, in one line: how many windows, and how the range ends."""
    if report.checked_from is None and report.unchecked:
        return (
            f"nothing checked: the source could not be read at any of the "
            f"{len(report.unchecked)} commit(s) whose docs have ABI tables "
            f"(at {report.unchecked[0].commit.short}: {report.unchecked[0].reason})"
        )
    if report.checked_from is None:
        return (
            f"nothing checked: the docs ({report.docs}/) have no ABI table at any of the "
            f"{report.commits} commit(s) of {report.range}"
        )
    names = ", ".join(sorted({w.architecture for w in report.windows}))
    counted = _plural(len(report.windows), "window") + (f" ({names})" if names else "")
    if report.ends_in_disagreement:
        still = ", ".join(
            f"{w.architecture} since {w.opened.short} ({w.opened.day})" for w in report.open_windows
        )
        return f"{counted}; the docs still disagree with the source at {report.last.short}: {still}"
    return f"{counted}; the docs agree with the source at {report.last.short} ({report.last.day})"


def _commit_line(commit: Commit, trailer: str | None) -> str:
    line = f"{commit.short} {commit.day} {commit.subject}"
    if trailer and trailer in commit.trailers:
        line += f" [{trailer}: {commit.trailers[trailer]}]"
    return line


def _how_long(window: Window) -> str:
    end = window.closed or window.last
    until = "" if window.closed is not None else ", and still at the end of the range"
    since = " (or longer: the range starts in disagreement)" if window.opened_before_range else ""
    return (
        f"{_plural(window.days, 'day')} ({window.opened.day} to {end.day}){since}, "
        f"{_plural(window.commits, 'commit')}{until}"
    )


def _source(disagreement: Disagreement) -> str:
    source = disagreement.source
    return "" if source is None else f"{source}: {source.text}"


# -- text ------------------------------------------------------------------------------


def _header(report: HistoryReport) -> list[str]:
    lines = [
        f"xenabi history: {report.docs}/ against the Xen source at each of {report.commits} "
        f"commit(s) of {report.repository} ({report.range}), {report.first.day} to {report.last.day}"
    ]
    if report.checked_from is not None:
        lines.append(
            f"  checked from {report.checked_from.short} ({report.checked_from.day}), the first "
            f"commit with ABI tables in its docs; {_plural(report.docs_reads, 'docs reading')}, "
            f"{_plural(report.source_reads, 'source reading')}"
        )
    return lines


def to_text(report: HistoryReport, trailer: str | None = None) -> str:
    lines = _header(report)
    for window in report.windows:
        lines += [
            "",
            f"{window.architecture}: the docs disagreed with the source for {_how_long(window)}",
        ]
        lines.append(f"  first disagreed: {_commit_line(window.opened, trailer)}")
        if window.closed is not None:
            how = "agreed again:   " if window.closure == "agreed" else "tables removed: "
            lines.append(f"  {how} {_commit_line(window.closed, trailer)}")
        else:
            lines.append(f"  still at:        {_commit_line(window.last, trailer)}")
        for disagreement in window.disagreements:
            lines.append(f"  {disagreement.cell}: {disagreement.message}")
            if disagreement.source is not None:
                lines.append(f"      source: {_source(disagreement)}")
        if window.unchecked:
            lines.append(
                f"  {window.unchecked} of these commits could not be checked (their source "
                "could not be read)"
            )
    if report.unchecked:
        lines += ["", f"{_plural(len(report.unchecked), 'commit')} not checked:"]
        lines += [f"  {u.commit.short} {u.commit.day}: {u.reason}" for u in report.unchecked[:10]]
        if len(report.unchecked) > 10:
            lines.append(f"  ... and {len(report.unchecked) - 10} more (--format json lists all)")
    lines += ["", f"xenabi history: {summary(report)}"]
    return "\n".join(lines) + "\n"


# -- markdown --------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a pipe-table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_commit(commit: Commit, trailer: str | None) -> str:
    text = f"`{commit.short}` {commit.day} {_cell(commit.subject)}"
    if trailer and trailer in commit.trailers:
        text += f" ({_cell(trailer)}: `{_cell(commit.trailers[trailer])}`)"
    return text


def to_markdown(report: HistoryReport, trailer: str | None = None) -> str:
    lines = [
        f"**Drift history** of `{report.docs}/` against the Xen source, {report.commits} "
        f"commit(s) of `{report.range}`: {summary(report)}.",
        "",
    ]
    for window in report.windows:
        lines += [f"### {window.architecture}: {_how_long(window)}", ""]
        lines += ["| | Commit |", "|---|---|"]
        lines.append(f"| first disagreed | {_md_commit(window.opened, trailer)} |")
        if window.closed is not None:
            label = "agreed again" if window.closure == "agreed" else "tables removed"
            lines.append(f"| {label} | {_md_commit(window.closed, trailer)} |")
        else:
            lines.append(f"| still disagrees at | {_md_commit(window.last, trailer)} |")
        lines += ["", "| Cell | Docs | Source |", "|---|---|---|"]
        for d in window.disagreements:
            lines.append(
                f"| `{_cell(str(d.cell))}` | {_cell(d.message)} | "
                + (f"`{_cell(_source(d))}`" if d.source is not None else "")
                + " |"
            )
        lines.append("")
    return "\n".join(lines)


# -- GitHub workflow annotations ---------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: HistoryReport) -> str:
    """An open window's cells as errors where they stand now; a closed window as a notice."""
    lines = []
    for window in report.windows:
        if window.is_open:
            title = _escape_property(f"xenabi history: {window.architecture} docs disagree")
            for d in window.at_last:
                since = f" (since {window.opened.short}, {window.opened.day}; {_how_long(window)})"
                lines.append(
                    f"::error file={_escape_property(d.cell.file)},line={d.cell.line},"
                    f"title={title}::{_escape_data(d.message + since)}"
                )
        else:
            assert window.closed is not None
            text = (
                f"{window.architecture} docs disagreed with the source for {_how_long(window)}: "
                f"from {window.opened.short} to {window.closed.short}"
            )
            lines.append(f"::notice title=xenabi history::{_escape_data(text)}")
    lines.append(f"::notice title=xenabi history::{_escape_data(summary(report))}")
    return "\n".join(lines) + "\n"


def render(report: HistoryReport, output: OutputFormat, trailer: str | None = None) -> str:
    if output is OutputFormat.TEXT:
        return to_text(report, trailer)
    if output is OutputFormat.MARKDOWN:
        return to_markdown(report, trailer)
    if output is OutputFormat.GITHUB:
        return to_github(report)
    return report.to_json()
