"""The rendered semi-guided demo session: MediaPipe Pose sees the drawn person where the
kinematics put it, and the pipeline's features of the whole video are recognised by a task model
trained on the synthetic set only."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from analysis.pose import PoseModel
from analysis.tasks.demo_video import DEMO_SEED, ROOM_RGB, draw_person, face_patch, make_task_demo_video
from analysis.tasks.synth import TASK_CODES, session_kinematics

pytestmark = pytest.mark.slow


def test_pose_model_follows_the_drawn_person() -> None:
    """On 12 frames spread over the session, shoulders, hips and wrists within 0.25 SW (median
    0.1 SW) of where the kinematics drew them."""
    kinematics = session_kinematics(
        np.random.default_rng(DEMO_SEED), room_px=(960, 540), sw_px=65.0, task_s=(12, 20)
    )
    face = face_patch()
    errors = []
    with PoseModel(video_mode=False) as model:
        for i in np.linspace(0, len(kinematics.frame_class) - 1, 12).astype(int):
            canvas = np.empty((540, 960, 3), dtype=np.uint8)
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
    path, truth = make_task_demo_video(tmp_path / "tasks.mp4", task_s=(12, 13))
    assert path.is_file() and path.stat().st_size > 0
    assert sorted({s.task_code for s in truth}) == sorted(TASK_CODES)
    assert all(b.start_s >= a.end_s for a, b in pairwise(truth))
