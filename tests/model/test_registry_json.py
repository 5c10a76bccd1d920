"""xenabi-registry.json: deterministic, self-describing, validated on load, written atomically."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import pickle
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.abi import REGISTERS, TransferGuest
from sphinx_xenabi.model.content_key import content_pickle
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.records import Cell
from sphinx_xenabi.model.registry import Registry, load
from sphinx_xenabi.model.registry_json import SCHEMA_VERSION, content_digest
from sphinx_xenabi.model.registry_schema import RegistryError
from sphinx_xenabi.results.state import build_state
from support.building import Build, run_sphinx
from support.paths import REPO

ABI_PAGE = "guest-guide/x86/hypercall-abi"

# -- helpers -----------------------------------------------------------------------


def with_digest(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its digest recomputed, so only the intended fault remains."""
    content = {k: v for k, v in data.items() if k != "digest"}
    return {**content, "digest": content_digest(content)}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def assert_keys_sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys), keys
    assert len(set(keys)) == len(keys), keys
    return dict(pairs)


_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}:\d{2}|\b(19|20)\d{2}\b")


def iter_leaves(data: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in iter_leaves(v, f"{path}/{k}")]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in iter_leaves(v, f"{path}/{i}")]
    return [(path, data)]


def iter_keys(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [*data, *(k for v in data.values() for k in iter_keys(v))]
    if isinstance(data, list):
        return [k for v in data for k in iter_keys(v)]
    return []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def temporary_files(outdir: Path) -> list[Path]:
    return [p for p in outdir.iterdir() if p.name.endswith(".tmp") or REGISTRY_FILENAME in p.name]


# -- determinism and content ------------------------------------------------------


def test_two_builds_are_byte_identical(
    abi_pages: Path, abi_pages_build: Build, tmp_path: Path
) -> None:
    """The real ABI pages (the tables' whole input) built twice, and from elsewhere."""
    elsewhere = tmp_path / "elsewhere" / "tree"
    shutil.copytree(abi_pages, elsewhere)
    first = abi_pages_build
    second = run_sphinx(abi_pages, tmp_path / "second")
    moved = run_sphinx(elsewhere, tmp_path / "moved")  # another source directory
    for result in (first, second, moved):
        assert result.statuscode == 0, result.warnings
    data = first.registry_json.read_bytes()
    assert second.registry_json.read_bytes() == data
    assert moved.registry_json.read_bytes() == data
    assert str(abi_pages).encode() not in data and str(elsewhere).encode() not in data


def test_keys_are_sorted_and_nothing_is_timestamped(site: Build) -> None:
    text = site.registry_json.read_text(encoding="utf-8")
    data = json.loads(text, object_pairs_hook=assert_keys_sorted)
    assert text.endswith("}\n")
    # one guide or table per line, each compact and key-sorted
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    tables = lines[lines.index('"tables": [') + 1 : -2]
    assert [json.loads(line.rstrip(",")) for line in tables] == data["tables"]
    for key in iter_keys(data):
        assert not re.search(r"time|date|stamp|built|created|modified", key, re.IGNORECASE), key
    for path, value in iter_leaves(data):
        if isinstance(value, str):
            assert not _DATE_OR_TIME.search(value), (path, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            assert value < 1_000_000, (path, value)  # line numbers, hypercall numbers


def test_schema_version_and_generator_are_recorded(site: Build) -> None:
    data = json.loads(site.registry_json.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["generator"] == f"sphinx-xenabi {__version__}"
    assert data["release"] == "4.22"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", data["digest"])


def test_load_round_trips_the_built_registry(site: Build) -> None:
    state = build_state(site.app)
    assert state is not None
    loaded = load(site.registry_json)
    assert isinstance(loaded, Registry)
    text = site.registry_json.read_text(encoding="utf-8")
    assert loaded.to_json() == text
    assert state.registry.to_json() == text
    # the text's digest, joined from per-item pieces, is the digest of the canonical dump
    assert json.loads(text) == state.registry.to_data()
    assert loaded == state.registry
    assert len(loaded.tables) >= 4


def test_hand_written_pickling_keeps_every_field() -> None:
    # Cell pickles through its own __reduce__ (the environment holds one per
    # table cell); a field added to the class but not to __reduce__ would be
    # lost in parallel and incremental builds. Every field is given a value of
    # its own, whatever the constructor takes.
    original = Cell("a value", Location("guide/page.rst", 7))
    values = {field.name: f"{field.name}-value" for field in dataclasses.fields(Cell)}
    for name, value in values.items():
        object.__setattr__(original, name, value)
    copied = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
    assert copied == original
    assert {name: getattr(copied, name) for name in values} == values


def test_a_cell_keeps_its_place_without_a_location_object() -> None:
    # One object per table cell: the file and line are the cell's own slots,
    # and its Location is made when asked for.
    cell = Cell(6, Location("guest-guide/x86.rst", 41))
    assert cell.location == Location("guest-guide/x86.rst", 41)
    assert (cell.file, cell.line) == ("guest-guide/x86.rst", 41)
    assert not [ref for ref in gc.get_referents(cell) if isinstance(ref, Location)]
    assert cell == Cell(6, Location("guest-guide/x86.rst", 41))
    assert cell != Cell(6, Location("guest-guide/x86.rst", 42))


def test_the_site_records_survive_pickling(site: Build) -> None:
    state = build_state(site.app)
    assert state is not None
    copied = pickle.loads(pickle.dumps(state.registry, protocol=pickle.HIGHEST_PROTOCOL))
    assert copied == state.registry
    assert copied.to_json() == state.registry.to_json()


def test_a_registry_pickles_without_its_encoded_text() -> None:
    # The text is encoded from the content and kept for the build: a registry
    # sent to a worker or kept in the fact cache does not carry it, and its
    # content pickle is the same whether the text was asked for or not.
    registry = Registry(release="4.18", guides=(), tables=())
    before = content_pickle(registry)
    text = registry.to_json()
    assert '"digest": "sha256:' in text
    assert content_pickle(registry) == before
    pickled = pickle.dumps(registry, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"sha256:" not in pickled
    copied = pickle.loads(pickled)
    assert copied == registry and copied.to_json() == text


def test_the_shipped_schema_validates_the_site_json(site: Build) -> None:
    schema_file = resources.files("sphinx_xenabi").joinpath("model/registry.schema.json")
    assert schema_file.is_file()
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = json.loads(site.registry_json.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []
    # and it is a real constraint: a registers row without its result is refused
    broken = copy.deepcopy(data)
    registers = next(t for t in broken["tables"] if t["kind"] == "registers")
    del registers["rows"][0]["result"]
    assert list(validator.iter_errors(broken))


def test_the_schema_ships_as_package_data() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"model/registry.schema.json"' in pyproject


# -- load() refuses what it cannot trust ------------------------------------------


@pytest.fixture(scope="module")
def good(site: Build) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(site.registry_json.read_text(encoding="utf-8"))
    return data


def _first(data: dict[str, Any], kind: str) -> tuple[int, dict[str, Any]]:
    return next((i, t) for i, t in enumerate(data["tables"]) if t["kind"] == kind)


def test_non_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_text('{\n  "schema_version": 1,\n  "generator": oops\n}\n', encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load(path)
    assert f"{path}:3" in str(caught.value)
    assert "not JSON" in str(caught.value)


def test_a_half_written_file_is_refused(site: Build, tmp_path: Path) -> None:
    text = site.registry_json.read_text(encoding="utf-8")
    path = tmp_path / REGISTRY_FILENAME
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(RegistryError, match=r"not JSON"):
        load(path)


def test_a_version_1_registry_is_still_read(good: dict[str, Any], tmp_path: Path) -> None:
    """Version 2 added Arm only: an x86 registry written as version 1 loads as it is."""
    path = write_json(tmp_path / REGISTRY_FILENAME, with_digest({**good, "schema_version": 1}))
    assert load(path).schema_version == 1


def test_a_wrong_schema_version_is_refused(good: dict[str, Any], tmp_path: Path) -> None:
    path = write_json(tmp_path / REGISTRY_FILENAME, with_digest({**good, "schema_version": 3}))
    with pytest.raises(RegistryError) as caught:
        load(path)
    assert "schema_version" in str(caught.value) or "schema version" in str(caught.value)


def test_a_missing_field_is_refused_with_a_json_pointer(
    good: dict[str, Any], tmp_path: Path
) -> None:
    data = copy.deepcopy(good)
    index, table = _first(data, "registers")
    del table["rows"][1]["index"]
    path = write_json(tmp_path / REGISTRY_FILENAME, with_digest(data))
    with pytest.raises(RegistryError) as caught:
        load(path)
    message = str(caught.value)
    assert f"/tables/{index}/rows/1" in message
    assert "'index'" in message and "required" in message


def test_a_missing_top_level_field_is_named(good: dict[str, Any], tmp_path: Path) -> None:
    data = {k: v for k, v in good.items() if k != "guides"}
    path = write_json(tmp_path / REGISTRY_FILENAME, with_digest(data))
    with pytest.raises(RegistryError, match=r"'guides' is a required property"):
        load(path)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda d: _first(d, "registers")[1]["rows"][0]["parameters"]["value"].__setitem__(
                3, "RCX"
            ),
            id="register",
        ),
        pytest.param(
            lambda d: _first(d, "transfer")[1]["rows"][0]["instruction"].__setitem__("line", 1),
            id="line",
        ),
        pytest.param(lambda d: d.__setitem__("release", "4.16"), id="release"),
    ],
)
def test_a_tampered_value_fails_the_digest(
    good: dict[str, Any], tmp_path: Path, tamper: Callable[[dict[str, Any]], None]
) -> None:
    data = copy.deepcopy(good)
    tamper(data)
    assert data != good
    path = write_json(tmp_path / REGISTRY_FILENAME, data)
    with pytest.raises(RegistryError, match=r"digest mismatch"):
        load(path)


def test_an_unknown_table_kind_is_refused(good: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(good)
    data["tables"][0]["kind"] = "flags"
    path = write_json(tmp_path / REGISTRY_FILENAME, with_digest(data))
    with pytest.raises(RegistryError) as caught:
        load(path)
    assert "/tables/0/kind" in str(caught.value)
    assert "flags" in str(caught.value)


def _mutations() -> list[Any]:
    """(id, mutate) pairs: each turns the good registry into something load() must refuse."""

    def drop(*path: Any) -> Callable[[dict[str, Any]], Any]:
        def mutate(d: dict[str, Any]) -> Any:
            target = d
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
            return with_digest(d)

        return mutate

    def put(value: Any, *path: Any) -> Callable[[dict[str, Any]], Any]:
        def mutate(d: dict[str, Any]) -> Any:
            target = d
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            return with_digest(d)

        return mutate

    return [
        ("top-level-list", lambda d: []),
        ("top-level-null", lambda d: None),
        ("top-level-string", lambda d: "xenabi"),
        ("empty-object", lambda d: {}),
        ("schema-version-string", put("1", "schema_version")),
        ("foreign-generator", put("someone else 1.0", "generator")),
        ("bad-digest-form", lambda d: {**d, "digest": "md5:1234"}),
        ("tables-not-a-list", put({}, "tables")),
        ("extra-top-level-key", put(True, "extra")),
        ("table-missing-rows", drop("tables", 0, "rows")),
        ("negative-line", put(-1, "tables", 0, "line")),
        ("cell-value-wrong-type", put(17, "tables", 0, "rows", 0, "abi", "value")),
        ("release-range-not-a-release", put({"first": "4", "last": None}, "tables", 0, "releases")),
        ("rows-of-another-kind", put("numbers", "tables", 0, "kind")),
        ("registers-without-count", put(None, "tables", 0, "parameter_count")),
        (
            "duplicate-guide-pages",
            lambda d: with_digest({**d, "guides": [{**d["guides"][0], "pages": ["a", "a"]}]}),
        ),
        ("no-digest", lambda d: {k: v for k, v in d.items() if k != "digest"}),
        ("unknown-abi", put("16bit", "tables", 0, "rows", 0, "abi", "value")),
        ("unknown-transfer-guest", _rename_first_transfer_guest),
    ]


def _rename_first_transfer_guest(d: dict[str, Any]) -> Any:
    table = next(t for t in d["tables"] if t["kind"] == "transfer")
    table["rows"][0]["guest"]["value"] = "ARM HVM"
    return with_digest(d)


def test_schema_enums_are_the_models_abis_and_transfer_guests() -> None:
    schema = json.loads(
        resources.files("sphinx_xenabi").joinpath("model/registry.schema.json").read_text("utf-8")
    )
    defs = schema["$defs"]
    assert set(defs["abiCell"]["properties"]["value"]["enum"]) == set(REGISTERS)
    guests = set(defs["transferGuestCell"]["properties"]["value"]["enum"])
    assert guests == {g.value for g in TransferGuest}


@pytest.mark.parametrize("mutate", [m for _, m in _mutations()], ids=[i for i, _ in _mutations()])
def test_every_refusal_is_a_registry_error(
    good: dict[str, Any], tmp_path: Path, mutate: Callable[[dict[str, Any]], Any]
) -> None:
    data = copy.deepcopy(good)
    assert data["tables"][0]["kind"] == "registers"
    path = write_json(tmp_path / REGISTRY_FILENAME, mutate(data))
    with pytest.raises(RegistryError) as caught:
        load(path)
    error = caught.value
    assert type(error) is RegistryError
    assert error.source.startswith(str(path))
    assert error.message and "\n" not in error.message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"   \n\n", id="blank-file"),
        pytest.param(b'{"schema_version": 1,}', id="trailing-comma"),
        pytest.param(b"NaN", id="nan"),
    ],
)
def test_unreadable_content_is_a_registry_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_bytes(content)
    with pytest.raises(RegistryError):
        load(path)


def test_a_missing_file_or_a_directory_is_a_registry_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"cannot read"):
        load(tmp_path / "absent.json")
    with pytest.raises(RegistryError, match=r"cannot read"):
        load(tmp_path)


