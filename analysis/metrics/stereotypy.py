"""Stereotypies (ACt4autism): periodic body rocking, hand flapping and head movements.

A periodicity detector on keypoint trajectories in body units (shoulder widths, SW):
4 s windows every 0.5 s are detrended, Hann-tapered and Fourier transformed (spectral.py); a
window is periodic when the dominant peak of its band holds >= 40 % of the power above 0.2 Hz
and its equivalent-sine amplitude passes a per-kind floor (this floor is what keeps keypoint
jitter of a still person from firing). Runs of periodic windows are bouts; their edges are then
refined on the band-passed signal's envelope, because a 4 s window already turns periodic when
it only partly overlaps a bout. Bouts shorter than 2 s or 3 cycles are dropped; bouts less than
1 s apart are merged. Follows the periodicity view of stereotypies of Ross et al. (1998) and
Albinali et al. (UbiComp 2009), the 4 s window of the AQSM_SW1PerS code (PMC12424721) and
the 2 s minimum suited to the SSBD clips (Rajagopalan et al., ICCV-W 2013).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, detrend, sosfiltfilt

from analysis.metrics.config import MetricsConfig
from analysis.metrics.preprocessing import (
    coverage_share,
    frame_period_s,
    interpolate_short_gaps,
    mask_low_confidence,
    per_minute,
    pose_points,
    shoulder_width_px,
    true_runs,
    valid_minutes,
)
from analysis.metrics.spectral import dominant_peak, window_spectra
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import Event, MetricsReport, MetricValue
from analysis.tracks import (
    POSE_LEFT_HIP,
    POSE_LEFT_SHOULDER,
    POSE_LEFT_WRIST,
    POSE_NOSE,
    POSE_RIGHT_HIP,
    POSE_RIGHT_SHOULDER,
    POSE_RIGHT_WRIST,
    Tracks,
)

FAMILY = "stereotypy"
PERIODIC_KINDS = ("body_rocking", "hand_flapping", "head_movement")


@dataclass(frozen=True)
class PeriodicSignal:
    """One trajectory the detector scans.

    xy has shape (n_frames, 2) in shoulder widths (SW), NaN where missing; band_hz is the
    band searched for the dominant frequency and min_amplitude_sw the amplitude floor.
    """

    kind: str
    body_part: str
    xy: np.ndarray
    band_hz: tuple[float, float]
    min_amplitude_sw: float
    reference: str


def body_points_sw(tracks: Tracks, config: MetricsConfig) -> tuple[np.ndarray, float]:
    """Pose keypoints (n_frames, 33, 2) in px with low-visibility or low-confidence points NaN,
    and the session shoulder width (px) that converts them to SW."""
    pose = pose_points(tracks.pose_xy, tracks.pose_visibility, config.min_pose_visibility)
    pose = mask_low_confidence(pose, tracks.pose_confidence, config.min_pose_confidence)
    return pose, shoulder_width_px(pose)


def stereotypy_signals(tracks: Tracks, config: MetricsConfig) -> list[PeriodicSignal]:
    """The trajectories scanned for each kind of stereotypy, in SW.

    - body_rocking ("torso"): shoulder midpoint relative to the hip midpoint when the hips are
      seen on >= hips_reliable_share of the frames with shoulders, else the absolute shoulder
      midpoint. Seated patients often have their hips hidden by a table or cut by the frame;
      the camera is fixed, so the absolute shoulder midpoint then carries the rocking (and so
      would a whole-body sway or a chair moving).
    - hand_flapping ("left_hand", "right_hand"): wrist relative to the same-side shoulder, so
      that rocking or moving the whole body does not look like flapping.
    - head_movement ("head"): nose relative to the shoulder midpoint.
    """
    pose, width = body_points_sw(tracks, config)
    width = width if np.isfinite(width) else np.nan
    shoulders = 0.5 * (pose[:, POSE_LEFT_SHOULDER] + pose[:, POSE_RIGHT_SHOULDER])
    hips = 0.5 * (pose[:, POSE_LEFT_HIP] + pose[:, POSE_RIGHT_HIP])
    shoulders_seen = np.isfinite(shoulders).all(axis=1)
    hips_seen = np.isfinite(hips).all(axis=1) & shoulders_seen
    hips_reliable = (
        shoulders_seen.any() and hips_seen.sum() >= config.hips_reliable_share * shoulders_seen.sum()
    )
    torso = shoulders - hips if hips_reliable else shoulders

    def prepared(xy: np.ndarray) -> np.ndarray:
        return interpolate_short_gaps(xy / width, tracks.time_s, config.max_gap_s)

    return [
        PeriodicSignal(
            "body_rocking",
            "torso",
            prepared(torso),
            config.rocking_band_hz,
            config.rocking_min_amplitude_sw,
            "shoulder midpoint relative to hips" if hips_reliable else "shoulder midpoint",
        ),
        PeriodicSignal(
            "hand_flapping",
            "left_hand",
            prepared(pose[:, POSE_LEFT_WRIST] - pose[:, POSE_LEFT_SHOULDER]),
            config.flapping_band_hz,
            config.flapping_min_amplitude_sw,
            "left wrist relative to left shoulder",
        ),
        PeriodicSignal(
            "hand_flapping",
            "right_hand",
            prepared(pose[:, POSE_RIGHT_WRIST] - pose[:, POSE_RIGHT_SHOULDER]),
            config.flapping_band_hz,
            config.flapping_min_amplitude_sw,
            "right wrist relative to right shoulder",
        ),
        PeriodicSignal(
            "head_movement",
            "head",
            prepared(pose[:, POSE_NOSE] - shoulders),
            config.head_band_hz,
            config.head_min_amplitude_sw,
            "nose relative to shoulder midpoint",
        ),
    ]


def periodic_episodes(signal: PeriodicSignal, time_s: np.ndarray, config: MetricsConfig) -> list[Event]:
    """Episodes of periodic movement in one signal, as Events of signal.kind.

    Each Event has start_s/end_s (refined edges), frequency_hz (peak of one FFT over the whole
    bout), confidence (median periodicity ratio of its windows, 0..1) and attributes amplitude
    (median equivalent-sine amplitude of its windows, SW), periodicity, amplitude_unit and signal.
    The signal is assumed sampled at a near-constant rate (one row per analysed frame).
    """
    t = np.asarray(time_s, dtype=np.float64)
    spectra = window_spectra(
        signal.xy, t, config.periodicity_window_s, config.periodicity_hop_s, config.min_window_coverage
    )
    frequency, periodicity, amplitude, is_peak = dominant_peak(spectra, signal.band_hz)
    with np.errstate(invalid="ignore"):
        periodic = is_peak & (periodicity >= config.min_periodicity) & (amplitude >= signal.min_amplitude_sw)
    if not periodic.any():
        return []
    period = spectra.period_s
    bouts: list[tuple[float, float, np.ndarray]] = []
    for first, stop in _window_groups(periodic, spectra.starts, config.merge_gap_s, spectra.length, period):
        members = np.flatnonzero(periodic[first:stop]) + first
        f0 = float(np.median(frequency[members]))
        a0 = float(np.median(amplitude[members]))
        lo = max(int(spectra.starts[first]) - round(1.0 / period), 0)
        hi = min(int(spectra.starts[stop - 1]) + spectra.length + round(1.0 / period), t.size)
        edges = _refined_edges(signal.xy[lo:hi], period, f0, a0)
        if edges is not None:
            bouts.append((float(t[lo + edges[0]]), float(t[lo + edges[1] - 1] + period), members))
    events = []
    for start, end, members in _merged_bouts(bouts, config.merge_gap_s):
        frames = (t >= start - 1e-9) & (t < end - 1e-9)
        f0 = _bout_frequency_hz(signal.xy[frames], period, signal.band_hz)
        f0 = f0 if np.isfinite(f0) else float(np.median(frequency[members]))
        duration = end - start
        if duration < config.min_bout_s or duration * f0 < config.min_bout_cycles:
            continue
        ratio = float(np.median(periodicity[members]))
        events.append(
            Event(
                kind=signal.kind,
                body_part=signal.body_part,
                start_s=start,
                end_s=end,
                confidence=float(np.clip(ratio, 0.0, 1.0)),
                frequency_hz=f0,
                attributes={
                    "amplitude": float(np.median(amplitude[members])),
                    "amplitude_unit": "SW",
                    "periodicity": ratio,
                    "signal": signal.reference,
                },
            )
        )
    return events


def _window_groups(
    periodic: np.ndarray, starts: np.ndarray, merge_gap_s: float, length: int, period: float
) -> list[tuple[int, int]]:
    """[first, stop) window-index ranges of periodic windows whose spans overlap or lie less
    than merge_gap_s apart."""
    groups: list[tuple[int, int]] = []
    for first, stop in true_runs(periodic):
        if groups:
            prev_first, prev_stop = groups[-1]
            gap_s = (starts[first] - (starts[prev_stop - 1] + length)) * period
            if gap_s < merge_gap_s:
                groups[-1] = (prev_first, stop)
                continue
        groups.append((first, stop))
    return groups


def _refined_edges(xy: np.ndarray, period: float, f0: float, a0: float) -> tuple[int, int] | None:
    """[start, stop) frames of the bout inside a candidate stretch, from the envelope of the
    signal band-passed around f0 (0.6 f0 to 1.5 f0): frames whose one-cycle moving RMS x sqrt 2
    reaches half the bout's amplitude a0. None when no frame does."""
    n = xy.shape[0]
    fs = 1.0 / period
    rows = np.arange(n)
    filled = np.empty_like(xy)
    for c in range(2):
        ok = np.isfinite(xy[:, c])
        if not ok.any():
            return None
        filled[:, c] = np.interp(rows, rows[ok], xy[ok, c])
    filled -= filled.mean(axis=0)
    low, high = max(0.2, 0.6 * f0), min(1.5 * f0, 0.45 * fs)
    if low < high and n > 15:
        sos = butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
        filled = sosfiltfilt(sos, filled, axis=0, padlen=min(15, n - 1))
    cycle = max(round(fs / f0), 1)
    kernel = np.ones(cycle)
    power = np.convolve((filled**2).sum(axis=1), kernel, mode="same")
    counts = np.convolve(np.ones(n), kernel, mode="same")
    envelope = np.sqrt(2.0 * power / counts)
    active = np.flatnonzero(envelope >= 0.5 * a0)
    if active.size == 0:
        return None
    return int(active[0]), int(active[-1]) + 1


