"""The warning subtypes the extension logs are exactly the documented ones."""

from __future__ import annotations

import re

import pytest

from conftest import DOCS
from sphinx_xenabi.messages import SUBTYPES, warn


def test_documented_subtypes_match_the_code() -> None:
    page = (DOCS / "tooling" / "warnings.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"``xenabi\.([a-z-]+)``", page))
    assert documented == set(SUBTYPES)


def test_an_undocumented_subtype_is_refused() -> None:
    with pytest.raises(ValueError, match="undocumented"):
        warn("no-such-subtype", "message", None)
