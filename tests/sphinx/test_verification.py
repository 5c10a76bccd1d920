"""``xenabi-verifies``: blocks kept in the domain, run at env-updated, failing at their lines.

The root (tests/roots/test-verifies) is a page of Arm64 hypercall
requirements in reST and one in MyST, each followed by a block of doctest
examples that verify it against the build's reference: the model of Xen
4.22 here, the Xen source where the build reads one (the head tree, with
``&regs->x16`` made ``&regs->x17`` in traps.c).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.verification import Example, read_block
from sphinx_xenabi.results.build_result import BuildResult
from sphinx_xenabi.results.state import build_state
from sphinx_xenabi.results.verification import namespace, run_block
from support.building import Build, build_root, copy_root
from support.lines import line_of, replace_once
from support.paths import REPO
from support.xen_trees import copy_real_tree

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

NUM = "XenSwdgn~arm64_hyp_num~1"
X16_EXPECTED = """>>> spec.conventions["arm64"].index
   'X16'"""
VERSION = ("XenProd~version_hyp_version_cmd~1", "XenSwdgn~version~1")


def _result(build: Build) -> BuildResult:
    result = build_state(build.app)
    assert result is not None
    return result


def _lines(build: Build, subtype: str) -> list[str]:
    """The build's located ``subtype`` lines, without the summary."""
    lines = _ANSI.sub("", build.warnings).splitlines()
    return [line for line in lines if f"[xenabi.{subtype}]" in line and ": xenabi: " not in line]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_root("verifies", tmp_path / "verifies")


def _build(root: Path, **options: object) -> Build:
    return build_root(root, root.parent / f"out-{options.get('buildername', 'html')}", **options)


def test_the_blocks_are_kept_with_their_lines_and_pass(root: Path) -> None:
    build = _build(root)
    assert (build.statuscode, _ANSI.sub("", build.warnings)) == (0, "")
    result = _result(build)
    assert [o.passed for o in result.verifications] == [True] * 5
    assert result.verification_failures == 0
    blocks = [o.block for o in result.verifications]
    assert [b.ids for b in blocks] == [
        ("XenSwdgn~arm64_hyp_instr~1",),
        ("XenSwdgn~arm64_hyp_param~1",),
        (NUM,),
        VERSION,
        ("XenSwdgn~arm64_ret_val~1",),
    ]
    rst, md = root / "index.rst", root / "version.md"
    num = blocks[2]
    assert num.location == Location("index.rst", line_of(rst, f".. xenabi-verifies:: {NUM}"))
    assert [e.location.line for e in num.examples] == [
        line_of(rst, '>>> spec.conventions["arm64"].index'),
        line_of(rst, ">>> trip = hvc(GuestType.ARM64, 17, 0)"),
        line_of(rst, ">>> trip.dispatch.read[0]"),
        line_of(rst, ">>> trip.dispatch.name"),
    ]
    assert num.examples[0] == Example(
        'spec.conventions["arm64"].index\n', "'X16'\n", num.examples[0].location
    )
    # MyST: the fence's line, and each example's own line.
    version = blocks[3]
    fence = line_of(md, "```{xenabi-verifies} " + " ".join(VERSION))
    assert version.location == Location("version.md", fence)
    assert [e.location for e in version.examples] == [
        Location("version.md", line)
        for line in (
            fence + 1,
            line_of(md, ">>> trip.result == (spec.release.major << 16) | spec.release.minor"),
            line_of(md, '>>> trip.after["X0"] == spec.release.xen_version'),
        )
    ]
    assert "xenabi: 5 of 5 xenabi-verifies example blocks passed against the reference model" in (
        _ANSI.sub("", build.status)
    )


def test_a_block_renders_as_a_doctest_block_under_its_ids(root: Path) -> None:
    build = _build(root)
    html = (build.outdir / "version.html").read_text(encoding="utf-8")
    (block,) = re.findall(
        r'<div class="xenabi-verifies docutils container" id="[^"]+">(.*?)</div>\s*</div>\s*</div>',
        html,
        re.S,
    )[:1]
    ids = re.findall(r'<span class="pre">([^<]+)</span>', block.split("</p>")[0])
    assert ids == list(VERSION)
    assert "Verifies" in block and 'class="highlight-pycon' in block
    assert '<span class="gp">&gt;&gt;&gt; </span>' in block


