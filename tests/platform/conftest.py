"""Fixtures of the platform tests: private media storage per test, a real small video, derived
results made through the ORM (as the workers would write them)."""

from pathlib import Path

import pytest

from analysis.synthetic_video import make_person_video
from recordings.models import Recording
from recordings.services import recording_create_from_file
from tests.platform.helpers import sha256_of


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path) -> Path:
    """Every test stores its files in its own folder, through the real FileSystemStorage."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture(scope="session")
def small_video(tmp_path_factory) -> Path:
    """A 2 s, 160 x 120 px, 10 fps video of a person (decodable, so the probe accepts it)."""
    return make_person_video(
        tmp_path_factory.mktemp("video") / "visit.mp4", duration_s=2.0, fps=10, size=(160, 120)
    )


@pytest.fixture
def store_recording(small_video):
    """store_recording(session, by) → a Recording stored through recording_create_from_file."""

    def _store(session, by, path: Path | None = None) -> Recording:
        path = path or small_video
        return recording_create_from_file(
            session=session,
            file_path=path,
            original_filename="visit.mp4",
            sha256=sha256_of(path),
            uploaded_by=by,
        )

    return _store
