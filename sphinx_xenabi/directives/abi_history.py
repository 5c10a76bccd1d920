"""``.. xenabi-abi-history::``: the ABI's history as a table, release by release.

The rows are the ABI diff of each release against the one before
(:mod:`sphinx_xenabi.model.abi_history`): from the model's revisions, or,
when ``xenabi_history_sources`` names Xen source trees, from those trees,
with the source line of each change. Generated, so the page cannot tell a
history the model (or the code) does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.directives import table_nodes
from sphinx_xenabi.directives.table_nodes import entry
from sphinx_xenabi.domain.xenabi import directive_error
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

    from sphinx_xenabi.model.abi_history import HistoryEntry, HistoryLine
    from sphinx_xenabi.model.spec import AbiSpec


def history_table(
    first: AbiSpec, entries: tuple[HistoryEntry, ...], title: str, located: bool
) -> nodes.table:
    """Release | For guests | Change (| Where): the first release's ABI, then each change.

    The short columns come first, so a narrow screen shows them without scrolling.
    """
    from sphinx_xenabi.model.abi_history import baseline

    columns = ["Release", "For guests", "Change"] + (["Where"] if located else [])
    widths = [10, 14, 60] + ([30] if located else [])
    table, body = table_nodes.table(title, columns, widths, ["xenabi-abi-history"])
    first_cells = [str(first.release), "", baseline(first)] + ([""] if located else [])
    body += table_nodes.row(*(entry(text) for text in first_cells))
    for item in entries:
        lines = item.lines
        for position, line in enumerate(lines):
            # The release cell spans all of its release's lines.
            cells = [entry(str(item.release), morerows=len(lines) - 1)] if position == 0 else []
            severity = entry(line.severity.value)
            severity["classes"].append("xenabi-severity")
            cells += [severity, entry(line.text)]
            if located:
                cells.append(_places_entry(line))
            row = table_nodes.row(*cells)
            row["classes"].append(f"xenabi-{line.severity.value}")
            body += row
    return table


def _places_entry(line: HistoryLine) -> nodes.entry:
    """Where the newer release states the line's changes: one source line a paragraph."""
    cell = nodes.entry()
    for place in line.places or ("",):
        cell += nodes.paragraph("", "", nodes.literal(str(place), str(place)))
    return cell


class AbiHistoryDirective(SphinxDirective):
    """Render the ABI's history: the model's, or that of ``xenabi_history_sources``."""

    has_content = False
    option_spec: ClassVar[dict[str, object]] = {}

    def run(self) -> list[nodes.Node]:
        # The model's history and the source reader load when a page shows a history.
        from sphinx_xenabi.model.abi import revision_for
        from sphinx_xenabi.model.abi_history import history, model_history, model_releases
        from sphinx_xenabi.model.xen_source.configuration import ConfigurationError
        from sphinx_xenabi.model.xen_source.reader import read_xen_source
        from sphinx_xenabi.model.xen_source.tree import SourceError

        sources = list(self.config.xenabi_history_sources or [])
        if not sources:
            releases = model_releases()
            title = f"ABI changes, Xen {releases[0]} to {releases[-1]} (the reference model)"
            return [history_table(revision_for(releases[0]), model_history(), title, False)]
        specs: list[AbiSpec] = []
        configuration = str(self.config.xenabi_xen_config)
        for configured in sources:
            path = Path(str(configured))  # absolute: see resolve_history_sources
            try:
                source = read_xen_source(path, configuration)
            except (SourceError, ConfigurationError) as exc:
                message = (
                    f"{self.name}: cannot read the Xen source in xenabi_history_sources: {exc}"
                )
                directive_error(self, WarningSubtype.SOURCE, message)
                return []
            specs.append(source.spec())
        if len(specs) < 2:
            directive_error(
                self,
                WarningSubtype.DIRECTIVE,
                f"{self.name}: xenabi_history_sources names {len(specs)} tree; a history "
                "needs two or more",
            )
            return []
        ordered = sorted(specs, key=lambda spec: spec.release)
        title = (
            f"ABI changes, Xen {ordered[0].release} to {ordered[-1].release} "
            f"(the Xen source, {configuration})"
        )
        return [history_table(ordered[0], history(ordered), title, True)]


def resolve_history_sources(app: Sphinx, config: Config) -> None:
    """Make ``xenabi_history_sources`` absolute, relative to the conf dir as configured;
    the directive has no conf dir of its own to resolve them against."""
    sources = config.xenabi_history_sources or []
    config.xenabi_history_sources = [str((Path(app.confdir) / str(s)).resolve()) for s in sources]
