"""What one application's build found after reading, for the later phases.

Filled by ``env-updated`` in the main process; the write phase (evidence
rendering), ``build-finished`` (the registry) and the command line read it.
Forked parallel writers inherit it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.model.drift import Finding
from sphinx_xenabi.model.registry import Location, Registry

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.execution import RowOutcome


@dataclass
class BuildState:
    """What one application's build found after reading."""

    registry: Registry
    findings: list[Finding] = field(default_factory=list)
    # Executed table rows by the location of their first cell (html builds).
    outcomes: dict[Location, RowOutcome] = field(default_factory=dict)
    failed: bool = False
    # What the gate compared with ("the reference model", "the Xen 4.17.0
    # source (all)"), and why a requested Xen tree could not be read.
    reference: str = "the reference model"
    reference_error: str | None = None
    reference_note: str | None = None


_STATE: WeakKeyDictionary[Sphinx, BuildState] = WeakKeyDictionary()


def build_state(app: Sphinx) -> BuildState | None:
    """The registry (and gate verdict) of ``app``'s current build, once read."""
    return _STATE.get(app)


def set_build_state(app: Sphinx, state: BuildState) -> None:
    _STATE[app] = state
