#!/usr/bin/env python3
"""How many emulated hypercall round trips per second does the harness make?

For every guest configuration (PV 64, PV 32, Intel/AMD HVM in 64-bit and
32-bit code) it builds one :class:`~sphinx_xenabi.emulator.GuestHarness` on
the model's spec for Xen 4.22 (no Sphinx build needed) and times
``harness.call(17, (XENVER_version, ...))``: the guest program loads the
parameter registers, calls the page, the transfer instruction traps, the
dispatcher runs, the guest gets the result after ``ret``. Every result is
checked, so the figure measures round trips that worked. For scale it also
times plain ``Dispatcher.dispatch`` calls. The goal is 50,000 round trips/s
per configuration.

Run from anywhere::

    python benchmarks/bench_emulator.py                # 100,000 calls, best of 5
    python benchmarks/bench_emulator.py --calls 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sphinx_xenabi.emulator import GUEST_CONFIGS, GuestHarness, default_arguments  # noqa: E402
from sphinx_xenabi.model import abi  # noqa: E402
from sphinx_xenabi.model.dispatcher import Dispatcher  # noqa: E402
from sphinx_xenabi.model.spec import Release  # noqa: E402

GOAL = 50_000
XEN_VERSION = 17
RELEASE = Release(4, 22)


def _best_rate(run: object, calls: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run(calls)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return calls / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="round trips per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure (best wins)")
    args = parser.parse_args(argv)

    spec = abi.revision_for(RELEASE)
    dispatcher = Dispatcher(spec)
    expected = RELEASE.xen_version
    print(f"Xen {RELEASE} model spec, {args.calls:,} calls per timing, best of {args.repeat}")
    if hasattr(os, "getloadavg"):  # the figures move with whatever else runs
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'guest':<14} {'round trips/s':>14} {'us each':>8}  {'goal':>6}")
    below = []
    for config in GUEST_CONFIGS:
        harness = GuestHarness(dispatcher, config)
        n = len(harness.convention.parameters)
        arguments = (abi.XENVER_version, *default_arguments(config.width, n)[1:])
        call = harness.call

        def run(calls: int) -> None:
            for _ in range(calls):
                if call(XEN_VERSION, arguments).result != expected:
                    raise SystemExit(f"{config.label}: wrong xen_version result")

        run(100)  # translate the guest code before timing
        rate = _best_rate(run, args.calls, args.repeat)
        ok = rate >= GOAL
        if not ok:
            below.append(config.label)
        print(f"{config.label:<14} {rate:>14,.0f} {1e6 / rate:>8.1f}  {'ok' if ok else 'BELOW':>6}")

    registers = {"RAX": XEN_VERSION, "RDI": 0, "RSI": 1, "RDX": 2, "R10": 3, "R8": 4}
    dispatch = dispatcher.dispatch

    def run_dispatch(calls: int) -> None:
        for _ in range(calls):
            dispatch("pv64", registers)

    rate = _best_rate(run_dispatch, args.calls, args.repeat)
    print(f"{'dispatch only':<14} {rate:>14,.0f} {1e6 / rate:>8.1f}  (Dispatcher.dispatch, PV 64)")
    # What the harness hands over at a trap: the whole 64-bit register file.
    full = {reg: n for n, reg in enumerate(sorted(abi.REGISTERS["64bit"]))}
    full.update(registers)

    def run_full(calls: int) -> None:
        for _ in range(calls):
            dispatch("pv64", full)

    rate = _best_rate(run_full, args.calls, args.repeat)
    label = "dispatch full"
    print(f"{label:<14} {rate:>14,.0f} {1e6 / rate:>8.1f}  (16-register file, as at a trap)")
    if below:
        print(f"below {GOAL:,}/s: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
