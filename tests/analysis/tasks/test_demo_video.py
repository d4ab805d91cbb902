"""The rendered semi-guided demo session: MediaPipe Pose sees the drawn person where the
kinematics put it, the session is short enough for the demo, and the person never moves faster
than the face tracker follows (a faster walk would split the patient into two tracks)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from analysis.people import MAX_CENTRE_SHIFT_FACES
from analysis.pose import PoseModel
from analysis.tasks.demo_video import (
    DEMO_SIZE,
    ROOM_RGB,
    demo_kinematics,
    draw_person,
    face_patch,
    make_task_demo_video,
)
from analysis.tasks.synth import SOURCE_FPS, TASK_CODES

# The face detector's box of the drawn face is about half a shoulder width wide (22 px at 43 px).
FACE_WIDTH_SW = 0.5
# Faces are looked for every 3 analysed frames where the picture changes (analysis.people_pass).
FRAMES_BETWEEN_LOOKS = 3

pytestmark = pytest.mark.slow


def test_pose_model_follows_the_drawn_person() -> None:
    """On 12 frames spread over the session, shoulders, hips and wrists within 0.25 SW (median
    0.1 SW) of where the kinematics drew them."""
    kinematics = demo_kinematics()
    width, height = DEMO_SIZE
    face = face_patch()
    errors = []
    with PoseModel(video_mode=False) as model:
        for i in np.linspace(0, len(kinematics.frame_class) - 1, 12).astype(int):
            canvas = np.empty((height, width, 3), dtype=np.uint8)
            canvas[:] = ROOM_RGB
            draw_person(canvas, kinematics.pose_px[i], float(kinematics.sw_px[i]), face)
            found = model.process(canvas)
            assert found is not None, f"no body found in frame {i}"
            points = [11, 12, 23, 24, 15, 16]
            distance = np.linalg.norm(found.keypoints_xy[points] - kinematics.pose_px[i][points], axis=1)
            errors.append(distance / kinematics.sw_px[i])
    errors = np.array(errors)
    assert np.median(errors) < 0.1 and np.percentile(errors, 90) < 0.25, errors.round(2)


def test_demo_video_segments_are_the_plan(tmp_path: Path) -> None:
    path, truth = make_task_demo_video(tmp_path / "tasks.mp4")
    assert path.is_file() and path.stat().st_size > 0
    assert sorted(s.task_code for s in truth) == sorted(TASK_CODES)
    assert all(b.start_s >= a.end_s for a, b in pairwise(truth))
    assert 60 <= len(demo_kinematics().frame_class) / SOURCE_FPS <= 90


def test_the_drawn_person_moves_within_the_face_trackers_reach() -> None:
    kinematics = demo_kinematics()
    nose = kinematics.pose_px[:, 0]
    step = FRAMES_BETWEEN_LOOKS
    shift_faces = np.linalg.norm(nose[step:] - nose[:-step], axis=1) / (
        FACE_WIDTH_SW * kinematics.sw_px[step:]
    )
    assert np.nanmax(shift_faces) < MAX_CENTRE_SHIFT_FACES, np.nanmax(shift_faces)
