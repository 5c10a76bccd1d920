#!/usr/bin/env python3
"""How many emulated hypercall round trips per second does the harness make?

For every x86 guest configuration (PV 64, PV 32, Intel/AMD HVM in 64-bit
and 32-bit code) it builds one :class:`~sphinx_xenabi.emulator.GuestHarness`
on the model's spec for Xen 4.22 (no Sphinx build needed) and times
``harness.call(17, (XENVER_version, ...))``: the guest program loads the
parameter registers, calls the page, the transfer instruction traps, the
dispatcher runs, the guest gets the result after ``ret``. Beside them, the
Arm configurations (arm64 on AArch64, arm32 on AArch32 in ARM and Thumb
code) on an :class:`~sphinx_xenabi.emulator.HvcHarness`: the same round
trip through the guest's Linux-style stub (``mov x16, #17; hvc #0xea1;
ret``). Every result is checked, so the figure measures round trips that
worked. For scale it also times plain ``Dispatcher.dispatch`` calls. The
goal is 50,000 round trips/s per configuration.

It measures whether the ctypes fast path (``sphinx_xenabi/emulator/
unicorn_fast.py``, Unicorn's private API) earns its keep: every figure is
taken on it and on the binding's public API (``GuestHarness(fast=False)``),
at benchmark scale (the round trips above) and at site scale: an html
build of the guides executes 8 table rows with 12 harnesses and 36 round
trips (``execute_row_check`` on a new harness per configuration and spec),
so the site-scale run is that: two row checks on each of the six
configurations, harness set-up included.

Run from anywhere::

    python benchmarks/bench_emulator.py                # 100,000 calls, best of 5
    python benchmarks/bench_emulator.py --calls 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sphinx_xenabi.emulator import (  # noqa: E402
    ARM_CONFIGS,
    GUEST_CONFIGS,
    GuestConfig,
    GuestHarness,
    HvcHarness,
    default_arguments,
    execute_row_check,
)
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


def _round_trip_rate(
    dispatcher: Dispatcher, config: GuestConfig, fast: bool, calls: int, repeat: int
) -> float:
    harness: GuestHarness | HvcHarness
    if config in ARM_CONFIGS:
        harness = HvcHarness(dispatcher, config, fast=fast)
    else:
        harness = GuestHarness(dispatcher, config, fast=fast)
    n = len(harness.convention.parameters)
    arguments = (abi.XENVER_version, *default_arguments(harness.width, n)[1:])
    call = harness.call
    expected = RELEASE.xen_version

    def run(calls: int) -> None:
        for _ in range(calls):
            if call(XEN_VERSION, arguments).result != expected:
                raise SystemExit(f"{harness.config.label}: wrong xen_version result")

    run(100)  # translate the guest code before timing
    return _best_rate(run, calls, repeat)


def _site_run(spec: abi.AbiSpec, fast: bool) -> float:
    """CPU seconds for the 12 row checks (36 round trips) of a site build."""
    start = time.process_time()
    for config in GUEST_CONFIGS * 2:
        harness = GuestHarness(Dispatcher(spec), config, fast=fast)
        if not execute_row_check(spec, config, harness=harness).ok:
            raise SystemExit(f"{config.label}: the row check failed")
    return time.process_time() - start


def _site_seconds(spec: abi.AbiSpec, rounds: int) -> tuple[float, float]:
    """Median CPU seconds of the site-scale run, fast path and public API.

    The two alternate, in both orders, so neither gets the warmer caches.
    """
    times: dict[bool, list[float]] = {True: [], False: []}
    for n in range(rounds):
        for fast in (True, False) if n % 2 else (False, True):
            times[fast].append(_site_run(spec, fast))
    return statistics.median(times[True]), statistics.median(times[False])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="round trips per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure (best wins)")
    parser.add_argument("--site-rounds", type=int, default=21, help="site-scale runs per path")
    args = parser.parse_args(argv)

    spec = abi.revision_for(RELEASE)
    dispatcher = Dispatcher(spec)
    print(f"Xen {RELEASE} model spec, {args.calls:,} calls per timing, best of {args.repeat}")
    if hasattr(os, "getloadavg"):  # the figures move with whatever else runs
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{'guest':<14} {'round trips/s':>14} {'us each':>8}  {'goal':>6}"
        f"  {'public API/s':>13} {'us each':>8}  {'fast/public':>11}"
    )
    below = []
    for config in GUEST_CONFIGS + ARM_CONFIGS:  # x86's page, then Arm's HVC
        rate = _round_trip_rate(dispatcher, config, True, args.calls, args.repeat)
        public = _round_trip_rate(dispatcher, config, False, args.calls, args.repeat)
        ok = rate >= GOAL
        if not ok:
            below.append(config.label)
        print(
            f"{config.label:<14} {rate:>14,.0f} {1e6 / rate:>8.1f}  {'ok' if ok else 'BELOW':>6}"
            f"  {public:>13,.0f} {1e6 / public:>8.1f}  {rate / public:>10.2f}x"
        )

    site_fast, site_public = _site_seconds(spec, args.site_rounds)
    print(
        f"site scale (12 harnesses, 36 round trips, CPU ms, median of {args.site_rounds}): "
        f"{site_fast * 1e3:.1f} fast path, {site_public * 1e3:.1f} public API "
        f"({(site_public - site_fast) * 1e3:+.1f} ms for the public API)"
    )

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
