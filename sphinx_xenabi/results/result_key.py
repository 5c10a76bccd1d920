"""What a build's result is computed from, named as one key.

The build's result (``results/build_result.py``) is a function of:

* what each document put into the domain (tables, problems, hypercall
  objects, references, requirement items, example blocks);
* what the guide map reads of the documents: which exist, where, their
  titles and toctrees;
* the configuration and the builder;
* the reference's facts (the Xen source's files, or the model's code);
* this package's code.

Each document's part is digested when the document is read and kept with it
in the domain (so a rebuild digests only the documents it read); the rest is
small and digested at ``env-updated``. Two builds with the same key have the
same result: ``results/settling.py`` then reuses the last one instead of
checking, running and publishing everything again.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.domain.xenabi import GUIDE_MAP_KEY, XenAbiDomain, xenabi_domain
from sphinx_xenabi.model.content_key import digest

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

_KEYS = "content_keys"
_NOTHING = hashlib.sha256().digest()
# Sphinx's own settings the result reads (the xenabi_* ones are all taken).
_SPHINX_SETTINGS = ("root_doc", "suppress_warnings", "project", "version", "release")


def document_key(domain: XenAbiDomain, docname: str) -> str | None:
    """What ``docname`` put into the domain, as a digest; None when it put nothing.

    Digested from the digests the record stores keep of their values' content pickles.
    """
    found = hashlib.sha256()
    for store in domain.RECORD_STORES:
        records = domain.data.get(store)
        if records is not None and docname in records:
            found.update(f"{store}:{records.digest(docname)};".encode())
    return None if found.digest() == _NOTHING else found.hexdigest()


def note_content_key(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: keep the document's key with its records."""
    domain, docname = xenabi_domain(app.env), app.env.docname
    domain.forget_guide_map_key()  # a new document too (clear_doc sees only old ones)
    keys: dict[str, str] = domain.data.setdefault(_KEYS, {})
    key = document_key(domain, docname)
    if key is None:
        keys.pop(docname, None)
    else:
        keys[docname] = key


def result_settings(app: Sphinx) -> dict[str, Any]:
    """The settings the result reads, by name."""
    settings = {v.name: v.value for v in app.config if v.name.startswith("xenabi_")}
    settings.update((name, app.config[name]) for name in _SPHINX_SETTINGS)
    return settings


def guide_map_key(domain: XenAbiDomain, env: BuildEnvironment) -> str:
    """What the guide map reads of the documents, as one digest.

    Kept in the domain until a document is read or removed (which is when
    a title, a toctree or a path can change): a rebuild that read nothing
    does not walk every document's title again.
    """
    key = domain.data.get(GUIDE_MAP_KEY)
    if key is None:
        key = domain.data[GUIDE_MAP_KEY] = digest(
            "guide-map",
            sorted(env.found_docs),
            sorted((docname, title.astext()) for docname, title in env.titles.items()),
            sorted((name, list(included)) for name, included in env.toctree_includes.items()),
            [env.doc2path(docname, False).as_posix() for docname in sorted(domain.tables)],
        )
    return str(key)


def build_inputs(app: Sphinx) -> list[Any]:
    """What the result is computed from besides the documents, the reference and the code.

    One list for both keys that name it: the result's (:func:`result_key`)
    and the stamp a rebuild checks (``results/unchanged_rebuild.py``).
    """
    builder = [app.builder.name, app.builder.format, str(app.srcdir), str(app.confdir)]
    return [result_settings(app), builder]


def result_key(app: Sphinx, env: BuildEnvironment, reference: object) -> str:
    """The key of everything the build's result depends on (``reference``: its identity)."""
    from sphinx_xenabi.model.code_key import code_key

    domain = xenabi_domain(env)
    return digest(
        "build-result",
        code_key(),
        sorted(domain.data.get(_KEYS, {}).items()),
        guide_map_key(domain, env),
        *build_inputs(app),
        reference,
    )
