"""pytest plugin: the property suite's hypothesis profiles and its table count.

The property suite (tests/extraction/test_properties.py) builds a small tree
per example. "ci", the default: a fixed, derandomised run of about half a
minute. "long" (--hypothesis-profile=long): a deep random run, 800 trees of
26 to 34 tables (over 20,000 tables). The terminal summary counts the tables
generated, summed over the xdist workers.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

_SLOW_EXAMPLES = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_EXAMPLES,
)
settings.register_profile(
    "long", max_examples=800, deadline=None, print_blob=True, suppress_health_check=_SLOW_EXAMPLES
)
settings.load_profile("ci")

_WORKER_OUTPUT = "xenabi_tables"
_WORKER_TABLES: list[int] = []  # each finished worker's count


def _generated_tables() -> int:
    strategies = sys.modules.get("support.table_strategies")
    return int(strategies.GENERATED["tables"]) if strategies is not None else 0


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker: its count goes to the controller
        workeroutput[_WORKER_OUTPUT] = _generated_tables()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _WORKER_TABLES.append(getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, 0))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tables = _generated_tables() + sum(_WORKER_TABLES)
    if tables:
        terminalreporter.write_line(f"hypothesis: {tables:,} tables generated")
