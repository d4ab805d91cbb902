"""The torso's own frame of reference, so that moving the whole body is not a movement of a limb.

Gestures, hand flapping and head movements are movements of a part *relative to the trunk*. In
image coordinates a person swaying as a whole, walking towards the camera or filmed by a shaking
camera moves every keypoint, and a wrist-minus-shoulder difference still carries the rotation
and the change of scale. Here every point is expressed per frame in the torso frame: origin at
the shoulder midpoint, x along the shoulder line, unit one shoulder width. A rigid movement of
the whole person (translation, rotation in the image plane, scaling) then leaves every point
where it was.

The shoulder line's angle and the width are smoothed over 1 s (Savitzky-Golay, order 2): the
shoulders' jitter would otherwise turn every point about the origin (2 px on a 100 px shoulder
width is 0.03 rad, 0.05 SW at the hands), while a whole-body sway and a change of distance to
the camera are slow. The origin is not smoothed, so a shaking camera's fast translation goes.
"""

from __future__ import annotations

import numpy as np

from analysis.timeseries.preprocessing import interpolate_short_gaps, savgol_smooth

WIDTH_SMOOTH_S = 1.0
ANGLE_SMOOTH_S = 1.0


def torso_frame(
    left_shoulder: np.ndarray, right_shoulder: np.ndarray, time_s: np.ndarray, max_gap_s: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame (origin (n, 2), angle (n,) rad, width (n,)) of the torso frame, in the units of
    the shoulders' coordinates; NaN where a shoulder is missing."""
    left = interpolate_short_gaps(np.asarray(left_shoulder, np.float64), time_s, max_gap_s)
    right = interpolate_short_gaps(np.asarray(right_shoulder, np.float64), time_s, max_gap_s)
    origin = 0.5 * (left + right)
    across = left - right  # the person's left shoulder is on the image's right: +x when upright
    width = np.linalg.norm(across, axis=1)
    angle = np.arctan2(across[:, 1], across[:, 0])
    seen = np.isfinite(angle)
    if seen.any():
        angle[seen] = np.unwrap(angle[seen])
    angle = savgol_smooth(angle, time_s, ANGLE_SMOOTH_S, 2, mode="mirror")
    width = savgol_smooth(width, time_s, WIDTH_SMOOTH_S, 2, mode="mirror")
    width = np.where(width > 0, width, np.nan)
    return origin, angle, width


def in_torso_frame(points: np.ndarray, frame: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """points (n, ..., 2) expressed in the torso frame, in shoulder widths (x along the shoulder
    line towards the person's left, y down the trunk)."""
    origin, angle, width = frame
    p = np.asarray(points, dtype=np.float64)
    extra = (1,) * (p.ndim - 2)
    shifted = p - origin.reshape((-1, *extra, 2))
    cos, sin = np.cos(-angle).reshape((-1, *extra)), np.sin(-angle).reshape((-1, *extra))
    x = cos * shifted[..., 0] - sin * shifted[..., 1]
    y = sin * shifted[..., 0] + cos * shifted[..., 1]
    return np.stack([x, y], axis=-1) / width.reshape((-1, *extra, 1))