def test_a_failing_example_fails_the_build_at_its_line_naming_the_ids(root: Path) -> None:
    rst, md = root / "index.rst", root / "version.md"
    replace_once(rst, X16_EXPECTED, X16_EXPECTED.replace("'X16'", "'X17'"))
    replace_once(md, "(spec.release.major << 16) | spec.release.minor", "spec.release.minor")
    build = _build(root)
    assert build.statuscode == 1
    index_line = line_of(rst, '>>> spec.conventions["arm64"].index')
    md_line = line_of(md, ">>> trip.result == spec.release.minor")
    assert _lines(build, "verification") == [
        f"{rst}:{index_line}: ERROR: example verifying {NUM} failed: "
        """spec.conventions["arm64"].index expected "'X17'", got "'X16'"; the reference says """
        "arm64 hypercall number register = X16 (the built-in model) [xenabi.verification]",
        f"{md}:{md_line}: ERROR: example verifying {', '.join(VERSION)} failed: "
        "trip.result == spec.release.minor expected 'True', got 'False' [xenabi.verification]",
    ]
    result = _result(build)
    assert result.verification_failures == 2 and result.failed
    (summary,) = [s for s in result.summaries if s.subtype is WarningSubtype.VERIFICATION]
    assert summary.message.startswith("xenabi: 2 xenabi-verifies example block(s) failed;")
    # The first failure stops its block: the later examples did not run.
    failure = result.verifications[2].failure
    assert failure is not None and failure.example == result.verifications[2].block.examples[0]


def test_an_exception_is_what_the_example_got(root: Path) -> None:
    replace_once(
        root / "index.rst", "hvc(GuestType.ARM64, 17, 0).transfer", "hvc(GuestType.PV64, 17)"
    )
    build = _build(root)
    line = line_of(root / "index.rst", ">>> hvc(GuestType.PV64, 17)")
    (printed,) = _lines(build, "verification")
    assert printed.startswith(
        f"{root / 'index.rst'}:{line}: ERROR: example verifying XenSwdgn~arm64_hyp_instr~1"
    )
    assert (
        "got 'ValueError: a PV 64 guest does not call Xen with HVC (an Arm guest does)'" in printed
    )


def test_the_dummy_builder_runs_them_as_check_does(root: Path) -> None:
    replace_once(root / "index.rst", X16_EXPECTED, X16_EXPECTED.replace("'X16'", "'X17'"))
    build = _build(root, buildername="dummy")
    assert build.statuscode == 1
    line = line_of(root / "index.rst", '>>> spec.conventions["arm64"].index')
    assert [
        p.location for p in _result(build).reports if p.subtype is WarningSubtype.VERIFICATION
    ] == [Location("index.rst", line)]


def test_no_block_runs_without_execution(root: Path) -> None:
    replace_once(root / "index.rst", X16_EXPECTED, X16_EXPECTED.replace("'X16'", "'X17'"))
    build = _build(root, confoverrides={"xenabi_execute_tables": False})
    assert (build.statuscode, _result(build).verifications) == (0, ())
    # The index gives no verdict: nothing was checked.
    index = (build.outdir / "xenabi-requirementindex.html").read_text(encoding="utf-8")
    assert index.count("<strong>\u2013 not checked:</strong>") == 6
    build = _build(root, buildername="text")
    assert (build.statuscode, _result(build).verifications) == (0, ())


@pytest.mark.parametrize(
    ("arguments", "content", "message"),
    [
        (
            "XenSwdgn-arm64",
            ">>> 1\n1",
            "'XenSwdgn-arm64' is not a requirement id (type~name~revision)",
        ),
        (NUM, "Xen reads x16.", "no example"),
        (
            NUM,
            ">>>1",
            "not doctest: line 1 of the docstring for xenabi-verifies lacks blank after >>>",
        ),
    ],
    ids=["bad-id", "no-example", "not-doctest"],
)
def test_a_block_that_cannot_be_read_is_a_directive_error(
    root: Path, arguments: str, content: str, message: str
) -> None:
    body = "".join(f"   {line}\n" for line in content.splitlines())
    (root / "index.rst").write_text(
        f"Title\n=====\n\n.. toctree::\n\n   version\n\n.. xenabi-verifies:: {arguments}\n\n{body}",
        encoding="utf-8",
    )
    build = _build(root)
    (printed,) = _lines(build, "directive")
    assert printed.startswith(f"{root / 'index.rst'}:8: ERROR: xenabi-verifies: {message}")


