"""Body pose: MediaPipe Pose (BlazePose full, 33 keypoints) behind a small interface.

The legacy solution `mediapipe.solutions.pose.Pose(model_complexity=1)` runs pose_landmark_full.tflite,
bundled in the mediapipe==0.10.14 wheel. It is single-person: the pipeline feeds it a crop
around the patient (analysis/people.py) so that another person in the room is not mixed in.
Keypoint order and names: analysis/tracks.py (POSE_* indices); left/right are the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from analysis import mediapipe_solutions
from analysis.lifecycle import ClosesOnExit
from analysis.mediapipe_solutions import run_graph
from analysis.tracks import N_POSE_KEYPOINTS

MIN_DETECTION_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5


@dataclass
class PoseObservation:
    """The body found in one image.

    Attributes
    ----------
    keypoints_xy : float32 array of shape (33, 2)
        Keypoints in px of the image given to `process`.
    visibility : float32 array of shape (33,)
        MediaPipe's visibility in [0, 1] (probability that the point is in view, not occluded).
    confidence : float
        Mean visibility of the 33 points: a summary of how much of the body was seen.
    """

    keypoints_xy: np.ndarray
    visibility: np.ndarray
    confidence: float


class PoseBackend(Protocol):
    """What the pipeline needs of a body-pose model (MediaPipe here, MMPose on GPU workers)."""

    name: str
    version: str

    def process(self, image_rgb: np.ndarray) -> PoseObservation | None: ...

    def close(self) -> None: ...


class PoseModel(ClosesOnExit):
    """MediaPipe Pose, full model.

    Parameters
    ----------
    video_mode : bool
        True for consecutive frames of one video (the landmark model tracks the body between
        frames and runs the detector only when it is lost); False for unrelated images.

    Use it as a context manager, or call `close()`, to free the MediaPipe graph.
    """

    name = "mediapipe-pose-full"
    version = mediapipe_solutions.VERSION

    def __init__(self, video_mode: bool = True) -> None:
        self._pose = mediapipe_solutions.pose.Pose(
            static_image_mode=not video_mode,
            model_complexity=1,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=MIN_DETECTION_CONFIDENCE,
            min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        )

    def process(self, image_rgb: np.ndarray) -> PoseObservation | None:
        """The body in one image, or None when no body was found.

        Parameters
        ----------
        image_rgb : uint8 array of shape (height, width, 3)
        """
        height, width = image_rgb.shape[:2]
        (landmarks,) = run_graph(self._pose, np.ascontiguousarray(image_rgb), ("pose_landmarks",)).values()
        if landmarks is None:
            return None
        points = landmarks.landmark
        if len(points) != N_POSE_KEYPOINTS:
            raise RuntimeError(
                f"MediaPipe Pose returned {len(points)} keypoints instead of {N_POSE_KEYPOINTS}; "
                "check that mediapipe==0.10.14 is installed."
            )
        normalised = np.array([(p.x, p.y) for p in points], dtype=np.float32)
        visibility = np.array([p.visibility for p in points], dtype=np.float32)
        return PoseObservation(
            keypoints_xy=normalised * np.array([width, height], dtype=np.float32),
            visibility=visibility,
            confidence=float(visibility.mean()),
        )

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._pose.close()
