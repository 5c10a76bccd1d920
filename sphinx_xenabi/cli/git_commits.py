"""A repository's commits read with git's plumbing, and a commit's files written to a scratch tree.

``history`` walks a range commit by commit without a checkout: ``git log``
lists the commits (first parents, oldest first) with the blobs each one
changed, :class:`TreeState` follows the tree from commit to commit by those
changes, and :class:`Mirror` writes a commit's files into a scratch directory
through one ``git cat-file --batch`` process, rewriting only the files whose
blob changed since the last commit it held. Nothing in the repository (work
tree, index, stashes, refs) is written.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from sphinx_xenabi.cli.errors import CliError
from sphinx_xenabi.model.content_key import ABSENT, DIRECTORY, FileState
from sphinx_xenabi.model.history import Commit

_GITLINK = "160000"  # a submodule: no blob to read
_SYMLINK = "120000"
_RECORD = "\x1e"


def git(directory: Path, *args: str) -> str:
    """``git -C directory args``'s output; a failure is a CliError with git's last line."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise CliError("git is not installed (history reads commits with it)") from None
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()
        raise CliError(f"git {' '.join(args)} in {directory}: {reason[-1] if reason else 'failed'}")
    return result.stdout


def repository_top(path: Path) -> Path:
    """The work tree top of the repository holding ``path``."""
    if not path.is_dir():
        raise CliError(f"{path}: not a directory (expected a git repository)")
    try:
        return Path(git(path, "rev-parse", "--show-toplevel").strip()).resolve()
    except CliError:
        raise CliError(f"{path}: not in a git repository") from None


def _commit_of(top: Path, revision: str) -> str:
    try:
        found = git(
            top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
        )
    except CliError:
        raise CliError(f"{revision}: no such revision in the git repository {top}") from None
    return found.strip()


def _revisions(top: Path, range_text: str) -> list[str]:
    """The range as ``git log`` arguments, each end checked: ``A..B`` or one revision."""
    ends = range_text.split("..")
    if (
        len(ends) > 2
        or range_text.startswith("-")
        or any(c.isspace() for c in range_text)
        or not any(ends)
    ):
        raise CliError(f"{range_text!r}: not a revision range (expected REV or A..B)")
    for end in filter(None, ends):
        _commit_of(top, end)
    return [range_text]


def range_end(top: Path, range_text: str) -> str:
    """The commit a range ends at: B of ``A..B`` (HEAD when left out), or the one revision."""
    _revisions(top, range_text)
    return _commit_of(top, range_text.split("..")[-1] or "HEAD")


def list_commits(top: Path, range_text: str) -> list[Commit]:
    """The range's commits along first parents, oldest first, with their dates and trailers."""
    fields = "%H%x00%ct%x00%cI%x00%s%x00%(trailers:only,unfold)"
    out = git(
        top,
        "log",
        "--first-parent",
        "--reverse",
        f"--format={_RECORD}{fields}",
        "--end-of-options",
        *_revisions(top, range_text),
    )
    commits = []
    for record in out.split(_RECORD)[1:]:
        sha, stamp, iso, subject, trailer_text = record.split("\0")
        trailers: dict[str, str] = {}
        for line in trailer_text.strip().splitlines():
            key, _, value = line.partition(":")
            trailers.setdefault(key.strip(), value.strip())
        when = datetime.fromtimestamp(int(stamp), UTC)
        commits.append(Commit(sha, when, iso.strip(), subject, trailers))
    return commits


@dataclass(frozen=True)
class FileChange:
    path: str
    mode: str  # "000000" when the commit deleted the file
    blob: str


def changes_by_commit(top: Path, range_text: str) -> dict[str, list[FileChange]]:
    """What each commit of the range changed against its first parent (merges too)."""
    out = git(
        top,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "-z",
        f"--format={_RECORD}%H",
        "--end-of-options",
        *_revisions(top, range_text),
    )
    changes: dict[str, list[FileChange]] = {}
    for record in out.split(_RECORD)[1:]:
        parts = record.split("\0")
        sha = parts[0].strip()
        found = changes.setdefault(sha, [])
        index = 1
        while index < len(parts):
            meta = parts[index].strip("\n")
            if meta.startswith(":") and index + 1 < len(parts):
                _, new_mode, _, new_blob, _status = meta[1:].split(" ")
                found.append(FileChange(parts[index + 1], new_mode, new_blob))
                index += 2
            else:
                index += 1
    return changes


def _within(path: str, scope: Iterable[str]) -> bool:
    return any(path == s or path.startswith(s + "/") for s in scope)


