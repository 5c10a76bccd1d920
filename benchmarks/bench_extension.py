"""How much does ``sphinx_xenabi`` add to a full Sphinx build?

Generates a tree of N pages (default 200) shaped like the Xen guides: a root
whose toctrees list four guides, reST and MyST pages with prose, lists, code,
admonitions and unrelated tables, and the three table kinds the extension
reads, written from the model's own facts for Xen 4.22 (so the gate passes)
in list, grid, csv and pipe syntax. Builds it from scratch (``-E``, each
build in its own process) with and without the extension, alternating the
order (AB, BA, ...) so slow drift of the machine cancels out, checks after
every build with the extension that ``xenabi-registry.json`` holds exactly the
generated tables and pages, and prints each round, the medians, their ratio
with a bootstrap 95% interval, the fastest-build and CPU-time ratios. Goal:
a ratio of at most 1.03. A small tree is built first, untimed, to check the
set-up and fill a private bytecode cache (``PYTHONPYCACHEPREFIX``).

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
from sphinx_xenabi.model.spec import GuestType, Release  # noqa: E402

RELEASE = Release(4, 22)
GOAL = 1.03
PRIME_PAGES = 13  # enough for one table of each kind
GUIDES = ("admin-guide", "guest-guide", "hypervisor-guide", "tooling")
Table = tuple[tuple[str, ...], tuple[tuple[str, ...], ...], str]  # header, rows, title


def _registers(release: Release, title: str = "") -> Table:
    conventions = abi.revision_for(release).conventions
    count = len(conventions["64bit"].parameters)
    rows = tuple((c.abi, c.index, " ".join(c.parameters), c.result) for c in conventions.values())
    return ("ABI", "Hypercall Index", f"Parameters (1 - {count})", "Result"), rows, title


def _numbers() -> Table:
    guests = (GuestType.PV32, GuestType.PV64, GuestType.HVM32, GuestType.HVM64)
    rows = tuple(
        (str(n), h.name, *("yes" if g in h.available else "no" for g in guests))
        for n, h in sorted(abi.hypercalls_for(RELEASE).items())
    )
    return ("Index", "Name", *(g.label for g in guests)), rows, ""


TABLES: dict[str, Table] = {
    "registers": _registers(RELEASE),
    "registers-historic": _registers(Release(4, 16), "Registers in Xen 4.13 to 4.16"),
    "transfer": (("Guest", "Transfer instruction"), tuple(abi.TRANSFERS.items()), ""),
    "numbers": _numbers(),
}
UNRELATED: Table = (
    ("Name", "Value", "Typical meaning"),
    tuple((f"``{e.name}``", str(e.value), "An error a hypercall may return") for e in abi.Errno),
    "",
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
        kinds = [k for k, (step, at) in _EVERY.items() if i % step == at]
        pages.append(
            (f"{GUIDES[i * len(GUIDES) // count]}/page-{i:05d}", ".md" * (i % 3 == 2), kinds)
        )
    return pages


_EVERY = {
    "registers": (10, 3),
    "transfer": (10, 7),
    "numbers": (25, 12),
    "registers-historic": (50, 20),
}


def list_table(table: Table, myst: bool) -> str:
    header, rows, title = table
    indent = "" if myst else "   "
    opening = f"```{{list-table}} {title}" if myst else f".. list-table:: {title}"
    lines = [opening.rstrip(), f"{indent}:header-rows: 1", ""]
    for row in (header, *rows):
        lines += [f"{indent}{'*' if k == 0 else ' '} - {cell}" for k, cell in enumerate(row)]
    return "\n".join(lines + (["```"] if myst else [])) + "\n"


def grid_table(table: Table) -> str:
    header, rows, _ = table
    widths = [max(len(r[k]) for r in (header, *rows)) for k in range(len(header))]
    border = lambda c: "+" + "+".join(c * (w + 2) for w in widths) + "+"  # noqa: E731
    line = lambda r: "|" + "|".join(f" {c.ljust(w)} " for c, w in zip(r, widths)) + "|"  # noqa: E731
    return (
        "\n".join(
            [border("-"), line(header), border("=")] + [f"{line(r)}\n{border('-')}" for r in rows]
        )
        + "\n"
    )


def csv_table(table: Table) -> str:
    header, rows, _ = table
    quote = lambda r: ", ".join(f'"{c}"' for c in r)  # noqa: E731
    return (
        "\n".join(
            [".. csv-table::", f"   :header: {quote(header)}", ""]
            + [f"   {quote(r)}" for r in rows]
        )
        + "\n"
    )


def pipe_table(table: Table) -> str:
    header, rows, _ = table
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return (
        "\n".join(lines + ["| " + " | ".join(c.replace("``", "`") for c in r) + " |" for r in rows])
        + "\n"
    )


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
    heading = (
        (lambda t, c: f"{'#' if c == '=' else '##'} {t}\n")
        if myst
        else (lambda t, c: f"{t}\n{c * len(t)}\n")
    )
    ref = f"{{doc}}`{neighbour}`" if myst else f":doc:`{neighbour}`"
    parts = [heading(title, "="), prose(i), "", heading("Overview", "-"), prose(i + 1, 4), ""]
    parts += [
        f"See also {ref}.",
        "",
        "* the guest kernel sets up its side;",
        "* then the backend.",
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
    parts += [
        f"```{{note}}\n{note}\n```\n"
        if myst
        else ".. note::\n\n" + textwrap.indent(note, "   ") + "\n"
    ]
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
        (srcdir / guide / "index.rst").write_text(
            f"{guide}\n{'=' * len(guide)}\n\n.. toctree::\n\n{toc}\n"
        )
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
    pass


def build(
    srcdir: Path, confdir: Path, workdir: Path, label: str, args: argparse.Namespace
) -> tuple[float, float, Path]:
    """One full build in a fresh process: (wall seconds, CPU seconds, output dir)."""
    outdir, doctrees = workdir / f"out-{label}", workdir / f"doctrees-{label}"
    for stale in (outdir, doctrees):
        shutil.rmtree(stale, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-q", "-E", "-b", args.builder, "-c", str(confdir)]
    command += ["-d", str(doctrees), "-j", args.jobs, str(srcdir), str(outdir)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both configurations load compiled bytecode
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    cpu_before = _child_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - start, _child_cpu() - cpu_before
    if result.returncode != 0 or (result.stderr.strip() and not args.allow_warnings):
        raise BenchmarkError(
            f"the build {label} failed or warned (exit {result.returncode}):\n{(result.stderr or result.stdout)[-3000:]}"
        )
    shutil.rmtree(doctrees, ignore_errors=True)
    return elapsed, cpu, outdir


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def verify(outdir: Path, tables: Counter[str] | None, documents: int) -> None:
    """Abort unless a build with the extension recorded every generated table (and one without wrote none)."""
    path = outdir / "xenabi-registry.json"
    if tables is None:
        if path.exists():
            raise BenchmarkError(
                f"the build without the extension wrote {path}: wrong configuration"
            )
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


def run(args: argparse.Namespace, workdir: Path) -> int:
    confs = {w: workdir / ("conf-with" if w else "conf-without") for w in (True, False)}
    for with_extension, confdir in confs.items():
        write_conf(confdir, with_extension, args.theme, not args.no_execute)

    def one(
        with_extension: bool, srcdir: Path, tables: Counter[str], documents: int, prefix: str = ""
    ) -> tuple[float, float]:
        label = prefix + ("with" if with_extension else "without")
        elapsed, cpu, outdir = build(srcdir, confs[with_extension], workdir, label, args)
        verify(outdir, tables if with_extension else None, documents)
        return elapsed, cpu

    prime = workdir / "prime-src"  # fills the bytecode cache and checks the set-up
    shutil.rmtree(prime, ignore_errors=True)
    prime.mkdir()
    prime_tables = generate_tree(prime, PRIME_PAGES)
    for with_extension in (True, False):
        one(with_extension, prime, prime_tables, PRIME_PAGES + len(GUIDES), "prime-")
    srcdir = workdir / "src"
    shutil.rmtree(srcdir, ignore_errors=True)
    srcdir.mkdir()
    tables, documents = generate_tree(srcdir, args.pages), args.pages + len(GUIDES)
    print(
        f"tree: {args.pages} pages in {srcdir}; tables: "
        + ", ".join(f"{n} {k}" for k, n in sorted(tables.items()))
    )
    print(
        f"builder {args.builder}, theme {args.theme}, -j {args.jobs}, {args.rounds} round(s) after {args.warmup} warm-up pair(s)"
    )
    for _ in range(args.warmup):
        one(True, srcdir, tables, documents), one(False, srcdir, tables, documents)
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    print(
        f"{'round':>5}  order  {'with':>9}  {'without':>9}  {'ratio':>6}    {'CPU with':>9}  {'without':>9}  ratio"
    )
    for r in range(args.rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        got = {w: one(w, srcdir, tables, documents) for w in order}
        for w, (t, c) in got.items():
            wall[w].append(t)
            cpu[w].append(c)
        (tw, cw), (to, co) = got[True], got[False]
        print(
            f"{r + 1:>5}  {'AB' if order[0] else 'BA':<5}  {tw:>8.3f}s  {to:>8.3f}s  {tw / to:>6.3f}    {cw:>8.3f}s  {co:>8.3f}s  {cw / co:.3f}",
            flush=True,
        )
    ratio = statistics.median(wall[True]) / statistics.median(wall[False])
    print(
        f"registry check: passed after each of {args.rounds + args.warmup} build(s) with the extension"
    )
    print(
        f"median with / without extension: {statistics.median(wall[True]):.3f}s / {statistics.median(wall[False]):.3f}s"
    )
    print(
        f"median ratio (with/without): {ratio:.3f}  (median of per-round ratios: {statistics.median(w / wo for w, wo in zip(wall[True], wall[False])):.3f})"
    )
    if args.rounds >= 5:
        low, high = bootstrap_interval(wall[True], wall[False])
        print(
            f"95% interval of the median ratio: {low:.3f} to {high:.3f} (narrows with more --rounds)"
        )
    print(
        f"fastest-build ratio: {min(wall[True]) / min(wall[False]):.3f}; CPU-time ratio: {statistics.median(cpu[True]) / statistics.median(cpu[False]):.3f}"
    )
    print(f"goal <= {GOAL}: {'met' if ratio <= GOAL else 'not met'}")
    return 0


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
        parser.add_argument(
            flag, type=kind, default=default, help=f"{meaning} (default: {default})"
        )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--no-execute", action="store_true", help="xenabi_execute_tables = False")
    parser.add_argument("--allow-warnings", action="store_true", help="time builds that warn")
    args = parser.parse_args(argv)
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