def test_a_file_that_is_not_utf8_is_a_registry_error(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_bytes(b'\xff\xfe{"schema_version": 1}')
    with pytest.raises(RegistryError):
        load(path)


def test_a_deeply_nested_file_is_a_registry_error(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(RegistryError):
        load(path)


def test_a_huge_integer_is_a_registry_error(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_text('{"schema_version": ' + "1" * 5000 + "}", encoding="utf-8")
    with pytest.raises(RegistryError):
        load(path)


# -- atomic publication -------------------------------------------------------------


def _drift(docs: Path) -> None:
    page = docs / f"{ABI_PAGE}.rst"
    text = page.read_text(encoding="utf-8")
    assert text.count("     - RDI RSI RDX R10 R8\n") == 1
    page.write_text(
        text.replace("     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX RCX R8\n"), encoding="utf-8"
    )


def test_a_failed_build_writes_no_registry_and_no_temporary_file(
    drifted_abi_build: Build,
) -> None:
    result = drifted_abi_build  # the ABI pages after _drift (conftest), built once
    assert result.statuscode == 1
    assert "[xenabi.drift]" in result.warnings
    assert (result.outdir / f"{ABI_PAGE}.html").is_file()  # the build did run
    assert not result.registry_json.exists()
    assert temporary_files(result.outdir) == []


@pytest.mark.parametrize("freshenv", [False, True], ids=["incremental", "fresh"])
def test_a_failed_rebuild_removes_the_earlier_registry(
    abi_pages_copy: Path, tmp_path: Path, freshenv: bool
) -> None:
    """A rebuild into the same output directory, reusing the environment or not.

    (Was also test_gate::test_failed_build_leaves_no_stale_registry, the fresh case.)
    """
    out = tmp_path / "out"
    good = run_sphinx(abi_pages_copy, out)
    assert good.statuscode == 0
    assert good.registry_json.is_file()
    # a successful build leaves the registry, readable by all, and no temporary file
    assert temporary_files(out) == [good.registry_json]
    assert good.registry_json.stat().st_mode & 0o777 == 0o644
    _drift(abi_pages_copy)
    failed = run_sphinx(abi_pages_copy, out, freshenv=freshenv)  # same output directory
    assert failed.statuscode == 1
    # The html now shows RCX; a registry saying R10 beside it would contradict it.
    assert not failed.registry_json.exists()
    assert temporary_files(out) == []


def test_a_failed_write_leaves_no_temporary_file(site: Build, tmp_path: Path) -> None:
    registry = load(site.registry_json)
    target = tmp_path / REGISTRY_FILENAME
    target.mkdir()  # os.replace cannot put a file over a directory
    (target / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(OSError):
        registry.dump(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [REGISTRY_FILENAME]
    assert (target / "keep").read_text(encoding="utf-8") == "x"


# -- the link from the ABI page -----------------------------------------------------


def test_abi_page_links_to_the_registry_iff_it_uses_the_role(site: Build) -> None:
    """The rendered ABI page links to xenabi-registry.json exactly when its source
    uses ``:xenabi:registry:``; the link resolves to the published file."""
    source = (site.app.srcdir / f"{ABI_PAGE}.rst").read_text(encoding="utf-8")
    page = site.outdir / f"{ABI_PAGE}.html"
    hrefs = [h for h in links_of(page) if urlsplit(h).path.endswith(REGISTRY_FILENAME)]
    if ":xenabi:registry:" not in source:
        assert hrefs == []
        pytest.skip("the ABI page does not use :xenabi:registry: yet")
    assert hrefs, "the ABI page uses :xenabi:registry: but renders no link to the registry"
    for href in hrefs:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, href
        target = (page.parent / unquote(parts.path)).resolve()
        assert target == site.registry_json.resolve()
        assert target.is_file()


def test_registry_role_resolves_from_a_nested_page(abi_pages_copy: Path, tmp_path: Path) -> None:
    """The role, wherever it is used, links relative to the page to the outdir's JSON."""
    page = abi_pages_copy / "guest-guide/x86/hypercall-pages.rst"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nThe :xenabi:registry:`registry of the tables`.\n",
        encoding="utf-8",
    )
    result = run_sphinx(abi_pages_copy, tmp_path / "out")
    assert result.statuscode == 0, result.warnings
    html = result.outdir / "guest-guide/x86/hypercall-pages.html"
    hrefs = [h for h in links_of(html) if h.endswith(REGISTRY_FILENAME)]
    assert hrefs == ["../../" + REGISTRY_FILENAME]
    assert (html.parent / hrefs[0]).resolve() == result.registry_json.resolve()
