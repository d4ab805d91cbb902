"""analysis.timeseries.filters against the SciPy routines it stands in for.

Tolerance: 1e-10 relative to the input's scale (np.testing rtol 1e-10 and atol 1e-10 x max|x|).
The NumPy code sums in another order than SciPy's compiled loops (a matrix product over each
window instead of a running sum; NumPy's least squares instead of SciPy's), which moves results
by a few units in the last place of the input's magnitude (about 1e-15 measured), so equality is
not expected; 1e-10 leaves five orders of magnitude for that and is far below any metric's
tolerance. The filter sections and the zero-phase filter agree to the last bit today.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, stats

from analysis.timeseries import filters
from analysis.timeseries.preprocessing import savgol_smooth
from tests.analysis.fresh_process import fresh_process_output

RTOL = 1e-10


def _close(ours: np.ndarray, theirs: np.ndarray, scale: np.ndarray) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * max(float(np.abs(scale).max()), 1.0))


@pytest.mark.parametrize(
    ("shape", "axis"), [((40,), -1), ((40, 2), 0), ((7, 100, 2), 1), ((3, 5, 9), -1), ((2, 3), 0)]
)
def test_linear_detrend_matches_scipy(shape: tuple[int, ...], axis: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * 50 + np.arange(shape[axis]).reshape(
        [-1 if i == axis % len(shape) else 1 for i in range(len(shape))]
    )
    _close(filters.linear_detrend(x, axis=axis), signal.detrend(x, axis=axis), x)


def test_linear_detrend_removes_a_line_exactly_and_refuses_missing_values() -> None:
    t = np.arange(30.0)
    np.testing.assert_allclose(filters.linear_detrend(3.0 * t - 7.0), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="finite"):
        filters.linear_detrend(np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError):  # SciPy refuses them too
        signal.detrend(np.array([1.0, np.nan, 2.0, 3.0]))


@pytest.mark.parametrize("window", [3, 5, 7, 9, 13, 31])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_savgol_coefficients_match_scipy(window: int, order: int) -> None:
    if order >= window:
        with pytest.raises(ValueError):
            filters.savgol_coefficients(window, order)
        return
    for deriv, delta in [(0, 1.0), (1, 0.04), (2, 1 / 30)]:
        ours = filters.savgol_coefficients(window, order, deriv, delta)
        theirs = signal.savgol_coeffs(window, order, deriv=deriv, delta=delta)
        _close(ours, theirs, theirs)


@pytest.mark.parametrize("mode", ["interp", "mirror"])
@pytest.mark.parametrize(("window", "order"), [(3, 2), (5, 2), (7, 2), (9, 3), (15, 2)])
def test_savgol_filter_matches_scipy_from_one_window_long(mode: str, window: int, order: int) -> None:
    rng = np.random.default_rng(window * 10 + order)
    for n in (window, window + 1, window + 2, 3 * window, 200):
        x = rng.normal(size=(n, 4, 2)).cumsum(axis=0) * 30.0
        for deriv, delta in [(0, 1.0), (1, 0.04)]:
            ours = filters.savgol_filter(x, window, order, deriv=deriv, delta=delta, axis=0, mode=mode)
            theirs = signal.savgol_filter(x, window, order, deriv=deriv, delta=delta, axis=0, mode=mode)
            _close(ours, theirs, x / delta**deriv)
        ours_1d = filters.savgol_filter(x[:, 0, 0], window, order, mode=mode)
        _close(ours_1d, signal.savgol_filter(x[:, 0, 0], window, order, mode=mode), x)
        moved = np.moveaxis(x, 0, -1)
        _close(
            filters.savgol_filter(moved, window, order, mode=mode),
            signal.savgol_filter(moved, window, order, mode=mode),
            x,
        )


def test_savgol_filter_refuses_a_series_shorter_than_the_window_and_unknown_modes() -> None:
    with pytest.raises(ValueError, match="window"):
        filters.savgol_filter(np.arange(4.0), 5, 2, mode="interp")
    with pytest.raises(ValueError, match="mode"):
        filters.savgol_filter(np.arange(9.0), 5, 2, mode="nearest")


@pytest.mark.parametrize("mode", ["interp", "mirror"])
def test_savgol_smooth_over_runs_with_gaps_matches_scipy(mode: str) -> None:
    """As the metrics call it: (n_frames, points, 2) with missing frames, 25 fps, 0.25 s window."""
    rng = np.random.default_rng(5)
    t = np.arange(300) / 25.0
    x = rng.normal(size=(300, 3, 2)).cumsum(axis=0)
    x[40:43] = np.nan  # a gap
    x[100:104, 1] = np.nan  # a frame missing one point is incomplete
    x[150:200:7] = np.nan  # runs shorter than the window stay as they are
    smoothed = savgol_smooth(x, t, 0.25, 2, mode=mode)
    complete = np.isfinite(x).reshape(300, -1).all(axis=1)
    expected = x.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], complete.astype(int), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= 7:
            expected[start:stop] = signal.savgol_filter(x[start:stop], 7, 2, axis=0, mode=mode)
    _close(smoothed[complete], expected[complete], x[complete])
    assert np.isnan(smoothed[~complete]).any(axis=(1, 2)).all()


def _stereotypy_bands() -> list[tuple[float, float, float]]:
    """(low, high, fs) as stereotypy's bout refinement builds them: 0.6 f0 to 1.5 f0 within
    0.2 Hz and 0.48 fs, for the frame rates and frequencies it meets."""
    bands = []
    for fs in (5.0, 10.0, 12.5, 15.0, 24.0, 25.0, 29.97, 30.0, 60.0):
        for f0 in (0.3, 0.5, 1.0, 1.7, 2.5, 4.0, 6.0, 9.0):
            low, high = max(0.2, 0.6 * f0), min(1.5 * f0, 0.48 * fs)
            if low < high:
                bands.append((low, high, fs))
    return bands


@pytest.mark.parametrize(("low", "high", "fs"), _stereotypy_bands())
def test_butterworth_bandpass_sections_match_scipy(low: float, high: float, fs: float) -> None:
    ours = filters.butterworth_bandpass_sections(low, high, fs)
    theirs = signal.butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
    _close(ours, theirs, theirs)


def test_butterworth_bandpass_refuses_edges_outside_the_band() -> None:
    for low, high in [(0.0, 1.0), (2.0, 1.0), (1.0, 12.5)]:
        with pytest.raises(ValueError, match="band edges"):
            filters.butterworth_bandpass_sections(low, high, 25.0)


@pytest.mark.parametrize("n", [16, 17, 30, 101, 600])
def test_zero_phase_filter_matches_sosfiltfilt(n: int) -> None:
    """As stereotypy calls it, (n, 2) along axis 0 with padlen min(15, n - 1), plus other shapes."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 2)).cumsum(axis=0) * 0.1 + 3.0
    for low, high, fs in [(0.6, 1.5, 25.0), (0.2, 14.4, 30.0), (2.4, 4.8, 10.0)]:
        sos = signal.butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
        ours_sections = filters.butterworth_bandpass_sections(low, high, fs)
        padlen = min(15, n - 1)
        ours = filters.zero_phase_filter(ours_sections, x, padlen=padlen, axis=0)
        _close(ours, signal.sosfiltfilt(sos, x, axis=0, padlen=padlen), x)
        _close(filters.zero_phase_filter(sos, x.T, padlen=0), signal.sosfiltfilt(sos, x.T, padlen=0), x)
        _close(
            filters.zero_phase_filter(sos, x[:, 0], padlen=n - 1),
            signal.sosfiltfilt(sos, x[:, 0], padlen=n - 1),
            x,
        )


