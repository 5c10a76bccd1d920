"""``python -m sphinx_xenabi diff OLD NEW``: what changed for guests between two revisions.

Each side is a docs tree (read like ``check`` reads it, no html), a published
``xenabi-registry.json``, a Xen source tree, or any of those at a git
revision: ``PATH@REV``, or ``--git REV [PATH]`` for PATH at REV against
PATH in the working tree. A revision is read with ``git archive`` into a
temporary directory, so the user's checkout, index and branches stay as
they are. The comparison itself is :func:`sphinx_xenabi.model.abi_diff.compare`.

Exit codes: 0 nothing breaking (or above ``--fail-on``), 1 something is,
2 a usage or read error.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.cli.choices import DIFF_FORMATS, DIFF_SEVERITIES
from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS, CliError
from sphinx_xenabi.cli.reading import read_tree

# The ABI diff's model is imported where diff runs: building the parser
# (every other command, --help) loads none of it.
if TYPE_CHECKING:
    from sphinx_xenabi.model.abi_diff import DiffSide


@dataclass(frozen=True)
class SideSpec:
    """A side as the user named it: a path, maybe at a git revision."""

    text: str  # as given, for messages and the side's name
    path: Path
    revision: str | None = None


def parse_side(text: str) -> SideSpec:
    """``PATH`` or ``PATH@REV``; a path that exists as written is never split."""
    if "@" in text and not Path(text).exists():
        path, _, revision = text.rpartition("@")
        if not revision:
            raise CliError(f"{text}: no revision after '@' (expected PATH@REV)")
        return SideSpec(text, Path(path or "."), revision)
    return SideSpec(text, Path(text))


# -- git ---------------------------------------------------------------------------------


def _git(directory: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise CliError("git is not installed (needed to read a revision)") from None
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()
        raise CliError(f"git {' '.join(args)} in {directory}: {reason[-1] if reason else 'failed'}")
    return result.stdout.strip()


@dataclass(frozen=True)
class Checkout:
    """A revision exported: where it was written, and the repository it came from."""

    top: Path  # the repository's working tree
    export: Path  # the revision's files
    commit: str

    def inside(self, path: Path) -> Path:
        """Where ``path`` (in the working tree) is in the export."""
        return self.export / path.resolve().relative_to(self.top)


def resolve_revision(path: Path, revision: str) -> tuple[Path, str]:
    """The repository holding ``path`` (its working tree) and ``revision``'s commit there."""
    directory = path if path.is_dir() else path.parent
    if not directory.is_dir():
        raise CliError(f"{path}: no such directory to find a git repository in")
    top = Path(_git(directory, "rev-parse", "--show-toplevel")).resolve()
    try:
        commit = _git(
            top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        )
    except CliError:
        raise CliError(f"{revision}: no such revision in the git repository {top}") from None
    return top, commit


def export_revision(path: Path, revision: str, scratch: Path) -> Checkout:
    """The whole tree of ``revision`` of the repository holding ``path``, in ``scratch``.

    ``git archive`` streams the commit's files; nothing in the repository
    (working tree, index, refs) is written.
    """
    import tarfile  # only a revision needs it

    top, commit = resolve_revision(path, revision)
    if not hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
        raise CliError("reading a git revision needs Python 3.11.4 or later (tarfile filters)")
    process = subprocess.Popen(
        ["git", "-C", str(top), "archive", "--format=tar", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            archive.extractall(scratch, filter="data")
    except (tarfile.TarError, OSError) as exc:
        process.kill()
        raise CliError(f"git archive {revision} in {top}: {exc}") from None
    finally:
        process.stdout.close()
        errors = process.stderr.read().decode("utf-8", "replace").strip()
        process.stderr.close()
        process.wait()
    if process.returncode != 0:
        raise CliError(f"git archive {revision} in {top}: {errors or 'failed'}")
    return Checkout(top, scratch, commit)


# -- reading a side ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReadSide:
    side: DiffSide
    root: str | None  # where its evidence paths are relative to, as shown


def _shown(path: Path) -> str:
    """``path`` as the user sees it: relative to the current directory when inside it
    (as a GitHub annotation wants it), else absolute."""
    absolute, here = path.resolve(), Path.cwd().resolve()
    return os.path.relpath(absolute, here) if absolute.is_relative_to(here) else str(absolute)


def read_side(
    spec: SideSpec,
    args: argparse.Namespace,
    scratch: ExitStack,
) -> ReadSide:
    """Read one side into a DiffSide, from the working tree or an exported revision."""
    from sphinx_xenabi.model.abi_diff import DiffSide
    from sphinx_xenabi.model.xen_source import XEN_H

    path, conf_dir, checkout = spec.path, args.conf_dir, None
    if spec.revision is not None:
        directory = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="xenabi-")))
        checkout = export_revision(spec.path, spec.revision, directory)
        path = checkout.inside(spec.path)
        if conf_dir is not None and conf_dir.resolve().is_relative_to(checkout.top):
            conf_dir = checkout.inside(conf_dir)  # the revision's own conf.py
        if not path.exists():
            raise CliError(f"{spec.text}: {spec.path} does not exist at {spec.revision}")
    # Paths are shown where they live in the user's checkout, not in the export.
    shown = _shown(spec.path)
    if path.is_file():
        from sphinx_xenabi.model.registry import load
        from sphinx_xenabi.model.registry_schema import RegistryError

        try:
            registry = load(path)
        except RegistryError as exc:
            raise CliError(str(exc).replace(str(path), spec.text, 1)) from None
        name = f"{spec.text} (registry, Xen {registry.release})"
        return ReadSide(DiffSide.of_registry(registry, name), None)
    _check_kind(spec, path, conf_dir)
    if (path / XEN_H).is_file():
        from sphinx_xenabi.model.xen_source import (
            ConfigurationError,
            SourceError,
            read_xen_source,
        )

        try:
            source = read_xen_source(path, args.xen_config)
        except (SourceError, ConfigurationError) as exc:
            raise CliError(str(exc)) from None
        # "xen (source, Xen 4.19.0, built with every hypercall enabled)", as docs and registries
        name = f"{spec.text} (source, Xen {source.version}, {source.configuration.description})"
        return ReadSide(DiffSide(name, source.spec()), shown)
    # Only the tables are wanted: no Xen source to check against, no emulated CPU.
    reading = read_tree(
        path, conf_dir, {"xenabi_xen_source": False, "xenabi_execute_tables": False}
    )
    name = f"{spec.text} (docs, Xen {reading.registry.release})"
    return ReadSide(DiffSide.of_registry(reading.registry, name), shown)


