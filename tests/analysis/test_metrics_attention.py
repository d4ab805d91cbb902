"""Attention metrics on constructed gaze, head-pose and mouth sequences."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import GazeTarget, MetricsConfig
from analysis.metrics.attention import attention_report
from analysis.metrics.fixations import fixation_durations_s
from analysis.metrics.segments import ProtocolSegment
from tests.analysis.metrics_synthetic import canonical_face, mouth_opening, put_face, session


def report_of(
    tracks,
    target: GazeTarget | None = None,
    calibration_s: tuple[float, float] | None = (0.0, 1.0),
    config: MetricsConfig | None = None,
):
    """The attention report, with the patient looking at the target during calibration_s."""
    segments = [ProtocolSegment("calibration", *calibration_s)] if calibration_s else []
    return attention_report(
        tracks,
        window_s=10.0,
        target=target or GazeTarget.camera(),
        config=config or MetricsConfig(),
        segments=segments,
    )


def values_of(tracks, target: GazeTarget | None = None, **kwargs) -> dict[str, float]:
    return {k: m.value for k, m in report_of(tracks, target, **kwargs).metrics["attention"].items()}


def with_gaze(duration_s: float, yaw_deg: np.ndarray, pitch_deg: float = 0.0):
    tracks, t = session(duration_s)
    tracks.gaze_deg[:] = np.stack([yaw_deg, np.full_like(yaw_deg, pitch_deg)], axis=1)
    tracks.face_confidence[:] = 0.99
    return tracks, t


def test_gaze_on_target_share_matches_the_constructed_yaw():
    t = np.arange(100) / 10
    yaw = np.select([t < 4, t < 7], [0.0, 30.0], 5.0)  # on 4 s, away 3 s, on 3 s
    tracks, _ = with_gaze(10.0, yaw)
    values = values_of(tracks)
    assert values["attention.gaze_on_target_share"] == pytest.approx(0.7)
    assert values["attention.gaze_shifts_per_min"] == pytest.approx(2 * 6.0)  # 2 shifts in 10 s
    assert values["attention.looks_per_min"] == pytest.approx(2 * 6.0)
    assert values["attention.look_duration_mean_s"] == pytest.approx(3.5)
    assert values["attention.eye_gaze_share"] == 1.0


def test_head_pose_alone_uses_the_wider_15_degree_threshold():
    tracks, t = session(6.0)
    tracks.face_confidence[:] = 0.99
    yaw = np.where(t < 1.0, 0.0, 12.0)  # calibrated on the camera, then 12 deg off
    tracks.head_pose_deg[:] = np.stack([yaw, 0 * t, 0 * t], axis=1)
    assert values_of(tracks)["attention.gaze_on_target_share"] == 1.0
    tracks.gaze_deg[:] = np.stack([yaw, 0 * t], axis=1)
    assert values_of(tracks)["attention.gaze_on_target_share"] == pytest.approx(1 / 6)


def test_the_calibration_segment_gives_the_subjects_offsets():
    # The patient's measured gaze reads (20, -8) deg while looking at the camera (a bias of
    # landmark gaze), then (25, -10): 5.4 deg from the camera, on target.
    t = np.arange(50) / 10
    tracks, _ = with_gaze(5.0, np.where(t < 1.0, 20.0, 25.0))
    tracks.gaze_deg[:, 1] = np.where(t < 1.0, -8.0, -10.0)
    assert values_of(tracks)["attention.gaze_on_target_share"] == 1.0
    # Without calibration the same session is not "never on target": it is unknown.
    unknown = report_of(tracks, calibration_s=None).metrics["attention"]["attention.gaze_on_target_share"]
    assert np.isnan(unknown.value) and unknown.reason == "needs calibration"
    # A screen centred 30 deg to the patient's left: calibrated by looking at its centre.
    screen = GazeTarget.region("screen", (20.0, 40.0), (-15.0, 0.0))
    assert values_of(tracks, screen)["attention.gaze_on_target_share"] == 1.0


def test_a_one_frame_glance_is_not_a_gaze_shift_and_events_need_half_a_second():
    yaw = np.zeros(100)
    yaw[20] = 40.0  # 0.1 s glance away: ignored
    yaw[40:44] = 40.0  # 0.4 s away: a shift, too short for an event
    yaw[70:] = 40.0  # 3 s away: shift and event
    tracks, _ = with_gaze(10.0, yaw)
    report = report_of(tracks)
    values = {k: m.value for k, m in report.metrics["attention"].items()}
    assert values["attention.gaze_shifts_per_min"] == pytest.approx(3 * 6.0)
    events = report.events
    assert [(e.kind, e.body_part, e.attributes["direction"]) for e in events] == [
        ("gaze_shift", "eyes", "toward"),
        ("gaze_shift", "eyes", "away"),
    ]
    assert (events[1].start_s, events[1].end_s) == (pytest.approx(7.0), pytest.approx(10.0))


def test_fixation_durations_of_a_step_sequence():
    t = np.arange(50) / 10
    yaw = np.concatenate([np.zeros(10), np.full(20, 20.0), np.full(5, -20.0), np.full(15, 10.0)])
    rng = np.random.default_rng(0)
    yaw_pitch = np.stack([yaw + rng.normal(0, 0.5, 50), rng.normal(0, 0.5, 50)], axis=1)
    durations = fixation_durations_s(yaw_pitch, t, MetricsConfig())
    np.testing.assert_allclose(durations, [1.0, 2.0, 0.5, 1.5])
    tracks, _ = with_gaze(5.0, yaw)
    # At 10 fps a 0.2 s fixation is two frames, which noise alone fills: withheld.
    withheld = report_of(tracks).metrics["attention"]["attention.fixations_per_min"]
    assert np.isnan(withheld.value) and "at least 5" in withheld.reason
    values = values_of(tracks, config=MetricsConfig(fixation_min_s=0.5))
    assert values["attention.fixation_duration_mean_s"] == pytest.approx(1.25)
    assert values["attention.fixation_duration_median_s"] == pytest.approx(1.25)


def test_gaze_aversion_while_speaking_vs_listening():
    tracks, t = session(20.0)
    face = canonical_face()
    speaking = t < 10.0
    talking = mouth_opening(face, t, amplitude_px=9.0, freq_hz=3.0)
    still = mouth_opening(face, t, amplitude_px=0.0, freq_hz=3.0)
    put_face(tracks, np.where(speaking[:, None, None], talking, still))
    # Looks away for 8 of the 10 speaking seconds, at the camera for 8 of 10 listening seconds.
    yaw = np.where(speaking, np.where(t < 8.0, 30.0, 0.0), np.where(t < 18.0, 0.0, 30.0))
    tracks.gaze_deg[:] = np.stack([yaw, np.zeros_like(t)], axis=1)
    values = values_of(tracks, calibration_s=(8.0, 10.0))
    # The 1 s speech window blurs the speaking edge by about half a second.
    assert values["attention.speaking_share"] == pytest.approx(0.5, abs=0.04)
    assert values["attention.gaze_aversion_while_speaking_share"] == pytest.approx(0.8, abs=0.06)
    assert values["attention.gaze_aversion_while_listening_share"] == pytest.approx(0.2, abs=0.06)
    assert values["attention.gaze_aversion_speaking_minus_listening"] == pytest.approx(0.6, abs=0.1)


def test_no_gaze_gives_nan_not_zero():
    tracks, _ = session(10.0)
    report = report_of(tracks)
    for key, metric in report.metrics["attention"].items():
        if key != "attention.gaze_coverage":
            assert np.isnan(metric.value), key
    assert report.metrics["attention"]["attention.gaze_coverage"].value == 0.0
    assert report.events == [] and report.samples == []
    assert report.metrics["attention"]["attention.gaze_on_target_share"].reason == (
        "no gaze or head direction was measured"
    )
