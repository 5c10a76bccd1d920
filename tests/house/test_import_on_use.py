"""Import on use: the extension loads the heavy libraries only when a build needs them.

Unicorn, capstone, pcpp, kconfiglib and jsonschema cost tens of
milliseconds to import: ``import sphinx_xenabi`` and ``setup()`` load none
of them, and a rebuild that reuses the cached facts loads none either.

The command line builds its parser (every command's options, ``--help``)
without the model, Sphinx or any command's own machinery: a command loads
what it runs when it runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_xenabi.cli import build_parser, choices
from sphinx_xenabi.model import diff_report, history_report
from sphinx_xenabi.model.abi_rules import Severity
from support.paths import REPO
from support.xen_docs import docs_in
from support.xen_trees import hypercall_defs_tree

HEAVY = ("unicorn", "capstone", "pcpp", "kconfiglib", "jsonschema")

REPORT = (
    "import sys\n"
    f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    "print('loaded:', ' '.join(loaded) or 'none')\n"
)

BUILD = (
    "import sys\n"
    "from sphinx.cmd.build import build_main\n"
    "status = build_main(['-q', '-b', 'html', sys.argv[1], sys.argv[2]])\n"
    "assert status == 0, status\n"
)


def _loaded(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_package_and_its_setup_loads_none_of_them() -> None:
    code = "import sphinx_xenabi, sphinx_xenabi.extension\n"
    assert _loaded(code) == "loaded: none"


def test_a_rebuild_that_reuses_the_facts_loads_none_of_them(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree)
    out = str(tmp_path / "out")
    first = _loaded(BUILD, str(docs), out)
    # The source was read by one worker (results/early_reading.py) and the
    # rows ran in another (results/row_worker.py): the build's own process
    # loads neither pcpp nor Unicorn.
    assert first == "loaded: none"
    assert _loaded(BUILD, str(docs), out) == "loaded: none"


# The reading and the drift check stay in the worker that read the tree:
# the build stores the reading as the worker pickled it.
READER = ("sphinx_xenabi.model.xen_source.reader", "sphinx_xenabi.model.drift")


def _built_loading(names: tuple[str, ...], docs: Path, out: Path) -> str:
    """Build ``docs`` into ``out`` in a new process: which of ``names`` it loaded."""
    report = f"import sys\nprint('loaded:', sorted(set({names!r}) & set(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", BUILD + report, str(docs), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_fresh_build_loads_neither_the_reader_nor_the_drift_check(tmp_path: Path) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    assert _built_loading(READER, docs, tmp_path / "out") == "loaded: []"


# What docs without requirement items do without (most trees: Xen's before docs/fusa).
REQUIREMENTS = (
    "sphinx_xenabi.model.requirements",
    "sphinx_xenabi.model.verification",
    "sphinx_xenabi.model.requirements_json",
    "sphinx_xenabi.model.needs_json",
    "sphinx_xenabi.domain.requirements",
    "sphinx_xenabi.extraction.requirements",
)
SHELL_PAGE = """\
Shell
=====

A ~ in prose, and a home directory in a shell prompt, as Xen's guides show it::

   [root@host ~]# xl info
