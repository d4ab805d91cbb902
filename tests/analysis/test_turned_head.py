"""Eye contact on real pixels of a head that is turned: the astronaut's face as a 3-D surface
(analysis/synthetic_head.py) turned about the vertical axis by a known yaw, beside another face.

The video (8 s, 10 fps, 640 x 360): the patient on the left looks at the camera for 2 s (the
calibration), turns 40 deg toward the other person (their left, the image's right) for 3 s,
then 40 deg away for 3 s; the other person, on the right, is turned 35 deg toward the patient
throughout (mutual gaze while the patient looks at them) or, in the control, 35 deg away.

Tolerances and why:
- eye contact: at least 90 % of the frames of the turn toward the other person from 0.5 s
  after the turn (the gaze is gap-filled and the mesh tracks from frame to frame: a turn lands
  within a few frames), and no frame of the calibration or of the turn away. Not every frame:
  the head pose reads the turn with a rise of about 5 deg in pitch (8 in a frame) that the calibration cannot
  remove (the same canonical-face mismatch as the yaw's, below), which tilts the projected
  gaze 10-14 deg above the bearing to the other face, near its 20 deg tolerance (10 deg plus
  the face's half-size): one frame in 25 falls outside;
- yaw: MediaPipe's landmarks on the turned face stay within a median 3 px of the drawn ones, but head
  pose by PnP against the canonical six-point face reads a 40 deg turn of this face as 24-28 deg
  (the rendered landmarks alone as 35 deg: her eye corners lie 3.2 cm behind her nose tip on
  her mesh, 4.3 cm on the canonical face; the mesh on the pixels reads the turn a further 20 %
  short). The calibrated yaw must lie on the right side, within YAW_TOLERANCE_DEG (18 deg, 45 %)
  of the turn: the sign and size that the eye-contact test needs (at least 20 deg off the
  camera axis), not the 5-10 deg accuracy of a frontal face.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import synthetic_head
from analysis.gaze import head_pose_deg
from analysis.metrics.config import MetricsConfig
from analysis.metrics.eye_contact import (
    CONTACT,
    EYE_CONTACT,
    MUTUAL_GAZE,
    contact_episodes,
    eye_contact_frames,
)
from analysis.metrics.segments import ProtocolSegment
from analysis.pipeline import AnalysisResult, analyse_video
from analysis.tracks import N_FACE_LANDMARKS

TURN_DEG, OTHER_TURN_DEG = 40.0, 35.0
CALIBRATION = (0.0, 2.0)
TOWARD, AWAY = (2.0, 5.0), (5.0, 8.0)
PATIENT_YAWS = [(*CALIBRATION, 0.0), (*TOWARD, TURN_DEG), (*AWAY, -TURN_DEG)]
SEGMENTS = [ProtocolSegment("calibration", *CALIBRATION)]
SETTLE_S = 0.5
MIN_CONTACT_SHARE = 0.9
YAW_TOLERANCE_DEG = 18.0
# PnP on the exactly turned landmarks (no image): the canonical face's depth is not hers.
GEOMETRY_TOLERANCE_DEG = 6.0


@pytest.fixture(scope="module")
def head() -> synthetic_head.TexturedHead:
    return synthetic_head.astronaut_head()


def _analysed(path: Path, head, other_yaw_deg: float) -> AnalysisResult:
    video = synthetic_head.make_eye_contact_video(path, PATIENT_YAWS, other_yaw_deg=other_yaw_deg, head=head)
    return analyse_video(
        video, workers=1, patient_point=(*synthetic_head.PATIENT_FACE_XY, 1.0), protocol_segments=SEGMENTS
    )


@pytest.fixture(scope="module")
def facing_each_other(media_dir: Path, head) -> AnalysisResult:
    return _analysed(media_dir / "turned_toward.mp4", head, -OTHER_TURN_DEG)


@pytest.fixture(scope="module")
def other_turned_away(media_dir: Path, head) -> AnalysisResult:
    return _analysed(media_dir / "other_turned_away.mp4", head, OTHER_TURN_DEG)


def _during(time_s: np.ndarray, span: tuple[float, float], settle_s: float = 0.0) -> np.ndarray:
    return (time_s >= span[0] + settle_s) & (time_s < span[1])


def test_the_rendered_surface_is_turned_by_the_stated_yaw(head):
    landmarks = np.full((N_FACE_LANDMARKS, 2), np.nan)
    centre = np.array([320.0, 180.0]) - head.centre_xy
    readings = {}
    for yaw in (0.0, 20.0, -20.0, 40.0, -40.0):
        landmarks[: synthetic_head.N_MESH] = synthetic_head.turned_points(head, yaw)[0] + centre
        readings[yaw] = float(head_pose_deg(landmarks, (640, 360))[0])
    for yaw in (20.0, -20.0, 40.0, -40.0):
        assert readings[yaw] - readings[0.0] == pytest.approx(yaw, abs=GEOMETRY_TOLERANCE_DEG), readings


def test_the_head_pose_reads_the_turn_on_its_side(facing_each_other):
    patient = facing_each_other.tracks.patient()
    t, yaw = patient.time_s, patient.head_pose_deg[:, 0]
    rest = np.nanmedian(yaw[_during(t, CALIBRATION)])
    toward = np.nanmedian(yaw[_during(t, TOWARD, SETTLE_S)]) - rest
    away = np.nanmedian(yaw[_during(t, AWAY, SETTLE_S)]) - rest
    assert toward == pytest.approx(TURN_DEG, abs=YAW_TOLERANCE_DEG), (toward, away)
    assert away == pytest.approx(-TURN_DEG, abs=YAW_TOLERANCE_DEG), (toward, away)


def test_eye_contact_and_mutual_gaze_follow_the_turns(facing_each_other):
    frames = eye_contact_frames(facing_each_other.tracks, MetricsConfig(), SEGMENTS)
    t = frames.time_s
    assert frames.reason == "" and frames.analysable.all()
    toward = _during(t, TOWARD, SETTLE_S)
    assert frames.contact[toward].mean() >= MIN_CONTACT_SHARE
    assert not frames.contact[_during(t, CALIBRATION) | _during(t, AWAY)].any()
    # The other person looks at the patient throughout: mutual gaze exactly where the patient
    # looks back.
    assert frames.mutual_analysable[toward].all()
    np.testing.assert_array_equal(frames.mutual[toward], frames.contact[toward])
    assert not (frames.mutual & ~frames.contact).any()


def test_the_analysis_keeps_each_frame_s_decision_and_its_episodes(facing_each_other):
    patient = facing_each_other.tracks.patient()
    frames = eye_contact_frames(facing_each_other.tracks, MetricsConfig(), SEGMENTS)
    np.testing.assert_array_equal(patient.eye_contact == CONTACT, frames.contact)
    np.testing.assert_array_equal(patient.mutual_gaze == CONTACT, frames.mutual)
    # One episode of each kind, within the turn toward the other person (a frame that falls
    # outside the tolerance lasts under the 0.2 s an episode must hold, so it splits none).
    for kind in (EYE_CONTACT, MUTUAL_GAZE):
        episodes = [e for e in contact_episodes(facing_each_other.tracks) if e.kind == kind]
        assert len(episodes) == 1, episodes
        assert TOWARD[0] <= episodes[0].start_s <= TOWARD[0] + SETTLE_S
        assert episodes[0].end_s == pytest.approx(TOWARD[1], abs=0.1)


def test_a_face_turned_away_makes_eye_contact_but_no_mutual_gaze(other_turned_away):
    frames = eye_contact_frames(other_turned_away.tracks, MetricsConfig(), SEGMENTS)
    t = frames.time_s
    toward = _during(t, TOWARD, SETTLE_S)
    assert frames.mutual_analysable[toward].all()
    assert frames.contact[toward].mean() >= MIN_CONTACT_SHARE
    assert not frames.contact[_during(t, CALIBRATION) | _during(t, AWAY)].any()
    assert not frames.mutual.any()
