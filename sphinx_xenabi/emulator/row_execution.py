"""Execute the registry's register and transfer rows on the emulated CPU.

Every registers row is run on each guest configuration of its ABI (x86: PV
and both HVM vendors of its width; arm64: AArch64; arm32: AArch32 in ARM and
Thumb code), every transfer row on the configurations that use its page or
instruction. The spec a row runs with is the model's revision for the
table's release overlaid with the docs' register and transfer tables, and
the row's own values on top, so each row is tested on its own claim. An Arm
guest's code follows both tables (the registers from one, the HVC immediate
from the other; an x86 guest's page is the model's), so an Arm row runs with
the model's fact for the other table: a slip in one row fails that row only.

No Sphinx here: the build result (``results/build_result.py``) reports the outcomes
and ``results/evidence_column.py`` renders them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sphinx_xenabi.emulator import (
    EmulatorError,
    GuestConfig,
    RowEvidence,
    execute_row_check,
)
from sphinx_xenabi.emulator.configurations import (
    ALL_CONFIGS,
    configs_for_abi,
    configs_for_transfer,
)
from sphinx_xenabi.emulator.hvc import HvcRowEvidence, execute_hvc_row_check
from sphinx_xenabi.model.abi import FIRST_MODELLED_RELEASE, REVISIONS, revision_for
from sphinx_xenabi.model.dispatcher import DispatchError
from sphinx_xenabi.model.records import (
    RegisterRow,
    TableRecord,
    TransferRow,
    row_key,
)
from sphinx_xenabi.model.row_outcome import EXECUTED_KINDS, RowOutcome
from sphinx_xenabi.model.spec import AbiSpec, Architecture, Convention, Release

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx_xenabi.model.records import Cell
    from sphinx_xenabi.model.registry import Registry

Evidence = RowEvidence | HvcRowEvidence


def _table_release(table: TableRecord, default: Release) -> Release:
    return table.releases.first if table.releases is not None else default


def _spec_for(registry: Registry, release: Release) -> AbiSpec:
    """The model's revision overlaid with the docs' register and transfer tables.

    Hypercall numbers and availability stay the model's: the numbers table
    is checked by the drift gate and the doctests, and a slip there must not
    be blamed on the register and transfer rows executed here.
    """
    model = revision_for(release)
    # Only the tables whose facts are used: a guide's numbers tables hold hundreds of rows.
    docs = registry.spec_for(release, EXECUTED_KINDS)
    return AbiSpec(
        release=release,
        conventions={**model.conventions, **docs.conventions},
        transfers={**model.transfers, **docs.transfers},
        hypercalls=model.hypercalls,
    )


def _spec_key(spec: AbiSpec) -> tuple[object, ...]:
    return (
        spec.release,
        tuple(sorted(spec.conventions.items())),
        tuple(sorted(spec.transfers.items())),
        tuple(
            (h.number, h.name, tuple(sorted(h.available)))
            for h in sorted(spec.hypercalls.values(), key=lambda h: h.number)
        ),
    )


class RowRunner:
    """Runs row checks, once per distinct (spec, configuration)."""

    def __init__(self) -> None:
        self._done: dict[tuple[object, ...], Evidence | str] = {}

    def warm(self, release: Release, stop: Callable[[], bool]) -> int:
        """Run the model's own rows ahead, until ``stop()`` says to stop: those of
        ``release`` (the one the configuration names) first, then those of the
        first release of each revision (tables titled "Xen 4.13 to 4.16").

        Docs that agree with the model give their rows exactly these specs
        (the model's revision overlaid with the same facts), so the row
        worker runs them while the build still reads its documents. A row
        whose spec differs is run when it comes, as before: the checks are
        keyed by the whole spec, so what was run ahead is only ever reused
        for the same spec. Returns how many checks were run.
        """
        releases = dict.fromkeys((release, *(r.releases.first for r in REVISIONS)))
        ran = 0
        for each in releases:
            if each < FIRST_MODELLED_RELEASE:
                continue
            model = revision_for(each)
            for config in ALL_CONFIGS:
                if stop():
                    return ran
                self.run(model, config)
                ran += 1
        return ran

    def run(self, spec: AbiSpec, config: GuestConfig) -> Evidence | str:
        key = (_spec_key(spec), config)
        if key not in self._done:
            try:
                if config.architecture is Architecture.ARM:
                    self._done[key] = execute_hvc_row_check(spec, config)
                else:
                    self._done[key] = execute_row_check(spec, config)
            # The row's own claim can be what the dispatcher refuses (a convention
            # passing fewer parameters than xen_version takes): a failed row, not a crash.
            except (EmulatorError, DispatchError, ValueError) as exc:
                self._done[key] = f"{config.label}: not executed: {exc}"
        return self._done[key]


def _others(configs: list[GuestConfig]) -> str:
    """The other configurations a row ran on, after "; also" (nothing if none)."""
    if not configs:
        return ""
    return "; also " + ", ".join(f"{c.label} ({c.instruction.mnemonic})" for c in configs)


def _with_models(spec: AbiSpec, configs: list[GuestConfig], kind: str) -> AbiSpec:
    """For Arm configurations, ``spec`` with the model's facts of the other table
    ("transfers" for a registers row, "conventions" for a transfer row)."""
    model = revision_for(spec.release)
    arm = [c for c in configs if c.architecture is Architecture.ARM]
    if not arm:
        return spec
    if kind == "transfers":
        labels = {c.transfer.value for c in arm}
        return replace(
            spec, transfers={**spec.transfers, **{t: model.transfers[t] for t in labels}}
        )
    abis = {c.guest.abi for c in arm}
    return replace(
        spec, conventions={**spec.conventions, **{a: model.conventions[a] for a in abis}}
    )


def _hypercalls(results: list[Evidence | str]) -> tuple[str, ...]:
    """The probe's hypercall and xen_version, for every configuration that ran."""
    names = (
        name
        for result in results
        if not isinstance(result, str)
        for name in (result.probe_name, "xen_version")
    )
    return tuple(dict.fromkeys(names))


def _failed(*checks: tuple[str, bool]) -> list[str]:
    """The evidence lines of the checks that did not hold."""
    return [line for line, ok in checks if not ok]


def _unrunnable(row: RegisterRow | TransferRow, guest: Cell, known: set[str]) -> RowOutcome:
    """A row for a guest no emulated configuration runs: failed at the cell naming the
    guest, not an IndexError.

    Extraction only makes rows with the labels the configurations run; a
    registry from elsewhere (JSON read back, a test's record) may name any.
    """
    expected = ", ".join(sorted(known))
    summary = f"no emulated guest runs {guest.value!r} (expected one of {expected})"
    return RowOutcome(row_key(row), guest.location, False, summary, (summary,))


def _register_outcome(runner: RowRunner, spec: AbiSpec, row: RegisterRow) -> RowOutcome:
    convention = Convention(row.abi.value, row.index.value, row.parameters.value, row.result.value)
    configs = list(configs_for_abi(row.abi.value))
    if not configs:
        return _unrunnable(row, row.abi, {c.guest.abi for c in ALL_CONFIGS})
    spec = _with_models(spec, configs, "transfers")
    spec = replace(spec, conventions={**spec.conventions, row.abi.value: convention})
    results = [runner.run(spec, c) for c in configs]
    failures: list[str] = []
    for result in results:
        if isinstance(result, str):
            failures.append(result)
        else:
            argument_line, _transfer, version_line, enosys_line = result.lines[:4]
            failures += _failed(
                (argument_line, result.arguments_intact),
                (version_line, result.version_ok),
                (enosys_line, result.enosys_ok),
            )
    first = results[0]
    hypercalls = _hypercalls(results)
    if failures:
        summary = failures[0]
        return RowOutcome(
            row_key(row),
            row.parameters.location,
            False,
            summary,
            tuple(failures),
            hypercalls,
        )
    assert not isinstance(first, str)
    summary = f"{first.lines[0]} for {first.probe_name}{_others(configs[1:])}"
    return RowOutcome(row_key(row), row.parameters.location, True, summary, hypercalls=hypercalls)


def _transfer_outcome(runner: RowRunner, spec: AbiSpec, row: TransferRow) -> RowOutcome:
    release = spec.release
    configs = list(configs_for_transfer(row.guest.value))
    if not configs:
        known = {c.transfer.value for c in ALL_CONFIGS}
        return _unrunnable(row, row.guest, known)
    spec = _with_models(spec, configs, "conventions")
    spec = replace(spec, transfers={**spec.transfers, row.guest.value: row.instruction.value})
    failures: list[str] = []
    passed: list[Evidence] = []
    results = [runner.run(spec, config) for config in configs]
    hypercalls = _hypercalls(results)
    for result in results:
        if isinstance(result, str):
            failures.append(result)
        elif not (result.transfer_documented and result.version_ok):
            # Only what went wrong: a line that agrees would read as a failure.
            _, transfer_line, version_line, _ = result.lines[:4]
            failures += _failed(
                (transfer_line, result.transfer_documented),
                (version_line, result.version_ok),
            )
        else:
            passed.append(result)
    if failures:
        return RowOutcome(
            row_key(row),
            row.instruction.location,
            False,
            failures[0],
            tuple(failures),
            hypercalls,
        )
    first = passed[0]
    modes = " and ".join(c.code for c in configs)
    assert first.version is not None  # it passed
    summary = (
        f"executed: {row.guest.value} ({modes} code): {first.transfer} trapped "
        f"{first.trap_site}, xen_version answered {first.version.result:#x} (Xen {release})"
    )
    return RowOutcome(row_key(row), row.instruction.location, True, summary, hypercalls=hypercalls)


def _row_key(release: Release, row: RegisterRow | TransferRow) -> tuple[object, ...]:
    """What a row's outcome depends on besides the release's spec: its values."""
    if isinstance(row, RegisterRow):
        return (release, row.abi.value, row.index.value, row.parameters.value, row.result.value)
    return (release, row.guest.value, row.instruction.value)


def execute_registry(
    registry: Registry, default: Release, runner: RowRunner | None = None
) -> list[RowOutcome]:
    """Run every registers and transfer row; tables of unmodelled releases are skipped.

    ``runner`` may hold checks run ahead (:meth:`RowRunner.warm`).
    """
    runner = runner if runner is not None else RowRunner()
    specs: dict[Release, AbiSpec] = {}
    outcomes: list[RowOutcome] = []
    # Guides repeat rows (every page that restates the ABI): each distinct
    # claim runs once and its outcome is re-located to every row making it.
    by_claim: dict[tuple[object, ...], RowOutcome] = {}
    for table in registry.tables:
        if table.kind not in EXECUTED_KINDS:
            continue
        release = _table_release(table, default)
        if release < FIRST_MODELLED_RELEASE:
            continue  # the gate already said "unchecked"
        if release not in specs:
            specs[release] = _spec_for(registry, release)
        spec = specs[release]
        for row in table.rows:
            if not isinstance(row, (RegisterRow, TransferRow)):
                continue
            key = _row_key(release, row)
            known = by_claim.get(key)
            if known is None:
                if isinstance(row, RegisterRow):
                    known = by_claim[key] = _register_outcome(runner, spec, row)
                else:
                    known = by_claim[key] = _transfer_outcome(runner, spec, row)
                outcomes.append(known)
            else:
                outcomes.append(_relocated(known, row))
    return outcomes


def _relocated(outcome: RowOutcome, row: RegisterRow | TransferRow) -> RowOutcome:
    """A claim's outcome for another row making it: that row's cells."""
    claim = row.parameters if isinstance(row, RegisterRow) else row.instruction
    return replace(outcome, row=row_key(row), location=claim.location)
