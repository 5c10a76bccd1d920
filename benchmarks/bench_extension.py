"""How much does ``sphinx_xenabi`` add to a full Sphinx build?

The script generates a documentation tree of N pages (default 200) that looks
like the Xen guides: a root page whose toctrees list four guides, each guide
listing its pages, reST and MyST pages with sections, prose, lists, code
blocks, admonitions and unrelated tables, and the three kinds of table the
extension reads (registers, transfer instruction, hypercall numbers) spread
over the pages, all agreeing with the model of the release the tree
describes so the drift gate passes.

It then builds the tree from scratch (``-E``, fresh output and doctree
directories, each build in its own Python process) with a configuration that
loads the extension and with one that is identical except that it does not,
alternating the order from round to round (AB, BA, AB, ...) so that slow
drift of the machine cancels out. After every build with the extension it
checks that ``xenabi-registry.json`` was written and holds exactly the tables
and pages that were generated, so the figures measure an extension that did
its work. It prints every round, the medians and their ratio (with/without);
the goal is a ratio of at most 1.03.

Before timing, both configurations build a small tree once, untimed: that
checks the set-up and fills a private bytecode cache (``PYTHONPYCACHEPREFIX``
in the work directory), so no timed build pays for compiling Sphinx or the
extension even where ``PYTHONDONTWRITEBYTECODE`` is set. ``--builder dummy``
times reading alone; with the html builder at thousands of pages, writing the
global navigation into every page dominates and dilutes the ratio.

Run from the repository root::

    python benchmarks/bench_extension.py                  # 200 pages, 5 rounds
    python benchmarks/bench_extension.py --pages 2000 --rounds 2
    python benchmarks/bench_extension.py --keep /tmp/bench  # keep the tree
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

try:
    import resource
except ImportError:  # not on Windows: CPU times are then not reported
    resource = None  # type: ignore[assignment]

REPO_ROOT = Path(__file__).resolve().parent.parent
REGISTRY_FILENAME = "xenabi-registry.json"
RELEASE = "4.22"
GOAL = 1.03
PRIME_PAGES = 13  # enough for one table of each kind

# -- what the generated tables say (must agree with the model of Xen 4.22) --------

REGISTERS_HEADER = ("ABI", "Hypercall Index", "Parameters (1 - 5)", "Result")
REGISTERS_ROWS = (
    ("64bit", "RAX", "RDI RSI RDX R10 R8", "RAX"),
    ("32bit", "EAX", "EBX ECX EDX ESI EDI", "EAX"),
)
# The six-parameter ABI documented for Xen 4.13 to 4.16 (checked against that range).
HISTORIC_TITLE = "Registers in Xen 4.13 to 4.16"
HISTORIC_HEADER = ("ABI", "Hypercall Index", "Parameters (1 - 6)", "Result")
HISTORIC_ROWS = (
    ("64bit", "RAX", "RDI RSI RDX R10 R8 R9", "RAX"),
    ("32bit", "EAX", "EBX ECX EDX ESI EDI EBP", "EAX"),
)
TRANSFER_HEADER = ("Guest", "Transfer instruction")
TRANSFER_ROWS = (
    ("32bit PV", "INT 0x82"),
    ("64bit PV", "SYSCALL"),
    ("Intel HVM", "VMCALL"),
    ("AMD HVM", "VMMCALL"),
)
NUMBERS_HEADER = ("Index", "Name", "PV 32", "PV 64", "HVM 32", "HVM 64")
_PV_ONLY = ("yes", "yes", "no", "no")
_ALL = ("yes", "yes", "yes", "yes")
_NONE = ("no", "no", "no", "no")
# Copied from docs/guest-guide/x86/hypercall-numbers.md: all 44 hypercalls of Xen 4.22.
NUMBERS_ROWS = tuple(
    (str(number), name, *availability)
    for number, name, availability in (
        (0, "set_trap_table", _PV_ONLY),
        (1, "mmu_update", _PV_ONLY),
        (2, "set_gdt", _PV_ONLY),
        (3, "stack_switch", _PV_ONLY),
        (4, "set_callbacks", _PV_ONLY),
        (5, "fpu_taskswitch", _PV_ONLY),
        (6, "sched_op_compat", _PV_ONLY),
        (7, "platform_op", _ALL),
        (8, "set_debugreg", _PV_ONLY),
        (9, "get_debugreg", _PV_ONLY),
        (10, "update_descriptor", _PV_ONLY),
        (12, "memory_op", _ALL),
        (13, "multicall", _ALL),
        (14, "update_va_mapping", _PV_ONLY),
        (15, "set_timer_op", _ALL),
        (16, "event_channel_op_compat", _PV_ONLY),
        (17, "xen_version", _ALL),
        (18, "console_io", _ALL),
        (19, "physdev_op_compat", _PV_ONLY),
        (20, "grant_table_op", _ALL),
        (21, "vm_assist", _ALL),
        (22, "update_va_mapping_otherdomain", _PV_ONLY),
        (23, "iret", _PV_ONLY),
        (24, "vcpu_op", _ALL),
        (25, "set_segment_base", _PV_ONLY),
        (26, "mmuext_op", _ALL),
        (27, "xsm_op", _ALL),
        (28, "nmi_op", _PV_ONLY),
        (29, "sched_op", _ALL),
        (30, "callback_op", _PV_ONLY),
        (31, "xenoprof_op", _NONE),
        (32, "event_channel_op", _ALL),
        (33, "physdev_op", _ALL),
        (34, "hvm_op", _ALL),
        (35, "sysctl", _ALL),
        (36, "domctl", _ALL),
        (37, "kexec_op", _PV_ONLY),
        (38, "tmem_op", _NONE),
        (39, "argo_op", _ALL),
        (40, "xenpmu_op", _ALL),
        (41, "dm_op", _ALL),
        (42, "hypfs_op", _ALL),
        (48, "mca", _PV_ONLY),
        (49, "paging_domctl_cont", _ALL),
    )
)
assert len(NUMBERS_ROWS) == 44

# Tables of no known kind, as the guides have them too.
ERRNO_HEADER = ("Name", "Value", "Typical meaning")
ERRNO_ROWS = (
    ("``EPERM``", "1", "The caller is not allowed to make this call"),
    ("``ENOENT``", "2", "The requested object does not exist"),
    ("``ENOMEM``", "12", "Xen ran out of memory"),
    ("``EINVAL``", "22", "A parameter is not valid"),
    ("``ENOSYS``", "38", "The hypercall is unknown or unavailable"),
)
OPTION_HEADER = ("Option", "Default", "Description")
OPTION_ROWS = (
    ("``dom0_mem``", "all", "Memory given to the control domain at boot"),
    ("``sched``", "credit2", "The scheduler used for new CPU pools"),
    ("``console``", "com1,vga", "Where Xen writes its console output"),
    ("``loglvl``", "warning", "The least severe message Xen prints"),
)

# -- page content ---------------------------------------------------------------------

GUIDES = (
    ("admin-guide", "Administrator guide"),
    ("guest-guide", "Guest guide"),
    ("hypervisor-guide", "Hypervisor guide"),
    ("tooling", "Documentation tooling"),
)
TOPICS = (
    "event channels",
    "grant tables",
    "the console ring",
    "vCPU placement",
    "memory ballooning",
    "the scheduler",
    "PCI passthrough",
    "live migration",
    "the hypercall page",
    "shared info",
    "timers",
    "XenStore",
    "device models",
    "CPU pools",
    "NUMA placement",
    "domain builders",
)
SENTENCES = (
    (
        "Xen shares the machine between several domains and keeps each of them "
        "isolated from the others."
    ),
    (
        "A guest that runs paravirtualised asks Xen for every privileged "
        "operation, while a fully virtualised guest uses the virtualisation "
        "extensions of the CPU."
    ),
    (
        "The control domain runs the toolstack, which creates, configures and "
        "destroys the other domains."
    ),
    "Most interfaces are versioned, so that an older guest keeps working on a newer hypervisor.",
    (
        "When something goes wrong, the hypervisor console and the toolstack "
        "logs are the first places to look."
    ),
    (
        "Memory given to a domain at creation time can later be adjusted with "
        "the balloon driver, within the limits set by the administrator."
    ),
    (
        "Interrupts for a domain are delivered as events, which the guest "
        "kernel demultiplexes and hands to its drivers."
    ),
    (
        "Each vCPU is scheduled independently, and its placement on physical "
        "CPUs can be restricted with hard and soft affinity."
    ),
)


@dataclass
class Page:
    index: int
    guide: str
    docname: str
    suffix: str  # ".rst" or ".md"
    title: str
    tables: list[str] = field(default_factory=list)  # kinds, in page order


def paragraph(seed: int, count: int = 3, width: int = 78) -> str:
    text = " ".join(SENTENCES[(seed + k) % len(SENTENCES)] for k in range(count))
    return textwrap.fill(text, width)


def plan_pages(count: int) -> list[Page]:
    """Spread the pages over the guides and the table kinds over the pages.

    Every 10th page has a registers table, every 10th (another one) a transfer
    table, every 25th the full numbers table and every 50th the historic
    six-parameter registers table; one page in three is MyST.
    """
    pages: list[Page] = []
    for i in range(count):
        guide = GUIDES[i * len(GUIDES) // count][0]  # contiguous, like real guides
        topic = TOPICS[i % len(TOPICS)]
        page = Page(
            index=i,
            guide=guide,
            docname=f"{guide}/page-{i:05d}",
            suffix=".md" if i % 3 == 2 else ".rst",
            title=f"Topic {i}: {topic[0].upper()}{topic[1:]}",
        )
        if i % 10 == 3:
            page.tables.append("registers")
        if i % 10 == 7:
            page.tables.append("transfer")
        if i % 25 == 12:
            page.tables.append("numbers")
        if i % 50 == 20:
            page.tables.append("registers-historic")
        pages.append(page)
    return pages


# reST rendering ------------------------------------------------------------------


def rst_heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def rst_list_table(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], title: str = ""
) -> str:
    lines = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", ""]
    for row in (header, *rows):
        for k, cell in enumerate(row):
            lines.append(f"   {'*' if k == 0 else ' '} - {cell}")
    return "\n".join(lines) + "\n"


def rst_grid_table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    widths = [max(len(r[k]) for r in (header, *rows)) for k in range(len(header))]

    def border(char: str) -> str:
        return "+" + "+".join(char * (w + 2) for w in widths) + "+"

    def line(row: tuple[str, ...]) -> str:
        return "|" + "|".join(f" {c.ljust(w)} " for c, w in zip(row, widths)) + "|"

    out = [border("-"), line(header), border("=")]
    for row in rows:
        out += [line(row), border("-")]
    return "\n".join(out) + "\n"


def rst_csv_table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    def quote(row: tuple[str, ...]) -> str:
        return ", ".join(f'"{c}"' for c in row)

    lines = [".. csv-table::", f"   :header: {quote(header)}", ""]
    lines += [f"   {quote(r)}" for r in rows]
    return "\n".join(lines) + "\n"


def rst_table(kind: str, page: Page) -> str:
    if kind == "registers":
        intro = paragraph(page.index, 2) + "\n\n"
        if page.index % 20 == 3:  # as in hypercall-abi.rst, with a footnote in the header
            header = (
                *REGISTERS_HEADER[:2],
                f"{REGISTERS_HEADER[2]} [#params{page.index}]_",
                REGISTERS_HEADER[3],
            )
            note = (
                f"\n.. [#params{page.index}] Xen 4.17 stopped passing a sixth parameter, which\n"
                "   earlier releases took from R9 or EBP.\n"
            )
            return intro + rst_list_table(header, REGISTERS_ROWS) + note
        return intro + rst_grid_table(REGISTERS_HEADER, REGISTERS_ROWS)
    if kind == "registers-historic":
        return (
            "Xen 4.13 to 4.16 documented a hypercall ABI with six parameters:\n\n"
            + rst_list_table(HISTORIC_HEADER, HISTORIC_ROWS, HISTORIC_TITLE)
        )
    if kind == "transfer":
        intro = "The instruction that moves control from the guest to Xen depends on the guest:\n\n"
        if page.index % 20 == 7:
            return intro + rst_csv_table(TRANSFER_HEADER, TRANSFER_ROWS)
        return intro + rst_list_table(TRANSFER_HEADER, TRANSFER_ROWS)
    if kind == "numbers":
        return (
            "The table below lists every hypercall number that Xen defines on x86, and\n"
            "whether each guest type may use it in this release.\n\n"
            + rst_list_table(NUMBERS_HEADER, NUMBERS_ROWS)
        )
    raise ValueError(kind)


def render_rst(page: Page, neighbour: str) -> str:
    i = page.index
    topic = TOPICS[i % len(TOPICS)]
    parts = [
        rst_heading(page.title, "="),
        paragraph(i, 3),
        "",
        rst_heading("Overview", "-"),
        paragraph(i + 1, 4),
        "",
        f"See also :doc:`{neighbour}` for a related topic.",
        "",
        "* the guest kernel sets up its side first;",
        "* the toolstack then connects the backend;",
        f"* finally the domain starts to use {topic}.",
        "",
    ]
    if page.tables:
        parts += [rst_heading("Interface", "-")]
        for kind in page.tables:
            parts += [rst_table(kind, page)]
    parts += [
        rst_heading("Configuration", "-"),
        paragraph(i + 2, 2),
        "",
    ]
    if i % 5 == 0:
        parts += [rst_grid_table(OPTION_HEADER, OPTION_ROWS)]
    elif i % 5 in (1, 3):
        parts += [rst_list_table(ERRNO_HEADER, ERRNO_ROWS)]
    parts += [
        ".. code-block:: console",
        "",
        f"   # xl create /etc/xen/guest-{i}.cfg",
        f"   # xl list guest-{i}",
        "",
        ".. note::",
        "",
        textwrap.indent(paragraph(i + 3, 2, 75), "   "),
        "",
        rst_heading("Details", "-"),
        paragraph(i + 4, 4),
        "",
    ]
    return "\n".join(parts)


# MyST rendering ------------------------------------------------------------------


def md_list_table(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], title: str = ""
) -> str:
    lines = [f"```{{list-table}} {title}".rstrip(), ":header-rows: 1", ""]
    for row in (header, *rows):
        for k, cell in enumerate(row):
            lines.append(f"{'*' if k == 0 else ' '} - {cell}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def md_pipe_table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    def md(cell: str) -> str:
        return cell.replace("``", "`")

    lines = [
        "| " + " | ".join(md(c) for c in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(md(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def md_table(kind: str, page: Page) -> str:
    if kind == "registers":
        return paragraph(page.index, 2) + "\n\n" + md_list_table(REGISTERS_HEADER, REGISTERS_ROWS)
    if kind == "registers-historic":
        return (
            "Xen 4.13 to 4.16 documented a hypercall ABI with six parameters:\n\n"
            + md_list_table(HISTORIC_HEADER, HISTORIC_ROWS, HISTORIC_TITLE)
        )
    if kind == "transfer":
        return (
            "The instruction that moves control from the guest to Xen depends on the guest:\n\n"
            + md_pipe_table(TRANSFER_HEADER, TRANSFER_ROWS)
        )
    if kind == "numbers":
        return (
            "The table below lists every hypercall number that Xen defines on x86, and\n"
            "whether each guest type may use it in this release.\n\n"
            + md_list_table(NUMBERS_HEADER, NUMBERS_ROWS)
        )
    raise ValueError(kind)


def render_md(page: Page, neighbour: str) -> str:
    i = page.index
    topic = TOPICS[i % len(TOPICS)]
    parts = [
        f"# {page.title}",
        "",
        paragraph(i, 3),
        "",
        "## Overview",
        "",
        paragraph(i + 1, 4),
        "",
        f"See also {{doc}}`{neighbour}` for a related topic.",
        "",
        "- the guest kernel sets up its side first;",
        "- the toolstack then connects the backend;",
        f"- finally the domain starts to use {topic}.",
        "",
    ]
    if page.tables:
        parts += ["## Interface", ""]
        for kind in page.tables:
            parts += [md_table(kind, page)]
    parts += ["## Configuration", "", paragraph(i + 2, 2), ""]
    if i % 5 == 0:
        parts += [md_pipe_table(OPTION_HEADER, OPTION_ROWS)]
    elif i % 5 in (1, 3):
        parts += [md_pipe_table(ERRNO_HEADER, ERRNO_ROWS)]
    parts += [
        "```console",
        f"# xl create /etc/xen/guest-{i}.cfg",
        f"# xl list guest-{i}",
        "```",
        "",
        "```{note}",
        paragraph(i + 3, 2),
        "```",
        "",
        "## Details",
        "",
        paragraph(i + 4, 4),
        "",
    ]
    return "\n".join(parts)


# tree and configurations ----------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    srcdir: Path
    pages: int
    tables: Counter[str]  # registry kind -> count
    documents: int  # pages reachable from the guides, guide indexes included


def generate_tree(srcdir: Path, count: int) -> Tree:
    pages = plan_pages(count)
    by_guide: dict[str, list[Page]] = {g: [] for g, _ in GUIDES}
    for page in pages:
        by_guide[page.guide].append(page)

    root = [
        rst_heading("The Xen Hypervisor documentation (benchmark)", "="),
        paragraph(0, 3),
        "",
    ]
    for guide, title in GUIDES:
        root += [
            rst_heading(title, "-"),
            paragraph(len(guide), 2),
            "",
            ".. toctree::",
            "   :maxdepth: 2",
            "",
            f"   {guide}/index",
            "",
        ]
        members = by_guide[guide]
        index = [
            rst_heading(title, "="),
            paragraph(len(title), 3),
            "",
            ".. toctree::",
            "   :maxdepth: 1",
            "",
        ]
        index += [f"   {p.docname.split('/', 1)[1]}" for p in members]
        (srcdir / guide).mkdir(parents=True, exist_ok=True)
        (srcdir / guide / "index.rst").write_text("\n".join(index) + "\n", encoding="utf-8")
        for k, page in enumerate(members):
            neighbour = members[(k + 1) % len(members)].docname.split("/", 1)[1]
            render = render_md if page.suffix == ".md" else render_rst
            (srcdir / (page.docname + page.suffix)).write_text(
                render(page, neighbour), encoding="utf-8"
            )
    (srcdir / "index.rst").write_text("\n".join(root), encoding="utf-8")

    tables: Counter[str] = Counter()
    for page in pages:
        for kind in page.tables:
            tables["registers" if kind == "registers-historic" else kind] += 1
    return Tree(srcdir, count, tables, count + len(GUIDES))


CONF_TEMPLATE = '''\
"""Generated by benchmarks/bench_extension.py: {label}."""

project = "Xen"
author = "The Xen Project contributors"
copyright = "The Xen Project contributors"
version = "{release}"
release = "{release}"

extensions = {extensions!r}

source_suffix = {{
    ".rst": "restructuredtext",
    ".md": "markdown",
}}
root_doc = "index"
exclude_patterns = []
html_theme = "{theme}"
html_title = f"Xen {{release}} documentation"
doctest_global_setup = ""
'''


def write_conf(confdir: Path, with_extension: bool, theme: str, execute: bool = True) -> None:
    extensions = ["myst_parser", "sphinx.ext.doctest"]
    if theme == "sphinx_rtd_theme":
        extensions.append("sphinx_rtd_theme")
    if with_extension:
        extensions.append("sphinx_xenabi")
    confdir.mkdir(parents=True, exist_ok=True)
    label = "with sphinx_xenabi" if with_extension else "without sphinx_xenabi"
    text = CONF_TEMPLATE.format(label=label, release=RELEASE, extensions=extensions, theme=theme)
    if with_extension and not execute:
        text += "xenabi_execute_tables = False\n"
    (confdir / "conf.py").write_text(text, encoding="utf-8")


# building ---------------------------------------------------------------------------


class BenchmarkError(RuntimeError):
    pass


def build(
    tree: Tree,
    confdir: Path,
    workdir: Path,
    label: str,
    builder: str,
    jobs: str,
    allow_warnings: bool,
) -> tuple[float, float | None, Path]:
    """One full build in a fresh process: (wall seconds, CPU seconds, output dir)."""
    outdir = workdir / f"out-{label}"
    doctrees = workdir / f"doctrees-{label}"
    for stale in (outdir, doctrees):
        shutil.rmtree(stale, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-q",
        "-E",
        "-b",
        builder,
        "-c",
        str(confdir),
        "-d",
        str(doctrees),
        "-j",
        jobs,
        str(tree.srcdir),
        str(outdir),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    # Real builds load compiled bytecode; a private cache gives both configurations
    # that even where PYTHONDONTWRITEBYTECODE is set, without writing into the repo.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    cpu_before = child_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    cpu_after = child_cpu()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    if result.returncode != 0:
        raise BenchmarkError(
            f"the build {label} failed (exit {result.returncode}):\n  {' '.join(command)}\n"
            + tail(result.stderr or result.stdout)
        )
    if result.stderr.strip() and not allow_warnings:
        raise BenchmarkError(
            f"the build {label} emitted warnings, so the generated tree is not clean "
            f"(--allow-warnings runs anyway):\n" + tail(result.stderr)
        )
    shutil.rmtree(doctrees, ignore_errors=True)
    return elapsed, cpu, outdir


def bootstrap_interval(
    with_times: list[float], without_times: list[float], resamples: int = 2000
) -> tuple[float, float]:
    """A 95% percentile-bootstrap interval for median(with) / median(without).

    Rounds are resampled as pairs, so the interval reflects how much the
    ratio moves with the machine's noise. Seeded: the same timings always
    give the same interval.
    """
    rng = random.Random(0)
    pairs = list(zip(with_times, without_times))
    ratios = []
    for _ in range(resamples):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        ratios.append(
            statistics.median(w for w, _ in sample) / statistics.median(wo for _, wo in sample)
        )
    ratios.sort()
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def child_cpu() -> float | None:
    """User + system CPU seconds of all finished child processes so far."""
    if resource is None:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tail(text: str, lines: int = 30) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept)


def verify_registry(tree: Tree, outdir: Path) -> None:
    """Abort unless the build with the extension recorded every generated table."""
    path = outdir / REGISTRY_FILENAME
    if not path.is_file():
        raise BenchmarkError(
            f"the build with the extension wrote no {REGISTRY_FILENAME} in {outdir}: "
            "the extension did not run (or did not finish), so its cost was not measured"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    found = Counter(t["kind"] for t in data.get("tables", []))
    if found != tree.tables:
        raise BenchmarkError(
            f"{path} records tables {dict(sorted(found.items()))}, "
            f"but the tree has {dict(sorted(tree.tables.items()))}"
        )
    empty = [f"{t['file']}:{t['line']}" for t in data["tables"] if not t["rows"]]
    if empty:
        raise BenchmarkError(f"{path}: tables recorded without rows: {', '.join(empty[:5])}")
    documents = sum(len(g["pages"]) for g in data.get("guides", []))
    if documents != tree.documents:
        raise BenchmarkError(
            f"{path} places {documents} documents in guides, but the tree has {tree.documents}"
        )
    if data.get("release") != RELEASE:
        raise BenchmarkError(f"{path} describes release {data.get('release')!r}, not {RELEASE!r}")


def verify_no_registry(outdir: Path) -> None:
    if (outdir / REGISTRY_FILENAME).exists():
        raise BenchmarkError(
            f"the build without the extension wrote {REGISTRY_FILENAME}: wrong configuration"
        )


# main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Generate an N-page documentation tree with registers, transfer and hypercall "
            "numbers tables, build it from scratch with and without the sphinx_xenabi "
            f"extension, alternately, and print the median time ratio (goal: <= {GOAL})."
        ),
    )
    parser.add_argument(
        "--pages", type=int, default=200, help="pages to generate (default: %(default)s)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed rounds; each builds once with and once without the extension, the order "
        "alternating from round to round (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        default="1",
        help="sphinx-build -j value: a number or 'auto' (default: %(default)s)",
    )
    parser.add_argument(
        "--builder",
        default="html",
        help="Sphinx builder to time, e.g. html, dirhtml, dummy (default: %(default)s)",
    )
    parser.add_argument(
        "--theme",
        default="sphinx_rtd_theme",
        help="html_theme of both configurations; sphinx_rtd_theme as on the real site, "
        "or alabaster (default: %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed build pairs of the full tree before the rounds, to warm caches; the bytecode "
        "cache is always filled first by building a small tree (default: %(default)s)",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="generate the tree and the last outputs in DIR and keep them "
        "(default: a temporary directory)",
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="build with xenabi_execute_tables = False: extraction, gate and registry "
        "only, without running table rows on the emulated CPU",
    )
    parser.add_argument(
        "--allow-warnings",
        action="store_true",
        help="time builds that emit warnings instead of stopping",
    )
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def run(args: argparse.Namespace, workdir: Path) -> int:
    srcdir = workdir / "src"
    if srcdir.exists():
        shutil.rmtree(srcdir)
    srcdir.mkdir(parents=True)
    tree = generate_tree(srcdir, args.pages)
    confs = {True: workdir / "conf-with", False: workdir / "conf-without"}
    for with_extension, confdir in confs.items():
        write_conf(confdir, with_extension, args.theme, execute=not args.no_execute)

    total = sum(tree.tables.values())
    print(f"tree: {tree.pages} pages ({tree.documents + 1} documents) in {srcdir}")
    print(
        f"tables: {total} read by the extension ("
        + ", ".join(f"{tree.tables[k]} {k}" for k in ("registers", "transfer", "numbers"))
        + ")"
    )
    print(
        f"builder {args.builder}, theme {args.theme}, -j {args.jobs}, "
        f"{args.rounds} round(s) after {args.warmup} warm-up pair(s); "
        f"Sphinx run as {sys.executable}"
    )

    def one(
        with_extension: bool, built: Tree = tree, prefix: str = ""
    ) -> tuple[float, float | None]:
        label = prefix + ("with" if with_extension else "without")
        elapsed, cpu, outdir = build(
            built,
            confs[with_extension],
            workdir,
            label,
            args.builder,
            args.jobs,
            args.allow_warnings,
        )
        if with_extension:
            verify_registry(built, outdir)
        else:
            verify_no_registry(outdir)
        return elapsed, cpu

    # Fill the bytecode cache (and check the set-up) on a small tree first, so that
    # neither configuration pays for compiling Sphinx in a timed build.
    prime_dir = workdir / "prime-src"
    shutil.rmtree(prime_dir, ignore_errors=True)
    prime_dir.mkdir()
    prime = generate_tree(prime_dir, PRIME_PAGES)
    for with_extension in (True, False):
        one(with_extension, prime, "prime-")
    for stale in ("prime-src", "out-prime-with", "out-prime-without"):
        shutil.rmtree(workdir / stale, ignore_errors=True)

    for _ in range(args.warmup):
        one(True)
        one(False)

    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    print(
        f"{'round':>5}  {'order':<5}  {'with':>9}  {'without':>9}  {'ratio':>6}    "
        f"{'CPU with':>9}  {'without':>9}  {'ratio':>6}"
    )
    for r in range(args.rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        got = {w: one(w) for w in order}
        for w, (t, c) in got.items():
            wall[w].append(t)
            if c is not None:
                cpu[w].append(c)
        line = (
            f"{r + 1:>5}  {'AB' if order[0] else 'BA':<5}  "
            f"{got[True][0]:>8.3f}s  {got[False][0]:>8.3f}s  {got[True][0] / got[False][0]:>6.3f}"
        )
        c_with, c_without = got[True][1], got[False][1]
        if c_with is not None and c_without is not None:
            line += f"    {c_with:>8.3f}s  {c_without:>8.3f}s  {c_with / c_without:>6.3f}"
        print(line, flush=True)

    with_median = statistics.median(wall[True])
    without_median = statistics.median(wall[False])
    ratio = with_median / without_median
    pair_ratio = statistics.median(w / wo for w, wo in zip(wall[True], wall[False]))
    checked = args.rounds + args.warmup
    print(f"registry check: passed after each of {checked} build(s) with the extension")
    print(f"pages: {tree.pages}  tables: {total}")
    print(f"median with extension:    {with_median:.3f}s")
    print(f"median without extension: {without_median:.3f}s")
    print(
        f"median ratio (with/without): {ratio:.3f}  (median of per-round ratios: {pair_ratio:.3f})"
    )
    if args.rounds >= 5:
        low, high = bootstrap_interval(wall[True], wall[False])
        print(
            f"95% interval of the median ratio: {low:.3f} to {high:.3f} "
            f"(bootstrap over the {args.rounds} rounds; it narrows with more --rounds)"
        )
    print(
        f"fastest with/without: {min(wall[True]):.3f}s / {min(wall[False]):.3f}s, ratio "
        f"{min(wall[True]) / min(wall[False]):.3f} "
        "(noise only adds time; use more --rounds on a busy machine)"
    )
    if cpu[True] and cpu[False]:
        cpu_ratio = statistics.median(cpu[True]) / statistics.median(cpu[False])
        print(
            f"median CPU time with/without: {statistics.median(cpu[True]):.3f}s / "
            f"{statistics.median(cpu[False]):.3f}s, ratio {cpu_ratio:.3f} "
            "(user + system time of the build processes)"
        )
    print(f"goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            return run(args, args.keep.resolve())
        with tempfile.TemporaryDirectory(prefix="xenabi-bench-") as tmp:
            return run(args, Path(tmp))
    except BenchmarkError as exc:
        print(f"bench_extension: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
