"""Time ``sphinx-xenabi history`` on the condensed history of Xen (../shared/xen-history.bundle).

    python benchmarks/bench_history.py [--bundle PATH] [--range RANGE]

Clones the bundle into a temporary directory, walks the range (default: the
whole history) as the command does, and prints the wall and CPU time, how
many commits needed a docs reading and how many a source reading, the time
each kind took, and the windows found. The goal is the whole history in 90 s
on a two-core machine; the CPU time says what the walk cost when the machine
is shared.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from sphinx_xenabi.cli.history_docs import ConfChoice, ConfMode
from sphinx_xenabi.cli.history_walk import WalkOptions, WalkStats, walk

BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "xen-history.bundle"
GOAL_SECONDS = 90.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=BUNDLE)
    parser.add_argument("--range", default="HEAD")
    args = parser.parse_args()
    if not args.bundle.is_file():
        parser.error(f"no bundle at {args.bundle}")
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        clone = Path(scratch) / "xen-history"
        subprocess.run(["git", "clone", "-q", str(args.bundle), str(clone)], check=True)
        options = WalkOptions(clone, "docs", args.range, ConfChoice(ConfMode.BUILTIN), "all")
        stats = WalkStats()
        wall, cpu = time.perf_counter(), time.process_time()
        report = walk(options, stats=stats)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"history of {args.bundle.name} ({args.range}): {report.commits} commits")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s (goal: {GOAL_SECONDS:.0f} s)")
    print(
        f"  docs readings:   {report.docs_reads:4} commits, {stats.docs_seconds:.1f} s\n"
        f"  source readings: {report.source_reads:4} commits, {stats.source_seconds:.1f} s"
    )
    for window in report.windows:
        closed = window.closed.short if window.closed is not None else "still open"
        print(
            f"  window {window.architecture}: {window.opened.short} to {closed}, "
            f"{window.days} days, {window.commits} commits"
        )
    return 0 if wall <= GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
