"""The extension's configuration values, each with its help text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import NoneType
from typing import TYPE_CHECKING, Any, Literal

from sphinx.config import ENUM
from sphinx.errors import ConfigError

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

DRIFT_MODES = ("error", "warning")


@dataclass(frozen=True)
class ConfigValue:
    name: str
    default: Any
    rebuild: Literal["", "env", "html"]
    types: frozenset[type] | ENUM
    help: str
    choices: tuple[str, ...] = ()  # the ENUM's candidates, for checking and messages


CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        "xenabi_xen_release",
        None,
        "env",
        frozenset({str, NoneType}),
        "The Xen release the guides describe (e.g. '4.22'). Tables that state no release range "
        "are checked against the model revision of this release. None uses the project's "
        "Sphinx `release`, else `version`; a value that is not MAJOR.MINOR means the newest "
        "revision the model knows (said once in the log). A number (Python reads 4.20 as 4.2) or "
        "a part above 65535 is a configuration error.",
    ),
    ConfigValue(
        "xenabi_drift",
        "error",
        "",
        ENUM(*DRIFT_MODES),
        "What a disagreement between a table and the model does: 'error' fails the build "
        "(non-zero exit in every builder, even without -W); 'warning' reports it as a "
        "warning of type xenabi.drift.",
        DRIFT_MODES,
    ),
    ConfigValue(
        "xenabi_xen_source",
        None,
        "",
        frozenset({str, NoneType, bool}),
        "A Xen source tree to check the tables against instead of the built-in model: a path "
        "relative to the conf dir (the directory that holds xen/). None uses the tree the docs "
        "sit in when the docs folder's parent holds xen/include/public/xen.h, else the model; "
        "False always uses the model.",
    ),
    ConfigValue(
        "xenabi_xen_config",
        "all",
        "",
        frozenset({str}),
        "The build configuration the Xen source is read in: 'all' (every option that gates a "
        "hypercall on: what the ABI offers), 'defconfig' (Xen's Kconfig defaults for x86_64) or "
        "the path of a .config, relative to the conf dir.",
    ),
    ConfigValue(
        "xenabi_history_sources",
        [],
        "env",
        frozenset({list, tuple}),
        "Xen source trees (paths relative to the conf dir, one per release, in any order) that "
        "the xenabi-abi-history directive tells the ABI's history from, each change with its "
        "source line; read in xenabi_xen_config. Empty (the default): the reference model's "
        "revisions.",
    ),
    ConfigValue(
        "xenabi_write_registry",
        True,
        "",
        frozenset({bool}),
        "Write xenabi-registry.json at the root of the output directory after a successful build.",
    ),
    ConfigValue(
        "xenabi_execute_tables",
        True,
        "env",
        frozenset({bool}),
        "Run every row of the register and transfer tables as machine code in the CPU emulator "
        "during an html build, and show the evidence in the rendered table.",
    ),
)


_TYPE_WORDS = {bool: "True or False", str: "a string", NoneType: "None"}


def _expected(value: ConfigValue) -> str:
    if isinstance(value.types, ENUM):
        return "one of " + ", ".join(map(repr, value.choices))
    return " or ".join(sorted(_TYPE_WORDS[t] for t in value.types))


def check_config_types(app: Sphinx, config: Config) -> None:
    """A value of the wrong type stops the build, naming it and what it takes.

    Sphinx only warns and keeps the value, so ``xenabi_execute_tables = "no"``
    would execute (a non-empty string is true).
    """
    for value in CONFIG_VALUES:
        if value.name == "xenabi_xen_release":
            continue  # release_setting.check_release_setting says how to write a release
        given = config[value.name]
        if isinstance(value.types, ENUM):
            ok = isinstance(given, str) and given in value.choices
        else:
            # bool is an int, and an int is no bool: compare exact types
            ok = type(given) in value.types
        if not ok:
            raise ConfigError(
                f"{Path(app.confdir) / 'conf.py'}: {value.name} = {given!r}: "
                f"expected {_expected(value)}, not {type(given).__name__}"
            )


def add_config_values(app: Sphinx) -> None:
    for value in CONFIG_VALUES:
        app.add_config_value(
            value.name, value.default, value.rebuild, types=value.types, description=value.help
        )
    # Before Sphinx's own type check (priority 800), which only warns.
    app.connect("config-inited", check_config_types, priority=400)