def test_a_reread_document_replaces_its_blocks(root: Path) -> None:
    build = _build(root)
    assert len(_result(build).verifications) == 5
    replace_once(root / "version.md", "```{xenabi-verifies} XenSwdgn~arm64_ret_val~1", "```python")
    build = build_root(root, root.parent / "out-html", freshenv=False)
    assert [o.block.ids for o in _result(build).verifications][-1] == VERSION


def test_run_block_compares_as_doctest_does() -> None:
    from sphinx_xenabi.model.abi import revision_for
    from sphinx_xenabi.model.spec import Release

    spec = revision_for(Release(4, 22))
    lines = [">>> print('a long line of output')", "a long ...", ">>> 1 + 1", "3", ">>> 2", "2"]
    block = read_block(
        [NUM], Location("p.rst", 1), lines, [Location("p.rst", n) for n in range(3, 9)]
    )
    outcome = run_block(block, namespace(spec))
    assert outcome.failure is not None
    assert (outcome.failure.example.location, outcome.failure.got) == (Location("p.rst", 5), "2\n")
    assert outcome.location == Location("p.rst", 5)
    assert set(namespace(spec)) == {
        "spec",
        "dispatcher",
        "Dispatcher",
        "debug_dispatcher",
        "abi",
        "GuestType",
        "Release",
        "hvc",
        "xenver",
    }
    assert namespace(spec)["xenver"]["XENVER_capabilities"] == 3  # the model's, without a source


def test_a_version_command_example_cites_the_define_it_read() -> None:
    from sphinx_xenabi.model.abi import revision_for
    from sphinx_xenabi.model.spec import Evidence, Release
    from sphinx_xenabi.results.verification import run_blocks

    define = Evidence("xen/include/public/version.h", 20, "#define XENVER_version 9")
    lines = ['>>> xenver["XENVER_version"]', "0"]
    block = read_block([NUM], Location("p.rst", 1), lines, [Location("p.rst", 3)] * 2)
    spec = revision_for(Release(4, 22))
    (outcome,) = run_blocks([block], spec, {"XENVER_version": 9}, {"xenver/XENVER_version": define})
    assert outcome.failure is not None
    assert outcome.failure.describe() == (
        """xenver["XENVER_version"] expected '0', got '9'; the reference says XENVER_version = 9 """
        "(xen/include/public/version.h:20: #define XENVER_version 9)"
    )
    assert [f.evidence for f in outcome.facts] == [define]


