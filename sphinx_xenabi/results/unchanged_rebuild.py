"""A rebuild in which nothing the result depends on changed, settled from a stamp.

Whether a build may reuse the last result is decided by its key
(``results/result_key.py``): the documents' records, the settings, the
reference's files and the package's code. Working the key out loads the
fact cache, the settling code and the contents of the reference's files. A
rebuild that reads no document (the commonest one while writing: the same
``sphinx-build`` again, or sphinx-autobuild after a save that changed
nothing) can decide it more cheaply, as git decides a file is unchanged
from its index.

A build that finishes leaves a stamp beside its environment: its result's
key and account, what else the key was computed from (the settings, the
builder, the directories), and the size and time of the package's modules,
of every file the reference was read from and of the published files. A
rebuild whose stamp still holds (checked at ``builder-inited``) settles
that result at ``env-updated`` when Sphinx read no document, or when the
documents it read or removed make the same result key (a prose edit): it
logs the account as the build that computed it did, and loads the result
itself only if something asks. Such a rebuild starts no worker: the
source reading is the cached one, and rows run only on fresh builds.

Any doubt takes the full path (``results/settling.py``), which removes the
stamp until it leaves its own: a stamp that does not hold, a new result
key, a fresh environment, a stamp of another format or one that cannot be
read. A Xen file modified within :data:`RACY_NANOSECONDS` of being stamped
could change again without its times changing: its content is compared
instead.
"""

from __future__ import annotations

import os
import pickle
import stat
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.code_key import Stamps, code_key, code_key_stamps, offer_code_key
from sphinx_xenabi.model.content_key import ABSENT, DIRECTORY, digest, state_on_disk
from sphinx_xenabi.model.published_files import (
    NEEDS_FILENAME,
    REGISTRY_FILENAME,
    REQUIREMENTS_FILENAME,
)
from sphinx_xenabi.results.account import (
    ReferenceFiles,
    Settled,
    forget_settled,
    note_settled,
    published_as_result,
    report_account,
)
from sphinx_xenabi.results.result_key import build_inputs, result_key
from sphinx_xenabi.results.source_location import locate_source
from sphinx_xenabi.results.state import forget_current, keep_result

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.results.build_result import BuildResult

STAMP_FILE = "xenabi-rebuild-stamp.pickle"
FORMAT = 1  # bump when the stamp's shape changes
# A file's time within this of the moment it was stamped may not show a
# change made in the same tick of the file system's clock.
RACY_NANOSECONDS = 2_000_000_000
PUBLISHED = (REGISTRY_FILENAME, REQUIREMENTS_FILENAME, NEEDS_FILENAME)

# A path's stamp: (size, modification and change times, inode, device), ABSENT
# or DIRECTORY; None: compare its content. The change time cannot be set back
# (cp -p, rsync -a and archives keep the others), and a file replaced by a
# rename has another inode.
PathStamp = tuple[int, int, int, int, int] | str | None

# The stamp each build found holding at builder-inited.
_HOLDING: WeakKeyDictionary[Sphinx, dict[str, Any]] = WeakKeyDictionary()
# Builds that read or removed a document: the stamp settles them only if
# what the documents put into the domain makes the same result key.
_READ_OR_REMOVED: WeakKeyDictionary[Sphinx, bool] = WeakKeyDictionary()
# Stamps that held with the same code under new module stamps, to be left
# again with those (see check_stamp).
_RESTAMP: WeakKeyDictionary[Sphinx, dict[str, Any]] = WeakKeyDictionary()


def _path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / STAMP_FILE


def _path_stamp(path: Path) -> PathStamp:
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ABSENT
    except OSError:
        return None  # unreadable now: its content decides
    if stat.S_ISDIR(found.st_mode):
        return DIRECTORY
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev)


def _inputs(app: Sphinx) -> str:
    """What the result is computed from besides documents and files, as one digest.

    With the tree the build would read now: a setting that names a symbolic
    link stamps the tree it pointed to, and the link may point elsewhere.
    """
    located = locate_source(app)
    tree = None if located is None else [str(located[0]), located[1]]
    return digest("rebuild-inputs", build_inputs(app), str(app.outdir), tree)


def _published_stamps(app: Sphinx) -> tuple[PathStamp, ...]:
    return tuple(_path_stamp(Path(app.outdir) / name) for name in PUBLISHED)


def _files_hold(reference: ReferenceFiles, stamps: Iterable[PathStamp]) -> bool:
    root, states = reference
    for (path, state), stamped in zip(states, stamps, strict=True):
        file = Path(root) / path  # an absolute path (a user's .config) stays as it is
        if stamped is None:
            if state_on_disk(file) != state:
                return False
        elif _path_stamp(file) != stamped:
            return False
    return True


def _holds(app: Sphinx, stamp: dict[str, Any]) -> bool:
    try:
        if stamp["format"] != FORMAT or stamp["inputs"] != _inputs(app):
            return False
        # The code key the stamp was left by, taken while every module has its
        # stamps (the domain's kept views need the key too): no module is read.
        offer_code_key(stamp["code_stamps"], stamp["code"])
        return (
            code_key() == stamp["code"]
            and stamp["published"] == _published_stamps(app)
            and _files_hold(stamp["reference"], stamp["files"])
        )
    except (KeyError, TypeError, ValueError):
        return False  # another shape: the full path decides


