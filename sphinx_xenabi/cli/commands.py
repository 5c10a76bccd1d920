"""The subcommands, named with their one-line help without importing their modules.

``sphinx-xenabi check`` loads ``cli/check.py`` and the reading code only: the
other commands' modules (``diff``'s git and comparison code, ``history``'s)
load when they run or when their own ``--help`` is asked for. The list of
commands in ``sphinx-xenabi --help`` needs only the lines below.
"""

from __future__ import annotations

# Name -> help, in the order ``--help`` lists them; each module's add_parser uses its line.
COMMANDS: dict[str, str] = {
    "extract": "write the registry JSON of a docs tree (no html build)",
    "check": "compare a docs tree's ABI tables with the reference model",
    "source": "print the ABI facts of a Xen source tree as JSON, with their evidence",
    "indent": "check that reST directive bodies and options are indented by 3 spaces",
    "diff": "what changed for guests between two revisions (docs, registry JSON, Xen source)",
    "history": "the windows of a repository's history in which its docs and Xen source disagreed",
}


def command_named(argv: list[str]) -> str | None:
    """The command ``argv`` runs: its first word that is not an option, if it names one."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if word in COMMANDS else None
