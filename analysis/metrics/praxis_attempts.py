"""Praxis, one performed gesture at a time: the item it answers, what it is recognised as, its score.

The recognition and scoring steps of compute_praxis (analysis/metrics/praxis.py): the reference
library per item, the verdict threshold per item, the cue a gesture answers, and the classifier's
optional second opinion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis.gestures.normalise import LEFT_ARM, RIGHT_ARM
from analysis.gestures.scoring import (
    DEFAULT_EXPERT_P95_SW,
    expert_p95,
    gesture_distance,
    score_from_distance,
    verdict_from_distance,
)
from analysis.gestures.segmentation import GestureSegment
from analysis.metrics.segments import ProtocolSegment

if TYPE_CHECKING:
    from analysis.gestures.model import GestureClassifier


def reference_library(
    references: dict[str, np.ndarray | list[np.ndarray]] | None,
) -> dict[str, list[np.ndarray]]:
    """Every item's reference performances as a list."""
    if references is None:
        return {}
    return {
        name: [np.asarray(r) for r in value] if isinstance(value, list | tuple) else [np.asarray(value)]
        for name, value in references.items()
    }


def candidate_items(library: dict[str, list[np.ndarray]], expected: list[str] | None) -> list[str]:
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


def item_threshold(
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


def cue_of(cues: list[ProtocolSegment], start_s: float) -> ProtocolSegment | None:
    """The cue whose item a gesture starting at start_s answers: the last cue before it."""
    before = [c for c in cues if c.start_s <= start_s + 1e-9]
    return before[-1] if before else None


def gesture_attempt(
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
    cue = cue_of(cues, segment.start_s)
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


def classifier_predictions(
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


def arm_coverage(sequence: np.ndarray) -> float:
    """Share of the gesture's frames in which all arm keypoints were seen: how much to trust it."""
    seen = np.isfinite(sequence[:, list(LEFT_ARM + RIGHT_ARM)]).all(axis=(1, 2))
    return round(float(seen.mean()), 3) if seen.size else 0.0
