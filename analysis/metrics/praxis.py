"""Praxis metrics: gestures performed in an imitation or command test, and how well (metrics.md s. 4).

Following Negin et al. (Expert Syst. Appl. 2018), a praxis test asks the patient to perform
upper-body gestures chosen by clinicians. From the patient's tracks this module

1. normalises the arm and hand keypoints (shoulder midpoint, shoulder width; gestures/normalise),
2. finds each gesture's onset and offset from hand motion energy with hysteresis
   (gestures/segmentation),
3. when reference performances are given, scores every performed gesture against each expected
   gesture by DTW and keeps the best match (gestures/scoring; 0-100, 75 = expert p95 distance),
4. optionally names each gesture with a trained classifier (gestures/model).

Hesitation is the delay before a gesture starts: from the start of the recording for the first
gesture, from the end of the previous gesture for the others (the patient is expected to go on
with the next item when done). Attempts count the performed gestures matched to an expected one;
an expected gesture that none matches is omitted (its score is NaN: not measured, not 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis.gestures.normalise import LEFT_ARM, RIGHT_ARM, gesture_keypoints
from analysis.gestures.scoring import DEFAULT_EXPERT_P95_SW, PraxisScore, score_gesture
from analysis.gestures.segmentation import GestureSegment, segment_gestures
from analysis.metrics.definitions import MetricDefinition
from analysis.results import Event, MetricsReport, MetricValue, WindowSample
from analysis.tracks import Tracks

if TYPE_CHECKING:
    from analysis.gestures.model import GestureClassifier

FAMILY = "praxis"
SCORE_UNIT = "score"  # 0-100

# key -> (unit, description, family). Keys with <gesture> exist once per expected gesture.
_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "praxis.gesture_count": ("count", "Gestures performed (hand movement segments found).", FAMILY),
    "praxis.duration_mean_s": ("s", "Mean duration of the performed gestures, onset to offset.", FAMILY),
    "praxis.hesitation_mean_s": (
        "s",
        "Mean delay before a gesture starts (from the recording start, then from the previous gesture's end).",
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
        "Performed gestures whose best match is this expected gesture.",
        FAMILY,
    ),
}


_RANGES = {"score": (0.0, 100.0)}
METRIC_DEFINITIONS: dict[str, MetricDefinition] = {
    key: MetricDefinition(unit, description, family, *_RANGES.get(unit, (0.0, float("inf"))))
    for key, (unit, description, family) in _DEFINITIONS.items()
}


def compute_praxis(
    tracks: Tracks,
    *,
    references: dict[str, np.ndarray] | None = None,
    expected_gestures: list[str] | None = None,
    expert_p95_sw: float | dict[str, float] | None = None,
    classifier: GestureClassifier | None = None,
) -> MetricsReport:
    """Praxis metrics and one "gesture" event per performed gesture.

    Parameters
    ----------
    tracks : Tracks
        The session's tracks; the patient's rows are used when a patient is flagged, else every
        row (then the rows must be one person).
    references : dict gesture name -> array of shape (n_frames, N_GESTURE_KEYPOINTS, 2), optional
        Expert performances in shoulder widths (scoring.reference_from_tracks). None: gestures are
        found and timed but not scored.
    expected_gestures : names of the gestures the protocol asked for (all must be in references).
        None: every reference is a candidate.
    expert_p95_sw : expert-vs-expert p95 DTW distance in shoulder widths, one for all gestures or
        per gesture. None: scoring.DEFAULT_EXPERT_P95_SW.
    classifier : optional trained GestureClassifier; adds "predicted_gesture" and
        "predicted_probability" to each event, and names the gesture when no references are given.

    Returns
    -------
    MetricsReport with family "praxis" (keys in METRIC_DEFINITIONS), a "praxis.score_mean" window
    sample per scored gesture, and Event(kind="gesture") per gesture with attributes gesture,
    score, verdict, dtw_distance, hesitation_s, duration_s.
    """
    candidates = _candidates(references, expected_gestures)
    rows = tracks.patient() if tracks.is_patient.any() else tracks
    report = MetricsReport(metrics={FAMILY: {}})
    if len(rows) == 0:
        report.metrics[FAMILY] = _summary([], [], [], candidates)
        return report
    keypoints = gesture_keypoints(rows)
    segments = segment_gestures(rows.time_s, keypoints) if len(rows) > 1 else []
    sequences = [keypoints[_inside(rows.time_s, s)] for s in segments]
    hesitations = _hesitations(segments, float(rows.time_s[0]))
    matches = [_best_match(seq, references or {}, candidates, expert_p95_sw) for seq in sequences]
    predictions = _predict(classifier, sequences, rows.time_s, segments)
    for i, segment in enumerate(segments):
        name, score = matches[i]
        attributes = {
            "gesture": name,
            "score": None if score is None else round(score.score_0_100, 1),
            "verdict": None if score is None else score.verdict,
            "dtw_distance": None if score is None else round(score.dtw_distance, 4),
            "hesitation_s": round(hesitations[i], 3),
            "duration_s": round(segment.end_s - segment.start_s, 3),
        }
        if predictions is not None:
            attributes["predicted_gesture"], attributes["predicted_probability"] = predictions[i]
            if references is None:
                attributes["gesture"] = predictions[i][0]
        report.events.append(
            Event(
                kind="gesture",
                body_part=segment.body_part,
                start_s=segment.start_s,
                end_s=segment.end_s,
                confidence=_arm_coverage(sequences[i]),
                attributes=attributes,
            )
        )
        if score is not None:
            report.samples.append(
                WindowSample(
                    "praxis.score_mean", segment.start_s, segment.end_s, score.score_0_100, SCORE_UNIT
                )
            )
    report.metrics[FAMILY] = _summary(segments, hesitations, matches, candidates)
    return report


def _candidates(references: dict[str, np.ndarray] | None, expected: list[str] | None) -> list[str]:
    if references is None:
        if expected is not None:
            raise ValueError(
                "expected_gestures were given without references; pass the reference performances too."
            )
        return []
    names = list(expected) if expected is not None else list(references)
    missing = [name for name in names if name not in references]
    if missing:
        raise ValueError(
            f"no reference performance for expected gesture(s) {missing}; add them to references."
        )
    if not names:
        raise ValueError("references is empty; pass at least one reference performance or None.")
    return names


def _inside(time_s: np.ndarray, segment: GestureSegment) -> np.ndarray:
    return (time_s >= segment.start_s) & (time_s <= segment.end_s)


def _hesitations(segments: list[GestureSegment], recording_start_s: float) -> list[float]:
    previous_end = recording_start_s
    delays = []
    for segment in segments:
        delays.append(max(0.0, segment.start_s - previous_end))
        previous_end = max(previous_end, segment.end_s)
    return delays


def _best_match(
    performed: np.ndarray,
    references: dict[str, np.ndarray],
    candidates: list[str],
    expert_p95_sw: float | dict[str, float] | None,
) -> tuple[str | None, PraxisScore | None]:
    best: tuple[str | None, PraxisScore | None] = (None, None)
    for name in candidates:
        p95 = _p95_for(name, expert_p95_sw)
        score = score_gesture(performed, references[name], expert_p95_sw=p95)
        if best[1] is None or score.score_0_100 > best[1].score_0_100:
            best = (name, score)
    return best


def _p95_for(name: str, expert_p95_sw: float | dict[str, float] | None) -> float:
    if expert_p95_sw is None:
        return DEFAULT_EXPERT_P95_SW
    if isinstance(expert_p95_sw, dict):
        return expert_p95_sw.get(name, DEFAULT_EXPERT_P95_SW)
    return float(expert_p95_sw)


def _predict(
    classifier: GestureClassifier | None,
    sequences: list[np.ndarray],
    time_s: np.ndarray,
    segments: list[GestureSegment],
) -> list[tuple[str, float]] | None:
    if classifier is None or not sequences:
        return None if classifier is None else []
    fps = [1.0 / float(np.median(np.diff(time_s[_inside(time_s, s)]))) for s in segments]
    labels, probs = classifier.predict(sequences, fps)
    return [(label, round(float(p.max()), 4)) for label, p in zip(labels, probs, strict=True)]


def _arm_coverage(sequence: np.ndarray) -> float:
    """Share of the gesture's frames in which all arm keypoints were seen: how much to trust it."""
    seen = np.isfinite(sequence[:, list(LEFT_ARM + RIGHT_ARM)]).all(axis=(1, 2))
    return round(float(seen.mean()), 3)


