"""Gesture onsets and offsets from hand motion energy with hysteresis."""

import numpy as np
import pytest

from analysis.gestures.normalise import gesture_keypoints
from analysis.gestures.segmentation import motion_energy, segment_gestures
from analysis.gestures.synthetic import GESTURES, GestureStyle, random_style, synth_session

# The synthetic truth is the time the hand leaves rest and comes back; smoothing (0.4 s) and the
# off threshold move the detected edges by less than a frame or two at 10-30 fps.
TOLERANCE_S = 0.3


def _session(seed: int, fps: float, noise_px: float = 2.0):
    rng = np.random.default_rng(seed)
    plan, start = [], 1.5
    for name in GESTURES:
        style = random_style(rng)
        plan.append((name, start, style))
        start += style.duration_s + rng.uniform(1.0, 2.5)
    return synth_session(plan, duration_s=start + 1.0, fps=fps, noise_px=noise_px, fidget_sw=0.05, seed=seed)


@pytest.mark.parametrize(("seed", "fps"), [(0, 10.0), (1, 15.0), (2, 30.0)])
def test_it_finds_each_gesture_between_rests(seed, fps):
    tracks, truth = _session(seed, fps)
    segments = segment_gestures(tracks.time_s, gesture_keypoints(tracks))
    assert len(segments) == len(truth)
    for event, segment in zip(truth, segments, strict=True):
        assert segment.start_s == pytest.approx(event.start_s, abs=TOLERANCE_S), event.gesture
        assert segment.end_s == pytest.approx(event.end_s, abs=TOLERANCE_S), event.gesture
        assert segment.body_part == event.body_part
        assert segment.peak_energy >= 0.8


def test_it_ignores_jitter_and_slow_fidgeting_at_rest():
    tracks, _ = synth_session([], duration_s=30.0, noise_px=2.0, fidget_sw=0.08, seed=5)
    keypoints = gesture_keypoints(tracks)
    assert segment_gestures(tracks.time_s, keypoints) == []
    assert motion_energy(tracks.time_s, keypoints).max() < 0.8  # below the on threshold


def test_a_held_pose_is_one_gesture_not_two():
    # Pointing: reach (0.9 s), hold still (1.8 s), return (0.9 s); the hold has no motion energy.
    tracks, truth = synth_session(
        [("point", 1.0, GestureStyle(duration_s=3.6))], duration_s=6.0, noise_px=1.0
    )
    keypoints = gesture_keypoints(tracks)
    energy = motion_energy(tracks.time_s, keypoints)[:, 1]
    hold = (tracks.time_s > 2.3) & (tracks.time_s < 3.3)
    assert energy[hold].max() < 0.3  # below the off threshold: the raw runs are split
    [segment] = segment_gestures(tracks.time_s, keypoints)
    assert segment.start_s == pytest.approx(truth[0].start_s, abs=TOLERANCE_S)
    assert segment.end_s == pytest.approx(truth[0].end_s, abs=TOLERANCE_S)


def test_a_missed_detection_inside_a_gesture_does_not_cut_it():
    tracks, _ = synth_session([("wave", 1.0, GestureStyle(duration_s=2.5))], duration_s=5.0, seed=1)
    tracks.pose_xy[30:32] = np.nan  # 2 frames (0.13 s) lost mid-gesture
    tracks.hands_xy[30:32] = np.nan
    [segment] = segment_gestures(tracks.time_s, gesture_keypoints(tracks))
    assert segment.start_s == pytest.approx(1.0, abs=TOLERANCE_S)
    assert segment.end_s == pytest.approx(3.5, abs=TOLERANCE_S)


def test_a_twitch_shorter_than_the_minimum_duration_is_not_a_gesture():
    tracks, _ = synth_session([("tap", 1.0, GestureStyle(duration_s=2.0))], duration_s=4.0, noise_px=0.5)
    keypoints = gesture_keypoints(tracks)
    assert len(segment_gestures(tracks.time_s, keypoints)) == 1
    assert segment_gestures(tracks.time_s, keypoints, min_duration_s=5.0) == []


def test_it_rejects_inputs_it_cannot_read():
    tracks, _ = synth_session([], duration_s=2.0)
    keypoints = gesture_keypoints(tracks)
    with pytest.raises(ValueError, match="shape"):
        segment_gestures(tracks.time_s, keypoints[:, :8])
    with pytest.raises(ValueError, match="increase"):
        segment_gestures(tracks.time_s[::-1].copy(), keypoints)
    with pytest.raises(ValueError, match="off threshold"):
        segment_gestures(tracks.time_s, keypoints, on_threshold_sw_s=0.2, off_threshold_sw_s=0.5)
