"""The writer's loop with and without ``sphinx_xenabi``: fresh, no-op and one-page-edit builds.

For each tree (the real Xen trees of ``../shared/xen-src``, docs with their
source beside them, and generated trees of 200 and 2,000 pages), each round
runs every step below with and without the extension back to back,
alternating which goes first from round to round:

* fresh: an empty output and doctree directory;
* no-op: the same command again, nothing changed;
* edit: one page without tables changed (a comment appended), built again;
* check (real trees): ``sphinx-xenabi check DOCS`` against plain ``-b dummy``;
* fresh, shared cache: a fresh build whose fact cache is kept in a
  directory build directories share (``-D xenabi_fact_cache=DIR``, as a CI
  cache or ``~/.cache`` would be), against the same plain fresh build;
* check, shared cache (real trees): ``check --cache-dir DIR`` against ``-b dummy``.

The shared cache is filled by the untimed first round, as a CI cache is
by an earlier pipeline: those two rows measure a warm shared cache, the
first four a build directory's own cache only.

The cheap steps (no-op and edit, under a second on most trees) are
measured ``--repeats`` times per round (default 4), the pairs' order
alternating within the round as well. On this kind of shared machine the
first build of a pair is often several percent slower than the second;
with an even number of pairs per round each order counts equally in the
median however many rounds are run, and the sub-second steps, the noisiest,
get the most samples. The fresh builds and checks run one pair per round.

Each build runs in its own process with compiled bytecode (a private
``PYTHONPYCACHEPREFIX``, filled by an untimed first round); its wall time
and peak memory (``wait4``'s ``ru_maxrss``) are recorded. The output is a
table per tree: medians with and without; the median of the per-pair
ratios, with a 95 % interval for it (two of the sorted ratios, chosen so
that the true median lies between them with at least that confidence
whatever shape the noise has, the pairs being independent:
:func:`median_interval`) and its spread (the lowest and
highest ratio); the ratio of the fastest builds (the fastest with over the
fastest without: the least disturbed figure on a shared machine, where a
pair's ratio can swing by a third); the peak-memory difference; and whether
the issue's goals are met (real trees: every median ratio at most 1.05 and
at most 10 MiB more memory; generated trees: at most 1.03). A goal missed
with its whole interval above it is missed beyond the machine's noise; one
whose interval straddles it needs more ``--rounds`` to tell.

``--gc-census`` runs each build through ``gc_census.py`` and prints under
each step its full garbage collections and its time in the collector,
without and with, for the very runs whose ratios the step's line gives.
CPython starts a full collection, which walks every object the build
holds, only once enough objects have outlived the younger generations, so
the count is a step function of what a build allocates: a plain build just
short of that point and the same build with the extension just past it
differ by a whole full collection (55 ms, in a 200-page no-op rebuild timed
with a plain launcher). Where the point falls moves with anything the
process loads, the census's own launcher included, so the census tells
whether the pairs it timed differ by one, not whether uncounted runs do.

The extension is added to a real tree's own ``conf.py`` as a user would, by
``-D extensions=sphinx_xenabi`` (Xen's ``conf.py`` lists none).

Each pair's figures are also printed to stderr as soon as they are taken,
so a long run (the 2,000-page tree's fresh builds take minutes each) that
is stopped early still leaves its measurements; ``--steps`` limits a run to
some steps (the untimed first round runs only those too).

    python benchmarks/bench_edit_loop.py --rounds 12
    python benchmarks/bench_edit_loop.py --trees head --generated 200 --rounds 6
    python benchmarks/bench_edit_loop.py --trees '' --generated 200 --steps no-op --gc-census
    python benchmarks/bench_edit_loop.py --trees '' --generated 2000 --steps fresh,no-op,edit \
        --untimed 0 --keep DIR   # DIR warmed by a small run with the same --keep
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_TREES = REPO_ROOT.parent / "shared" / "xen-src"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extension import generate_tree, write_conf  # noqa: E402

REAL_GOAL, GENERATED_GOAL, MEMORY_GOAL_MIB = 1.05, 1.03, 10.0
# How sure the interval printed beside each median ratio is to hold the true one.
CONFIDENCE = 0.95
# A page of each real tree's docs without ABI tables, edited by the "edit" step.
REAL_EDITED_PAGE = "glossary.rst"
GENERATED_EDITED_PAGE = "admin-guide/index.rst"
# The rows measured with a fact cache shared by build directories.
SHARED_FRESH, SHARED_CHECK = "fresh-shared", "check-shared"
STEPS = ("fresh", "no-op", "edit", "check", SHARED_FRESH, SHARED_CHECK)
# Steps cheap enough to measure several times per round (--repeats).
REPEATED_STEPS = ("no-op", "edit")


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    # With --gc-census: the build's full (oldest-generation) collections and
    # its seconds in the collector, all generations (gc_census.py).
    full_collections: int | None = None
    collector_seconds: float | None = None


class BenchmarkError(RuntimeError):
    """A build that failed: its figures would measure nothing."""


CENSUS = Path(__file__).resolve().parent / "gc_census.py"


def counted(command: list[str], census: Path) -> list[str]:
    """``command`` (``python -m MODULE ...``) run by gc_census.py, which writes to ``census``."""
    if command[1:2] != ["-m"]:
        raise BenchmarkError(f"--gc-census runs python -m commands only, not {' '.join(command)}")
    return [command[0], str(CENSUS), str(census), *command[2:]]


def timed(command: list[str], cwd: Path, env: dict[str, str], census: bool = False) -> Run:
    """Run ``command``, returning its wall time and peak resident memory; fail on a non-zero exit.

    With ``census``, also the collector's work (``gc_census.py``) of a sphinx-build
    run: ``sphinx-xenabi check`` ends its process without exit handlers
    (``cli.exit_now``), so its runs, and the check steps, are not counted.
    """
    found = cwd / "gc-census.json"
    census = census and command[1:3] == ["-m", "sphinx"]
    if census:
        found.unlink(missing_ok=True)
        command = counted(command, found)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        text = (err or out).decode("utf-8", "replace")[-3000:]
        raise BenchmarkError(f"{' '.join(command)} exited {process.returncode}:\n{text}")
    peak_mib = usage.ru_maxrss / 1024  # Linux: KiB
    if not census:
        return Run(elapsed, peak_mib)
    try:
        work = json.loads(found.read_text(encoding="utf-8"))
        return Run(elapsed, peak_mib, work["collections"][-1], sum(work["seconds"]))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise BenchmarkError(f"{' '.join(command)} left no readable census: {exc}") from exc


@dataclass
class Tree:
    """A tree to build, how to build it with or without the extension, and its edit."""

    name: str
    srcdir: Path
    goal: float
    # (with, outdir, doctrees, shared cache or None) -> command
    build: Callable[[bool, Path, Path, Path | None], list[str]]
    edited: Path
    check: Callable[[bool, Path | None], list[str]] | None = None
    runs: dict[tuple[str, bool], list[Run]] = field(default_factory=dict)

    def record(self, step: str, with_extension: bool, run: Run) -> None:
        self.runs.setdefault((step, with_extension), []).append(run)


def environment(workdir: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both configurations load compiled bytecode
    return env


def real_tree(name: str, workdir: Path) -> Tree:
    source = SHARED_TREES / name
    tree = workdir / f"xen-{name}"
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(source, tree)
    docs = tree / "docs"

    def build(with_extension: bool, outdir: Path, doctrees: Path, shared: Path | None) -> list[str]:
        command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d", str(doctrees)]
        command += ["-D", "extensions=sphinx_xenabi"] if with_extension else []
        command += ["-D", f"xenabi_fact_cache={shared}"] if with_extension and shared else []
        return [*command, str(docs), str(outdir)]

    def check(with_extension: bool, shared: Path | None) -> list[str]:
        if with_extension:
            cached = ["--cache-dir", str(shared)] if shared else []
            return [sys.executable, "-m", "sphinx_xenabi", "check", "-q", *cached, str(docs)]
        scratch = workdir / "dummy"
        shutil.rmtree(scratch, ignore_errors=True)
        return [sys.executable, "-m", "sphinx", "-q", "-b", "dummy", str(docs), str(scratch)]

    return Tree(f"Xen {name} (real)", docs, REAL_GOAL, build, docs / REAL_EDITED_PAGE, check)


def generated_tree(pages: int, workdir: Path) -> Tree:
    srcdir = workdir / f"generated-{pages}"
    shutil.rmtree(srcdir, ignore_errors=True)
    srcdir.mkdir(parents=True)
    generate_tree(srcdir, pages)
    confs = {w: workdir / f"conf-{'with' if w else 'without'}" for w in (True, False)}
    for with_extension, confdir in confs.items():
        write_conf(confdir, with_extension, "sphinx_rtd_theme", execute=True)

    def build(with_extension: bool, outdir: Path, doctrees: Path, shared: Path | None) -> list[str]:
        command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d", str(doctrees)]
        command += ["-D", f"xenabi_fact_cache={shared}"] if with_extension and shared else []
        return [*command, "-c", str(confs[with_extension]), str(srcdir), str(outdir)]

    edited = srcdir / GENERATED_EDITED_PAGE
    return Tree(f"generated, {pages} pages", srcdir, GENERATED_GOAL, build, edited)


def one_round(
    tree: Tree,
    order: tuple[bool, bool],
    workdir: Path,
    env: dict[str, str],
    n: int,
    steps: tuple[str, ...] = STEPS,
    repeats: int = 1,
    census: bool = False,
) -> None:
    """Every step with and without the extension, the two back to back: once,
    or ``repeats`` times for the cheap steps, the order alternating pair by pair.

    Pairing each step's two runs seconds apart, not a whole round apart,
    keeps a shared machine's drifting speed out of their ratio.
    """
    dirs = {w: (workdir / f"out-{_label(w)}", workdir / f"doctrees-{_label(w)}") for w in order}
    shared = workdir / f"shared-cache-{tree.srcdir.name}"

    def each(step: str, run: Callable[[bool], Run]) -> None:
        if step not in steps:
            return
        for pair in range(repeats if step in REPEATED_STEPS else 1):
            taken = {w: run(w) for w in (order if pair % 2 == 0 else order[::-1])}
            for with_extension, measured in taken.items():
                tree.record(step, with_extension, measured)
            print(
                f"  [{tree.name}, round {n or 'untimed'}] {step}: without "
                f"{taken[False].seconds:.3f}s, with {taken[True].seconds:.3f}s, "
                f"ratio {taken[True].seconds / taken[False].seconds:.3f}",
                file=sys.stderr,
                flush=True,
            )

    def fresh(with_extension: bool, cache: Path | None) -> Run:
        for stale in dirs[with_extension]:
            shutil.rmtree(stale, ignore_errors=True)
        return timed(tree.build(with_extension, *dirs[with_extension], cache), workdir, env, census)

    def again(with_extension: bool) -> Run:
        return timed(tree.build(with_extension, *dirs[with_extension], None), workdir, env, census)

    def edited(with_extension: bool) -> Run:
        # Each build finds one page changed since its own last build.
        with tree.edited.open("a", encoding="utf-8") as handle:
            handle.write(f"\n.. edited in round {n} ({_label(with_extension)})\n")
        return again(with_extension)

    each("fresh", lambda w: fresh(w, None))
    if "fresh" not in steps and "no-op" in steps:
        # Both configurations share the edited page: without a fresh build
        # first, each must see the other's last edit before a no-op is one.
        for with_extension in order:
            again(with_extension)
    each("no-op", again)
    each("edit", edited)
    check = tree.check
    if check is not None:
        each("check", lambda w: timed(check(w, None), workdir, env, census))
    # The same fresh build and check with the shared cache (warm after round 0).
    each(SHARED_FRESH, lambda w: fresh(w, shared))
    if check is not None:
        each(SHARED_CHECK, lambda w: timed(check(w, shared), workdir, env, census))


def median_interval(
    ratios: list[float], confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """An interval that holds the true median of the per-pair ratios with at least
    ``confidence``: two order statistics of the sample, assuming only that the
    pairs are independent draws of one distribution, of whatever shape.

    Each pair's ratio falls below the true median with probability one half,
    so the count below it is binomial(n, 1/2), and ``[r(k), r(n+1-k)]`` of
    the sorted ratios misses the median with probability ``2 P(B < k)``. The
    narrowest such interval is the one with the largest ``k`` that keeps
    that at most ``1 - confidence``; None when even the lowest and highest
    ratio do not (fewer than six pairs at 95 %).
    """
    # Hand-written: the statistics module has no interval for a median, and
    # the binomial sum is a few lines of math.comb, not a reason for SciPy.
    n = len(ratios)

    def misses(k: int) -> float:
        return 2 * sum(math.comb(n, i) for i in range(k)) / 2**n

    k = 0
    while k < n // 2 and misses(k + 1) <= 1 - confidence:
        k += 1
    if k == 0:
        return None
    ordered = sorted(ratios)
    return ordered[k - 1], ordered[n - k]


def _label(with_extension: bool) -> str:
    return "with" if with_extension else "without"


def report(tree: Tree, rounds: int) -> bool:
    print(f"\n{tree.name}: {rounds} round(s)")
    print(
        f"  {'build':<14} {'pairs':>5} {'without':>9} {'with':>9} {'ratio':>6}  {f'{CONFIDENCE:.0%} interval':<13}"
        f" {'spread':<13} {'fastest':>7}  {'peak MiB':>17}"
    )
    met = True
    for step in STEPS:
        if (step, True) not in tree.runs:
            continue
        with_runs, without_runs = tree.runs[(step, True)], tree.runs[(step, False)]
        ratios = [w.seconds / wo.seconds for w, wo in zip(with_runs, without_runs)]
        ratio = statistics.median(ratios)
        with_s = statistics.median(r.seconds for r in with_runs)
        without_s = statistics.median(r.seconds for r in without_runs)
        with_mem = statistics.median(r.peak_mib for r in with_runs)
        without_mem = statistics.median(r.peak_mib for r in without_runs)
        ok = ratio <= tree.goal and (
            tree.goal == GENERATED_GOAL or with_mem - without_mem <= MEMORY_GOAL_MIB
        )
        # The shared-cache rows are extra figures: the goals are the four above.
        extra = step in (SHARED_FRESH, SHARED_CHECK)
        met &= ok or extra
        verdict = ("within goal" if ok else "over goal") if extra else ("met" if ok else "NOT met")
        fastest = min(r.seconds for r in with_runs) / min(r.seconds for r in without_runs)
        interval = median_interval(ratios)
        held = "too few pairs" if interval is None else f"{interval[0]:.3f}-{interval[1]:.3f}"
        print(
            f"  {step:<14} {len(ratios):>5} {without_s:>8.3f}s {with_s:>8.3f}s {ratio:>6.3f}  "
            f"{held:<13} {min(ratios):.3f}-{max(ratios):.3f}   {fastest:>6.3f}"
            f"  {without_mem:>6.1f} -> {with_mem:>6.1f}  {verdict}"
        )
        census = collector_work(without_runs, with_runs)
        if census:
            print(f"  {'':<14} {census}")
    print(
        f"  goal: ratio <= {tree.goal}"
        + ("" if tree.goal == GENERATED_GOAL else f", memory <= +{MEMORY_GOAL_MIB:g} MiB")
        + f"; the interval holds the true median ratio with {CONFIDENCE:.0%} confidence"
    )
    return met


def collector_work(without_runs: list[Run], with_runs: list[Run]) -> str | None:
    """The census line under a step (``--gc-census``): full collections and collector
    time, medians without and with, and the median per-pair difference in time."""
    runs = [*without_runs, *with_runs]
    if any(r.full_collections is None or r.collector_seconds is None for r in runs):
        return None

    def median(values: list[float | int | None]) -> float:
        return statistics.median(float(v or 0) for v in values)

    full = [median([r.full_collections for r in side]) for side in (without_runs, with_runs)]
    spent = [median([r.collector_seconds for r in side]) for side in (without_runs, with_runs)]
    added = median(
        [
            (w.collector_seconds or 0) - (wo.collector_seconds or 0)
            for w, wo in zip(with_runs, without_runs)
        ]
    )
    return (
        f"gc: full collections {full[0]:g} -> {full[1]:g}, in the collector "
        f"{spent[0]:.3f}s -> {spent[1]:.3f}s (per pair {added * 1000:+.0f} ms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--trees", default="head,4.18.0", help="real trees of ../shared/xen-src ('' for none)"
    )
    parser.add_argument(
        "--generated", default="200,2000", help="generated tree sizes ('' for none)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=8,
        help="timed rounds per tree (default 8: an even number gives the fresh builds and "
        "checks, one pair per round, both orders equally)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=4,
        metavar="N",
        help=f"pairs per round of the cheap steps ({', '.join(REPEATED_STEPS)}; default 4; "
        "an even number keeps both orders equally represented)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"the steps to run, comma-separated (default: all of {', '.join(STEPS)})",
    )
    parser.add_argument(
        "--untimed",
        type=int,
        default=1,
        metavar="N",
        help="untimed rounds first, per tree (default 1: bytecode, disk cache, shared cache); "
        "0 for a tree whose fresh builds take minutes, in a --keep directory already warm",
    )
    parser.add_argument(
        "--gc-census",
        action="store_true",
        help="run each build through benchmarks/gc_census.py and print, under each step, its "
        "full garbage collections and time in the collector, without and with (a ratio that "
        "moves by a whole full collection is a threshold crossed, not the extension's work)",
    )
    args = parser.parse_args(argv)
    steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    unknown = sorted(set(steps) - set(STEPS))
    if unknown or not steps:
        parser.error(f"--steps: expected some of {', '.join(STEPS)}, found {args.steps!r}")
    if args.repeats < 1:
        parser.error(f"--repeats: expected at least 1, found {args.repeats}")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="xenabi-edit-loop-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = environment(workdir)
    trees: list[Tree] = []
    for name in filter(None, args.trees.split(",")):
        if not (SHARED_TREES / name / "docs" / "conf.py").is_file():
            print(f"skipping the real tree {name}: {SHARED_TREES / name} is absent")
            continue
        trees.append(real_tree(name, workdir))
    trees += [generated_tree(int(n), workdir) for n in filter(None, args.generated.split(","))]
    all_met = True
    try:
        for tree in trees:
            for _ in range(args.untimed):
                # bytecode, disk cache
                one_round(tree, (True, False), workdir, env, 0, steps, census=args.gc_census)
            tree.runs.clear()
            for n in range(1, args.rounds + 1):
                order = (True, False) if n % 2 else (False, True)
                one_round(tree, order, workdir, env, n, steps, args.repeats, args.gc_census)
            all_met &= report(tree, args.rounds)
    except BenchmarkError as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nall goals {'met' if all_met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
