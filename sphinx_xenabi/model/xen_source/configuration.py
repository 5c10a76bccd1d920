"""Build configurations: which ``CONFIG_*`` options a reading assumes on.

Hypercall availability depends on how Xen is built (no ``xenoprof_op``
without XENOPROF, no 32-bit PV guests without PV32). Three choices:

``all``
    Every option that gates a hypercall *on*: what the ABI offers. Options
    that only take hypercalls away (a PV shim build) and other architectures
    stay off. The default.
``defconfig``
    Xen's own Kconfig defaults for x86_64, evaluated by kconfiglib from the
    tree's ``xen/Kconfig`` and ``xen/arch/x86/configs/x86_64_defconfig``.
a path to a ``.config``
    A user's configuration, evaluated by kconfiglib against the tree's Kconfig.

Each architecture is its own build: the x86 facts are read in an x86_64
configuration, the Arm facts (``traps.c``, the ``arm`` column of
``hypercall-defs.c``) in an arm64 one, with Kconfig run as Xen's Makefiles
run it for that target (``SRCARCH=arm ARCH=arm64``) and the defconfig
``xen/arch/arm/configs/arm64_defconfig``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from sphinx_xenabi.model.spec import Architecture

ALL = "all"
DEFCONFIG = "defconfig"
NAMED_CONFIGURATIONS = (ALL, DEFCONFIG)

# Off even in "all": they remove hypercalls (a shim-only build) or select
# another architecture's code paths in the shared files.
OFF_IN_ALL = frozenset(
    {
        "CONFIG_PV_SHIM",
        "CONFIG_PV_SHIM_EXCLUSIVE",
        "CONFIG_ARM",
        "CONFIG_ARM_32",
        "CONFIG_ARM_64",
        "CONFIG_RISCV",
        "CONFIG_PPC",
        "CONFIG_PPC64",
    }
)
# On in "all" whether or not a read file tests them: the architecture, and
# the options that decide whether pv/ and hvm/ are built at all (Makefiles).
ALWAYS_IN_ALL = frozenset({"CONFIG_X86", "CONFIG_X86_64", "CONFIG_PV", "CONFIG_HVM"})

# What Xen's Makefiles export to Kconfig for an x86_64 build.
_KCONFIG_ENVIRONMENT = {"SRCARCH": "x86", "ARCH": "x86", "XEN_TARGET_ARCH": "x86_64", "CC": "gcc"}


@dataclass(frozen=True)
class Build:
    """What one architecture's build of Xen assumes: its "all" and its Kconfig run."""

    target: str  # "arm64": how configuration names say which build they are of
    off_in_all: frozenset[str]
    always_in_all: frozenset[str]
    kconfig_environment: MappingProxyType[str, str]
    defconfig: str  # relative to xen/


BUILDS: MappingProxyType[Architecture, Build] = MappingProxyType(
    {
        Architecture.X86: Build(
            "x86_64",
            OFF_IN_ALL,
            ALWAYS_IN_ALL,
            MappingProxyType(_KCONFIG_ENVIRONMENT),
            "arch/x86/configs/x86_64_defconfig",
        ),
        # An arm64 Xen. Off in its "all": what Arm's Kconfig can never turn on
        # (X86, PV*, PAGING and XENOPROF are not even defined for SRCARCH=arm;
        # nothing on Arm selects COMPAT or HAS_KEXEC), a shim-only build, and
        # the other targets (ARM_32 is an arm32 Xen). HVM is def_bool y on Arm.
        Architecture.ARM: Build(
            "arm64",
            frozenset(
                {
                    "CONFIG_X86",
                    "CONFIG_X86_64",
                    "CONFIG_PV",
                    "CONFIG_PV32",
                    "CONFIG_PV_SHIM",
                    "CONFIG_PV_SHIM_EXCLUSIVE",
                    "CONFIG_COMPAT",
                    "CONFIG_KEXEC",
                    "CONFIG_XENOPROF",
                    "CONFIG_PAGING",
                    "CONFIG_ARM_32",
                    "CONFIG_RISCV",
                    "CONFIG_PPC",
                    "CONFIG_PPC64",
                }
            ),
            frozenset({"CONFIG_ARM", "CONFIG_ARM_64", "CONFIG_HVM"}),
            MappingProxyType(
                {"SRCARCH": "arm", "ARCH": "arm64", "XEN_TARGET_ARCH": "arm64", "CC": "gcc"}
            ),
            "arch/arm/configs/arm64_defconfig",
        ),
    }
)


class ConfigurationError(ValueError):
    """A configuration that cannot be evaluated (names the file and the problem)."""


