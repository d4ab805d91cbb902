"""DTW and the praxis score against a reference performance."""

import numpy as np
import pytest

from analysis.gestures.dtw import dtw
from analysis.gestures.normalise import gesture_keypoints
from analysis.gestures.scoring import (
    DEFAULT_EXPERT_P95_SW,
    expert_p95,
    reference_from_tracks,
    score_from_distance,
    score_gesture,
    verdict_from_distance,
)
from analysis.gestures.synthetic import Body, GestureStyle, synth_gesture, synth_session


def _naive_dtw(a: np.ndarray, b: np.ndarray, band: float | None = None) -> tuple[float, int]:
    """Textbook O(n m) DTW in plain Python, as an independent reference."""
    n, m = len(a), len(b)
    total = np.full((n + 1, m + 1), np.inf)
    length = np.zeros((n + 1, m + 1), dtype=int)
    total[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if band is not None and abs((i - 1) / (n - 1) - (j - 1) / (m - 1)) > band:
                continue
            steps = [(total[i - 1, j - 1], length[i - 1, j - 1]), (total[i - 1, j], length[i - 1, j])]
            steps.append((total[i, j - 1], length[i, j - 1]))
            best = min(range(3), key=lambda k: steps[k][0])
            total[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + steps[best][0]
            length[i, j] = steps[best][1] + 1
    return float(total[n, m]), int(length[n, m])


@pytest.mark.parametrize("band", [None, 0.3])
def test_dtw_matches_the_textbook_algorithm(band):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(23, 4)), rng.normal(size=(31, 4))
    result = dtw(a, b, band=band)
    total, length = _naive_dtw(a, b, band)
    assert result.total_cost == pytest.approx(total, rel=1e-12)
    assert result.path_length == length
    assert result.distance == pytest.approx(total / length, rel=1e-12)


def test_dtw_of_a_sequence_with_itself_is_zero_and_a_stretched_copy_is_near_zero():
    t = np.linspace(0, 1, 40)
    a = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], axis=1)
    slow = np.interp(np.linspace(0, 1, 70), t, a[:, 0]), np.interp(np.linspace(0, 1, 70), t, a[:, 1])
    assert dtw(a, a).distance == 0.0
    # Each frame of the slow copy lies between two frames of a, so it is at most half a sampling
    # step (2 pi / 39 on the unit circle) from its match; a constant-time (diagonal) match is not.
    half_step = np.pi / 39
    assert dtw(a, np.stack(slow, axis=1)).distance < half_step
    assert dtw(a, np.stack(slow, axis=1), band=0.0 + 1 / 69).distance < half_step


def test_a_band_too_narrow_for_any_path_is_an_error():
    with pytest.raises(ValueError, match="band"):
        dtw(np.zeros((10, 2)), np.zeros((17, 2)), band=0.0)
    with pytest.raises(ValueError, match="NaN"):
        dtw(np.full((3, 2), np.nan), np.zeros((3, 2)))


def _performance(name: str, **style) -> np.ndarray:
    defaults = {"hand": "right"}
    return gesture_keypoints(
        synth_gesture(name, style=GestureStyle(**(defaults | style)), body=Body(), noise_px=1.0, seed=7)
    )


def test_a_gesture_scored_against_itself_is_100():
    reference = _performance("circle")
    score = score_gesture(reference, reference)
    assert score.score_0_100 == 100.0
    assert score.dtw_distance == 0.0
    assert score.verdict == "correct"


def test_the_same_gesture_at_another_speed_scores_high_and_another_gesture_low():
    reference = _performance("wave", duration_s=2.0)
    warped = score_gesture(_performance("wave", duration_s=3.2, warp=0.3), reference)
    assert warped.score_0_100 >= 80
    assert warped.verdict == "correct"
    for other in ("point", "clap", "salute", "circle", "tap"):
        different = score_gesture(_performance(other), reference)
        assert different.score_0_100 < 20, other
        assert different.score_0_100 < warped.score_0_100 - 40, other
        assert different.verdict in ("partial", "fail")


def test_the_other_hand_counts_as_the_same_gesture():
    reference = _performance("salute", hand="right")
    score = score_gesture(_performance("salute", hand="left", duration_s=2.8), reference)
    assert score.mirrored
    assert score.score_0_100 >= 80


def test_more_noise_scores_lower():
    reference = _performance("point")
    rng = np.random.default_rng(1)
    scores = [
        score_gesture(reference + rng.normal(0, sigma, reference.shape), reference).score_0_100
        for sigma in (0.0, 0.03, 0.1, 0.3)
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 100.0 and scores[-1] < 25


def test_the_score_scale_is_anchored_on_the_expert_p95():
    p95 = DEFAULT_EXPERT_P95_SW
    assert score_from_distance(0.0) == 100.0
    assert score_from_distance(p95) == pytest.approx(75.0)
    assert score_from_distance(2 * p95) == pytest.approx(100 * 0.75**4)
    assert [verdict_from_distance(d * p95) for d in (0.5, 1.0, 1.5, 2.0, 2.5)] == [
        "correct",
        "correct",
        "partial",
        "partial",
        "fail",
    ]
    assert expert_p95([_performance("tap"), _performance("tap")]) == 0.0


def test_a_reference_is_cut_from_a_clinicians_segment_of_a_recording():
    tracks, _ = synth_session([("grasp", 1.0, GestureStyle(duration_s=2.0))], duration_s=4.0, fps=15.0)
    reference = reference_from_tracks(tracks, 1.0, 3.0)
    assert reference.shape == (31, 20, 2)  # frames at 1.0, 1.067, ..., 3.0 s
    assert score_gesture(reference, reference).score_0_100 == 100.0
    with pytest.raises(ValueError, match="mark a longer segment"):
        reference_from_tracks(tracks, 1.0, 1.05)
