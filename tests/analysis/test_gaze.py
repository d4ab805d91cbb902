"""Head pose and gaze geometry on synthetic landmarks with known answers (no model needed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from analysis.gaze import (
    EYE_FULL_SCALE_DEG,
    HEAD_MODEL_POINTS,
    HEAD_POSE_LANDMARKS,
    GazeOffsets,
    calibrate_gaze_offsets,
    euler_deg_to_rotation,
    eye_in_head_deg,
    eye_ratios,
    gaze_deg,
    head_pose_deg,
    rotation_to_euler_deg,
)

SIZE_WH = (640, 480)
CAMERA = np.array([[640.0, 0.0, 320.0], [0.0, 640.0, 240.0], [0.0, 0.0, 1.0]])


def _projected_face(yaw_pitch_roll_deg: tuple[float, float, float]) -> np.ndarray:
    """Landmarks (478, 2) px whose head-pose points are the canonical model, rotated and seen
    60 cm in front of the pinhole camera that head_pose_deg assumes (others NaN)."""
    rotation = euler_deg_to_rotation(np.array(yaw_pitch_roll_deg))
    rvec, _ = cv2.Rodrigues(rotation)
    points, _ = cv2.projectPoints(HEAD_MODEL_POINTS, rvec, np.array([0.0, 0.0, 60.0]), CAMERA, np.zeros(4))
    landmarks = np.full((478, 2), np.nan)
    landmarks[list(HEAD_POSE_LANDMARKS)] = points[:, 0]
    return landmarks


def _eyes(iris_shift: tuple[float, float] = (0.0, 0.0), lid_gap_px: float = 12.0) -> np.ndarray:
    """Two 30 px wide eyes; irises moved by iris_shift (fractions of the corner distance) from
    the eye centres. The iris indices are deliberately swapped (468 in the image-right eye) to
    check that irises are assigned to eyes by position, not by index."""
    landmarks = np.zeros((478, 2))
    for (left, right), (upper, lower), centre_x, iris in (
        ((33, 133), (159, 145), 115.0, 473),
        ((362, 263), (386, 374), 185.0, 468),
    ):
        landmarks[left], landmarks[right] = (centre_x - 15.0, 100.0), (centre_x + 15.0, 100.0)
        landmarks[upper], landmarks[lower] = (
            (centre_x, 100.0 - lid_gap_px / 2),
            (centre_x, 100.0 + lid_gap_px / 2),
        )
        landmarks[iris] = (centre_x + 30.0 * iris_shift[0], 100.0 + lid_gap_px * iris_shift[1])
    return landmarks


@pytest.mark.parametrize(
    "angles", [(0, 0, 0), (25, 0, 0), (-25, 0, 0), (0, 15, 0), (0, -15, 0), (10, -5, 12)]
)
def test_head_pose_recovers_a_known_rotation(angles: tuple[float, float, float]) -> None:
    # Noise-free projection of the model itself: PnP is exact up to float rounding.
    np.testing.assert_allclose(head_pose_deg(_projected_face(angles), SIZE_WH), angles, atol=0.05)


def test_positive_yaw_moves_the_nose_toward_the_image_right() -> None:
    # tracks.py: yaw > 0 when the person turns to their left, which appears toward x growing.
    landmarks = _projected_face((20.0, 0.0, 0.0))
    nose_x, eyes_mid_x = landmarks[1, 0], landmarks[[33, 263], 0].mean()
    assert nose_x > eyes_mid_x + 5.0
    assert head_pose_deg(landmarks, SIZE_WH)[0] > 19.0


def test_positive_pitch_moves_the_nose_up_and_positive_roll_is_counter_clockwise() -> None:
    up = _projected_face((0.0, 20.0, 0.0))
    assert up[1, 1] < _projected_face((0.0, 0.0, 0.0))[1, 1] - 5.0  # nose higher (smaller y)
    rolled = _projected_face((0.0, 0.0, 20.0))
    # Counter-clockwise on screen: the image-right eye corner (263) rises above the other.
    assert rolled[263, 1] < rolled[33, 1] - 5.0


def test_head_pose_is_nan_when_a_landmark_is_missing() -> None:
    landmarks = _projected_face((0.0, 0.0, 0.0))
    landmarks[152] = np.nan
    assert np.all(np.isnan(head_pose_deg(landmarks, SIZE_WH)))


def test_euler_angles_round_trip() -> None:
    angles = np.array([33.0, -21.0, 14.0])
    np.testing.assert_allclose(rotation_to_euler_deg(euler_deg_to_rotation(angles)), angles, atol=1e-4)


def test_centred_irises_look_straight_ahead() -> None:
    h, v, openness = eye_ratios(_eyes())
    np.testing.assert_allclose(h, [0.5, 0.5])
    np.testing.assert_allclose(v, [0.5, 0.5])
    np.testing.assert_allclose(openness, [0.4, 0.4])
    np.testing.assert_allclose(eye_in_head_deg(_eyes()), [0.0, 0.0], atol=1e-6)


def test_iris_toward_the_image_right_is_positive_yaw_with_the_documented_scale() -> None:
    # h - h0 = 0.25 -> k * asin(0.5) = (50 / 90) * 30 degrees.
    yaw, pitch = eye_in_head_deg(_eyes(iris_shift=(0.25, 0.0)))
    assert yaw == pytest.approx(EYE_FULL_SCALE_DEG / 90.0 * 30.0, abs=1e-4)
    assert pitch == pytest.approx(0.0, abs=1e-6)
    assert eye_in_head_deg(_eyes(iris_shift=(-0.25, 0.0)))[0] == pytest.approx(-yaw, abs=1e-4)


def test_iris_up_is_positive_pitch() -> None:
    assert eye_in_head_deg(_eyes(iris_shift=(0.0, -0.2)))[1] > 5.0


def test_a_blink_gives_nan_and_one_open_eye_is_enough() -> None:
    closed = _eyes(iris_shift=(0.25, 0.0), lid_gap_px=3.0)  # openness 0.1 < 0.15
    assert np.all(np.isnan(eye_in_head_deg(closed)))
    one_open = _eyes(iris_shift=(0.25, 0.0))
    one_open[[386, 374]] = [[185.0, 99.0], [185.0, 101.0]]
    assert eye_in_head_deg(one_open)[0] == pytest.approx(EYE_FULL_SCALE_DEG / 90.0 * 30.0, abs=1e-4)


def test_eye_in_head_is_vectorised_over_frames() -> None:
    frames = np.stack([_eyes(), _eyes(iris_shift=(0.25, 0.0))])
    assert eye_in_head_deg(frames).shape == (2, 2)


def test_gaze_composes_head_and_eye_rotations() -> None:
    np.testing.assert_allclose(
        gaze_deg(np.array([10.0, 0.0, 0.0]), np.array([5.0, 0.0])), [15.0, 0.0], atol=1e-4
    )
    np.testing.assert_allclose(
        gaze_deg(np.array([0.0, 10.0, 0.0]), np.array([0.0, -4.0])), [0.0, 6.0], atol=1e-4
    )
    # Head rolled by 90 degrees: an eye turning along the head's horizontal axis moves the gaze up.
    assert gaze_deg(np.array([0.0, 0.0, 90.0]), np.array([10.0, 0.0]))[1] == pytest.approx(10.0, abs=1e-3)
    assert np.all(np.isnan(gaze_deg(np.array([0.0, np.nan, 0.0]), np.array([1.0, 1.0]))))


def test_calibration_recovers_the_subjects_straight_ahead_iris_position() -> None:
    # The subject's irises sit 0.05 right of the eye centre when looking at the camera.
    frames = np.stack([_eyes(iris_shift=(0.05, 0.0))] * 5)
    offsets = calibrate_gaze_offsets(frames, np.zeros((5, 3)))
    assert offsets == GazeOffsets(h0=pytest.approx(0.55), v0=pytest.approx(0.5))
    np.testing.assert_allclose(eye_in_head_deg(frames[0], offsets), [0.0, 0.0], atol=1e-4)


def test_calibration_accounts_for_a_turned_head() -> None:
    # Head turned +10 degrees while looking at the camera: eyes at -10 degrees in the head.
    shift = np.sin(np.radians(-10.0 * 90.0 / EYE_FULL_SCALE_DEG)) / 2.0
    frames = np.stack([_eyes(iris_shift=(shift, 0.0))] * 3)
    offsets = calibrate_gaze_offsets(frames, np.tile([10.0, 0.0, 0.0], (3, 1)))
    assert offsets.h0 == pytest.approx(0.5, abs=1e-6)


def test_calibration_refuses_frames_without_open_eyes() -> None:
    with pytest.raises(ValueError, match="open eye"):
        calibrate_gaze_offsets(np.stack([_eyes(lid_gap_px=2.0)]), np.zeros((1, 3)))
