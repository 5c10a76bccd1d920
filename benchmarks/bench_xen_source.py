"""Time the Xen source reader on the real trees of ../shared/xen-src.

    python benchmarks/bench_xen_source.py [--rounds 9] [--config all] [TREE ...]

Prints the median, fastest and slowest wall time to read each tree (from
scratch: a new reader per round, so no file is cached between rounds) and
checks the goal of under 0.5 s per tree.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sphinx_xenabi.model.xen_source import read_xen_source

XEN_SRC = Path(__file__).resolve().parents[2] / "shared" / "xen-src"
GOAL_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "trees", nargs="*", type=Path, help="Xen trees (default: ../shared/xen-src/*)"
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--config", default="all", help="all, defconfig or a .config path")
    args = parser.parse_args()
    trees = args.trees or sorted(p for p in XEN_SRC.iterdir() if (p / "xen").is_dir())
    if not trees:
        parser.error(f"no trees given and none under {XEN_SRC}")
    read_xen_source(trees[0], args.config)  # import and first-use costs out of the figures
    worst = 0.0
    print(
        f"{'tree':<14} {'median':>8} {'fastest':>8} {'slowest':>8}  ({args.rounds} rounds, {args.config})"
    )
    for tree in trees:
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            read_xen_source(tree, args.config)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{tree.name:<14} {median:8.3f} {min(times):8.3f} {max(times):8.3f}")
    met = "met" if worst < GOAL_SECONDS else "NOT met"
    print(f"slowest median {worst:.3f} s; goal < {GOAL_SECONDS} s per tree: {met}")
    return 0 if worst < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
