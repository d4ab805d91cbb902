"""Shared preprocessing and windowing helpers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics.windows import sliding_starts, tiling_windows
from analysis.timeseries.preprocessing import (
    interpolate_short_gaps,
    mask_low_confidence,
    running_median,
    savgol_smooth,
    speed_per_s,
)


def test_gaps_up_to_a_fifth_of_a_second_are_filled_linearly_and_longer_ones_kept():
    t = np.arange(20) / 10
    x = np.arange(20, dtype=float)
    x[3:5] = np.nan  # 0.2 s: filled
    x[10:13] = np.nan  # 0.3 s: kept missing
    x[0] = np.nan  # leading gap: kept missing
    filled = interpolate_short_gaps(x[:, None], t, 0.2)[:, 0]
    np.testing.assert_allclose(filled[3:5], [3.0, 4.0])
    assert np.isnan(filled[10:13]).all() and np.isnan(filled[0])


def test_low_confidence_rows_become_nan_and_unreported_confidence_keeps_them():
    values = np.ones((3, 2))
    masked = mask_low_confidence(values, np.array([0.9, 0.1, np.nan]), 0.5)
    assert np.isnan(masked[1]).all() and np.isfinite(masked[[0, 2]]).all()


def test_savgol_keeps_a_parabola_and_reduces_noise():
    t = np.arange(100) / 10
    parabola = (t**2)[:, None]
    np.testing.assert_allclose(savgol_smooth(parabola, t, 0.25, 2), parabola, atol=1e-9)
    noise = np.random.default_rng(0).normal(size=(100, 1))
    assert savgol_smooth(noise, t, 0.25, 2).std() < 0.9 * noise.std()


def test_speed_is_nan_across_missing_frames():
    t = np.arange(5) / 10
    xy = np.array([[0, 0], [1, 0], [np.nan, np.nan], [3, 0], [3, 4]], dtype=float)
    np.testing.assert_allclose(speed_per_s(xy, t), [np.nan, 10.0, np.nan, np.nan, 40.0])


def test_windows_tile_the_session_and_cut_the_last_one():
    t = np.arange(125) / 10  # frames cover [0, 12.5)
    assert tiling_windows(t, 5.0) == [(0.0, 5.0), (5.0, 10.0), (10.0, pytest.approx(12.5))]
    assert tiling_windows(np.zeros(0), 5.0) == []
    np.testing.assert_array_equal(sliding_starts(50, 40, 5), [0, 5, 10])
    with pytest.raises(ValueError, match="window_s must be positive"):
        tiling_windows(t, 0.0)


def test_running_median_damps_frame_to_frame_jitter_and_keeps_a_lean_and_the_gaps() -> None:
    t = np.arange(200) / 10.0  # 20 s at 10 fps
    lean = np.where(t < 10.0, 0.0, 10.0)  # the torso leans by 10 deg at 10 s
    jitter = np.random.default_rng(0).normal(0.0, 1.0, t.size)  # 1 deg SD, frame to frame
    values = lean + jitter
    values[30] = np.nan
    median = running_median(values, t, 1.0)
    away = (np.abs(t - 10.0) > 0.6) & np.isfinite(values)
    # A median of 11 frames keeps about a third of white jitter's SD (sqrt(pi / 2 / 11) = 0.38).
    assert np.std(median[away] - lean[away]) < 0.5
    assert abs(np.mean(median[away] - lean[away])) < 0.2  # the lean is kept
    assert np.isnan(median[30])
