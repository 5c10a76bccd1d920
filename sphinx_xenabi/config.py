"""The extension's configuration values: each declared once, with its help.

:data:`CONFIG_VALUES` is the one place a value's default, types, rebuild
and help text are written: :func:`add_config_values` registers them,
:func:`check_config_types` checks them, and the ``xenabi-config-values``
directive renders them on the configuration page (``docs/tooling/``), so the
page cannot drift from the code.
"""

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

# How messages and the configuration page name each type, in this order.
_TYPE_WORDS = {
    str: "a string",
    list: "a list",
    tuple: "a tuple",
    dict: "a dict",
    bool: "True or False",
    NoneType: "None",
}


@dataclass(frozen=True)
class ConfigValue:
    """One ``xenabi_*`` value. ``help`` is reST, rendered on the configuration page.

    A value without help, or whose default or types the page could not
    name, is refused when the module is imported.
    """

    name: str
    default: Any
    rebuild: Literal["", "env", "html"]
    types: frozenset[type] | ENUM
    help: str
    choices: tuple[str, ...] = ()  # the ENUM's candidates, for checking and messages

    def __post_init__(self) -> None:
        if not self.name.startswith("xenabi_"):
            raise ValueError(f"configuration value {self.name!r} does not start with xenabi_")
        if not self.help.strip():
            raise ValueError(f"configuration value {self.name} has no help text")
        if isinstance(self.types, ENUM):
            if self.default not in self.choices:
                raise ValueError(f"{self.name}: the default {self.default!r} is not a choice")
        elif not self.types <= _TYPE_WORDS.keys() or type(self.default) not in self.types:
            raise ValueError(f"{self.name}: a type or the default's type has no words")


CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        "xenabi_xen_release",
        None,
        "env",
        frozenset({str, NoneType}),
        'The Xen release the guides describe, such as ``"4.22"``: tables whose title states '
        "no release range are checked against the model revision of this release. ``None`` "
        "uses the project's Sphinx ``release``, else its ``version``. A value that is not "
        "``MAJOR.MINOR``, or no release at all, checks against the newest release the model "
        "knows, and the build log says so once (``check`` says which release it checked "
        "against in its summary line). A number instead of a string (Python reads ``4.20`` "
        "as ``4.2``) or a major or minor above 65535 (more than ``XENVER_version`` can return) "
        "stops the build with a configuration error, as does the same in ``release`` when it "
        "names the release.",
    ),
    ConfigValue(
        "xenabi_drift",
        "error",
        "",
        ENUM(*DRIFT_MODES),
        'What a disagreement between a table and the model does. With ``"error"``, it is '
        "logged as an error and the build exits non-zero in every builder, even without "
        '``-W``; no registry is published. With ``"warning"`` the same findings are warnings '
        "of type ``xenabi.drift``.",
        DRIFT_MODES,
    ),
    ConfigValue(
        "xenabi_xen_source",
        None,
        "",
        frozenset({str, NoneType, bool}),
        "A Xen source tree to check the tables against instead of the built-in model: a path "
        "relative to the conf dir, naming the directory that holds ``xen/``. ``None``: when the "
        "docs folder's parent holds ``xen/include/public/xen.h`` (the docs sit in a Xen tree), "
        "that tree, said in one log line; otherwise the model. ``False`` always uses the "
        "model. See :doc:`/tooling/xen-source`.",
    ),
    ConfigValue(
        "xenabi_xen_config",
        "all",
        "",
        frozenset({str}),
        'The build configuration the Xen source is read in: ``"all"`` (every option that '
        'gates a hypercall on: what the ABI offers), ``"defconfig"`` (Xen\'s Kconfig defaults '
        "for x86_64) or the path of a ``.config``, relative to the conf dir.",
    ),
    ConfigValue(
        "xenabi_parallel_reading",
        True,
        "",
        frozenset({bool}),
        "``True`` reads the Xen source in a worker process while Sphinx reads the documents, "
        "when the fact cache holds no reading of the tree as it is, and runs a fresh build's "
        "table rows in another, which loads the emulator meanwhile (on a machine with more "
        "than one core, where processes can be forked, and only from a process that runs no "
        "other thread); the reading and the outcomes are the same either way. ``False`` does "
        "both in the build's own process, after the documents.",
    ),
    ConfigValue(
        "xenabi_fact_cache",
        None,
        "",
        frozenset({str, NoneType}),
        "Where the fact cache is kept (the Xen source reading, the executed rows, the "
        "examples' outcomes and the build's result, each keyed by the content it was computed "
        "from; see :doc:`/tooling/edit-loop`). ``None``: in the doctree directory, so removing "
        "the build directory removes it. A directory (relative to the conf dir; ``~`` is "
        "expanded) shared by build directories, such as a CI cache or "
        "``~/.cache/sphinx-xenabi``, lets a fresh build reuse what an earlier build of the "
        "same docs computed; each docs directory has its own file there.",
    ),
    ConfigValue(
        "xenabi_history_sources",
        [],
        "env",
        frozenset({list, tuple}),
        "Xen source trees, paths relative to the conf dir and one per release in any order, "
        "that the ``xenabi-abi-history`` directive tells the ABI's history from, each change "
        "with its source line (read in :confval:`xenabi_xen_config`). Empty: the reference "
        "model's revisions.",
    ),
    ConfigValue(
        "xenabi_write_registry",
        True,
        "",
        frozenset({bool}),
        "``True`` writes ``xenabi-registry.json`` at the root of the output directory after "
        "every successful build (see :doc:`/tooling/registry-format`); ``False`` writes none.",
    ),
    ConfigValue(
        "xenabi_write_requirements",
        True,
        "",
        frozenset({bool}),
        "``True`` writes ``xenabi-requirements.json`` beside the registry after every "
        "successful build with requirement items: each item with its id, place, fields, links "
        "both ways, status, examples and claims (see :doc:`/tooling/requirements`); ``False`` "
        "writes none.",
    ),
    ConfigValue(
        "xenabi_write_needs",
        True,
        "",
        frozenset({bool}),
        "``True`` writes ``xenabi-needs.json`` beside the registry after every successful build "
        "with requirement items: the items as sphinx-needs' ``needs.json``, with their status, "
        "for a sphinx-needs project's ``needimport`` (see :doc:`/tooling/requirements`); "
        "``False`` writes none.",
    ),
    ConfigValue(
        "xenabi_needs_types",
        {},
        "",
        frozenset({dict}),
        "The sphinx-needs need type of each artifact type in ``xenabi-needs.json``, such as "
        '``{"XenSwdgn": "spec"}``; an artifact type not listed is ``"req"``. The importing '
        "project must declare every need type named here. Keys and values are strings.",
    ),
    ConfigValue(
        "xenabi_execute_tables",
        True,
        "env",
        frozenset({bool}),
        "``True`` runs the register and transfer tables as machine code in a CPU emulator "
        "during an html build and shows the evidence in the rendered tables (see `Executed "
        "tables`_ below); ``False`` only checks them.",
    ),
)


