"""Praxis summary: the family's metrics from the attempts, with NaN and a reason for what was not seen.

An item whose arms were never seen during its cue is NaN "arms not visible", not omitted;
without the examiner's cues, hesitation and wrong items are unknown.
"""

from __future__ import annotations

import numpy as np

from analysis.gestures.segmentation import GestureSegment
from analysis.metrics.segments import ProtocolSegment
from analysis.results import MetricValue

SCORE_UNIT = "score"  # 0-100
MIN_ARMS_SEEN_SHARE = 0.2  # of a cue's frames: below, the item was not observable
NO_CUES = "needs the examiner's cue times (protocol segments)"
ARMS_NOT_VISIBLE = "arms not visible"


def praxis_summary(
    segments: list[GestureSegment],
    *,
    attempts: list[dict],
    candidates: list[str],
    library: dict[str, list[np.ndarray]],
    cues: list[ProtocolSegment],
    arms_seen: np.ndarray,
    time_s: np.ndarray,
) -> dict[str, MetricValue]:
    """The praxis family's metrics; per item its best score, its attempts and its reference count."""
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
