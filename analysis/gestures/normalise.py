"""Arm and hand keypoints of one person, in a body-centred frame that does not depend on the camera.

Gestures are compared between people, sessions and cameras, so pixel coordinates are useless as
they are: every keypoint is re-expressed relative to the shoulder midpoint (removes where the
person sits in the image and trunk sway), rotated so that the shoulder line is horizontal
(removes camera roll and a steady lean) and divided by the shoulder width (removes the person's
size and their distance to the camera). The result is in shoulder widths ("sw"), x right and
y down as in an upright image. On the synthetic gestures, removing the roll alone cut the
expert-vs-expert DTW p95 from 0.20 to 0.08 sw (body tilt of up to 6 degrees moves a raised hand
by 0.14 sw).

The gesture keypoint layout (GESTURE_KEYPOINTS) is 8 pose points of the arms followed by 6
points of each hand; every module of analysis/gestures reads and writes arrays in this layout.
"""

from __future__ import annotations

import numpy as np

from analysis.tracks import POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER, Tracks

# (name, source, index): source "pose" indexes Tracks.pose_xy, "left"/"right" index Tracks.hands_xy.
_POSE_POINTS = (
    ("left_shoulder", "pose", POSE_LEFT_SHOULDER),
    ("right_shoulder", "pose", POSE_RIGHT_SHOULDER),
    ("left_elbow", "pose", 13),
    ("right_elbow", "pose", 14),
    ("left_wrist", "pose", 15),
    ("right_wrist", "pose", 16),
    ("left_index", "pose", 19),
    ("right_index", "pose", 20),
)
# MediaPipe Hands indices: wrist, thumb tip, index MCP, index tip, middle tip, pinky tip. Enough to
# tell an open hand from a fist or a pointing hand without 42 mostly redundant points.
HAND_POINTS = (0, 4, 5, 8, 12, 20)
_HAND_POINT_NAMES = ("wrist", "thumb_tip", "index_mcp", "index_tip", "middle_tip", "pinky_tip")
GESTURE_KEYPOINTS: tuple[str, ...] = tuple(name for name, _, _ in _POSE_POINTS) + tuple(
    f"{hand}_hand_{name}" for hand in ("left", "right") for name in _HAND_POINT_NAMES
)
N_GESTURE_KEYPOINTS = len(GESTURE_KEYPOINTS)

# Index groups in the layout, used by segmentation (which hand moves) and scoring (what to compare).
LEFT_ARM = (2, 4, 6)  # elbow, wrist, index
RIGHT_ARM = (3, 5, 7)
LEFT_DISTAL = (4, 6)  # wrist, index: the points whose speed says the hand moves
RIGHT_DISTAL = (5, 7)
LEFT_HAND = tuple(range(8, 14))
RIGHT_HAND = tuple(range(14, 20))
# Where each keypoint goes when the body is mirrored (left arm <-> right arm).
MIRROR_ORDER = (1, 0, 3, 2, 5, 4, 7, 6, *RIGHT_HAND, *LEFT_HAND)

MAX_GAP_S = 0.2


