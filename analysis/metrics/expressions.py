"""Facial expressions over time: valence, expressive variety, switches and per-story features.

The expression classifier gives per-frame probabilities over FER-2013's seven classes. This
module turns them into what the apathy literature compares: valence over all seven classes,
variety across time (not the classifier's per-frame doubt), switches between held expressions,
and the same per protocol story with the valence change between the positive and the negative
story (Happy et al., FG 2019 and 2020).
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.segments import (
    NEGATIVE_STORY,
    NEUTRAL,
    POSITIVE_STORY,
    ProtocolSegment,
    mask_of,
    of_kind,
)
from analysis.results import MetricValue
from analysis.timeseries.preprocessing import frame_period_s, nanmean, true_runs
from analysis.tracks import EMOTION_CLASSES

POSITIVE_CLASSES = ("happy",)

NEGATIVE_CLASSES = ("angry", "disgust", "fear", "sad")

STORY_KINDS = (POSITIVE_STORY, NEGATIVE_STORY, NEUTRAL)

EMOTION_INDEX = {name: i for i, name in enumerate(EMOTION_CLASSES)}


def emotion_entropy_bits(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of each row of probabilities, shape (n_frames, 7) -> (n_frames,).

    Rows are renormalised to sum to 1; 0 log 0 = 0; NaN rows give NaN. The maximum,
    for uniform probabilities, is log2(7) = 2.81 bits.
    """
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / p.sum(axis=1, keepdims=True)
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    entropy = terms.sum(axis=1)
    entropy[~np.isfinite(p).all(axis=1)] = np.nan
    return entropy


def stable_switch_times(labels: np.ndarray, time_s: np.ndarray, min_hold_s: float) -> np.ndarray:
    """Times (s) at which a label changes to another one that then lasts >= min_hold_s.

    labels has shape (n_valid,) over valid frames only (time-ordered). Runs shorter than
    min_hold_s are ignored, so a one-frame flicker of the top class is not a switch.
    """
    if labels.size == 0:
        return np.zeros(0)
    period = frame_period_s(time_s)
    period = period if np.isfinite(period) else 0.0
    change = np.flatnonzero(np.diff(labels) != 0) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [labels.size]))
    durations = time_s[stops - 1] - time_s[starts] + period
    held = durations >= min_hold_s - 1e-9
    kept_labels, kept_starts = labels[starts][held], starts[held]
    switched = np.flatnonzero(np.diff(kept_labels) != 0) + 1
    return time_s[kept_starts[switched]]


def valence(probs: np.ndarray) -> np.ndarray:
    """Per-frame valence: P(happy) - (P(angry) + P(disgust) + P(fear) + P(sad)), in [-1, 1].
    Surprise and neutral count as neither (surprise is as often negative as positive)."""
    p = np.asarray(probs, dtype=np.float64)
    positive = p[:, [EMOTION_INDEX[c] for c in POSITIVE_CLASSES]].sum(axis=1)
    negative = p[:, [EMOTION_INDEX[c] for c in NEGATIVE_CLASSES]].sum(axis=1)
    return positive - negative


def held_expressions(probs: np.ndarray, time_s: np.ndarray, config: MetricsConfig) -> np.ndarray:
    """Per-frame index of the expression clearly shown and held, -1 elsewhere: the top class with
    probability >= expression_min_prob, in a run of that class lasting >= emotion_min_hold_s.
    A classifier unsure in every frame holds nothing, whatever its per-frame entropy."""
    p = np.asarray(probs, dtype=np.float64)
    finite = np.isfinite(p).all(axis=1)
    top = np.where(finite, np.argmax(np.nan_to_num(p, nan=-1.0), axis=1), -1)
    clear = finite & (np.nan_to_num(p, nan=0.0).max(axis=1) >= config.expression_min_prob)
    label = np.where(clear, top, -1)
    period = frame_period_s(time_s)
    held = np.full(label.shape, -1)
    for value in np.unique(label[label >= 0]):
        for a, b in true_runs(label == value):
            if (b - a) * period >= config.emotion_min_hold_s - 1e-9:
                held[a:b] = value
    return held


def expression_variety(held: np.ndarray) -> tuple[float, int]:
    """Expressive variety across the session: (entropy in bits of the share of held time per
    expression, number of distinct expressions held). (NaN, 0) when nothing was held."""
    labels = held[held >= 0]
    if labels.size == 0:
        return float("nan"), 0
    shares = np.bincount(labels, minlength=len(EMOTION_CLASSES)) / labels.size
    shares = shares[shares > 0]
    return float(-(shares * np.log2(shares)).sum()), int(shares.size)


def story_metrics(
    segments: list[ProtocolSegment] | None,
    time_s: np.ndarray,
    frame_valence: np.ndarray,
    face_speed: np.ndarray,
    held: np.ndarray,
) -> dict[str, MetricValue]:
    """Valence, facial motion and expressive variety per protocol story (positive, negative,
    neutral), and the valence change from the negative to the positive story: a reactive
    patient's happy and sad stories no longer cancel (Happy et al. FG 2019, 2020)."""
    out: dict[str, MetricValue] = {}
    means = {}
    for kind in STORY_KINDS:
        marked = of_kind(segments, kind)
        reason = f"the protocol's {kind.replace('_', ' ')} segment was not marked"
        inside = mask_of(marked, time_s)
        seen = inside & np.isfinite(frame_valence)
        seconds = float(seen.sum() * frame_period_s(time_s)) if marked else 0.0
        if marked and not seen.any():
            reason = f"no facial expression was measured during the {kind.replace('_', ' ')}"
        if not seen.any():
            means[kind] = float("nan")
            out[f"apathy.{kind}.valence_mean"] = MetricValue.unknown("valence", reason, seconds)
            out[f"apathy.{kind}.facial_motion_energy"] = MetricValue.unknown("IOD/s", reason)
            out[f"apathy.{kind}.expression_variety_bits"] = MetricValue.unknown("bits", reason)
            continue
        means[kind] = nanmean(frame_valence[seen])
        out[f"apathy.{kind}.valence_mean"] = MetricValue(means[kind], "valence", analysable_s=seconds)
        out[f"apathy.{kind}.facial_motion_energy"] = MetricValue(nanmean(face_speed[inside]), "IOD/s")
        bits, _ = expression_variety(np.where(inside, held, -1))
        out[f"apathy.{kind}.expression_variety_bits"] = (
            MetricValue(bits, "bits")
            if np.isfinite(bits)
            else MetricValue.unknown("bits", "no expression held")
        )
    change = means[POSITIVE_STORY] - means[NEGATIVE_STORY]
    out["apathy.valence_change_positive_minus_negative"] = (
        MetricValue(change, "valence")
        if np.isfinite(change)
        else MetricValue.unknown("valence", "needs both the positive and the negative story, with faces seen")
    )
    return out
