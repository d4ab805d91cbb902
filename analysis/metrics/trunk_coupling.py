"""Whether a hand's oscillation is the trunk's: the hand carried by a rocking body, not flapping.

The flapping signal is the wrist relative to the torso, so a body rocking past a resting hand
moves that signal at the rocking frequency. Two rules reject such a bout at its frequency f0:
- the hand hardly moves in the room (its room amplitude at f0 below flapping_min_room_ratio of its
  amplitude relative to the trunk): the trunk moves past it;
- the trunk itself oscillates at f0 (its amplitude there at least the rocking floor, and its own
  dominant frequency within the bout's frequency resolution of f0) and the hand moves in the room
  in phase with it (the cosine of the phase difference, weighted over x and y, at least
  TRUNK_PHASE_COSINE): the hand is carried, partly or wholly, by the rocking body.
Flapping during rocking at another frequency, or out of phase with it, is kept.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.spectral import amplitude_at, bout_frequency_hz
from analysis.timeseries.filters import linear_detrend

# cos 60 deg: a hand within 60 deg of the trunk's phase moves with it (a lag of a sixth of a
# cycle covers the arm's own inertia when it is carried); a flap against the trunk is beyond.
TRUNK_PHASE_COSINE = 0.5


def phasor(xy: np.ndarray, period: float, f0: float) -> np.ndarray:
    """The complex Fourier coefficient of each coordinate of a 2-D stretch at f0 (Hann-tapered,
    detrended): shape (2,). NaN when frames are missing."""
    if xy.shape[0] < 4 or not np.isfinite(xy).all():
        return np.full(2, np.nan, dtype=complex)
    taper = np.hanning(xy.shape[0])
    t = np.arange(xy.shape[0]) * period
    basis = np.exp(-2j * np.pi * f0 * t) * taper
    return (linear_detrend(xy, axis=0) * basis[:, None]).sum(axis=0) * 2.0 / taper.sum()


def phase_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the phase difference between two 2-D oscillations (complex coefficients),
    weighted by their components: 1 in phase, -1 in opposition, NaN when either is missing."""
    norm = np.sqrt(np.sum(np.abs(a) ** 2) * np.sum(np.abs(b) ** 2))
    if not np.isfinite(norm) or norm <= 0:
        return float("nan")
    return float(np.real(np.vdot(b, a)) / norm)


def carried_by_trunk(
    relative_xy: np.ndarray,
    room_xy: np.ndarray,
    trunk_xy: np.ndarray | None,
    period: float,
    f0: float,
    *,
    config: MetricsConfig,
) -> bool:
    """Whether a hand bout (wrist relative to the trunk, and in the room, SW) at f0 is the trunk's
    movement rather than the hand's (module docstring)."""
    relative = amplitude_at(relative_xy, period, f0)
    room = amplitude_at(room_xy, period, f0)
    if np.isfinite(relative) and np.isfinite(room) and relative > 0:
        if room < config.flapping_min_room_ratio * relative:
            return True
    if trunk_xy is None or not np.isfinite(trunk_xy).all():
        return False
    trunk = amplitude_at(trunk_xy, period, f0)
    trunk_hz = bout_frequency_hz(trunk_xy, period, (0.2, 0.49 / period))
    resolution = 1.0 / (trunk_xy.shape[0] * period)
    if not (trunk >= config.rocking_min_amplitude_sw and abs(trunk_hz - f0) <= resolution):
        return False
    return phase_cosine(phasor(room_xy, period, f0), phasor(trunk_xy, period, f0)) >= TRUNK_PHASE_COSINE
