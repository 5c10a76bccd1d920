"""``.. xenabi-drift-windows:: FILE``: the windows of a history JSON file, as tables and a time line.

FILE is what ``sphinx-xenabi history --format json`` wrote (relative to the
page, or to the docs with a leading ``/``), kept with the docs: the build
reads that file and needs no git. The directive shows the range and the
verdict, the ABI history's time line with the windows on it (the picture
``xenabi-abi-history`` draws with ``:windows:``; the same in words under
it), a table of the windows (first disagreeing commit, first agreeing one,
days, commits) and, per window, its cells with the source lines they
contradicted. ``:trailer: KEY`` shows a commit trailer beside each commit
(``Xen-Commit`` for a condensed copy of Xen's history).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.directives import table_nodes
from sphinx_xenabi.directives.table_nodes import entry

if TYPE_CHECKING:
    from sphinx_xenabi.model.history import Commit, HistoryReport, Window


def _commit_text(commit: Commit, trailer: str | None) -> str:
    text = f"{commit.short} ({commit.day}) {commit.subject}"
    if trailer and trailer in commit.trailers:
        text += f" [{trailer}: {commit.trailers[trailer][:12]}]"
    return text


def windows_table(report: HistoryReport, trailer: str | None) -> nodes.table:
    from sphinx_xenabi.model.history import Closure

    columns = ["Architecture", "First disagreed", "Agreed again", "Days", "Commits"]
    table, body = table_nodes.table(
        "Windows of disagreement", columns, [10, 40, 40, 8, 8], ["xenabi-drift-windows"]
    )
    for window in report.windows:
        if window.closed is None:
            closed = "not yet: still disagreeing at the end of the range"
        else:
            closed = _commit_text(window.closed, trailer)
            if window.closure is Closure.TABLES_REMOVED:
                closed += " (the tables were removed)"
        days = (
            f"{window.days}+" if window.opened_before_range or window.is_open else str(window.days)
        )
        body += table_nodes.row(
            entry(window.architecture),
            entry(_commit_text(window.opened, trailer)),
            entry(closed),
            entry(days),
            entry(str(window.commits)),
        )
    return table


def cells_table(window: Window) -> nodes.table:
    end = window.closed.day if window.closed is not None else "now"
    title = f"{window.architecture}, {window.opened.day} to {end}: the cells and the source lines"
    table, body = table_nodes.table(
        title, ["Cell", "What the check said", "Source line"], [25, 45, 30], ["xenabi-drift-cells"]
    )
    for disagreement in window.disagreements:
        source = disagreement.source
        body += table_nodes.row(
            entry(str(disagreement.cell), literal=True),
            entry(disagreement.message),
            entry("" if source is None else f"{source}: {source.text}", literal=True),
        )
    return table


class DriftWindowsDirective(SphinxDirective):
    """Render a history JSON file's windows of disagreement."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, object]] = {"trailer": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        # The history model loads when a page shows windows, not at setup().
        from sphinx_xenabi.directives.abi_history import load_windows, site_history, timeline
        from sphinx_xenabi.model.history_report import summary

        report = load_windows(self, self.arguments[0])
        site = site_history(self) if report is not None else None
        if report is None or site is None:
            return []
        trailer = self.options.get("trailer")
        verdict = nodes.paragraph(
            "",
            f"The docs ({report.docs}/) checked against the Xen source at each of "
            f"{report.commits} commits of {report.range} ({report.first.day} to "
            f"{report.last.day}): {summary(report)}.",
        )
        # The same time line as the ABI history's: the releases and their changes
        # with the windows, so a window is seen against the releases it spanned.
        result: list[nodes.Node] = [verdict, *timeline(self, site, report)]
        if report.windows:
            result.append(windows_table(report, trailer))
            result += [cells_table(w) for w in report.windows if w.disagreements]
        return result
