"""Shared preprocessing of per-frame tracks before any metric (metrics.md section 0).

Order used by every family: drop low-confidence detections (set them to NaN), fill gaps of at
most 0.2 s by linear interpolation, express distances in body units (IOD or shoulder widths),
smooth with Savitzky-Golay before differentiating. Frames still missing stay NaN and are
excluded from every statistic; coverage says how many frames a metric rests on.
"""

from __future__ import annotations

import warnings

import numpy as np

from analysis.timeseries.filters import savgol_filter
from analysis.tracks import (
    FACE_LEFT_EYE_OUTER,
    FACE_RIGHT_EYE_OUTER,
    POSE_LEFT_SHOULDER,
    POSE_RIGHT_SHOULDER,
)


def frame_period_s(time_s: np.ndarray) -> float:
    """Mean time between consecutive frames (s), gaps left out; NaN with fewer than two frames.

    Not the median: frames picked at 10 fps from a 25 fps video arrive 0.08 s and 0.12 s apart in
    turn, and a median would return one of the two and scale every frequency by 0.8 or 1.2.
    Steps longer than 1.5 times the median are gaps (dropped frames) and are not averaged.
    """
    steps = np.diff(np.asarray(time_s, dtype=np.float64))
    steps = steps[steps > 0]
    if not steps.size:
        return float("nan")
    return float(np.mean(steps[steps <= 1.5 * np.median(steps)]))


def mask_low_confidence(values: np.ndarray, confidence: np.ndarray, min_confidence: float) -> np.ndarray:
    """Copy of values (float64) with rows whose confidence is below min_confidence set to NaN.

    values has shape (n_frames, ...) and confidence shape (n_frames,) or the leading dims of
    values. A NaN confidence means "not reported" and keeps the row: whether something was
    detected is already said by NaN values.
    """
    out = np.array(values, dtype=np.float64)
    low = np.asarray(confidence, dtype=np.float64) < min_confidence
    out[low] = np.nan
    return out


