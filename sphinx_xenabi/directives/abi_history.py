"""``.. xenabi-abi-history::``: the ABI's history as a time line and a table, release by release.

The time line (:mod:`sphinx_xenabi.pictures.abi_timeline`) puts the
releases on the days they came out, each with its changes marked breaking
or compatible; ``:windows: FILE`` adds the windows of a history JSON file
(``sphinx-xenabi history``), in which the docs disagreed with the source.
``xenabi-drift-windows`` draws the same picture through :func:`timeline`.
The table's rows are the ABI diff of each release against the one before
(:mod:`sphinx_xenabi.model.abi_history`): from the model's revisions, or,
when ``xenabi_history_sources`` names Xen source trees, from those trees,
with the source line of each change. Generated, so the page cannot tell a
history the model (or the code) does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.directives import table_nodes
from sphinx_xenabi.directives.table_nodes import entry
from sphinx_xenabi.domain.xenabi import directive_error
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

    from sphinx_xenabi.model.abi_history import HistoryEntry, HistoryLine
    from sphinx_xenabi.model.history import HistoryReport
    from sphinx_xenabi.model.spec import AbiSpec, Release


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


class SiteHistory(NamedTuple):
    """The history a site tells: the model's, or that of ``xenabi_history_sources``."""

    first: AbiSpec
    releases: tuple[Release, ...]
    entries: tuple[HistoryEntry, ...]
    title: str
    located: bool  # the changes have source lines (read from trees)


def site_history(directive: SphinxDirective) -> SiteHistory | None:
    """The site's history; None once an error at ``directive`` says why there is none."""
    # The model's history and the source reader load when a page shows a history.
    from sphinx_xenabi.model.abi import revision_for
    from sphinx_xenabi.model.abi_history import history, model_history, model_releases
    from sphinx_xenabi.model.xen_source.configuration import ConfigurationError
    from sphinx_xenabi.model.xen_source.reader import read_xen_source
    from sphinx_xenabi.model.xen_source.tree import SourceError

    name, config = directive.name, directive.config
    sources = list(config.xenabi_history_sources or [])
    if not sources:
        releases = model_releases()
        title = f"ABI changes, Xen {releases[0]} to {releases[-1]} (the reference model)"
        return SiteHistory(revision_for(releases[0]), releases, model_history(), title, False)
    specs: list[AbiSpec] = []
    configuration = str(config.xenabi_xen_config)
    described = configuration  # in words once a tree is read: "built with its x86_64 defconfig"
    for configured in sources:
        path = Path(str(configured))  # absolute: see resolve_history_sources
        try:
            source = read_xen_source(path, configuration)
        except (SourceError, ConfigurationError) as exc:
            message = f"{name}: cannot read the Xen source in xenabi_history_sources: {exc}"
            directive_error(directive, WarningSubtype.SOURCE, message)
            return None
        specs.append(source.spec())
        described = source.configuration.description
    if len(specs) < 2:
        directive_error(
            directive,
            WarningSubtype.DIRECTIVE,
            f"{name}: xenabi_history_sources names {len(specs)} tree; a history needs two or more",
        )
        return None
    ordered = sorted(specs, key=lambda spec: spec.release)
    title = (
        f"ABI changes, Xen {ordered[0].release} to {ordered[-1].release} "
        f"(the Xen source, {described})"
    )
    releases = tuple(spec.release for spec in ordered)
    return SiteHistory(ordered[0], releases, history(ordered), title, True)


def load_windows(directive: SphinxDirective, path: str) -> HistoryReport | None:
    """The history JSON file at ``path`` (relative to the page, or to the docs with a
    leading ``/``), a dependency of the page; None once an error at ``directive`` says why."""
    from sphinx_xenabi.model.history import HistoryFormatError, load

    relative, absolute = directive.env.relfn2path(path)
    directive.env.note_dependency(relative)
    try:
        return load(Path(absolute))
    except HistoryFormatError as exc:
        directive_error(directive, WarningSubtype.DIRECTIVE, f"{directive.name}: {exc}")
        return None


TIMELINE_CAPTION = "Xen releases on a time line, with the ABI changes each made for guests"
WINDOWS_CAPTION = (
    "Xen releases on a time line, with the ABI changes each made for guests and the "
    "windows in which the docs disagreed with the source"
)


def timeline(
    directive: SphinxDirective, site: SiteHistory, report: HistoryReport | None
) -> list[nodes.Node]:
    """The one time line of the history (and ``report``'s windows), with its words under it.

    Both ``xenabi-abi-history`` (``:windows:``) and ``xenabi-drift-windows``
    draw it here, from the same data, so the two pages show the same picture.
    """
    from sphinx_xenabi.directives.pictures import picture
    from sphinx_xenabi.pictures.abi_timeline import abi_timeline_svg, describe, release_marks

    marks = release_marks(site.releases, site.entries)
    caption = TIMELINE_CAPTION if report is None else WINDOWS_CAPTION
    prefix = f"xenabi-timeline-{directive.env.new_serialno('xenabi-timeline')}"
    svg = abi_timeline_svg(marks, report, prefix=prefix, title=caption)
    # The picture alone scrolls on a narrow screen, under a caption that wraps.
    only_html = picture(f'<div class="xenabi-timeline-scroll">{svg}</div>', caption, prefix)
    only_html[0]["classes"].append("xenabi-timeline")  # the figure in it
    # The words are for every reader and every builder: a text builder has no picture.
    words = nodes.paragraph("", describe(marks, report), classes=["xenabi-timeline-text"])
    return [only_html, words]


class AbiHistoryDirective(SphinxDirective):
    """Render the ABI's history: the model's, or that of ``xenabi_history_sources``.

    A time line of the releases and their changes comes first; ``:windows:
    FILE`` (a history JSON file) adds its windows of disagreement to it.
    """

    has_content = False
    option_spec: ClassVar[dict[str, object]] = {"windows": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        site = site_history(self)
        if site is None:
            return []
        report = None
        if "windows" in self.options:
            report = load_windows(self, self.options["windows"])
            if report is None:
                return []
        table = history_table(site.first, site.entries, site.title, site.located)
        return [*timeline(self, site, report), table]


def resolve_history_sources(app: Sphinx, config: Config) -> None:
    """Make ``xenabi_history_sources`` absolute, relative to the conf dir as configured;
    the directive has no conf dir of its own to resolve them against."""
    sources = config.xenabi_history_sources or []
    config.xenabi_history_sources = [str((Path(app.confdir) / str(s)).resolve()) for s in sources]
