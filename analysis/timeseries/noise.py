"""Per-session noise floors: how much a still person's tracks move on their own.

Landmark detectors jitter from frame to frame, and how much depends on the person's size in the
image and on the video. A threshold fixed in body units is then crossed by jitter alone when the
person is small (or, for some detectors, when they fill the frame), so every motion threshold
here is set relative to the jitter measured in the same session.

Jitter is estimated from second differences, d2[t] = x[t+1] - 2 x[t] + x[t-1]: for white jitter
of standard deviation sigma, d2 has standard deviation sqrt(6) sigma, while smooth movement
contributes little to it (a 0.5 Hz sway at 10 fps keeps only 10 % of its amplitude). The robust
estimate 1.4826 x median|d2| / sqrt(6) is taken in 2 s windows; the session's floor is the median
of the windows at most twice the 25th percentile, i.e. the still stretches. A session spent
moving overestimates its floor, which makes the thresholds conservative rather than loose.
"""

from __future__ import annotations

import numpy as np

from analysis.timeseries.filters import chi_quantile, savgol_coefficients
from analysis.timeseries.preprocessing import frame_period_s, odd_window_frames

MAD_TO_SD = 1.4826  # median absolute deviation to standard deviation, for normal data
NOISE_WINDOW_S = 2.0
NOISE_QUANTILE = 0.99  # a still frame's speed stays below its threshold 99 % of the time


def jitter_sd(values: np.ndarray, time_s: np.ndarray, window_s: float = NOISE_WINDOW_S) -> float:
    """Standard deviation of the frame-to-frame jitter of a signal, in its own units.

    values has shape (n_frames, ...); every trailing element is one coordinate with the same
    jitter (for example the x and y of one keypoint). NaN when no window has at least half its
    second differences measured.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    period = frame_period_s(time_s)
    if n < 3 or not np.isfinite(period):
        return float("nan")
    flat = x.reshape(n, -1)
    d2 = np.abs(flat[2:] - 2.0 * flat[1:-1] + flat[:-2])
    length = max(round(window_s / period), 5)
    estimates = []
    for start in range(0, d2.shape[0] - length + 1, length):
        chunk = d2[start : start + length]
        chunk = chunk[np.isfinite(chunk)]
        if chunk.size >= 0.5 * length * flat.shape[1]:
            estimates.append(MAD_TO_SD * np.median(chunk) / np.sqrt(6.0))
    if not estimates:
        return float("nan")
    est = np.asarray(estimates)
    still = est[est <= 2.0 * np.quantile(est, 0.25) + 1e-12]
    return float(np.median(still))


def smoothed_speed_sd(sigma: float, time_s: np.ndarray, smooth_window_s: float, order: int) -> float:
    """Standard deviation (units/s) of one coordinate's frame-to-frame velocity when a still point
    with white jitter sigma is Savitzky-Golay smoothed (as preprocessing.savgol_smooth) and then
    differenced (as preprocessing.speed_per_s): sigma x ||diff(h)|| / period, h the filter."""
    period = frame_period_s(time_s)
    if not (np.isfinite(sigma) and np.isfinite(period)):
        return float("nan")
    length = odd_window_frames(smooth_window_s, period, order)
    h = savgol_coefficients(length, order)
    gain = np.sqrt(np.sum(np.diff(np.concatenate(([0.0], h, [0.0]))) ** 2))
    return float(sigma * gain / period)


def noise_speed_threshold(speed_sd: float, dims: int, quantile: float = NOISE_QUANTILE) -> float:
    """Speed a still point's jitter stays below with the given probability: the speed of a
    dims-dimensional point whose velocity components have speed_sd follows a chi distribution."""
    return float(chi_quantile(quantile, dims) * speed_sd) if np.isfinite(speed_sd) else float("nan")


def gated(speed: np.ndarray, threshold: float) -> np.ndarray:
    """Speeds with the frames a still point's jitter could explain (speed <= threshold) set to 0:
    a mean of these is the movement's mean speed, and about 0 for a still person at any size."""
    speed = np.asarray(speed, dtype=np.float64)
    if not np.isfinite(threshold):
        return speed
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(speed), np.nan, np.where(speed > threshold, speed, 0.0))
