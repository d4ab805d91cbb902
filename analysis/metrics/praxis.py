"""Praxis metrics: gestures performed in an imitation or command test, and how well (metrics.md s. 4).

Following Negin et al. (Expert Syst. Appl. 2018), a praxis test asks the patient to perform
upper-body gestures chosen by clinicians. From the patient's tracks this module

1. normalises the arm and hand keypoints (shoulder midpoint, shoulder width; gestures/normalise),
   keypoints the pose model did not see (visibility < 0.5) left out,
2. finds each gesture's onset and offset from hand motion relative to the torso (and in the room)
   with hysteresis (gestures/segmentation),
3. ties each gesture to the item asked: the examiner's cues (ProtocolSegment "cue", label = item)
   open one item each until the next cue; the first gesture after a cue is that item's attempt,
   and hesitation is measured from the cue,
4. recognises the gesture first (the nearest reference of every item, by DTW) and scores it
   against the item asked second: a gesture recognised as another item is "wrong_item", however
   well it performs that other item,
5. reports the side (mirrored or as shown) and the speed as its own score (duration relative to
   the references' median), since the DTW comparison resamples every gesture to 48 frames,
6. sets the verdict thresholds from the clinician-marked references (the 95th percentile of their
   pairwise distances, with their number) when there are at least two of an item, else from the
   synthetic default (reference count 1 says so).

Without cues, each gesture is matched to its nearest expected item and hesitation is unknown.
An item whose arms were never seen during its cue is NaN "arms not visible", not omitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis.gestures.normalise import normalise_keypoints
from analysis.gestures.segmentation import segment_gestures
from analysis.metrics.definitions import MetricDefinition
from analysis.metrics.praxis_attempts import (
    arm_coverage,
    candidate_items,
    classifier_predictions,
    gesture_attempt,
    item_threshold,
    reference_library,
)
from analysis.metrics.praxis_summary import SCORE_UNIT, praxis_summary
from analysis.metrics.segments import CUE, ProtocolSegment, of_kind
from analysis.results import Event, MetricsReport, WindowSample
from analysis.timeseries.preprocessing import pose_points
from analysis.tracks import POSE_LEFT_SHOULDER, POSE_LEFT_WRIST, POSE_RIGHT_SHOULDER, POSE_RIGHT_WRIST, Tracks

if TYPE_CHECKING:
    from analysis.gestures.model import GestureClassifier

FAMILY = "praxis"
MIN_VISIBILITY = 0.5

_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "praxis.gesture_count": ("count", "Gestures performed (hand movement segments found).", FAMILY),
    "praxis.duration_mean_s": ("s", "Mean duration of the performed gestures, onset to offset.", FAMILY),
    "praxis.hesitation_mean_s": ("s", "Mean delay from the examiner's cue to the gesture's onset.", FAMILY),
    "praxis.speed_ratio_mean": (
        "ratio",
        "Mean duration of the attempts relative to the references' (1 as fast, 2 twice as slow).",
        FAMILY,
    ),
    "praxis.wrong_item_count": (
        "count",
        "Attempts recognised as another item than the one asked.",
        FAMILY,
    ),
    "praxis.score_mean": (
        SCORE_UNIT,
        "Mean DTW similarity of the performed gestures to their best-matching expected gesture "
        "(100 identical, 75 = expert-vs-expert p95 distance).",
        FAMILY,
    ),
    "praxis.correct_count": (
        "count",
        "Performed gestures within the expert p95 distance of their match.",
        FAMILY,
    ),
    "praxis.omitted_count": ("count", "Expected gestures that no performed gesture matched.", FAMILY),
    "praxis.score.<gesture>": (SCORE_UNIT, "Best score among the attempts at this expected gesture.", FAMILY),
    "praxis.attempts.<gesture>": (
        "count",
        "Performed gestures attributed to this item (its cue, or its nearest match without cues).",
        FAMILY,
    ),
    "praxis.reference_count.<gesture>": (
        "count",
        "Clinician references of this item behind its verdict thresholds (1: the default threshold).",
        FAMILY,
    ),
}


_RANGES = {SCORE_UNIT: (0.0, 100.0)}
METRIC_DEFINITIONS: dict[str, MetricDefinition] = {
    key: MetricDefinition(unit, description, family, *_RANGES.get(unit, (0.0, float("inf"))))
    for key, (unit, description, family) in _DEFINITIONS.items()
}


def compute_praxis(
    tracks: Tracks,
    *,
    references: dict[str, np.ndarray | list[np.ndarray]] | None = None,
    expected_gestures: list[str] | None = None,
    expert_p95_sw: float | dict[str, float] | None = None,
    classifier: GestureClassifier | None = None,
    segments: list[ProtocolSegment] | None = None,
) -> MetricsReport:
    """Praxis metrics and one "gesture" event per performed gesture.

    Parameters
    ----------
    tracks : Tracks
        The session's tracks; the patient's rows are used when a patient is flagged, else every
        row (then the rows must be one person).
    references : dict item name -> one array, or a list of arrays (several clinician-marked
        performances), each of shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder widths
        (scoring.reference_from_tracks), at the session's analysis frame rate. None: gestures are
        found and timed but not scored.
    expected_gestures : names of the items the protocol asks for (all must be in references).
        None: every reference is a candidate.
    expert_p95_sw : verdict threshold (DTW, shoulder widths), one for all or per item; overrides
        the one computed from the references.
    classifier : optional trained GestureClassifier; adds "predicted_gesture" and
        "predicted_probability" to each event, and names the gesture when no references are given.
    segments : the protocol's segments; its "cue" segments (label = item) tie gestures to items.

    Returns
    -------
    MetricsReport with family "praxis" (keys in METRIC_DEFINITIONS), a "praxis.score_mean" window
    sample per scored gesture, and Event(kind="gesture") per gesture with attributes gesture,
    asked, recognised, score, verdict, dtw_distance, side, speed_ratio, reference_count,
    hesitation_s, duration_s.
    """
    library = reference_library(references)
    candidates = candidate_items(library, expected_gestures)
    rows = tracks.patient() if tracks.is_patient.any() else tracks
    report = MetricsReport(metrics={FAMILY: {}})
    cues = of_kind(segments, CUE)
    if len(rows) < 2:
        report.metrics[FAMILY] = praxis_summary(
            [],
            attempts=[],
            candidates=candidates,
            library=library,
            cues=cues,
            arms_seen=np.zeros(0, bool),
            time_s=rows.time_s,
        )
        return report
    keypoints, room, arms_seen = _keypoints(rows)
    segments_found = segment_gestures(rows.time_s, keypoints, room_keypoints=room)
    thresholds = {name: item_threshold(name, library, expert_p95_sw) for name in library}
    attempts = [
        gesture_attempt(
            segment,
            keypoints=keypoints,
            time_s=rows.time_s,
            library=library,
            candidates=candidates,
            thresholds=thresholds,
            cues=cues,
        )
        for segment in segments_found
    ]
    predictions = classifier_predictions(
        classifier, [a["sequence"] for a in attempts], rows.time_s, segments_found
    )
    for i, (segment, attempt) in enumerate(zip(segments_found, attempts, strict=True)):
        attributes = {key: value for key, value in attempt.items() if key != "sequence"}
        if predictions is not None:
            attributes["predicted_gesture"], attributes["predicted_probability"] = predictions[i]
            if not library:
                attributes["gesture"] = predictions[i][0]
        report.events.append(
            Event(
                kind="gesture",
                body_part=segment.body_part,
                start_s=segment.start_s,
                end_s=segment.end_s,
                confidence=arm_coverage(attempt["sequence"]),
                attributes=attributes,
            )
        )
        if attempt["score"] is not None:
            report.samples.append(
                WindowSample(
                    "praxis.score_mean", segment.start_s, segment.end_s, attempt["score"], SCORE_UNIT
                )
            )
    report.metrics[FAMILY] = praxis_summary(
        segments_found,
        attempts=attempts,
        candidates=candidates,
        library=library,
        cues=cues,
        arms_seen=arms_seen,
        time_s=rows.time_s,
    )
    return report


def _keypoints(rows: Tracks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gesture keypoints (torso-centred), the same in a room-fixed frame, and the frames whose
    wrists were seen. Points the pose model did not see are left out: a hand outside the image
    is guessed by the model with a jitter that would look like gestures."""
    pose = pose_points(rows.pose_xy, rows.pose_visibility, MIN_VISIBILITY)
    hands = np.array(rows.hands_xy, dtype=np.float64)
    hands[~(np.asarray(rows.hands_confidence, dtype=np.float64) >= MIN_VISIBILITY)] = np.nan
    keypoints = normalise_keypoints(pose, hands, rows.time_s)
    fixed = pose.copy()
    for shoulder in (POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER):
        seen = np.isfinite(pose[:, shoulder]).all(axis=1)
        if seen.any():
            fixed[:, shoulder] = np.median(pose[seen, shoulder], axis=0)
    room = normalise_keypoints(fixed, hands, rows.time_s)
    arms_seen = np.isfinite(pose[:, [POSE_LEFT_WRIST, POSE_RIGHT_WRIST]]).all(axis=2).any(axis=1)
    return keypoints, room, arms_seen
