"""The reference facts an example reads, and the source lines that back them.

A ``xenabi-verifies`` example asserts what the reference says: the register
Xen reads the hypercall number from, a hypercall's number, a command's
number. When the reference is a Xen source tree, each such fact was read
from a line of it (:class:`~.spec.Evidence`, keyed as
:func:`~.spec.evidence_key` spells it). To show a requirement's evidence,
and to name the line a failing example contradicts, the examples run on a
*traced* reference (:func:`traced_spec`, :class:`TracedDispatcher`): each
fact an example reads is noted in a :class:`FactTrail` by its key, and
:func:`facts_of` turns the keys into :class:`Fact` records with the value
and, from a source, the line.

What counts as reading a fact: looking one up by its key
(``spec.conventions["arm64"].index``, ``spec.hypercalls[17]``,
``spec.transfers["arm64"]``, ``xenver["XENVER_version"]``), and a dispatch
by a traced dispatcher, which reads the ABI's number, argument and result
registers and the hypercall's entry. Going over a whole table
(``spec.hypercalls.items()``) or ``get``, as a dispatcher does when it is
set up, names no fact: the evidence is what an example points at.

No Sphinx here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model.dispatcher import Dispatcher, DispatchResult, GuestMemory, Handler
from sphinx_xenabi.model.spec import AbiSpec, Convention, Evidence, GuestType, evidence_key

if TYPE_CHECKING:
    from sphinx_xenabi.model.version import XenBuild

XENVER = "xenver"  # the key prefix of the version hypercall's command numbers


@dataclass(frozen=True)
class Fact:
    """One fact of the reference an example read: what it is, its value, where it was read."""

    key: str  # "convention/arm64/index", "xenver/XENVER_version"
    label: str  # "arm64 hypercall number register"
    value: str  # "X16"
    evidence: Evidence | None = None  # None: the built-in model states it

    def cited(self) -> str:
        """``arm64 hypercall number register = X17 (xen/arch/arm/traps.c:2126: ...)``."""
        where = "the built-in model" if self.evidence is None else _line(self.evidence)
        return f"{self.label} = {self.value} ({where})"


def _line(evidence: Evidence) -> str:
    text = " ".join(evidence.text.split())
    return f"{evidence}: {text}" if text else str(evidence)


class FactTrail:
    """The keys of the facts read since the last :meth:`take`, in the order first read."""

    def __init__(self) -> None:
        self._keys: dict[str, None] = {}
        self._paused = 0

    def note(self, key: str) -> None:
        if not self._paused:
            self._keys[key] = None

    def take(self) -> tuple[str, ...]:
        """The keys noted so far, and a fresh start."""
        keys = tuple(self._keys)
        self._keys.clear()
        return keys

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Reads that set things up (a dispatcher's tables) are no example's."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1


class TracedMapping(Mapping[Any, Any]):
    """A mapping that notes ``prefix/key`` in a trail whenever a key is looked up."""

    def __init__(self, data: Mapping[Any, Any], prefix: str, trail: FactTrail) -> None:
        self._data = data
        self._prefix = prefix
        self._trail = trail

    def __getitem__(self, key: Any) -> Any:
        value = self._data[key]
        if isinstance(value, Convention):  # the registers it names are the facts
            return TracedConvention.of(value, evidence_key(self._prefix, key), self._trail)
        self._trail.note(evidence_key(self._prefix, key))
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        # Code's lookups (a dispatcher or a guest set up from the spec) name no
        # fact: what it then does with them does (TracedDispatcher).
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> Any:
        return self._data.items()  # a whole table: no one fact (see the module)

    def values(self) -> Any:
        return self._data.values()

    def __repr__(self) -> str:
        return repr(self._data)


class TracedConvention(Convention):
    """A convention that notes which of its registers an example reads.

    Compares, hashes and prints as the plain :class:`Convention` it wraps.
    """

    _FIELDS = frozenset({"index", "parameters", "result"})

    @classmethod
    def of(cls, convention: Convention, prefix: str, trail: FactTrail) -> TracedConvention:
        traced = cls(convention.abi, convention.index, convention.parameters, convention.result)
        object.__setattr__(traced, "_trace", (prefix, trail))
        return traced

    def __getattribute__(self, name: str) -> Any:
        if name in TracedConvention._FIELDS:
            prefix, trail = object.__getattribute__(self, "_trace")
            trail.note(evidence_key(prefix, name))
        return object.__getattribute__(self, name)

    def _plain(self) -> Convention:
        with object.__getattribute__(self, "_trace")[1].paused():
            return Convention(self.abi, self.index, self.parameters, self.result)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TracedConvention):
            other = other._plain()
        return self._plain() == other

    def __hash__(self) -> int:
        return hash(self._plain())

    def __repr__(self) -> str:
        return repr(self._plain())


def traced_spec(spec: AbiSpec, trail: FactTrail) -> AbiSpec:
    """``spec`` whose conventions, transfers and hypercalls note each lookup in ``trail``."""
    return replace(
        spec,
        conventions=TracedMapping(spec.conventions, "convention", trail),
        transfers=TracedMapping(spec.transfers, "transfer", trail),
        hypercalls=TracedMapping(spec.hypercalls, "hypercall", trail),
    )


class TracedDispatcher(Dispatcher):
    """A dispatcher that notes the facts each dispatch reads (its tables are set up unnoted)."""

    def __init__(
        self,
        spec: AbiSpec,
        handlers: Mapping[str, Handler] | None = None,
        *,
        trail: FactTrail,
        debug: bool = False,
        build: XenBuild | None = None,
    ) -> None:
        with trail.paused():
            super().__init__(spec, handlers, debug=debug, build=build)
        self._trail = trail

    def dispatch(
        self,
        guest: GuestType | str,
        registers: Mapping[str, int],
        *,
        cpl: int = 0,
        debug: bool | None = None,
        memory: GuestMemory | None = None,
    ) -> DispatchResult:
        result = super().dispatch(guest, registers, cpl=cpl, debug=debug, memory=memory)
        abi = result.guest.abi
        note = self._trail.note
        note(evidence_key("convention", abi, "index"))
        if result.arguments:
            note(evidence_key("convention", abi, "parameters"))
        note(evidence_key("convention", abi, "result"))
        with self._trail.paused():
            known = result.number in self.spec.hypercalls
        if known:
            note(evidence_key("hypercall", result.number))
            note(evidence_key("available", result.number, result.guest.value))
        return result


_KEY = re.compile(r"(?P<kind>[\w-]+)/(?P<what>[^/]+)(?:/(?P<part>[^/]+))?")
_CONVENTION_LABELS = {
    "index": ("hypercall number register", lambda c: c.index),
    "parameters": ("argument registers", lambda c: " ".join(c.parameters)),
    "result": ("result register", lambda c: c.result),
}


def facts_of(
    keys: Iterable[str],
    spec: AbiSpec,
    xenver: Mapping[str, int],
    evidence: Mapping[str, Evidence],
) -> tuple[Fact, ...]:
    """The facts ``keys`` name, with their values in ``spec`` (or ``xenver``) and evidence.

    ``evidence``: the source's lines by key (``spec.evidence`` and the
    version commands'); empty for the model. A key of no known fact is left out.
    """
    facts = []
    for key in keys:
        found = _fact(key, spec, xenver)
        if found is not None:
            label, value = found
            facts.append(Fact(key, label, value, evidence.get(key)))
    return tuple(facts)


def _fact(key: str, spec: AbiSpec, xenver: Mapping[str, int]) -> tuple[str, str] | None:
    match = _KEY.fullmatch(key)
    if match is None:
        return None
    kind, what, part = match["kind"], match["what"], match["part"]
    if kind == "convention" and part in _CONVENTION_LABELS and what in spec.conventions:
        label, value = _CONVENTION_LABELS[part]
        return f"{what} {label}", value(spec.conventions[what])
    if kind == "transfer" and what in spec.transfers and part is None:
        return f"{what} hypercall instruction", spec.transfers[what]
    if kind == XENVER and what in xenver and part is None:
        return what, str(xenver[what])
    if not what.isdigit() or int(what) not in spec.hypercalls:
        return None
    call = spec.hypercalls[int(what)]
    if kind == "hypercall" and part is None:
        return f"hypercall {call.number}", call.name
    if kind == "available" and part is not None:
        try:
            guest = GuestType(part)
        except ValueError:
            return None
        available = "available" if guest in call.available else "not available"
        return f"{call.name} ({call.number}) for {guest.label} guests", available
    return None
