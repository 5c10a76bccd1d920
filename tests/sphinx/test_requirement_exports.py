"""``xenabi-requirements.json`` and ``xenabi-needs.json``: what an html build publishes of its requirements.

The ``test-requirements-export`` root has one item of each verdict: a
verified one, a failed one (its example expects ``'X1'``), one unverified
by a claim no example asserts (``x4``) and one no block names; its
``xenabi_drift = "warning"`` lets the build succeed and publish. The
needs.json is then imported by a real sphinx-needs project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sphinx.errors import ConfigError

from sphinx_xenabi.model.needs_json import escaped
from sphinx_xenabi.model.published_files import (
    NEEDS_FILENAME,
    REGISTRY_FILENAME,
    REQUIREMENTS_FILENAME,
)
from sphinx_xenabi.model.requirements_json import requirements_schema
from support.building import Build, build_root, build_test_root, copy_root
from support.lines import line_of, nth_line_of
from support.paths import ROOTS

PRODUCT = "XenProd~arm64_hypercalls~1"
NUM = "XenSwdgn~arm64_hyp_num~1"
PARAM = "XenSwdgn~arm64_hyp_param~1"
RET = "XenSwdgn~arm64_ret_val~1"
DESIGN = ROOTS / "test-requirements-export" / "design.md"
INDEX = ROOTS / "test-requirements-export" / "index.rst"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = build_test_root("requirements-export", tmp_path_factory.mktemp("export"))
    assert build.statuscode == 0, build.warnings
    return build


def published(build: Build, name: str) -> Any:
    return json.loads((build.outdir / name).read_text(encoding="utf-8"))


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in data["requirements"]}


def test_the_requirements_file_validates_and_gives_each_item_its_verdict(export: Build) -> None:
    data = published(export, REQUIREMENTS_FILENAME)
    jsonschema.validate(data, requirements_schema())
    assert data["counts"] == {"items": 4, "verified": 1, "failed": 1, "unverified": 2}
    assert (data["release"], data["examples_run"]) == ("4.22", True)
    assert data["checked_against"] == "the reference model for Xen 4.22"
    items = by_id(data)
    assert list(items) == [NUM, PARAM, RET, PRODUCT]  # by document, then line
    assert {name: item["status"] for name, item in items.items()} == {
        NUM: "verified",
        PARAM: "unverified",
        RET: "failed",
        PRODUCT: "unverified",
    }
    product = items[PRODUCT]
    assert (product["type"], product["name"], product["revision"]) == (
        "XenProd",
        "arm64_hypercalls",
        1,
    )
    assert product["location"] == {"file": "index.rst", "line": line_of(INDEX, f"`{PRODUCT}`")}
    assert [f["name"] for f in product["fields"]] == ["Description", "Rationale", "Comments"]
    assert product["covered_by"] == [NUM, PARAM, RET]
    assert product["needs"] == [
        {
            "type": "XenSwdgn",
            "location": {"file": "index.rst", "line": line_of(INDEX, "- XenSwdgn")},
            "provided_by": [NUM, PARAM, RET],
        }
    ]
    assert product["reasons"] == [f"no example verifies {PRODUCT}"] and product["blocks"] == []
    # 0xEA1 is claimed, and no example runs for the product item
    assert [(c["text"], c["asserted"]) for c in product["claims"]] == [("0xEA1", False)]


def test_each_item_carries_its_blocks_claims_and_findings(export: Build) -> None:
    items = by_id(published(export, REQUIREMENTS_FILENAME))
    ret = items[RET]
    (block,) = ret["blocks"]
    failing = line_of(DESIGN, '>>> spec.conventions["arm64"].result')
    assert block["location"] == {"file": "design.md", "line": failing - 3}  # the fence
    assert (block["requirements"], block["examples"], block["passed"]) == ([RET], 2, False)
    assert block["failure"] == {
        "location": {"file": "design.md", "line": failing},
        "message": """spec.conventions["arm64"].result expected "'X1'", got "'X0'"; """
        "the reference says arm64 result register = X0 (the built-in model)",
    }
    assert ret["reasons"] == [f"design.md:{failing}: {block['failure']['message']}"]
    covers = nth_line_of(DESIGN, f"- `{PRODUCT}`", 3)
    assert ret["covers"] == [
        {"id": PRODUCT, "location": {"file": "design.md", "line": covers}, "valid": True}
    ]

    param = items[PARAM]
    assert param["claims"] == [
        {
            "field": "Description",
            "text": "x0 - x4",
            "kind": "register range",
            "value": "x0-x4",
            "asserted": False,
            "missing": ["x4"],
        }
    ]
    (finding,) = param["findings"]
    assert finding["subtype"] == "unverified-claim" and finding["level"] == "warning"
    assert finding["location"] == param["fields"][0]["location"]
    num = items[NUM]
    assert [(c["text"], c["asserted"]) for c in num["claims"]] == [("x16", True)]
    assert num["findings"] == [] and num["reasons"] == []


def test_the_needs_file_maps_each_item_to_a_need(export: Build) -> None:
    data = published(export, NEEDS_FILENAME)
    assert (data["project"], data["current_version"]) == ("xenabi-export", "4.22")
    version = data["versions"]["4.22"]
    assert version["needs_amount"] == 4 and version["creator"]["program"] == "sphinx-xenabi"
    product = version["needs"][PRODUCT]
    assert product == {
        "id": PRODUCT,
        "type": "req",
        "title": "Hypercall interface",
        "status": "unverified",
        "tags": ["XenProd"],
        "content": "Xen shall take hypercalls from arm64 domains through hvc #0xEA1.\n\n"
        "Rationale: Domains call Xen as Linux does.\n\n"
        r"Comments: Linux names the number \_\_HYPERVISOR\_xen\_version.",
        "links": [],
        "links_back": [NUM, PARAM, RET],
        "docname": "index",
        "lineno": line_of(INDEX, f"`{PRODUCT}`"),
        "section_name": "Hypercall interface",
    }
    assert version["needs"][RET]["links"] == [PRODUCT]
    assert version["needs"][RET]["status"] == "failed"


def test_content_is_escaped_for_rest_and_myst() -> None:
    assert escaped("use *x0* or `x1`_ [1]_ |sub|") == r"use \*x0\* or \`x1\`\_ \[1\]\_ \|sub\|"
    assert escaped("- not a list\n# not a heading\n1. not numbered") == (
        "\\- not a list\n\\# not a heading\n1\\. not numbered"
    )
    assert escaped("x0 - x4 #0xEA1 a.b") == "x0 - x4 #0xEA1 a.b"  # mid-line: as written
    assert escaped("4.22 and\n17 (num)") == "4\\.22 and\n17 (num)"  # never a backslash digit


def test_the_files_are_deterministic(export: Build, tmp_path: Path) -> None:
    again = build_test_root("requirements-export", tmp_path)
    for name in (REQUIREMENTS_FILENAME, NEEDS_FILENAME):
        assert (again.outdir / name).read_bytes() == (export.outdir / name).read_bytes()


def test_a_failing_build_publishes_neither_and_withdraws_the_old_ones(tmp_path: Path) -> None:
    src = copy_root("requirements-export", tmp_path / "src")
    out = tmp_path / "html"
    out.mkdir()
    for name in (REQUIREMENTS_FILENAME, NEEDS_FILENAME, REGISTRY_FILENAME):
        (out / name).write_text("{}", encoding="utf-8")  # a previous build's
    failing = build_root(src, out, confoverrides={"xenabi_drift": "error"})
    assert failing.statuscode == 1  # the failing example fails the build
    assert not any((out / n).exists() for n in (REQUIREMENTS_FILENAME, NEEDS_FILENAME))


def test_each_file_has_its_switch_and_a_tree_without_items_writes_neither(
    tmp_path: Path,
) -> None:
    build = build_test_root(
        "requirements-export",
        tmp_path / "off",
        confoverrides={"xenabi_write_requirements": False, "xenabi_write_needs": False},
    )
    assert build.statuscode == 0 and (build.outdir / REGISTRY_FILENAME).is_file()
    assert not (build.outdir / REQUIREMENTS_FILENAME).exists()
    assert not (build.outdir / NEEDS_FILENAME).exists()
    out = tmp_path / "plain-html"
    out.mkdir()
    for name in (REQUIREMENTS_FILENAME, NEEDS_FILENAME):
        (out / name).write_text("{}", encoding="utf-8")  # an earlier build's, with items
    plain = build_root(copy_root("xref", tmp_path / "plain"), out)  # no requirement item
    assert (plain.outdir / REGISTRY_FILENAME).is_file()
    assert not (plain.outdir / REQUIREMENTS_FILENAME).exists()
    assert not (plain.outdir / NEEDS_FILENAME).exists()


def test_a_requirements_file_that_cannot_be_written_is_one_located_error(tmp_path: Path) -> None:
    out = tmp_path / "html"
    (out / REQUIREMENTS_FILENAME).mkdir(parents=True)
    build = build_root(copy_root("requirements-export", tmp_path / "src"), out)
    assert build.statuscode == 1
    errors = [line for line in build.warnings.splitlines() if "[xenabi.registry]" in line]
    assert len(errors) == 1
    assert (
        f"{out / REQUIREMENTS_FILENAME}: cannot write the requirements: Is a directory"
        in (errors[0])
    )
    assert (out / NEEDS_FILENAME).is_file()  # the others are written


def test_a_need_type_that_is_no_string_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"xenabi_needs_types\['XenSwdgn'\] = 3: expected"):
        build_test_root(
            "requirements-export", tmp_path, confoverrides={"xenabi_needs_types": {"XenSwdgn": 3}}
        )


# sphinx-needs' own use of Sphinx's deprecated APIs is not this project's to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:sphinx_needs.*")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:sphinx_needs.*")
def test_a_sphinx_needs_project_imports_the_items_with_status_and_links(tmp_path: Path) -> None:
    ours = build_test_root(
        "requirements-export",
        tmp_path / "ours",
        confoverrides={"xenabi_needs_types": {"XenSwdgn": "spec"}},
    )
    consumer = copy_root("needs-import", tmp_path / "consumer")
    shutil.copy(ours.outdir / NEEDS_FILENAME, consumer / NEEDS_FILENAME)
    theirs = build_root(consumer, tmp_path / "consumer-html")
    assert theirs.statuscode == 0 and theirs.warnings == "", theirs.warnings
    exported = published(theirs, "needs.json")  # sphinx-needs' own export of what it holds
    needs = exported["versions"][exported["current_version"]]["needs"]
    imported = {
        name: (n["type"], n["status"], n["links"], n["links_back"], n["is_import"])
        for name, n in needs.items()
    }
    assert imported == {
        PRODUCT: ("req", "unverified", [], [NUM, PARAM, RET], True),
        NUM: ("spec", "verified", [PRODUCT], [], True),
        PARAM: ("spec", "unverified", [PRODUCT], [], True),
        RET: ("spec", "failed", [PRODUCT], [], True),
        # the MyST page's, each id and link with needimport's prefix
        **{
            f"MD_{name}": (
                kind,
                status,
                [f"MD_{link}" for link in links],
                [f"MD_{b}" for b in back],
                True,
            )
            for name, (kind, status, links, back, _) in imported.items()
            if not name.startswith("MD_")
        },
    }
    assert needs[PRODUCT]["title"] == "Hypercall interface"
    assert needs[PRODUCT]["content"].startswith("Xen shall take hypercalls")
    page = (theirs.outdir / "index.html").read_text(encoding="utf-8")
    assert f'id="{PRODUCT}"' in page and f'href="#{PRODUCT}"' in page  # :need: resolves
    for name in ("index.html", "myst.html"):  # the escaped content reads as written in both
        html = (theirs.outdir / name).read_text(encoding="utf-8")
        assert "Linux names the number __HYPERVISOR_xen_version." in html, name
        assert "hvc #0xEA1." in html, name
