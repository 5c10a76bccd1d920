"""Running the ``xenabi-verifies`` blocks: each block's examples against the build's reference.

At ``env-updated``, in a build that executes rows (html and ``check``),
:func:`run_blocks` runs every block with the standard library's doctest
runner, comparing output as ``sphinx.ext.doctest`` does (``ELLIPSIS``,
``IGNORE_EXCEPTION_DETAIL``, ``DONT_ACCEPT_TRUE_FOR_1``) and stopping at a
block's first failing example. Each block runs in a fresh namespace
(:func:`namespace`) built on the reference: the Xen source's spec when the
build reads one, else the model's revision for the release the docs
describe. A failing example is a ``verification`` problem at its line.

The namespace's reference is traced (``model/reference_facts.py``): each
block's outcome keeps the facts its examples read (a requirement's
evidence), and a failing example's message cites the reference's line that
contradicts it (:func:`run_on_reference` gives the version commands' lines
besides the spec's).

The emulator (Unicorn) is loaded only when an example calls ``hvc``.
"""

from __future__ import annotations

import doctest
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.problems import Problem, WarningSubtype, bounded
from sphinx_xenabi.model.reference_facts import (
    XENVER,
    Fact,
    FactTrail,
    TracedDispatcher,
    TracedMapping,
    facts_of,
    traced_spec,
)
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Convention,
    Evidence,
    GuestType,
    Release,
    evidence_key,
)
from sphinx_xenabi.model.verification import BlockOutcome, ExampleBlock, ExampleFailure
from sphinx_xenabi.model.version import commands_for

if TYPE_CHECKING:
    from sphinx_xenabi.emulator import HvcHarness, RoundTrip
    from sphinx_xenabi.model.xen_source import XenSource

FLAGS = doctest.DONT_ACCEPT_TRUE_FOR_1 | doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL

# The guest's side of ``hvc``: Linux's stubs (arch/arm64/xen/hypercall.S,
# arch/arm/xen/hypercall.S) put the number in x16 (r12), the arguments in
# x0-x4 (r0-r4), and take the result from x0 (r0), whatever Xen reads.
LINUX_CONVENTIONS = {
    GuestType.ARM64: Convention("arm64", "X16", ("X0", "X1", "X2", "X3", "X4"), "X0"),
    GuestType.ARM32: Convention("arm32", "R12", ("R0", "R1", "R2", "R3", "R4"), "R0"),
}
LINUX_HVC = "HVC #0xEA1"  # XEN_IMM in Linux, XEN_HYPERCALL_TAG in Xen


class Hvc:
    """``hvc(guest, number, *args, debug=False)``: a Linux-style stub on the emulated CPU.

    ``guest`` is ``GuestType.ARM64`` or ``GuestType.ARM32`` (or a guest
    configuration's label, such as ``"Arm 32 Thumb"``). The guest loads
    ``args`` and the number as Linux does and executes ``hvc #0xEA1``; Xen
    is the reference spec's dispatcher (a debug build's with ``debug``),
    reading the registers the spec names. Returns the
    :class:`~sphinx_xenabi.emulator.RoundTrip`: ``.result`` is the result
    register after the call, ``.after`` every register.
    """

    def __init__(self, spec: AbiSpec, trail: FactTrail | None = None) -> None:
        self._trail = FactTrail() if trail is None else trail
        self._spec = spec
        self._harnesses: dict[tuple[str, bool], HvcHarness] = {}

    def __call__(self, guest: object, number: int, *args: int, debug: bool = False) -> RoundTrip:
        harness = self._harness(guest, debug)
        trip = harness.call(number, args)
        # Xen took the guest's HVC as a hypercall: the transfer is a fact it read.
        self._trail.note(evidence_key("transfer", harness.config.transfer.value))
        return trip

    def _harness(self, guest: object, debug: bool) -> HvcHarness:
        from sphinx_xenabi.emulator import ARM_CONFIGS, GuestConfig, HvcHarness

        if isinstance(guest, GuestType):
            found = [c for c in ARM_CONFIGS if c.guest is guest and not c.thumb]
        else:
            found = [c for c in (GuestConfig.parse(str(guest)),) if c in ARM_CONFIGS]
        if not found:
            name = guest.label if isinstance(guest, GuestType) else guest
            raise ValueError(f"a {name} guest does not call Xen with HVC (an Arm guest does)")
        config = found[0]
        key = (config.label, debug)
        if key not in self._harnesses:
            with self._trail.paused():  # setting the guest up is no example's reading
                self._harnesses[key] = HvcHarness(
                    TracedDispatcher(self._spec, trail=self._trail, debug=debug),
                    config,
                    convention=LINUX_CONVENTIONS[config.guest],
                    instruction=LINUX_HVC,
                )
        return self._harnesses[key]


def namespace(
    spec: AbiSpec,
    hvc: Hvc | None = None,
    xenver: Mapping[str, int] | None = None,
    trail: FactTrail | None = None,
) -> dict[str, Any]:
    """The names a block's examples see, fresh for each block (``hvc``'s guests are shared).

    ``xenver``: the version hypercall's command numbers by name
    (``XENVER_version``), the Xen source's when it is the reference.
    ``trail`` notes the facts the examples read (``hvc`` must share it);
    ``Dispatcher`` makes dispatchers whose dispatches it notes too.
    """
    trail = FactTrail() if trail is None else trail
    traced = traced_spec(spec, trail)
    commands = MappingProxyType(dict(xenver if xenver is not None else _model_xenver(spec)))
    return {
        "xenver": TracedMapping(commands, XENVER, trail),
        "spec": traced,
        "dispatcher": TracedDispatcher(traced, trail=trail),
        "debug_dispatcher": TracedDispatcher(traced, trail=trail, debug=True),
        "Dispatcher": partial(TracedDispatcher, trail=trail),
        "abi": abi,
        "GuestType": GuestType,
        "Release": Release,
        "hvc": Hvc(traced, trail) if hvc is None else hvc,
    }


