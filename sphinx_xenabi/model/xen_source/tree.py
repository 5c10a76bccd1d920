"""A Xen source tree on disk: where each file lives in each layout, read once.

Layouts differ by release: ``xen/include/asm-x86/`` moved to
``xen/arch/x86/include/asm/`` in 4.17 (:meth:`XenTree.asm_header` finds
either), and 4.17 replaced the C dispatch tables by
``xen/include/hypercall-defs.c`` one file at a time (:mod:`.forms` asks each
file). A file the reader needs and cannot find or decode is a
:class:`SourceError` naming it and what was expected there, never a partial
answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from sphinx_xenabi.model.content_key import FileState, Manifest, blob_id, state_on_disk
from sphinx_xenabi.model.spec import Architecture, Evidence, Release
from sphinx_xenabi.model.xen_source.paths import ASM_DIRS, MAKEFILE, XEN_H

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.preprocessor import Preprocessed

_MAKE_VARIABLE = r"^\s*export\s+{}\s*\??=\s*(\S*)"


class SourceError(ValueError):
    """A Xen tree the reader cannot read: names the file and what was expected."""


@dataclass
class XenTree:
    """The root of a Xen source tree (the directory holding ``xen/``)."""

    root: Path
    _texts: dict[str, str] = field(default_factory=dict, repr=False)
    _preprocessed: dict[tuple[str, frozenset[str], Architecture], Preprocessed] = field(
        default_factory=dict, repr=False
    )
    # Derived once per file: every table entry asks for its line and its #if.
    _lines: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _conditions: dict[str, Mapping[int, str]] = field(default_factory=dict, repr=False)
    # Every path the reading opened or looked for, with what it found: the
    # reading's manifest, by which a cache knows when to read again.
    _states: dict[str, FileState] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: Path) -> XenTree:
        """The tree at ``path``, which may also be its ``xen/`` directory."""
        if not path.is_dir():
            raise SourceError(f"{path}: not a directory (expected a Xen source tree)")
        if not (path / XEN_H).is_file() and (path.parent / XEN_H).is_file():
            path = path.parent
        tree = cls(path)
        if not (path / XEN_H).is_file():
            raise SourceError(
                f"{path / XEN_H}: missing (expected a Xen source tree with its public headers)"
            )
        return tree

    def exists(self, relative: str) -> bool:
        found = (self.root / relative).is_file()
        if relative not in self._states:
            self._states[relative] = state_on_disk(self.root / relative)
        return found

    def has_architecture(self, architecture: Architecture) -> bool:
        """Whether the tree holds ``xen/arch/<architecture>/`` (a sparse tree may not)."""
        relative = f"xen/arch/{architecture.value}"
        found = (self.root / relative).is_dir()
        self._states[relative] = state_on_disk(self.root / relative)
        return found

    def note_read(self, paths: Iterable[Path]) -> None:
        """Record files read by another library (kconfiglib) for the manifest."""
        for path in paths:
            try:
                relative = path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:  # outside the tree: a user's .config
                relative = path.resolve().as_posix()
            self._states[relative] = state_on_disk(self.root / relative)

    def manifest(self) -> Manifest:
        """What this reading has depended on so far."""
        return Manifest.of(self._states)

    def asm_header(self, name: str) -> str:
        """``asm/<name>`` in whichever layout the tree has."""
        for directory in ASM_DIRS:
            if self.exists(f"{directory}/{name}"):
                return f"{directory}/{name}"
        raise SourceError(
            f"{self.root / ASM_DIRS[0] / name}: missing (nor under {ASM_DIRS[1]}/; "
            f"expected Xen's x86 asm/{name})"
        )

    def text(self, relative: str) -> str:
        """The file's text; SourceError when it is missing or unreadable."""
        if relative not in self._texts:
            path = self.root / relative
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                self._states[relative] = state_on_disk(path)
                raise SourceError(f"{path}: missing (expected in a Xen tree)") from None
            except OSError as exc:
                self._states[relative] = state_on_disk(path)
                raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
            self._states[relative] = blob_id(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SourceError(f"{path}: not UTF-8 text ({exc.reason})") from None
            # As open() in text mode reads it: universal newlines.
            self._texts[relative] = text.replace("\r\n", "\n").replace("\r", "\n")
        return self._texts[relative]

    def lines(self, relative: str) -> tuple[str, ...]:
        """The file's lines (line N at index N - 1)."""
        if relative not in self._lines:
            self._lines[relative] = tuple(self.text(relative).split("\n"))
        return self._lines[relative]

    def source_line(self, relative: str, line: int, note: str = "") -> Evidence:
        """Evidence for ``line`` of a file: its place and its text as written."""
        lines = self.lines(relative)
        # Runs of blanks collapse, so re-aligning a table changes no evidence.
        text = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
        return Evidence(relative, line, text, note)

    def preprocessed(
        self,
        relative: str,
        enabled: Iterable[str],
        architecture: Architecture = Architecture.X86,
    ) -> Preprocessed:
        """The file through the C preprocessor with ``enabled`` options defined."""
        # The preprocessor loads for the first file read: a build that reuses a
        # reading only looks where the tree is (XEN_H) and never loads it.
        from sphinx_xenabi.model.xen_source.preprocessor import PreprocessorError, preprocess

        key = (relative, frozenset(enabled), architecture)
        if key not in self._preprocessed:
            try:
                self._preprocessed[key] = preprocess(
                    self.text(relative), relative, key[1], architecture
                )
            except PreprocessorError as exc:
                raise SourceError(f"{self.root / relative}: {exc}") from None
        return self._preprocessed[key]

    def conditions(self, relative: str) -> Mapping[int, str]:
        """Line -> the ``#if`` condition guarding it, worked out once per file."""
        from sphinx_xenabi.model.xen_source.conditions import line_conditions

        if relative not in self._conditions:
            self._conditions[relative] = MappingProxyType(
                dict(line_conditions(self.text(relative)))
            )
        return self._conditions[relative]

    def mentioned_options(self, files: Iterable[str]) -> set[str]:
        """Every ``CONFIG_*`` a conditional directive of ``files`` tests."""
        from sphinx_xenabi.model.xen_source.conditions import config_options

        options: set[str] = set()
        for relative in files:
            for condition in set(self.conditions(relative).values()):
                options.update(config_options(condition))
        return options

    def release(self) -> tuple[Release, str, Evidence]:
        """The tree's release from ``xen/Makefile``: (4.17, "4.17.0", evidence)."""
        text = self.text(MAKEFILE)
        found: dict[str, tuple[str, int]] = {}
        for variable in ("XEN_VERSION", "XEN_SUBVERSION", "XEN_EXTRAVERSION"):
            match = re.search(_MAKE_VARIABLE.format(variable), text, re.MULTILINE)
            if match is not None:
                found[variable] = (match.group(1), text.count("\n", 0, match.start()) + 1)
        if "XEN_VERSION" not in found or "XEN_SUBVERSION" not in found:
            raise SourceError(
                f"{self.root / MAKEFILE}: no 'export XEN_VERSION = N' and "
                "'export XEN_SUBVERSION = N' lines (expected Xen's version)"
            )
        major, minor = found["XEN_VERSION"][0], found["XEN_SUBVERSION"][0]
        if not (major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()):
            raise SourceError(
                f"{self.root / MAKEFILE}: XEN_VERSION {major!r} and XEN_SUBVERSION {minor!r} "
                "are not numbers"
            )
        extra = found.get("XEN_EXTRAVERSION", ("", 0))[0]
        extra = re.sub(r"\$\(\w+\)", "", extra)  # "$(XEN_VENDORVERSION)"
        evidence = self.source_line(MAKEFILE, found["XEN_SUBVERSION"][1])
        return Release(int(major), int(minor)), f"{major}.{minor}{extra}", evidence
