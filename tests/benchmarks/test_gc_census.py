"""The edit-loop benchmark's garbage-collector census (``--gc-census``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.benchmark_modules import BENCHMARKS, load_benchmark

bench = load_benchmark("bench_edit_loop")
CENSUS = BENCHMARKS / "gc_census.py"


def _run_census(
    tmp_path: Path, body: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    (tmp_path / "census_subject.py").write_text(body, encoding="utf-8")
    out = tmp_path / "census.json"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    command = [sys.executable, str(CENSUS), str(out), "census_subject", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False), out


def test_counts_the_modules_full_collections_and_keeps_its_exit_status(tmp_path: Path) -> None:
    body = (
        "import gc, sys\n"
        "assert __name__ == '__main__', __name__\n"
        "print(' '.join(sys.argv[1:]))\n"
        "for _ in range(3):\n"
        "    gc.collect()\n"
        "raise SystemExit(3)\n"
    )
    done, out = _run_census(tmp_path, body, "-q", "docs")
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "-q docs"  # the module's own arguments, without the census's
    work = json.loads(out.read_text(encoding="utf-8"))
    assert work["collections"][2] >= 3  # the three the module asked for, at least
    assert len(work["seconds"]) == 3 and all(s >= 0 for s in work["seconds"])
    assert work["seconds"][2] > 0


def test_counts_nothing_the_module_did_not_collect(tmp_path: Path) -> None:
    done, out = _run_census(tmp_path, "import gc\ngc.disable()\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["collections"][2] == 0


def test_census_commands_are_python_m_commands_rewritten() -> None:
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "SRC", "OUT"]
    assert bench.counted(command, Path("/tmp/c.json")) == [
        sys.executable,
        str(CENSUS),
        "/tmp/c.json",
        "sphinx",
        "-q",
        "-b",
        "html",
        "SRC",
        "OUT",
    ]
    with pytest.raises(bench.BenchmarkError, match="python -m commands only"):
        bench.counted(["sphinx-build", "SRC", "OUT"], Path("/tmp/c.json"))


def test_the_census_line_gives_medians_and_the_per_pair_difference() -> None:
    run = bench.Run
    without = [run(1.0, 60.0, 1, 0.030), run(1.0, 60.0, 1, 0.034), run(1.0, 60.0, 1, 0.032)]
    with_ = [run(1.1, 61.0, 2, 0.085), run(1.1, 61.0, 2, 0.080), run(1.1, 61.0, 1, 0.040)]
    line = bench.collector_work(without, with_)
    assert line == (
        "gc: full collections 1 -> 2, in the collector 0.032s -> 0.080s (per pair +46 ms)"
    )
    # Runs timed without the census (a check step's, say): no line.
    assert bench.collector_work([run(1.0, 60.0, 1, 0.03)], [run(1.1, 61.0)]) is None


def test_timed_counts_sphinx_builds_and_leaves_the_check_uncounted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    build = bench.timed([sys.executable, "-m", "sphinx", "--version"], tmp_path, env, census=True)
    assert build.full_collections is not None and build.collector_seconds is not None
    (tmp_path / "fast_exit.py").write_text("import os\nos._exit(0)\n", encoding="utf-8")
    check = bench.timed([sys.executable, "-m", "fast_exit"], tmp_path, env, census=True)
    assert check.full_collections is None and check.collector_seconds is None
