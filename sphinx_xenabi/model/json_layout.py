"""The layout of the JSON files a build publishes: one member or item per line.

``json.dumps(indent=...)`` falls back to the pure-Python encoder, several
times slower than the C one, and every html build writes these files. Here
the outer objects and arrays put each member or item on a line of its own,
encoded by the C encoder, so a change still shows in a diff as the item it
touched. The registry has a layout of the same shape, joined from the pieces
its digest is computed from (``registry_json.py``).
"""

from __future__ import annotations

import json
from typing import Any


def compact(value: Any) -> str:
    """``value`` on one line, keys sorted, as the C encoder writes it."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def one_per_line(value: Any, levels: int) -> str:
    """``value`` as JSON text whose outer ``levels`` of non-empty objects and
    arrays put one member or item per line; what is deeper is :func:`compact`.

    The text is the same JSON as ``json.dumps(value, sort_keys=True)``; only
    the whitespace between members differs. Ends without a newline.
    """
    if levels <= 0 or not value or not isinstance(value, dict | list):
        return compact(value)
    if isinstance(value, dict):
        members = (
            f"{compact(key)}: {one_per_line(value[key], levels - 1)}" for key in sorted(value)
        )
        return "{\n" + ",\n".join(members) + "\n}"
    return "[\n" + ",\n".join(one_per_line(item, levels - 1) for item in value) + "\n]"
