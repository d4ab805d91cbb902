"""Fixtures of the frontend tests: private media in a temporary folder, a small real video."""

from pathlib import Path

import pytest

from analysis.synthetic_video import make_person_video


@pytest.fixture
def private_media(settings, tmp_path):
    """Django storage writes under a temporary folder for this test."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    settings.MEDIA_ROOT = location
    return location


@pytest.fixture(scope="session")
def small_video(tmp_path_factory) -> Path:
    """A real 2-second H.264 (or MPEG-4) video of a person, 160 x 120 px."""
    return make_person_video(
        tmp_path_factory.mktemp("video") / "person.mp4", duration_s=2.0, fps=10, size=(160, 120)
    )


@pytest.fixture
def login(client):
    """login(user) → the test client, logged in as that persona (force_login: axes needs a
    request to check passwords, which client.login does not give it)."""

    def _login(user):
        client.logout()
        client.force_login(user)
        return client

    return _login
