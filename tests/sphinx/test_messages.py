"""Messages: the documented subtypes, and what each message says."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from sphinx.errors import ConfigError

from sphinx_xenabi import log
from sphinx_xenabi.cli import main
from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import Release
from support.building import run_sphinx
from support.paths import REPO, ROOTS

SUBTYPES = {subtype.value for subtype in WarningSubtype}


def test_subtypes_are_the_enum_members_strings() -> None:
    assert len(SUBTYPES) == 32
    assert WarningSubtype.DRIFT == "drift" and WarningSubtype("orphan") is WarningSubtype.ORPHAN
    # a user's suppress_warnings names them as the log prints them
    assert WarningSubtype.DUPLICATE_HYPERCALL.name_in_logs == "xenabi.duplicate-hypercall"


def test_every_subtype_has_its_own_docstring() -> None:
    for subtype in WarningSubtype:
        doc = subtype.__doc__ or ""
        assert doc.strip() and doc != WarningSubtype.__doc__, subtype
        assert doc.rstrip().endswith((".", ")")), subtype  # a sentence, not a fragment
    assert len({s.__doc__ for s in WarningSubtype}) == len(WarningSubtype)


def test_sphinx_is_handed_the_subtype_as_a_plain_string(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[object] = []
    monkeypatch.setattr(
        log.logger, "warning", lambda *args, **kwargs: logged.append(kwargs["subtype"])
    )
    log.warn(WarningSubtype.ORPHAN, "one", None)
    assert logged == ["orphan"] and type(logged[0]) is str  # no enum reaches Sphinx


# -- every subtype is a member, used as one ------------------------------------------

PACKAGE = REPO / "sphinx_xenabi"


def members_used(module: ast.Module) -> set[str]:
    """The ``WarningSubtype.MEMBER`` names a module uses."""
    return {
        node.attr
        for node in ast.walk(module)
        if isinstance(node, ast.Attribute)
        and getattr(node.value, "id", "") == "WarningSubtype"
        and node.attr.isupper()
    }


def string_subtypes(module: ast.Module) -> list[int]:
    """Lines that compare a ``.subtype`` with a string, or pass a string where a subtype goes.

    The type checker keeps subtypes typed in the package; this says so in the
    suite too, where a comparison with a string would silently be false.
    """
    lines = []
    for node in ast.walk(module):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "subtype" for s in sides) and any(
                isinstance(s, ast.Constant) and isinstance(s.value, str) for s in sides
            ):
                lines.append(node.lineno)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Problem", "warn"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                lines.append(node.lineno)
    return lines


def test_every_subtype_is_used_as_a_member_and_never_as_a_string() -> None:
    used: set[str] = set()
    strings: dict[str, list[int]] = {}
    for source in sorted(PACKAGE.rglob("*.py")):
        module = ast.parse(source.read_text(encoding="utf-8"))
        used |= members_used(module)
        if found := string_subtypes(module):
            strings[str(source.relative_to(REPO))] = found
    assert strings == {}
    # a member nothing uses is dead, or logged some other way the scan cannot see
    assert used == {member.name for member in WarningSubtype}


def test_the_scan_finds_what_it_should() -> None:
    tree = ast.parse(
        'if f.subtype == "drift": pass\n'
        'Problem("drift", text, location)\n'
        "Problem(WarningSubtype.DRIFT, text, location)\n"
        "if f.subtype is WarningSubtype.UNCHECKED: pass\n"
    )
    assert string_subtypes(tree) == [1, 2]
    assert members_used(tree) == {"DRIFT", "UNCHECKED"}


# -- what the messages say: what was checked, against which release, what differs --


def _tree(tmp_path: Path, conf: str = 'release = "4.22"\n') -> Path:
    """A copy of the small reST root with its own conf.py."""
    tree = tmp_path / "docs"
    shutil.copytree(ROOTS / "test-rst", tree)
    (tree / "conf.py").write_text('extensions = ["sphinx_xenabi"]\n' + conf, encoding="utf-8")
    return tree


def _check(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_tree_without_a_release_says_so_and_which_release_it_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path, conf="")
    build = run_sphinx(tree, tmp_path / "out", confdir=tree)
    assert build.statuscode == 0
    assert (
        "xenabi: the project states no release (set release or xenabi_xen_release in conf.py); "
        "checking tables that state no release against the newest model revision (Xen 4.17+) "
        f"as it stands in Xen {NEWEST_MODELLED_RELEASE}"
    ) in build.status
    assert "is not MAJOR.MINOR" not in build.status
    # the evidence names the release whose version answered
    page = (build.outdir / "guest/abi.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)  # hypercall names are links
    assert f"xen_version answered 0x40016 (Xen {NEWEST_MODELLED_RELEASE})" in text
    assert NEWEST_MODELLED_RELEASE.xen_version == 0x40016
    code, out, _ = _check(capsys, tree)
    assert code == 0
    assert out.strip().splitlines()[-1] == (
        f"xenabi check: 4 table(s) agree with the reference model for Xen "
        f"{NEWEST_MODELLED_RELEASE} (no release stated: the newest the model knows)"
    )


def test_the_registry_of_a_tree_without_a_release_describes_the_newest_modelled() -> None:
    assert Registry(release="", guides=(), tables=()).spec_for().release == NEWEST_MODELLED_RELEASE
    assert Registry(release="4.16", guides=(), tables=()).spec_for().release == Release(4, 16)


def test_check_names_the_release_and_where_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path)
    code, out, _ = _check(capsys, tree)
    assert code == 0
    assert out.strip() == (
        "xenabi check: 4 table(s) agree with the reference model for Xen 4.22 (release in conf.py)"
    )
    # for 4.16 the five-parameter registers table is wrong: ERROR, as the html build says it
    code, out, _ = _check(capsys, tree, "--release", "4.16")
    assert code == 1
    abi = tree / "guest" / "abi.rst"
    assert f"{abi}:" in out and ": ERROR: header announces 5 parameters; Xen 4.13 to 4.16" in out
    assert (
        out.strip()
        .splitlines()[-1]
        .endswith("checked against the reference model for Xen 4.16 (--release)")
    )
    assert "WARNING" not in out


def test_a_tree_without_abi_tables_is_a_located_warning_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "plain"
    tree.mkdir()
    (tree / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (tree / "index.rst").write_text("Plain\n=====\n\n.. toctree::\n\n   other\n")
    (tree / "other.rst").write_text("Other\n=====\n\nNo tables here.\n")
    code, out, _ = _check(capsys, tree)
    assert code == 1
    assert out.splitlines() == [
        f"{tree / 'index.rst'}: WARNING: no ABI table (registers, transfer or hypercall "
        "numbers) in the 2 document(s) read: nothing was checked against the reference model "
        "[xenabi.none]",
        f"xenabi check: nothing checked: no ABI table in the 2 document(s) of {tree}",
    ]
    # other.rst is reachable from no guide but has no tables: no xenabi.orphan about it
    assert "orphan" not in out
    # the html build of such a tree stays quiet: it may use the extension for references alone
    build = run_sphinx(tree, tmp_path / "out", confdir=tree)
    assert build.statuscode == 0 and "xenabi" not in build.warnings


def test_a_transfer_failure_says_only_what_differs(tmp_path: Path) -> None:
    """The xen_version line that agrees is not repeated as if it failed."""
    tree = _tree(tmp_path, conf='release = "4.22"\nxenabi_drift = "warning"\n')
    abi = tree / "guest" / "abi.rst"
    text = abi.read_text(encoding="utf-8")
    assert text.count("     - SYSCALL\n") == 1
    abi.write_text(text.replace("     - SYSCALL\n", "     - SYSENTER\n"), encoding="utf-8")
    line = text.splitlines().index("     - SYSCALL") + 1
    build = run_sphinx(tree, tmp_path / "out", confdir=tree)
    # One report: the drift finding, carrying the run's one differing line.
    at_cell = [x for x in build.warnings.splitlines() if x.startswith(f"{abi}:{line}:")]
    assert len(at_cell) == 1, at_cell
    assert at_cell[0].endswith(
        "; on the emulated CPU the row failed: transfer: the docs name SYSENTER for 64bit PV; "
        "SYSCALL trapped at page offset 0x228 (MISMATCH) [xenabi.drift]"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "xenabi_execute_tables",
            "no",
            "xenabi_execute_tables = 'no': expected True or False, not str",
        ),
        (
            "xenabi_drift",
            "fatal",
            "xenabi_drift = 'fatal': expected one of 'error', 'warning', not str",
        ),
        # the release's own check says more: a float cannot tell 4.2 from 4.20
        (
            "xenabi_xen_release",
            4.22,
            "xenabi_xen_release = 4.22 is a float, not a string: write the release in quotes",
        ),
        ("xenabi_write_registry", 1, "xenabi_write_registry = 1: expected True or False, not int"),
        # a list or tuple value once crashed the check with a KeyError
        (
            "xenabi_history_sources",
            "../xen",
            "xenabi_history_sources = '../xen': expected a list or a tuple, not str",
        ),
        (
            "xenabi_xen_source",
            3,
            "xenabi_xen_source = 3: expected a string, True or False or None, not int",
        ),
    ],
)
def test_a_value_of_the_wrong_type_stops_the_build(
    tmp_path: Path, name: str, value: object, expected: str
) -> None:
    tree = _tree(tmp_path, conf=f'release = "4.22"\n{name} = {value!r}\n')
    with pytest.raises(ConfigError) as raised:
        run_sphinx(tree, tmp_path / "out", confdir=tree)
    message = str(raised.value)
    assert message == f"{tree / 'conf.py'}: {expected}" or message.startswith(expected)
    assert not (tmp_path / "out" / "index.html").exists()  # "no" never got to execute anything


def test_check_reports_a_wrong_type_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path, conf='release = "4.22"\nxenabi_execute_tables = "no"\n')
    code, out, err = _check(capsys, tree)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "xenabi_execute_tables = 'no': expected True or False, not str" in err
