"""The index pages' templates, compiled once per build directory.

Sphinx writes the domain's index pages on every html build, and Jinja
compiles their templates from source each time: on a rebuild that changed
nothing that compiling is most of what the extension adds. Jinja's own
bytecode cache keeps the compiled templates (checked against the template
source, Jinja's version and Python's); it is limited here to the index
templates, so every other template compiles as plain Sphinx compiles it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2.bccache import Bucket, FileSystemBytecodeCache

from sphinx_xenabi.domain.index import TEMPLATE

if TYPE_CHECKING:
    from jinja2 import Environment
    from sphinx.application import Sphinx

# The templates of the index pages: Sphinx's generic one and the hypercall index's.
INDEX_TEMPLATES = frozenset({"domainindex.html", TEMPLATE})
CACHE_FOLDER = "xenabi-templates"


class IndexTemplateCache(FileSystemBytecodeCache):
    """A bytecode cache for the index templates only."""

    def __init__(self, directory: str) -> None:
        super().__init__(directory)
        self._kept: set[str] = set()

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        if name not in INDEX_TEMPLATES:  # an empty bucket: compiled, never kept
            key = self.get_cache_key(name, filename)
            return Bucket(environment, key, self.get_source_checksum(source))
        bucket = super().get_bucket(environment, name, filename, source)
        self._kept.add(bucket.key)
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if bucket.key in self._kept:
            super().set_bucket(bucket)


def keep_compiled_index_templates(app: Sphinx) -> None:
    """``builder-inited``: an html builder's templates get the index templates' cache."""
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is None or environment.bytecode_cache is not None:
        return  # not Jinja, or a cache the project chose: left alone
    directory = app.doctreedir / CACHE_FOLDER
    directory.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = IndexTemplateCache(str(directory))
