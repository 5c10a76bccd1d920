"""``check DOCS_DIR``: the docs' ABI tables against the reference, for people and CI."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.cli.arguments import add_tree_arguments
from sphinx_xenabi.cli.choices import FORMATS, JUNIT_FAMILIES, XUNIT2
from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS, CliError
from sphinx_xenabi.cli.reading import TreeReading, read_tree

# The report formats and the requirement cases load the model's records,
# problems and verdicts: they are imported where check runs, so that building
# the parser (every other command, --help) loads none of them.
if TYPE_CHECKING:
    from sphinx_xenabi.cli.check_formats import CheckReport
    from sphinx_xenabi.cli.check_requirements import RequirementCase
    from sphinx_xenabi.model.problems import Problem


def _checked_release(text: str) -> str:
    """``--release`` must name a release the model can check against."""
    from sphinx_xenabi.model.abi import FIRST_MODELLED_RELEASE
    from sphinx_xenabi.model.spec import Release

    try:
        release = Release.parse(text)
    except ValueError as exc:
        raise CliError(f"--release: {exc}") from None
    if release < FIRST_MODELLED_RELEASE:
        raise CliError(
            f"--release: the reference model covers Xen {FIRST_MODELLED_RELEASE} and later, "
            f"not {release}"
        )
    return str(release)


def _reference_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--xen-source``, ``--xen-config``, ``--model`` and ``--cache-dir`` as config overrides."""
    overrides: dict[str, Any] = {}
    if args.model and args.xen_source is not None:
        raise CliError("--model and --xen-source exclude each other")
    if args.release is not None and args.xen_source is not None:
        raise CliError(
            "--release and --xen-source exclude each other: a Xen source tree is checked at "
            f"its own version (--model --release {args.release} checks against the built-in "
            f"model for Xen {args.release})"
        )
    if args.model:
        overrides["xenabi_xen_source"] = False
    elif args.xen_source is not None:
        if not args.xen_source.is_dir():
            raise CliError(f"--xen-source: {args.xen_source}: not a directory")
        overrides["xenabi_xen_source"] = str(args.xen_source.resolve())
    if args.xen_config is not None:
        from sphinx_xenabi.model.xen_source import NAMED_CONFIGURATIONS

        config = args.xen_config
        if config not in NAMED_CONFIGURATIONS:
            if not Path(config).is_file():
                raise CliError(f"--xen-config: {config}: no such .config file")
            config = str(Path(config).resolve())
        overrides["xenabi_xen_config"] = config
    if args.cache_dir is not None:
        if args.cache_dir.exists() and not args.cache_dir.is_dir():
            raise CliError(f"--cache-dir: {args.cache_dir}: not a directory")
        overrides["xenabi_fact_cache"] = str(args.cache_dir.expanduser().resolve())
    return overrides


@dataclass(frozen=True)
class Findings:
    """What check reports of a reading: the problems to print and each requirement's case."""

    problems: tuple[Problem, ...]
    requirements: tuple[RequirementCase, ...]

    @classmethod
    def of(cls, reading: TreeReading) -> Findings:
        result = reading.result
        if not result.requirements.items:
            return cls(tuple(reading.problems), ())  # nothing of the requirement model loads
        from sphinx_xenabi.cli.check_requirements import check_only, requirement_cases

        cases = requirement_cases(result.requirements, result.verdicts, reading.problems)
        return cls((*reading.problems, *check_only(cases)), tuple(cases))

    @property
    def broken(self) -> int:
        """How many findings break requirement items or their links (check exits 1)."""
        from sphinx_xenabi.cli.check_requirements import link_findings

        return link_findings(self.problems)

    def statuses(self) -> str:
        """``2 verified, 1 failed, 2 unverified, 1 uncovered need(s)``: the items by status."""
        from sphinx_xenabi.cli.check_requirements import uncovered
        from sphinx_xenabi.model.verification import Status

        counts = {s: sum(1 for c in self.requirements if c.status is s) for s in Status}
        text = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        missing = uncovered(self.problems)
        return f"{text}, {missing} uncovered need(s)" if missing else text


def verdict(
    reading: TreeReading, docs_dir: Path, findings: Findings | None = None
) -> tuple[int, str]:
    """check's exit code and summary line: the tables and blocks, then the requirements."""
    result = reading.result
    findings = findings or Findings.of(reading)
    tables, blocks = len(result.registry.tables), len(result.verifications)
    if not tables and not blocks and not findings.requirements:
        return EXIT_FINDINGS, (
            f"xenabi check: nothing checked: no ABI table in the {result.documents} "
            f"document(s) of {docs_dir}"
        )
    code, text = _tables_verdict(reading, tables, blocks)
    if findings.requirements:
        items = f"{len(findings.requirements)} requirement(s)"
        if findings.broken:
            items = f"{findings.broken} requirement finding(s) in {items}"
        elif not text:  # requirements only, every link whole
            items += " traced, links whole"
        text += f"{'; ' if text else ''}{items}: {findings.statuses()}"
    code = EXIT_FINDINGS if findings.broken else code
    return code, f"xenabi check: {text}"


