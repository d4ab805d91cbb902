"""Short-time power spectra of 2-D keypoint trajectories (sliding windows).

Shared by the periodicity detector (stereotypy.py) and the fidget index (activity.py).
Each window is linearly detrended, multiplied by a Hann window and zero-padded to at least
8x its length before the FFT, so the frequency grid is fine enough (about 0.02 Hz for a 4 s
window at 10 fps) for the dominant frequency; a parabolic fit on the peak refines it further.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.metrics.windows import sliding_starts
from analysis.timeseries.filters import linear_detrend
from analysis.timeseries.preprocessing import frame_period_s


@dataclass(frozen=True)
class WindowSpectra:
    """Power spectra of the sliding windows of one signal.

    Attributes
    ----------
    starts : int array of shape (n_windows,)
        First frame of each window.
    length : int
        Frames per window.
    period_s : float
        Frame period (s).
    freqs_hz : array of shape (n_freqs,)
    power : array of shape (n_windows, n_freqs)
        One-sided power of the x and y components summed, scaled so that it sums to the
        Hann-weighted mean square of the detrended window (signal units squared): a sine of
        amplitude A puts about A**2 / 2 in its peak. NaN rows for windows with too few frames.
    """

    starts: np.ndarray
    length: int
    period_s: float
    freqs_hz: np.ndarray
    power: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.length * self.period_s


def window_spectra(
    xy: np.ndarray, time_s: np.ndarray, window_s: float, hop_s: float, min_coverage: float
) -> WindowSpectra:
    """Sliding-window spectra of a 2-D trajectory.

    Parameters
    ----------
    xy : array of shape (n_frames, 2)
        Trajectory in body units (NaN where missing), sampled at a near-constant rate.
    time_s : array of shape (n_frames,)
    window_s, hop_s : float
        Window length and hop (s), rounded to whole frames.
    min_coverage : float
        Windows with a smaller share of finite frames get NaN power; the missing frames of
        the others are linearly interpolated before the FFT.
    """
    period = frame_period_s(time_s)
    n = xy.shape[0]
    if not np.isfinite(period):
        return WindowSpectra(np.zeros(0, np.int64), 0, period, np.zeros(0), np.zeros((0, 0)))
    length = max(round(window_s / period), 4)
    hop = max(round(hop_s / period), 1)
    starts = sliding_starts(n, length, hop)
    nfft = max(512, 1 << int(np.ceil(np.log2(8 * length))))
    freqs = np.fft.rfftfreq(nfft, period)
    power = np.full((starts.size, freqs.size), np.nan)
    if starts.size == 0:
        return WindowSpectra(starts, length, period, freqs, power)
    segments = np.asarray(xy, dtype=np.float64)[starts[:, None] + np.arange(length)]
    finite = np.isfinite(segments).all(axis=2)
    usable = finite.mean(axis=1) >= min_coverage
    if not usable.any():
        return WindowSpectra(starts, length, period, freqs, power)
    segments = segments[usable]
    for w in np.flatnonzero(~finite[usable].all(axis=1)):
        ok = finite[usable][w]
        for c in range(2):
            segments[w, :, c] = np.interp(np.arange(length), np.flatnonzero(ok), segments[w, ok, c])
    taper = np.hanning(length)
    spectrum = np.fft.rfft(linear_detrend(segments, axis=1) * taper[None, :, None], n=nfft, axis=1)
    scale = np.full(freqs.size, 2.0)
    scale[0] = 1.0
    if nfft % 2 == 0:
        scale[-1] = 1.0
    pw = (np.abs(spectrum) ** 2).sum(axis=2) * scale / (nfft * np.sum(taper**2))
    power[usable] = pw
    return WindowSpectra(starts, length, period, freqs, power)


def dominant_peak(
    spectra: WindowSpectra, band_hz: tuple[float, float], floor_hz: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dominant frequency of each window within a band, and the strength of that peak.

    The peak is the largest power bin within the band widened by half the natural frequency
    resolution (0.5 / window duration, 0.125 Hz for 4 s: a 0.5 Hz rocking in a 4 s window
    peaks at about 0.49 Hz); the upper edge is capped at 0.98 x Nyquist (the Nyquist bin
    itself sees a sine only at some phases). Its power is summed
    over the Hann main lobe (+-2 / window duration) above floor_hz.

    Returns
    -------
    frequency_hz : (n_windows,) parabolically interpolated peak frequency.
    periodicity : (n_windows,) peak power / total power above floor_hz, in [0, 1].
    amplitude : (n_windows,) sqrt(2 x peak power): the amplitude of the equivalent sine, in
        the signal's units (for a 2-D line oscillation, its amplitude along the line).
    is_peak : (n_windows,) bool, False when the band maximum is not a local maximum of the
        whole spectrum (the shoulder of a slower drift or a faster movement at the band edge).
    """
    freqs, power = spectra.freqs_hz, spectra.power
    n_windows = power.shape[0]
    nan = np.full(n_windows, np.nan)
    if n_windows == 0 or freqs.size < 3:
        return nan, nan, nan, np.zeros(n_windows, dtype=bool)
    nyquist = freqs[-1]
    tolerance = 0.5 / spectra.duration_s
    in_band = (freqs >= band_hz[0] - tolerance) & (freqs <= min(band_hz[1] + tolerance, 0.98 * nyquist))
    above_floor = freqs > floor_hz
    usable = np.isfinite(power).all(axis=1) & in_band.any()
    frequency, periodicity, amplitude = nan.copy(), nan.copy(), nan.copy()
    is_peak = np.zeros(n_windows, dtype=bool)
    if not usable.any():
        return frequency, periodicity, amplitude, is_peak
    p = power[usable]
    band_idx = np.flatnonzero(in_band)
    k = band_idx[np.argmax(p[:, band_idx], axis=1)]
    rows = np.arange(p.shape[0])
    left, right = p[rows, np.maximum(k - 1, 0)], p[rows, np.minimum(k + 1, freqs.size - 1)]
    centre = p[rows, k]
    is_peak[usable] = (centre >= left) & (centre >= right) & (centre > 0)
    curvature = left - 2 * centre + right
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    step = freqs[1] - freqs[0]
    f_peak = freqs[k] + np.clip(offset, -0.5, 0.5) * step
    half_lobe = 2.0 / spectra.duration_s
    lobe = (np.abs(freqs[None, :] - f_peak[:, None]) <= half_lobe) & above_floor[None, :]
    peak_power = (p * lobe).sum(axis=1)
    total = p[:, above_floor].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        periodicity[usable] = np.where(total > 0, peak_power / total, np.nan)
    frequency[usable] = f_peak
    amplitude[usable] = np.sqrt(2.0 * peak_power)
    return frequency, periodicity, amplitude, is_peak


