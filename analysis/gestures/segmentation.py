"""Where gestures start and end: hand motion energy with hysteresis thresholds.

Motion energy of a hand is the mean speed of its pose wrist and index keypoints relative to the
torso, in shoulder widths per second (sw/s), from Savitzky-Golay smoothed positions (house
preprocessing: 0.4 s, order 2); with the room-fixed keypoints given, the hand must also move in
the room. Moving the whole body therefore moves no hand. A gesture is a run of frames above the low (off) threshold that reaches the high (on)
threshold somewhere: the high threshold keeps tremor, breathing and keypoint jitter out, the low
one puts the onset and offset where the movement really starts and stops instead of where it gets
fast. Static items (pointing, saluting: reach, hold still, return) fall below the off threshold
during the hold, so two runs of the same hand are joined when the hand stayed away from where it
was before the onset all along the gap. Left and right runs that overlap for most of their span
are one two-handed gesture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.gestures.normalise import LEFT_DISTAL, N_GESTURE_KEYPOINTS, RIGHT_DISTAL
from analysis.timeseries.body import in_torso_frame, torso_frame
from analysis.timeseries.filters import savgol_coefficients, savgol_filter
from analysis.timeseries.noise import jitter_sd, noise_speed_threshold

ON_THRESHOLD_SW_S = 0.8
OFF_THRESHOLD_SW_S = 0.3
SMOOTH_S = 0.4
MIN_DURATION_S = 0.5
MERGE_GAP_S = 0.25
MAX_HOLD_S = 4.0
REST_RADIUS_SW = 0.3
BOTH_HANDS_OVERLAP = 0.5


@dataclass(frozen=True)
class GestureSegment:
    """One gesture: [start_s, end_s], which hand(s), and its peak motion energy in sw/s."""

    start_s: float
    end_s: float
    body_part: str  # "left_hand", "right_hand" or "both_hands"
    peak_energy: float


def motion_energy(
    time_s: np.ndarray,
    keypoints: np.ndarray,
    *,
    smooth_s: float = SMOOTH_S,
    room_keypoints: np.ndarray | None = None,
) -> np.ndarray:
    """Speed of each hand relative to the torso, shape (n_frames, 2) in sw/s, columns (left, right).

    keypoints has shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder widths (normalise.py). The
    hand points are taken per frame in the torso frame (analysis.timeseries.body: shoulder midpoint,
    shoulder line, shoulder width), so a person swaying, turning, walking towards the camera or
    filmed by a shaking camera moves no hand. room_keypoints, the same points in a frame fixed to
    the room (shoulders held at their session medians), adds the other half of the rule: a hand
    must also move in the room, so the trunk rocking past a resting hand is not a gesture either;
    the energy is then the smaller of the two speeds. Missing keypoints are interpolated for the
    derivative, but a frame whose hand was not seen has energy NaN (not measured) rather than an
    invented speed.
    """
    time_s, keypoints = _check(time_s, keypoints)
    n = time_s.size
    energy = np.full((n, 2), np.nan)
    if n < 3:
        return energy
    relative = _torso_relative(time_s, keypoints)
    dt = float(np.median(np.diff(time_s)))
    window = max(3, round(smooth_s / dt) | 1)
    window = min(window, n if n % 2 else n - 1)
    for column, points in enumerate((LEFT_DISTAL, RIGHT_DISTAL)):
        speed = _hand_speed(time_s, relative, points, window, dt)
        if room_keypoints is not None:
            speed = np.fmin(
                speed, _hand_speed(time_s, np.asarray(room_keypoints, np.float64), points, window, dt)
            )
        energy[:, column] = speed
    return energy


def energy_noise_sw_s(time_s: np.ndarray, keypoints: np.ndarray, *, smooth_s: float = SMOOTH_S) -> float:
    """The hand speed (sw/s) that keypoint jitter alone stays below 99 % of the time, from the
    jitter measured on the torso-relative hand points of this recording (analysis.timeseries.noise);
    NaN when it cannot be measured."""
    time_s, keypoints = _check(time_s, keypoints)
    n = time_s.size
    if n < 5:
        return float("nan")
    relative = _torso_relative(time_s, keypoints)
    sigma = jitter_sd(relative[:, list(LEFT_DISTAL + RIGHT_DISTAL)], time_s)
    dt = float(np.median(np.diff(time_s)))
    window = max(3, round(smooth_s / dt) | 1)
    window = min(window, n if n % 2 else n - 1)
    speed_sd = sigma * float(np.linalg.norm(savgol_coefficients(window, 2, deriv=1, delta=dt)))
    return noise_speed_threshold(speed_sd, 2)


def _torso_relative(time_s: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """The keypoints per frame in the torso frame (shoulders at indices 0 and 1 of the layout)."""
    points = np.asarray(keypoints, dtype=np.float64)
    frame = torso_frame(points[:, 0], points[:, 1], time_s, max_gap_s=0.0)
    relative = in_torso_frame(points, frame)
    seen = np.isfinite(frame[2])
    # Where the shoulders are missing, the hand's own normalised position is the best estimate.
    relative[~seen] = points[~seen]
    return relative


def _hand_speed(
    time_s: np.ndarray, points: np.ndarray, hand: tuple[int, ...], window: int, dt: float
) -> np.ndarray:
    """Mean Savitzky-Golay speed of the hand's points, NaN where the hand was not seen."""
    n = time_s.size
    xy = points[:, list(hand)].reshape(n, -1)
    seen = np.isfinite(xy).all(axis=1)
    if seen.sum() < 2:
        return np.full(n, np.nan)
    filled = np.stack([np.interp(time_s, time_s[seen], xy[seen, k]) for k in range(xy.shape[1])], axis=1)
    velocity = savgol_filter(filled, window, 2, deriv=1, delta=dt, axis=0)
    speed = np.linalg.norm(velocity.reshape(n, len(hand), 2), axis=2).mean(axis=1)
    return np.where(seen, speed, np.nan)


def segment_gestures(
    time_s: np.ndarray,
    keypoints: np.ndarray,
    *,
    on_threshold_sw_s: float = ON_THRESHOLD_SW_S,
    off_threshold_sw_s: float = OFF_THRESHOLD_SW_S,
    min_duration_s: float = MIN_DURATION_S,
    merge_gap_s: float = MERGE_GAP_S,
    max_hold_s: float = MAX_HOLD_S,
    rest_radius_sw: float = REST_RADIUS_SW,
    smooth_s: float = SMOOTH_S,
    room_keypoints: np.ndarray | None = None,
) -> list[GestureSegment]:
    """Gesture onsets and offsets of one person, in time order.

    Parameters
    ----------
    time_s : array of shape (n_frames,)
        Frame times in s, increasing.
    keypoints : array of shape (n_frames, N_GESTURE_KEYPOINTS, 2)
        Normalised gesture keypoints in shoulder widths (normalise.gesture_keypoints).
    on_threshold_sw_s, off_threshold_sw_s : hysteresis thresholds on hand speed, sw/s.
    min_duration_s : shorter runs are dropped (a twitch is not a gesture).
    merge_gap_s : runs of one hand closer than this are always joined.
    max_hold_s, rest_radius_sw : runs of one hand separated by up to max_hold_s are joined when
        the hand stayed more than rest_radius_sw away from its pre-onset position (a held pose).
    room_keypoints : the same keypoints in a frame fixed to the room (see motion_energy).

    Both thresholds are raised together (keeping their ratio) when the recording's own keypoint
    jitter would cross the off threshold: the person's size in the image changes how many
    shoulder widths a pixel of jitter is, and jitter must never start a gesture.

    Returns
    -------
    list of GestureSegment sorted by start_s.
    """
    time_s, keypoints = _check(time_s, keypoints)
    if off_threshold_sw_s > on_threshold_sw_s:
        raise ValueError(
            f"the off threshold ({off_threshold_sw_s} sw/s) must not exceed the on threshold "
            f"({on_threshold_sw_s} sw/s)."
        )
    energy = motion_energy(time_s, keypoints, smooth_s=smooth_s, room_keypoints=room_keypoints)
    noise = energy_noise_sw_s(time_s, keypoints, smooth_s=smooth_s)
    if np.isfinite(noise) and noise > off_threshold_sw_s:
        on_threshold_sw_s *= noise / off_threshold_sw_s
        off_threshold_sw_s = noise
    per_hand: list[list[tuple[int, int, float]]] = []
    for column, points in enumerate((LEFT_DISTAL, RIGHT_DISTAL)):
        runs = _hysteresis_runs(energy[:, column], on_threshold_sw_s, off_threshold_sw_s)
        hand_xy = keypoints[:, points[0]]  # the wrist
        runs = _join_runs(
            runs,
            time_s,
            hand_xy,
            merge_gap_s=merge_gap_s,
            max_hold_s=max_hold_s,
            rest_radius_sw=rest_radius_sw,
        )
        runs = [run for run in runs if time_s[run[1]] - time_s[run[0]] >= min_duration_s]
        per_hand.append(runs)
    return _combine_hands(per_hand, time_s)