def _summary(
    segments: list[GestureSegment],
    hesitations: list[float],
    matches: list[tuple[str | None, PraxisScore | None]],
    candidates: list[str],
) -> dict[str, MetricValue]:
    durations = [s.end_s - s.start_s for s in segments]
    metrics = {
        "praxis.gesture_count": MetricValue(float(len(segments)), "count"),
        "praxis.duration_mean_s": MetricValue(_mean(durations), "s"),
        "praxis.hesitation_mean_s": MetricValue(_mean(hesitations), "s"),
    }
    if not candidates:
        return metrics
    scored = [(name, score) for name, score in matches if score is not None]
    metrics["praxis.score_mean"] = MetricValue(_mean([s.score_0_100 for _, s in scored]), SCORE_UNIT)
    metrics["praxis.correct_count"] = MetricValue(
        float(sum(s.verdict == "correct" for _, s in scored)), "count"
    )
    omitted = 0
    for name in candidates:
        attempts = [s.score_0_100 for matched, s in scored if matched == name]
        omitted += not attempts
        metrics[f"praxis.score.{name}"] = MetricValue(max(attempts) if attempts else float("nan"), SCORE_UNIT)
        metrics[f"praxis.attempts.{name}"] = MetricValue(float(len(attempts)), "count")
    metrics["praxis.omitted_count"] = MetricValue(float(omitted), "count")
    return metrics


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
