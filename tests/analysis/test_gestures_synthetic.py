"""Synthetic gestures and keypoint normalisation."""

import numpy as np
import pytest

from analysis.gestures.normalise import (
    GESTURE_KEYPOINTS,
    N_GESTURE_KEYPOINTS,
    fill_short_gaps,
    gesture_keypoints,
    mirror,
    normalise_keypoints,
)
from analysis.gestures.synthetic import GESTURES, Body, GestureStyle, synth_gesture, synth_session


def test_it_is_deterministic_for_a_seed():
    a = synth_gesture("wave", seed=3)
    b = synth_gesture("wave", seed=3)
    c = synth_gesture("wave", seed=4)
    np.testing.assert_array_equal(a.pose_xy, b.pose_xy)
    np.testing.assert_array_equal(a.hands_xy, b.hands_xy)
    assert a.pose_xy.shape != c.pose_xy.shape or not np.allclose(a.pose_xy, c.pose_xy)


@pytest.mark.parametrize("name", GESTURES)
def test_it_fills_every_keypoint_of_every_gesture(name):
    tracks = synth_gesture(name, seed=1, style=GestureStyle(duration_s=2.0), rest_s=0.5)
    assert len(tracks) == 45  # (2.0 + 2 x 0.5) s at 15 fps
    assert np.isfinite(tracks.pose_xy).all() and np.isfinite(tracks.hands_xy).all()
    assert tracks.is_patient.all()


def test_a_right_hand_gesture_moves_only_the_right_wrist():
    tracks = synth_gesture("circle", style=GestureStyle(hand="right"), body=Body(), noise_px=0.0)
    keypoints = gesture_keypoints(tracks)
    left_travel = np.ptp(keypoints[:, GESTURE_KEYPOINTS.index("left_wrist")], axis=0)
    right_travel = np.ptp(keypoints[:, GESTURE_KEYPOINTS.index("right_wrist")], axis=0)
    assert left_travel.max() < 1e-5
    assert right_travel.max() > 0.5  # the hand reaches up from rest: most of an arm's length


def test_normalised_keypoints_do_not_depend_on_where_the_person_sits_their_size_or_tilt():
    style = GestureStyle(hand="left")
    near = synth_gesture("wave", style=style, body=Body((250.0, 200.0), 150.0), noise_px=0.0)
    far = synth_gesture("wave", style=style, body=Body((400.0, 260.0), 80.0, tilt_deg=5.0), noise_px=0.0)
    a, b = gesture_keypoints(near), gesture_keypoints(far)
    assert a.shape == (len(near), N_GESTURE_KEYPOINTS, 2)
    # float32 pixel coordinates (~1e-5 relative) are the only difference.
    np.testing.assert_allclose(a, b, atol=1e-4)
    shoulders = a[:, :2]
    np.testing.assert_allclose(shoulders.mean(axis=1), 0.0, atol=1e-4)  # centred on the midpoint
    np.testing.assert_allclose(np.linalg.norm(shoulders[:, 0] - shoulders[:, 1], axis=1), 1.0, atol=1e-4)


def test_mirroring_swaps_the_hands_and_twice_is_the_identity():
    keypoints = gesture_keypoints(synth_gesture("point", style=GestureStyle(hand="right"), noise_px=0.0))
    flipped = mirror(keypoints)
    left_wrist, right_wrist = GESTURE_KEYPOINTS.index("left_wrist"), GESTURE_KEYPOINTS.index("right_wrist")
    np.testing.assert_allclose(flipped[:, left_wrist, 0], -keypoints[:, right_wrist, 0])
    np.testing.assert_allclose(mirror(flipped), keypoints)


def test_short_gaps_are_interpolated_and_long_ones_stay_missing():
    time_s = np.arange(30) / 15.0
    values = np.arange(30, dtype=float)[:, None]
    values[5:7] = np.nan  # 2 frames: the gap between seen frames is 0.2 s
    values[15:20] = np.nan  # 5 frames: 0.4 s
    filled = fill_short_gaps(values, time_s, max_gap_s=0.2)
    np.testing.assert_allclose(filled[5:7, 0], [5.0, 6.0])
    assert np.isnan(filled[15:20]).all()


def test_keypoints_are_nan_when_the_shoulders_are_never_seen():
    pose = np.full((10, 33, 2), np.nan)
    assert np.isnan(normalise_keypoints(pose)).all()
    with pytest.raises(ValueError, match="shape"):
        normalise_keypoints(np.zeros((10, 17, 2)))


def test_a_session_reports_the_truth_it_rendered():
    plan = [("wave", 1.0, GestureStyle(duration_s=2.0)), ("clap", 5.0, GestureStyle(duration_s=2.5))]
    _, events = synth_session(plan, duration_s=9.0, seed=0)
    assert [(e.gesture, e.start_s, e.end_s, e.body_part) for e in events] == [
        ("wave", 1.0, 3.0, "right_hand"),
        ("clap", 5.0, 7.5, "both_hands"),
    ]
    with pytest.raises(ValueError, match="overlaps"):
        synth_session(
            [("wave", 1.0, GestureStyle(duration_s=2.0)), ("tap", 2.0, GestureStyle())], duration_s=9.0
        )
