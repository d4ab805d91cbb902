"""Hands: MediaPipe Hands (21 keypoints per hand) behind a small interface.

Handedness. MediaPipe labels hands as if the image were a mirrored selfie ("the input image is
mirrored, i.e. taken with a front-facing camera with images flipped horizontally"). Clinical
recordings are not mirrored: a person facing the camera shows their right hand on the image's
left, and MediaPipe calls that hand "Left". So we swap the label: MediaPipe "Left" is the
person's right hand and "Right" the person's left. If a site records through a mirroring
webcam preview, the swap is wrong for that site's videos (and so is everything else left/right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis import mediapipe_solutions
from analysis.lifecycle import ClosesOnExit
from analysis.mediapipe_solutions import run_graph
from analysis.tracks import HANDS, N_HAND_KEYPOINTS

MIN_DETECTION_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5
# MediaPipe's (mirrored) label -> the person's own hand in an unmirrored recording.
_PERSON_HAND = {"Left": "right", "Right": "left"}


@dataclass
class HandObservation:
    """One hand found in one image.

    Attributes
    ----------
    keypoints_xy : float32 array of shape (21, 2)
        Keypoints in px of the image given to `process` (0 is the wrist).
    handedness : str
        "left" or "right": the person's own hand (see the module docstring).
    confidence : float
        MediaPipe's handedness score in [0, 1] (it is also the hand-presence evidence the
        legacy API exposes).
    """

    keypoints_xy: np.ndarray
    handedness: str
    confidence: float


class HandsModel(ClosesOnExit):
    """MediaPipe Hands, full model, up to two hands.

    Parameters
    ----------
    video_mode : bool
        True for consecutive frames of one video (hands are tracked between frames and the
        palm detector runs only when one is lost); False for unrelated images.
    """

    name = "mediapipe-hands-full"
    version = mediapipe_solutions.VERSION

    def __init__(self, video_mode: bool = True) -> None:
        self._hands = mediapipe_solutions.hands.Hands(
            static_image_mode=not video_mode,
            max_num_hands=2,
            model_complexity=1,
            min_detection_confidence=MIN_DETECTION_CONFIDENCE,
            min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        )

    def process(self, image_rgb: np.ndarray) -> list[HandObservation]:
        """Hands in one image: at most one per side (when MediaPipe labels two hands with the
        same side, the less confident one is given the other side).

        Parameters
        ----------
        image_rgb : uint8 array of shape (height, width, 3)
        """
        height, width = image_rgb.shape[:2]
        results = run_graph(
            self._hands, np.ascontiguousarray(image_rgb), ("multi_hand_landmarks", "multi_handedness")
        )
        if not results["multi_hand_landmarks"]:
            return []
        scale = np.array([width, height], dtype=np.float32)
        found = []
        for landmarks, handedness in zip(
            results["multi_hand_landmarks"], results["multi_handedness"], strict=True
        ):
            label = handedness.classification[0]
            points = np.array([(p.x, p.y) for p in landmarks.landmark], dtype=np.float32)
            if points.shape[0] != N_HAND_KEYPOINTS:
                raise RuntimeError(
                    f"MediaPipe Hands returned {points.shape[0]} keypoints instead of "
                    f"{N_HAND_KEYPOINTS}; check that mediapipe==0.10.14 is installed."
                )
            found.append(HandObservation(points * scale, _PERSON_HAND[label.label], float(label.score)))
        found.sort(key=lambda hand: -hand.confidence)
        if len(found) == 2 and found[0].handedness == found[1].handedness:
            other = HANDS[1 - HANDS.index(found[0].handedness)]
            found[1] = HandObservation(found[1].keypoints_xy, other, found[1].confidence)
        return found

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._hands.close()
