"""The command line in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.paths import REPO


def run_cli(*args: object, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx_xenabi ARGS`` in a real process, run from ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "sphinx_xenabi", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
