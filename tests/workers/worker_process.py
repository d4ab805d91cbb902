"""A real Celery worker process for tests and benchmarks: `celery -A workers worker` started from
the repository root, as deploy/workers.md starts one, against a given database and broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
QUEUES = ("cpu", "gpu")


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the PostgreSQL database Django is connected to (the test database)."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def purge_broker(broker_url: str) -> None:
    """Drop the analysis queues and kombu's unacknowledged-message bookkeeping, so that messages
    left by an earlier, interrupted run are not delivered to this one (only these keys: the
    Redis database may hold other things)."""
    client = redis.Redis.from_url(broker_url)
    keys = [k for pattern in ("cpu*", "gpu*", "unacked*") for k in client.scan_iter(match=pattern)]
    if keys:
        client.delete(*keys)


class WorkerProcess:
    """One `celery worker -Q cpu,gpu --concurrency 1 --pool prefork` process group."""

    def __init__(
        self, *, database_url: str, broker_url: str, media_root: Path, log_dir: Path, env: dict | None = None
    ):
        self.database_url = database_url
        self.broker_url = broker_url
        self.media_root = media_root
        self.log_dir = log_dir
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def start(self, timeout_s: float = 120) -> None:
        self.log_path = self.log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MEDIA_ROOT": str(self.media_root),
            "PLATFORM_VAR_DIR": str(self.log_dir),
            "ANALYSIS_PROCESSES": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            str(CELERY),
            "-A",
            "workers",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"test-{uuid.uuid4().hex[:8]}@%h",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_for_log(" ready.", timeout_s)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def wait_for_log(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if not self.alive:
                raise RuntimeError(
                    f"The worker exited (code {self.process.returncode}):\n{self.log()[-4000:]}"
                )
            time.sleep(0.2)
        raise TimeoutError(
            f"{text!r} did not appear in the worker's log within {timeout_s} s:\n{self.log()[-4000:]}"
        )

    def pool_pids(self) -> list[int]:
        """The prefork pool's child processes (the ones that run tasks)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def kill(self) -> None:
        """SIGKILL the whole process group (the main process and its pool): no warm shutdown,
        no message given back to the broker, as when a host dies."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self, timeout_s: float = 30) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL whatever is left of the group."""
        if not self.alive:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
