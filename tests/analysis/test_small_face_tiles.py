"""The tiled look for small faces (analysis/face_detection.py) adds faces the other looks miss and
never re-boxes a face they already found: it runs only every TILES_EVERY_S and boxes a face
differently, so a box that changed at each tiled look would move the body crop the pose model
sees, and the pose jitter this adds on a still person raises the hand-flapping amplitude floor
(on the synthetic flapping video it doubled and the 4 Hz flapping was missed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import synthetic_video
from analysis.face_detection import FaceDetector, add_new_faces, merge_detections
from analysis.people_pass import TILES_EVERY_S, detect_people
from analysis.segment_jobs import PeopleJob
from analysis.video import VideoSegment, iter_frames

ANALYSIS_FPS = 10.0
DURATION_S = 2 * TILES_EVERY_S + 1.0


@pytest.fixture(scope="module")
def still_arms_video(media_dir: Path) -> Path:
    """The flapping video's person with both forearms raised and still throughout."""
    return synthetic_video.make_flapping_video(
        media_dir / "still_arms.mp4",
        duration_s=DURATION_S,
        fps=ANALYSIS_FPS,
        flap_start_s=DURATION_S + 1.0,
        flap_end_s=DURATION_S + 2.0,
    )


def test_a_still_face_keeps_its_box_when_the_tiled_look_runs(still_arms_video: Path):
    job = PeopleJob(VideoSegment(still_arms_video, ANALYSIS_FPS, 0.0, None), full_rate=True)
    people = detect_people(job, lambda n: None)
    assert people["ran"].all()
    assert all(len(faces) == 1 for faces in people["faces"])
    boxes = np.array([faces[0, :4] for faces in people["faces"]])
    # From the second run on (the zoom window around the face joins once it is known) every
    # detection run boxes the still face alike, the tiled looks' runs (0, 2 and 4 s) included.
    tolerance_px = 0.02 * np.median(boxes[1:, 3])
    assert np.ptp(boxes[1:], axis=0).max() < tolerance_px
    # The tiled look alone boxes that face differently (the check above would see its box).
    first = next(iter_frames(still_arms_video, ANALYSIS_FPS)).image_rgb
    with FaceDetector() as detector:
        tiled = merge_detections(detector.process_tiles(first))
    assert len(tiled) == 1
    assert np.abs(tiled[0, :4] - np.median(boxes[1:], axis=0)).max() > tolerance_px


def test_tile_faces_only_add_faces_the_other_looks_missed():
    found = np.array([[100, 100, 64, 64, 0.85]], dtype=np.float32)
    same_face = [97, 96, 74, 74, 0.88]  # higher-scoring, larger box of the same face
    small_face = [400, 300, 40, 40, 0.7]
    merged = add_new_faces(found, np.array([same_face, small_face], dtype=np.float32))
    np.testing.assert_array_equal(merged, np.array([found[0], small_face], dtype=np.float32))
    assert add_new_faces(np.empty((0, 5), np.float32), np.empty((0, 5), np.float32)).shape == (0, 5)
