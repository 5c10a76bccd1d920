"""Which Xen release the docs describe, and what unranged tables are checked against.

The release comes from ``xenabi_xen_release``, else Sphinx's ``release``,
else ``version``. A value that cannot be meant (a number, a part above
65535) stops the build at ``config-inited``; one that is no MAJOR.MINOR at
all means the newest revision the model knows, said once in the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.errors import ConfigError

from sphinx_xenabi.model.release_numbers import (
    RELEASE_PART_MAX,
    ReleaseOverflowError,
    release_numbers,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.releases import Release


def _release_setting(config: Config) -> tuple[str, object]:
    """The configuration value that names the release the docs describe, and its value."""
    if config.xenabi_xen_release is not None:
        return "xenabi_xen_release", config.xenabi_xen_release
    if config.release or not config.version:
        return "release", config.release
    return "version", config.version


def described_release(app: Sphinx) -> str:
    """The release string the docs describe: the config override, else Sphinx's."""
    return str(_release_setting(app.config)[1] or "")


def check_release_setting(app: Sphinx, config: Config) -> None:
    """``config-inited``: refuse a release that cannot be meant, before anything is checked.

    Checking against a release other than the one meant would pass or fail
    the wrong tables, so these stop the build. A value that is no MAJOR.MINOR
    at all keeps its documented meaning: the newest revision the model knows.
    """
    name, value = _release_setting(config)
    if not isinstance(value, str | None):
        raise ConfigError(
            f"{name} = {value!r} is a {type(value).__name__}, not a string: write the release "
            "in quotes, such as '4.20' (Python reads 4.20 as 4.2, so a number cannot say "
            "which release is meant)"
        )
    try:
        release_numbers(value or "")
    except ReleaseOverflowError:
        raise ConfigError(
            f"{name} = {value!r} is not a Xen release: major and minor are at most "
            f"{RELEASE_PART_MAX} (XENVER_version returns each in 16 bits)"
        ) from None
    except ValueError:
        pass


def gate_release(registry: Registry) -> tuple[Release, str | None]:
    """The release unranged tables are checked against, and a note if guessed."""
    release = registry.described_release
    if release is not None:
        return release, None
    from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE, NEWEST_RELEASE_RANGE

    newest = NEWEST_MODELLED_RELEASE
    stated = (
        f"the documented release {registry.release!r} is not MAJOR.MINOR"
        if registry.release.strip()
        else "the project states no release (set release or xenabi_xen_release in conf.py)"
    )
    note = (
        f"xenabi: {stated}; checking tables that state no release against the newest "
        f"model revision ({NEWEST_RELEASE_RANGE}) as it stands in Xen {newest}"
    )
    return newest, note