def normalise_keypoints(
    pose_xy: np.ndarray,
    hands_xy: np.ndarray | None = None,
    time_s: np.ndarray | None = None,
    *,
    max_gap_s: float = MAX_GAP_S,
) -> np.ndarray:
    """Gesture keypoints centred on the shoulder midpoint and scaled by the shoulder width.

    Parameters
    ----------
    pose_xy : array of shape (n_frames, 33, 2)
        MediaPipe Pose keypoints in px, NaN where missing.
    hands_xy : array of shape (n_frames, 2, 21, 2), optional
        MediaPipe Hands keypoints in px, hands ordered (left, right). None: hand points are NaN.
    time_s : array of shape (n_frames,), optional
        Frame times in s. When given, gaps of at most max_gap_s are linearly interpolated (a
        detector blinking for a frame or two should not cut a gesture in two); longer gaps stay NaN.

    Returns
    -------
    array of shape (n_frames, N_GESTURE_KEYPOINTS, 2), float32, in shoulder widths
        The centre is per frame (it follows the trunk); the scale and the roll angle are medians
        over the whole sequence, because per-frame values would add the shoulders' jitter to every
        keypoint and a width would shrink whenever the person turns.
        All NaN when the shoulders are never seen.
    """
    pose_xy = np.asarray(pose_xy, dtype=np.float64)
    if pose_xy.ndim != 3 or pose_xy.shape[1:] != (33, 2):
        raise ValueError(f"pose_xy must have shape (n_frames, 33, 2); got {pose_xy.shape}.")
    n = pose_xy.shape[0]
    if hands_xy is None:
        hands_xy = np.full((n, 2, 21, 2), np.nan)
    hands_xy = np.asarray(hands_xy, dtype=np.float64)
    if hands_xy.shape != (n, 2, 21, 2):
        raise ValueError(f"hands_xy must have shape ({n}, 2, 21, 2) to match pose_xy; got {hands_xy.shape}.")
    points = np.concatenate(
        [
            pose_xy[:, [index for _, _, index in _POSE_POINTS]],
            hands_xy[:, 0, list(HAND_POINTS)],
            hands_xy[:, 1, list(HAND_POINTS)],
        ],
        axis=1,
    )
    if time_s is not None:
        points = fill_short_gaps(points, np.asarray(time_s, dtype=np.float64), max_gap_s)
    left, right = points[:, 0], points[:, 1]
    centre = (left + right) / 2.0
    across = left - right  # the person's left shoulder is on the image's right: +x when upright
    widths = np.linalg.norm(across, axis=1)
    valid = np.isfinite(widths) & (widths > 0)
    if not valid.any():
        return np.full(points.shape, np.nan, dtype=np.float32)
    roll = np.median(np.arctan2(across[valid, 1], across[valid, 0]))
    cos, sin = np.cos(-roll), np.sin(-roll)
    unroll = np.array([[cos, -sin], [sin, cos]])
    return (((points - centre[:, None, :]) @ unroll.T) / np.median(widths[valid])).astype(np.float32)


def gesture_keypoints(tracks: Tracks, *, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """normalise_keypoints of every row of tracks, of shape (len(tracks), N_GESTURE_KEYPOINTS, 2).

    The rows must be one person in time order (for example `tracks.patient()`).
    """
    return normalise_keypoints(tracks.pose_xy, tracks.hands_xy, tracks.time_s, max_gap_s=max_gap_s)


def mirror(keypoints: np.ndarray) -> np.ndarray:
    """The same movement done by the other side of the body: x negated, left and right swapped.

    keypoints has shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder widths (centred, so the
    body's midline is x = 0).
    """
    mirrored = keypoints[:, list(MIRROR_ORDER)].copy()
    mirrored[..., 0] *= -1.0
    return mirrored


def fill_short_gaps(values: np.ndarray, time_s: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate NaN runs no longer than max_gap_s, independently for every column.

    values has shape (n_frames, ...); runs at the ends of the sequence are left NaN (nothing to
    interpolate towards).
    """
    flat = values.reshape(values.shape[0], -1).copy()
    for column in range(flat.shape[1]):
        series = flat[:, column]
        missing = ~np.isfinite(series)
        if not missing.any() or missing.all():
            continue
        valid = np.flatnonzero(~missing)
        idx = np.flatnonzero(missing)
        after = np.searchsorted(valid, idx)
        inside = (after > 0) & (after < valid.size)
        idx, after = idx[inside], after[inside]
        before_t, after_t = time_s[valid[after - 1]], time_s[valid[after]]
        short = (after_t - before_t) <= max_gap_s + 1e-9
        idx = idx[short]
        series[idx] = np.interp(time_s[idx], time_s[valid], series[valid])
    return flat.reshape(values.shape)