def _tables_verdict(reading: TreeReading, tables: int, blocks: int) -> tuple[int, str]:
    """The verdict on the tables and the blocks ("" when the tree has neither)."""
    result = reading.result
    verified = f", {blocks} xenabi-verifies block(s)" if blocks else ""
    against = reading.checked_against
    if result.drift or result.problems or result.execution_failures:
        failed = (
            f", {result.verification_failures} xenabi-verifies block(s) failed" if blocks else ""
        )
        return EXIT_FINDINGS, (
            f"{result.drift} disagreement(s), {result.problems} table problem(s), "
            f"{result.execution_failures} row(s) failed on the emulated CPU{failed} "
            f"in {tables} table(s){verified} checked against {against}"
        )
    if result.verification_failures:
        return EXIT_FINDINGS, (
            f"{result.verification_failures} of {blocks} xenabi-verifies block(s) "
            f"failed against {against}"
        )
    if not tables and not blocks:
        return EXIT_CLEAN, ""
    unchecked = f", {result.unchecked} not checked" if result.unchecked else ""
    return EXIT_CLEAN, (
        f"{tables - result.unchecked} table(s){verified} agree with {against}{unchecked}"
    )


def _refuse_ignored_release(reading: TreeReading, release: str | None) -> None:
    """``--release`` names the model's release: with a Xen source as the reference, the
    tree's own version decides, so another release would be silently ignored."""
    from sphinx_xenabi.model.spec import Release

    if release is None:
        return
    source = reading.result.reference.source
    if source is None:
        return
    try:
        same = Release.parse(str(source.version)) == Release.parse(release)
    except ValueError:
        same = False
    if not same:
        raise CliError(
            f"--release {release}: the tables are checked against the Xen {source.version} "
            f"source at {source.root} ({reading.source_reason}), whose version decides the "
            f"release; add --model to check them against the built-in model for Xen {release}"
        )


def _progress(text: str) -> None:
    print(f"xenabi check: {text} ...", file=sys.stderr, flush=True)


def _rendered(args: argparse.Namespace, report: CheckReport) -> str:
    from sphinx_xenabi.cli.check_formats import render
    from sphinx_xenabi.cli.check_junit import to_junit

    if args.format == "junit":
        return to_junit(report, args.junit_family or XUNIT2)
    return render(args.format, report)


def _refuse_family_without_junit(args: argparse.Namespace) -> None:
    """``--junit-family`` shapes the JUnit report only: with another format it would be
    silently ignored."""
    if args.junit_family is not None and args.format != "junit":
        raise CliError(
            f"--junit-family {args.junit_family}: only --format junit has a JUnit family "
            f"(the format is {args.format})"
        )


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.cli.check_formats import CheckReport, forget_resolved_paths, line_text

    forget_resolved_paths()  # each run resolves its files as they are now
    _refuse_family_without_junit(args)
    overrides = (
        {} if args.release is None else {"xenabi_xen_release": _checked_release(args.release)}
    )
    overrides.update(_reference_overrides(args))
    progress = None if args.quiet else _progress
    reading = read_tree(args.docs_dir, args.conf_dir, overrides, progress)
    _refuse_ignored_release(reading, overrides.get("xenabi_xen_release"))
    if args.verbose:
        print(reading.sphinx_output, file=sys.stderr)
    findings = Findings.of(reading)
    code, summary = verdict(reading, args.docs_dir, findings)
    if args.format != "text":
        report = CheckReport(
            args.docs_dir,
            reading.checked_against,
            code,
            summary,
            reading.registry,
            findings.problems,
            findings.requirements,
        )
        sys.stdout.write(_rendered(args, report))
        return code
    if reading.source_note is not None and not args.quiet:
        print(f"xenabi check: {reading.source_note}")
    for problem in findings.problems:
        print(line_text(problem, reading.srcdir, Path.cwd()))
    if code != EXIT_CLEAN or not args.quiet:
        print(summary)
    return code


def add_parser(commands: Any) -> None:
    check = commands.add_parser("check", help=COMMANDS["check"])
    add_tree_arguments(check)
    check.add_argument(
        "--release", metavar="X", help="the Xen release the tree describes (overrides its conf.py)"
    )
    check.add_argument(
        "--xen-source",
        type=Path,
        metavar="DIR",
        help="check against this Xen source tree (default: the tree the docs sit in, if any)",
    )
    check.add_argument(
        "--xen-config",
        metavar="CONFIG",
        help="the Xen build configuration: all (default), defconfig or a .config path",
    )
    check.add_argument(
        "--model",
        action="store_true",
        help="check against the built-in model even when the docs sit in a Xen tree",
    )
    check.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="keep the fact cache (source reading, executed rows, the result) in DIR, created "
        "if missing, so the next check of unchanged docs and source reuses it (a CI cache); "
        "default: none, each check computes afresh",
    )
    check.add_argument(
        "-v", "--verbose", action="store_true", help="also print Sphinx's own output"
    )
    check.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default): findings and a summary line; json (check_report.schema.json); "
        "github: workflow annotations (::error file=...,line=...::...); junit: one test case "
        "per table row and per requirement item; gitlab: a GitLab Code Quality report (one issue per finding)",
    )
    check.add_argument(
        "--junit-family",
        choices=JUNIT_FAMILIES,
        help="with --format junit: xunit2 (default) writes only what the junit-10.xsd schema "
        "CI tools use allows, each finding located in its failure's text; xunit1 also puts "
        "file and line on each test case, as GitLab reads them",
    )
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress lines; in text, no summary when clean (the exit code says it)",
    )
    check.set_defaults(run=run)
