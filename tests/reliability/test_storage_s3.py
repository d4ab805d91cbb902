"""The same storage code path on local disk and on an S3-compatible object store.

The object store is moto's server (ThreadedMotoServer: real HTTP on 127.0.0.1, an S3 emulator,
not MinIO), configured exactly as production configures django-storages (config.settings with
STORAGE_BACKEND=s3: path-style addressing, private objects, no overwrite). Recordings are
stored by the real recording_create_from_file and by the real upload endpoints, read back,
and deleted through recording_delete_video, on both backends.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

import config.settings as live
from accounts.errors import ApplicationError
from care.withdrawal import recording_delete_video
from recordings.models import Recording
from recordings.services import recording_create_from_file
from tests.reliability.uploading import Snapshot, api_client, api_upload

BUCKET = "behaviour-media-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def production_s3_storage(endpoint: str) -> dict:
    """settings.STORAGES["default"] as config.settings builds it for STORAGE_BACKEND=s3."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "region_name": "us-east-1",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }


@pytest.fixture(params=["local", "s3"])
def backend(request, settings, storage):
    """The default storage on local disk (MEDIA_ROOT) or in the S3 bucket; returns a lister of
    the stored keys."""
    if request.param == "local":
        media, _ = storage
        return lambda: sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    client = request.getfixturevalue("s3_bucket")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": production_s3_storage(request.getfixturevalue("s3_endpoint")),
    }

    def keys() -> list[str]:
        return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))

    return keys


def test_the_production_settings_build_this_storage(monkeypatch, tmp_path):
    """The S3 options above are those config.settings builds from the environment."""

    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_BUCKET", BUCKET)
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("PLATFORM_VAR_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("settings_copy", live.__file__)
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert copy.STORAGES["default"] == production_s3_storage("http://127.0.0.1:9")


def test_a_recording_is_stored_read_back_and_deleted_through_the_same_code(
    world, session, backend, media_dir, video_bytes
):
    path = media_dir / "s3-visit.mp4"
    path.write_bytes(video_bytes)
    digest = hashlib.sha256(video_bytes).hexdigest()
    recording = recording_create_from_file(
        session=session,
        file_path=path,
        original_filename="../../visite.mp4",
        sha256=digest,
        uploaded_by=world.uploader,
    )
    assert backend() == [recording.file.name]
    assert recording.file.name.startswith(f"recordings/{world.patient.code}/")
    stored = Recording.objects.get(pk=recording.pk)
    with stored.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
    assert stored.file.size == len(video_bytes)
    # The same file again is the same recording, not a second object.
    again = recording_create_from_file(
        session=session,
        file_path=path,
        original_filename="visit.mp4",
        sha256=digest,
        uploaded_by=world.uploader,
    )
    assert again.pk == recording.pk and len(backend()) == 1
    recording_delete_video(recording=stored, by=world.clinician, reason="consent withdrawn")
    assert backend() == []
    assert Recording.objects.get(pk=recording.pk).status == Recording.Status.DELETED


def test_a_file_that_is_not_a_video_leaves_nothing_in_the_store(
    world, session, backend, bad_files, media_dir
):
    path = media_dir / "s3-notes.mp4"
    path.write_bytes(bad_files["text"])
    with pytest.raises(ApplicationError, match="not a video"):
        recording_create_from_file(
            session=session,
            file_path=path,
            original_filename="notes.mp4",
            sha256=hashlib.sha256(bad_files["text"]).hexdigest(),
            uploaded_by=world.uploader,
        )
    assert backend() == [] and Recording.objects.count() == 0


def test_the_upload_endpoints_store_into_the_object_store(world, session, backend, storage, video_bytes):
    before = Snapshot.take()
    answer = api_upload(api_client(world.uploader), session, video_bytes)
    assert answer.status_code == 201, answer.content
    recording = Recording.objects.get()
    assert backend() == [recording.file.name]
    _, upload_tmp = storage
    assert [p for p in Path(upload_tmp).rglob("*") if p.is_file()] == [], "the assembled file is gone"
    after = Snapshot.take()
    assert (after.recordings, after.uploads, after.jobs) == (
        before.recordings + 1,
        before.uploads + 1,
        before.jobs + 1,
    )
    assert default_storage.exists(recording.file.name)
