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

from analysis.gestures.normalise import LEFT_ARM, RIGHT_ARM, normalise_keypoints
from analysis.gestures.scoring import (
    DEFAULT_EXPERT_P95_SW,
    expert_p95,
    gesture_distance,
    score_from_distance,
    verdict_from_distance,
)
from analysis.gestures.segmentation import GestureSegment, segment_gestures
from analysis.metrics.definitions import MetricDefinition
from analysis.metrics.preprocessing import pose_points
from analysis.metrics.segments import CUE, ProtocolSegment, of_kind
from analysis.results import Event, MetricsReport, MetricValue, WindowSample
from analysis.tracks import POSE_LEFT_SHOULDER, POSE_LEFT_WRIST, POSE_RIGHT_SHOULDER, POSE_RIGHT_WRIST, Tracks

if TYPE_CHECKING:
    from analysis.gestures.model import GestureClassifier

FAMILY = "praxis"
SCORE_UNIT = "score"  # 0-100
MIN_VISIBILITY = 0.5
MIN_ARMS_SEEN_SHARE = 0.2  # of a cue's frames: below, the item was not observable
NO_CUES = "needs the examiner's cue times (protocol segments)"
ARMS_NOT_VISIBLE = "arms not visible"

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
    library = _library(references)
    candidates = _candidates(library, expected_gestures)
    rows = tracks.patient() if tracks.is_patient.any() else tracks
    report = MetricsReport(metrics={FAMILY: {}})
    cues = of_kind(segments, CUE)
    if len(rows) < 2:
        report.metrics[FAMILY] = _summary(
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
    thresholds = {name: _threshold(name, library, expert_p95_sw) for name in library}
    attempts = [
        _attempt(
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
    predictions = _predict(classifier, [a["sequence"] for a in attempts], rows.time_s, segments_found)
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
                confidence=_arm_coverage(attempt["sequence"]),
                attributes=attributes,
            )
        )
        if attempt["score"] is not None:
            report.samples.append(
                WindowSample(
                    "praxis.score_mean", segment.start_s, segment.end_s, attempt["score"], SCORE_UNIT
                )
            )
    report.metrics[FAMILY] = _summary(
        segments_found,
        attempts=attempts,
        candidates=candidates,
        library=library,
        cues=cues,
        arms_seen=arms_seen,
        time_s=rows.time_s,
    )
    return report


def _library(references: dict[str, np.ndarray | list[np.ndarray]] | None) -> dict[str, list[np.ndarray]]:
    """Every item's reference performances as a list."""
    if references is None:
        return {}
    return {
        name: [np.asarray(r) for r in value] if isinstance(value, list | tuple) else [np.asarray(value)]
        for name, value in references.items()
    }


def _candidates(library: dict[str, list[np.ndarray]], expected: list[str] | None) -> list[str]:
    if not library:
        if expected is not None:
            raise ValueError(
                "expected_gestures were given without references; pass the reference performances too."
            )
        return []
    names = list(expected) if expected is not None else list(library)
    missing = [name for name in names if name not in library]
    if missing:
        raise ValueError(
            f"no reference performance for expected gesture(s) {missing}; add them to references."
        )
    if not names:
        raise ValueError("references is empty; pass at least one reference performance or None.")
    return names


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


def _threshold(
    name: str, library: dict[str, list[np.ndarray]], expert_p95_sw: float | dict[str, float] | None
) -> tuple[float, int]:
    """(verdict threshold in sw, number of clinician references behind it) for one item."""
    performances = library[name]
    if isinstance(expert_p95_sw, dict) and name in expert_p95_sw:
        return float(expert_p95_sw[name]), len(performances)
    if isinstance(expert_p95_sw, int | float):
        return float(expert_p95_sw), len(performances)
    if len(performances) >= 2:
        return expert_p95(performances), len(performances)
    return DEFAULT_EXPERT_P95_SW, len(performances)


def _cue_of(cues: list[ProtocolSegment], start_s: float) -> ProtocolSegment | None:
    """The cue whose item a gesture starting at start_s answers: the last cue before it."""
    before = [c for c in cues if c.start_s <= start_s + 1e-9]
    return before[-1] if before else None


def _attempt(
    segment: GestureSegment,
    *,
    keypoints: np.ndarray,
    time_s: np.ndarray,
    library: dict[str, list[np.ndarray]],
    candidates: list[str],
    thresholds: dict[str, tuple[float, int]],
    cues: list[ProtocolSegment],
) -> dict:
    """One performed gesture: recognised first, then scored against the item asked."""
    sequence = keypoints[(time_s >= segment.start_s) & (time_s <= segment.end_s)]
    cue = _cue_of(cues, segment.start_s)
    attempt: dict = {
        "sequence": sequence,
        "asked": cue.label if cue else None,
        "hesitation_s": round(segment.start_s - cue.start_s, 3) if cue else None,
        "duration_s": round(segment.end_s - segment.start_s, 3),
        "gesture": None,
        "recognised": None,
        "score": None,
        "verdict": None,
        "dtw_distance": None,
        "side": None,
        "speed_ratio": None,
        "reference_count": None,
    }
    if not library:
        return attempt
    distances = {name: min(gesture_distance(sequence, r) for r in refs) for name, refs in library.items()}
    recognised = min(candidates, key=lambda name: distances[name][0])
    overall = min(distances, key=lambda name: distances[name][0])
    asked = cue.label if cue and cue.label in library else None
    item = asked or recognised
    distance, mirrored = distances[item]
    p95, count = thresholds[item]
    verdict = verdict_from_distance(distance, p95)
    if asked is not None and overall != asked:
        verdict = "wrong_item"
    frames = [r.shape[0] for r in library[item]]
    attempt.update(
        gesture=item,
        recognised=overall if asked is not None else recognised,
        score=round(score_from_distance(distance, p95), 1),
        verdict=verdict,
        dtw_distance=round(distance, 4),
        side="mirrored" if mirrored else "as shown",
        speed_ratio=round(sequence.shape[0] / float(np.median(frames)), 3),
        reference_count=count,
    )
    return attempt


def _predict(
    classifier: GestureClassifier | None,
    sequences: list[np.ndarray],
    time_s: np.ndarray,
    segments: list[GestureSegment],
) -> list[tuple[str, float]] | None:
    if classifier is None or not sequences:
        return None if classifier is None else []
    inside = [(time_s >= s.start_s) & (time_s <= s.end_s) for s in segments]
    fps = [1.0 / float(np.median(np.diff(time_s[m]))) for m in inside]
    labels, probs = classifier.predict(sequences, fps)
    return [(label, round(float(p.max()), 4)) for label, p in zip(labels, probs, strict=True)]


def _arm_coverage(sequence: np.ndarray) -> float:
    """Share of the gesture's frames in which all arm keypoints were seen: how much to trust it."""
    seen = np.isfinite(sequence[:, list(LEFT_ARM + RIGHT_ARM)]).all(axis=(1, 2))
    return round(float(seen.mean()), 3) if seen.size else 0.0


def _summary(
    segments: list[GestureSegment],
    *,
    attempts: list[dict],
    candidates: list[str],
    library: dict[str, list[np.ndarray]],
    cues: list[ProtocolSegment],
    arms_seen: np.ndarray,
    time_s: np.ndarray,
) -> dict[str, MetricValue]:
    durations = [s.end_s - s.start_s for s in segments]
    hesitations = [a["hesitation_s"] for a in attempts if a["hesitation_s"] is not None]
    metrics = {
        "praxis.gesture_count": MetricValue(float(len(segments)), "count"),
        "praxis.duration_mean_s": _mean(durations, "s", "no gesture"),
        "praxis.hesitation_mean_s": _mean(
            hesitations, "s", NO_CUES if not cues else "no gesture after a cue"
        ),
    }
    if not candidates:
        return metrics
    scored = [a for a in attempts if a["score"] is not None]
    metrics["praxis.score_mean"] = _mean([a["score"] for a in scored], SCORE_UNIT, "no gesture scored")
    metrics["praxis.speed_ratio_mean"] = _mean(
        [a["speed_ratio"] for a in scored], "ratio", "no gesture scored"
    )
    metrics["praxis.correct_count"] = MetricValue(
        float(sum(a["verdict"] == "correct" for a in scored)), "count"
    )
    metrics["praxis.wrong_item_count"] = (
        MetricValue(float(sum(a["verdict"] == "wrong_item" for a in scored)), "count")
        if cues
        else MetricValue.unknown("count", NO_CUES)
    )
    omitted, unobservable = 0, False
    for name in candidates:
        tries = [a["score"] for a in scored if a["gesture"] == name]
        observable = _observable(name, cues, arms_seen, time_s)
        metrics[f"praxis.reference_count.{name}"] = MetricValue(float(len(library[name])), "count")
        if not tries and not observable:
            unobservable = True
            metrics[f"praxis.score.{name}"] = MetricValue.unknown(SCORE_UNIT, ARMS_NOT_VISIBLE)
            metrics[f"praxis.attempts.{name}"] = MetricValue.unknown("count", ARMS_NOT_VISIBLE)
            continue
        omitted += not tries
        metrics[f"praxis.score.{name}"] = (
            MetricValue(max(tries), SCORE_UNIT) if tries else MetricValue.unknown(SCORE_UNIT, "omitted")
        )
        metrics[f"praxis.attempts.{name}"] = MetricValue(float(len(tries)), "count")
    metrics["praxis.omitted_count"] = (
        MetricValue.unknown("count", f"some items' {ARMS_NOT_VISIBLE}")
        if unobservable
        else MetricValue(float(omitted), "count")
    )
    return metrics


def _observable(name: str, cues: list[ProtocolSegment], arms_seen: np.ndarray, time_s: np.ndarray) -> bool:
    """Whether the arms were seen enough to tell that an item was not done: during its cue (until
    the next cue) when cues exist, else anywhere in the recording."""
    if arms_seen.size == 0:
        return False
    mine = [c for c in cues if c.label == name]
    if not mine:
        return bool(arms_seen.mean() >= MIN_ARMS_SEEN_SHARE)
    for cue in mine:
        later = [c.start_s for c in cues if c.start_s > cue.start_s]
        end = min(later) if later else float(time_s[-1]) + 1e-6
        inside = (time_s >= cue.start_s) & (time_s < end)
        if inside.any() and arms_seen[inside].mean() >= MIN_ARMS_SEEN_SHARE:
            return True
    return False


def _mean(values: list[float], unit: str, reason: str) -> MetricValue:
    return MetricValue(float(np.mean(values)), unit) if values else MetricValue.unknown(unit, reason)
