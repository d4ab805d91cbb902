"""Fixtures for the worker tests: a real Celery worker process on the real Redis and on the
pytest-django test database, and recordings of generated videos stored through the storage API.

The worker runs in another process, so tests that use it take `transactional_db` (rows must be
committed for the worker to see them) and wait on the database for the job's end.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection

from analysis.errors import VideoError
from analysis.results import MetricsReport
from analysis.synthetic_video import make_person_video
from analysis.video import probe
from care.reanalysis import analysis_results_replace
from recordings.models import Recording
from results.jobs import analysis_job_claim, analysis_job_create
from results.models import AnalysisJob
from results.services import AnalysisOutcome
from tests.factories import make_session, make_world
from tests.media import make_corrupt_files
from tests.workers.worker_process import WorkerProcess, database_url, purge_broker
from workers.celery import app

BROKER_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
# Every wait for a job is bounded: a 3 s video takes about 15 s on one busy core.
JOB_TIMEOUT_S = 240


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _shared_storage(settings, media_root):
    """The test process and the worker read and write the same media folder."""
    settings.MEDIA_ROOT = media_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_root), "base_url": None},
        },
    }


@pytest.fixture(scope="package")
def broker():
    """Tasks go through Redis to a worker (not eagerly into this process), for this package's
    tests only: the settings other tests see are restored afterwards."""
    purge_broker(BROKER_URL)
    eager, url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    yield BROKER_URL
    app.conf.task_always_eager, app.conf.broker_url = eager, url


@pytest.fixture(scope="package")
def worker_process(django_db_setup, django_db_blocker, broker, media_root, tmp_path_factory):
    """The worker, started once for this package and stopped after it (so that it never takes
    jobs queued by other tests), before the test database is dropped."""
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    worker = WorkerProcess(
        database_url=url, broker_url=broker, media_root=media_root, log_dir=tmp_path_factory.mktemp("worker")
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(worker_process, transactional_db) -> WorkerProcess:
    """A running worker (restarted if the previous test killed it)."""
    if not worker_process.alive:
        worker_process.start()
    return worker_process


@pytest.fixture
def world_tx(transactional_db):
    """The personas, committed (the worker process must see them)."""
    return make_world()


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> dict[str, Path]:
    """Generated session videos, made once: a person rocking sideways at 1 Hz (3 s, 320 x 240),
    and the corrupt files a clinic could upload by mistake."""
    folder = tmp_path_factory.mktemp("videos")
    rocking = make_person_video(
        folder / "visit.mp4",
        duration_s=3.0,
        fps=10,
        size=(320, 240),
        motion="rock",
        motion_hz=1.0,
        amplitude_px=15,
    )
    return {"rocking": rocking, **make_corrupt_files(folder / "corrupt")}


def store_recording(world, path: Path, *, session=None) -> Recording:
    """A Recording of this file, stored through the storage API as the upload does (probe values
    from PyAV when it decodes, placeholders for the files that do not)."""
    session = session or make_session(world.patient, by=world.clinician, on=date(2026, 11, 2))
    try:
        info = probe(path)
        fields = {
            "codec": info.codec,
            "fps": info.fps,
            "duration_s": info.duration_s,
            "width": info.width,
            "height": info.height,
        }
    except VideoError:  # a corrupt file still gets a row, as if its upload had probed
        fields = {"codec": "h264", "fps": 25.0, "duration_s": 2.0, "width": 320, "height": 240}
    recording = Recording(
        session=session,
        original_filename=path.name,
        sha256=hashlib.sha256(path.read_bytes() + uuid.uuid4().bytes).hexdigest(),
        size_bytes=max(1, path.stat().st_size),
        uploaded_by=world.uploader,
        **fields,
    )
    with path.open("rb") as handle:
        recording.file.save(path.name, File(handle), save=False)
    recording.save()
    return recording


def analysis_finished_with(recording: Recording, by, task_id: str, **outcome) -> AnalysisJob:
    """A new job on the recording, claimed and finished as the worker stores an analysis whose
    outcome holds the given fields (speech_segments, contact_episodes, ...)."""
    job = analysis_job_create(recording=recording, requested_by=by)
    analysis_job_claim(job_id=job.pk, task_id=task_id)
    result = AnalysisOutcome(report=MetricsReport(), duration_s=12.5, **outcome)
    return analysis_results_replace(job_id=job.pk, task_id=task_id, outcome=result)


@pytest.fixture
def recording(world, videos) -> Recording:
    """A stored recording of the rocking video (a test module may define its own)."""
    return store_recording(world, videos["rocking"])


def wait_for_job(
    job: AnalysisJob, done, timeout_s: float = JOB_TIMEOUT_S, worker: WorkerProcess | None = None
):
    """Poll the job's row until done(job) is true; returns the refreshed job."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if done(job):
            return job
        time.sleep(0.25)
    log = worker.log()[-4000:] if worker is not None else ""
    raise TimeoutError(f"job {job.pk} stayed {job.status} ({job.stage}, {job.progress} %)\n{log}")


def finished(job: AnalysisJob) -> bool:
    return job.status not in AnalysisJob.ACTIVE_STATUSES


def wait_for_task_end(worker: WorkerProcess, task_id: str, timeout_s: float = JOB_TIMEOUT_S) -> None:
    """Wait until the worker has logged the end of this task (the job row can end before the
    task returns, e.g. when it is cancelled)."""
    worker.wait_for_log(f"[{task_id}] succeeded", timeout_s)
