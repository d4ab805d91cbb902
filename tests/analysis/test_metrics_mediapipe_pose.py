"""The periodicity detector on real MediaPipe Pose keypoints of a generated video: a photo of
a person (skimage's astronaut) held still, or slid sideways at 1 Hz. This is where keypoint
jitter and the model's response to image translation show up, which synthetic tracks lack."""

from __future__ import annotations

import cv2
import mediapipe as mp
import numpy as np
import pytest
from skimage import data

from analysis.metrics import compute_all
from analysis.metrics.stereotypy import stereotypy_episodes
from analysis.tracks import Tracks

pytestmark = pytest.mark.slow
FPS, WIDTH, HEIGHT = 10.0, 480, 360


def pose_tracks(shift_px: np.ndarray) -> Tracks:
    """MediaPipe Pose (legacy solution, video mode) on the photo shifted by shift_px per frame."""
    photo = data.astronaut()
    photo = cv2.resize(photo, (WIDTH, round(photo.shape[0] * WIDTH / photo.shape[1])))[:HEIGHT]
    tracks = Tracks.empty(shift_px.size)
    tracks.frame[:] = np.arange(shift_px.size)
    tracks.time_s[:] = np.arange(shift_px.size) / FPS
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for i, dx in enumerate(shift_px):
            frame = cv2.warpAffine(
                photo, np.float32([[1, 0, dx], [0, 1, 0]]), (WIDTH, HEIGHT), borderMode=cv2.BORDER_REPLICATE
            )
            result = pose.process(frame)
            if result.pose_landmarks:
                landmarks = result.pose_landmarks.landmark
                tracks.pose_xy[i] = [(p.x * WIDTH, p.y * HEIGHT) for p in landmarks]
                tracks.pose_visibility[i] = [p.visibility for p in landmarks]
                tracks.pose_confidence[i] = 1.0
    return tracks


def test_a_photo_slid_sideways_at_1_hz_gives_exactly_one_rocking_episode():
    t = np.arange(140) / FPS
    inside = (t >= 3.0) & (t < 11.0)
    tracks = pose_tracks(20.0 * np.sin(2 * np.pi * (t - 3.0)) * inside)
    assert np.isfinite(tracks.pose_xy[:, 11]).all(), "MediaPipe lost the person"
    events = [e for e in compute_all(tracks).events if e.kind != "gaze_shift"]
    assert [e.kind for e in events] == ["body_rocking"]
    start, end = events[0].start_s, events[0].end_s
    assert (min(end, 11.0) - max(start, 3.0)) / (max(end, 11.0) - min(start, 3.0)) >= 0.8
    assert events[0].frequency_hz == pytest.approx(1.0, abs=0.2)


def test_the_same_photo_held_still_gives_no_episode():
    tracks = pose_tracks(np.zeros(80))
    assert stereotypy_episodes(tracks) == []
