"""Two people in one frame: a small patient (a 40 px face, as a child farther from a wide
camera) standing inside a large examiner's body region, one of them rocking and the other
still. The small face is tracked, a point on it chooses it, neither person's report holds a
movement episode made by the other's movement nor a hand keypoint on the other person, and the
other person's face mesh and head pose are kept."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analysis import synthetic_video
from analysis.metrics.config import MetricsConfig
from analysis.metrics.eye_contact import KEYS as EYE_CONTACT_KEYS
from analysis.metrics.eye_contact import eye_contact_frames
from analysis.metrics.segments import ProtocolSegment
from analysis.people import other_person_region
from analysis.pipeline import STATUS_OK, AnalysisResult, analyse_video
from analysis.tracks import POSE_NOSE

# Episodes made by movement. (Praxis "gesture" events are found on a still person's visible
# hand too, so they are checked through the hand keypoints they come from instead.)
MOVEMENT_EVENTS = ("body_rocking", "hand_flapping", "head_movement")
EXAMINER_CENTRE, PATIENT_CENTRE = synthetic_video.examiner_video_face_centres()
# A face-box centre is within half a face height of the face's rest centre plus the rocking
# amplitude (0.35 face heights): the detector's box is not the photo's.
PATIENT_TOLERANCE_PX = 0.85 * synthetic_video.PATIENT_FACE_PX
EXAMINER_TOLERANCE_PX = 0.85 * synthetic_video.EXAMINER_FACE_PX


@pytest.fixture(scope="module")
def patient_moving(media_dir: Path) -> Path:
    return synthetic_video.make_examiner_video(media_dir / "patient_moving.mp4", moving="patient")


@pytest.fixture(scope="module")
def examiner_moving(media_dir: Path) -> Path:
    return synthetic_video.make_examiner_video(media_dir / "examiner_moving.mp4", moving="examiner")


@pytest.fixture(scope="module")
def examiner_analysed(patient_moving: Path) -> AnalysisResult:
    """Default choice (the larger, most present face: the examiner) while the patient rocks."""
    return analyse_video(patient_moving, workers=1)


@pytest.fixture(scope="module")
def patient_analysed(patient_moving: Path) -> AnalysisResult:
    return analyse_video(patient_moving, workers=1, patient_point=(*PATIENT_CENTRE, 2.0))


def _face_centre(result: AnalysisResult) -> np.ndarray:
    boxes = result.tracks.patient().bbox_xywh
    return np.nanmedian(boxes[:, :2] + boxes[:, 2:] / 2, axis=0)


def _movement_events(result: AnalysisResult) -> list:
    return [e for e in result.report.events if e.kind in MOVEMENT_EVENTS]


def _hands_on_the_other_person(result: AnalysisResult) -> int:
    """Hand keypoints of the analysed person's rows inside the other person's region (as it
    is blanked, at the same frame)."""
    tracks = result.tracks
    patient, other = tracks.patient(), tracks.select(~tracks.is_patient)
    count = 0
    for row in range(len(other)):
        i = int(np.searchsorted(patient.time_s, other.time_s[row]))
        region = other_person_region(
            other.bbox_xywh[row], patient.bbox_xywh[i], synthetic_video.EXAMINER_VIDEO_SIZE
        )
        hands = patient.hands_xy[i].reshape(-1, 2)
        if region is None or not np.isfinite(other.bbox_xywh[row]).all():
            continue
        x0, y0, x1, y1 = region
        count += int(
            np.sum((hands[:, 0] >= x0) & (hands[:, 0] < x1) & (hands[:, 1] >= y0) & (hands[:, 1] < y1))
        )
    return count


def test_the_small_face_is_tracked_and_a_point_on_it_chooses_it(patient_analysed: AnalysisResult) -> None:
    assert patient_analysed.status == STATUS_OK
    assert np.hypot(*(_face_centre(patient_analysed) - PATIENT_CENTRE)) < PATIENT_TOLERANCE_PX
    heights = patient_analysed.tracks.patient().bbox_xywh[:, 3]
    # The detector's box of a 40 px face (the photo's face box): within 30 %.
    assert np.nanmedian(heights) == pytest.approx(synthetic_video.PATIENT_FACE_PX, rel=0.3)
    patient = patient_analysed.tracks.patient()
    nose = patient.pose_xy[:, POSE_NOSE]
    found = np.isfinite(nose).all(axis=1)
    assert found.mean() > 0.5
    assert np.hypot(*(np.median(nose[found], axis=0) - PATIENT_CENTRE)) < PATIENT_TOLERANCE_PX


def test_the_examiner_report_holds_nothing_of_the_patient_movement(examiner_analysed: AnalysisResult) -> None:
    assert np.hypot(*(_face_centre(examiner_analysed) - EXAMINER_CENTRE)) < EXAMINER_TOLERANCE_PX
    assert _hands_on_the_other_person(examiner_analysed) == 0
    assert _movement_events(examiner_analysed) == []


def test_the_still_patient_report_holds_nothing_of_the_examiner_movement(examiner_moving: Path) -> None:
    result = analyse_video(examiner_moving, workers=1, patient_point=(*PATIENT_CENTRE, 2.0))
    assert np.hypot(*(_face_centre(result) - PATIENT_CENTRE)) < PATIENT_TOLERANCE_PX
    assert _hands_on_the_other_person(result) == 0
    assert _movement_events(result) == []


def test_the_other_persons_face_and_head_pose_are_kept(examiner_analysed: AnalysisResult) -> None:
    tracks = examiner_analysed.tracks
    other = tracks.select(~tracks.is_patient)
    assert len(other) > 0
    centre = np.nanmedian(other.bbox_xywh[:, :2] + other.bbox_xywh[:, 2:] / 2, axis=0)
    assert np.hypot(*(centre - PATIENT_CENTRE)) < PATIENT_TOLERANCE_PX
    meshed = np.isfinite(other.face_xy).all(axis=(1, 2))
    assert np.array_equal(meshed, np.isfinite(other.head_pose_deg).all(axis=1))
    # Face mesh on the other person at least once per second of the 6 s video (it runs at
    # most every 0.5 s), landmarks on their face.
    assert meshed.sum() >= 6
    landmarks_centre = np.median(other.face_xy[meshed].mean(axis=1), axis=0)
    assert np.hypot(*(landmarks_centre - PATIENT_CENTRE)) < PATIENT_TOLERANCE_PX
    # A face looking at the camera: head yaw and pitch within 30 degrees of frontal.
    assert np.all(np.abs(np.median(other.head_pose_deg[meshed, :2], axis=0)) < 30)


def test_two_people_facing_the_camera_make_no_eye_contact(examiner_analysed: AnalysisResult) -> None:
    # Without a calibration segment every eye-contact measure is NaN with the reason.
    values = examiner_analysed.report.metrics["interaction"]
    for key in EYE_CONTACT_KEYS:
        assert math.isnan(values[key].value) and values[key].reason == "needs calibration"
    # Calibrated on the first 2 s (both people look at the camera throughout): the other face is
    # in view and their head pose measured, and neither looks at the other.
    frames = eye_contact_frames(
        examiner_analysed.tracks, MetricsConfig(), [ProtocolSegment("calibration", 0.0, 2.0)]
    )
    assert frames.analysable.mean() > 0.8 and frames.mutual_analysable.mean() > 0.8
    assert not frames.contact.any() and not frames.mutual.any()
