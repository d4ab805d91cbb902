"""From a session's features to task segments, with a trained task model, and never without one.

Steps: resample the features to the model's rate if needed, take the last stage's frame
probabilities, argmax per frame, then remove runs shorter than min_duration_s (a task takes at
least several seconds, so a shorter run is a flicker of the model): the shortest such run is
given to the longer of its two neighbours, repeatedly, until none is left (or one run remains).
Each remaining run of a task (not the background) becomes a TaskSegment [time of its first frame,
time of its first frame + frames / rate), clipped to the session's end, with confidence = the
mean probability of its task over its frames.

Without a model there is no automatic segmentation: NoTaskModel says to mark the tasks by hand.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import AnalysisError
from analysis.tasks.evaluation import label_segments
from analysis.tasks.features import TaskFeatures
from analysis.tasks.model import TaskSegmenter
from analysis.tasks.segments import TaskSegment

MIN_DURATION_S = 3.0
NO_MODEL_MESSAGE = "No task model is active: mark the tasks by hand."


class NoTaskModel(AnalysisError):
    """Segmentation was asked for without a trained task model."""


def remove_short_runs(labels: np.ndarray, min_frames: int) -> np.ndarray:
    """Labels with every run shorter than min_frames merged into its longer neighbour run."""
    out = np.asarray(labels).copy()
    while True:
        runs = label_segments(out, background=None)
        short = [(end - start, k) for k, (_, start, end) in enumerate(runs) if end - start < min_frames]
        if not short or len(runs) < 2:
            return out
        _, k = min(short)
        neighbours = [runs[j] for j in (k - 1, k + 1) if 0 <= j < len(runs)]
        label, _, _ = max(neighbours, key=lambda run: run[2] - run[1])
        _, start, end = runs[k]
        out[start:end] = label


def _resample_to(values: np.ndarray, fps: float, rate_hz: float) -> np.ndarray:
    """Nearest-frame resampling of (n, F) from fps to rate_hz (times k / rate_hz)."""
    if abs(fps - rate_hz) < 1e-9 or len(values) == 0:
        return values
    n_out = int(np.floor((len(values) - 1) / fps * rate_hz + 1e-9)) + 1
    source = np.clip(np.round(np.arange(n_out) / rate_hz * fps).astype(int), 0, len(values) - 1)
    return values[source]


def predict_labels(
    model: TaskSegmenter, values: np.ndarray, min_duration_s: float = MIN_DURATION_S
) -> np.ndarray:
    """Smoothed class index per frame of features at the model's rate."""
    probabilities = model.frame_probabilities(values)
    labels = probabilities.argmax(axis=1)
    return remove_short_runs(labels, max(1, round(min_duration_s * model.config.rate_hz)))


def segment(
    features: TaskFeatures | np.ndarray,
    fps: float,
    model: TaskSegmenter | None,
    *,
    min_duration_s: float = MIN_DURATION_S,
    duration_s: float | None = None,
) -> list[TaskSegment]:
    """Task segments of one session.

    features: a TaskFeatures, or its values (n, n_features) with frame k at time k / fps; fps is
    the frame rate of those values (a TaskFeatures' own rate is used when it is given).
    duration_s: the video's duration, to clip the last segment (default: the last frame's end).
    Raises NoTaskModel when model is None.
    """
    if model is None:
        raise NoTaskModel(NO_MODEL_MESSAGE)
    if isinstance(features, TaskFeatures):
        values, fps = features.values, features.rate_hz
    else:
        values = np.asarray(features, dtype=np.float32)
    if fps <= 0:
        raise ValueError(f"the feature rate must be positive; got {fps}.")
    rate = model.config.rate_hz
    values = _resample_to(values, fps, rate)
    if len(values) == 0:
        return []
    probabilities = model.frame_probabilities(values)
    labels = remove_short_runs(probabilities.argmax(axis=1), max(1, round(min_duration_s * rate)))
    end_of_video = duration_s if duration_s is not None else len(values) / rate
    segments = []
    for label, start, end in label_segments(labels, background=0):
        segments.append(
            TaskSegment(
                task_code=model.classes[label],
                start_s=start / rate,
                end_s=min(end / rate, end_of_video),
                confidence=float(np.clip(probabilities[start:end, label].mean(), 0.0, 1.0)),
            )
        )
    return segments
