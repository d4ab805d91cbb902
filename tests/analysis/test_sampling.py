"""Motion-adaptive sampling: the motion measure and the filling of skipped rows, with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.sampling import (
    HAND_SEARCH_EVERY_S,
    MAX_SKIPPED_TICKS,
    HandSearch,
    MotionGate,
    View,
    changed_share,
    fill_skipped,
    shrunk,
)

FRAME = (0, 0, 320, 240)


def _scene(shift_px: int = 0) -> np.ndarray:
    """A gray frame with a dark 60 x 80 px block, moved right by shift_px."""
    gray = np.full((240, 320), 200, dtype=np.uint8)
    gray[80:160, 100 + shift_px : 160 + shift_px] = 40
    return gray


def test_a_still_picture_with_noise_is_unchanged_and_a_moved_block_is_changed() -> None:
    rng = np.random.default_rng(0)
    noisy = np.clip(_scene().astype(int) + rng.normal(0, 3, (240, 320)), 0, 255).astype(np.uint8)
    # Camera noise of 3 levels is averaged away by the thumbnail: nothing changes.
    assert changed_share(shrunk(_scene()), shrunk(noisy), FRAME) == 0.0
    # An 8 px move of the block's two vertical edges (80 px high) changes over 1 % of the
    # thumbnail (the threshold): each edge moves 1.6 thumbnail px at a 64 px long side.
    assert changed_share(shrunk(_scene()), shrunk(_scene(8)), FRAME) > 0.01


def test_the_gate_skips_still_frames_at_most_nine_in_a_row_and_runs_on_motion() -> None:
    gate = MotionGate()
    runs = [gate.should_run(_scene(), [(FRAME, 64)]) for _ in range(21)]
    assert runs == ([True] + [False] * 9) * 2 + [True]
    assert MAX_SKIPPED_TICKS == 9
    assert gate.should_run(_scene(8), [(FRAME, 64)])  # motion: measured at once
    assert MotionGate(full_rate=True).should_run(_scene(), [(FRAME, 64)])


def test_skipped_rows_are_interpolated_between_measured_ones_or_copied_from_the_nearer() -> None:
    times = np.arange(6) * 0.1
    measured = np.array([True, False, False, True, False, False])
    values = np.array([[0.0, 1.0], [9, 9], [9, 9], [3.0, np.nan], [9, 9], [9, 9]])
    fill_skipped(values, times, measured)
    # Rows 1, 2: linear in time between rows 0 and 3 where both are finite; the second column
    # has NaN on one side, so the nearer measured row's value is copied (row 1: 1.0, row 2: NaN).
    np.testing.assert_allclose(values[1:3, 0], [1.0, 2.0])
    assert values[1, 1] == 1.0
    assert np.isnan(values[2, 1])
    # Rows after the last measured row hold its value.
    np.testing.assert_array_equal(values[4], values[3])
    np.testing.assert_array_equal(values[5], values[3])


def test_emotion_probabilities_filled_by_interpolation_still_sum_to_one() -> None:
    times = np.arange(3) * 0.1
    probs = np.array([[1.0, 0.0], [np.nan, np.nan], [0.2, 0.8]])
    fill_skipped(probs, times, np.array([True, False, True]))
    assert probs[1].sum() == pytest.approx(1.0)


def test_hands_are_looked_for_every_third_of_a_second_until_one_is_tracked() -> None:
    search = HandSearch(HAND_SEARCH_EVERY_S)
    calls = []
    for k in range(20):  # 2 s at 10 fps; a hand comes into view at 1.0 s and leaves at 1.5 s
        t = k / 10
        if search.due(t):
            calls.append(k)
            search.found(t, 1.0 <= t < 1.5)
    # Searched at 0, 0.3, 0.6, 0.9 s, found at 1.2 s (within 0.3 s of coming into view), followed
    # at every frame while tracked, then searched again every 0.3 s.
    assert calls == [0, 3, 6, 9, 12, 13, 14, 15, 18]
    every_frame = HandSearch(0.0)  # full-rate runs
    every_frame.found(0.0, False)
    assert every_frame.due(0.1)


def _view(gray: np.ndarray, region: tuple[int, int, int, int] = (100, 100, 400, 400)) -> View:
    return View(shrunk(gray), region, 64)


def test_hands_are_not_looked_for_again_where_nothing_changed_since_none_was_found() -> None:
    rng = np.random.default_rng(0)
    still = rng.integers(0, 255, (480, 640), dtype=np.uint8)
    moved = still.copy()
    moved[200:260, 200:260] = 255 - moved[200:260, 200:260]  # a hand-sized patch changes in the crop
    search = HandSearch(HAND_SEARCH_EVERY_S)
    search.found(0.0, False, _view(still))
    assert not search.due(1.0, _view(still))  # the same picture a second later: nothing new to see
    assert not search.due(2.0, _view(still.copy()))
    assert search.due(2.0, _view(moved))  # it changed since the last look
    assert search.due(2.0, _view(still, (90, 100, 400, 400)))  # another crop
    assert not search.due(0.1, _view(moved))  # and never sooner than every 0.3 s
    search.found(2.0, True, _view(moved))
    assert search.due(2.1, _view(moved))  # a tracked hand is followed at every frame
    search.found(2.1, False, _view(moved))
    assert search.due(2.5, _view(still))  # lost: looked for again where the picture changes
    assert search.due(2.5)  # without a view (full-rate runs): by time alone
