"""Motor activity and agitation (ACt4autism), reported in the "stereotypy" family.

Per frame and upper-body keypoint (nose, shoulders, elbows, wrists and MediaPipe Pose's hand
points), the speed in shoulder widths per second (SW/s) after gap filling and Savitzky-Golay
smoothing; frames where it does not exceed the speed the keypoint's own measured jitter reaches
99 % of the time
(noise.py) counted as 0: a still person reads 0 at any size in the image. The activity of a
frame is the mean of these speeds over the keypoints seen. Agitation share is the share of 1 s windows whose
activity exceeds a fixed reference, or the protocol's baseline segment when there is one; never
the session itself, which would make a session spent moving look calm. The fidget index is the
hands' movement power above 2 Hz relative to the trunk, jitter power removed.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.segments import BASELINE, ProtocolSegment, mask_of, of_kind
from analysis.metrics.spectral import window_spectra
from analysis.metrics.stereotypy import FAMILY
from analysis.metrics.stereotypy_signals import body_points_sw, body_size_reason
from analysis.metrics.windows import frames_in, tiling_windows, window_samples
from analysis.results import MetricsReport, MetricValue
from analysis.timeseries.body import in_torso_frame, torso_frame
from analysis.timeseries.noise import (
    MAD_TO_SD,
    gated,
    jitter_sd,
    noise_speed_threshold,
    smoothed_speed_sd,
)
from analysis.timeseries.preprocessing import (
    frame_period_s,
    interpolate_short_gaps,
    nanmean,
    savgol_smooth,
    speed_per_s,
)
from analysis.tracks import (
    POSE_LEFT_SHOULDER,
    POSE_LEFT_WRIST,
    POSE_RIGHT_SHOULDER,
    POSE_RIGHT_WRIST,
    Tracks,
)

# MediaPipe Pose: nose, shoulders 11-12, elbows 13-14, wrists 15-16, pinky/index/thumb 17-22.
UPPER_BODY_KEYPOINTS = (0, *range(11, 23))


def upper_body_speed_sw_s(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Mean upper-body keypoint speed per frame (SW/s), frames a keypoint's jitter could explain
    counted as still, shape (n_frames,).

    Each keypoint is gap-filled and smoothed on its own; its speed counts as 0 where it does not
    exceed the 99th percentile of the speed its measured jitter alone produces (noise.gated).
    A frame's value is the mean over the keypoints measured in it and in the previous frame, NaN
    when none is.
    """
    pose, width = body_points_sw(tracks, config)
    t = tracks.time_s
    speeds = np.full((len(tracks), len(UPPER_BODY_KEYPOINTS)), np.nan)
    if not np.isfinite(width):
        return speeds[:, 0]
    for j, keypoint in enumerate(UPPER_BODY_KEYPOINTS):
        xy = interpolate_short_gaps(pose[:, keypoint] / width, t, config.max_gap_s)
        sigma = jitter_sd(xy, t)
        sigma = sigma if np.isfinite(sigma) else 0.0
        threshold = noise_speed_threshold(
            smoothed_speed_sd(sigma, t, config.smooth_window_s, config.smooth_order), 2
        )
        xy = savgol_smooth(xy, t, config.smooth_window_s, config.smooth_order)
        speed = speed_per_s(xy[:, None], t)[:, 0]
        speeds[:, j] = gated(speed, threshold)
    counts = np.isfinite(speeds).sum(axis=1)
    total = np.where(np.isfinite(speeds), speeds, 0.0).sum(axis=1)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def window_activity(activity: np.ndarray, time_s: np.ndarray, window_s: float) -> np.ndarray:
    """Mean activity of each window_s window tiling the session (NaN where none was measured)."""
    return np.array([nanmean(activity[frames_in(time_s, a, b)]) for a, b in tiling_windows(time_s, window_s)])


def agitation_reference_sw_s(
    activity: np.ndarray, time_s: np.ndarray, segments: list[ProtocolSegment] | None, config: MetricsConfig
) -> float:
    """The activity (SW/s) above which a window is agitated.

    From the baseline segments when the protocol marks them and they hold a measured window:
    median + agitation_mad_k x 1.4826 x MAD of their windows, at least the median plus
    agitation_baseline_margin_sw_s. Otherwise the fixed agitation_reference_sw_s.
    """
    baseline = of_kind(segments, BASELINE)
    if baseline:
        inside = mask_of(baseline, time_s)
        values = window_activity(np.where(inside, activity, np.nan), time_s, config.agitation_window_s)
        values = values[np.isfinite(values)]
        if values.size:
            median = float(np.median(values))
            spread = config.agitation_mad_k * MAD_TO_SD * float(np.median(np.abs(values - median)))
            return median + max(spread, config.agitation_baseline_margin_sw_s)
    return config.agitation_reference_sw_s


