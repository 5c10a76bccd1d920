"""Rows run ahead: the model's own checks, run by the row worker while the docs are read.

A runner that ran ahead (``RowRunner.warm``) must change nothing but when
the checks run: the outcomes of any registry, agreeing with the model or
not, are the ones a fresh runner gives, and a row whose claim is the
model's runs no check of its own.
"""

from __future__ import annotations

import pytest
from test_hvc_rows import ARM32_ROW, ARM64_ROW, RELEASE, X86_ROWS, at, register_row, registry

from sphinx_xenabi.emulator import row_execution
from sphinx_xenabi.emulator.configurations import ALL_CONFIGS
from sphinx_xenabi.emulator.row_execution import RowRunner, execute_registry
from sphinx_xenabi.model.abi import REVISIONS
from sphinx_xenabi.model.records import TableKind, TableRecord
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import Release, ReleaseRange

AGREEING = dict(
    registers=(X86_ROWS[0], X86_ROWS[1], ARM64_ROW, ARM32_ROW),
    transfers=(("64bit PV", "SYSCALL"), ("arm64", "HVC 0xea1"), ("arm32", "HVC 0xea1")),
)


def _with_older_table(docs: Registry) -> Registry:
    """``docs`` plus a registers table titled for Xen 4.13 to 4.16 (six parameters)."""
    return Registry(docs.release, docs.guides, (*docs.tables, _OLDER))


_OLDER = TableRecord(
    TableKind.REGISTERS,
    "abi",
    None,
    at(400),
    "Registers in Xen 4.13 to 4.16",
    ReleaseRange(Release(4, 13), Release(4, 16)),
    (),
    (register_row(410, "64bit", "RAX", "RDI RSI RDX R10 R8 R9", "RAX"),),
    6,
)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []
    for name in ("execute_row_check", "execute_hvc_row_check"):
        real = getattr(row_execution, name)

        def counted(*args: object, _real: object = real, **kwargs: object) -> object:
            ran.append(args[1].label)  # type: ignore[attr-defined]
            return _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(row_execution, name, counted)
    return ran


@pytest.mark.parametrize(
    "docs",
    [
        _with_older_table(registry(**AGREEING)),  # type: ignore[arg-type]
        # RCX (SYSCALL's return address) and a wrong Arm instruction: failing rows.
        registry(registers=(X86_ROWS[2], ARM64_ROW), transfers=(("arm32", "HVC #0"),)),
    ],
    ids=["agreeing", "disagreeing"],
)
def test_a_runner_that_ran_ahead_gives_the_outcomes_of_a_fresh_one(docs: Registry) -> None:
    warmed = RowRunner()
    assert warmed.warm(RELEASE, stop=lambda: False) == len(ALL_CONFIGS) * (1 + len(REVISIONS))
    assert execute_registry(docs, RELEASE, runner=warmed) == execute_registry(docs, RELEASE)


def test_rows_the_model_agrees_with_run_no_check_once_run_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran = _counting(monkeypatch)
    warmed = RowRunner()
    warmed.warm(RELEASE, stop=lambda: False)
    assert len(ran) == len(ALL_CONFIGS) * (1 + len(REVISIONS))
    ran.clear()
    # The release the configuration names, and a table titled for an older revision.
    for docs in (registry(**AGREEING), Registry(str(RELEASE), (), (_OLDER,))):  # type: ignore[arg-type]
        outcomes = execute_registry(docs, RELEASE, runner=warmed)
        assert outcomes and all(o.ok for o in outcomes), [o.summary for o in outcomes]
    assert ran == []  # every check came from running ahead
    # A row of its own (RCX, not R10) still runs its checks when it comes.
    execute_registry(registry(registers=(X86_ROWS[2],)), RELEASE, runner=warmed)
    assert ran and set(ran) <= {c.label for c in ALL_CONFIGS}


def test_running_ahead_stops_when_the_registry_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    ran = _counting(monkeypatch)
    asked = iter([False, False, True])
    assert RowRunner().warm(RELEASE, stop=lambda: next(asked)) == 2
    assert len(ran) == 2
    # A release before the model's first runs nothing ahead of its own, only the revisions'.
    ran.clear()
    assert RowRunner().warm(Release(4, 2), stop=lambda: False) == len(ALL_CONFIGS) * len(REVISIONS)