def _check_kind(spec: SideSpec, path: Path, conf_dir: Path | None) -> None:
    """A registry file, a Xen source tree or a docs tree (with a conf.py), or an error."""
    from sphinx_xenabi.model.xen_source import XEN_H

    if path.is_file():
        return
    if not path.is_dir():
        raise CliError(f"{spec.text}: no such file or directory")
    if not (path / XEN_H).is_file() and conf_dir is None and not (path / "conf.py").is_file():
        raise CliError(
            f"{spec.text}: neither a docs tree (no conf.py; use --conf-dir DIR to name its "
            f"directory), a Xen source tree (no {XEN_H}) nor a registry JSON file"
        )


def check_side(spec: SideSpec, conf_dir: Path | None) -> None:
    """What can be known of a side without reading it: that it is there (in the working
    tree, or its revision in git), so neither side is read (Sphinx) before both are known."""
    if spec.revision is None:
        _check_kind(spec, spec.path, conf_dir)
    else:
        resolve_revision(spec.path, spec.revision)


def sides_of(args: argparse.Namespace) -> tuple[SideSpec, SideSpec]:
    if args.git is not None:
        if len(args.sides) > 1:
            raise CliError("--git REV takes one PATH (the working tree side), not two")
        path = args.sides[0] if args.sides else "."
        return SideSpec(f"{path}@{args.git}", Path(path), args.git), SideSpec(path, Path(path))
    if len(args.sides) != 2:
        raise CliError("diff takes OLD and NEW (or --git REV [PATH])")
    return parse_side(args.sides[0]), parse_side(args.sides[1])


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.model.abi_diff import Severity, compare
    from sphinx_xenabi.model.diff_report import OutputFormat, render

    old_spec, new_spec = sides_of(args)
    for spec in (old_spec, new_spec):
        check_side(spec, args.conf_dir)
    with ExitStack() as scratch:
        old = read_side(old_spec, args, scratch)
        new = read_side(new_spec, args, scratch)
    diff = compare(old.side, new.side).located_under(old.root, new.root)
    threshold = Severity(args.fail_on)
    shown = diff.shown(documentation=args.all or threshold is Severity.DOCUMENTATION)
    sys.stdout.write(render(shown, OutputFormat(args.format)))
    return EXIT_FINDINGS if shown.fails(threshold) else EXIT_CLEAN


def add_parser(commands: Any) -> None:
    """The ``diff`` subcommand."""
    diff = commands.add_parser(
        "diff",
        help=COMMANDS["diff"],
        description=(
            "Compare the ABI two revisions state. OLD and NEW are each a docs tree, a "
            "xenabi-registry.json, a Xen source tree, or PATH@REV (PATH at a git revision)."
        ),
    )
    diff.add_argument(
        "sides", nargs="*", metavar="SIDE", help="OLD and NEW, or with --git one PATH"
    )
    diff.add_argument(
        "--git",
        metavar="REV",
        help="compare PATH (default: .) at git revision REV with PATH in the working tree",
    )
    diff.add_argument(
        "--conf-dir", type=Path, metavar="DIR", help="directory of conf.py for docs trees"
    )
    diff.add_argument(
        "--xen-config",
        default="all",
        metavar="CONFIG",
        help="the configuration Xen source trees are read in: all (default), defconfig, .config",
    )
    diff.add_argument(
        "--format",
        choices=DIFF_FORMATS,
        default="text",
        help="text (default), markdown (a pull-request comment), json, github (annotations)",
    )
    diff.add_argument(
        "--fail-on",
        choices=DIFF_SEVERITIES,
        default="breaking",
        help="exit 1 on changes this severe or worse (default: breaking)",
    )
    diff.add_argument("--all", action="store_true", help="also show documentation-only changes")
    diff.set_defaults(run=run)
