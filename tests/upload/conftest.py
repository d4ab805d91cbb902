"""Fixtures of the upload tests: private temp and media folders, small chunks, a session, a real
generated video, and an analysis dispatcher that only records which jobs it was handed (these
tests check the upload, not the analysis)."""

import hashlib
from pathlib import Path

import pytest

from analysis.synthetic_video import make_person_video
from tests.factories import make_session

DISPATCHED: list[int] = []
CHUNK_BYTES = 2 * 1024


def record_dispatch(job_id: int) -> None:
    """Stands in for workers.dispatch.enqueue_analysis: remembers the job id, runs nothing."""
    DISPATCHED.append(job_id)


@pytest.fixture
def upload_settings(settings, tmp_path):
    settings.UPLOAD_TMP_DIR = tmp_path / "uploads"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    settings.UPLOAD_CHUNK_BYTES = CHUNK_BYTES
    settings.UPLOAD_MAX_BYTES = 5 * 1024**2
    settings.ANALYSIS_DISPATCHER = "tests.upload.conftest.record_dispatch"
    DISPATCHED.clear()
    return settings


@pytest.fixture
def session(world, upload_settings):
    return make_session(world.patient, by=world.clinician)


@pytest.fixture(scope="session")
def video_bytes(tmp_path_factory) -> bytes:
    """A real 2 s, 160x120 video of a person (about 6 kB: several 2 kB chunks)."""
    path = make_person_video(
        tmp_path_factory.mktemp("video") / "visit.mp4", duration_s=2.0, fps=10, size=(160, 120)
    )
    return Path(path).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks(data: bytes, size: int = CHUNK_BYTES):
    """(offset, bytes) pairs covering data."""
    return [(offset, data[offset : offset + size]) for offset in range(0, len(data), size)]
