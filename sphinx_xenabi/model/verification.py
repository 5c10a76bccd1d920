"""Examples that verify requirements: the blocks, what running them showed, and the verdict.

An ``xenabi-verifies`` block names requirement ids (OpenFastTrace's
``type~name~revision``, as ``XenSwdgn~arm64_hyp_num~1``) and holds doctest
examples. :func:`read_block` reads one, each example located at its own
line; the build runs it (``results/verification.py``) into a
:class:`BlockOutcome`; :func:`verify_requirement` says whether a
requirement is verified: every block that names it passed, and every value
its text states (:mod:`.claims`) is mentioned by a passing example.

No Sphinx here, and no running: the doctest parser is the standard
library's, and the records are plain data the domain can pickle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.claims import Mentions, claims
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.verdicts import Status

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.reference_facts import Fact
    from sphinx_xenabi.model.requirements import RequirementItem

# OpenFastTrace's specification item id: type~name~revision.
REQUIREMENT_ID = re.compile(r"[A-Za-z][\w-]*~[\w.-]+~\d+")


@dataclass(frozen=True)
class Example:
    """One ``>>>`` example: its source, the output it expects, and where it was written."""

    source: str
    want: str
    location: Location  # of its ``>>>`` line
    options: tuple[tuple[int, bool], ...] = ()  # its ``# doctest: +FLAG`` directives

    @property
    def text(self) -> str:
        """What the example mentions: its source and its expected output."""
        return f"{self.source}\n{self.want}"


@dataclass(frozen=True)
class ExampleBlock:
    """One ``xenabi-verifies`` directive: the ids it verifies and its examples."""

    ids: tuple[str, ...]
    location: Location  # of the directive
    text: str  # the content as written
    examples: tuple[Example, ...]
    # Where the page shows the block: its document and anchor (set by the directive).
    docname: str = ""
    anchor: str = ""

    @property
    def names(self) -> str:
        return ", ".join(self.ids)


def read_block(
    ids: Sequence[str], location: Location, lines: Sequence[str], locations: Sequence[Location]
) -> ExampleBlock:
    """The block of ``lines``, the directive's content, each at ``locations[i]``.

    ValueError for an id that is not ``type~name~revision``, for content
    that is not doctest (a ``>>>`` without its space, say: the parser's
    message, at the line) and for a block without a ``>>>`` example.
    """
    for name in ids:
        if not REQUIREMENT_ID.fullmatch(name):
            raise ValueError(f"{name!r} is not a requirement id (type~name~revision)")
    text = "\n".join(lines)
    try:
        import doctest  # a heavy module (it loads pdb and unittest): only to read a block

        parsed = doctest.DocTestParser().get_examples(text, "xenabi-verifies")
    except ValueError as exc:
        raise ValueError(f"not doctest: {exc}") from None
    examples = tuple(
        Example(e.source, e.want, locations[e.lineno], tuple(sorted(e.options.items())))
        for e in parsed
    )
    if not examples:
        raise ValueError("no example: write the examples as doctest (>>> lines and their output)")
    return ExampleBlock(tuple(ids), location, text, examples)


# How many of the facts a failing example read its message cites when none contradicts it.
CITED_FACTS = 3


@dataclass(frozen=True)
class ExampleFailure:
    """The first example of a block that failed: what it expected, what it got, what it read.

    ``facts``: the reference facts the example read (``model/reference_facts.py``),
    each with the source line it came from when the reference is a Xen tree.
    """

    example: Example
    got: str  # the output, or the exception doctest reports
    facts: tuple[Fact, ...] = ()

    def contradicting(self) -> tuple[Fact, ...]:
        """The facts whose value the output shows and the expected output does not.

        ``'X17'`` expected ``'X16'``: the number register read as X17 is the
        fact that contradicts the example; ``xenver["XENVER_version"]``
        giving 9 for 0, the command number read as 9.
        """
        got, want = Mentions.of([self.got]), Mentions.of([self.example.want])
        shown = (got.names - want.names, got.numbers - want.numbers)
        return tuple(
            fact
            for fact in self.facts
            if (value := Mentions.of([fact.value])).names & shown[0] or value.numbers & shown[1]
        )

    def describe(self) -> str:
        """What failed, and the reference's line that contradicts it (else the lines it read)."""
        source = self.example.source.strip()
        text = f"{source} expected {_shown(self.example.want)}, got {_shown(self.got)}"
        cited = self.contradicting()
        if cited:
            return f"{text}; the reference says {'; '.join(f.cited() for f in cited)}"
        if not self.facts:
            return text
        read = [f.cited() for f in self.facts[:CITED_FACTS]]
        if len(self.facts) > CITED_FACTS:
            read.append(f"{len(self.facts) - CITED_FACTS} more")
        return f"{text}; the example read {'; '.join(read)}"


