"""What a registry file must be: its JSON Schema, and the error for a file that is not."""

from __future__ import annotations

import itertools
import json
from functools import cache
from importlib import resources
from typing import Any

# Messages quote offending values; a hostile file's can be megabytes long.
MAX_MESSAGE_CHARS = 300


class RegistryError(ValueError):
    """A registry file that cannot be trusted: malformed, foreign or edited."""

    def __init__(self, source: str, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            cut = len(message) - MAX_MESSAGE_CHARS
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({cut} more characters)"
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@cache
def registry_schema() -> dict[str, Any]:
    """The JSON Schema shipped with the package (``registry.schema.json``)."""
    text = resources.files(__package__).joinpath("registry.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_schema(data: Any, source: str) -> None:
    import jsonschema  # deferred: only readers of foreign JSON need it

    validator = jsonschema.Draft202012Validator(registry_schema())
    # Fail fast: errors are found lazily, and a hostile file can hold millions.
    # best_match picks the most telling of the first few (it reads them all).
    first = jsonschema.exceptions.best_match(itertools.islice(validator.iter_errors(data), 8))
    if first is not None:
        pointer = "/" + "/".join(str(p) for p in first.absolute_path)
        raise RegistryError(source, f"at {pointer}: {first.message}")
