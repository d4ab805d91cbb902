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

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.spectral import (
    bout_frequency_hz,
    dominant_peak,
    frequency_reading,
    window_spectra,
)
from analysis.metrics.stereotypy_signals import (
    PeriodicSignal,
    body_points_sw,
    body_size_reason,
    stereotypy_signals,
)
from analysis.metrics.trunk_coupling import carried_by_trunk
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import Event, MetricsReport, MetricValue
from analysis.timeseries.filters import butterworth_bandpass_sections, zero_phase_filter
from analysis.timeseries.noise import jitter_sd
from analysis.timeseries.preprocessing import (
    coverage_share,
    frame_period_s,
    true_runs,
    valid_minutes,
)
from analysis.tracks import (
    POSE_LEFT_SHOULDER,
    POSE_RIGHT_SHOULDER,
    Tracks,
)

FAMILY = "stereotypy"
PERIODIC_KINDS = ("body_rocking", "hand_flapping", "head_movement")
PERIODICITY_WINDOW_WORDS = "4 s stretch"
JITTER_KEYPOINTS = (11, 12, 13, 14, 15, 16)  # MediaPipe Pose shoulders, elbows, wrists


def periodic_episodes(signal: PeriodicSignal, time_s: np.ndarray, config: MetricsConfig) -> list[Event]:
    """Episodes of periodic movement in one signal, as Events of signal.kind (see scan)."""
    return scan(signal, time_s, config)[0]


def scan(signal: PeriodicSignal, time_s: np.ndarray, config: MetricsConfig) -> tuple[list[Event], np.ndarray]:
    """Episodes of periodic movement in one signal, and the frames that could be analysed (those
    inside a window with >= min_window_coverage of its frames measured), bool (n_frames,).

    Each Event has start_s/end_s (refined edges), frequency_hz (peak of one FFT over the whole
    bout; None when the frame rate cannot tell it, see frequency_reading, with the note and the
    candidate frequencies in attributes), confidence (median periodicity ratio of its windows,
    0..1) and attributes amplitude (median equivalent-sine amplitude of its windows, SW),
    periodicity, amplitude_unit and signal. The peak is searched up to 0.98 x Nyquist, so that a
    movement faster than the band is seen as such rather than missed or folded into the band.
    A hand bout that is the trunk's movement (trunk_coupling.carried_by_trunk: the hand at rest
    in the room, or moving in phase with a trunk that oscillates at the same frequency) is dropped.
    """
    t = np.asarray(time_s, dtype=np.float64)
    spectra = window_spectra(
        signal.xy, t, config.periodicity_window_s, config.periodicity_hop_s, config.min_window_coverage
    )
    analysable = np.zeros(t.size, dtype=bool)
    for start, row in zip(spectra.starts, spectra.power, strict=True):
        if np.isfinite(row).all():
            analysable[start : start + spectra.length] = True
    if spectra.starts.size == 0:
        return [], analysable
    rate = 1.0 / spectra.period_s
    search = (
        signal.band_hz[0],
        max(signal.band_hz[1], 0.49 * rate) if signal.room_xy is not None else signal.band_hz[1],
    )
    frequency, periodicity, amplitude, is_peak = dominant_peak(spectra, search)
    with np.errstate(invalid="ignore"):
        periodic = is_peak & (periodicity >= config.min_periodicity) & (amplitude >= signal.min_amplitude_sw)
    if not periodic.any():
        return [], analysable
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
        f0 = bout_frequency_hz(signal.xy[frames], period, search)
        f0 = f0 if np.isfinite(f0) else float(np.median(frequency[members]))
        duration = end - start
        if duration < config.min_bout_s or duration * f0 < config.min_bout_cycles:
            continue
        if signal.room_xy is not None and carried_by_trunk(
            signal.xy[frames], signal.room_xy[frames], _at(signal.trunk_xy, frames), period, f0, config=config
        ):
            continue
        reading, candidates, note = frequency_reading(f0, rate, signal.band_hz, signal.max_hz, 0.5 / duration)
        ratio = float(np.median(periodicity[members]))
        attributes = {
            "amplitude": float(np.median(amplitude[members])),
            "amplitude_unit": "SW",
            "periodicity": ratio,
            "signal": signal.reference,
        }
        if note:
            attributes["frequency_note"] = note
            attributes["frequency_candidates_hz"] = candidates
        events.append(
            Event(
                kind=signal.kind,
                body_part=signal.body_part,
                start_s=start,
                end_s=end,
                confidence=float(np.clip(ratio, 0.0, 1.0)),
                frequency_hz=reading,
                attributes=attributes,
            )
        )
    return events, analysable


