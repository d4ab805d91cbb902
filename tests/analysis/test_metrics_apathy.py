"""Apathy metrics on constructed faces, expression probabilities and head poses."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import MetricsConfig
from analysis.metrics.apathy import apathy_report
from analysis.metrics.expressions import emotion_entropy_bits, stable_switch_times
from analysis.tracks import EMOTION_CLASSES
from tests.analysis.metrics_synthetic import canonical_face, mouth_opening, put_face, rigidly_moved, session


def values_of(tracks) -> dict[str, float]:
    report = apathy_report(tracks, window_s=10.0, config=MetricsConfig())
    return {k: m.value for k, m in report.metrics["apathy"].items()}


def test_a_rigidly_moving_face_has_no_facial_motion():
    tracks, t = session(10.0)
    put_face(tracks, rigidly_moved(canonical_face(), t))
    values = values_of(tracks)
    # The head moves by up to 40 px/frame-scale amounts; what is left is float32 rounding.
    assert values["apathy.facial_motion_energy"] < 1e-3
    assert values["apathy.facial_motion.mouth.active_share"] == 0.0


def test_mouth_movement_shows_as_mouth_motion_under_head_motion():
    tracks, t = session(10.0)
    face = canonical_face()
    opening = mouth_opening(face, t, amplitude_px=12.0, freq_hz=1.0) - np.array([320.0, 200.0])
    moving = np.stack([rigidly_moved(opening[i], t[i : i + 1])[0] for i in range(t.size)])
    put_face(tracks, moving)
    values = values_of(tracks)
    # The lower lip follows A (1 - cos 2 pi f t) / 2 with A = 12 px = 0.2 IOD, f = 1 Hz: its mean
    # speed is 2 A f = 0.4 IOD/s; 18 of the 40 mouth landmarks move. 10 %: the smoothing and
    # the finite differences at 10 fps slightly lower the peaks.
    expected_mouth = 2 * 0.2 * 1.0 * 18 / 40
    assert values["apathy.facial_motion.mouth.mean"] == pytest.approx(expected_mouth, rel=0.1)
    assert values["apathy.facial_motion.mouth.active_share"] > 0.5
    assert values["apathy.facial_motion.brows.mean"] < 0.05 * values["apathy.facial_motion.mouth.mean"]


def test_emotion_shares_equal_the_constructed_fractions():
    tracks, _ = session(10.0)  # 100 frames
    tops = ["neutral"] * 50 + ["happy"] * 30 + ["sad"] * 20
    probs = np.full((100, 7), 0.05)
    for i, name in enumerate(tops):
        probs[i, EMOTION_CLASSES.index(name)] = 0.7
    tracks.emotion_probs[:] = probs
    tracks.face_confidence[:] = 0.99
    values = values_of(tracks)
    assert values["apathy.emotion_share.neutral"] == pytest.approx(0.5)
    assert values["apathy.emotion_share.happy"] == pytest.approx(0.3)
    assert values["apathy.emotion_share.sad"] == pytest.approx(0.2)
    assert values["apathy.emotion_share.angry"] == 0.0
    assert values["apathy.neutral_share"] == pytest.approx(0.5)
    assert values["apathy.positive_share"] == pytest.approx(0.3)
    assert values["apathy.emotion_mean_prob.happy"] == pytest.approx(0.3 * 0.7 + 0.7 * 0.05)
    # Valence P(happy) - P(angry + disgust + fear + sad): neutral frames 0.05 - 0.20 = -0.15,
    # happy frames 0.70 - 0.20 = 0.50, sad frames 0.05 - 0.85 = -0.80.
    assert values["apathy.valence_mean"] == pytest.approx(0.5 * -0.15 + 0.3 * 0.5 + 0.2 * -0.8)
    # Two changes of top class (neutral->happy, happy->sad) over 10 s: 12 per minute.
    assert values["apathy.emotion_switches_per_min"] == pytest.approx(12.0)
    assert values["apathy.emotion_coverage"] == 1.0


def test_entropy_of_uniform_probabilities_is_log2_7_and_of_a_sure_class_is_0():
    probs = np.array([[1 / 7] * 7, [0, 0, 0, 1, 0, 0, 0], [np.nan] * 7])
    entropy = emotion_entropy_bits(probs)
    assert entropy[0] == pytest.approx(np.log2(7))
    assert entropy[1] == 0.0
    assert np.isnan(entropy[2])


def test_a_one_frame_flicker_is_not_an_emotion_switch():
    t = np.arange(30) / 10
    labels = np.array([6] * 10 + [3] + [6] * 19)
    assert stable_switch_times(labels, t, 0.5).size == 0


def test_head_motion_speed_and_still_share():
    tracks, t = session(20.0)
    tracks.face_confidence[:] = 0.99
    yaw = np.where(t < 10.0, 0.0, 20.0 * (t - 10.0))  # still, then turning at 20 deg/s
    tracks.head_pose_deg[:] = np.stack([yaw, np.zeros_like(t), np.zeros_like(t)], axis=1)
    values = values_of(tracks)
    assert values["apathy.head_still_share"] == pytest.approx(0.5, abs=0.05)
    assert values["apathy.head_motion_deg_s"] == pytest.approx(10.0, abs=0.5)


def test_no_face_gives_nan_values_with_zero_coverage():
    tracks, _ = session(10.0)
    values = values_of(tracks)
    assert values["apathy.face_coverage"] == 0.0
    for key, value in values.items():
        if not key.endswith("_coverage"):
            assert np.isnan(value), key


def test_window_samples_tile_the_session():
    tracks, _ = session(25.0)
    report = apathy_report(tracks, window_s=10.0, config=MetricsConfig())
    bounds = [
        (s.window_start_s, s.window_end_s) for s in report.samples if s.metric == "apathy.neutral_share"
    ]
    assert bounds == [(0.0, 10.0), (10.0, 20.0), (20.0, pytest.approx(25.0))]
