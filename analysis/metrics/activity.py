"""Motor activity and agitation (ACt4autism), reported in the "stereotypy" family.

Per frame, the activity is the mean speed of the upper-body keypoints (nose, shoulders, elbows,
wrists and MediaPipe Pose's hand points) in shoulder widths per second (SW/s), after gap
filling and Savitzky-Golay smoothing. The shoulder width is the session median, so the index
does not depend on the camera distance. Agitation episodes are 1 s windows far above the
session's own typical activity (median + 3 x scaled MAD), because no calm baseline recording
exists in a single session; the fidget index is the hands' movement power above 2 Hz.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.preprocessing import (
    interpolate_short_gaps,
    nanmean,
    savgol_smooth,
    speed_per_s,
)
from analysis.metrics.spectral import window_spectra
from analysis.metrics.stereotypy import FAMILY, body_points_sw
from analysis.metrics.windows import frames_in, tiling_windows, window_samples
from analysis.results import MetricsReport, MetricValue
from analysis.tracks import (
    POSE_LEFT_SHOULDER,
    POSE_LEFT_WRIST,
    POSE_RIGHT_SHOULDER,
    POSE_RIGHT_WRIST,
    Tracks,
)

# MediaPipe Pose: nose, shoulders 11-12, elbows 13-14, wrists 15-16, pinky/index/thumb 17-22.
UPPER_BODY_KEYPOINTS = (0, *range(11, 23))
MAD_TO_SD = 1.4826  # scales the median absolute deviation to a standard deviation for normal data


def upper_body_speed_sw_s(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Mean upper-body keypoint speed per frame (SW/s), shape (n_frames,).

    Each keypoint is gap-filled and smoothed on its own; a frame's value is the mean over the
    keypoints measured in it and in the previous frame, NaN when none is.
    """
    pose, width = body_points_sw(tracks, config)
    speeds = np.full((len(tracks), len(UPPER_BODY_KEYPOINTS)), np.nan)
    if not np.isfinite(width):
        return speeds[:, 0]
    for j, keypoint in enumerate(UPPER_BODY_KEYPOINTS):
        xy = interpolate_short_gaps(pose[:, keypoint] / width, tracks.time_s, config.max_gap_s)
        xy = savgol_smooth(xy, tracks.time_s, config.smooth_window_s, config.smooth_order)
        speeds[:, j] = speed_per_s(xy[:, None], tracks.time_s)[:, 0]
    counts = np.isfinite(speeds).sum(axis=1)
    total = np.where(np.isfinite(speeds), speeds, 0.0).sum(axis=1)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def agitation_share(activity: np.ndarray, time_s: np.ndarray, window_s: float, mad_k: float) -> float:
    """Share of window_s windows whose mean activity exceeds median + mad_k x 1.4826 x MAD of
    all the session's windows; NaN when no window has activity."""
    means = np.array(
        [nanmean(activity[frames_in(time_s, a, b)]) for a, b in tiling_windows(time_s, window_s)]
    )
    means = means[np.isfinite(means)]
    if means.size == 0:
        return float("nan")
    median = np.median(means)
    threshold = median + mad_k * MAD_TO_SD * np.median(np.abs(means - median))
    return float(np.mean(means > threshold))


def fidget_index_sw(tracks: Tracks, config: MetricsConfig) -> float:
    """Root-mean-square movement of the wrists relative to their shoulders above fidget_min_hz
    (SW), from the 4 s sliding-window spectra, averaged over windows and hands. NaN when no
    window of either hand was measurable."""
    pose, width = body_points_sw(tracks, config)
    per_window = []
    for wrist, shoulder in ((POSE_LEFT_WRIST, POSE_LEFT_SHOULDER), (POSE_RIGHT_WRIST, POSE_RIGHT_SHOULDER)):
        xy = interpolate_short_gaps(
            (pose[:, wrist] - pose[:, shoulder]) / width, tracks.time_s, config.max_gap_s
        )
        spectra = window_spectra(
            xy,
            tracks.time_s,
            config.periodicity_window_s,
            config.periodicity_hop_s,
            config.min_window_coverage,
        )
        high = spectra.freqs_hz > config.fidget_min_hz
        per_window.append(np.sqrt(spectra.power[:, high].sum(axis=1)))
    return nanmean(np.concatenate(per_window)) if per_window else float("nan")


def activity_report(tracks: Tracks, *, window_s: float, config: MetricsConfig) -> MetricsReport:
    """Agitation index (mean activity, SW/s), agitation share and fidget index, in the
    "stereotypy" family, with stereotypy.agitation_index window samples."""
    t = np.asarray(tracks.time_s, dtype=np.float64)
    activity = upper_body_speed_sw_s(tracks, config)
    values = {
        "stereotypy.agitation_index": MetricValue(nanmean(activity), "SW/s"),
        "stereotypy.agitation_share": MetricValue(
            agitation_share(activity, t, config.agitation_window_s, config.agitation_mad_k), "share"
        ),
        "stereotypy.fidget_index": MetricValue(fidget_index_sw(tracks, config), "SW"),
    }
    samples = window_samples(
        "stereotypy.agitation_index",
        "SW/s",
        t,
        tiling_windows(t, window_s),
        lambda f, a, b: nanmean(activity[f]),
    )
    return MetricsReport(metrics={FAMILY: values}, samples=samples)
