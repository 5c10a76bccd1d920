"""The domain's views kept between builds, and the environment pickled for them.

The views (``XenAbiDomain.view``) are computed at ``env-updated``, before
Sphinx pickles the environment, so a rebuild that reads no document finds
them. Sphinx pickles it only when a page is updated, though: a rebuild
that read nothing but had to compute the views (the package was upgraded
or edited since) names the root page, or every later no-op rebuild would
compute them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.domain.xenabi import xenabi_domain

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

# Whether each build reads any document (env-before-read-docs).
_READS_DOCUMENTS: WeakKeyDictionary[Sphinx, bool] = WeakKeyDictionary()


def note_documents_to_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: remember whether this build reads any document."""
    _READS_DOCUMENTS[app] = bool(docnames)


def keep_views(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``, after the result's statuses: every view, and the root page
    when the views were computed by a rebuild that read nothing."""
    computed = xenabi_domain(env).keep_views()
    root = app.config.root_doc
    if computed and not _READS_DOCUMENTS.get(app, True) and root in env.all_docs:
        return [root]
    return []
