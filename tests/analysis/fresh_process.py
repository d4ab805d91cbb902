"""Python code run in a fresh interpreter from the repository root: what a worker process or the
command line imports at start-up, which a test process (with everything already imported)
cannot show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh_process_output(code: str) -> str:
    """The last line `python -c code` printed; its error output is the assertion's message."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]