def test_the_emulator_loads_only_when_an_example_calls_hvc() -> None:
    code = (
        "import sys\n"
        "from sphinx_xenabi.model.abi import revision_for\n"
        "from sphinx_xenabi.model.location import Location\n"
        "from sphinx_xenabi.model.spec import Release\n"
        "from sphinx_xenabi.model.verification import read_block\n"
        "from sphinx_xenabi.results.verification import run_blocks\n"
        "spec = revision_for(Release(4, 22))\n"
        "block = read_block(['A~b~1'], Location('p', 1), {lines!r}, [Location('p', 2)] * 2)\n"
        "assert run_blocks([block], spec)[0].passed\n"
        "print('unicorn' in sys.modules)\n"
    )
    for lines, loaded in (
        ([">>> spec.release", "Release(major=4, minor=22)"], "False"),
        ([">>> hvc(GuestType.ARM64, 17, 0).result", "262166"], "True"),
    ):
        out = subprocess.run(
            [sys.executable, "-c", code.format(lines=lines)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        assert out.strip() == loaded


@pytest.mark.site
def test_the_x16_example_fails_against_a_source_that_reads_x17(root: Path, tmp_path: Path) -> None:
    source = copy_real_tree("head", tmp_path / "xen")
    build = _build(root, confoverrides={"xenabi_xen_source": str(source)})
    assert build.statuscode == 0, build.warnings
    assert all(o.passed for o in _result(build).verifications)
    assert "against the Xen" in _ANSI.sub("", build.status)

    replace_once(source / "xen/arch/arm/traps.c", "&regs->x16", "&regs->x17")
    build = _build(root, confoverrides={"xenabi_xen_source": str(source)})
    assert build.statuscode == 1
    failed = {o.block.ids: o for o in _result(build).verifications if not o.passed}
    num = failed[(NUM,)]
    assert num.failure is not None
    line = line_of(root / "index.rst", '>>> spec.conventions["arm64"].index')
    assert (num.location, num.failure.example.want, num.failure.got) == (
        Location("index.rst", line),
        "'X16'\n",
        "'X17'\n",
    )
    printed = _lines(build, "verification")
    # The message names the source line that contradicts the example, and its text.
    assert (
        f"{root / 'index.rst'}:{line}: ERROR: example verifying {NUM} failed: "
        """spec.conventions["arm64"].index expected "'X16'", got "'X17'"; the reference says """
        "arm64 hypercall number register = X17 "
        "(xen/arch/arm/traps.c:2126: do_trap_hypercall(regs, &regs->x17, hsr);) "
        "[xenabi.verification]"
    ) in printed
    # Linux's stub puts the number in x16, which this Xen does not read.
    assert VERSION in failed


def test_hvc_runs_linux_stubs_against_the_reference() -> None:
    from sphinx_xenabi.model.abi import revision_for
    from sphinx_xenabi.model.spec import GuestType, Release

    hvc = namespace(revision_for(Release(4, 22)))["hvc"]
    trip = hvc(GuestType.ARM64, 17, 0)
    assert (trip.result, trip.dispatch.read, trip.transfer) == (
        0x40016,
        ("X16", "X0", "X1"),
        "HVC 0xea1",
    )
    assert hvc("Arm 32 Thumb", 17, 0).after["R0"] == 0x40016
    # A debug Xen poisons the number register (and the used arguments but the result).
    assert hvc(GuestType.ARM64, 17, 0, 0x1234, debug=True).after["X16"] == 0xDEADBEEF
    assert hvc(GuestType.ARM64, 17, 0, 0x1234).after["X16"] == 17


# -- the verdict on each requirement item ------------------------------------------


def test_every_item_the_blocks_verify_is_verified_and_the_index_says_so(root: Path) -> None:
    build = _build(root)
    verdicts = _result(build).verdicts
    assert {name: v.status.value for name, v in verdicts.items()} == {
        "XenSwdgn~arm64_hyp_instr~1": "verified",
        "XenSwdgn~arm64_hyp_param~1": "verified",
        NUM: "verified",
        "XenProd~version_hyp_version_cmd~1": "verified",
        "XenSwdgn~version~1": "verified",
        "XenSwdgn~arm64_ret_val~1": "verified",
    }
    index = (build.outdir / "xenabi-requirementindex.html").read_text(encoding="utf-8")
    assert index.count("<strong>\u2714 verified:</strong>") == 6 and "unverified" not in index
    # The ids a block names link to their items.
    page = (build.outdir / "version.html").read_text(encoding="utf-8")
    assert 'href="#requirement-XenSwdgn-version-1"' in page


def test_a_changed_claim_leaves_the_requirement_unverified_naming_the_value(root: Path) -> None:
    replace_once(
        root / "index.rst",
        "Xen shall read x16 to obtain the hypercall number.",
        "Xen shall read x17 to obtain the hypercall number.",
    )
    build = _build(root)
    verdict = _result(build).verdicts[NUM]
    assert verdict.status.value == "unverified"
    assert verdict.reasons == (f"x17 in {NUM} is not verified",)
    (line,) = _lines(build, "unverified-claim")
    description = (
        line_of(root / "index.rst", "Xen shall read x17 to obtain the hypercall number.") - 1
    )
    assert line == (
        f"{root / 'index.rst'}:{description}: WARNING: x17 in {NUM} is not verified "
        "[xenabi.unverified-claim]"
    )
    index = (build.outdir / "xenabi-requirementindex.html").read_text(encoding="utf-8")
    assert index.count("<strong>? unverified:</strong>") == 1


def test_a_failing_example_fails_its_requirement(root: Path) -> None:
    replace_once(root / "index.rst", X16_EXPECTED, X16_EXPECTED.replace("'X16'", "'X17'"))
    verdict = _result(_build(root)).verdicts[NUM]
    assert verdict.status.value == "failed"
    assert "expected" in verdict.reasons[0] and "X17" in verdict.reasons[0]