def type_annotation(value: ConfigValue) -> str:
    """The types ``value`` takes, as Python writes them: ``str | None``, ``"error" | "warning"``."""
    if isinstance(value.types, ENUM):
        return " | ".join(f'"{choice}"' for choice in value.choices)
    return " | ".join(
        "None" if kind is NoneType else kind.__name__ for kind in _TYPE_WORDS if kind in value.types
    )


def default_source(value: ConfigValue) -> str:
    """The default as it would be written in ``conf.py`` (strings in double quotes)."""
    return f'"{value.default}"' if isinstance(value.default, str) else repr(value.default)


def type_words(value: ConfigValue) -> str:
    """What ``value`` takes, in words: ``True or False``, ``a string or None``."""
    if isinstance(value.types, ENUM):
        return "one of " + ", ".join(map(repr, value.choices))
    words = [word for kind, word in _TYPE_WORDS.items() if kind in value.types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_config_types(app: Sphinx, config: Config) -> None:
    """A value of the wrong type stops the build, naming it and what it takes.

    Sphinx only warns and keeps the value, so ``xenabi_execute_tables = "no"``
    would execute (a non-empty string is true).
    """
    for value in CONFIG_VALUES:
        if value.name == "xenabi_xen_release":
            continue  # results.release.check_release_setting says how to write a release
        given = config[value.name]
        if value.name == "xenabi_needs_types" and isinstance(given, dict):
            _check_string_mapping(app, value.name, given)
        if isinstance(value.types, ENUM):
            ok = isinstance(given, str) and given in value.choices
        else:
            # bool is an int, and an int is no bool: compare exact types
            ok = type(given) in value.types
        if not ok:
            raise ConfigError(
                f"{Path(app.confdir) / 'conf.py'}: {value.name} = {given!r}: "
                f"expected {type_words(value)}, not {type(given).__name__}"
            )


def _check_string_mapping(app: Sphinx, name: str, given: dict[Any, Any]) -> None:
    """A mapping of strings to strings, every entry (``xenabi_needs_types``)."""
    for key, entry in given.items():
        if not isinstance(key, str) or not isinstance(entry, str) or not entry:
            raise ConfigError(
                f"{Path(app.confdir) / 'conf.py'}: {name}[{key!r}] = {entry!r}: "
                "expected an artifact type (a string) mapped to a need type (a non-empty string)"
            )


def add_config_values(app: Sphinx) -> None:
    for value in CONFIG_VALUES:
        app.add_config_value(
            value.name, value.default, value.rebuild, types=value.types, description=value.help
        )
    # Before Sphinx's own type check (priority 800), which only warns.
    app.connect("config-inited", check_config_types, priority=400)