def _shown(output: str) -> str:
    text = output.strip()
    return repr(text) if text else "nothing"


@dataclass(frozen=True)
class BlockOutcome:
    """A block as it ran: passed, or its first failing example; and the facts its examples read."""

    block: ExampleBlock
    failure: ExampleFailure | None = None
    # The reference facts the examples that ran read, in the order first read.
    facts: tuple[Fact, ...] = ()

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def location(self) -> Location:
        """Where to report it: the failing example's line, else the directive's."""
        return self.block.location if self.failure is None else self.failure.example.location


@dataclass(frozen=True)
class RequirementVerification:
    """A requirement's verdict and why it is not verified, if it is not."""

    requirement: str
    status: Status
    reasons: tuple[str, ...] = ()
    blocks: tuple[BlockOutcome, ...] = ()


def verify_requirement(
    requirement: str, text: str, outcomes: Iterable[BlockOutcome]
) -> RequirementVerification:
    """The verdict on ``requirement`` (its description and comments in ``text``).

    *failed*: a block naming it failed; *unverified*: no block names it, or
    a value its text states (a claim) is mentioned by no passing example;
    *verified* otherwise. ``outcomes`` may hold other requirements' blocks.
    """
    blocks = tuple(o for o in outcomes if requirement in o.block.ids)
    failed = [o for o in blocks if o.failure is not None]
    if failed:
        reasons = tuple(
            f"{o.location}: {o.failure.describe()}" for o in failed if o.failure is not None
        )
        return RequirementVerification(requirement, Status.FAILED, reasons, blocks)
    if not blocks:
        reason = f"no example verifies {requirement}"
        return RequirementVerification(requirement, Status.UNVERIFIED, (reason,), blocks)
    mentions = Mentions.of(e.text for o in blocks for e in o.block.examples)
    reasons = tuple(
        _unasserted(claim.text, requirement, missing)
        for claim in claims(text)
        if (missing := mentions.missing(claim))
    )
    status = Status.UNVERIFIED if reasons else Status.VERIFIED
    return RequirementVerification(requirement, status, tuple(dict.fromkeys(reasons)), blocks)


def _unasserted(claim: str, requirement: str, missing: tuple[str, ...]) -> str:
    reason = f"{claim} in {requirement} is not verified"
    if [m.lower() for m in missing] != [claim.lower()]:
        reason += f" (no passing example mentions {', '.join(missing)})"
    return reason


# The fields whose values are the requirement's claims (a rationale argues, it claims nothing).
CLAIMING_FIELDS = ("Description", "Comments")


def verify_item(
    item: RequirementItem, outcomes: Sequence[BlockOutcome]
) -> tuple[RequirementVerification, tuple[Problem, ...]]:
    """An item's verdict, and a problem at each field that states a value no example asserts.

    Only an item some block verifies is held to its claims: an item nobody
    tried to verify is unverified, which its status says, without a warning.
    """
    fields = [f for f in item.fields if f.name in CLAIMING_FIELDS]
    requirement = str(item.id)
    verdict = verify_requirement(requirement, "\n\n".join(f.text for f in fields), outcomes)
    if verdict.status is not Status.UNVERIFIED or not verdict.blocks:
        return verdict, ()
    mentions = Mentions.of(e.text for o in verdict.blocks for e in o.block.examples)
    problems = tuple(
        Problem(
            WarningSubtype.UNVERIFIED_CLAIM,
            _unasserted(claim.text, requirement, missing),
            field.location,
        )
        for field in fields
        for claim in claims(field.text)
        if (missing := mentions.missing(claim))
    )
    return verdict, problems