def _at(xy: np.ndarray | None, frames: np.ndarray) -> np.ndarray | None:
    return None if xy is None else xy[frames]


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
    low, high = max(0.2, 0.6 * f0), min(1.5 * f0, 0.48 * fs)
    if low < high and n > 15:
        sections = butterworth_bandpass_sections(low, high, fs)
        filled = zero_phase_filter(sections, filled, padlen=min(15, n - 1), axis=0)
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


def stereotypy_episodes(tracks: Tracks, config: MetricsConfig | None = None) -> list[Event]:
    """All periodic-movement episodes of the patient's tracks, sorted by start time."""
    config = config or MetricsConfig()
    return _episodes(stereotypy_signals(tracks, config), tracks.time_s, config)[0]


def _episodes(
    signals: list[PeriodicSignal], time_s: np.ndarray, config: MetricsConfig
) -> tuple[list[Event], list[np.ndarray]]:
    """Episodes of all signals (a bilateral flapping bout once) and each signal's analysable
    frames, in the order of signals."""
    t = np.asarray(time_s, dtype=np.float64)
    if not np.isfinite(frame_period_s(t)):
        return [], [np.zeros(t.size, dtype=bool) for _ in signals]
    scans = [scan(s, t, config) for s in signals]
    events = [e for found, _ in scans for e in found]
    events = bilateral_once(events)
    return sorted(events, key=lambda e: (e.start_s, e.kind, e.body_part)), [a for _, a in scans]


def bilateral_once(events: list[Event]) -> list[Event]:
    """Left and right hand_flapping episodes that overlap for at least half the shorter one are
    one bout of both hands: body_part "both_hands", the union of their spans, the frequency when
    both agree on it (within 0.25 Hz), attributes hands ["left", "right"] and each hand's own."""
    left = [e for e in events if e.kind == "hand_flapping" and e.body_part == "left_hand"]
    right = [e for e in events if e.kind == "hand_flapping" and e.body_part == "right_hand"]
    others = [e for e in events if e not in left and e not in right]
    used: set[int] = set()
    merged = []
    for a in left:
        partner = None
        for i, b in enumerate(right):
            overlap = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
            if i not in used and overlap >= 0.5 * min(a.end_s - a.start_s, b.end_s - b.start_s):
                partner = i
                break
        if partner is None:
            merged.append(a)
            continue
        used.add(partner)
        b = right[partner]
        agree = (
            a.frequency_hz is not None
            and b.frequency_hz is not None
            and abs(a.frequency_hz - b.frequency_hz) <= 0.25
        )
        merged.append(
            Event(
                kind="hand_flapping",
                body_part="both_hands",
                start_s=min(a.start_s, b.start_s),
                end_s=max(a.end_s, b.end_s),
                confidence=max(a.confidence, b.confidence),
                frequency_hz=0.5 * (a.frequency_hz + b.frequency_hz)
                if agree
                else a.frequency_hz or b.frequency_hz,
                attributes={
                    **a.attributes,
                    "amplitude": max(a.attributes["amplitude"], b.attributes["amplitude"]),
                    "hands": ["left", "right"],
                    "left": {"frequency_hz": a.frequency_hz, **a.attributes},
                    "right": {"frequency_hz": b.frequency_hz, **b.attributes},
                    "signal": "both wrists in the torso frame",
                },
            )
        )
    merged += [b for i, b in enumerate(right) if i not in used]
    return others + merged


