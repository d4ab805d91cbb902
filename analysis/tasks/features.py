"""Per-frame features of the patient for the task segmenter, from what the pipeline computes.

Daily-living tasks differ in where the hands are and how they move relative to the body (a pill
box is filled with both hands low and busy, a phone is held still at the ear), in where the head
points (down to read) and in moving about the room (walking to the plant). So each frame holds:

- body pose relative to the torso: nose, elbows, wrists, hips and knees (MediaPipe Pose), minus
  the shoulder midpoint, in shoulder widths (SW). The width is the session's median (a constant:
  per-frame shoulder jitter would leak into every point), so a person walking about the room or
  standing further from the camera keeps the same numbers;
- hand positions: the centroid of each hand's 21 landmarks (MediaPipe Hands), same frame;
- hand motion: the speed of each wrist relative to the shoulder midpoint, SW/s, averaged over
  SPEED_WINDOW_S (the pose wrist, or the hand centroid when the wrist is not seen; NaN at a frame
  where neither is seen, even if rows around it were);
- head pose: yaw, pitch, roll in degrees (analysis.gaze);
- position in the room: the hip centre minus its session median, in SW, its speed (SW/s, averaged
  over SPEED_WINDOW_S) and the apparent body size (shoulder width / its session median: nearer to
  or further from the camera);
- seen flags (1/0) for the pose, each hand and the head.

Rows of the tracks are resampled onto a regular grid of rate_hz (time k / rate_hz from 0 s) by
taking the nearest row within MAX_ROW_GAP_S; a grid frame with no row near it, or a point not
seen, is NaN (never 0): the model replaces NaN by the training mean and reads the seen flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.tasks.task_metrics import ActivitySignals
from analysis.timeseries.preprocessing import pose_points, savgol_smooth, shoulder_width_px, speed_per_s
from analysis.tracks import (
    POSE_LEFT_HIP,
    POSE_LEFT_SHOULDER,
    POSE_RIGHT_HIP,
    POSE_RIGHT_SHOULDER,
    Tracks,
)

DEFAULT_RATE_HZ = 5.0
MAX_ROW_GAP_S = 0.5
MIN_POSE_VISIBILITY = 0.5
SPEED_WINDOW_S = 1.0
SMOOTH_S = 0.3
# Per-frame activity thresholds (see activity_signals): a wrist moving faster than 0.3 SW/s relative
# to the shoulders is handling something (still hands read 0.05-0.1 SW/s of keypoint jitter);
# the hip centre moving faster than 0.8 SW/s (about 0.3 m/s) is walking, not swaying.
HAND_ACTIVE_SW_S = 0.3
WALKING_SW_S = 0.8

BODY_POINTS = {
    "nose": 0,
    "left_elbow": 13,
    "right_elbow": 14,
    "left_wrist": 15,
    "right_wrist": 16,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
}
FEATURE_NAMES: tuple[str, ...] = (
    *(f"pose.{name}.{axis}_sw" for name in BODY_POINTS for axis in "xy"),
    *(f"hand.{side}.{axis}_sw" for side in ("left", "right") for axis in "xy"),
    "hand.left.speed_sw_s",
    "hand.right.speed_sw_s",
    "head.yaw_deg",
    "head.pitch_deg",
    "head.roll_deg",
    "room.x_sw",
    "room.y_sw",
    "room.speed_sw_s",
    "room.body_scale",
    "seen.pose",
    "seen.hand.left",
    "seen.hand.right",
    "seen.head",
)
N_FEATURES = len(FEATURE_NAMES)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True)
class TaskFeatures:
    """values (n, N_FEATURES) float32 in FEATURE_NAMES order (NaN where not measured) on the grid
    time_s (n,) = k / rate_hz."""

    time_s: np.ndarray
    values: np.ndarray
    rate_hz: float

    def column(self, name: str) -> np.ndarray:
        """One feature over time."""
        return self.values[:, _INDEX[name]]

    @property
    def seen(self) -> np.ndarray:
        """(n,) bool: the body was seen in that frame."""
        return self.column("seen.pose") > 0.5


def _row_speed(points: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Speed (units/s) of points (m, 2) between consecutive rows in time order, after
    Savitzky-Golay smoothing over SMOOTH_S (keypoint jitter would otherwise read as motion)."""
    order = np.argsort(time_s, kind="stable")
    t = np.asarray(time_s, dtype=np.float64)[order]
    if len(t) < 2:
        return np.full(len(t), np.nan)
    smooth = savgol_smooth(points[order], t, SMOOTH_S, 2)
    out = np.empty(len(t))
    out[order] = speed_per_s(smooth, t)
    return out


