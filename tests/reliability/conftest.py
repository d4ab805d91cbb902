"""Fixtures: private storage folders, a session of the memory-clinic patient, generated media,
and for the fault tests a private redis-server (real Redis on its own port, started and stopped
here, so that restarting it disturbs nobody else) with a real Celery worker on it (the
WorkerProcess of tests/workers/worker_process.py, the worker the worker tests use)."""

from tests.reliability.faults import private_redis, redis_worker
from tests.reliability.fixtures import bad_files, media_dir, session, storage, video_bytes

__all__ = ["bad_files", "media_dir", "private_redis", "redis_worker", "session", "storage", "video_bytes"]
