"""Hand flapping at the video's native frame rate, inside candidate windows.

At the 10 fps analysis rate a hand moving at 4 Hz or more cannot be told from its aliases (4 Hz
and 6 Hz give the same samples), so the sampled analysis only flags where the hands move fast:
candidate_windows. The pipeline decodes just those windows again at every frame of the video and
runs the body-pose model there (analysis/native_pass.py); native_hand_events scans the wrists of
those rows with the same detector (stereotypy.scan), whose band then lies far below the Nyquist
limit (15 Hz at 30 fps): a frequency in the band is measured, a faster one is "above the
measurable band", a bilateral bout counts once, a hand carried by the trunk is rejected, and the
amplitude floor is the session's own (the jitter measured on the sampled rows, which a window
spent flapping would overestimate). stereotypy_report puts these episodes in place of the
sampled rate's inside the windows (compute_all).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.spectral import window_spectra
from analysis.metrics.stereotypy import bilateral_once, scan
from analysis.metrics.stereotypy_signals import PeriodicSignal, body_size_reason, stereotypy_signals
from analysis.results import Event
from analysis.timeseries.preprocessing import frame_period_s, shoulder_width_px
from analysis.tracks import Tracks


@dataclass(frozen=True)
class NativeWindow:
    """One candidate window [start_s, end_s) and the patient's body-pose rows decoded in it at
    the video's native frame rate (Tracks with time_s, pose_xy, pose_visibility, pose_confidence)."""

    start_s: float
    end_s: float
    tracks: Tracks


def hand_signals(tracks: Tracks, config: MetricsConfig) -> list[PeriodicSignal]:
    """The hand-flapping signals (left and right wrist in the torso frame) of some tracks."""
    return [s for s in stereotypy_signals(tracks, config) if s.kind == "hand_flapping"]


def candidate_windows(tracks: Tracks, config: MetricsConfig) -> list[tuple[float, float]]:
    """Where a hand moves fast enough, in the sampled rows, to be worth decoding at the native rate:
    the 4 s windows (stereotypy's, every 0.5 s, seen on native_candidate_min_coverage of their
    frames: a hand moving fast is often seen less well) in which a wrist's movement relative to the torso
    above native_candidate_min_hz has an equivalent-sine amplitude (sqrt 2 x its RMS) of at least
    that hand's amplitude floor, padded by native_pad_s on each side and merged. At most
    native_max_s in all: beyond, the windows with the largest movement first. Empty when the body
    is too small or never seen. Movement at the analysis rate or a multiple of it (10, 20 Hz at
    10 fps) leaves no trace in the sampled rows and is not flagged."""
    t = np.asarray(tracks.time_s, dtype=np.float64)
    if body_size_reason(shoulder_width_px(tracks.pose_xy), config) or not np.isfinite(frame_period_s(t)):
        return []
    found: list[tuple[float, float, float]] = []
    for signal in hand_signals(tracks, config):
        spectra = window_spectra(
            signal.xy,
            t,
            config.periodicity_window_s,
            config.periodicity_hop_s,
            config.native_candidate_min_coverage,
        )
        if spectra.starts.size == 0:
            continue
        fast = spectra.freqs_hz >= config.native_candidate_min_hz
        with np.errstate(invalid="ignore"):
            amplitude = np.sqrt(2.0 * spectra.power[:, fast].sum(axis=1))
            flagged = np.flatnonzero(amplitude >= signal.min_amplitude_sw)
        for w in flagged:
            start = int(spectra.starts[w])
            end_s = t[min(start + spectra.length, t.size) - 1] + spectra.period_s
            found.append(
                (float(t[start]) - config.native_pad_s, float(end_s) + config.native_pad_s, amplitude[w])
            )
    return _bounded(_merged(found, float(t[0]), float(t[-1] + frame_period_s(t))), config.native_max_s)


def _merged(
    found: list[tuple[float, float, float]], first_s: float, last_s: float
) -> list[tuple[float, float, float]]:
    """Overlapping windows merged (the largest amplitude kept), clipped to the session."""
    merged: list[tuple[float, float, float]] = []
    for start_s, end_s, amplitude in sorted(found):
        start, end = max(start_s, first_s), min(end_s, last_s)
        if merged and start <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), max(prev[2], amplitude))
        else:
            merged.append((start, end, amplitude))
    return merged


def _bounded(windows: list[tuple[float, float, float]], max_s: float) -> list[tuple[float, float]]:
    """The windows of largest amplitude first, up to max_s seconds in all (the last one cut), in
    time order."""
    kept: list[tuple[float, float]] = []
    left = max_s
    for start, end_s, _ in sorted(windows, key=lambda w: -w[2]):
        if left <= 0:
            break
        end = min(end_s, start + left)
        kept.append((start, end))
        left -= end - start
    return sorted(kept)


def native_hand_events(
    windows: list[NativeWindow], sampled: Tracks, config: MetricsConfig
) -> tuple[list[Event], float]:
    """Hand-flapping episodes found in the native-rate rows of each window (bilateral bouts
    once), with each hand's amplitude floor taken from the sampled rows; and the seconds
    re-analysed. Each event's attributes gain native_fps."""
    floors = {s.body_part: s.min_amplitude_sw for s in hand_signals(sampled, config)}
    events: list[Event] = []
    seconds = 0.0
    for window in windows:
        t = np.asarray(window.tracks.time_s, dtype=np.float64)
        period = frame_period_s(t)
        if t.size < 4 or not np.isfinite(period):
            continue
        seconds += window.end_s - window.start_s
        found = []
        for signal in hand_signals(window.tracks, config):
            floor = floors.get(signal.body_part, signal.min_amplitude_sw)
            native = dataclasses.replace(signal, min_amplitude_sw=floor)
            for event in scan(native, t, config)[0]:
                attributes = {**event.attributes, "native_fps": round(1.0 / period, 2)}
                found.append(dataclasses.replace(event, attributes=attributes))
        events += bilateral_once(found)
    return sorted(events, key=lambda e: e.start_s), seconds