def _window_mean(values: np.ndarray, time_s: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Mean of the finite row values within SPEED_WINDOW_S / 2 of each grid time (NaN where none)."""
    order = np.argsort(time_s, kind="stable")
    t, v = np.asarray(time_s, dtype=np.float64)[order], np.asarray(values, dtype=np.float64)[order]
    finite = np.isfinite(v)
    total = np.concatenate([[0.0], np.cumsum(np.where(finite, v, 0.0))])
    count = np.concatenate([[0], np.cumsum(finite)])
    lo = np.searchsorted(t, grid - SPEED_WINDOW_S / 2, side="left")
    hi = np.searchsorted(t, grid + SPEED_WINDOW_S / 2, side="right")
    n = count[hi] - count[lo]
    out = np.full(len(grid), np.nan)
    np.divide(total[hi] - total[lo], n, out=out, where=n > 0)
    return out


def grid_rows(time_s: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """(grid times (n,), row index per grid frame (n,), -1 where no row lies within MAX_ROW_GAP_S)."""
    time_s = np.asarray(time_s, dtype=np.float64)
    if time_s.size == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    grid = np.arange(int(np.floor(time_s.max() * rate_hz + 1e-9)) + 1) / rate_hz
    order = np.argsort(time_s, kind="stable")
    sorted_t = time_s[order]
    right = np.clip(np.searchsorted(sorted_t, grid), 0, len(sorted_t) - 1)
    left = np.clip(right - 1, 0, len(sorted_t) - 1)
    nearest = np.where(np.abs(sorted_t[left] - grid) <= np.abs(sorted_t[right] - grid), left, right)
    rows = np.where(np.abs(sorted_t[nearest] - grid) <= MAX_ROW_GAP_S, order[nearest], -1)
    return grid, rows


def features_from_keypoints(  # noqa: PLR0917 (the five arrays of the tracks, then the rate)
    time_s: np.ndarray,
    pose_xy: np.ndarray,
    pose_visibility: np.ndarray,
    hands_xy: np.ndarray,
    head_pose_deg: np.ndarray,
    rate_hz: float = DEFAULT_RATE_HZ,
) -> TaskFeatures:
    """Features on the rate_hz grid from the patient's rows: time_s (m,), pose_xy (m, 33, 2) px,
    pose_visibility (m, 33), hands_xy (m, 2, 21, 2) px (left, right), head_pose_deg (m, 3)."""
    if rate_hz <= 0:
        raise ValueError(f"the feature rate must be positive; got {rate_hz} Hz.")
    grid, rows = grid_rows(time_s, rate_hz)
    n = len(grid)
    have = rows >= 0
    take = np.where(have, rows, 0)

    def on_grid(values: np.ndarray) -> np.ndarray:
        out = np.asarray(values, dtype=np.float64)[take]
        out[~have] = np.nan
        return out

    row_pose = pose_points(pose_xy, pose_visibility, MIN_POSE_VISIBILITY)
    row_hands = np.asarray(hands_xy, dtype=np.float64).mean(axis=2)  # (m, 2, 2) centroids, NaN if missing
    pose, hands, head = on_grid(row_pose), on_grid(row_hands), on_grid(head_pose_deg)
    width = shoulder_width_px(row_pose) if len(row_pose) else float("nan")
    out = np.full((n, N_FEATURES), np.nan)
    out[:, _INDEX["seen.pose"] :] = 0.0
    out[:, _INDEX["seen.head"]] = np.isfinite(head).all(axis=1)
    if n == 0 or not np.isfinite(width):
        return TaskFeatures(grid, out.astype(np.float32), rate_hz)
    origin = 0.5 * (pose[:, POSE_LEFT_SHOULDER] + pose[:, POSE_RIGHT_SHOULDER])
    for i, index in enumerate(BODY_POINTS.values()):
        out[:, 2 * i : 2 * i + 2] = (pose[:, index] - origin) / width
    base = _INDEX["hand.left.x_sw"]
    out[:, base : base + 4] = ((hands - origin[:, None, :]) / width).reshape(n, 4)
    row_origin = 0.5 * (row_pose[:, POSE_LEFT_SHOULDER] + row_pose[:, POSE_RIGHT_SHOULDER])
    for side, wrist, hand in (
        ("left", BODY_POINTS["left_wrist"], 0),
        ("right", BODY_POINTS["right_wrist"], 1),
    ):
        point = row_pose[:, wrist].copy()
        fallback = ~np.isfinite(point).all(axis=1)
        point[fallback] = row_hands[fallback, hand]
        relative = (point - row_origin) / width
        speed = _window_mean(_row_speed(relative, time_s), time_s, grid)
        out[:, _INDEX[f"hand.{side}.speed_sw_s"]] = np.where(
            np.isfinite(on_grid(relative)).all(axis=1), speed, np.nan
        )
    out[:, _INDEX["head.yaw_deg"] : _INDEX["head.roll_deg"] + 1] = head
    row_hip = 0.5 * (row_pose[:, POSE_LEFT_HIP] + row_pose[:, POSE_RIGHT_HIP]) / width
    hip = on_grid(row_hip)
    out[:, _INDEX["room.x_sw"] : _INDEX["room.y_sw"] + 1] = hip - np.nanmedian(row_hip, axis=0)
    room_speed = _window_mean(_row_speed(row_hip, time_s), time_s, grid)
    out[:, _INDEX["room.speed_sw_s"]] = np.where(np.isfinite(hip).all(axis=1), room_speed, np.nan)
    shoulders = np.linalg.norm(pose[:, POSE_LEFT_SHOULDER] - pose[:, POSE_RIGHT_SHOULDER], axis=1)
    out[:, _INDEX["room.body_scale"]] = shoulders / width
    out[:, _INDEX["seen.pose"]] = np.isfinite(origin).all(axis=1)
    out[:, _INDEX["seen.hand.left"]] = np.isfinite(hands[:, 0]).all(axis=1)
    out[:, _INDEX["seen.hand.right"]] = np.isfinite(hands[:, 1]).all(axis=1)
    return TaskFeatures(grid, out.astype(np.float32), rate_hz)


def features_from_tracks(tracks: Tracks, rate_hz: float = DEFAULT_RATE_HZ) -> TaskFeatures:
    """Features of the patient's rows of a session's tracks (analysis.tracks.Tracks)."""
    patient = tracks.patient()
    return features_from_keypoints(
        patient.time_s,
        patient.pose_xy,
        patient.pose_visibility,
        patient.hands_xy,
        patient.head_pose_deg,
        rate_hz,
    )


def activity_signals(features: TaskFeatures) -> ActivitySignals:
    """Per-frame hand activity and walking (1.0 / 0.0 / NaN) for the per-task metrics.

    hand_active = max(left, right wrist speed) > HAND_ACTIVE_SW_S (NaN when neither is measured);
    walking = hip-centre speed > WALKING_SW_S (NaN when the hips are not seen).
    """
    speeds = np.stack([features.column("hand.left.speed_sw_s"), features.column("hand.right.speed_sw_s")])
    measured = np.isfinite(speeds).any(axis=0)
    fastest = np.nanmax(np.where(np.isfinite(speeds), speeds, -np.inf), axis=0)
    hand = np.where(measured, (fastest > HAND_ACTIVE_SW_S).astype(float), np.nan)
    room = features.column("room.speed_sw_s").astype(float)
    walking = np.where(np.isfinite(room), (room > WALKING_SW_S).astype(float), np.nan)
    return ActivitySignals(features.time_s, hand, walking)
