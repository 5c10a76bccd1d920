"""Names the pages' doctests see: the model and this build's own dispatcher.

``sphinx.ext.doctest`` runs ``doctest_global_setup`` before each group; the
extension prepends an import that fills the namespace from the registry the
current build extracted, so the doctests exercise the docs' own tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

_PREAMBLE = (
    "from sphinx_xenabi.results.doctest_namespace import doctest_globals as _xenabi_globals\n"
    "globals().update(_xenabi_globals())\n"
    "del _xenabi_globals\n"
)


def doctest_globals() -> dict[str, Any]:
    """The namespace, from the result of the build in progress (doctests run in it)."""
    # Imported here: only doctest builds need them, and setup() stays light.
    from sphinx_xenabi.model import abi, page
    from sphinx_xenabi.model.dispatcher import Dispatcher, Handler
    from sphinx_xenabi.model.spec import GuestType, Release
    from sphinx_xenabi.results.state import current_result

    result = current_result()
    if result is None:
        raise RuntimeError("sphinx_xenabi: no registry has been extracted in this build")
    registry = result.registry
    spec = registry.spec_for()
    return {
        "registry": registry,
        "spec": spec,
        "dispatcher": Dispatcher(spec),
        "debug_dispatcher": Dispatcher(spec, debug=True),
        "Dispatcher": Dispatcher,
        "Handler": Handler,
        "GuestType": GuestType,
        "Release": Release,
        "TransferGuest": abi.TransferGuest,
        "abi": abi,
        "hypercall_page": page.hypercall_page,
        "stub_bytes": page.stub_bytes,
    }


def prepend_doctest_preamble(app: Sphinx, config: Config) -> None:
    """``config-inited``: the doctests' setup starts by filling their namespace."""
    if "sphinx.ext.doctest" in config.extensions or "sphinx.ext.doctest" in app.extensions:
        existing = config.doctest_global_setup or ""
        if _PREAMBLE not in existing:
            config.doctest_global_setup = _PREAMBLE + existing
