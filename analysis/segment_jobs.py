"""What the passes' worker jobs are given (plain data: this module imports no model, so the
orchestrating process can build jobs without loading MediaPipe or torch)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from analysis.video import VideoSegment

if TYPE_CHECKING:
    from analysis.pose import PoseBackend

PATIENT_FIELDS = (
    "pose_xy",
    "pose_visibility",
    "pose_confidence",
    "face_xy",
    "face_confidence",
    "head_pose_deg",
    "gaze_deg",
    "emotion_probs",
    "hands_xy",
    "hands_confidence",
)


@dataclass(frozen=True)
class PatientJob:
    """Pass 2 (analysis/patient_pass.py) on one segment. Per analysed frame of the segment (n of them, at times_s):
    crops (n, 4) the patient's crop (x0, y0, x1, y1) px; faces_xywh (n, 4) the patient's face
    box; others_xywh (n, k, 4) the other tracked people's face boxes (NaN where their track is
    not alive) and others_detected (n, k) where their face was detected (they have a row)."""

    segment: VideoSegment
    times_s: np.ndarray
    crops: np.ndarray
    faces_xywh: np.ndarray
    others_xywh: np.ndarray
    others_detected: np.ndarray
    device: str | None
    pose_model: Callable[[], PoseBackend] | None = None
    full_rate: bool = False


@dataclass(frozen=True)
class PeopleJob:
    """Pass 1 (analysis/people_pass.py) on one segment; full_rate: detect on every analysed frame."""

    segment: VideoSegment
    full_rate: bool = False
