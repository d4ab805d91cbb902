"""Synthetic patient tracks with known motion, for the metrics tests (pure numpy, no video)."""

from __future__ import annotations

import numpy as np

from analysis.tracks import Tracks

FPS = 10.0
SHOULDER_WIDTH_PX = 120.0
IOD_PX = 60.0
# A seated person seen from the front, image px: nose, shoulders, elbows, wrists, hand points, hips.
BODY_PX = {
    0: (320, 120),
    11: (380, 200),
    12: (260, 200),
    13: (400, 270),
    14: (240, 270),
    15: (400, 330),
    16: (240, 330),
    17: (405, 345),
    18: (235, 345),
    19: (400, 348),
    20: (240, 348),
    21: (395, 340),
    22: (245, 340),
    23: (360, 400),
    24: (280, 400),
}
LOWER_LIP = (146, 91, 181, 84, 17, 314, 405, 321, 375, 95, 88, 178, 87, 14, 317, 402, 318, 324)


def session(duration_s: float, fps: float = FPS) -> tuple[Tracks, np.ndarray]:
    """Empty tracks of duration_s at fps, with frame numbers and times filled."""
    n = round(duration_s * fps)
    tracks = Tracks.empty(n)
    tracks.frame[:] = np.arange(n)
    tracks.time_s[:] = np.arange(n) / fps
    tracks.person_id[:] = 1
    tracks.is_patient[:] = True
    return tracks, tracks.time_s.copy()


def put_body(tracks: Tracks, *, noise_px: float = 0.5, hips_visible: bool = False, seed: int = 0) -> None:
    """A still upper body with Gaussian keypoint jitter (noise_px, px) in every frame."""
    rng = np.random.default_rng(seed)
    n = len(tracks)
    base = np.zeros((33, 2))
    for index, xy in BODY_PX.items():
        base[index] = xy
    tracks.pose_xy[:] = base[None] + rng.normal(0.0, noise_px, (n, 33, 2))
    visibility = np.zeros((n, 33))
    visibility[:, list(BODY_PX)] = 0.99
    if not hips_visible:
        visibility[:, [23, 24]] = 0.05
    tracks.pose_visibility[:] = visibility
    tracks.pose_confidence[:] = 0.99


def burst(time_s: np.ndarray, freq_hz: float, start_s: float, end_s: float, amplitude: float) -> np.ndarray:
    """amplitude * sin(2 pi f (t - start)) inside [start_s, end_s), 0 elsewhere; shape (n,)."""
    inside = (time_s >= start_s) & (time_s < end_s)
    return amplitude * np.sin(2 * np.pi * freq_hz * (time_s - start_s)) * inside


def canonical_face(seed: int = 1) -> np.ndarray:
    """A fixed 478-landmark face (px, centred on 0) with outer eye corners IOD_PX apart."""
    rng = np.random.default_rng(seed)
    face = np.stack([rng.uniform(-60, 60, 478), rng.uniform(-80, 80, 478)], axis=1)
    face[33], face[263] = (-IOD_PX / 2, -20.0), (IOD_PX / 2, -20.0)
    face[13], face[14] = (0.0, 40.0), (0.0, 42.0)
    return face


def put_face(tracks: Tracks, faces_px: np.ndarray) -> None:
    """Face landmarks (n, 478, 2) px with full confidence."""
    tracks.face_xy[:] = faces_px
    tracks.face_confidence[:] = 0.99


def rigidly_moved(face: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """The face translated, rotated (+-15 deg) and scaled (+-20 %) over time: (n, 478, 2) px."""
    angle = np.deg2rad(15.0) * np.sin(2 * np.pi * 0.3 * time_s)
    scale = 1.0 + 0.2 * np.sin(2 * np.pi * 0.2 * time_s)
    shift = np.stack([320 + 40 * np.sin(2 * np.pi * 0.5 * time_s), 200 + 20 * np.cos(time_s)], axis=1)
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    return scale[:, None, None] * np.einsum("tij,kj->tki", rotation, face) + shift[:, None, :]


def mouth_opening(face: np.ndarray, time_s: np.ndarray, amplitude_px: float, freq_hz: float) -> np.ndarray:
    """The face still at (320, 200) with the lower lip moving down and up: (n, 478, 2) px."""
    faces = np.repeat(face[None] + np.array([320.0, 200.0]), time_s.size, axis=0)
    drop = amplitude_px * (1 - np.cos(2 * np.pi * freq_hz * time_s)) / 2
    faces[:, list(LOWER_LIP), 1] += drop[:, None]
    return faces
