"""Eye contact and mutual gaze on synthetic tracks with known answers.

A minute at 10 fps: the patient's face at x = 200 px, the other person's at x = 500 px (both
80 px boxes, same height). The patient looks at the camera during the calibration (0-3 s) and
until 10 s, toward the other person (gaze yaw +60 deg, the image's right) in 10-30 s and 50-60 s,
away from them (yaw -60 deg) in 30-50 s; every direction carries the same bias (yaw +8, pitch
-20 deg) that the calibration removes. Shares and rates are frame counts over frame counts:
exact, tolerance 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.audio import STATUS_NO_AUDIO, STATUS_SPEECH, SpeechAnalysis, SpeechSegment
from analysis.metrics.config import MetricsConfig
from analysis.metrics.eye_contact import (
    KEYS,
    MIN_OFF_AXIS_DEG,
    NO_OTHER_HEAD_POSE,
    NO_SECOND_PERSON,
    eye_contact_frames,
    image_plane_direction_deg,
    looks_at,
)
from analysis.metrics.interaction import FAMILY, METRIC_DEFINITIONS, interaction_report
from analysis.metrics.segments import ProtocolSegment
from analysis.speaker_attribution import OTHER, PATIENT
from analysis.tracks import FACE_LEFT_EYE_OUTER, FACE_RIGHT_EYE_OUTER, Tracks

FPS, DURATION_S = 10, 60.0
TIME_S = np.arange(round(DURATION_S * FPS)) / FPS
PATIENT_X, OTHER_X, FACE_Y, FACE_PX = 200.0, 500.0, 300.0, 80.0
BIAS_DEG = np.array([8.0, -20.0])
CALIBRATION = [ProtocolSegment("calibration", 0.0, 3.0)]
TOWARD = ((TIME_S >= 10) & (TIME_S < 30)) | (TIME_S >= 50)
AWAY = (TIME_S >= 30) & (TIME_S < 50)
# The other person's head turns to the patient (yaw -60: the image's left) in 10-20 s and 52-58 s.
OTHER_LOOKS_BACK = ((TIME_S >= 10) & (TIME_S < 20)) | ((TIME_S >= 52) & (TIME_S < 58))


def _rows(x: float, person: int, *, patient: bool) -> Tracks:
    rows = Tracks.empty(TIME_S.size)
    rows.frame, rows.time_s = np.arange(TIME_S.size), TIME_S.copy()
    rows.person_id[:], rows.is_patient[:] = person, patient
    rows.bbox_xywh[:] = (x - FACE_PX / 2, FACE_Y - FACE_PX / 2, FACE_PX, FACE_PX)
    rows.face_confidence[:] = 0.9
    return rows


def session(*, patient_yaw: np.ndarray | None = None, second_person: bool = True, other_head: bool = True):
    """The minute described above; patient_yaw replaces the patient's gaze yaw (before bias)."""
    patient = _rows(PATIENT_X, 1, patient=True)
    yaw = np.where(TOWARD, 60.0, np.where(AWAY, -60.0, 0.0)) if patient_yaw is None else patient_yaw
    patient.gaze_deg[:] = np.column_stack([yaw, np.zeros_like(yaw)]) + BIAS_DEG
    patient.head_pose_deg[:] = 0.0
    patient.face_xy[:, FACE_RIGHT_EYE_OUTER] = (PATIENT_X - 15, FACE_Y - 10)
    patient.face_xy[:, FACE_LEFT_EYE_OUTER] = (PATIENT_X + 15, FACE_Y - 10)
    if not second_person:
        return patient
    other = _rows(OTHER_X, 2, patient=False)
    if other_head:
        # Face mesh every 0.5 s, as the pipeline keeps it (OTHER_FACE_EVERY_S).
        sampled = np.arange(TIME_S.size) % 5 == 0
        other.head_pose_deg[sampled] = 0.0
        other.head_pose_deg[sampled, 0] = np.where(OTHER_LOOKS_BACK, -60.0, 60.0)[sampled]
    return Tracks.concatenate([patient, other])


def _speech(spans: list[tuple[float, float, str]], status: str = STATUS_SPEECH) -> SpeechAnalysis:
    return SpeechAnalysis(status, DURATION_S, [SpeechSegment(a, b, 0.9, speaker=w) for a, b, w in spans])


# The patient speaks in 25-35 s (eye contact until 30 s, then an aversion) and 52-56 s (eye
# contact); the other person in 12-18 s (eye contact) and 40-46 s (the patient looks away).
CONVERSATION = [(12.0, 18.0, OTHER), (25.0, 35.0, PATIENT), (40.0, 46.0, OTHER), (52.0, 56.0, PATIENT)]


def _values(tracks: Tracks, speech: SpeechAnalysis, segments=CALIBRATION) -> dict:
    return interaction_report(speech, tracks, segments).metrics[FAMILY]


def test_the_image_plane_direction_of_a_gaze():
    angle, off_axis = image_plane_direction_deg(
        np.array([90.0, -90.0, 0.0, 0.0]), np.array([0.0, 0, 90, -45])
    )
    # Their left (image right) is 0 deg, their right 180 deg, up -90 deg (y grows downward).
    expected = np.radians([0.0, 180.0, -90.0, 90.0])
    np.testing.assert_allclose(np.cos(np.radians(angle)), np.cos(expected), atol=1e-9)
    np.testing.assert_allclose(np.sin(np.radians(angle)), np.sin(expected), atol=1e-9)
    np.testing.assert_allclose(off_axis, [90.0, 90.0, 90.0, 45.0], atol=1e-9)


