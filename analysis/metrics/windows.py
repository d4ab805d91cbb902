"""Time windows: the fixed tiling for window samples and the sliding windows of the
periodicity detector.

A frame at time t stands for [t, t + frame period), so a session of frames t_0..t_{n-1}
covers [t_0, t_{n-1} + period). Window samples tile that span with windows of window_s
starting at t_0; the last window is cut at the session end.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from analysis.results import WindowSample
from analysis.timeseries.preprocessing import frame_period_s


def session_span_s(time_s: np.ndarray) -> tuple[float, float]:
    """(start, end) of the session in seconds; (NaN, NaN) when there is no frame."""
    t = np.asarray(time_s, dtype=np.float64)
    if t.size == 0:
        return float("nan"), float("nan")
    period = frame_period_s(t)
    return float(t[0]), float(t[-1] + (period if np.isfinite(period) else 0.0))


def tiling_windows(time_s: np.ndarray, window_s: float) -> list[tuple[float, float]]:
    """Consecutive [start, end) windows of window_s covering the session, the last one cut
    at the session end. Empty for an empty session."""
    if window_s <= 0:
        raise ValueError(f"window_s must be positive seconds, got {window_s}.")
    start, end = session_span_s(time_s)
    if not np.isfinite(start) or end <= start:
        return []
    count = int(np.ceil((end - start) / window_s - 1e-9))
    return [(start + k * window_s, min(start + (k + 1) * window_s, end)) for k in range(count)]


def frames_in(time_s: np.ndarray, start_s: float, end_s: float) -> slice:
    """Slice of the (time-ordered) frames whose time lies in [start_s, end_s)."""
    t = np.asarray(time_s, dtype=np.float64)
    return slice(int(np.searchsorted(t, start_s - 1e-9)), int(np.searchsorted(t, end_s - 1e-9)))


def sliding_starts(n_frames: int, length: int, hop: int) -> np.ndarray:
    """Start indices of sliding windows of `length` frames every `hop` frames that fit in
    n_frames (empty when the session is shorter than one window)."""
    if length <= 0 or hop <= 0 or n_frames < length:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_frames - length + 1, hop, dtype=np.int64)


def window_samples(
    metric: str,
    unit: str,
    time_s: np.ndarray,
    windows: list[tuple[float, float]],
    statistic: Callable[[slice, float, float], float],
) -> list[WindowSample]:
    """One WindowSample per window, statistic(frames, start_s, end_s) giving its value
    (NaN when the window has no usable frame)."""
    return [
        WindowSample(metric, start, end, float(statistic(frames_in(time_s, start, end), start, end)), unit)
        for start, end in windows
    ]
