"""A small HTML table reader for asserting on rendered pages."""

from __future__ import annotations

import html
import re
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


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.row_ids: dict[str, str] = {}
        self._link: tuple[str, list[str]] | None = None
        self._row: tuple[str, list[str]] | None = None  # a row with an id: its first cell
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (
            tag == "a"
            and attributes.get("href")
            and "headerlink" not in (attributes.get("class") or "")
        ):
            self._link = (attributes["href"] or "", [])
        elif tag == "tr" and attributes.get("id"):
            self._row, self._cells = (attributes["id"] or "", []), 0
        elif tag in ("td", "th") and self._row is not None:
            self._cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None
        elif tag == "tr" and self._row is not None:
            self.row_ids[self._row[0]] = " ".join("".join(self._row[1]).split())
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[1].append(data)
        if self._row is not None and self._cells == 1:
            self._row[1].append(data)


def read_links(path: Path) -> list[tuple[str, str]]:
    """Every link of an HTML page but the permalinks: (href, text), in page order."""
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def read_row_ids(path: Path) -> dict[str, str]:
    """Every table row with an id: id -> the text of its first cell."""
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.row_ids


class _EvidenceParser(HTMLParser):
    """Executed tables: each body row's classes and mark, and the evidence list under it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list[dict[str, str]]]] = []
        self._depth = 0  # >0 inside an executed table
        self._in_body = False
        self._row: dict[str, str] | None = None
        self._mark = False
        self._item: dict[str, str] | None = None
        self._list = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = values.get("class", "").split()
        if tag == "table":
            if self._depth or "xenabi-executed" in classes:
                self._depth += 1
                if self._depth == 1:
                    self.tables.append({"rows": [], "items": []})
        elif self._depth and tag == "tbody":
            self._in_body = True
        elif self._depth and self._in_body and tag == "tr":
            self._row = {"classes": " ".join(classes), "mark": "", "href": ""}
            self.tables[-1]["rows"].append(self._row)
        elif self._row is not None and tag == "td" and "xenabi-mark" in classes:
            self._mark = True
        elif self._mark and tag == "a" and self._row is not None:
            self._row["href"] = values.get("href", "")
        elif tag == "ul" and "xenabi-evidence" in classes and self.tables:
            self._list = True
        elif self._list and tag == "li":
            self._item = {"id": values.get("id", ""), "classes": " ".join(classes), "text": ""}
            self.tables[-1]["items"].append(self._item)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
            self._in_body = self._depth > 0 and self._in_body
        elif tag == "tbody":
            self._in_body = False
        elif tag == "td":
            self._mark = False
        elif tag == "tr":
            self._row = None
        elif tag == "li" and self._item is not None:
            self._item["text"] = " ".join(self._item["text"].split())
            self._item = None
        elif tag == "ul":
            self._list = False

    def handle_data(self, data: str) -> None:
        if self._mark and self._row is not None:
            self._row["mark"] += data.strip()
        if self._item is not None:
            self._item["text"] += data


def read_evidence(path: Path) -> list[dict[str, list[dict[str, str]]]]:
    """Per executed table: ``rows`` (classes, mark, href) and ``items`` (id, classes, text)."""
    parser = _EvidenceParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def read_listings(path: Path) -> dict[str, str]:
    """Each hypercall page listing's text, by its caption."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(
        r'<div class="[^"]*xenabi-hypercall-page[^"]*"[^>]*>.*?'
        r'<span class="caption-text">(.*?)</span>.*?<pre[^>]*>(.*?)</pre>',
        re.S,
    )
    return {
        html.unescape(caption): html.unescape(re.sub(r"<[^>]+>", "", body))
        for caption, body in pattern.findall(text)
    }


def executed_evidence(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A page's executed tables by first header cell (and caption): (state, evidence line) per row.

    Checks the markup on the way: each body row carries exactly one of the
    classes xenabi-pass / xenabi-fail / xenabi-skipped, its mark cell says the
    same and links to its own evidence line under the table.
    """
    marked = read_evidence(path)
    executed = [
        t
        for t in read_tables(path)
        if t["rows"] and t["rows"][0][-1] == "Executed"  # type: ignore[index]
    ]
    assert len(marked) == len(executed)
    found: dict[str, list[tuple[str, str]]] = {}
    for table, evidence in zip(executed, marked):
        rows, items = evidence["rows"], evidence["items"]
        assert len(rows) == len(items) == len(table["rows"]) - 1  # type: ignore[arg-type]
        states = []
        for row, item in zip(rows, items):
            (state,) = {"xenabi-pass", "xenabi-fail", "xenabi-skipped"} & set(
                row["classes"].split()
            )
            state = state.removeprefix("xenabi-")
            assert row["mark"] == {"pass": "\u2714 pass", "fail": "\u2718 fail"}.get(
                state, row["mark"]
            )
            assert row["href"] == f"#{item['id']}"
            assert item["classes"] == f"xenabi-{state}"
            assert item["text"].startswith(row["mark"] + " ")
            states.append((state, item["text"].removeprefix(row["mark"] + " ")))
        key = str(table["rows"][0][0]) + ("/" + str(table["caption"]) if table["caption"] else "")  # type: ignore[index]
        found[key] = states
    return found


def hypercall_links(page: Path) -> list[tuple[str, str]]:
    """The page's links to hypercall rows (anchors ``#hypercall-...``)."""
    return [(href, text) for href, text in read_links(page) if "#hypercall-" in href]