@dataclass(frozen=True)
class Tracing:
    """Where a run's examples note the facts they read, and what the facts are."""

    trail: FactTrail
    spec: AbiSpec
    xenver: Mapping[str, int]
    evidence: Mapping[str, Evidence]  # the source's lines by fact key; empty for the model

    def facts(self, keys: Iterable[str]) -> tuple[Fact, ...]:
        return facts_of(keys, self.spec, self.xenver, self.evidence)


class _FirstFailure(doctest.DocTestRunner):
    """Keeps the first failing example's output (FAIL_FAST stops the block there).

    With a trail, also the keys of the facts the examples read: all of them,
    and the failing example's own.
    """

    failure: tuple[int, str, tuple[str, ...]] | None = None  # index, what it got, what it read

    def __init__(self, trail: FactTrail, **options: Any) -> None:
        super().__init__(**options)
        self.trail = trail
        self.read: dict[str, None] = {}

    def report_start(self, out: Any, test: doctest.DocTest, example: doctest.Example) -> None:
        self.read.update(dict.fromkeys(self.trail.take()))  # the previous example's

    def report_success(self, *args: Any) -> None:
        pass

    def report_failure(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self._note(test, example, got)

    def report_unexpected_exception(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, exc_info: Any
    ) -> None:
        self._note(test, example, "".join(traceback.format_exception_only(*exc_info[:2])))

    def _note(self, test: doctest.DocTest, example: doctest.Example, got: str) -> None:
        if self.failure is None:
            keys = self.trail.take()
            self.read.update(dict.fromkeys(keys))
            self.failure = (test.examples.index(example), got, keys)


def run_block(
    block: ExampleBlock, globs: dict[str, Any], tracing: Tracing | None = None
) -> BlockOutcome:
    """Run one block's examples in ``globs``, as doctest does, to its first failure.

    ``tracing``: the trail ``globs`` notes facts in (:func:`namespace`), and
    how to read them; without it, the outcome names no facts.
    """
    examples = [
        doctest.Example(e.source, e.want, lineno=e.location.line, options=dict(e.options))
        for e in block.examples
    ]
    test = doctest.DocTest(
        examples, globs, block.names, block.location.file, block.location.line, block.text
    )
    trail = FactTrail() if tracing is None else tracing.trail
    trail.take()  # what was read before the block is no example's
    runner = _FirstFailure(trail, optionflags=FLAGS | doctest.FAIL_FAST)
    runner.run(test, out=lambda _text: None, clear_globs=False)
    runner.read.update(dict.fromkeys(trail.take()))
    facts = () if tracing is None else tracing.facts(runner.read)
    if runner.failure is None:
        return BlockOutcome(block, facts=facts)
    index, got, keys = runner.failure
    failing = () if tracing is None else tracing.facts(keys)
    return BlockOutcome(block, ExampleFailure(block.examples[index], got, failing), facts)


def run_blocks(
    blocks: Iterable[ExampleBlock],
    spec: AbiSpec,
    xenver: Mapping[str, int] | None = None,
    evidence: Mapping[str, Evidence] | None = None,
) -> tuple[BlockOutcome, ...]:
    """Every block, in order, each in a fresh namespace on ``spec``.

    ``evidence``: lines of facts beyond the spec's own ``evidence`` (the
    version commands', keyed ``xenver/<name>``).
    """
    commands = dict(xenver if xenver is not None else _model_xenver(spec))
    tracing = Tracing(FactTrail(), spec, commands, {**spec.evidence, **(evidence or {})})
    hvc = Hvc(traced_spec(spec, tracing.trail), tracing.trail)
    return tuple(
        run_block(block, namespace(spec, hvc, commands, tracing.trail), tracing) for block in blocks
    )


def run_on_reference(
    blocks: Iterable[ExampleBlock], spec: AbiSpec, source: XenSource | None
) -> tuple[BlockOutcome, ...]:
    """Every block on the build's reference: ``spec``, and the version commands of ``source``.

    The source's command numbers (``xenver``) and their ``#define`` lines
    when a Xen tree is the reference; the model's numbers otherwise.
    """
    version = None if source is None else source.version_hypercall
    if version is None:
        return run_blocks(blocks, spec)
    commands = version.commands.values()
    return run_blocks(
        blocks,
        spec,
        {c.name: c.number for c in commands},
        {evidence_key(XENVER, c.name): c.evidence for c in commands},
    )


def _model_xenver(spec: AbiSpec) -> Mapping[str, int]:
    """The model's command numbers for the spec's release (none before the model starts)."""
    try:
        return {c.name: number for number, c in commands_for(spec.release).items()}
    except ValueError:
        return {}


def not_run(blocks: Iterable[ExampleBlock], why: str) -> tuple[BlockOutcome, ...]:
    """Blocks that could not run (no reference for the release): each fails at its first example."""
    return tuple(
        BlockOutcome(block, ExampleFailure(block.examples[0], f"not run: {why}"))
        for block in blocks
    )


def verification_problems(outcomes: Iterable[BlockOutcome]) -> Iterator[Problem]:
    """A ``verification`` problem for each failed block, at its failing example's line."""
    for outcome in outcomes:
        if outcome.failure is not None:
            yield Problem(
                WarningSubtype.VERIFICATION,
                bounded(
                    f"example verifying {outcome.block.names} failed: {outcome.failure.describe()}"
                ),
                outcome.location,
            )
