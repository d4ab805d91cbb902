"""Real services for the fault tests: a redis-server of our own that a test may restart, and a
Celery worker process (tests/workers/worker_process.WorkerProcess) consuming from it."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.deploy.gunicorn_server import free_port
from tests.workers.worker_process import WorkerProcess, database_url
from workers.celery import app
from workers.tasks import analyse_job

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """redis-server on 127.0.0.1:<port> with an append-only file in `directory`, as
    deploy/compose.yaml runs it (queued messages survive a restart)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 20) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise TimeoutError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """SHUTDOWN: Redis writes its append-only file and exits, like `docker compose restart`."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            redis.Redis.from_url(self.url).shutdown()
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        self.process.wait(timeout=20)

    def queue_length(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


def publish_to(broker_url: str, job_id: int, queue: str) -> None:
    """Send an analysis job to the given broker, on an explicit connection (the app's cached
    producer pool stays bound to the session's broker)."""

    with app.connection_for_write(broker_url) as conn:
        analyse_job.apply_async(args=[job_id], queue=queue, connection=conn)


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_worker(private_redis, transactional_db, settings, tmp_path):
    """A real worker on the private Redis and the test database, sharing a media folder."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    worker = WorkerProcess(
        database_url=database_url(connection.settings_dict),
        broker_url=private_redis.url,
        media_root=media,
        log_dir=tmp_path,
    )
    worker.start()
    yield worker
    worker.stop()
