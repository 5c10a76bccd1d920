"""An :class:`~sphinx_xenabi.model.abi_diff.AbiDiff` in the formats reviewers use.

``text`` for a terminal, ``markdown`` for a pull-request comment (a table),
``github`` for workflow annotations at the changed cells, and ``json``, whose
schema ships as ``abi_diff.schema.json`` and which :func:`load` reads back.
Every format says "no ABI change" when nothing changed for guests, and
"not compared: NEW has no numbers table" for each kind of table only one
side has.

No Sphinx or docutils import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sphinx_xenabi.model.abi_diff import AbiDiff, Change, NotCompared, Rule, Severity
from sphinx_xenabi.model.records import TableKind
from sphinx_xenabi.model.spec import Evidence, Release

FORMAT = "sphinx-xenabi abi-diff 1"
SCHEMA_FILENAME = "abi_diff.schema.json"


class OutputFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    GITHUB = "github"


class DiffFormatError(ValueError):
    """A diff JSON file that is not one :func:`to_json` wrote."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")


def _where(evidence: Evidence | None) -> str:
    return "" if evidence is None else str(evidence)


def _hidden_note(diff: AbiDiff, how: str) -> str:
    if not diff.hidden:
        return ""
    one = diff.hidden == 1
    return (
        f"{diff.hidden} documentation-only {'change' if one else 'changes'} not shown "
        f"({how} shows {'it' if one else 'them'})"
    )


# -- text ------------------------------------------------------------------------------


def to_text(diff: AbiDiff) -> str:
    """One block per change (severity, message, rule; then where on each side)."""
    lines = [f"xenabi diff: {diff.old} -> {diff.new}"]
    for change in diff.changes:
        lines.append(f"{change.severity.value}: {change.message} [{change.rule.value}]")
        for side, evidence in (("old", change.old), ("new", change.new)):
            if evidence is not None:
                lines.append(f"    {side}: {evidence}")
    lines += [f"xenabi diff: {n.text}" for n in diff.not_compared]
    hidden = _hidden_note(diff, "--all")
    lines.append(f"xenabi diff: {diff.summary}" + (f"; {hidden}" if hidden else ""))
    return "\n".join(lines) + "\n"


# -- markdown --------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a pipe-table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def to_markdown(diff: AbiDiff) -> str:
    """A pull-request comment: the verdict, then one table row per change."""
    verdict = diff.summary  # "no ABI change" as every format says it
    if diff.fails(Severity.BREAKING):
        verdict = f"**{verdict}** for guests"
    lines = [f"**ABI diff** {_code(diff.old)} \u2192 {_code(diff.new)}: {verdict}.", ""]
    if diff.changes:
        # Where the sides are located (docs, sources): a column each; the model is not.
        located = any(c.old is not None or c.new is not None for c in diff.changes)
        columns = ["Severity", "Change", "Rule"] + (["Old", "New"] if located else [])
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for change in diff.changes:
            severity = change.severity.value
            if change.severity is Severity.BREAKING:
                severity = f"**{severity}**"
            cells = [severity, _cell(change.message), _code(change.rule.value)]
            if located:
                cells += [_code(_cell(_where(change.old))), _code(_cell(_where(change.new)))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    for note in diff.not_compared:
        lines += [f"{note.text[0].upper()}{note.text[1:]}.", ""]
    hidden = _hidden_note(diff, "`--all`")
    if hidden:
        lines += [f"{hidden[0].upper()}{hidden[1:]}.", ""]
    return "\n".join(lines)


# -- GitHub workflow annotations ---------------------------------------------------------

_ANNOTATION = {
    Severity.BREAKING: "error",
    Severity.COMPATIBLE: "notice",
    Severity.DOCUMENTATION: "notice",
}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diff: AbiDiff) -> str:
    """``::error file=...,line=...::message`` per change, at the new side's cell
    (the old side's when the new one states nothing), then the verdict."""
    lines = []
    for change in diff.changes:
        where = change.new or change.old
        properties = []
        if where is not None:
            properties.append(f"file={_escape_property(where.file)}")
            if where.line:
                properties.append(f"line={where.line}")
        title = f"ABI {change.severity.value} change ({change.rule.value})"
        properties.append(f"title={_escape_property(title)}")
        lines.append(
            f"::{_ANNOTATION[change.severity]} {','.join(properties)}::"
            f"{_escape_data(change.message)}"
        )
    # A check that did not happen is a warning: the summary's verdict does not cover it.
    lines += [f"::warning title=xenabi diff::{_escape_data(n.text)}" for n in diff.not_compared]
    hidden = _hidden_note(diff, "--all")
    summary = f"{diff.old} -> {diff.new}: {diff.summary}" + (f"; {hidden}" if hidden else "")
    lines.append(f"::notice title=xenabi diff::{_escape_data(summary)}")
    return "\n".join(lines) + "\n"