def _merged_bouts(
    bouts: list[tuple[float, float, np.ndarray]], merge_gap_s: float
) -> list[tuple[float, float, np.ndarray]]:
    """Refined bouts (start_s, end_s, window indices) less than merge_gap_s apart, merged."""
    merged: list[tuple[float, float, np.ndarray]] = []
    for start, end, members in sorted(bouts, key=lambda b: b[0]):
        if merged and start - merged[-1][1] < merge_gap_s:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), np.union1d(prev[2], members))
        else:
            merged.append((start, end, members))
    return merged


def _bout_frequency_hz(xy: np.ndarray, period: float, band_hz: tuple[float, float]) -> float:
    """Dominant frequency of a whole bout: one Hann-tapered, zero-padded FFT over the bout,
    peak in the band (sharper than the 4 s windows' estimates, whose resolution is 0.25 Hz).
    NaN when the bout has missing frames."""
    if not np.isfinite(xy).all() or xy.shape[0] < 4:
        return float("nan")
    centred = detrend(xy, axis=0) * np.hanning(xy.shape[0])[:, None]
    nfft = max(4096, 1 << int(np.ceil(np.log2(8 * xy.shape[0]))))
    power = (np.abs(np.fft.rfft(centred, n=nfft, axis=0)) ** 2).sum(axis=1)
    freqs = np.fft.rfftfreq(nfft, period)
    tolerance = 0.5 / (xy.shape[0] * period)
    in_band = np.flatnonzero((freqs >= band_hz[0] - tolerance) & (freqs <= band_hz[1] + tolerance))
    return float(freqs[in_band[np.argmax(power[in_band])]]) if in_band.size else float("nan")


