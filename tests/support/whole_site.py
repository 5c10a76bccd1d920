"""pytest plugin: the ``site`` marker and the whole-site xdist group.

The suite runs on two workers (pyproject's addopts). Every test that uses a
build or a reading of the whole site (:data:`WHOLE_SITE_FIXTURES`) joins
one xdist group, so each such session fixture is built once per run, on
one worker, and is marked ``site``. So are the tests in :data:`SLOW_FIXTURES`'
and :data:`SLOW_FILES`' reach (see the marker's description in
pyproject.toml); ``pytest -m "not site"`` is the fast loop.
"""

from __future__ import annotations

import pytest

# Session fixtures that build or read the whole docs/ site (conftest.py).
WHOLE_SITE_FIXTURES = frozenset({"site", "site_reading", "reindented_site", "reindented_docs"})


@pytest.hookimpl(tryfirst=True)  # before xdist files the items by group and -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WHOLE_SITE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("whole-site"))
            item.add_marker(pytest.mark.site)
