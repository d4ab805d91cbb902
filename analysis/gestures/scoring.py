"""Praxis score: how close a performed gesture is to a clinician's reference, 0 to 100.

Comparison: the arm keypoints (elbows, wrists, index fingers; normalise.LEFT_ARM/RIGHT_ARM) of
both sequences, in shoulder widths, resampled to RESAMPLED_FRAMES frames (so the recording's
frame rate and the overall speed do not matter; duration is reported separately), aligned by DTW
with a Sakoe-Chiba band. The DTW distance d is the mean keypoint distance along the alignment, in
shoulder widths. A gesture done with the other hand is compared with the mirrored reference too,
and the closer of the two counts (imitation tests accept either hand).

Score and verdict (metrics.md section 4): with p95 the 95th percentile of expert-vs-expert
distances for that gesture,
    score = 100 * 0.75 ** ((d / p95) ** 2)
so an expert-like performance (d <= p95) scores 75-100 and is "correct", d <= 2 * p95 scores
32-75 and is "partial", anything farther is "fail". The Gaussian shape keeps the score flat near
a perfect match, where the remaining distance is keypoint noise rather than a praxis error.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from analysis.gestures.dtw import dtw
from analysis.gestures.normalise import LEFT_ARM, N_GESTURE_KEYPOINTS, RIGHT_ARM, gesture_keypoints, mirror
from analysis.tracks import Tracks

RESAMPLED_FRAMES = 48
BAND = 0.25
SCORE_AT_P95 = 75.0
# p95 of expert-vs-expert distances on analysis.gestures.synthetic performances (10 gestures, 12
# performances each, random speed/size/position/warp/tilt, 0.5-2 px noise): 0.076 sw pooled
# (0.055-0.087 per gesture); see docs/gestures.md.
# Sites should calibrate it on their own expert recordings with expert_p95().
DEFAULT_EXPERT_P95_SW = 0.08
VERDICTS = ("correct", "partial", "fail")


@dataclass(frozen=True)
class PraxisScore:
    """score_0_100 (100 = same as the reference), dtw_distance in shoulder widths, verdict one of
    VERDICTS, mirrored True when the other-hand (mirrored) comparison was the closer one."""

    score_0_100: float
    dtw_distance: float
    verdict: str
    mirrored: bool = False


def score_from_distance(distance_sw: float, expert_p95_sw: float = DEFAULT_EXPERT_P95_SW) -> float:
    """Map a DTW distance (shoulder widths) to 0-100: 100 at 0, 75 at p95, 32 at 2 x p95."""
    if expert_p95_sw <= 0:
        raise ValueError(f"the expert p95 distance must be positive; got {expert_p95_sw}.")
    return float(100.0 * (SCORE_AT_P95 / 100.0) ** ((distance_sw / expert_p95_sw) ** 2))


def verdict_from_distance(distance_sw: float, expert_p95_sw: float = DEFAULT_EXPERT_P95_SW) -> str:
    """correct if d <= p95, partial if d <= 2 x p95, else fail."""
    if distance_sw <= expert_p95_sw:
        return "correct"
    return "partial" if distance_sw <= 2 * expert_p95_sw else "fail"


def arm_trajectory(keypoints: np.ndarray, n_frames: int = RESAMPLED_FRAMES) -> np.ndarray:
    """Arm keypoints resampled to n_frames, shape (n_frames, 6, 2) in shoulder widths.

    keypoints has shape (n, N_GESTURE_KEYPOINTS, 2). Missing frames are interpolated; a point never
    seen in the whole sequence makes the comparison impossible and raises ValueError.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (N_GESTURE_KEYPOINTS, 2):
        raise ValueError(
            f"gesture keypoints must have shape (n_frames, {N_GESTURE_KEYPOINTS}, 2); got {keypoints.shape}."
        )
    arms = keypoints[:, list(LEFT_ARM + RIGHT_ARM)].reshape(keypoints.shape[0], -1)
    if keypoints.shape[0] < 2:
        raise ValueError("a gesture needs at least 2 frames to be compared.")
    source = np.linspace(0.0, 1.0, arms.shape[0])
    target = np.linspace(0.0, 1.0, n_frames)
    columns = []
    for column in arms.T:
        seen = np.isfinite(column)
        if seen.sum() < 2:
            raise ValueError(
                "an arm keypoint is missing in (almost) every frame of the gesture; cannot score it."
            )
        columns.append(np.interp(target, source[seen], column[seen]))
    return np.stack(columns, axis=1).reshape(n_frames, -1, 2)


