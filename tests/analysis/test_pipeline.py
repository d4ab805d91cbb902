"""The whole pipeline with the real models on generated videos with known content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import synthetic_video
from analysis.errors import AnalysisCancelled
from analysis.people import PatientPointError
from analysis.pipeline import STATUS_NO_PERSON, STATUS_OK, AnalysisResult, analyse_video
from analysis.tracks import POSE_NOSE
from tests.analysis.conftest import ROCK_END_S, ROCK_HZ, ROCK_START_S

PROGRESS: list[tuple[str, float]] = []


@pytest.fixture(scope="module")
def person_result(person_video: Path) -> AnalysisResult:
    return analyse_video(person_video, workers=1, progress=lambda s, f: PROGRESS.append((s, f)))


@pytest.fixture(scope="module")
def two_person_result(two_person_video: Path) -> AnalysisResult:
    return analyse_video(two_person_video, workers=1)


def _patient_id(result: AnalysisResult) -> int:
    ids = np.unique(result.tracks.person_id[result.tracks.is_patient])
    assert ids.size == 1
    return int(ids[0])


def test_pose_face_and_emotion_are_found_on_the_person(person_result: AnalysisResult) -> None:
    assert person_result.status == STATUS_OK
    assert person_result.message == ""
    names = {m.name for m in person_result.models}
    assert {"mediapipe-pose-full", "mediapipe-hands-full", "mediapipe-face-detection-full-range"} <= names
    assert all(m.version for m in person_result.models)
    patient = person_result.tracks.patient()
    assert len(patient) == 60  # one row per analysed frame: 6 s at 10 fps
    assert np.all(np.diff(patient.time_s) > 0)
    found = np.isfinite(patient.pose_xy).all(axis=(1, 2))
    assert found.mean() > 0.9
    xy = patient.pose_xy[found]
    # Keypoints of a visible body lie in the frame (MediaPipe extrapolates hidden legs below it,
    # so only the upper body is checked: nose, shoulders).
    upper = xy[:, [0, 11, 12]]
    assert np.all((upper[..., 0] >= 0) & (upper[..., 0] < 640) & (upper[..., 1] >= 0) & (upper[..., 1] < 480))
    # The nose is inside the detected face box.
    box = np.nanmedian(patient.bbox_xywh, axis=0)
    nose = np.median(xy[:, POSE_NOSE], axis=0)
    assert box[0] < nose[0] < box[0] + box[2]
    assert box[1] < nose[1] < box[1] + box[3]
    # Face mesh landmarks inside the face box (with a margin: the box is the detector's).
    assert np.isfinite(patient.face_xy).all(axis=(1, 2)).mean() > 0.9
    probs = patient.emotion_probs[np.isfinite(patient.emotion_probs).all(axis=1)]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_what_was_not_detected_is_nan_not_zero(person_result: AnalysisResult) -> None:
    patient = person_result.tracks.patient()
    pose_found = np.isfinite(patient.pose_confidence)
    assert np.array_equal(pose_found, np.isfinite(patient.pose_xy).all(axis=(1, 2)))
    assert np.isnan(patient.pose_xy[~pose_found]).all()
    hands_found = np.isfinite(patient.hands_confidence)
    assert np.array_equal(hands_found, np.isfinite(patient.hands_xy).all(axis=(2, 3)))
    assert np.isnan(patient.hands_xy[~hands_found]).all()
    face_found = np.isfinite(patient.face_confidence)
    assert np.array_equal(face_found, np.isfinite(patient.face_xy).all(axis=(1, 2)))
    assert not np.any(patient.pose_xy == 0)


def test_by_default_the_face_models_see_every_frame_and_the_body_models_a_still_body_less(
    person_result: AnalysisResult,
) -> None:
    patient = person_result.tracks.patient()
    assert person_result.tracks.metadata["sampling"] == "motion-adaptive"
    measured = patient.measured
    # A still photo: the body models look at every 10th frame (and the first), not at each.
    assert 6 <= measured.sum() <= 10, measured.astype(int)
    # The face models looked at every frame: an expression for each (never filled).
    assert np.isfinite(patient.emotion_probs[~measured]).all(axis=1).mean() > 0.9
    # The body's skipped rows lie on the line between the measured rows around them.
    done = np.flatnonzero(measured)
    inside = np.flatnonzero(~measured & (np.arange(len(patient)) < done[-1]))
    nose = patient.pose_xy[:, POSE_NOSE, 0]
    np.testing.assert_allclose(
        nose[inside], np.interp(patient.time_s[inside], patient.time_s[done], nose[done]), atol=1e-3
    )


def test_a_video_without_anyone_gives_nan_tracks(empty_video: Path) -> None:
    result = analyse_video(empty_video, workers=1)
    assert result.status == STATUS_NO_PERSON
    assert "No person was found" in result.message
    tracks = result.tracks
    assert len(tracks) == 30  # 3 s at 10 fps, one row per analysed frame
    assert np.all(tracks.person_id == -1)
    assert not tracks.is_patient.any()
    assert np.isnan(tracks.pose_xy).all() and np.isnan(tracks.bbox_xywh).all()
    assert np.all(np.diff(tracks.time_s) > 0)
    values = [m.value for family in result.report.metrics.values() for m in family.values()]
    assert values and all(np.isnan(v) or v == 0.0 for v in values)  # 0 only for coverage shares
    assert result.report.events == []


def test_two_people_give_two_tracks_and_the_larger_is_the_patient(two_person_result: AnalysisResult) -> None:
    tracks = two_person_result.tracks
    assert set(np.unique(tracks.person_id)) == {0, 1}
    big_centre, _ = synthetic_video.two_person_face_centres()
    patient = tracks.patient()
    assert len(patient) == 40
    centre = np.nanmedian(patient.bbox_xywh[:, :2] + patient.bbox_xywh[:, 2:] / 2, axis=0)
    assert np.hypot(*(centre - big_centre)) < 20  # px; the detector box is not the photo's
    # The patient's body keypoints come from the patient's crop, not the other person.
    nose = np.nanmedian(patient.pose_xy[:, POSE_NOSE], axis=0)
    assert np.hypot(*(nose - big_centre)) < 40
    other = tracks.select(~tracks.is_patient)
    assert len(other) > 30
    assert np.isfinite(other.bbox_xywh).all()
    # The other person's face (mesh, head pose) is kept, at a reduced rate; their body is not.
    assert np.isnan(other.pose_xy).all() and np.isnan(other.hands_xy).all()
    meshed = np.isfinite(other.face_xy).all(axis=(1, 2))
    assert 4 <= meshed.sum() < len(other)


def test_a_point_on_the_other_person_makes_them_the_patient(
    two_person_video: Path, two_person_result: AnalysisResult
) -> None:
    _, small_centre = synthetic_video.two_person_face_centres()
    result = analyse_video(two_person_video, workers=1, patient_point=(*small_centre, 1.0))
    patient = result.tracks.patient()
    assert _patient_id(result) != _patient_id(two_person_result)
    centre = np.nanmedian(patient.bbox_xywh[:, :2] + patient.bbox_xywh[:, 2:] / 2, axis=0)
    assert np.hypot(*(centre - small_centre)) < 15
    nose = np.nanmedian(patient.pose_xy[:, POSE_NOSE], axis=0)
    assert np.hypot(*(nose - small_centre)) < 25


def test_a_point_on_nobody_is_refused(two_person_video: Path) -> None:
    with pytest.raises(PatientPointError, match="No tracked person"):
        analyse_video(two_person_video, workers=1, patient_point=(320, 10, 1.0))


def test_progress_is_reported_and_cancellation_stops(
    person_video: Path, person_result: AnalysisResult
) -> None:
    fractions = [f for _, f in PROGRESS]
    assert len(fractions) > 6  # per batch of frames, in both passes
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    # The still person moves no hand: no window is decoded again at the native rate.
    assert {s for s, _ in PROGRESS} == {"people", "patient", "metrics"}
    calls = []
    with pytest.raises(AnalysisCancelled):
        analyse_video(person_video, workers=1, should_continue=lambda: calls.append(1) or len(calls) < 3)


def test_cancellation_stops_worker_processes(person_video: Path) -> None:
    calls: list[int] = []
    with pytest.raises(AnalysisCancelled):
        # True at the start, False at the first batch reported by a worker process.
        analyse_video(person_video, workers=2, should_continue=lambda: calls.append(1) or len(calls) < 2)
    assert len(calls) == 2


def _temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def test_rocking_gives_one_body_rocking_episode(rocking_video: Path) -> None:
    """The issue's end-to-end check: a photo rocking sideways at 1 Hz from 3 s to 11 s."""
    result = analyse_video(rocking_video, workers=2)
    assert result.status == STATUS_OK
    rocking = [e for e in result.report.events if e.kind == "body_rocking"]
    assert len(rocking) == 1, f"body_rocking episodes: {rocking}"
    episode = rocking[0]
    assert _temporal_iou((episode.start_s, episode.end_s), (ROCK_START_S, ROCK_END_S)) >= 0.8, episode
    assert episode.frequency_hz == pytest.approx(ROCK_HZ, abs=0.2)
    # The whole picture of the person moves and nothing moves relative to the body: no hand
    # flapping, head movement or gesture (those are measured relative to the torso).
    relative = [e for e in result.report.events if e.kind in ("hand_flapping", "head_movement", "gesture")]
    assert relative == [], relative


def test_the_same_photo_held_still_gives_no_episode(person_result: AnalysisResult) -> None:
    assert [e for e in person_result.report.events if e.kind == "body_rocking"] == []
