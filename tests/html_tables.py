"""A small HTML table reader for asserting on rendered pages."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self._stack: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            table: dict[str, object] = {
                "caption": "",
                "rows": [],
                "classes": dict(attrs).get("class") or "",
            }
            self._stack.append(table)
        elif tag == "caption" and self._stack:
            self._in_caption = True
        elif tag == "tr" and self._stack:
            rows = self._stack[-1]["rows"]
            assert isinstance(rows, list)
            rows.append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._stack:
            rows = self._stack[-1]["rows"]
            assert isinstance(rows, list)
            rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._stack:
            self._stack[-1]["caption"] = str(self._stack[-1]["caption"]) + data
        if self._cell is not None:
            self._cell.append(data)


def read_tables(path: Path) -> list[dict[str, object]]:
    """Every table of an HTML page: caption, classes and rows of cell texts."""
    parser = _TableParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables
