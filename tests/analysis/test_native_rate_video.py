"""The native-rate pass on a real video: a drawn forearm flapping at 4 Hz in a 30 fps recording,
analysed by the real models. At the 10 fps analysis rate 4 Hz cannot be told from 6 Hz (and the
pose model, tracking a hand that moves 1/2.5 of a cycle between frames, does worse); the pass
decodes the candidate window again at every frame and measures it."""

from __future__ import annotations

import pytest

from analysis.metrics import compute_all
from analysis.pipeline import analyse_video
from analysis.synthetic_video import make_flapping_video

FLAP_HZ, FLAP_START_S, FLAP_END_S, FPS = 4.0, 5.0, 11.0, 30


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    path = make_flapping_video(
        tmp_path_factory.mktemp("native") / "flapping.mp4",
        fps=FPS,
        flap_hz=FLAP_HZ,
        flap_start_s=FLAP_START_S,
        flap_end_s=FLAP_END_S,
    )
    return analyse_video(path, workers=1)


def test_flapping_is_measured_at_the_native_rate(analysed):
    flaps = [e for e in analysed.report.events if e.kind == "hand_flapping"]
    assert len(flaps) == 1
    (event,) = flaps
    # 0.2 Hz: the 6 s bout's natural resolution is 0.17 Hz; its zero-padded peak lies within half
    # of that for a clean sine, and the pose model's tracking errors are not periodic (measured
    # 3.98 Hz). The edges within 0.5 s: one hop of the 4 s windows, refined on the envelope.
    assert event.frequency_hz == pytest.approx(FLAP_HZ, abs=0.2)
    assert event.attributes["native_fps"] == pytest.approx(FPS, abs=0.5)
    assert event.start_s == pytest.approx(FLAP_START_S, abs=0.5)
    assert event.end_s == pytest.approx(FLAP_END_S, abs=0.5)


def test_only_the_candidate_window_is_decoded_again(analysed):
    native_s = analysed.report.metrics["stereotypy"]["stereotypy.hand_flapping.native_rate_s"].value
    # The 6 s bout, plus at most a 4 s window's reach and 1 s of padding on the side that is still
    # for the sampled rows (the first 4 s windows have the hand seen too rarely to count).
    assert 6.0 <= native_s <= 6.0 + 2 * 3.5
    assert analysed.stage_s["native: pose"] > 0


def test_the_sampled_rate_alone_gives_no_wrong_frequency(analysed):
    sampled = [e for e in compute_all(analysed.tracks.patient()).events if e.kind == "hand_flapping"]
    assert all(e.frequency_hz is None or abs(e.frequency_hz - FLAP_HZ) <= 0.2 for e in sampled)
