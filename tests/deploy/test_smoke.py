"""The production stack built and run for real (deploy/smoke.sh): images from the local Debian
base, the compose stack up, an upload through nginx analysed by a Celery worker, a worker
killed mid-job, a backup restored into a fresh stack.

bin/test installs Docker, debootstrap and Compose v2 and starts dockerd (deploy/docker-engine.sh);
where they are missing this test fails, with the command that fixes it, rather than skipping.
Its step times are in var/smoke.log after each run.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SMOKE = REPO_ROOT / "deploy" / "smoke.sh"
DOCKER = Path("/usr/bin/docker")
# Warm caches: about 6 minutes; cold (base image, wheelhouse, every layer): about 20.
TIMEOUT_S = 40 * 60


def _engine_problem() -> str | None:
    if not DOCKER.exists() or shutil.which("debootstrap", path="/usr/sbin:/usr/bin") is None:
        return "Docker (docker.io) or debootstrap is not installed"
    if subprocess.run([DOCKER, "compose", "version"], check=False, capture_output=True).returncode != 0:
        return "Compose v2 is not installed as Docker's CLI plugin"
    if subprocess.run([DOCKER, "info"], check=False, capture_output=True).returncode != 0:
        return "dockerd is not running"
    return None


@pytest.mark.slow
def test_the_production_stack_runs_end_to_end():
    problem = _engine_problem()
    assert problem is None, f"{problem}: run deploy/docker-engine.sh as root (bin/test does)."
    log = REPO_ROOT / "var" / "smoke.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as output:
        result = subprocess.run(
            ["bash", str(SMOKE)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHON": sys.executable},
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=TIMEOUT_S,
            check=False,
        )
    text = log.read_text(errors="replace")
    print(text)
    assert result.returncode == 0, f"deploy/smoke.sh failed (exit {result.returncode}):\n{text[-8000:]}"
    assert "[smoke] PASSED" in text