def agitation_share(
    activity: np.ndarray, time_s: np.ndarray, window_s: float, reference_sw_s: float
) -> MetricValue:
    """Share of the window_s windows with measured activity whose mean activity exceeds
    reference_sw_s, with the analysable time; NaN with the reason when no window was measured."""
    means = window_activity(activity, time_s, window_s)
    means = means[np.isfinite(means)]
    if means.size == 0:
        return MetricValue.unknown("share", "the upper body was never seen in a 1 s window", 0.0)
    return MetricValue(float(np.mean(means > reference_sw_s)), "share", analysable_s=means.size * window_s)


def fidget_index_sw(tracks: Tracks, config: MetricsConfig) -> float:
    """Root-mean-square movement of the wrists relative to the trunk above fidget_min_hz (SW),
    from the 4 s sliding-window spectra, less the power of the measured jitter in that band
    (white jitter of SD sigma per coordinate puts 2 sigma^2 x (Nyquist - f) / Nyquist there),
    averaged over windows and hands. NaN when no window of either hand was measurable."""
    pose, width = body_points_sw(tracks, config)
    if not np.isfinite(width):
        return float("nan")
    t = tracks.time_s
    frame = torso_frame(pose[:, POSE_LEFT_SHOULDER], pose[:, POSE_RIGHT_SHOULDER], t, config.max_gap_s)
    nyquist = 0.5 / frame_period_s(t)
    per_window = []
    for wrist in (POSE_LEFT_WRIST, POSE_RIGHT_WRIST):
        xy = interpolate_short_gaps(in_torso_frame(pose[:, wrist], frame), t, config.max_gap_s)
        sigma = jitter_sd(xy, t)
        spectra = window_spectra(
            xy, t, config.periodicity_window_s, config.periodicity_hop_s, config.min_window_coverage
        )
        high = spectra.freqs_hz > config.fidget_min_hz
        noise = (
            2.0 * sigma**2 * max(nyquist - config.fidget_min_hz, 0.0) / nyquist if np.isfinite(sigma) else 0.0
        )
        per_window.append(np.sqrt(np.maximum(spectra.power[:, high].sum(axis=1) - noise, 0.0)))
    return nanmean(np.concatenate(per_window)) if per_window else float("nan")


def activity_report(
    tracks: Tracks,
    *,
    window_s: float,
    config: MetricsConfig,
    segments: list[ProtocolSegment] | None = None,
) -> MetricsReport:
    """Agitation index (mean activity, SW/s), agitation share and fidget index, in the
    "stereotypy" family, with stereotypy.agitation_index window samples."""
    t = np.asarray(tracks.time_s, dtype=np.float64)
    _, width = body_points_sw(tracks, config)
    reason = body_size_reason(width, config)
    if reason:
        values = {
            "stereotypy.agitation_index": MetricValue.unknown("SW/s", reason),
            "stereotypy.agitation_share": MetricValue.unknown("share", reason, 0.0),
            "stereotypy.agitation_reference_sw_s": MetricValue.unknown("SW/s", reason),
            "stereotypy.fidget_index": MetricValue.unknown("SW", reason),
        }
        return MetricsReport(metrics={FAMILY: values})
    activity = upper_body_speed_sw_s(tracks, config)
    reference = agitation_reference_sw_s(activity, t, segments, config)
    share = agitation_share(activity, t, config.agitation_window_s, reference)
    values = {
        "stereotypy.agitation_share": share,
        "stereotypy.agitation_reference_sw_s": MetricValue(reference, "SW/s"),
        "stereotypy.fidget_index": _known_or(fidget_index_sw(tracks, config), "SW", NO_WRIST_WINDOW),
        "stereotypy.agitation_index": _known_or(nanmean(activity), "SW/s", "the upper body was never seen"),
    }
    samples = window_samples(
        "stereotypy.agitation_index",
        "SW/s",
        t,
        tiling_windows(t, window_s),
        lambda f, a, b: nanmean(activity[f]),
    )
    return MetricsReport(metrics={FAMILY: values}, samples=samples)


NO_WRIST_WINDOW = "no 4 s stretch had a wrist seen in enough of its frames"


def _known_or(value: float, unit: str, reason: str) -> MetricValue:
    """value, or NaN with the reason when it could not be computed."""
    return MetricValue(value, unit) if np.isfinite(value) else MetricValue.unknown(unit, reason)