def test_zero_phase_filter_refuses_a_series_no_longer_than_padlen() -> None:
    sos = signal.butter(2, [0.6, 1.5], btype="bandpass", fs=25.0, output="sos")
    with pytest.raises(ValueError, match="padlen"):
        filters.zero_phase_filter(sos, np.zeros((15, 2)), padlen=15, axis=0)
    with pytest.raises(ValueError):  # SciPy refuses it too
        signal.sosfiltfilt(sos, np.zeros((15, 2)), axis=0, padlen=15)


@pytest.mark.parametrize("dims", [1, 2, 3, 4, 5, 6, 7])
def test_chi_quantile_matches_scipy(dims: int) -> None:
    for probability in (1e-12, 1e-6, 0.01, 0.25, 0.5, 0.73, 0.9, 0.95, 0.99, 0.999, 1 - 1e-9):
        theirs = stats.chi.ppf(probability, dims)
        assert filters.chi_quantile(probability, dims) == pytest.approx(theirs, rel=1e-12)


def test_chi_quantile_for_two_dimensions_is_the_rayleigh_quantile() -> None:
    for probability in (0.5, 0.99):
        expected = math.sqrt(-2.0 * math.log1p(-probability))
        assert filters.chi_quantile(probability, 2) == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="probability"):
        filters.chi_quantile(1.0, 2)


def test_importing_the_pipeline_imports_neither_scipy_signal_nor_scipy_stats() -> None:
    """scipy.signal (which imports scipy.stats) cost about 1.4 CPU s of the command line's start."""
    code = (
        "import sys\n"
        "import analysis.pipeline\n"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in (['scipy', 'signal'], ['scipy', 'stats'])))\n"
    )
    assert fresh_process_output(code) == "[]"