def test_a_gaze_points_at_a_face_within_the_tolerance_plus_its_half_size():
    origin, target, radius = np.zeros((1, 2)), np.array([[100.0, 0.0]]), np.array([20.0])
    # Tolerance 10 deg + atan(20 / 100) = 21.3 deg around the bearing 0 deg.
    cases = {
        (60.0, 0.0): True,  # straight at it
        (-60.0, 0.0): False,  # the opposite way
        (60.0, 10.0): True,  # 11.5 deg above the bearing
        (60.0, 30.0): False,  # 33.7 deg above the bearing
        (MIN_OFF_AXIS_DEG - 5.0, 0.0): False,  # toward the camera: no image direction
    }
    for (yaw, pitch), expected in cases.items():
        hit = looks_at(origin, np.array([yaw]), np.array([pitch]), target, radius, tolerance_deg=10.0)
        assert bool(hit[0]) is expected, (yaw, pitch)
    assert not looks_at(origin, np.array([np.nan]), np.array([0.0]), target, radius, tolerance_deg=10.0)[0]


def test_eye_contact_per_frame_follows_the_gaze_toward_the_other_face():
    frames = eye_contact_frames(session(), MetricsConfig(), CALIBRATION)
    assert frames.reason == "" and frames.analysable.all()
    np.testing.assert_array_equal(frames.contact, TOWARD)
    # Mutual gaze: both look at each other; the other's head pose is interpolated between its
    # 0.5 s samples, so its turns land within one sample of the truth.
    expected = TOWARD & OTHER_LOOKS_BACK
    assert np.sum(frames.mutual != expected) <= 2 * 5
    assert frames.mutual_analysable.sum() == np.sum(TIME_S <= 59.5)


def test_the_interaction_family_gives_its_known_eye_contact_answers():
    values = _values(session(), _speech(CONVERSATION))
    assert set(values) == set(METRIC_DEFINITIONS)
    share = values["interaction.eye_contact_share"]
    assert share.value == pytest.approx(0.5, abs=1e-9) and share.analysable_s == pytest.approx(60.0)
    patient = values["interaction.eye_contact_while_patient_speaks_share"]
    # 50 frames of contact in 25-30 s and 40 in 52-56 s, of 140 frames of the patient's speech.
    assert patient.value == pytest.approx(90 / 140, abs=1e-9) and patient.analysable_s == pytest.approx(14.0)
    other = values["interaction.eye_contact_while_other_speaks_share"]
    assert other.value == pytest.approx(0.5, abs=1e-9) and other.analysable_s == pytest.approx(12.0)
    # One aversion (at 30 s) in 14 s of the patient's speech.
    aversions = values["interaction.gaze_aversions_per_min_patient_speaking"]
    assert aversions.value == pytest.approx(60.0 / 14.0, abs=1e-9)
    # Two mutual-gaze episodes (10-20 s, 52-58 s) in the 59.6 s the other's head pose covers.
    mutual = values["interaction.mutual_gaze_episodes_per_min"]
    assert mutual.value == pytest.approx(2 * 60.0 / 59.6, abs=1e-9) and mutual.analysable_s == pytest.approx(
        59.6
    )
    for key in KEYS:
        lo, hi = METRIC_DEFINITIONS[key].minimum, METRIC_DEFINITIONS[key].maximum
        assert lo <= values[key].value <= hi and values[key].unit == METRIC_DEFINITIONS[key].unit


def test_a_patient_looking_away_has_no_eye_contact_measured_as_zero():
    values = _values(session(patient_yaw=np.where(TIME_S < 10, 0.0, -60.0)), _speech(CONVERSATION))
    assert values["interaction.eye_contact_share"].value == 0.0
    assert values["interaction.mutual_gaze_episodes_per_min"].value == 0.0
    assert values["interaction.gaze_aversions_per_min_patient_speaking"].value == 0.0


def test_without_calibration_eye_contact_is_nan_needs_calibration():
    values = _values(session(), _speech(CONVERSATION), segments=None)
    for key in KEYS:
        assert math.isnan(values[key].value) and values[key].reason == "needs calibration"


def test_without_a_second_person_eye_contact_is_nan_with_the_reason():
    values = _values(session(second_person=False), _speech(CONVERSATION))
    for key in KEYS:
        assert math.isnan(values[key].value) and values[key].reason == NO_SECOND_PERSON


def test_without_audio_only_the_speech_bound_measures_are_nan():
    values = _values(session(), _speech([], status=STATUS_NO_AUDIO))
    assert values["interaction.eye_contact_share"].value == pytest.approx(0.5, abs=1e-9)
    for key in (
        "interaction.eye_contact_while_patient_speaks_share",
        "interaction.eye_contact_while_other_speaks_share",
        "interaction.gaze_aversions_per_min_patient_speaking",
    ):
        assert math.isnan(values[key].value) and values[key].reason == "the recording has no audio track"


def test_without_the_other_head_pose_mutual_gaze_is_nan():
    values = _values(session(other_head=False), _speech(CONVERSATION))
    mutual = values["interaction.mutual_gaze_episodes_per_min"]
    assert math.isnan(mutual.value) and mutual.reason == NO_OTHER_HEAD_POSE
    assert values["interaction.eye_contact_share"].value == pytest.approx(0.5, abs=1e-9)


def test_without_speech_of_the_other_the_share_while_they_speak_is_nan():
    values = _values(session(), _speech([(25.0, 35.0, PATIENT)]))
    other = values["interaction.eye_contact_while_other_speaks_share"]
    assert math.isnan(other.value) and "other" in other.reason
    assert values["interaction.eye_contact_while_patient_speaks_share"].value == pytest.approx(0.5, abs=1e-9)