def gesture_distance(
    performed: np.ndarray, reference: np.ndarray, *, band: float = BAND
) -> tuple[float, bool]:
    """(DTW distance in sw, mirrored) of the closer of the direct and the mirrored comparison."""
    target = arm_trajectory(reference)
    direct = dtw(arm_trajectory(performed), target, band=band).distance
    flipped = dtw(arm_trajectory(mirror(np.asarray(performed, dtype=np.float64))), target, band=band).distance
    return (flipped, True) if flipped < direct else (direct, False)


def score_gesture(
    performed: np.ndarray,
    reference: np.ndarray,
    *,
    expert_p95_sw: float = DEFAULT_EXPERT_P95_SW,
    band: float = BAND,
) -> PraxisScore:
    """Score a performed gesture against a reference performance.

    Parameters
    ----------
    performed, reference : arrays of shape (n_frames, N_GESTURE_KEYPOINTS, 2)
        Normalised gesture keypoints in shoulder widths (normalise.gesture_keypoints, or
        reference_from_tracks for a clinician's marked segment). Lengths may differ.
    expert_p95_sw : p95 of expert-vs-expert DTW distances for this gesture (expert_p95).
    band : Sakoe-Chiba band, fraction of the resampled length.
    """
    distance, mirrored = gesture_distance(performed, reference, band=band)
    return PraxisScore(
        score_0_100=score_from_distance(distance, expert_p95_sw),
        dtw_distance=distance,
        verdict=verdict_from_distance(distance, expert_p95_sw),
        mirrored=mirrored,
    )


def expert_p95(performances: list[np.ndarray], *, band: float = BAND) -> float:
    """95th percentile of the pairwise DTW distances between expert performances of one gesture, sw.

    performances: at least 2 arrays of shape (n_frames, N_GESTURE_KEYPOINTS, 2).
    """
    if len(performances) < 2:
        raise ValueError("the expert p95 needs at least two expert performances of the gesture.")
    distances = [gesture_distance(a, b, band=band)[0] for a, b in combinations(performances, 2)]
    return float(np.percentile(distances, 95))


def reference_from_tracks(tracks: Tracks, start_s: float, end_s: float) -> np.ndarray:
    """The gesture keypoints of a clinician's marked segment [start_s, end_s] of a recording.

    The patient's rows are used when tracks flags a patient, else every row (one person). The
    shoulder-width scale is taken from the whole recording, which is steadier than the segment's.

    Returns
    -------
    array of shape (n_frames_in_segment, N_GESTURE_KEYPOINTS, 2), float32, shoulder widths.
    """
    if end_s <= start_s:
        raise ValueError(f"the reference segment ends ({end_s} s) before it starts ({start_s} s).")
    rows = tracks.patient() if tracks.is_patient.any() else tracks
    keypoints = gesture_keypoints(rows)
    inside = (rows.time_s >= start_s) & (rows.time_s <= end_s)
    if inside.sum() < 2:
        raise ValueError(
            f"the segment {start_s:.2f}-{end_s:.2f} s holds {int(inside.sum())} frame(s) of the recording; "
            "mark a longer segment."
        )
    segment = keypoints[inside]
    arm_seen = np.isfinite(segment[:, list(LEFT_ARM + RIGHT_ARM)]).all(axis=(1, 2))
    if arm_seen.sum() < 2:
        raise ValueError(
            f"the arms are not visible in the segment {start_s:.2f}-{end_s:.2f} s; choose another."
        )
    return segment