@dataclass(frozen=True)
class Configuration:
    """The options a reading assumes on, and how to name them in messages."""

    name: str  # "all", "defconfig" or the .config path as given
    enabled: frozenset[str]  # "CONFIG_PV", ...
    # The files evaluated to decide it (Kconfig files, the .config): part of
    # the reading's manifest, not of the configuration's identity.
    read: tuple[Path, ...] = field(default=(), compare=False, repr=False)

    def __contains__(self, option: object) -> bool:
        return option in self.enabled

    def state(self, option: str) -> str:
        """``CONFIG_PV32 is off in defconfig``: for messages."""
        return f"{option} is {'on' if option in self.enabled else 'off'} in {self.name}"

    @property
    def description(self) -> str:
        """What the configuration is, for a reader who never chose it: ``built with every
        hypercall enabled`` (all), ``built with its x86_64 defconfig``, ``built with PATH``."""
        choice, architecture = self.name, Architecture.X86
        for other, build in BUILDS.items():
            if other is not Architecture.X86 and choice.endswith(f" ({build.target})"):
                choice, architecture = choice[: -len(f" ({build.target})")], other
        target = BUILDS[architecture].target
        if choice == ALL:
            build_for = "" if architecture is Architecture.X86 else f" for {target}"
            return f"built{build_for} with every hypercall enabled"
        if choice == DEFCONFIG:
            return f"built with its {target} defconfig"
        return f"built with {choice}"


def _name(choice: str, architecture: Architecture) -> str:
    # x86's names stay as given ("all"); another build's say which it is.
    if architecture is Architecture.X86:
        return choice
    return f"{choice} ({BUILDS[architecture].target})"


def all_options(
    mentioned: Iterable[str], architecture: Architecture = Architecture.X86
) -> Configuration:
    """The "all" configuration over the options the read files mention."""
    build = BUILDS[architecture]
    enabled = frozenset(mentioned) - build.off_in_all | build.always_in_all
    return Configuration(_name(ALL, architecture), enabled)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    # kconfiglib reads $(SRCARCH) and friends from os.environ; restore it after.
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def kconfig_options(
    xen_dir: Path,
    config_file: Path | None,
    name: str,
    architecture: Architecture = Architecture.X86,
) -> Configuration:
    """Evaluate the tree's Kconfig with ``config_file`` (None: the defaults)."""
    import kconfiglib

    kconfig = xen_dir / "Kconfig"
    if not kconfig.is_file():
        raise ConfigurationError(f"{kconfig}: missing (expected Xen's Kconfig to evaluate {name})")
    if config_file is not None and not config_file.is_file():
        raise ConfigurationError(f"{config_file}: no such configuration file")
    # BASEDIR: what Xen up to 4.16 called srctree in its Kconfig macros.
    environment = {
        **BUILDS[architecture].kconfig_environment,
        "srctree": os.fspath(xen_dir),
        "BASEDIR": os.fspath(xen_dir),
    }
    try:
        with _environment(environment), contextlib.redirect_stderr(io.StringIO()):
            tree = kconfiglib.Kconfig("Kconfig", warn=False)
            if config_file is not None:
                tree.load_config(os.fspath(config_file))
    except Exception as exc:  # kconfiglib's errors on a tree or .config it cannot read
        where = config_file if config_file is not None else kconfig
        message = str(exc).strip().splitlines()
        last = message[-1] if message else type(exc).__name__
        located = re.match(r"^([\w./-]+):(\d+): (?:error: )?(.*)$", last)
        if located is not None:  # kconfiglib names a Kconfig file relative to srctree
            file, line, problem = located.groups()
            raise ConfigurationError(f"{xen_dir / file}:{line}: {problem}") from None
        raise ConfigurationError(f"{where}: {last}") from None
    enabled = frozenset(
        f"CONFIG_{symbol.name}" for symbol in tree.unique_defined_syms if symbol.tri_value == 2
    )
    read = [xen_dir / name for name in tree.kconfig_filenames]
    if config_file is not None:
        read.append(config_file)
    return Configuration(_name(name, architecture), enabled, tuple(read))


def resolve(
    xen_dir: Path,
    choice: str,
    mentioned: Iterable[str],
    architecture: Architecture = Architecture.X86,
) -> Configuration:
    """The configuration named by ``choice``: "all", "defconfig" or a .config path.

    A .config is evaluated against each architecture's Kconfig: the choices
    it makes that the architecture has apply, the rest are that Kconfig's.
    """
    if choice == ALL:
        return all_options(mentioned, architecture)
    if choice == DEFCONFIG:
        defconfig = xen_dir / BUILDS[architecture].defconfig
        config_file = defconfig if defconfig.is_file() else None
        configuration = kconfig_options(xen_dir, config_file, DEFCONFIG, architecture)
        # Looked for either way: its arrival changes the reading.
        return replace(configuration, read=(*configuration.read, defconfig))
    return kconfig_options(xen_dir, Path(choice), choice, architecture)