def stereotypy_episodes(tracks: Tracks, config: MetricsConfig | None = None) -> list[Event]:
    """All periodic-movement episodes of the patient's tracks, sorted by start time."""
    config = config or MetricsConfig()
    return _episodes(stereotypy_signals(tracks, config), tracks.time_s, config)


def _episodes(signals: list[PeriodicSignal], time_s: np.ndarray, config: MetricsConfig) -> list[Event]:
    t = np.asarray(time_s, dtype=np.float64)
    if not np.isfinite(frame_period_s(t)):
        return []
    events = [e for s in signals for e in periodic_episodes(s, t, config)]
    return sorted(events, key=lambda e: (e.start_s, e.kind, e.body_part))


def stereotypy_report(tracks: Tracks, *, window_s: float, config: MetricsConfig) -> MetricsReport:
    """The periodic-movement part of the "stereotypy" family, and its episodes as events.

    Rates and shares are per minute of the time where that kind's signal was measurable
    (NaN when it never was); frequency and amplitude are NaN when there is no episode.
    Window samples: stereotypy.share, the share of each window inside any episode.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    signals = stereotypy_signals(tracks, config)
    events = _episodes(signals, t, config)
    values: dict[str, MetricValue] = {}
    pose, _ = body_points_sw(tracks, config)
    shoulders_seen = np.isfinite(pose[:, [POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER]]).all(axis=(1, 2))
    values["stereotypy.pose_coverage"] = MetricValue(coverage_share(shoulders_seen), "share")
    for kind in PERIODIC_KINDS:
        measured = np.zeros(t.size, dtype=bool)
        for signal in signals:
            if signal.kind == kind:
                measured |= np.isfinite(signal.xy).all(axis=1)
        values.update(
            _episode_metrics(f"stereotypy.{kind}", [e for e in events if e.kind == kind], measured, t)
        )
    overall = _episode_metrics("stereotypy", events, shoulders_seen, t)
    values.update({k: v for k, v in overall.items() if not k.endswith(("_hz", "_sw"))})

    intervals = _union([(e.start_s, e.end_s) for e in events])

    def window_share(frames: slice, start: float, end: float) -> float:
        if not shoulders_seen[frames].any():
            return float("nan")
        inside = sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)
        return inside / (end - start)

    samples = window_samples("stereotypy.share", "share", t, tiling_windows(t, window_s), window_share)
    return MetricsReport(metrics={FAMILY: values}, samples=samples, events=events)


def _episode_metrics(prefix: str, events: list[Event], measured: np.ndarray, time_s: np.ndarray) -> dict:
    """Rate, total time, share, median frequency and mean amplitude of a set of episodes."""
    minutes = valid_minutes(measured, time_s)
    total_s = sum(b - a for a, b in _union([(e.start_s, e.end_s) for e in events]))
    frequencies = [e.frequency_hz for e in events if e.frequency_hz is not None]
    amplitudes = [e.attributes["amplitude"] for e in events]
    nan = float("nan")
    return {
        f"{prefix}.episodes_per_min": MetricValue(per_minute(len(events), measured, time_s), "per_min"),
        f"{prefix}.total_s": MetricValue(total_s if minutes > 0 else nan, "s"),
        f"{prefix}.share": MetricValue(
            min(total_s / (60.0 * minutes), 1.0) if minutes > 0 else float("nan"), "share"
        ),
        f"{prefix}.median_frequency_hz": MetricValue(
            float(np.median(frequencies)) if frequencies else nan, "Hz"
        ),
        f"{prefix}.mean_amplitude_sw": MetricValue(
            float(np.mean(amplitudes)) if amplitudes else float("nan"), "SW"
        ),
    }


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, non-overlapping union of [start, end) intervals."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
