"""The version hypercall (``xen_version``, 17) as the built-in model knows it.

The commands of ``xen/include/public/version.h`` by release, the typed
buffer each buffer command copies whole, what ``XENVER_version`` returns,
and the capabilities string an arm64 Xen reports. Each fact is what the Xen
source reader reads (:mod:`sphinx_xenabi.model.xen_source.version`); a test
holds the two together on every real tree.

- ``XENVER_version`` (0) to ``XENVER_build_id`` (10) are in every modelled
  release; ``XENVER_extraversion2`` to ``XENVER_commandline2`` (11 to 14,
  ``xen_varbuf_t``) arrived in 4.20 (Xen commit e3bb1b6525, committed
  2024-12-20 during 4.20-unstable).
- ``XENVER_version`` returns ``(xen_major_version() << 16) |
  xen_minor_version()``: :attr:`.Release.xen_version`.
- An arm64 Xen writes ``"xen-3.0-aarch64 "`` (``#ifdef CONFIG_ARM_64``),
  then ``"xen-3.0-armv7l "`` when the CPU can run AArch32 guests
  (``if ( cpu_has_aarch32 )``), in ``arch/arm/setup.c``; the guest's
  ``xen_capabilities_info_t`` is ``char[1024]``, zero-filled after the string.

No Sphinx or docutils.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .abi import FIRST_MODELLED_RELEASE, XENVER_version
from .spec import Release

VARBUF_RELEASE = Release(4, 20)
"""The release that added ``XENVER_extraversion2`` .. ``XENVER_commandline2`` (11 to 14)."""


@dataclass(frozen=True)
class Buffer:
    """The typed array a buffer command copies to the guest, whole."""

    type: str  # "xen_capabilities_info_t"
    element: str  # "char"
    size: int  # elements (bytes): 1024


@dataclass(frozen=True)
class VersionCommand:
    """One ``XENVER_*`` command, the release it arrived in and its buffer."""

    name: str
    number: int
    buffer: Buffer | None = None  # None: a value, a struct or a xen_varbuf_t
    since: Release = FIRST_MODELLED_RELEASE  # older releases are not modelled


COMMANDS: tuple[VersionCommand, ...] = (
    VersionCommand("XENVER_version", 0),
    VersionCommand("XENVER_extraversion", 1, Buffer("xen_extraversion_t", "char", 16)),
    VersionCommand("XENVER_compile_info", 2),
    VersionCommand("XENVER_capabilities", 3, Buffer("xen_capabilities_info_t", "char", 1024)),
    VersionCommand("XENVER_changeset", 4, Buffer("xen_changeset_info_t", "char", 64)),
    VersionCommand("XENVER_platform_parameters", 5),
    VersionCommand("XENVER_get_features", 6),
    VersionCommand("XENVER_pagesize", 7),
    VersionCommand("XENVER_guest_handle", 8, Buffer("xen_domain_handle_t", "uint8_t", 16)),
    VersionCommand("XENVER_commandline", 9, Buffer("xen_commandline_t", "char", 1024)),
    VersionCommand("XENVER_build_id", 10),
    VersionCommand("XENVER_extraversion2", 11, since=VARBUF_RELEASE),
    VersionCommand("XENVER_capabilities2", 12, since=VARBUF_RELEASE),
    VersionCommand("XENVER_changeset2", 13, since=VARBUF_RELEASE),
    VersionCommand("XENVER_commandline2", 14, since=VARBUF_RELEASE),
)

XENVER_extraversion = 1
XENVER_capabilities = 3
XENVER_changeset = 4

ARM64_CAPABILITY = "xen-3.0-aarch64 "
"""What an arm64 Xen always writes (``#ifdef CONFIG_ARM_64``)."""
AARCH32_CAPABILITY = "xen-3.0-armv7l "
"""What it adds when the CPU can run AArch32 guests (``if ( cpu_has_aarch32 )``)."""


@dataclass(frozen=True)
class XenBuild:
    """What one Xen build on one machine reports through the buffer commands.

    None where nothing is stated: the model knows no build's extraversion
    (``XEN_EXTRAVERSION``, ``.0`` or ``-unstable``) or changeset, and the
    Arm capabilities depend on whether the CPU runs AArch32 guests.
    """

    extraversion: str | None = None
    changeset: str | None = None
    aarch32: bool | None = None


def commands_for(release: Release) -> Mapping[int, VersionCommand]:
    """The commands ``release`` defines, by number; ValueError before 4.13."""
    if release < FIRST_MODELLED_RELEASE:
        raise ValueError(
            f"the model knows the version hypercall of Xen {FIRST_MODELLED_RELEASE} and "
            f"later, not {release}"
        )
    return MappingProxyType({c.number: c for c in COMMANDS if c.since <= release})


def arm64_capabilities(aarch32: bool) -> str:
    """The capabilities string of an arm64 Xen, on a CPU with or without AArch32."""
    return ARM64_CAPABILITY + (AARCH32_CAPABILITY if aarch32 else "")


__all__ = [
    "AARCH32_CAPABILITY",
    "ARM64_CAPABILITY",
    "COMMANDS",
    "VARBUF_RELEASE",
    "XENVER_capabilities",
    "XENVER_changeset",
    "XENVER_extraversion",
    "XENVER_version",
    "Buffer",
    "VersionCommand",
    "XenBuild",
    "arm64_capabilities",
    "buffer_bytes",
    "commands_for",
]


def buffer_bytes(text: str, buffer: Buffer) -> bytes:
    """What the guest's buffer holds after the copy: the string, NUL-filled to the size.

    Xen ``memset``\\ s the local, ``safe_strcpy``\\ s the string into it (at most
    ``size - 1`` characters) and copies the whole array.
    """
    data = text.encode("ascii")[: buffer.size - 1]
    return data + bytes(buffer.size - len(data))
