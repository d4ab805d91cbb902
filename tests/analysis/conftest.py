"""Generated media shared by the analysis tests (session scope: each video is encoded once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import synthetic_video
from tests import media

ROCK_HZ = 1.0
ROCK_START_S, ROCK_END_S = 3.0, 11.0
ROCK_DURATION_S = 14.0


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def person_video(media_dir: Path) -> Path:
    """6 s, 25 fps, 640 x 480, the astronaut photo held still."""
    return synthetic_video.make_person_video(media_dir / "person.mp4", duration_s=6.0)


@pytest.fixture(scope="session")
def two_person_video(media_dir: Path) -> Path:
    return synthetic_video.make_two_person_video(media_dir / "two_people.mp4", duration_s=4.0)


@pytest.fixture(scope="session")
def empty_video(media_dir: Path) -> Path:
    return synthetic_video.make_empty_video(media_dir / "empty.mp4", duration_s=3.0)


@pytest.fixture(scope="session")
def rocking_video(media_dir: Path) -> Path:
    """14 s: rocking sideways at 1 Hz, 30 px, from 3 s to 11 s; still before and after."""
    return synthetic_video.make_person_video(
        media_dir / "rocking.mp4",
        duration_s=ROCK_DURATION_S,
        motion="rock",
        motion_hz=ROCK_HZ,
        amplitude_px=30,
        motion_start_s=ROCK_START_S,
        motion_end_s=ROCK_END_S,
    )


@pytest.fixture(scope="session")
def corrupt_files(media_dir: Path) -> dict[str, Path]:
    return media.make_corrupt_files(media_dir / "corrupt")
