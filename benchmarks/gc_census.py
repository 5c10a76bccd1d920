"""Run a module as ``python -m`` would, counting the cyclic garbage collector's work.

    python benchmarks/gc_census.py OUT MODULE [ARGS...]

runs ``MODULE`` (``sphinx``, ``sphinx_xenabi``) with ``ARGS`` and, as the
process ends (after its other ``atexit`` handlers), writes to ``OUT`` as JSON
how many collections each generation had and the seconds spent in them.

Why the edit-loop benchmark offers it (``--gc-census``): a full collection
walks every object the build holds, and CPython starts one only once enough
objects have survived the younger generations. A build a few thousand
objects short of that point collects once less than a build just past it,
so a small addition (an extension's modules and index entries) can cost a
whole full collection, tens of milliseconds on a sub-second rebuild. The
census shows when a ratio is that step rather than the extension's own work.
The collection at interpreter shutdown, after ``atexit``, is not counted.
"""

from __future__ import annotations

import atexit
import gc
import runpy
import sys
import time
from typing import Any

GENERATIONS = 3


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: gc_census.py OUT MODULE [ARGS...]")
    out, module, *args = argv
    collections = [0] * GENERATIONS
    seconds = [0.0] * GENERATIONS
    started = [0.0]

    def census(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            generation = info["generation"]
            collections[generation] += 1
            seconds[generation] += time.perf_counter() - started[0]

    def write() -> None:
        # json is imported only now: loaded up front, its objects would move
        # the very collection thresholds this counts (python -m loads runpy too).
        import json

        with open(out, "w", encoding="utf-8") as handle:
            json.dump({"collections": collections, "seconds": seconds}, handle)

    gc.callbacks.append(census)
    atexit.register(write)  # registered first, so it runs after the module's own handlers
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
