"""Which code computed a fact: a key of the package's modules, and their stamps.

Two things are keyed by the code that computed them: the fact cache's
entries (``model/fact_cache.py``) and the stamp a finished build leaves for
the next rebuild (``results/unchanged_rebuild.py``); the domain's kept
views too. The key hashes every module, which a no-op rebuild should not
pay for: a key saved with the stamps it was worked out with (each module's
size and time) is offered back (:func:`offer_code_key`), and taken while
every module still has those stamps. A stat per module costs far less than
reading them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.content_key import digest

# Each module's path, size, modification and change times, and inode: the
# change time cannot be set back by tools that keep a copy's times (cp -p,
# rsync -a, an archive with normalised times), and a module replaced by a
# rename has another inode.
Stamps = tuple[tuple[str, int, int, int, int], ...]

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Bump when a fact cache entry's shape changes without a change to the modules.
FACT_FORMAT = 3  # 2: each value pickled on its own; 3: entries kept a few saves unused

# A saved (stamps, code key), offered before the first key of the process.
_known: tuple[Stamps, str] | None = None
_code: str | None = None  # this process's code key, worked out once
_code_stamps: Stamps = ()  # the stamps it was worked out with, saved beside it


def package_stamps() -> Stamps:
    """Every module of the package: its path (relative to the package) and stamps."""
    found = []
    prefix = len(PACKAGE) + 1  # os.walk's paths start with the package's own
    for directory, subdirectories, files in os.walk(PACKAGE):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(directory, name)
            stat = os.stat(path)
            found.append(
                (path[prefix:], stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
            )
    return tuple(found)


def code_key() -> str:
    """Which code computed a fact: the version and every module's content.

    Content, not times: a fresh checkout or install of the same code (a CI
    job with a kept cache) has new times and must reuse the facts, and an
    edited module must not. The whole package, not only the model and
    emulator: a build's result depends on the extraction and the Sphinx glue
    as well. Hashing is skipped when the stamps are those offered.
    """
    global _code, _code_stamps
    if _code is None:
        stamps = package_stamps()
        if _known is not None and _known[0] == stamps:
            _code = _known[1]
        else:
            contents = hashlib.sha256()
            for relative, *_ in stamps:
                contents.update(relative.encode())
                contents.update(Path(PACKAGE, relative).read_bytes())
            _code = digest(FACT_FORMAT, __version__, contents.hexdigest())
        _code_stamps = stamps
    return _code


def code_key_stamps() -> tuple[str, Stamps]:
    """The code key and the stamps it was worked out with, as they are saved.

    The stamps are the key's own, not looked up again: a module edited while
    the build ran must not be saved as stamps the older key stands for (and
    walking the package once is enough).
    """
    key = code_key()
    return key, _code_stamps


def offer_code_key(stamps: object, key: object) -> None:
    """Before the first code key of the process: saved stamps and the key they stand for."""
    global _known
    if _code is None and isinstance(stamps, tuple) and isinstance(key, str):
        _known = (stamps, key)
