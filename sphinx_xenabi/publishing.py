"""Publishing ``xenabi-registry.json``: never beside html that contradicts it.

The last build's registry is withdrawn after reading, before the first page
is written, and the new one is written atomically only once the build has
succeeded. A build that fails, or is interrupted at any point (even by
SIGKILL, when no handler runs), leaves no registry or the new one, never the
old one. A registry that cannot be written or withdrawn is one located error
and a failing build, not a crash report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_xenabi.messages import error, logger
from sphinx_xenabi.model.registry import REGISTRY_FILENAME
from sphinx_xenabi.state import build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def registry_target(app: Sphinx) -> Path:
    return Path(app.outdir) / REGISTRY_FILENAME


def withdraw_registry(app: Sphinx) -> None:
    """Remove the published registry, if any (call before writing a page)."""
    target = registry_target(app)
    try:
        target.unlink(missing_ok=True)
    except IsADirectoryError:
        pass  # not a registry, so it contradicts nothing; publishing will say it is in the way
    except OSError as exc:
        error(
            "registry",
            f"{target}: cannot remove the previous registry: {exc.strerror or exc}; "
            "it may not match the pages this build writes",
            None,  # a path as the location would be read as a docname
        )
        app.statuscode = 1


def _build_failing(app: Sphinx) -> bool:
    """Whether the build will exit non-zero: a builder's failures, or -W warnings.

    Sphinx turns warnings into a failing status only after build-finished,
    so ``-W`` is read from the application as Sphinx itself does.
    """
    fails_on_warnings = bool(getattr(app, "_fail_on_warnings", False))
    return app.statuscode != 0 or (fails_on_warnings and getattr(app, "_warncount", 0) > 0)


def publish_registry(app: Sphinx, exception: BaseException | None) -> None:
    """At build-finished: write the registry of a successful build, atomically."""
    state = build_state(app)
    if exception is not None or state is None or state.failed or _build_failing(app):
        withdraw_registry(app)  # reading failed before env-updated withdrew it
        return
    if not app.config.xenabi_write_registry:
        return
    target = registry_target(app)
    try:
        state.registry.dump(target)
    except OSError as exc:
        error("registry", f"{target}: cannot write the registry: {exc.strerror or exc}", None)
        app.statuscode = 1
        return
    logger.info("xenabi: registry written to %s", target)