# -- JSON ------------------------------------------------------------------------------


def _evidence_data(evidence: Evidence | None) -> dict[str, Any] | None:
    return None if evidence is None else evidence.to_data()


def _change_data(change: Change) -> dict[str, Any]:
    return {
        "rule": change.rule.value,
        "severity": change.severity.value,
        "message": change.message,
        "subject": change.subject,
        "before": change.before,
        "after": change.after,
        "release": None if change.release is None else str(change.release),
        "old": _evidence_data(change.old),
        "new": _evidence_data(change.new),
    }


def to_data(diff: AbiDiff) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "old": diff.old,
        "new": diff.new,
        "summary": diff.summary,
        "counts": {severity.value: diff.count(severity) for severity in Severity},
        "hidden": diff.hidden,
        "changes": [_change_data(c) for c in diff.changes],
        "not_compared": [
            {"kind": n.kind.value, "missing_on": n.missing_on, "message": n.text}
            for n in diff.not_compared
        ],
    }


def to_json(diff: AbiDiff) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(to_data(diff), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def diff_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`to_json`'s output (``abi_diff.schema.json``)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILENAME).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _evidence_from(data: Mapping[str, Any] | None) -> Evidence | None:
    if data is None:
        return None
    return Evidence(data["file"], data["line"], data["text"], data.get("note", ""))


def from_data(data: Any, source: str = "<diff>") -> AbiDiff:
    """Validate ``data`` (parsed JSON) against the schema and rebuild the diff."""
    import jsonschema  # deferred: only readers of a diff file need it

    validator = jsonschema.Draft202012Validator(diff_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        pointer = "/" + "/".join(str(p) for p in errors[0].absolute_path)
        raise DiffFormatError(source, f"at {pointer}: {errors[0].message}")
    changes = []
    for position, item in enumerate(data["changes"]):
        rule = Rule.of(item["rule"])
        if item["severity"] != rule.severity.value:
            raise DiffFormatError(
                source,
                f"at /changes/{position}/severity: rule {rule.value} is "
                f"{rule.severity.value}, not {item['severity']}",
            )
        changes.append(
            Change(
                rule,
                item["message"],
                item["subject"],
                item["before"],
                item["after"],
                _evidence_from(item["old"]),
                _evidence_from(item["new"]),
                None if item["release"] is None else Release.parse(item["release"]),
            )
        )
    not_compared = tuple(
        NotCompared(TableKind(n["kind"]), n["missing_on"]) for n in data.get("not_compared", ())
    )
    return AbiDiff(data["old"], data["new"], tuple(changes), data["hidden"], not_compared)


def load(path: str | os.PathLike[str]) -> AbiDiff:
    """Read a diff JSON file written by ``diff --format json``; raise :class:`DiffFormatError`."""
    source = os.fspath(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DiffFormatError(source, f"cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DiffFormatError(source, f"not JSON: {exc}") from None
    return from_data(data, source)


RENDERERS: Mapping[OutputFormat, Callable[[AbiDiff], str]] = {
    OutputFormat.TEXT: to_text,
    OutputFormat.MARKDOWN: to_markdown,
    OutputFormat.JSON: to_json,
    OutputFormat.GITHUB: to_github,
}


def render(diff: AbiDiff, output: OutputFormat) -> str:
    return RENDERERS[output](diff)
