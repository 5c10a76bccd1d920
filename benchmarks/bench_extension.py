"""How much does ``sphinx_xenabi`` add to a full Sphinx build?

Generates N pages (default 200) shaped like the Xen guides: four guides of
reST and MyST pages with prose, lists, code, admonitions, unrelated tables and
the three ABI tables, written by the model (``model.docs_tables``) from its
facts for Xen 4.22, so the gate passes, in list, grid, csv and pipe syntax.
Builds it from scratch (``-E``, each build in its own process) with and
without the extension in alternating order (AB, BA, ...), checks after every
build that ``xenabi-registry.json`` holds exactly the generated tables and
pages, and prints each round, the medians, their ratio with a bootstrap 95%
interval, the fastest-build and CPU-time ratios. Goal: at most 1.03. A small
tree is built first, untimed, to check the set-up and fill a private bytecode
cache (``PYTHONPYCACHEPREFIX``).

    python benchmarks/bench_extension.py --rounds 21
    python benchmarks/bench_extension.py --pages 2000 --builder dummy --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sphinx_xenabi.model import abi  # noqa: E402
from sphinx_xenabi.model.docs_tables import TableText as Table  # noqa: E402
from sphinx_xenabi.model.docs_tables import registers_table, tables_of  # noqa: E402
from sphinx_xenabi.model.spec import Release  # noqa: E402

RELEASE = Release(4, 22)
GOAL = 1.03
PRIME_PAGES = 13  # enough for one table of each kind
GUIDES = ("admin-guide", "guest-guide", "hypervisor-guide", "tooling")
Times = tuple[float, float]  # wall and CPU seconds of one build
# The docs' tables as the model states them: the gate passes on every page.
TABLES: dict[str, Table] = {
    kind.value: table for kind, table in tables_of(abi.revision_for(RELEASE)).items()
}
TABLES["registers-historic"] = registers_table(
    abi.revision_for(Release(4, 16)), "Registers in Xen 4.13 to 4.16"
)
UNRELATED = Table(
    ("Name", "Value", "Typical meaning"),
    tuple((f"``{e.name}``", str(e.value), "An error a hypercall may return") for e in abi.Errno),
)
SENTENCES = (
    "Xen shares the machine between domains and keeps each isolated from the others.",
    "A paravirtualised guest asks Xen for every privileged operation, while a fully "
    "virtualised guest uses the virtualisation extensions of the CPU.",
    "The control domain runs the toolstack, which creates and destroys the other domains.",
    "Most interfaces are versioned, so an older guest keeps working on a newer hypervisor.",
    "Interrupts for a domain are delivered as events, which the guest kernel demultiplexes.",
    "Each vCPU is scheduled independently, within the affinity the administrator set.",
)


def prose(seed: int, count: int = 3) -> str:
    return textwrap.fill(" ".join(SENTENCES[(seed + k) % len(SENTENCES)] for k in range(count)))


def plan(count: int) -> list[tuple[str, str, list[str]]]:
    """(docname, suffix, table kinds) per page: every 10th page a registers and
    a transfer table, every 25th the numbers table, every 50th the historic
    six-parameter table; one page in three is MyST."""
    pages = []
    for i in range(count):
        name = f"{GUIDES[i * len(GUIDES) // count]}/page-{i:05d}"
        kinds = [k for k, (step, at) in _EVERY.items() if i % step == at]
        pages.append((name, ".md" * (i % 3 == 2), kinds))
    return pages


# kind: (step, offset) of the pages that hold it
_EVERY = {"registers": (10, 3), "transfer": (10, 7), "numbers": (25, 12)}
_EVERY["registers-historic"] = (50, 20)


def list_table(table: Table, myst: bool) -> str:
    header, rows, title = table.header, table.rows, table.title
    indent = "" if myst else "   "
    opening = f"```{{list-table}} {title}" if myst else f".. list-table:: {title}"
    lines = [opening.rstrip(), f"{indent}:header-rows: 1", ""]
    for row in (header, *rows):
        lines += [f"{indent}{'*' if k == 0 else ' '} - {cell}" for k, cell in enumerate(row)]
    return "\n".join(lines + (["```"] if myst else [])) + "\n"


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def grid_table(table: Table) -> str:
    rows = (table.header, *table.rows)
    widths = [max(map(len, column)) for column in zip(*rows)]
    border = {c: "+" + "+".join(c * (w + 2) for w in widths) + "+" for c in "-="}
    lines = ["|" + "|".join(f" {c.ljust(w)} " for c, w in zip(r, widths)) + "|" for r in rows]
    return _text([border["-"], lines[0], border["="], *(f"{x}\n{border['-']}" for x in lines[1:])])


def csv_table(table: Table) -> str:
    quote = lambda r: ", ".join(f'"{c}"' for c in r)  # noqa: E731
    header = f"   :header: {quote(table.header)}"
    return _text([".. csv-table::", header, "", *(f"   {quote(r)}" for r in table.rows)])


def pipe_table(table: Table) -> str:
    row = lambda cells: "| " + " | ".join(c.replace("``", "`") for c in cells) + " |"  # noqa: E731
    rule = "|" + "|".join("---" for _ in table.header) + "|"
    return _text([row(table.header), rule, *map(row, table.rows)])


def render_table(kind: str, i: int, myst: bool) -> str:
    table = TABLES[kind]
    if myst:
        return pipe_table(table) if kind == "transfer" else list_table(table, True)
    if kind == "registers" and i % 20 == 13:
        return grid_table(table)
    if kind == "transfer" and i % 20 == 7:
        return csv_table(table)
    return list_table(table, False)


def render_page(i: int, title: str, neighbour: str, kinds: list[str], myst: bool) -> str:
    def heading(text: str, underline: str) -> str:
        if myst:
            return f"{'#' if underline == '=' else '##'} {text}\n"
        return f"{text}\n{underline * len(text)}\n"

    ref = f"{{doc}}`{neighbour}`" if myst else f":doc:`{neighbour}`"
    parts = [heading(title, "="), prose(i), "", heading("Overview", "-"), prose(i + 1, 4), ""]
    parts += [
        f"See also {ref}.",
        "",
        "* the guest kernel sets up its side;\n* then the backend.",
        "",
    ]
    if kinds:
        parts += [heading("Interface", "-")] + [render_table(k, i, myst) + "\n" for k in kinds]
    parts += [heading("Configuration", "-"), prose(i + 2, 2), ""]
    if i % 5 in (1, 3):
        parts += [pipe_table(UNRELATED) if myst else list_table(UNRELATED, False)]
    code = f"# xl create /etc/xen/guest-{i}.cfg"
    parts += [f"```console\n{code}\n```\n" if myst else f".. code-block:: console\n\n   {code}\n"]
    note = prose(i + 3, 2)
    rst_note = ".. note::\n\n" + textwrap.indent(note, "   ") + "\n"
    parts += [f"```{{note}}\n{note}\n```\n" if myst else rst_note]
    return "\n".join(parts)


def generate_tree(srcdir: Path, count: int) -> Counter[str]:
    """Write the tree; the registry kinds it holds, with their counts."""
    pages = plan(count)
    root = ["The Xen documentation (benchmark)", "=" * 33, ""]
    for guide in GUIDES:
        members = [p for p in pages if p[0].startswith(guide + "/")]
        root += [f".. toctree::\n   :maxdepth: 2\n\n   {guide}/index\n"]
        (srcdir / guide).mkdir(parents=True, exist_ok=True)
        toc = "\n".join(f"   {name.split('/', 1)[1]}" for name, _, _ in members)
        index = f"{guide}\n{'=' * len(guide)}\n\n.. toctree::\n\n{toc}\n"
        (srcdir / guide / "index.rst").write_text(index, encoding="utf-8")
        for k, (name, suffix, kinds) in enumerate(members):
            i = int(name.rsplit("-", 1)[1])
            neighbour = members[(k + 1) % len(members)][0].split("/", 1)[1]
            text = render_page(i, f"Topic {i}", neighbour, kinds, suffix == ".md")
            (srcdir / (name + (suffix or ".rst"))).write_text(text, encoding="utf-8")
    (srcdir / "index.rst").write_text("\n".join(root), encoding="utf-8")
    return Counter(k.removesuffix("-historic") for _, _, kinds in pages for k in kinds)


def write_conf(confdir: Path, with_extension: bool, theme: str, execute: bool) -> None:
    extensions = ["myst_parser", "sphinx.ext.doctest"] + ["sphinx_xenabi"] * with_extension
    confdir.mkdir(parents=True, exist_ok=True)
    text = f'project = "Xen"\nversion = release = "{RELEASE}"\nextensions = {extensions!r}\n'
    text += 'source_suffix = {".rst": "restructuredtext", ".md": "markdown"}\n'
    text += f'html_theme = "{theme}"\n' + ("xenabi_execute_tables = False\n" if not execute else "")
    (confdir / "conf.py").write_text(text, encoding="utf-8")


class BenchmarkError(RuntimeError):
    """A build that failed, warned, or did not record what the tree holds."""


def build(
    srcdir: Path, confdir: Path, workdir: Path, label: str, args: argparse.Namespace
) -> tuple[float, float, Path]:
    """One full build in a fresh process: (wall seconds, CPU seconds, output dir)."""
    outdir, doctrees = workdir / f"out-{label}", workdir / f"doctrees-{label}"
    for stale in (outdir, doctrees):
        shutil.rmtree(stale, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-q", "-E", "-b", args.builder, "-c", str(confdir)]
    command += ["-d", str(doctrees), "-j", args.jobs, str(srcdir), str(outdir)]
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both configurations load compiled bytecode
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if result.returncode != 0 or (result.stderr.strip() and not args.allow_warnings):
        output = (result.stderr or result.stdout)[-3000:]
        raise BenchmarkError(
            f"build {label} failed or warned (exit {result.returncode}):\n{output}"
        )
    shutil.rmtree(doctrees, ignore_errors=True)
    return elapsed, cpu, outdir


def verify(outdir: Path, tables: Counter[str] | None, documents: int) -> None:
    """Abort unless a build with the extension recorded every generated table (and one without wrote none)."""
    path = outdir / "xenabi-registry.json"
    if tables is None:
        if path.exists():
            raise BenchmarkError(f"the build without the extension wrote {path}: wrong set-up")
        return
    if not path.is_file():
        raise BenchmarkError(f"no {path}: the extension did not run, so its cost was not measured")
    data = json.loads(path.read_text(encoding="utf-8"))
    found = Counter(t["kind"] for t in data["tables"])
    placed = sum(len(g["pages"]) for g in data["guides"])
    if found != tables or placed != documents or any(not t["rows"] for t in data["tables"]):
        raise BenchmarkError(
            f"{path}: tables {dict(found)} in {placed} documents; the tree has {dict(tables)} in {documents}"
        )


def bootstrap_interval(
    with_times: list[float], without_times: list[float], resamples: int = 2000
) -> tuple[float, float]:
    """A seeded 95% percentile-bootstrap interval for median(with) / median(without), rounds resampled as pairs."""
    rng, pairs = random.Random(0), list(zip(with_times, without_times))
    ratios = sorted(
        statistics.median(w for w, _ in s) / statistics.median(wo for _, wo in s)
        for s in ([pairs[rng.randrange(len(pairs))] for _ in pairs] for _ in range(resamples))
    )
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def fresh_tree(srcdir: Path, pages: int) -> Counter[str]:
    shutil.rmtree(srcdir, ignore_errors=True)
    srcdir.mkdir()
    return generate_tree(srcdir, pages)


def run(args: argparse.Namespace, workdir: Path) -> int:
    confs = {w: workdir / ("conf-with" if w else "conf-without") for w in (True, False)}
    for with_extension, confdir in confs.items():
        write_conf(confdir, with_extension, args.theme, not args.no_execute)

    def one(w: bool, srcdir: Path, tables: Counter[str], documents: int, prefix: str = "") -> Times:
        label = prefix + ("with" if w else "without")
        elapsed, cpu, outdir = build(srcdir, confs[w], workdir, label, args)
        verify(outdir, tables if w else None, documents)
        return elapsed, cpu

    prime_tables = fresh_tree(workdir / "prime-src", PRIME_PAGES)  # fills the bytecode cache
    for w in (True, False):  # and checks the set-up
        one(w, workdir / "prime-src", prime_tables, PRIME_PAGES + len(GUIDES), "prime-")
    srcdir = workdir / "src"
    tables, documents = fresh_tree(srcdir, args.pages), args.pages + len(GUIDES)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(tables.items()))
    print(f"tree: {args.pages} pages in {srcdir}; tables: {kinds}")
    print(f"builder {args.builder}, theme {args.theme}, -j {args.jobs}, ", end="")
    print(f"{args.rounds} round(s) after {args.warmup} warm-up pair(s)")
    for _ in range(args.warmup):
        one(True, srcdir, tables, documents), one(False, srcdir, tables, documents)
    rounds: list[dict[bool, Times]] = []
    print(ROW_HEADER)
    for r in range(args.rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        rounds.append({w: one(w, srcdir, tables, documents) for w in order})
        (tw, cw), (to, co) = rounds[-1][True], rounds[-1][False]
        print(ROW.format(r + 1, "AB" if order[0] else "BA", tw, to, tw / to, cw, co, cw / co))
    report(rounds, args)
    return 0


ROW_HEADER = f"{'round':>5}  order  {'with':>9}  {'without':>9}  {'ratio':>6}    {'CPU with':>9}  {'without':>9}  ratio"
ROW = "{:>5}  {:<5}  {:>8.3f}s  {:>8.3f}s  {:>6.3f}    {:>8.3f}s  {:>8.3f}s  {:.3f}"


def report(rounds: list[dict[bool, Times]], args: argparse.Namespace) -> None:
    """The medians, their ratio with its interval, the fastest-build and CPU ratios."""
    wall = {w: [r[w][0] for r in rounds] for w in (True, False)}
    cpu = {w: statistics.median(r[w][1] for r in rounds) for w in (True, False)}
    with_, without = statistics.median(wall[True]), statistics.median(wall[False])
    ratio, fastest = with_ / without, min(wall[True]) / min(wall[False])
    per_round = statistics.median(w / wo for w, wo in zip(wall[True], wall[False]))
    builds = args.rounds + args.warmup
    lines = [
        f"registry check: passed after each of {builds} build(s) with the extension",
        f"median with / without extension: {with_:.3f}s / {without:.3f}s",
        f"median ratio (with/without): {ratio:.3f}  (median of per-round ratios: {per_round:.3f})",
    ]
    if args.rounds >= 5:
        low, high = bootstrap_interval(wall[True], wall[False])
        lines += [f"95% interval of the median ratio: {low:.3f} to {high:.3f}"]
        lines[-1] += " (narrows with more --rounds)"
    lines += [f"fastest-build ratio: {fastest:.3f}; CPU-time ratio: {cpu[True] / cpu[False]:.3f}"]
    print("\n".join([*lines, f"goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}"]))


OPTIONS = (
    ("--pages", int, 200, "pages to generate"),
    ("--rounds", int, 5, "timed AB/BA rounds"),
    ("--jobs", str, "1", "sphinx-build -j"),
    ("--builder", str, "html", "html, dirhtml, dummy ..."),
    ("--theme", str, "sphinx_rtd_theme", "html_theme"),
    ("--warmup", int, 1, "untimed build pairs first"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, kind, default, meaning in OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=f"{meaning} (default {default})")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--no-execute", action="store_true", help="xenabi_execute_tables = False")
    parser.add_argument("--allow-warnings", action="store_true", help="time builds that warn")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each round as it ends
    if args.pages < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--pages and --rounds must be at least 1, --warmup not negative")
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            return run(args, args.keep.resolve())
        with tempfile.TemporaryDirectory(prefix="xenabi-bench-") as tmp:
            return run(args, Path(tmp))
    except BenchmarkError as exc:
        print(f"bench_extension: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