def frequency_reading(
    peak_hz: float, rate_hz: float, band_hz: tuple[float, float], max_hz: float, tolerance_hz: float
) -> tuple[float | None, list[float], str]:
    """What a spectral peak at peak_hz (at most the Nyquist frequency) says about the true
    frequency, given the sampling rate: (frequency or None, candidates, note).

    A movement at f is seen at |f - k x rate| for the k that brings it below Nyquist, so the
    true frequency is one of the candidates k x rate +- peak_hz up to max_hz. One candidate
    inside the band: that frequency. Several: None, "ambiguous at this frame rate" with the
    candidates. All above the band: None, "above the measurable band".
    """
    candidates = {round(peak_hz, 3)}
    k = 1
    while k * rate_hz - peak_hz <= max_hz + tolerance_hz:
        for f in (k * rate_hz - peak_hz, k * rate_hz + peak_hz):
            if f <= max_hz + tolerance_hz:
                candidates.add(round(f, 3))
        k += 1
    ordered = sorted(candidates)
    if all(f > band_hz[1] + tolerance_hz for f in ordered):
        return None, ordered, f"above the measurable band (> {band_hz[1]:g} Hz)"
    if len(ordered) > 1:
        listed = ", ".join(f"{f:.2f}" for f in ordered)
        return None, ordered, f"ambiguous at {rate_hz:.3g} frames/s: one of {listed} Hz"
    return float(peak_hz), ordered, ""


def amplitude_at(xy: np.ndarray, period: float, f0: float) -> float:
    """Equivalent-sine amplitude of a 2-D stretch at f0: sqrt(2 x power) within the Hann main
    lobe (+-2 / duration), power scaled as in spectral.window_spectra. NaN with missing frames."""
    if xy.shape[0] < 4 or not np.isfinite(xy).all():
        return float("nan")
    taper = np.hanning(xy.shape[0])
    nfft = max(1024, 1 << int(np.ceil(np.log2(8 * xy.shape[0]))))
    spectrum = np.fft.rfft(linear_detrend(xy, axis=0) * taper[:, None], n=nfft, axis=0)
    power = 2.0 * (np.abs(spectrum) ** 2).sum(axis=1) / (nfft * np.sum(taper**2))
    freqs = np.fft.rfftfreq(nfft, period)
    lobe = np.abs(freqs - f0) <= 2.0 / (xy.shape[0] * period)
    return float(np.sqrt(2.0 * power[lobe].sum()))


def bout_frequency_hz(xy: np.ndarray, period: float, band_hz: tuple[float, float]) -> float:
    """Dominant frequency of a whole bout: one Hann-tapered, zero-padded FFT over the bout,
    peak in the band (sharper than the 4 s windows' estimates, whose resolution is 0.25 Hz).
    NaN when the bout has missing frames."""
    if not np.isfinite(xy).all() or xy.shape[0] < 4:
        return float("nan")
    centred = linear_detrend(xy, axis=0) * np.hanning(xy.shape[0])[:, None]
    nfft = max(4096, 1 << int(np.ceil(np.log2(8 * xy.shape[0]))))
    power = (np.abs(np.fft.rfft(centred, n=nfft, axis=0)) ** 2).sum(axis=1)
    freqs = np.fft.rfftfreq(nfft, period)
    tolerance = 0.5 / (xy.shape[0] * period)
    in_band = np.flatnonzero((freqs >= band_hz[0] - tolerance) & (freqs <= band_hz[1] + tolerance))
    return float(freqs[in_band[np.argmax(power[in_band])]]) if in_band.size else float("nan")
