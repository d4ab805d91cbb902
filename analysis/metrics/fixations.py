"""Fixations by dispersion threshold (I-DT, Salvucci & Goldberg, ETRA 2000), and when the frame
rate and the gaze noise allow telling them from noise.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.timeseries.preprocessing import frame_period_s, true_runs


def fixation_durations_s(yaw_pitch: np.ndarray, time_s: np.ndarray, config: MetricsConfig) -> np.ndarray:
    """Fixation durations (s) by I-DT: a fixation is a stretch of consecutive frames lasting
    >= fixation_min_s whose dispersion (yaw range + pitch range, deg) stays <= the threshold.

    yaw_pitch has shape (n_frames, 2); NaN frames and time jumps (> 1.5 periods) end a
    fixation. Duration = frames x frame period.
    """
    period = frame_period_s(time_s)
    if not np.isfinite(period):
        return np.zeros(0)
    valid = np.isfinite(yaw_pitch).all(axis=1)
    min_frames = max(round(config.fixation_min_s / period), 2)
    durations = []
    steps = np.diff(time_s) <= 1.5 * period
    for a, b in true_runs(valid):
        breaks = np.flatnonzero(~steps[a : b - 1]) + a + 1
        for lo, hi in zip(np.concatenate(([a], breaks)), np.concatenate((breaks, [b])), strict=True):
            durations.extend(
                c * period for c in _idt(yaw_pitch[lo:hi], min_frames, config.fixation_dispersion_deg)
            )
    return np.asarray(durations, dtype=np.float64)


def _idt(points: np.ndarray, min_frames: int, max_dispersion: float) -> list[int]:
    """Frame counts of the I-DT fixations in one gap-free stretch of (yaw, pitch) points."""
    counts, start, n = [], 0, points.shape[0]
    while start + min_frames <= n:
        window = points[start : start + min_frames]
        low, high = window.min(axis=0), window.max(axis=0)
        if (high - low).sum() > max_dispersion:
            start += 1
            continue
        stop = start + min_frames
        while stop < n:
            new_low, new_high = np.minimum(low, points[stop]), np.maximum(high, points[stop])
            if (new_high - new_low).sum() > max_dispersion:
                break
            low, high, stop = new_low, new_high, stop + 1
        counts.append(stop - start)
        start = stop
    return counts


def fixations_withheld(period_s: float, noise_deg: float, config: MetricsConfig) -> str:
    """Why I-DT fixations cannot be told from noise here ("" when they can): the minimum
    duration must span at least 5 frames (the dispersion of fewer samples says nothing about
    stability) and the dispersion threshold must be at least 8 x the gaze noise (the yaw + pitch
    range of 5 samples of pure noise is 4.7 SD on average)."""
    frames = config.fixation_min_s / period_s if np.isfinite(period_s) else 0.0
    if frames < 5 - 1e-9:
        return (
            f"a {config.fixation_min_s:g} s fixation is {frames:.0f} frames at this frame rate; "
            "fixations need at least 5"
        )
    if np.isfinite(noise_deg) and config.fixation_dispersion_deg < 8.0 * noise_deg:
        return (
            f"gaze noise ({noise_deg:.1f} deg) is too high for fixations of "
            f"{config.fixation_dispersion_deg:g} deg dispersion"
        )
    return ""
