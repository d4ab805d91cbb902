"""The face, head and gaze findings of "numbers a clinician can trust", each on synthetic tracks
with a known answer: a still face reads still at any size, head-pose jitter is not head motion,
an uncalibrated gaze is unknown and a calibrated stare has no shifts, valence counts all seven
expressions, and expressive variety is measured across time, not as per-frame uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import GazeTarget, MetricsConfig, ProtocolSegment
from analysis.metrics.apathy import apathy_report
from analysis.metrics.attention import attention_report
from analysis.tracks import EMOTION_CLASSES
from tests.analysis.metrics_synthetic import IOD_PX, LOWER_LIP, canonical_face, put_face, session


def apathy_values(tracks, segments=None) -> dict:
    return apathy_report(tracks, window_s=10.0, config=MetricsConfig(), segments=segments).metrics["apathy"]


def attention_values(tracks, segments=None) -> dict:
    report = attention_report(
        tracks, window_s=10.0, target=GazeTarget.camera(), config=MetricsConfig(), segments=segments
    )
    return report.metrics["attention"]


def still_face(iod_px: float, jitter_px: float, *, duration_s: float = 20.0, seed: int = 0):
    tracks, t = session(duration_s)
    face = canonical_face() * (iod_px / IOD_PX) + np.array([320.0, 200.0])
    rng = np.random.default_rng(seed)
    put_face(tracks, face[None] + rng.normal(0.0, jitter_px, (t.size, 478, 2)))
    return tracks, t


@pytest.mark.parametrize("iod_px", [30.0, 60.0, 120.0])
def test_a_still_face_has_no_facial_motion_at_any_size(iod_px):
    # Finding: 0.5 px jitter gave a facial-motion active share of 0.00 at 60 px and 0.99 at 30 px.
    tracks, _ = still_face(iod_px, 0.5)
    values = apathy_values(tracks)
    for region in ("brows", "lids", "mouth"):
        # 1 % of frames: the jitter threshold is the 99th percentile of a single landmark's speed,
        # and a region's mean speed is steadier than one landmark's.
        assert values[f"apathy.facial_motion.{region}.active_share"].value <= 0.01
    # 0.02 IOD/s: a fifth of the slowest facial movement that counts as active (0.1 IOD/s).
    assert values["apathy.facial_motion_energy"].value < 0.02
    assert values["apathy.face_jitter_iod"].value == pytest.approx(0.5 / iod_px, rel=0.3)
    assert values["apathy.inter_ocular_distance_px"].value == pytest.approx(iod_px, rel=0.02)


def test_a_still_small_face_is_not_speaking():
    # Finding: 1 px jitter at an IOD of 30 px marked 75 % of the frames as speaking.
    tracks, _ = still_face(30.0, 1.0)
    values = attention_values(tracks)
    assert values["attention.speaking_share"].value < 0.02


def test_a_face_below_the_minimum_size_is_withheld_with_the_reason():
    tracks, _ = still_face(15.0, 0.5)
    values = apathy_values(tracks)
    energy = values["apathy.facial_motion_energy"]
    assert np.isnan(energy.value) and "15 px" in energy.reason
    assert np.isnan(attention_values(tracks)["attention.speaking_share"].value)


def test_head_pose_jitter_is_not_head_motion():
    # Finding: head-pose jitter of 1 deg SD read 10.5 deg/s and a head still share of 0.10.
    tracks, t = session(30.0)
    tracks.face_confidence[:] = 0.99
    rng = np.random.default_rng(4)
    tracks.head_pose_deg[:] = rng.normal(0.0, 1.0, (t.size, 3))
    values = apathy_values(tracks)
    assert values["apathy.head_still_share"].value >= 0.9
    # 1 deg/s: a fifth of the 5 deg/s a still head may turn at.
    assert values["apathy.head_motion_deg_s"].value < 1.0


def test_head_turning_above_the_jitter_is_still_measured():
    tracks, t = session(20.0)
    tracks.face_confidence[:] = 0.99
    rng = np.random.default_rng(5)
    # 1 deg of jitter at 10 fps moves a still head by up to 22 deg/s (99th percentile after
    # smoothing), so the turn must be faster than that to be told from it: 40 deg/s.
    yaw = np.where(t < 10.0, 0.0, 40.0 * (t - 10.0)) + rng.normal(0.0, 1.0, t.size)
    tracks.head_pose_deg[:] = np.stack([yaw, rng.normal(0, 1.0, t.size), rng.normal(0, 1.0, t.size)], axis=1)
    values = apathy_values(tracks)
    assert values["apathy.head_still_share"].value == pytest.approx(0.5, abs=0.07)
    # Half the session at 40 deg/s: 20 deg/s; 2 deg/s for the jitter riding on the turn.
    assert values["apathy.head_motion_deg_s"].value == pytest.approx(20.0, abs=2.0)


def staring(duration_s: float = 120.0, *, pitch_bias_deg: float = -12.0, noise_deg: float = 2.0):
    tracks, t = session(duration_s)
    tracks.face_confidence[:] = 0.99
    rng = np.random.default_rng(6)
    tracks.gaze_deg[:] = np.stack(
        [rng.normal(0.0, noise_deg, t.size), pitch_bias_deg + rng.normal(0.0, noise_deg, t.size)], axis=1
    )
    return tracks


def test_an_uncalibrated_stare_is_unknown_not_sixty_shifts_a_minute():
    # Finding: 120 s staring at the camera (uncalibrated pitch bias, 2 deg noise) gave 61 gaze
    # shifts per minute, and gaze on target read 0 % in every session.
    values = attention_values(staring())
    for key in (
        "attention.gaze_on_target_share",
        "attention.gaze_shifts_per_min",
        "attention.fixations_per_min",
    ):
        assert np.isnan(values[key].value) and values[key].reason == "needs calibration", key


def test_a_calibrated_stare_is_on_target_without_shifts_or_fixations_made_of_noise():
    # Finding: even without bias, I-DT at 10 fps reported 114-178 fixations per minute.
    values = attention_values(staring(), [ProtocolSegment("calibration", 0.0, 5.0)])
    assert values["attention.gaze_on_target_share"].value >= 0.99
    assert values["attention.gaze_shifts_per_min"].value == 0.0
    assert values["attention.gaze_shifts_per_min"].analysable_s == pytest.approx(120.0)
    assert np.isnan(values["attention.fixations_per_min"].value)
    assert values["attention.gaze_noise_deg"].value == pytest.approx(2.0 * np.sqrt(2), rel=0.3)


def with_expressions(rows: list[np.ndarray]):
    probs = np.array(rows, dtype=np.float64)
    tracks, _ = session(probs.shape[0] / 10.0)
    tracks.emotion_probs[:] = probs
    tracks.face_confidence[:] = 0.99
    return tracks


def clear(name: str, p: float = 0.85) -> np.ndarray:
    row = np.full(7, (1 - p) / 6)
    row[EMOTION_CLASSES.index(name)] = p
    return row


def test_valence_counts_anger_fear_and_disgust_and_an_angry_face_is_negative():
    # Finding: a constantly angry face and an alternating happy/sad face both gave valence 0.00.
    angry = apathy_values(with_expressions([clear("angry")] * 100))["apathy.valence_mean"]
    # P(happy) - P(angry + disgust + fear + sad) = 0.025 - (0.85 + 3 x 0.025) = -0.9.
    assert angry.value == pytest.approx(-0.9) and angry.unit == "valence"
    alternating = [clear("happy")] * 10 + [clear("sad")] * 10
    assert apathy_values(with_expressions(alternating * 5))["apathy.valence_mean"].value == pytest.approx(
        0.5 * (0.85 - 0.1) + 0.5 * (0.025 - 0.925)
    )


def test_expressive_variety_is_across_time_not_per_frame_uncertainty():
    # Finding: the per-frame entropy gave 2.79 bits for a flat output and 0.48 for clear
    # alternating expressions: it measured the classifier's doubt, not variety.
    flat = apathy_values(with_expressions([np.full(7, 1 / 7)] * 100))
    assert np.isnan(flat["apathy.expression_variety_bits"].value)
    assert flat["apathy.expressions_held_count"].value == 0
    assert flat["apathy.expression_uncertainty_bits"].value == pytest.approx(np.log2(7))
    varied = apathy_values(with_expressions(([clear("happy")] * 10 + [clear("sad")] * 10) * 5))
    assert varied["apathy.expression_variety_bits"].value == pytest.approx(1.0)  # two, half each
    assert varied["apathy.expressions_held_count"].value == 2
    one = apathy_values(with_expressions([clear("angry")] * 100))
    assert one["apathy.expression_variety_bits"].value == 0.0


def test_positive_and_negative_stories_no_longer_cancel():
    # Finding: a reactive patient whose happy and sad stories cancel looked as flat as a blunted
    # one. Per story: valence +0.75 in the positive story, -0.9 in the negative one.
    reactive = with_expressions([clear("happy")] * 100 + [clear("sad")] * 100)
    stories = [ProtocolSegment("positive_story", 0.0, 10.0), ProtocolSegment("negative_story", 10.0, 20.0)]
    values = apathy_values(reactive, stories)
    assert values["apathy.positive_story.valence_mean"].value == pytest.approx(0.75)
    assert values["apathy.negative_story.valence_mean"].value == pytest.approx(-0.9)
    assert values["apathy.valence_change_positive_minus_negative"].value == pytest.approx(1.65)
    blunted = apathy_values(with_expressions([clear("neutral")] * 200), stories)
    assert blunted["apathy.valence_change_positive_minus_negative"].value == pytest.approx(0.0)
    unmarked = apathy_values(reactive)["apathy.valence_change_positive_minus_negative"]
    assert np.isnan(unmarked.value) and "story" in unmarked.reason


def test_landmark_action_units_have_their_intensity_and_frequency():
    # Lip corners pulled 0.1 IOD further apart (6 px at 60 px IOD) for the second half of the
    # session, the jaw dropped by 0.2 IOD for 2 s: AU12 active half the time at 0.1 IOD, AU26 a
    # tenth of the time at 0.2 IOD, brows never. 0.01 IOD: smoothing at the onsets.
    tracks, t = still_face(60.0, 0.3, duration_s=20.0)
    smiling = t >= 10.0
    across = tracks.face_xy[0, 291] - tracks.face_xy[0, 61]
    across /= np.linalg.norm(across)
    tracks.face_xy[smiling, 61] -= 3.0 * across
    tracks.face_xy[smiling, 291] += 3.0 * across
    dropped = (t >= 4.0) & (t < 6.0)
    down = tracks.face_xy[0, 152] - tracks.face_xy[0, 1]
    tracks.face_xy[dropped, 152] += 12.0 * down / np.linalg.norm(down)
    neutral = [ProtocolSegment("neutral", 0.0, 4.0)]
    values = apathy_values(tracks, neutral)
    assert values["apathy.au.lip_corner_puller.frequency"].value == pytest.approx(0.5, abs=0.03)
    assert values["apathy.au.lip_corner_puller.intensity_iod"].value == pytest.approx(0.1, abs=0.01)
    assert values["apathy.au.jaw_drop.frequency"].value == pytest.approx(0.1, abs=0.03)
    assert values["apathy.au.jaw_drop.intensity_iod"].value == pytest.approx(0.2, abs=0.02)
    for still in ("brow_lowerer", "inner_brow_raiser", "outer_brow_raiser"):
        assert values[f"apathy.au.{still}.frequency"].value == 0.0
        assert np.isnan(values[f"apathy.au.{still}.intensity_iod"].value)


def turning_face(duration_s: float, yaw_deg: np.ndarray, *, mouth_px: float = 0.0):
    """The canonical face given depth (+-0.5 IOD, nose forward) and turned by yaw_deg about the
    vertical axis, projected orthographically; optionally the lower lip opening at 1 Hz."""
    tracks, t = session(duration_s)
    face = canonical_face()
    depth = np.random.default_rng(3).uniform(-0.5, 0.5, 478) * IOD_PX
    depth[[1, 4, 5]] = 0.8 * IOD_PX  # the nose tip stands out
    drop = mouth_px * (1 - np.cos(2 * np.pi * 1.0 * t)) / 2
    angle = np.deg2rad(yaw_deg)
    x = face[None, :, 0] * np.cos(angle)[:, None] + depth[None] * np.sin(angle)[:, None]
    y = np.repeat(face[None, :, 1], t.size, axis=0)
    y[:, list(LOWER_LIP)] += drop[:, None]
    put_face(tracks, np.stack([x + 320.0, y + 200.0], axis=-1))
    tracks.head_pose_deg[:] = np.stack([yaw_deg, 0 * t, 0 * t], axis=1)
    return tracks, t


def test_head_yaw_is_not_facial_motion():
    # Finding: head yaw of +-15 deg with no expression gave facial motion 0.074 IOD/s, more than a
    # 0.2 IOD mouth opening at 1 Hz (0.089), because a 2-D similarity cannot remove yaw.
    t = np.arange(200) / 10
    yaw = 15.0 * np.sin(2 * np.pi * 0.3 * t)
    turning, _ = turning_face(20.0, yaw)
    # 0.005 IOD/s: the float32 rounding of the landmarks and the smoothing's edge frames.
    assert apathy_values(turning)["apathy.facial_motion_energy"].value < 0.005
    talking, _ = turning_face(20.0, yaw, mouth_px=0.2 * IOD_PX)
    mouth = apathy_values(talking)["apathy.facial_motion.mouth.mean"].value
    # As in test_metrics_apathy: the lower lip's mean speed 2 A f = 0.4 IOD/s on 18 of 40 mouth
    # landmarks, 10 % for smoothing at 10 fps.
    assert mouth == pytest.approx(2 * 0.2 * 1.0 * 18 / 40, rel=0.1)
