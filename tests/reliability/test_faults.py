"""Faults with the real services: Redis restarted while analysis jobs are queued, the database
connection of the web server cut in the middle of an upload, and two uploads of the same file
racing to completion against a live server.

Covered elsewhere, not repeated here (tests/workers/test_recovery.py, real worker): a worker's
pool process or the whole worker SIGKILLed mid-job (redelivered, or requeued by the sweep, and
completed once), and the worker's database connection terminated mid-job (retried, completed).
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from accounts.tokens import api_token_create
from analysis.synthetic_video import make_person_video
from recordings.models import ChunkedUpload, Recording
from results.jobs import analysis_job_create
from results.models import AnalysisJob, MetricSample
from tests.factories import make_session, make_world
from tests.reliability.faults import publish_to
from tests.reliability.uploading import CHUNK_BYTES, Snapshot, sha256, use_private_storage
from tests.workers.conftest import finished, store_recording, wait_for_job

JOB_TIMEOUT_S = 300


def publish_later(job_id: int) -> None:
    """ANALYSIS_DISPATCHER of the Redis test: nothing; the test publishes to its own Redis."""


@pytest.fixture(scope="module")
def short_video(tmp_path_factory) -> Path:
    """A 2 s, 160 x 120 video of a person rocking: a job of a few seconds."""
    return make_person_video(
        tmp_path_factory.mktemp("fault-video") / "visit.mp4",
        duration_s=2.0,
        fps=10,
        size=(160, 120),
        motion="rock",
        motion_hz=1.0,
        amplitude_px=8,
    )


@pytest.mark.worker
@pytest.mark.slow
def test_jobs_queued_while_redis_restarts_complete_once_it_is_back(
    redis_worker, private_redis, settings, short_video
):
    settings.ANALYSIS_DISPATCHER = "tests.reliability.test_faults.publish_later"
    world = make_world()
    jobs = []
    for day in (2, 3):
        session = make_session(world.patient, by=world.clinician, on=date(2026, 11, day))
        recording = store_recording(world, short_video, session=session)
        jobs.append(analysis_job_create(recording=recording))
    for job in jobs:
        publish_to(private_redis.url, job.pk, job.queue)

    # The first job is running; the others wait in Redis.
    wait_for_job(jobs[0], lambda job: job.status == AnalysisJob.Status.RUNNING, JOB_TIMEOUT_S, redis_worker)
    assert private_redis.queue_length("cpu") >= 1, "some jobs should still be queued in Redis"

    private_redis.stop()
    private_redis.start()

    for job in jobs:
        done = wait_for_job(job, finished, JOB_TIMEOUT_S, redis_worker)
        assert done.status == AnalysisJob.Status.SUCCEEDED, (done.error, redis_worker.log()[-3000:])
        assert MetricSample.objects.filter(job=done, is_session_level=True).exists()
    assert private_redis.queue_length("cpu") == 0
    assert "Connection to broker lost" in redis_worker.log(), "the worker saw Redis go away and came back"


# --- the web tier, with a live server -----------------------------------------------------


def _request(url: str, *, token: str, method: str = "GET", body: bytes | None = None, content_type: str = ""):
    headers = {"Authorization": f"Token {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _upload_over_http(base: str, token: str, session_id: int, data: bytes, *, before_complete=None):
    status, started = _request(
        f"{base}/api/v1/uploads/",
        token=token,
        method="POST",
        body=json.dumps(
            {"session": session_id, "filename": "visit.mp4", "size_bytes": len(data), "sha256": sha256(data)}
        ).encode(),
        content_type="application/json",
    )
    assert status == 201, started
    for offset in range(0, len(data), CHUNK_BYTES):
        status, answer = _request(
            f"{base}/api/v1/uploads/{started['id']}/chunk/?offset={offset}",
            token=token,
            method="PUT",
            body=data[offset : offset + CHUNK_BYTES],
            content_type="application/octet-stream",
        )
        assert status == 200, answer
    if before_complete is not None:
        before_complete()
    return _request(f"{base}/api/v1/uploads/{started['id']}/complete/", token=token, method="POST")


@pytest.fixture
def live(live_server, transactional_db, settings, tmp_path):
    use_private_storage(settings, tmp_path / "server")
    world = make_world()
    return live_server.url, world, make_session(world.patient, by=world.clinician)


def test_two_concurrent_uploads_of_the_same_file_make_one_recording(live, short_video):
    """The uploader and a clinician send the same video into the same session at the same time;
    both completes race to store it. One Recording, the stored bytes intact, no stray file."""
    base, world, session = live
    data = short_video.read_bytes()
    tokens = [api_token_create(user=user, name="tests")[1] for user in (world.uploader, world.clinician)]
    both_sent = threading.Barrier(2, timeout=120)
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def run(token: str) -> None:
        try:
            results.append(_upload_over_http(base, token, session.pk, data, before_complete=both_sent.wait))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    assert [status for status, _ in results] == [201, 201], results
    assert results[0][1]["id"] == results[1][1]["id"], "both uploads name the same recording"

    recording = Recording.objects.get()
    with recording.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == sha256(data)
    snapshot = Snapshot.take()
    assert list(snapshot.files) == [f"media/{recording.file.name}"], snapshot.files
    assert set(ChunkedUpload.objects.values_list("status", "recording")) == {("complete", recording.pk)}
    assert AnalysisJob.objects.filter(recording=recording).count() == 1


def test_an_upload_survives_its_database_connection_being_cut(live, short_video):
    """The database drops every connection of the web server after the last chunk (a failover,
    a restart): the complete request gets a working connection (CONN_HEALTH_CHECKS) and the
    upload completes intact."""
    base, world, session = live
    data = short_video.read_bytes()
    token = api_token_create(user=world.uploader, name="tests")[1]

    def cut_connections() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )

    status, answer = _upload_over_http(base, token, session.pk, data, before_complete=cut_connections)
    assert status == 201, answer
    recording = Recording.objects.get()
    with recording.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == sha256(data)
