"""Running the ``xenabi-verifies`` blocks: each block's examples against the build's reference.

At ``env-updated``, in a build that executes rows (html and ``check``),
:func:`run_blocks` runs every block with the standard library's doctest
runner, comparing output as ``sphinx.ext.doctest`` does (``ELLIPSIS``,
``IGNORE_EXCEPTION_DETAIL``, ``DONT_ACCEPT_TRUE_FOR_1``) and stopping at a
block's first failing example. Each block runs in a fresh namespace
(:func:`namespace`) built on the reference: the Xen source's spec when the
build reads one, else the model's revision for the release the docs
describe. A failing example is a ``verification`` problem at its line.

The emulator (Unicorn) is loaded only when an example calls ``hvc``.
"""

from __future__ import annotations

import doctest
import traceback
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.dispatcher import Dispatcher
from sphinx_xenabi.model.problems import Problem, WarningSubtype, bounded
from sphinx_xenabi.model.spec import AbiSpec, Convention, GuestType, Release
from sphinx_xenabi.model.verification import BlockOutcome, ExampleBlock, ExampleFailure
from sphinx_xenabi.model.version import commands_for

if TYPE_CHECKING:
    from sphinx_xenabi.emulator import HvcHarness, RoundTrip

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

    def __init__(self, spec: AbiSpec) -> None:
        self._spec = spec
        self._harnesses: dict[tuple[str, bool], HvcHarness] = {}

    def __call__(self, guest: object, number: int, *args: int, debug: bool = False) -> RoundTrip:
        return self._harness(guest, debug).call(number, args)

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
            self._harnesses[key] = HvcHarness(
                Dispatcher(self._spec, debug=debug),
                config,
                convention=LINUX_CONVENTIONS[config.guest],
                instruction=LINUX_HVC,
            )
        return self._harnesses[key]


def namespace(
    spec: AbiSpec, hvc: Hvc | None = None, xenver: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The names a block's examples see, fresh for each block (``hvc``'s guests are shared).

    ``xenver``: the version hypercall's command numbers by name
    (``XENVER_version``), the Xen source's when it is the reference.
    """
    return {
        "xenver": MappingProxyType(dict(xenver if xenver is not None else _model_xenver(spec))),
        "spec": spec,
        "dispatcher": Dispatcher(spec),
        "debug_dispatcher": Dispatcher(spec, debug=True),
        "abi": abi,
        "GuestType": GuestType,
        "Release": Release,
        "hvc": Hvc(spec) if hvc is None else hvc,
    }


class _FirstFailure(doctest.DocTestRunner):
    """Keeps the first failing example's output (FAIL_FAST stops the block there)."""

    failure: tuple[int, str] | None = None  # the example's index and what it got

    def report_start(self, out: Any, test: doctest.DocTest, example: doctest.Example) -> None:
        pass

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
            self.failure = (test.examples.index(example), got)


def run_block(block: ExampleBlock, globs: dict[str, Any]) -> BlockOutcome:
    """Run one block's examples in ``globs``, as doctest does, to its first failure."""
    examples = [
        doctest.Example(e.source, e.want, lineno=e.location.line, options=dict(e.options))
        for e in block.examples
    ]
    test = doctest.DocTest(
        examples, globs, block.names, block.location.file, block.location.line, block.text
    )
    runner = _FirstFailure(optionflags=FLAGS | doctest.FAIL_FAST)
    runner.run(test, out=lambda _text: None, clear_globs=False)
    if runner.failure is None:
        return BlockOutcome(block)
    index, got = runner.failure
    return BlockOutcome(block, ExampleFailure(block.examples[index], got))


def run_blocks(
    blocks: Iterable[ExampleBlock], spec: AbiSpec, xenver: Mapping[str, int] | None = None
) -> tuple[BlockOutcome, ...]:
    """Every block, in order, each in a fresh namespace on ``spec``."""
    hvc = Hvc(spec)
    return tuple(run_block(block, namespace(spec, hvc, xenver)) for block in blocks)


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
