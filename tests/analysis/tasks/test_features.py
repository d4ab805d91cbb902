"""Task features from hand-made keypoints with known geometry and motion.

The body: shoulder width 100 px (left shoulder at x + 50, right at x - 50), so a point 50 px right
of and 100 px below the shoulder midpoint is (0.5, 1.0) SW. Rows at 10 fps, features at 5 Hz.
Positions are exact (tolerance 1e-5 SW, float32); speeds of linear motion survive the
Savitzky-Golay smoothing and the window mean exactly (tolerance 1e-4 SW/s).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.tasks.features import (
    FEATURE_NAMES,
    N_FEATURES,
    activity_signals,
    features_from_keypoints,
    features_from_tracks,
    grid_rows,
)
from analysis.tracks import N_HAND_KEYPOINTS, Tracks

FPS = 10.0


def body(n: int, walk_px_s: float = 0.0, right_wrist_px_s: float = 0.0):
    """Keypoints of a person standing (or walking sideways at walk_px_s) with the right wrist
    moving right at right_wrist_px_s relative to the shoulders."""
    t = np.arange(n) / FPS
    x = 300 + walk_px_s * t
    pose = np.full((n, 33, 2), np.nan)
    pose[:, 11] = np.stack([x + 50, np.full(n, 100.0)], 1)  # left shoulder
    pose[:, 12] = np.stack([x - 50, np.full(n, 100.0)], 1)
    pose[:, 0] = np.stack([x, np.full(n, 40.0)], 1)  # nose
    pose[:, 13] = np.stack([x + 60, np.full(n, 150.0)], 1)
    pose[:, 14] = np.stack([x - 60, np.full(n, 150.0)], 1)
    pose[:, 15] = np.stack([x + 50, np.full(n, 200.0)], 1)  # left wrist: (0.5, 1.0) SW
    pose[:, 16] = np.stack([x - 50 + right_wrist_px_s * t, np.full(n, 200.0)], 1)
    pose[:, 23] = np.stack([x + 35, np.full(n, 250.0)], 1)
    pose[:, 24] = np.stack([x - 35, np.full(n, 250.0)], 1)
    pose[:, 25] = np.stack([x + 38, np.full(n, 350.0)], 1)
    pose[:, 26] = np.stack([x - 38, np.full(n, 350.0)], 1)
    visibility = np.where(np.isfinite(pose[..., 0]), 0.9, 0.0)
    hands = np.full((n, 2, N_HAND_KEYPOINTS, 2), np.nan)
    hands[:, 0] = pose[:, 15][:, None, :] + np.array([0.0, 20.0])  # centroid 20 px below the wrist
    head = np.tile([10.0, -20.0, 5.0], (n, 1))
    return t, pose, visibility, hands, head


def col(features, name: str) -> np.ndarray:
    return features.column(name).astype(np.float64)


def test_layout_and_grid() -> None:
    assert len(FEATURE_NAMES) == N_FEATURES == 35
    grid, rows = grid_rows(np.arange(50) / FPS, 5.0)
    assert np.allclose(grid, np.arange(25) * 0.2) and np.array_equal(rows, np.arange(0, 50, 2))


def test_positions_are_in_shoulder_widths_relative_to_the_shoulders() -> None:
    f = features_from_keypoints(*body(50), rate_hz=5.0)
    assert f.values.shape == (25, N_FEATURES)
    assert np.allclose(col(f, "pose.left_wrist.x_sw"), 0.5, atol=1e-5)
    assert np.allclose(col(f, "pose.left_wrist.y_sw"), 1.0, atol=1e-5)
    assert np.allclose(col(f, "pose.nose.y_sw"), -0.6, atol=1e-5)
    assert np.allclose(col(f, "hand.left.y_sw"), 1.2, atol=1e-5)
    assert np.isnan(col(f, "hand.right.x_sw")).all()  # the right hand was never detected: NaN, not 0
    assert np.allclose(col(f, "head.pitch_deg"), -20.0)
    assert np.allclose(col(f, "room.x_sw"), 0.0, atol=1e-5) and np.allclose(col(f, "room.body_scale"), 1.0)
    assert (col(f, "seen.pose") == 1).all() and (col(f, "seen.hand.right") == 0).all()


def test_hand_speed_is_relative_to_the_torso_and_walking_is_the_hips() -> None:
    # walking right at 100 px/s = 1 SW/s; the right wrist also moves 50 px/s = 0.5 SW/s relative to it
    f = features_from_keypoints(*body(60, walk_px_s=100.0, right_wrist_px_s=50.0), rate_hz=5.0)
    inner = slice(3, -3)
    assert np.allclose(col(f, "hand.right.speed_sw_s")[inner], 0.5, atol=1e-4)
    assert np.allclose(col(f, "hand.left.speed_sw_s")[inner], 0.0, atol=1e-4)
    assert np.allclose(col(f, "room.speed_sw_s")[inner], 1.0, atol=1e-4)
    assert np.allclose(np.diff(col(f, "room.x_sw")), 0.2, atol=1e-4)  # 1 SW/s over 0.2 s frames
    signals = activity_signals(f)
    assert (signals.hand_active[inner] == 1.0).all() and (signals.walking[inner] == 1.0).all()
    still = activity_signals(features_from_keypoints(*body(60), rate_hz=5.0))
    assert (still.hand_active[inner] == 0.0).all() and (still.walking[inner] == 0.0).all()


def test_missing_frames_are_nan_and_flagged() -> None:
    t, pose, visibility, hands, head = body(50)
    pose[20:30], visibility[20:30], head[20:30] = np.nan, 0.0, np.nan
    f = features_from_keypoints(t, pose, visibility, hands, head, rate_hz=5.0)
    gap = slice(10, 15)  # grid times 2.0-2.8 s
    assert (col(f, "seen.pose")[gap] == 0).all() and (col(f, "seen.head")[gap] == 0).all()
    assert np.isnan(col(f, "pose.left_wrist.x_sw")[gap]).all()
    assert np.isnan(col(f, "hand.left.speed_sw_s")[gap]).all()
    # rows dropped altogether (a time gap): grid frames far from any row are NaN too
    keep = (t < 1.0) | (t > 3.0)
    f = features_from_keypoints(t[keep], pose[keep], visibility[keep], hands[keep], head[keep], rate_hz=5.0)
    assert np.isnan(col(f, "head.yaw_deg")[8]) and col(f, "seen.pose")[8] == 0  # 1.6 s: 0.6 s from a row


def test_no_body_at_all_gives_nan_features_and_zero_flags() -> None:
    t, pose, visibility, hands, head = body(20)
    pose[:], visibility[:] = np.nan, 0.0
    f = features_from_keypoints(t, pose, visibility, hands, head, rate_hz=5.0)
    assert np.isnan(col(f, "pose.nose.x_sw")).all() and (col(f, "seen.pose") == 0).all()
    assert (col(f, "seen.head") == 1).all()
    empty = features_from_keypoints(np.zeros(0), pose[:0], visibility[:0], hands[:0], head[:0])
    assert empty.values.shape == (0, N_FEATURES)
    with pytest.raises(ValueError, match="positive"):
        features_from_keypoints(t, pose, visibility, hands, head, rate_hz=0.0)


def test_features_from_tracks_read_the_patient_rows() -> None:
    t, pose, visibility, hands, head = body(40, right_wrist_px_s=30.0)
    tracks = Tracks.empty(80)
    tracks.time_s[:] = np.concatenate([t, t])
    tracks.is_patient[:40] = True
    tracks.pose_xy[:40], tracks.pose_visibility[:40] = pose, visibility
    tracks.hands_xy[:40], tracks.head_pose_deg[:40] = hands, head
    tracks.pose_xy[40:] = 0.0  # another person, not the patient
    from_tracks = features_from_tracks(tracks, rate_hz=5.0)
    direct = features_from_keypoints(
        t, pose.astype(np.float32), visibility, hands.astype(np.float32), head, 5.0
    )
    assert np.allclose(from_tracks.values, direct.values, equal_nan=True)
    assert not math.isnan(float(col(from_tracks, "hand.right.speed_sw_s")[5]))
