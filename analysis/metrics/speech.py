"""Speech proxy from mouth motion (no audio is used), for gaze aversion while speaking (Vail et
al., ACII 2017; Choi et al., J Nerv Ment Dis 2010).
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.apathy import face_jitter_iod
from analysis.metrics.config import MetricsConfig
from analysis.timeseries.preprocessing import (
    frame_period_s,
    inter_ocular_distance_px,
    interpolate_short_gaps,
    mask_low_confidence,
)
from analysis.tracks import Tracks

FACE_UPPER_LIP_INNER, FACE_LOWER_LIP_INNER = 13, 14


def speaking_frames(tracks: Tracks, config: MetricsConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """Speech proxy: (speaking, measured) bool arrays of shape (n_frames,), and why it is withheld
    ("" when it is not).

    Mouth opening = inner-lip distance (Face Mesh 13-14) / IOD. A frame is speaking when the
    standard deviation of the opening over a centred speech_window_s window (at least half of
    it measured) reaches speech_mouth_std_iod, or 3 x the opening's measured jitter when that is
    larger: talking opens and closes the mouth several times a second, while a still or steadily
    open mouth does not vary, and a small face's landmark jitter (measured on the face's rigid
    anchors, which talking does not move) must not read as talking. Faces
    with a median IOD below min_inter_ocular_px are withheld.
    """
    lips = mask_low_confidence(
        tracks.face_xy[:, [FACE_UPPER_LIP_INNER, FACE_LOWER_LIP_INNER]],
        tracks.face_confidence,
        config.min_face_confidence,
    )
    iod = inter_ocular_distance_px(tracks.face_xy)
    with np.errstate(invalid="ignore", divide="ignore"):
        opening = np.linalg.norm(lips[:, 0] - lips[:, 1], axis=-1) / iod
    opening = interpolate_short_gaps(opening, tracks.time_s, config.max_gap_s)
    measured = np.isfinite(opening)
    period = frame_period_s(tracks.time_s)
    nothing = np.zeros(len(tracks), dtype=bool)
    if not measured.any() or not np.isfinite(period):
        return nothing, measured, ""
    size = float(np.nanmedian(iod[measured]))
    if size < config.min_inter_ocular_px:
        return (
            nothing,
            nothing,
            (
                f"the face is too small in the image (inter-ocular distance {size:.0f} px, below the "
                f"{config.min_inter_ocular_px:.0f} px minimum)"
            ),
        )
    # The opening is the distance of two landmarks: its jitter is sqrt(2) x one landmark's.
    sigma = np.sqrt(2.0) * face_jitter_iod(tracks, config)
    threshold = (
        max(config.speech_mouth_std_iod, 3.0 * sigma) if np.isfinite(sigma) else config.speech_mouth_std_iod
    )
    width = max(round(config.speech_window_s / period), 3)
    kernel = np.ones(width)
    counts = np.convolve(measured.astype(float), kernel, mode="same")
    x = np.where(measured, opening, 0.0)
    mean = np.convolve(x, kernel, mode="same") / np.maximum(counts, 1)
    var = np.convolve(x**2, kernel, mode="same") / np.maximum(counts, 1) - mean**2
    std = np.sqrt(np.maximum(var, 0.0))
    speaking = measured & (counts >= width / 2) & (std >= threshold)
    return speaking, measured, ""
