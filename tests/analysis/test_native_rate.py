"""Hand flapping measured at the video's native frame rate inside candidate windows, on synthetic
tracks with a known answer: the sampled rows (10 fps) flag where a hand moves fast, only there,
and within a bounded time; the native rows (30 fps) of those windows give the frequency the
sampled rate cannot tell, a faster movement as above the measurable band, and a bilateral bout
once."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import MetricsConfig, NativeWindow, compute_all
from analysis.metrics.native_rate import candidate_windows
from tests.analysis.metrics_synthetic import SHOULDER_WIDTH_PX, burst, put_body, session

NATIVE_FPS = 30.0
FLAP_START_S, FLAP_END_S = 20.0, 30.0


def flapping_rows(
    fps: float,
    freq_hz: float,
    *,
    duration_s: float = 60.0,
    hands=(16,),
    seed: int = 5,
    amplitude_sw: float = 0.2,
):
    """A still seated person (0.5 px jitter) whose wrists flap vertically by amplitude_sw at
    freq_hz between FLAP_START_S and FLAP_END_S, sampled at fps."""
    tracks, t = session(duration_s, fps=fps)
    put_body(tracks, seed=seed)
    for wrist in hands:
        tracks.pose_xy[:, wrist, 1] += burst(
            t, freq_hz, FLAP_START_S, FLAP_END_S, amplitude_sw * SHOULDER_WIDTH_PX
        )
    return tracks, t


def native_of(windows, freq_hz: float, hands=(16,), amplitude_sw: float = 0.2) -> list[NativeWindow]:
    """The same movement at the native rate, cut to the candidate windows (what the native pass
    decodes there)."""
    full, t = flapping_rows(NATIVE_FPS, freq_hz, hands=hands, seed=6, amplitude_sw=amplitude_sw)
    return [NativeWindow(a, b, full.select((t >= a) & (t < b))) for a, b in windows]


def hand_events(report) -> list:
    return [e for e in report.events if e.kind == "hand_flapping"]


def test_a_still_person_has_no_candidate_window():
    tracks, _ = session(60.0)
    put_body(tracks)
    assert candidate_windows(tracks, MetricsConfig()) == []


def test_the_candidate_window_covers_the_bout_and_little_else():
    tracks, _ = flapping_rows(10.0, 4.0)
    ((start, end),) = candidate_windows(tracks, MetricsConfig())
    # The bout (20-30 s) is inside; beyond it at most one 4 s window and the 1 s padding.
    assert start <= FLAP_START_S and end >= FLAP_END_S
    assert start >= FLAP_START_S - 5.0 and end <= FLAP_END_S + 5.0


def test_the_native_rate_time_is_bounded():
    # Hands moving all of a 5-minute session: only native_max_s (120 s) are decoded again.
    tracks, t = session(300.0)
    put_body(tracks)
    tracks.pose_xy[:, 16, 1] += burst(t, 3.0, 0.0, 300.0, 0.2 * SHOULDER_WIDTH_PX)
    windows = candidate_windows(tracks, MetricsConfig())
    assert sum(b - a for a, b in windows) == pytest.approx(120.0, abs=1e-6)


@pytest.mark.parametrize("freq_hz", [4.0, 4.8, 6.0])
def test_at_the_native_rate_the_frequency_the_sampled_rate_cannot_tell_is_measured(freq_hz):
    # At 10 fps 4 and 6 Hz give the same samples (withheld as ambiguous), 4.8 Hz lies next to
    # Nyquist. At 30 fps each is measured within 0.2 Hz: the bout's FFT over 10 s has a natural
    # resolution of 0.1 Hz, and its zero-padded peak lies within half of it; 0.2 Hz leaves room
    # for the 0.5 px jitter. (A sine at exactly 5 Hz whose zero crossings fall on the 10 fps
    # samples leaves no trace in the sampled rows, and so flags no window.)
    sampled, _ = flapping_rows(10.0, freq_hz)
    windows = candidate_windows(sampled, MetricsConfig())
    assert windows, "the sampled rows flag the bout"
    alone = hand_events(compute_all(sampled))
    assert all(e.frequency_hz is None or abs(e.frequency_hz - freq_hz) <= 0.2 for e in alone)
    report = compute_all(sampled, native=native_of(windows, freq_hz))
    (event,) = hand_events(report)
    assert event.frequency_hz == pytest.approx(freq_hz, abs=0.2)
    assert event.attributes["native_fps"] == NATIVE_FPS
    assert event.start_s == pytest.approx(FLAP_START_S, abs=0.5) and event.end_s == pytest.approx(
        FLAP_END_S, abs=0.5
    )
    native_s = report.metrics["stereotypy"]["stereotypy.hand_flapping.native_rate_s"]
    assert native_s.value == pytest.approx(sum(b - a for a, b in windows))
    rate = report.metrics["stereotypy"]["stereotypy.hand_flapping.median_frequency_hz"]
    assert rate.value == pytest.approx(freq_hz, abs=0.2)


def test_at_the_native_rate_a_faster_movement_is_above_the_measurable_band():
    sampled, _ = flapping_rows(10.0, 7.5)
    windows = candidate_windows(sampled, MetricsConfig())
    (event,) = hand_events(compute_all(sampled, native=native_of(windows, 7.5)))
    assert event.frequency_hz is None
    assert event.attributes["frequency_note"].startswith("above the measurable band")


def test_at_the_native_rate_a_bilateral_bout_counts_once():
    sampled, _ = flapping_rows(10.0, 4.0, hands=(15, 16))
    windows = candidate_windows(sampled, MetricsConfig())
    (event,) = hand_events(compute_all(sampled, native=native_of(windows, 4.0, hands=(15, 16))))
    assert event.body_part == "both_hands" and event.attributes["hands"] == ["left", "right"]
    assert event.frequency_hz == pytest.approx(4.0, abs=0.2)


def test_a_small_tremor_at_the_native_rate_stays_below_the_floor():
    # 0.06 SW at 8 Hz (an essential tremor's size) in the native rows of a window: no episode.
    sampled, _ = flapping_rows(10.0, 4.0)
    windows = candidate_windows(sampled, MetricsConfig())
    tremor = native_of(windows, 8.0, amplitude_sw=0.06)
    assert hand_events(compute_all(sampled, native=tremor)) == []


def test_without_the_video_the_native_rate_time_is_unknown():
    sampled, _ = flapping_rows(10.0, 4.0)
    value = compute_all(sampled).metrics["stereotypy"]["stereotypy.hand_flapping.native_rate_s"]
    assert np.isnan(value.value) and "native rate" in value.reason