def stereotypy_report(
    tracks: Tracks,
    *,
    window_s: float,
    config: MetricsConfig,
    native: tuple[list[Event], list[tuple[float, float]]] | None = None,
) -> MetricsReport:
    """The periodic-movement part of the "stereotypy" family, and its episodes as events.

    Rates and shares are per minute of the analysable time of that kind's signals (frames inside
    a 4 s window measured on >= 80 % of its frames), which each value carries; NaN with the
    reason when there was none. Frequency and amplitude are NaN when there is no episode (or no
    episode whose frequency the frame rate can tell). Window samples: stereotypy.share, the share
    of each window inside any episode. native: hand-flapping episodes measured at the video's
    native rate and the windows they were measured in (native_rate.py); they replace the sampled
    rate's hand-flapping episodes that lie mostly inside those windows.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    pose, width = body_points_sw(tracks, config)
    shoulders_seen = np.isfinite(pose[:, [POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER]]).all(axis=(1, 2))
    values: dict[str, MetricValue] = {
        "stereotypy.pose_coverage": MetricValue(coverage_share(shoulders_seen), "share"),
        "stereotypy.shoulder_width_px": MetricValue(
            width, "px", "" if np.isfinite(width) else "the shoulders were never seen"
        ),
        "stereotypy.pose_jitter_sw": pose_jitter(pose, width, t),
    }
    reason = body_size_reason(width, config)
    signals = stereotypy_signals(tracks, config)
    events, analysable = (
        ([], [np.zeros(t.size, dtype=bool)] * len(signals)) if reason else _episodes(signals, t, config)
    )
    if native is not None and not reason:
        events = _replaced_inside(events, *native)
    any_analysable = np.zeros(t.size, dtype=bool)
    for kind in PERIODIC_KINDS:
        measured = np.zeros(t.size, dtype=bool)
        for signal, frames in zip(signals, analysable, strict=True):
            if signal.kind == kind:
                measured |= frames
        any_analysable |= measured
        values.update(
            _episode_metrics(f"stereotypy.{kind}", [e for e in events if e.kind == kind], measured, t, reason)
        )
    overall = _episode_metrics("stereotypy", events, any_analysable, t, reason)
    values.update({k: v for k, v in overall.items() if not k.endswith(("_hz", "_sw"))})

    intervals = _union([(e.start_s, e.end_s) for e in events])

    def window_share(frames: slice, start: float, end: float) -> float:
        if reason or not any_analysable[frames].any():
            return float("nan")
        inside = sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)
        return inside / (end - start)

    samples = window_samples("stereotypy.share", "share", t, tiling_windows(t, window_s), window_share)
    return MetricsReport(metrics={FAMILY: values}, samples=samples, events=events)


def _replaced_inside(
    events: list[Event], native: list[Event], windows: list[tuple[float, float]]
) -> list[Event]:
    """events with the hand-flapping ones more than half inside the windows replaced by native."""

    def inside(e: Event) -> bool:
        covered = sum(max(0.0, min(e.end_s, b) - max(e.start_s, a)) for a, b in windows)
        return covered > 0.5 * (e.end_s - e.start_s)

    kept = [e for e in events if e.kind != "hand_flapping" or not inside(e)]
    return sorted(kept + native, key=lambda e: (e.start_s, e.kind, e.body_part))


def pose_jitter(pose: np.ndarray, width_px: float, time_s: np.ndarray) -> MetricValue:
    """The body's noise floor: median over the shoulders, elbows and wrists of each keypoint's
    measured jitter (noise.jitter_sd), in shoulder widths."""
    sigmas = [jitter_sd(pose[:, k] / width_px, time_s) for k in JITTER_KEYPOINTS if np.isfinite(width_px)]
    sigmas = [s for s in sigmas if np.isfinite(s)]
    if not sigmas:
        return MetricValue.unknown("SW", "the shoulders, elbows and wrists were never seen long enough")
    return MetricValue(float(np.median(sigmas)), "SW")


def _episode_metrics(
    prefix: str, events: list[Event], measured: np.ndarray, time_s: np.ndarray, reason: str
) -> dict[str, MetricValue]:
    """Rate, total time, share, median frequency and mean amplitude of a set of episodes, over
    the analysable frames `measured`."""
    minutes = valid_minutes(measured, time_s)
    seconds = 60.0 * minutes
    if not reason and minutes <= 0:
        reason = f"no {PERIODICITY_WINDOW_WORDS} had the body part seen in enough of its frames"
    total_s = sum(b - a for a, b in _union([(e.start_s, e.end_s) for e in events]))
    frequencies = [e.frequency_hz for e in events if e.frequency_hz is not None]
    amplitudes = [e.attributes["amplitude"] for e in events]
    if reason:
        return {
            f"{prefix}.episodes_per_min": MetricValue.unknown("per_min", reason, 0.0),
            f"{prefix}.total_s": MetricValue.unknown("s", reason, 0.0),
            f"{prefix}.share": MetricValue.unknown("share", reason, 0.0),
            f"{prefix}.median_frequency_hz": MetricValue.unknown("Hz", reason),
            f"{prefix}.mean_amplitude_sw": MetricValue.unknown("SW", reason),
        }
    no_frequency = "no episode" if not events else "no episode whose frequency the frame rate can tell"
    return {
        f"{prefix}.episodes_per_min": MetricValue(len(events) / minutes, "per_min", analysable_s=seconds),
        f"{prefix}.total_s": MetricValue(total_s, "s", analysable_s=seconds),
        f"{prefix}.share": MetricValue(min(total_s / seconds, 1.0), "share", analysable_s=seconds),
        f"{prefix}.median_frequency_hz": MetricValue(float(np.median(frequencies)), "Hz")
        if frequencies
        else MetricValue.unknown("Hz", no_frequency),
        f"{prefix}.mean_amplitude_sw": MetricValue(float(np.mean(amplitudes)), "SW")
        if amplitudes
        else MetricValue.unknown("SW", "no episode"),
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
