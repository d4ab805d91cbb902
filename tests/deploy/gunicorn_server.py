"""gunicorn started the way the web container starts it (deploy/gunicorn.conf.py, production
settings), on 127.0.0.1 and a free port, for the deploy tests and tests/bench/load.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.deploy.compose_files import GUNICORN_CONF

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """`gunicorn --config deploy/gunicorn.conf.py config.wsgi` with the given environment.

    Use as a context manager; `url` is http://127.0.0.1:<port>. The server's output goes to
    `log_path`, quoted when it fails to start.
    """

    def __init__(self, env: dict[str, str], *, log_path: Path, workers: int = 1, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", str(GUNICORN_CONF), "config.wsgi"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text(errors='replace')[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            # The port opens before the worker has loaded Django: wait for a real answer.
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=30)
            except urllib.error.HTTPError:
                pass
            except OSError:
                time.sleep(0.2)
                continue
            return
        raise TimeoutError(f"gunicorn did not answer:\n{self.log_path.read_text(errors='replace')[-4000:]}")

    def __exit__(self, *exc_info) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
