"""The few signal-processing routines the metrics use, in NumPy: linear detrending,
Savitzky-Golay smoothing, a 2nd-order Butterworth band-pass run forward and backward, and the
chi distribution's quantile.

Each matches its SciPy counterpart (scipy.signal.detrend, savgol_coeffs, savgol_filter, butter,
sosfiltfilt; scipy.stats.chi.ppf) to floating-point precision for the arguments used here
(tests/analysis/test_filters.py compares them). They are not SciPy's because importing
scipy.signal (which imports scipy.stats) was the largest single start-up cost of the command
line: a fresh process importing analysis.pipeline took 1.46 CPU s with it and 0.48 without
(analysis/docs/pipeline.md, Speed). scipy.special alone, for the quantile, still took about 0.4 s.
"""

from __future__ import annotations

import math

import numpy as np


def linear_detrend(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """values less their least-squares straight line along axis (scipy.signal.detrend, type
    'linear', no breakpoints). Raises ValueError on non-finite values, as SciPy does."""
    x = np.asarray(values)
    if x.dtype.char not in "dfDF":
        x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("linear_detrend needs finite values")
    moved = np.moveaxis(x, axis, 0)
    n = moved.shape[0]
    flat = moved.reshape(n, -1).copy()
    design = np.ones((n, 2), dtype=flat.dtype)
    design[:, 0] = np.arange(1, n + 1, dtype=flat.dtype) / n
    coef = np.linalg.lstsq(design, flat, rcond=None)[0]
    flat -= design @ coef
    return np.moveaxis(flat.reshape(moved.shape), 0, axis)


def savgol_coefficients(window: int, order: int, deriv: int = 0, delta: float = 1.0) -> np.ndarray:
    """Convolution weights of a centred Savitzky-Golay filter (scipy.signal.savgol_coeffs with
    use='conv'): the least-squares polynomial of the given order over an odd window, evaluated
    (or differentiated deriv times, per delta units) at the window's centre."""
    if window % 2 != 1 or order >= window:
        raise ValueError("window must be odd and greater than order")
    if deriv > order:
        return np.zeros(window)
    half = window // 2
    x = np.arange(-half, window - half, dtype=np.float64)[::-1]
    design = x ** np.arange(order + 1, dtype=np.float64).reshape(-1, 1)
    target = np.zeros(order + 1)
    target[deriv] = math.factorial(deriv) / delta**deriv
    rcond = np.finfo(np.float64).eps * max(design.shape)
    return np.linalg.lstsq(design, target, rcond=rcond)[0]


def savgol_filter(
    values: np.ndarray,
    window: int,
    order: int,
    *,
    deriv: int = 0,
    delta: float = 1.0,
    axis: int = -1,
    mode: str = "interp",
) -> np.ndarray:
    """Savitzky-Golay filtering along axis (scipy.signal.savgol_filter) with SciPy's edge modes
    'interp' (the first and last half-windows take the polynomial fitted to the first and last
    whole window; needs window <= length) and 'mirror' (reflection about the edge sample, which
    is not repeated)."""
    x = np.asarray(values)
    if x.dtype not in (np.float64, np.float32):
        x = x.astype(np.float64)
    weights = savgol_coefficients(window, order, deriv, delta)
    moved = np.moveaxis(x, axis, 0)
    n, half = moved.shape[0], window // 2
    if mode == "interp":
        if window > n:
            raise ValueError("with mode 'interp' the window must not exceed the length")
        out = np.empty(moved.shape, dtype=np.result_type(moved, weights))
        out[half : n - half] = _correlate_valid(moved, weights[::-1])
        out[:half] = _edge_fit(moved[:window], np.arange(half), order, deriv, delta)
        out[n - half :] = _edge_fit(
            moved[n - window :], np.arange(window - half, window), order, deriv, delta
        )
    elif mode == "mirror":
        padded = np.pad(moved, [(half, half)] + [(0, 0)] * (moved.ndim - 1), mode="reflect")
        out = _correlate_valid(padded, weights[::-1])
    else:
        raise ValueError(f"mode must be 'interp' or 'mirror', not {mode!r}")
    return np.moveaxis(out, 0, axis)


def _correlate_valid(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k weights[k] x[i + k] along axis 0, for every i where the window fits."""
    windows = np.lib.stride_tricks.sliding_window_view(x, weights.size, axis=0)
    return windows @ weights


def _edge_fit(window: np.ndarray, at: np.ndarray, order: int, deriv: int, delta: float) -> np.ndarray:
    """The polynomial (or its deriv-th derivative per delta) fitted to a whole window (axis 0),
    evaluated at the window's rows `at`: savgol_filter's 'interp' edges."""
    flat = window.reshape(window.shape[0], -1)
    coeffs = np.polyfit(np.arange(window.shape[0], dtype=window.dtype), flat, order)
    for _ in range(deriv):
        coeffs = coeffs[:-1] * np.arange(coeffs.shape[0] - 1, 0, -1, dtype=coeffs.dtype)[:, None]
    values = np.zeros((at.size, flat.shape[1]), dtype=coeffs.dtype)
    points = at.astype(coeffs.dtype).reshape(-1, 1)
    for row in coeffs:
        values = values * points + row
    return (values / delta**deriv).reshape((at.size, *window.shape[1:]))


def butterworth_bandpass_sections(low_hz: float, high_hz: float, fs_hz: float) -> np.ndarray:
    """Second-order sections (2, 6) of the 2nd-order digital Butterworth band-pass from low_hz to
    high_hz (scipy.signal.butter(2, [low, high], btype='bandpass', fs=fs, output='sos')): the
    analog prototype's poles moved to the band, mapped by the bilinear transform with the edges
    prewarped, and paired into sections as SciPy does (the poles nearest the unit circle last,
    each pair with its nearest double zero, the gain in the first section)."""
    edges = np.array([low_hz, high_hz], dtype=np.float64) / (fs_hz / 2.0)
    if not (0.0 < edges[0] < edges[1] < 1.0):
        raise ValueError("band edges must satisfy 0 < low < high < fs / 2")
    warped = 2 * 2.0 * np.tan(np.pi * edges / 2.0)
    bandwidth = float(warped[1] - warped[0])
    centre = float(np.sqrt(warped[0] * warped[1]))
    prototype = -np.exp(1j * np.pi * np.arange(-1, 2, 2, dtype=np.float64) / 4)
    lowpass = (prototype * bandwidth / 2).astype(np.complex128)
    shift = np.sqrt(lowpass**2 - centre**2)
    analog_poles = np.concatenate((lowpass + shift, lowpass - shift))
    analog_zeros = np.zeros(2, dtype=np.complex128)
    poles = (4.0 + analog_poles) / (4.0 - analog_poles)
    gain = bandwidth**2 * np.real(np.prod(4.0 - analog_zeros) / np.prod(4.0 - analog_poles))
    zeros = [1.0, 1.0, -1.0, -1.0]  # the analog zeros at 0 map to 1, the two at infinity to -1
    upper = poles[poles.imag > 0]
    upper = upper[np.lexsort((np.abs(upper.imag), upper.real))]
    sections = np.zeros((2, 6))
    for section in (1, 0):
        pole = upper[np.argmin(np.abs(1 - np.abs(upper)))]
        upper = upper[upper != pole]
        zero = min(zeros, key=lambda z: abs(z - pole))
        zeros.remove(zero)
        zeros.remove(zero)
        sections[section, :3] = np.poly([zero, zero])
        sections[section, 3:] = np.poly([pole, pole.conjugate()])
    sections[0, :3] *= gain
    return sections


def zero_phase_filter(sections: np.ndarray, values: np.ndarray, padlen: int, axis: int = -1) -> np.ndarray:
    """The cascade of second-order sections run forward then backward along axis
    (scipy.signal.sosfiltfilt with padtype 'odd'): the signal extended at each end by padlen
    samples reflected through the end sample, each pass started in the steady state for its first
    sample (scipy.signal.sosfilt_zi), the extension cut off again."""
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    n = x.shape[0]
    if n <= padlen:
        raise ValueError("the series must be longer than padlen")
    if padlen > 0:
        x = np.concatenate((2 * x[:1] - x[padlen:0:-1], x, 2 * x[-1:] - x[-2 : -(padlen + 2) : -1]))
    flat = x.reshape(x.shape[0], -1)
    steady = _steady_state(sections)
    out = np.empty_like(flat)
    for column in range(flat.shape[1]):
        forward = _run_sections(sections, flat[:, column].tolist(), steady)
        out[::-1, column] = _run_sections(sections, forward[::-1], steady)
    if padlen > 0:
        out = out[padlen:-padlen]
    return np.moveaxis(out.reshape((out.shape[0], *x.shape[1:])), 0, axis)


def _steady_state(sections: np.ndarray) -> np.ndarray:
    """Per-section states (n_sections, 2) of the cascade at rest under a unit constant input."""
    states = np.empty((sections.shape[0], 2))
    scale = 1.0
    for i, row in enumerate(sections):
        b, a = row[:3] / row[3], row[3:] / row[3]
        i_minus_a = np.array([[1.0 + a[1], -1.0], [a[2], 1.0]])
        states[i] = scale * np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0])
        scale *= np.sum(b) / np.sum(a)
    return states


def _run_sections(sections: np.ndarray, samples: list[float], steady: np.ndarray) -> list[float]:
    """One pass of the cascade over samples (direct form II transposed, as scipy.signal.sosfilt),
    each section's state starting at steady x the first sample."""
    coeffs = [tuple(float(c) for c in row) for row in sections / sections[:, 3:4]]
    first = samples[0]
    states = [[float(s0) * first, float(s1) * first] for s0, s1 in steady]
    out = []
    for sample in samples:
        current = sample
        for (b0, b1, b2, _, a1, a2), state in zip(coeffs, states, strict=True):
            filtered = b0 * current + state[0]
            state[0] = b1 * current - a1 * filtered + state[1]
            state[1] = b2 * current - a2 * filtered
            current = filtered
        out.append(current)
    return out


def chi_quantile(probability: float, dims: int) -> float:
    """The value a chi-distributed variable with dims degrees of freedom (the length of a
    dims-dimensional standard normal vector) stays below with the given probability
    (scipy.stats.chi.ppf), by safeguarded Newton steps on the exact distribution function (its
    lower side below the median, its upper tail above, each without cancellation)."""
    if not 0.0 < probability < 1.0 or dims < 1:
        raise ValueError("probability must be in (0, 1) and dims at least 1")

    def shortfall(x: float) -> float:  # > 0 while x is below the quantile
        if probability <= 0.5:
            return probability - _chi_lower(x, dims)
        return _chi_tail(x, dims) - (1.0 - probability)

    lo, hi = 0.0, math.sqrt(dims) + 1.0
    while shortfall(hi) > 0:
        lo, hi = hi, 2.0 * hi
    x = 0.5 * (lo + hi)
    for _ in range(200):
        gap = shortfall(x)
        if gap > 0:
            lo = x
        else:
            hi = x
        step = gap / _chi_density(x, dims)
        nxt = x + step if lo < x + step < hi else 0.5 * (lo + hi)
        if abs(nxt - x) <= 4 * np.finfo(np.float64).eps * x:
            return nxt
        x = nxt
    raise ArithmeticError("chi_quantile did not converge")


def _chi_lower(x: float, dims: int) -> float:
    """P(chi_dims <= x): the regularised lower incomplete gamma P(a, y), a = dims / 2 and
    y = x^2 / 2, by its series y^a e^-y / Gamma(a + 1) x sum_n y^n / ((a + 1) ... (a + n))."""
    a, y = 0.5 * dims, 0.5 * x * x
    if y == 0.0:
        return 0.0
    term, total = 1.0, 1.0
    n = 0
    while term > 1e-17 * total:
        n += 1
        term *= y / (a + n)
        total += term
    return math.exp(a * math.log(y) - y - math.lgamma(a + 1.0)) * total


def _chi_tail(x: float, dims: int) -> float:
    """P(chi_dims > x): the regularised upper incomplete gamma Q(dims / 2, x^2 / 2), in closed form
    for whole and half-whole shapes."""
    y = 0.5 * x * x
    if dims % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, dims // 2):
            term *= y / k
            total += term
        return math.exp(-y) * total
    total = math.erfc(math.sqrt(y))
    term = 2.0 * math.sqrt(y / math.pi)  # y^(1/2) / Gamma(3/2)
    for k in range((dims - 1) // 2):
        total += math.exp(-y) * term
        term *= y / (k + 1.5)
    return total


def _chi_density(x: float, dims: int) -> float:
    """Probability density of the chi distribution with dims degrees of freedom at x > 0."""
    log_density = (
        (dims - 1) * math.log(x) - 0.5 * x * x - (0.5 * dims - 1) * math.log(2.0) - math.lgamma(0.5 * dims)
    )
    return math.exp(log_density)
