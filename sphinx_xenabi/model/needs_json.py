"""The requirements as sphinx-needs' ``needs.json``, for a sphinx-needs project to ``needimport``.

sphinx-needs exchanges needs through one JSON file: a project, its
``current_version`` and, under ``versions``, each version's ``needs`` by
id. :func:`to_data` writes the build's requirement items in that format,
one need per item:

- ``id``: the item's id as written, ``XenProd~vcpus~1`` (sphinx-needs does
  not hold imported ids to ``needs_id_regex``, and its ``:need:`` role and
  links take them as they are);
- ``type``: ``req``, or the need type ``xenabi_needs_types`` maps the
  artifact type to (the importing project must declare it);
- ``title``: the section's title; ``status``: ``verified``, ``failed`` or
  ``unverified``; ``tags``: the artifact type;
- ``content``: the description, then the rationale and the comments each
  as a paragraph opened by its name, escaped so that reST and MyST read
  the text as written;
- ``links``: the ids the item's ``Covers`` lists (its parents);
  ``links_back``: the items that cover it (sphinx-needs recomputes these on
  import);
- ``docname``, ``lineno``, ``section_name``: where it is written (dropped
  on import, as sphinx-needs drops its own).

Only sphinx-needs' own core fields and its default ``links`` type: a project
with the default configuration imports the file without a warning. The
output is deterministic (no timestamp). No Sphinx here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.json_layout import one_per_line
from sphinx_xenabi.model.requirements import (
    COMMENTS,
    DESCRIPTION,
    RATIONALE,
    RequirementItem,
    RequirementTrace,
)
from sphinx_xenabi.model.verification import RequirementVerification, Status

DEFAULT_NEED_TYPE = "req"  # one of sphinx-needs' default need types

# Characters that start or end inline markup in reST or MyST; a backslash
# before any of them is read as the character itself in both.
_MARKUP = re.compile(r"([\\`*_|\[\]<>{}$])")
# The mark of a line that would open a list, a heading, a comment, a field or
# a quote (``- ``, ``1. ``, ``#``, ``..``, ``:``, ``>``): escaped itself, since a
# backslash before a digit or a letter is a literal backslash in MyST.
_LINE_START = re.compile(r"^(\s*\d*)([-+#>.:)])", re.MULTILINE)


def escaped(text: str) -> str:
    """``text`` so that reST and MyST both render it as written."""
    return _LINE_START.sub(r"\1\\\2", _MARKUP.sub(r"\\\1", text))


def need_content(item: RequirementItem) -> str:
    """The description, then the rationale and the comments, each a paragraph if written."""
    parts = [escaped(item.text(DESCRIPTION))] if item.text(DESCRIPTION) else []
    for name in (RATIONALE, COMMENTS):
        text = item.text(name)
        if text:
            parts.append(f"{name}: {escaped(text)}")
    return "\n\n".join(parts)


def need_type(artifact_type: str, need_types: Mapping[str, str]) -> str:
    return need_types.get(artifact_type, DEFAULT_NEED_TYPE)


def need_data(
    item: RequirementItem,
    trace: RequirementTrace,
    verdict: RequirementVerification | None,
    need_types: Mapping[str, str],
) -> dict[str, Any]:
    status = Status.UNVERIFIED if verdict is None else verdict.status
    return {
        "id": str(item.id),
        "type": need_type(item.id.artifact_type, need_types),
        "title": item.title,
        "status": status.value,
        "tags": [item.id.artifact_type],
        "content": need_content(item),
        "links": [str(link.target) for link in item.covers],
        "links_back": [str(c) for c in trace.covered_by.get(item.id, ())],
        "docname": item.docname,
        "lineno": item.location.line,
        "section_name": item.title,
    }


def to_data(
    trace: RequirementTrace,
    verdicts: Mapping[str, RequirementVerification],
    *,
    project: str,
    version: str,
    need_types: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The needs.json of ``trace``'s items (the first of a duplicated id stands)."""
    needs: dict[str, dict[str, Any]] = {}
    for item in trace.items:
        key = str(item.id)
        if key not in needs:
            needs[key] = need_data(item, trace, verdicts.get(key), need_types or {})
    return {
        "project": project,
        "current_version": version,
        "versions": {
            version: {
                "creator": {"program": "sphinx-xenabi", "version": __version__},
                "needs": needs,
                "needs_amount": len(needs),
            }
        },
    }


def to_json(
    trace: RequirementTrace,
    verdicts: Mapping[str, RequirementVerification],
    *,
    project: str,
    version: str,
    need_types: Mapping[str, str] | None = None,
) -> str:
    """The published text: one need per line (within its version's ``needs``)."""
    data = to_data(trace, verdicts, project=project, version=version, need_types=need_types)
    return one_per_line(data, levels=4) + "\n"
