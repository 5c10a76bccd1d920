"""Whether a directive stands in a MyST (Markdown) page.

myst-parser runs reST directives on a mocked state; its content lines are
numbered from the content's first line, and its nested parse reads
Markdown, so a directive may need to know which it is in.
"""

from __future__ import annotations

from docutils.parsers.rst import Directive


def in_markdown(directive: Directive) -> bool:
    try:
        from myst_parser.mocking import MockState
    except ImportError:  # myst-parser is optional
        return False
    return isinstance(directive.state, MockState)
