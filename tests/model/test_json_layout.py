"""The published files' layout: the same JSON as json.dumps, one item per line."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sphinx_xenabi.model.json_layout import compact, one_per_line

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON, st.integers(min_value=0, max_value=4))
def test_the_layout_is_the_same_json_as_dumps(value: Any, levels: int) -> None:
    text = one_per_line(value, levels)
    assert json.loads(text) == value
    # Only the whitespace between members differs from json.dumps(sort_keys=True):
    # a string's own newlines are escaped, so every newline is the layout's.
    joined = text.replace(",\n", ", ")
    for opened in "{[":
        joined = joined.replace(opened + "\n", opened)
    for closed in "}]":
        joined = joined.replace("\n" + closed, closed)
    assert joined == compact(value) == json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_outer_levels_put_one_member_or_item_per_line() -> None:
    report = {
        "release": "4.19",
        "counts": {"items": 2},
        "requirements": [{"id": "XenProd~a~1", "links": []}, {"id": "XenSwdgn~é~1"}],
        "empty": [],
    }
    assert one_per_line(report, levels=2).split("\n") == [
        "{",
        '"counts": {',
        '"items": 2',
        "},",
        '"empty": [],',
        '"release": "4.19",',
        '"requirements": [',
        '{"id": "XenProd~a~1", "links": []},',
        '{"id": "XenSwdgn~é~1"}',
        "]",
        "}",
    ]
    assert one_per_line(report, levels=0) == compact(report)
    assert one_per_line(report, levels=1).split("\n")[1] == '"counts": {"items": 2},'
