"""pytest plugin: the ``site`` marker (the slow tier) and the whole-site xdist group.

The suite runs on two workers (pyproject's addopts). Every test that uses a
build or a reading of the whole site (:data:`WHOLE_SITE_FIXTURES`) joins one
xdist group, so each of those session fixtures is built once per run, on one
worker. Those tests, and the tests that use a copy of the site's pages built
or read with the site's conf.py (:data:`SITE_PAGES_FIXTURES`), are marked
``site`` here; the other slow tests carry the mark in their module
(``pytestmark``) or on the test. ``pytest -m "not site"`` is the fast loop.
"""

from __future__ import annotations

import pytest

# Session fixtures that build or read the whole docs/ site (conftest.py).
WHOLE_SITE_FIXTURES = frozenset({"site", "site_reading", "reindented_site", "reindented_docs"})
# Fixtures that copy the whole docs/ or its ABI pages, built with the site's conf.py.
SITE_PAGES_FIXTURES = frozenset(
    {
        "docs_copy",
        "abi_pages",
        "abi_pages_copy",
        "abi_pages_build",
        "drifted_abi_pages",
        "drifted_abi_build",
    }
)


@pytest.hookimpl(tryfirst=True)  # before xdist files the items by group and -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if WHOLE_SITE_FIXTURES & fixtures:
            item.add_marker(pytest.mark.xdist_group("whole-site"))
        if (WHOLE_SITE_FIXTURES | SITE_PAGES_FIXTURES) & fixtures:
            item.add_marker(pytest.mark.site)