def _check(time_s: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    time_s = np.asarray(time_s, dtype=np.float64)
    keypoints = np.asarray(keypoints)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (N_GESTURE_KEYPOINTS, 2):
        raise ValueError(
            f"keypoints must have shape (n_frames, {N_GESTURE_KEYPOINTS}, 2) as made by "
            f"analysis.gestures.normalise; got {keypoints.shape}."
        )
    if time_s.shape != (keypoints.shape[0],):
        raise ValueError(f"time_s has shape {time_s.shape} but keypoints has {keypoints.shape[0]} frames.")
    if time_s.size > 1 and not np.all(np.diff(time_s) > 0):
        raise ValueError("time_s must increase strictly; select one person's rows in time order first.")
    return time_s, keypoints


def _hysteresis_runs(energy: np.ndarray, on: float, off: float) -> list[tuple[int, int, float]]:
    """(first, last, peak) frame runs above off that reach on."""
    with np.errstate(invalid="ignore"):
        above = energy > off  # NaN (hand not seen) is not above
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = []
    for first, stop in zip(starts, stops, strict=True):
        peak = float(np.nanmax(energy[first:stop]))
        if peak >= on:
            runs.append((int(first), int(stop - 1), peak))
    return runs


def _join_runs(
    runs: list[tuple[int, int, float]],
    time_s: np.ndarray,
    hand_xy: np.ndarray,
    *,
    merge_gap_s: float,
    max_hold_s: float,
    rest_radius_sw: float,
) -> list[tuple[int, int, float]]:
    """Join consecutive runs across short gaps and across holds away from the resting position."""
    joined: list[tuple[int, int, float]] = []
    for run in runs:
        if joined:
            first, last, peak = joined[-1]
            gap_s = time_s[run[0]] - time_s[last]
            if gap_s <= merge_gap_s or (
                gap_s <= max_hold_s and _held_away(hand_xy, first, last, run[0], rest_radius_sw)
            ):
                joined[-1] = (first, run[1], max(peak, run[2]))
                continue
        joined.append(run)
    return joined


def _held_away(hand_xy: np.ndarray, onset: int, gap_first: int, gap_last: int, radius: float) -> bool:
    """True when the hand stayed farther than radius from its position at the onset during the gap."""
    if not np.isfinite(hand_xy[onset]).all():
        return False
    distance = np.linalg.norm(hand_xy[gap_first : gap_last + 1] - hand_xy[onset], axis=1)
    distance = distance[np.isfinite(distance)]
    return bool(distance.size) and bool(distance.min() > radius)


def _combine_hands(per_hand: list[list[tuple[int, int, float]]], time_s: np.ndarray) -> list[GestureSegment]:
    """Label runs by hand; a left and a right run sharing most of their span become both_hands."""
    segments: list[GestureSegment] = []
    used_right: set[int] = set()
    for left in per_hand[0]:
        partner = None
        for index, right in enumerate(per_hand[1]):
            if index in used_right:
                continue
            overlap = min(left[1], right[1]) - max(left[0], right[0])
            shorter = min(left[1] - left[0], right[1] - right[0])
            if shorter > 0 and overlap >= BOTH_HANDS_OVERLAP * shorter:
                partner = index
                break
        if partner is None:
            segments.append(_segment(left, "left_hand", time_s))
        else:
            used_right.add(partner)
            right = per_hand[1][partner]
            both = (min(left[0], right[0]), max(left[1], right[1]), max(left[2], right[2]))
            segments.append(_segment(both, "both_hands", time_s))
    segments += [
        _segment(run, "right_hand", time_s) for i, run in enumerate(per_hand[1]) if i not in used_right
    ]
    return sorted(segments, key=lambda segment: segment.start_s)


def _segment(run: tuple[int, int, float], body_part: str, time_s: np.ndarray) -> GestureSegment:
    return GestureSegment(float(time_s[run[0]]), float(time_s[run[1]]), body_part, run[2])