def check_stamp(app: Sphinx) -> None:
    """``builder-inited``: whether the last build's stamp still holds for this one."""
    try:
        stamp = pickle.loads(_path(app).read_bytes())
    except Exception:  # none yet, or damaged or foreign: a rebuild that settles in full
        return
    # A fresh environment reads every document: its workers start as usual.
    if app.env.all_docs and isinstance(stamp, dict) and _holds(app, stamp):
        _HOLDING[app] = stamp
        stamps = code_key_stamps()[1]
        if stamps != stamp["code_stamps"]:
            # The same code with other module stamps (reinstalled, or another
            # checkout of it): its key was worked out by hashing every module.
            # Left again with these at the end, or each later rebuild would hash
            # them too, until one settled in full.
            _RESTAMP[app] = {**stamp, "code_stamps": stamps}


def may_settle(app: Sphinx) -> bool:
    """Whether the stamp held at ``builder-inited``: the source reading is the
    cached one, and this rebuild starts no worker."""
    return app in _HOLDING


def note_documents(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: whether any document is read."""
    if docnames:
        _READ_OR_REMOVED[app] = True


def note_removed(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """``env-purge-doc``: a document removed (or about to be read again)."""
    _READ_OR_REMOVED[app] = True


def settle_unchanged(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``, first: settle the stamped result if the stamp held throughout.

    Otherwise the stamp goes: the full settling follows, and a build cut
    short before it leaves its own must not leave one for an older result.
    """
    stamp = _HOLDING.pop(app, None)
    if stamp is not None and _READ_OR_REMOVED.pop(app, False):
        # Documents were read (a prose edit, say): the same result if what
        # they put into the domain, and which documents exist, make its key.
        if result_key(app, env, stamp["identity"]) != stamp["key"]:
            stamp = None
    if stamp is None:
        _path(app).unlink(missing_ok=True)
        return
    key, account = stamp["key"], stamp["account"]
    xenabi_domain(env).note_requirement_statuses(dict(account.statuses))
    reference, identity = stamp["reference"], stamp["identity"]
    settled = Settled(key, account, True, reference, identity, by_unchanged_rebuild=True)
    note_settled(app, settled)
    keep_result(app, _loader(app, key))
    report_account(app, account)


def _loader(app: Sphinx, key: str) -> Callable[[], BuildResult]:
    # Kept by the application's weak-keyed store: must not hold the application.
    built_by = weakref.ref(app)

    def load() -> BuildResult:
        from sphinx_xenabi.results.settling import load_unchanged_result

        again = built_by()
        if again is None:
            raise RuntimeError("the build's result is gone with its application")
        return load_unchanged_result(again, key)

    return load


def finish_stamp(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``, after the facts are saved: the stamp for the next rebuild.

    A build settled in full leaves its own, if it finished and its published
    files are its result's (not withheld for ``-W`` or a failed write); one
    settled by the stamp leaves it as it is (a file it withheld shows in the
    next build's check), with the modules' new stamps if it held for the same
    code under other ones, and lets go of its result.
    """
    settled, as_result = forget_settled(app), published_as_result(app)
    restamp = _RESTAMP.pop(app, None)
    if settled is None:
        return
    if settled.by_unchanged_rebuild:
        forget_current()  # doctests have run: the process keeps no last result of its own
        if restamp is not None and exception is None:
            _write_stamp(app, restamp)
    elif exception is None and as_result:
        leave_stamp(app, settled, code_key_stamps())


def leave_stamp(app: Sphinx, settled: Settled, code: tuple[str, Stamps]) -> None:
    """At the end of a build that settled in full: the stamp the next rebuild checks.

    ``code``: the build's code key and the stamps it was worked out with (a
    module edited during the build must not be stamped as the code that ran).
    No stamp is left when the reference cannot be vouched for by its files,
    or a file changed since it was read.
    """
    if settled.reference_files is None or settled.reference_identity is None:
        return
    files = _stamps_of(settled.reference_files, time.time_ns())
    if files is None:
        return
    stamp = {
        "format": FORMAT,
        "inputs": _inputs(app),
        "code": code[0],
        "code_stamps": code[1],
        "published": _published_stamps(app),
        "reference": settled.reference_files,
        "identity": settled.reference_identity,
        "files": files,
        "key": settled.key,
        "account": settled.account,
    }
    _write_stamp(app, stamp)


def _write_stamp(app: Sphinx, stamp: dict[str, Any]) -> None:
    try:
        write_atomic(_path(app), pickle.dumps(stamp, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError):
        pass  # only a saving: the next rebuild settles in full


def _stamps_of(reference: ReferenceFiles, now_ns: int) -> tuple[PathStamp, ...] | None:
    """Each file's stamp, taken before its content is compared with the recorded state."""
    root, states = reference
    stamps: list[PathStamp] = []
    for path, state in states:
        file = Path(root) / path
        stamped = _path_stamp(file)  # first: a change after it shows in its time
        if state_on_disk(file) != state:
            return None  # changed since it was read: the result does not vouch for it
        if isinstance(stamped, tuple) and now_ns - stamped[1] < RACY_NANOSECONDS:
            stamped = None
        stamps.append(stamped)
    return tuple(stamps)