def interpolate_short_gaps(values: np.ndarray, time_s: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly fill runs of NaN frames lasting at most max_gap_s, column by column.

    Parameters
    ----------
    values : array of shape (n_frames, ...)
        Any per-frame measurement; each trailing element is interpolated on its own.
    time_s : array of shape (n_frames,)
        Frame times (s), increasing.
    max_gap_s : float
        Longest missing span filled, measured as (next valid time - previous valid time - one
        frame period): at 10 fps, 0.2 s fills up to two missing frames. Longer gaps and gaps at
        the start or end stay NaN, because inventing a long trajectory would invent behaviour.

    Returns
    -------
    array of shape (n_frames, ...), float64.
    """
    out = np.array(values, dtype=np.float64)
    n = out.shape[0]
    if n < 3:
        return out
    flat = out.reshape(n, -1)
    t = np.asarray(time_s, dtype=np.float64)
    valid = np.isfinite(flat)
    rows = np.arange(n)[:, None]
    prev = np.maximum.accumulate(np.where(valid, rows, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, rows, n)[::-1], axis=0)[::-1]
    fill = ~valid & (prev >= 0) & (nxt < n)
    if not fill.any():
        return out
    prev_c, next_c = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
    span = t[next_c] - t[prev_c]
    fill &= span - frame_period_s(t) <= max_gap_s + 1e-9
    cols = np.broadcast_to(np.arange(flat.shape[1]), flat.shape)
    weight = (np.broadcast_to(t[:, None], flat.shape) - t[prev_c]) / np.where(span > 0, span, 1.0)
    filled = flat[prev_c, cols] * (1.0 - weight) + flat[next_c, cols] * weight
    flat[fill] = filled[fill]
    return out


def odd_window_frames(window_s: float, period_s: float, order: int) -> int:
    """Savitzky-Golay length in frames: the odd count nearest window_s, at least order + 3.

    At 10 fps, 0.25 s is 2.5 frames and a 3-frame quadratic fit reproduces its input exactly,
    so the floor of order + 3 (5 frames for order 2) keeps the smoothing effective.
    """
    frames = round(window_s / period_s) if np.isfinite(period_s) and period_s > 0 else 0
    frames = max(frames, order + 3)
    return frames if frames % 2 == 1 else frames + 1


def running_median(values: np.ndarray, time_s: np.ndarray, window_s: float) -> np.ndarray:
    """Median of each frame's window_s neighbourhood (an odd number of frames, at least 3) of a
    per-frame signal (n_frames,), NaN frames left out; NaN where the frame itself is NaN."""
    x = np.asarray(values, dtype=np.float64)
    period = frame_period_s(time_s)
    frames = round(window_s / period) if np.isfinite(period) and period > 0 else 0
    half = max(frames // 2, 1)
    if x.size == 0:
        return x.copy()
    padded = np.pad(x, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
        return np.where(np.isfinite(x), np.nanmedian(windows, axis=1), np.nan)


def savgol_smooth(
    values: np.ndarray, time_s: np.ndarray, window_s: float = 0.25, order: int = 2, mode: str = "interp"
) -> np.ndarray:
    """Savitzky-Golay smoothing along time, within each run of complete frames.

    values has shape (n_frames, ...). A frame is complete when all its elements are finite;
    runs shorter than the filter are returned unsmoothed and NaN frames stay NaN. mode is
    the edge handling of filters.savgol_filter ("interp" fits the last window; "mirror" keeps the
    edges flat, for signals whose spurious slope at the edges would read as movement).
    Returns float64 of the same shape.
    """
    out = np.array(values, dtype=np.float64)
    n = out.shape[0]
    length = odd_window_frames(window_s, frame_period_s(time_s), order)
    complete = np.isfinite(out).reshape(n, -1).all(axis=1) if n else np.zeros(0, dtype=bool)
    for start, stop in true_runs(complete):
        if stop - start >= length:
            out[start:stop] = savgol_filter(out[start:stop], length, order, axis=0, mode=mode)
    return out


def speed_per_s(positions: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Speed of points between consecutive frames, in position units per second.

    positions has shape (n_frames, ..., 2); returns shape (n_frames, ...) where row i is the
    speed from frame i-1 to i. Row 0, rows next to a NaN and rows after a time jump of more
    than 1.5 frame periods (a dropped stretch) are NaN.
    """
    pos = np.asarray(positions, dtype=np.float64)
    t = np.asarray(time_s, dtype=np.float64)
    out = np.full(pos.shape[:-1], np.nan)
    if pos.shape[0] < 2:
        return out
    dt = np.diff(t)
    dt = np.where((dt > 0) & (dt <= 1.5 * frame_period_s(t)), dt, np.nan)
    step = np.linalg.norm(np.diff(pos, axis=0), axis=-1)
    out[1:] = step / dt.reshape((-1,) + (1,) * (step.ndim - 1))
    return out


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the runs of True in a 1-D boolean array."""
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def coverage_share(valid: np.ndarray) -> float:
    """Share of frames (0..1) where a measurement exists; NaN for an empty session."""
    valid = np.asarray(valid, dtype=bool)
    return float(valid.mean()) if valid.size else float("nan")


def inter_ocular_distance_px(face_xy: np.ndarray) -> np.ndarray:
    """Distance between the outer eye corners (Face Mesh 33 and 263), shape (n_frames,) px."""
    return np.linalg.norm(
        np.asarray(face_xy[:, FACE_LEFT_EYE_OUTER], np.float64)
        - np.asarray(face_xy[:, FACE_RIGHT_EYE_OUTER], np.float64),
        axis=-1,
    )


def pose_points(pose_xy: np.ndarray, visibility: np.ndarray, min_visibility: float) -> np.ndarray:
    """Pose keypoints (n_frames, 33, 2) px as float64, NaN where visibility < min_visibility."""
    out = np.array(pose_xy, dtype=np.float64)
    out[np.asarray(visibility, dtype=np.float64) < min_visibility] = np.nan
    return out


def shoulder_width_px(pose_xy: np.ndarray) -> float:
    """Session median shoulder width (Pose 11-12) in px; NaN when shoulders were never seen.

    A session constant rather than a per-frame value, so that keypoint jitter of the
    shoulders does not leak into every normalised signal.
    """
    width = np.linalg.norm(pose_xy[:, POSE_LEFT_SHOULDER] - pose_xy[:, POSE_RIGHT_SHOULDER], axis=-1)
    width = width[np.isfinite(width) & (width > 0)]
    return float(np.median(width)) if width.size else float("nan")


def nanmean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (no warning) when there are none."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else float("nan")


def nanquantile(values: np.ndarray, q: float) -> float:
    """q-quantile of the finite values; NaN (no warning) when there are none."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(np.quantile(finite, q)) if finite.size else float("nan")


def nanstd(values: np.ndarray) -> float:
    """Population standard deviation of the finite values; NaN when there are none."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.std()) if finite.size else float("nan")


def share_of(condition: np.ndarray, valid: np.ndarray) -> float:
    """Share of valid frames where condition holds; NaN when no frame is valid."""
    valid = np.asarray(valid, dtype=bool)
    count = int(valid.sum())
    return float(np.asarray(condition, dtype=bool)[valid].sum() / count) if count else float("nan")


def valid_minutes(valid: np.ndarray, time_s: np.ndarray) -> float:
    """Minutes covered by the valid frames (count x frame period / 60); 0 when none."""
    period = frame_period_s(time_s)
    return float(np.sum(valid)) * period / 60.0 if np.isfinite(period) else 0.0


def per_minute(count: int, valid: np.ndarray, time_s: np.ndarray) -> float:
    """count per minute of the valid frames' time; NaN when no frame is valid."""
    minutes = valid_minutes(valid, time_s)
    return count / minutes if minutes > 0 else float("nan")
