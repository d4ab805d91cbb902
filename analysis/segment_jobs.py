"""What the passes' worker jobs are given, and how the patient pass's jobs are built from the
face tracks (plain data and geometry: this module imports no model, so the orchestrating
process builds jobs without loading MediaPipe or torch)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.people import FaceTrack, body_crop
from analysis.video import VideoSegment

if TYPE_CHECKING:
    from analysis.pose import PoseBackend

# Another person is blanked over the extent of their face boxes within this many seconds
# before and after each frame: the blank then stays put while they sway or gesture in place
# (a moving blank edge would move the patient's keypoints with it).
BLANK_WINDOW_S = 1.0

PATIENT_FIELDS = (
    "pose_xy",
    "pose_visibility",
    "pose_confidence",
    "face_xy",
    "face_z",
    "face_confidence",
    "head_pose_deg",
    "gaze_deg",
    "emotion_probs",
    "hands_xy",
    "hands_confidence",
)
# The fields of the body models (pose, hands), filled where motion-adaptive sampling skipped them.
BODY_FIELDS = ("pose_xy", "pose_visibility", "pose_confidence", "hands_xy", "hands_confidence")


@dataclass(frozen=True)
class PatientJob:
    """Pass 2 (analysis/patient_pass.py) on one segment. Per analysed frame of the segment (n of them, at times_s):
    crops (n, 4) the patient's crop (x0, y0, x1, y1) px; faces_xywh (n, 4) the patient's face
    box; others_xywh (n, k, 4) the other tracked people's face boxes (NaN where their track is
    not alive), others_extent_xywh (n, k, 4) the box covering each one's face boxes within
    BLANK_WINDOW_S around the frame (what is blanked), and others_in_view (n, k) where their
    face was detected, or lies between two detections where the detector did not look (they
    have a row there, and their face mesh may run). The job writes its rows to chunk files in
    rows_folder (analysis/segment_rows.py)."""

    segment: VideoSegment
    rows_folder: Path
    times_s: np.ndarray
    crops: np.ndarray
    faces_xywh: np.ndarray
    others_xywh: np.ndarray
    others_extent_xywh: np.ndarray
    others_in_view: np.ndarray
    device: str | None
    pose_model: Callable[[], PoseBackend] | None = None
    full_rate: bool = False


@dataclass(frozen=True)
class PeopleJob:
    """Pass 1 (analysis/people_pass.py) on one segment; full_rate: detect on every analysed frame."""

    segment: VideoSegment
    full_rate: bool = False


def patient_jobs(
    *,
    video_segments: list[VideoSegment],
    people: list[dict[str, Any]],
    times_s: np.ndarray,
    patient: FaceTrack,
    others: list[FaceTrack],
    size_wh: tuple[int, int],
    device: str | None,
    pose_model: Callable[[], PoseBackend] | None,
    full_rate: bool,
    rows_folder: Path,
) -> list[PatientJob]:
    """Pass 2's jobs: per segment, the patient's crop and face box and the other people's face
    boxes at each analysed frame (interpolated between detections); each job writes its rows to
    its own folder under rows_folder."""
    rows = np.arange(len(times_s))
    faces = patient.boxes_between(rows)
    crops = np.array([body_crop(box, size_wh) for box in faces], dtype=np.int64).reshape(-1, 4)
    others_xywh = np.full((len(rows), len(others), 4), np.nan, dtype=np.float32)
    others_in_view = np.zeros((len(rows), len(others)), dtype=bool)
    detector_ran = np.concatenate([p["ran"] for p in people])
    for k, track in enumerate(others):
        alive = track.alive(rows)
        others_xywh[alive, k] = track.boxes_between(rows[alive])
        # Not only where detected: in a still stretch the detector looks once a second, and
        # their face mesh runs every OTHER_FACE_EVERY_S (patient_pass.py).
        others_in_view[:, k] = alive & ~detector_ran
        others_in_view[track.rows, k] = True
    extents = _extents(others_xywh, times_s)
    bounds = np.cumsum([0] + [len(p["times_s"]) for p in people])
    return [
        PatientJob(
            segment=segment,
            rows_folder=rows_folder / f"segment-{k:03d}",
            times_s=times_s[a:b],
            crops=crops[a:b],
            faces_xywh=faces[a:b],
            others_xywh=others_xywh[a:b],
            others_extent_xywh=extents[a:b],
            others_in_view=others_in_view[a:b],
            device=device,
            pose_model=pose_model,
            full_rate=full_rate,
        )
        for k, (segment, a, b) in enumerate(zip(video_segments, bounds[:-1], bounds[1:], strict=True))
    ]


def _extents(boxes_xywh: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Per frame and person, the box covering their boxes (n, k, 4) within BLANK_WINDOW_S."""
    corners = np.concatenate([boxes_xywh[..., :2], boxes_xywh[..., :2] + boxes_xywh[..., 2:]], axis=-1)
    extents = np.full_like(boxes_xywh, np.nan)
    starts = np.searchsorted(times_s, times_s - BLANK_WINDOW_S)
    stops = np.searchsorted(times_s, times_s + BLANK_WINDOW_S, side="right")
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: the person is absent
        for i, (a, b) in enumerate(zip(starts, stops, strict=True)):
            low = np.nanmin(corners[a:b, :, :2], axis=0)
            high = np.nanmax(corners[a:b, :, 2:], axis=0)
            extents[i] = np.concatenate([low, high - low], axis=-1)
    extents[np.isnan(boxes_xywh)] = np.nan  # only where the person is there
    return extents
