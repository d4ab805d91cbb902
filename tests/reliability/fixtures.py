"""Fixtures of the reliability and security tests (imported by both folders' conftest.py)."""

from pathlib import Path

import pytest

from analysis.synthetic_video import make_person_video
from tests.factories import make_session
from tests.media import make_corrupt_files
from tests.reliability.uploading import use_private_storage


@pytest.fixture
def storage(settings, tmp_path) -> tuple[Path, Path]:
    """(MEDIA_ROOT, UPLOAD_TMP_DIR), private to the test, with small chunks and limits."""
    return use_private_storage(settings, tmp_path / "server")


@pytest.fixture
def session(world, storage):
    """A visit of the memory-clinic patient (who consented to everything)."""
    return make_session(world.patient, by=world.clinician)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reliability-media")


@pytest.fixture(scope="session")
def video_bytes(media_dir) -> bytes:
    """A real 2 s, 160 x 120 video of a person (a few chunks of CHUNK_BYTES)."""
    path = make_person_video(media_dir / "visit.mp4", duration_s=2.0, fps=10, size=(160, 120))
    return Path(path).read_bytes()


@pytest.fixture(scope="session")
def bad_files(media_dir) -> dict[str, bytes]:
    """tests/media.make_corrupt_files: empty, text, truncated, audio_only, image, zero_frames, corrupt."""
    return {kind: path.read_bytes() for kind, path in make_corrupt_files(media_dir / "bad").items()}