"""


def test_docs_without_requirement_items_load_none_of_the_requirement_code(
    tmp_path: Path,
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"), pages={"shell": SHELL_PAGE})
    assert _built_loading(REQUIREMENTS, docs, tmp_path / "out") == "loaded: []"
    # A page with an item loads it: the names above are the ones a build uses.
    (docs / "shell.rst").write_text(SHELL_PAGE + "\nItem\n----\n\n`XenProd~a~1`\n")
    assert (
        _built_loading(REQUIREMENTS, docs, tmp_path / "out2") == f"loaded: {sorted(REQUIREMENTS)}"
    )


# What a rebuild settled by the last build's stamp does without.
SETTLING = (
    "sphinx_xenabi.results.settling",
    "sphinx_xenabi.model.fact_cache",
    "sphinx_xenabi.results.early_reading",
    "sphinx_xenabi.results.row_worker",
)


def test_a_rebuild_settled_by_the_stamp_loads_neither_the_settling_nor_the_fact_cache(
    tmp_path: Path,
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    first = _built_loading(SETTLING, docs, tmp_path / "out")
    assert first == f"loaded: {sorted(SETTLING)}"  # the first build settles in full
    assert _built_loading(SETTLING, docs, tmp_path / "out") == "loaded: []"


# What only a builder that writes pages needs.
PAGE_WRITING = (
    "sphinx_xenabi.results.evidence_column",
    "sphinx_xenabi.results.requirement_status",
    "sphinx_xenabi.results.pages_to_write",
)


def test_check_in_a_xen_tree_loads_neither_the_reader_nor_the_drift_check(
    tmp_path: Path,
) -> None:
    # Nor, for docs without requirement items, the requirement code; nor,
    # writing no page, the code of what pages show and which are still owed.
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    unused = (*READER, *REQUIREMENTS, *PAGE_WRITING)
    code = (
        "import sys\n"
        "from sphinx_xenabi.cli import main\n"
        "code = main(['check', sys.argv[1]])\n"
        f"print('loaded:', code, sorted(set({unused!r}) & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(docs)], cwd=REPO, capture_output=True, text=True
    )
    # It still says which tree it checked against, from the reading's summary.
    assert f"at {tmp_path / 'xen'} (the docs sit in this Xen tree)" in done.stdout, done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: 0 []", done.stdout + done.stderr


def test_a_build_that_reads_the_source_in_place_loads_the_preprocessor(tmp_path: Path) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    with (docs / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write("xenabi_parallel_reading = False\n")
    first = _loaded(BUILD, str(docs), str(tmp_path / "out"))
    assert "pcpp" in first and "unicorn" in first  # the source was read, the rows ran


# What building the command line's parser must not load: the model (many frozen
# dataclasses), the emulator, the build's result, Sphinx and docutils, and the
# modules that only check, diff and history run.
NOT_FOR_THE_PARSER = (
    *HEAVY,
    "sphinx",
    "docutils",
    "sphinx_xenabi.model",
    "sphinx_xenabi.emulator",
    "sphinx_xenabi.results",
    "sphinx_xenabi.extension",
    "sphinx_xenabi.cli.check_formats",
    "sphinx_xenabi.cli.check_junit",
    "sphinx_xenabi.cli.check_requirements",
    "sphinx_xenabi.cli.git_commits",
    "sphinx_xenabi.cli.history_docs",
    "sphinx_xenabi.cli.history_walk",
    "sphinx_xenabi.cli.indentation",
)

COMMANDS = ("extract", "check", "source", "indent", "diff", "history")

# Runs main() on each argument list (JSON), as ``sphinx-xenabi ARGS`` would, and says
# which modules of NOT_FOR_THE_PARSER it loaded.
RUN_MAIN = (
    "import contextlib, io, json, sys\n"
    "from sphinx_xenabi.cli import main\n"
    "for argv in json.loads(sys.argv[1]):\n"
    "    with contextlib.redirect_stdout(io.StringIO()) as shown:\n"
    "        try:\n"
    "            code = main(argv)\n"
    "        except SystemExit as exc:  # --help\n"
    "            code = exc.code\n"
    "    assert code == 0, (argv, code, shown.getvalue())\n"
    f"unwanted = {NOT_FOR_THE_PARSER!r}\n"
    "loaded = sorted(m for m in sys.modules if any(m == u or m.startswith(u + '.') for u in unwanted))\n"
    "print('loaded:', ' '.join(loaded) or 'none')\n"
)


def _loaded_by_main(runs: list[list[str]]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", RUN_MAIN, json.dumps(runs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_command_line_help_loads_no_command_machinery() -> None:
    """``--help`` and every ``COMMAND --help`` build their parser and load none of it."""
    runs = [["--help"], *([command, "--help"] for command in COMMANDS)]
    assert _loaded_by_main(runs) == "loaded: none"


def test_a_command_loads_what_it_runs_and_no_other_commands_machinery(tmp_path: Path) -> None:
    """``indent`` loads its checker and nothing of the model, Sphinx or the other commands."""
    page = tmp_path / "page.rst"
    page.write_text(".. note::\n\n   Three spaces.\n", encoding="utf-8")
    runs = [["indent", str(page)]]
    assert _loaded_by_main(runs) == "loaded: sphinx_xenabi.cli.indentation"


def test_the_parser_offers_the_values_the_commands_convert() -> None:
    """The plain option values the parser offers are those of the model's enums."""
    assert choices.DIFF_FORMATS == tuple(f.value for f in diff_report.OutputFormat)
    assert choices.DIFF_SEVERITIES == tuple(s.value for s in Severity)
    assert choices.HISTORY_FORMATS == tuple(f.value for f in history_report.OutputFormat)


# Runs main() on the arguments, as ``sphinx-xenabi ARGS`` would, and says which
# commands' modules it loaded.
WHICH_COMMANDS = (
    "import contextlib, io, sys\n"
    "from sphinx_xenabi.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        main(sys.argv[1:])\n"
    "    except SystemExit:  # --help\n"
    "        pass\n"
    f"modules = {tuple(f'sphinx_xenabi.cli.{c}' for c in COMMANDS)!r}\n"
    "print('loaded:', ' '.join(m.rpartition('.')[2] for m in modules if m in sys.modules))\n"
)


@pytest.mark.parametrize(
    ("argv", "loaded"),
    [(["--help"], ""), *(([command, "--help"], command) for command in COMMANDS)],
    ids=["--help", *COMMANDS],
)
def test_a_command_loads_its_own_module_and_no_other_commands(argv: list[str], loaded: str) -> None:
    """``check`` runs without ``diff``'s git code or ``history``'s; ``--help`` lists
    the commands without loading any."""
    done = subprocess.run(
        [sys.executable, "-c", WHICH_COMMANDS, *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == f"loaded: {loaded}".strip()


def test_the_command_list_reads_as_the_commands_own_parsers_do() -> None:
    # The list --help shows without the modules is the one they register.
    assert build_parser("x").format_help() == build_parser("x", every=True).format_help()
