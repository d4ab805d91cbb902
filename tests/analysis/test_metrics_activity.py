"""Agitation / activity index and fidget index on synthetic upper-body motion."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import MetricsConfig
from analysis.metrics.activity import activity_report, agitation_share, upper_body_speed_sw_s
from tests.analysis.metrics_synthetic import SHOULDER_WIDTH_PX, burst, put_body, session


def values_of(tracks) -> dict[str, float]:
    report = activity_report(tracks, window_s=10.0, config=MetricsConfig())
    return {k: m.value for k, m in report.metrics["stereotypy"].items()}


def test_activity_of_a_uniform_drift_is_its_speed_in_shoulder_widths():
    tracks, t = session(20.0)
    put_body(tracks, noise_px=0.0)
    # Every upper-body keypoint drifts right at 0.5 shoulder widths per second.
    tracks.pose_xy[:, :, 0] += (0.5 * SHOULDER_WIDTH_PX * t)[:, None]
    speed = upper_body_speed_sw_s(tracks, MetricsConfig())
    assert np.isnan(speed[0])
    np.testing.assert_allclose(speed[1:], 0.5, rtol=1e-4)
    assert values_of(tracks)["stereotypy.agitation_index"] == pytest.approx(0.5, rel=1e-4)


def test_activity_does_not_depend_on_the_camera_distance():
    near, t = session(10.0)
    put_body(near, noise_px=0.0)
    far, _ = session(10.0)
    put_body(far, noise_px=0.0)
    far.pose_xy[:] = 0.5 * far.pose_xy  # the same person twice as far: half the px
    wave = burst(t, 1.0, 0.0, 10.0, 0.3 * SHOULDER_WIDTH_PX)
    near.pose_xy[:, 16, 0] += wave
    far.pose_xy[:, 16, 0] += 0.5 * wave
    assert values_of(far)["stereotypy.agitation_index"] == pytest.approx(
        values_of(near)["stereotypy.agitation_index"], rel=1e-3
    )


def test_agitation_share_counts_windows_above_the_reference():
    t = np.arange(600) / 10  # 60 one-second windows
    rng = np.random.default_rng(0)
    activity = 0.1 + 0.01 * rng.standard_normal(600)
    activity[100:130] = 1.0  # three agitated seconds
    share = agitation_share(activity, t, 1.0, 0.25)
    assert share.value == pytest.approx(3 / 60)
    assert share.analysable_s == pytest.approx(60.0)


def test_fidget_index_sees_fast_hand_motion_but_not_slow_motion():
    slow, t = session(12.0)
    put_body(slow, noise_px=0.0)
    slow.pose_xy[:, 15, 1] += burst(t, 0.7, 0.0, 12.0, 0.2 * SHOULDER_WIDTH_PX)
    fast, _ = session(12.0)
    put_body(fast, noise_px=0.0)
    fast.pose_xy[:, 15, 1] += burst(t, 3.0, 0.0, 12.0, 0.2 * SHOULDER_WIDTH_PX)
    # RMS of a 0.2 SW sine is 0.14 SW; it moves one hand of two, so the mean over hands is 0.07.
    assert values_of(fast)["stereotypy.fidget_index"] == pytest.approx(0.2 / np.sqrt(2) / 2, rel=0.15)
    assert values_of(slow)["stereotypy.fidget_index"] < 0.01


def test_no_body_gives_nan():
    tracks, _ = session(10.0)
    values = values_of(tracks)
    assert all(np.isnan(v) for v in values.values())
