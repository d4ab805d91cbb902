"""The standard action-segmentation measures (as in MS-TCN's evaluation, Farha & Gall 2019).

Why three: frame accuracy is dominated by long tasks and blind to fragmentation; the edit score
sees the order of segments but not their timing; segmental F1 at an IoU overlap sees both. All
are fractions in [0, 1] (papers print them x100).

Definitions, for frame label sequences y (truth) and p (prediction):
- segments: maximal runs of one label, background runs left out, as [start, end) frame indices
  (the reference code records the end of a run reaching the last frame as the last index; here it
  is exclusive everywhere, so a run of k frames has length k);
- frame accuracy = #{t : p_t = y_t} / T, over every frame of every sequence (background included);
- edit score = 1 - Levenshtein(P, Y) / max(|P|, |Y|), with P, Y the sequences of segment labels
  (insert, delete and substitute cost 1); 1 when both are empty; the mean over sequences;
- F1@k: each predicted segment, in time order, is matched to the true segment of the same label
  with the largest IoU = |intersection| / |union|; it is a true positive when IoU >= k and that
  true segment is not yet matched, else a false positive; unmatched true segments are false
  negatives. precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / (P + R), with TP,
  FP, FN summed over the sequences. NaN when there is no segment at all (nothing to score).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OVERLAPS = (0.10, 0.25, 0.50)


def label_segments(
    labels: Sequence[int] | np.ndarray, background: int | None = 0
) -> list[tuple[int, int, int]]:
    """(label, start, end) of each maximal run of one label, end exclusive, background left out."""
    values = np.asarray(labels)
    if values.size == 0:
        return []
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [values.size]])
    return [
        (int(values[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True) if values[s] != background
    ]


def levenshtein(a: Sequence[int], b: Sequence[int]) -> int:
    """Edit distance (insertions, deletions, substitutions, each 1) between two label sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
        previous = current
    return previous[-1]


def edit_score(predicted: np.ndarray, truth: np.ndarray, background: int | None = 0) -> float:
    """1 - normalised segmental Levenshtein distance (1 = same segment order)."""
    p = [label for label, _, _ in label_segments(predicted, background)]
    y = [label for label, _, _ in label_segments(truth, background)]
    longest = max(len(p), len(y))
    return 1.0 if longest == 0 else 1.0 - levenshtein(p, y) / longest


def overlap_counts(
    predicted: np.ndarray, truth: np.ndarray, overlap: float, background: int | None = 0
) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of segments at IoU >= overlap."""
    p_segments = label_segments(predicted, background)
    y_segments = label_segments(truth, background)
    matched = np.zeros(len(y_segments), dtype=bool)
    tp = fp = 0
    for label, start, end in p_segments:
        best, best_iou = -1, 0.0
        for j, (y_label, y_start, y_end) in enumerate(y_segments):
            if y_label != label:
                continue
            intersection = min(end, y_end) - max(start, y_start)
            iou = intersection / (max(end, y_end) - min(start, y_start))
            if iou > best_iou:
                best, best_iou = j, iou
        if best >= 0 and best_iou >= overlap and not matched[best]:
            tp += 1
            matched[best] = True
        else:
            fp += 1
    return tp, fp, int((~matched).sum())


def f1_from_counts(tp: int, fp: int, fn: int) -> float:
    """F1 of segment counts; NaN when there is no segment, predicted or true."""
    if tp + fp == 0 and tp + fn == 0:
        return float("nan")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def evaluate(
    predicted: Sequence[np.ndarray], truth: Sequence[np.ndarray], background: int | None = 0
) -> dict[str, float]:
    """frame_accuracy, edit_score and f1@10, f1@25, f1@50 over sequences (see the module), with
    the number of sequences and frames they rest on."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted sequences for {len(truth)} true ones.")
    correct = total = 0
    edits = []
    counts = {k: np.zeros(3, dtype=int) for k in OVERLAPS}
    for p_labels, y_labels in zip(predicted, truth, strict=True):
        p, y = np.asarray(p_labels), np.asarray(y_labels)
        if p.shape != y.shape:
            raise ValueError(f"a prediction of {p.shape[0]} frames for a truth of {y.shape[0]}.")
        correct += int((p == y).sum())
        total += y.size
        edits.append(edit_score(p, y, background))
        for k in OVERLAPS:
            counts[k] += overlap_counts(p, y, k, background)
    out = {
        "frame_accuracy": correct / total if total else float("nan"),
        "edit_score": float(np.mean(edits)) if edits else float("nan"),
    }
    for k in OVERLAPS:
        out[f"f1@{round(k * 100):02d}"] = f1_from_counts(*(int(c) for c in counts[k]))
    out["sequences"] = float(len(truth))
    out["frames"] = float(total)
    return out
