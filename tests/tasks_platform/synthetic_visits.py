"""Stored tracks of semi-guided visits made by code: the synthetic task set's movements
(analysis.tasks.synth.session_kinematics) and what a pose model would report of them, written as
the patient's rows of a session's tracks, with the true tasks as the segments a clinician marks."""

from __future__ import annotations

import numpy as np

from analysis.tasks.segments import TaskSegment
from analysis.tasks.synth import BACKGROUND, SOURCE_FPS, TASK_CODES, _observe, session_kinematics
from analysis.tracks import Tracks


def synthetic_visit(seed: int, task_s: tuple[float, float] = (8, 16)) -> tuple[Tracks, list[TaskSegment]]:
    """One visit's tracks (10 rows a second, all the patient's) and its true task segments."""
    rng = np.random.default_rng(seed)
    kinematics = session_kinematics(rng, TASK_CODES, task_s=task_s)
    n = len(kinematics.frame_class)
    head = kinematics.head_deg + rng.normal(0, (10.0, 15.0, 5.0)) + rng.normal(0, 2.0, (n, 3))
    pose, visibility, hands = _observe(kinematics.pose_px, rng, kinematics.sw_px[:, None], kinematics.seated)
    tracks = Tracks.empty(n)
    tracks.frame[:] = np.arange(n)
    tracks.time_s[:] = np.arange(n) / SOURCE_FPS
    tracks.person_id[:], tracks.is_patient[:] = 0, True
    tracks.pose_xy[:], tracks.pose_visibility[:] = pose, visibility
    tracks.hands_xy[:], tracks.head_pose_deg[:] = hands, head
    segments, start_s = [], 0.0
    for code, duration_s in kinematics.plan:
        end_s = round(start_s + duration_s, 1)
        if code != BACKGROUND:
            segments.append(TaskSegment(code, round(start_s, 1), end_s))
        start_s = end_s
    return tracks, segments