@dataclass
class TreeState:
    """A commit's files under ``scope`` (paths from the top), each with its mode and blob id."""

    scope: tuple[str, ...]
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    _directories: Counter[str] = field(default_factory=Counter)

    @classmethod
    def at(cls, top: Path, commit: str, scope: tuple[str, ...]) -> TreeState:
        """The state at ``commit`` (``git ls-tree -r``)."""
        state = cls(scope)
        out = git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *scope)
        for entry in filter(None, out.split("\0")):
            meta, _, path = entry.partition("\t")
            mode, _kind, blob = meta.split(" ")
            state._add(path, mode, blob)
        return state

    def _add(self, path: str, mode: str, blob: str) -> None:
        if path not in self.files:
            self._directories.update(str(p) for p in PurePosixPath(path).parents)
        self.files[path] = (mode, blob)

    def _remove(self, path: str) -> None:
        if self.files.pop(path, None) is not None:
            self._directories.subtract(str(p) for p in PurePosixPath(path).parents)

    def apply(self, changes: Iterable[FileChange]) -> set[str]:
        """Move to the next commit; the paths (under the scope) whose state changed."""
        touched = set()
        for change in changes:
            if not _within(change.path, self.scope):
                continue
            touched.add(change.path)
            if change.mode == "000000":
                self._remove(change.path)
            else:
                self._add(change.path, change.mode, change.blob)
        return touched

    def state_of(self, path: str) -> FileState:
        """As :func:`~sphinx_xenabi.model.content_key.state_on_disk` would find it in a checkout."""
        found = self.files.get(path)
        if found is not None:
            return found[1]
        return DIRECTORY if self._directories[path] > 0 else ABSENT

    def blobs_under(self, directory: str) -> Iterator[tuple[str, str]]:
        """Every file under ``directory`` with its blob id, in path order."""
        prefix = directory.rstrip("/") + "/"
        for path in sorted(self.files):
            if path.startswith(prefix):
                yield path, self.files[path][1]


class Mirror:
    """A scratch directory that holds one commit's files at a time, written from git's objects.

    Files outside ``excluded`` directories are written; moving to another
    commit rewrites only the files whose blob or mode changed, and gives
    each file it writes a fresh modification time (Sphinx re-reads a
    document by its time).
    """

    def __init__(self, top: Path, root: Path) -> None:
        self.root = root
        self._held: dict[str, tuple[str, str]] = {}
        try:
            self._process = subprocess.Popen(
                ["git", "-C", str(top), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise CliError("git is not installed (history reads commits with it)") from None
        self.written = 0

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _blob(self, blob: str) -> bytes:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(f"{blob}\n".encode("ascii"))
        stdin.flush()
        header = stdout.readline().decode("ascii", "replace").split()
        if len(header) != 3 or header[1] != "blob":
            raise CliError(f"git cat-file: cannot read blob {blob} ({' '.join(header)})")
        data = _read_exactly(stdout, int(header[2]))
        stdout.read(1)  # the newline after the content
        return data

    def hold(self, files: dict[str, tuple[str, str]], excluded: Iterable[str] = ()) -> None:
        """Make the scratch directory hold exactly ``files`` outside ``excluded``."""
        excluded = tuple(excluded)
        wanted = {
            path: entry
            for path, entry in files.items()
            if not _within(path, excluded) and entry[0] != _GITLINK
        }
        for path in self._held.keys() - wanted.keys():
            self._remove(path)
        for path, entry in wanted.items():
            if self._held.get(path) != entry:
                self._write(path, *entry)
        self._held = wanted

    def _remove(self, path: str) -> None:
        """Delete a file, and the directories it leaves empty (git has no empty directory)."""
        target = self.root / path
        target.unlink(missing_ok=True)
        for parent in target.parents:
            if parent == self.root or any(parent.iterdir()):
                break
            parent.rmdir()

    def _write(self, path: str, mode: str, blob: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self._blob(blob)
        if target.is_symlink() or target.exists():
            target.unlink()
        if mode == _SYMLINK:
            link = data.decode("utf-8", "replace")
            inside = (target.parent / link).resolve().is_relative_to(self.root.resolve())
            if not os.path.isabs(link) and inside:
                target.symlink_to(link)
            return
        target.write_bytes(data)
        if mode == "100755":
            target.chmod(0o755)
        now = _now_ns()
        os.utime(target, ns=(now, now))
        self.written += 1


def _now_ns() -> int:
    import time

    return time.time_ns()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise CliError("git cat-file ended early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
