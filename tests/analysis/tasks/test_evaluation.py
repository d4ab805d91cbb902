"""Action-segmentation measures on label sequences small enough to score by hand (exact answers,
compared with math.isclose at 1e-12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.tasks.evaluation import (
    edit_score,
    evaluate,
    f1_from_counts,
    label_segments,
    levenshtein,
    overlap_counts,
)

# truth segments: task 1 on [2, 6), task 2 on [7, 12); prediction: 1 on [1, 4), 2 on [7, 10), 3 on [10, 12)
TRUTH = np.array([0, 0, 1, 1, 1, 1, 0, 2, 2, 2, 2, 2])
PREDICTED = np.array([0, 1, 1, 1, 0, 0, 0, 2, 2, 2, 3, 3])


def test_segments_leave_out_the_background_and_end_exclusive() -> None:
    assert label_segments(TRUTH) == [(1, 2, 6), (2, 7, 12)]
    assert label_segments(PREDICTED) == [(1, 1, 4), (2, 7, 10), (3, 10, 12)]
    assert label_segments(np.array([0, 0])) == []
    assert label_segments(np.array([0, 1]), background=None) == [(0, 0, 1), (1, 1, 2)]


def test_levenshtein_known_distances() -> None:
    assert levenshtein([1, 2, 3], [1, 2]) == 1
    kitten, sitting = [ord(c) for c in "kitten"], [ord(c) for c in "sitting"]
    assert levenshtein(kitten, sitting) == 3
    assert levenshtein([], [4, 5]) == 2


def test_hand_computed_example() -> None:
    # accuracy: frames 1, 4, 5, 10, 11 wrong -> 7 / 12
    # edit: P = [1, 2, 3], Y = [1, 2], one insertion -> 1 - 1/3
    # IoU: (1 on [1,4) vs [2,6)) = 2/5 = 0.4; (2 on [7,10) vs [7,12)) = 3/5 = 0.6; 3 has no true segment
    # @10 and @25: TP 2, FP 1, FN 0 -> P 2/3, R 1, F1 0.8
    # @50: TP 1, FP 2, FN 1 -> P 1/3, R 1/2, F1 0.4
    assert overlap_counts(PREDICTED, TRUTH, 0.10) == (2, 1, 0)
    assert overlap_counts(PREDICTED, TRUTH, 0.50) == (1, 2, 1)
    figures = evaluate([PREDICTED], [TRUTH])
    assert math.isclose(figures["frame_accuracy"], 7 / 12, abs_tol=1e-12)
    assert math.isclose(figures["edit_score"], 2 / 3, abs_tol=1e-12)
    assert math.isclose(figures["f1@10"], 0.8, abs_tol=1e-12)
    assert math.isclose(figures["f1@25"], 0.8, abs_tol=1e-12)
    assert math.isclose(figures["f1@50"], 0.4, abs_tol=1e-12)
    assert figures["sequences"] == 1 and figures["frames"] == 12


def test_a_true_segment_matches_one_prediction_only() -> None:
    truth = np.array([1, 1, 1, 1, 1, 1])
    split = np.array([1, 1, 1, 0, 1, 1])  # IoU 3/6 and 2/6 with the same true segment
    assert overlap_counts(split, truth, 0.10) == (1, 1, 0)
    assert math.isclose(evaluate([split], [truth])["f1@10"], 2 / 3, abs_tol=1e-12)
    assert math.isclose(edit_score(split, truth), 0.5, abs_tol=1e-12)


def test_counts_are_pooled_over_sequences_and_accuracy_over_frames() -> None:
    perfect = np.array([0, 1, 1, 0])
    figures = evaluate([PREDICTED, perfect], [TRUTH, perfect])
    assert math.isclose(figures["frame_accuracy"], (7 + 4) / 16, abs_tol=1e-12)
    assert math.isclose(figures["edit_score"], (2 / 3 + 1) / 2, abs_tol=1e-12)
    # @50: TP 1 + 1, FP 2, FN 1 -> P 2/4, R 2/3, F1 = 2 * (1/2) (2/3) / (7/6) = 4/7
    assert math.isclose(figures["f1@50"], 4 / 7, abs_tol=1e-12)


def test_nothing_to_score_is_nan_and_mismatched_lengths_are_refused() -> None:
    assert math.isnan(f1_from_counts(0, 0, 0))
    background_only = np.zeros(5, dtype=int)
    figures = evaluate([background_only], [background_only])
    assert math.isnan(figures["f1@50"])
    assert figures["edit_score"] == 1.0 and figures["frame_accuracy"] == 1.0
    with pytest.raises(ValueError, match="frames"):
        evaluate([np.zeros(3)], [np.zeros(4)])
