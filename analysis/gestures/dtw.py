"""Dynamic time warping (DTW) between two keypoint trajectories, in numpy.

DTW aligns two performances of a movement that differ in speed, including speed changes inside
the movement (a patient slowing down half-way), and returns the mean distance between aligned
frames. The dynamic programme runs along anti-diagonals, whose cells do not depend on each other,
so each step is a few vectorised numpy operations: n + m steps instead of n * m Python iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DtwResult:
    """total_cost: sum of frame costs along the optimal warping path; path_length: its number of
    cells; distance = total_cost / path_length, the mean frame cost (same unit as the inputs)."""

    total_cost: float
    path_length: int
    distance: float


def frame_costs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cost of matching frame i of a with frame j of b, shape (n, m).

    a, b : arrays of shape (n, n_points, 2) and (m, n_points, 2)
        Mean Euclidean distance over points (for keypoints: "how far apart are the joints, on
        average", in the inputs' unit). Arrays of shape (n, n_features) and (m, n_features) use
        the Euclidean distance between feature vectors.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim not in (2, 3) or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"cannot compare sequences of frame shapes {a.shape[1:]} and {b.shape[1:]}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("DTW inputs contain NaN; interpolate or drop the missing frames first.")
    diff = a[:, None] - b[None, :]
    if a.ndim == 3:
        return np.linalg.norm(diff, axis=-1).mean(axis=-1)
    return np.linalg.norm(diff, axis=-1)


def dtw(a: np.ndarray, b: np.ndarray, *, band: float | None = None) -> DtwResult:
    """DTW alignment of two sequences with symmetric steps (match, insertion, deletion).

    Parameters
    ----------
    a, b : arrays of shape (n, n_points, 2) / (m, n_points, 2), or (n, n_features) / (m, n_features)
        The two trajectories (see frame_costs for the frame distance).
    band : float, optional
        Sakoe-Chiba band as a fraction of the sequence: frame i of a may only match frame j of b
        when |i / (n - 1) - j / (m - 1)| <= band, which forbids pathological warps (a whole gesture
        matched to one frame) and saves time. None: no constraint.

    Returns
    -------
    DtwResult; distance is 0 for identical sequences.
    """
    cost = frame_costs(a, b)
    n, m = cost.shape
    if n == 0 or m == 0:
        raise ValueError("DTW needs two non-empty sequences.")
    if band is not None:
        if band < 0:
            raise ValueError(f"band must be a non-negative fraction; got {band}.")
        rows = np.arange(n)[:, None] / max(n - 1, 1)
        cols = np.arange(m)[None, :] / max(m - 1, 1)
        cost = np.where(np.abs(rows - cols) <= band + 1e-12, cost, np.inf)
    return _accumulate(cost)


def _accumulate(cost: np.ndarray) -> DtwResult:
    """Accumulated cost with the table stored by anti-diagonal: row k holds the cells i + j == k
    (1-based i, j), column i. The three predecessors of diagonal k are then plain slices of rows
    k - 1 and k - 2, so each step is a handful of vectorised operations without fancy indexing."""
    n, m = cost.shape
    i_grid, j_grid = np.meshgrid(np.arange(1, n + 1), np.arange(1, m + 1), indexing="ij")
    by_diagonal = np.full((n + m + 1, n + 1), np.inf)
    by_diagonal[i_grid + j_grid, i_grid] = cost
    total = np.full((n + m + 1, n + 1), np.inf)
    length = np.zeros((n + m + 1, n + 1), dtype=np.int64)
    total[0, 0] = 0.0
    for k in range(2, n + m + 1):
        lo, hi = max(1, k - m), min(n, k - 1)
        match, insert, delete = (
            total[k - 2, lo - 1 : hi],
            total[k - 1, lo - 1 : hi],
            total[k - 1, lo : hi + 1],
        )
        match_first = (match <= insert) & (
            match <= delete
        )  # ties resolved like argmin: match, insert, delete
        insert_next = ~match_first & (insert <= delete)
        total[k, lo : hi + 1] = by_diagonal[k, lo : hi + 1] + np.minimum(np.minimum(match, insert), delete)
        length[k, lo : hi + 1] = 1 + np.where(
            match_first,
            length[k - 2, lo - 1 : hi],
            np.where(insert_next, length[k - 1, lo - 1 : hi], length[k - 1, lo : hi + 1]),
        )
    if not np.isfinite(total[n + m, n]):
        raise ValueError("no warping path fits in the Sakoe-Chiba band; widen the band.")
    return DtwResult(float(total[n + m, n]), int(length[n + m, n]), float(total[n + m, n] / length[n + m, n]))
