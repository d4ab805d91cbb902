"""Periodic-movement episodes from synthetic keypoint trajectories with known bouts."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import MetricsConfig
from analysis.metrics.stereotypy import stereotypy_episodes, stereotypy_report
from tests.analysis.metrics_synthetic import SHOULDER_WIDTH_PX, burst, put_body, session


def temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


@pytest.mark.parametrize(
    ("freq_hz", "start_s", "end_s"), [(0.6, 2.0, 12.0), (1.0, 3.0, 11.0), (1.8, 5.0, 12.0)]
)
def test_it_finds_one_rocking_episode_with_its_frequency_and_bounds(freq_hz, start_s, end_s):
    tracks, t = session(16.0)
    put_body(tracks)
    # Sideways sway of 0.15 shoulder widths of the whole upper body (hips hidden, as seated).
    tracks.pose_xy[:, :, 0] += burst(t, freq_hz, start_s, end_s, 0.15 * SHOULDER_WIDTH_PX)[:, None]
    events = stereotypy_episodes(tracks)
    assert [(e.kind, e.body_part) for e in events] == [("body_rocking", "torso")]
    episode = events[0]
    # 0.2 Hz: the resolution the clinical summary needs; bounds within half a second.
    assert episode.frequency_hz == pytest.approx(freq_hz, abs=0.2)
    assert episode.start_s == pytest.approx(start_s, abs=0.5)
    assert episode.end_s == pytest.approx(end_s, abs=0.5)
    assert temporal_iou((episode.start_s, episode.end_s), (start_s, end_s)) >= 0.8
    assert episode.attributes["amplitude"] == pytest.approx(0.15, rel=0.25)
    assert 0.4 <= episode.confidence <= 1.0


def test_it_measures_frequency_on_frames_picked_unevenly_from_the_source_video():
    # 10 fps analysis of a 25 fps video: frames arrive 0.12 s and 0.08 s apart in turn.
    tracks, _ = session(14.0)
    tracks.time_s[:] = np.ceil(np.arange(len(tracks)) * 0.1 * 25 - 1e-9) / 25
    put_body(tracks)
    t = tracks.time_s
    tracks.pose_xy[:, :, 0] += burst(t, 1.0, 3.0, 11.0, 0.15 * SHOULDER_WIDTH_PX)[:, None]
    (episode,) = stereotypy_episodes(tracks)
    # Tighter than the clinical 0.2 Hz: a median frame period would give 0.83 Hz here.
    assert episode.frequency_hz == pytest.approx(1.0, abs=0.05)


def test_it_finds_rocking_relative_to_visible_hips_and_not_a_whole_body_translation_then():
    tracks, t = session(14.0)
    put_body(tracks, hips_visible=True)
    sway = burst(t, 1.0, 3.0, 11.0, 0.2 * SHOULDER_WIDTH_PX)
    upper = [0, *range(11, 23)]
    tracks.pose_xy[:, upper, 0] += sway[:, None]
    events = stereotypy_episodes(tracks)
    assert [e.kind for e in events] == ["body_rocking"]
    assert events[0].attributes["signal"] == "shoulder midpoint relative to hips"

    tracks, t = session(14.0)
    put_body(tracks, hips_visible=True)
    tracks.pose_xy[:, :, 0] += burst(t, 1.0, 3.0, 11.0, 0.2 * SHOULDER_WIDTH_PX)[:, None]
    assert stereotypy_episodes(tracks) == []


def test_a_still_person_with_keypoint_jitter_has_no_episode():
    tracks, _ = session(30.0)
    # 2 px jitter on a 120 px shoulder width: more than MediaPipe shows on a still image.
    put_body(tracks, noise_px=2.0, seed=3)
    assert stereotypy_episodes(tracks) == []


def test_whole_body_translation_is_rocking_but_not_flapping_or_head_movement():
    tracks, t = session(14.0)
    put_body(tracks)
    tracks.pose_xy[:, :, 0] += burst(t, 1.0, 3.0, 11.0, 25.0)[:, None]
    tracks.pose_xy[:, :, 1] += burst(t, 1.0, 3.0, 11.0, 10.0)[:, None]
    assert [e.kind for e in stereotypy_episodes(tracks)] == ["body_rocking"]


def test_it_finds_hand_flapping_relative_to_the_shoulder():
    tracks, t = session(12.0, fps=25.0)
    put_body(tracks)
    flap = burst(t, 4.0, 2.0, 9.0, 0.15 * SHOULDER_WIDTH_PX)
    tracks.pose_xy[:, 16, 1] += flap  # the right wrist flaps up and down at 4 Hz
    events = stereotypy_episodes(tracks)
    assert [(e.kind, e.body_part) for e in events] == [("hand_flapping", "right_hand")]
    assert events[0].frequency_hz == pytest.approx(4.0, abs=0.2)
    assert temporal_iou((events[0].start_s, events[0].end_s), (2.0, 9.0)) >= 0.8


def test_at_ten_frames_per_second_a_four_hertz_flap_is_found_but_its_frequency_is_not_guessed():
    # At 10 fps a 4 Hz and a 6 Hz flap give the same samples: both are named, neither is chosen.
    tracks, t = session(12.0)
    put_body(tracks)
    tracks.pose_xy[:, 16, 1] += burst(t, 4.0, 2.0, 9.0, 0.15 * SHOULDER_WIDTH_PX)
    (event,) = stereotypy_episodes(tracks)
    assert (event.kind, event.frequency_hz) == ("hand_flapping", None)
    assert event.attributes["frequency_candidates_hz"] == pytest.approx([4.0, 6.0], abs=0.1)


def test_it_finds_head_nodding():
    tracks, t = session(14.0)
    put_body(tracks)
    tracks.pose_xy[:, 0, 1] += burst(t, 1.5, 4.0, 12.0, 0.12 * SHOULDER_WIDTH_PX)
    events = stereotypy_episodes(tracks)
    assert [(e.kind, e.body_part) for e in events] == [("head_movement", "head")]
    assert events[0].frequency_hz == pytest.approx(1.5, abs=0.2)
    assert temporal_iou((events[0].start_s, events[0].end_s), (4.0, 12.0)) >= 0.8


def test_a_bout_shorter_than_two_seconds_is_not_an_episode():
    tracks, t = session(12.0)
    put_body(tracks)
    tracks.pose_xy[:, :, 0] += burst(t, 1.5, 5.0, 6.5, 25.0)[:, None]
    assert stereotypy_episodes(tracks) == []


def test_two_bouts_less_than_a_second_apart_are_one_episode():
    tracks, t = session(16.0)
    put_body(tracks)
    sway = burst(t, 1.0, 2.0, 7.0, 25.0) + burst(t, 1.0, 7.5, 13.0, 25.0)
    tracks.pose_xy[:, :, 0] += sway[:, None]
    events = stereotypy_episodes(tracks)
    assert len(events) == 1
    assert temporal_iou((events[0].start_s, events[0].end_s), (2.0, 13.0)) >= 0.8


def test_short_dropouts_are_bridged_and_the_episode_survives():
    tracks, t = session(14.0)
    put_body(tracks)
    tracks.pose_xy[:, :, 0] += burst(t, 1.0, 3.0, 11.0, 25.0)[:, None]
    tracks.pose_xy[50:52] = np.nan  # two frames (0.2 s) lost mid-bout
    events = stereotypy_episodes(tracks)
    assert [e.kind for e in events] == ["body_rocking"]


def test_report_rates_and_shares_follow_the_episodes():
    tracks, t = session(60.0)
    put_body(tracks)
    tracks.pose_xy[:, :, 0] += (burst(t, 1.0, 10.0, 20.0, 25.0) + burst(t, 1.0, 40.0, 50.0, 25.0))[:, None]
    report = stereotypy_report(tracks, window_s=10.0, config=MetricsConfig())
    values = {k: m.value for k, m in report.metrics["stereotypy"].items()}
    assert values["stereotypy.body_rocking.episodes_per_min"] == pytest.approx(2.0)
    assert values["stereotypy.body_rocking.total_s"] == pytest.approx(20.0, abs=1.0)
    assert values["stereotypy.share"] == pytest.approx(20.0 / 60.0, abs=0.02)
    assert values["stereotypy.body_rocking.median_frequency_hz"] == pytest.approx(1.0, abs=0.1)
    assert values["stereotypy.head_movement.episodes_per_min"] == 0.0
    assert np.isnan(values["stereotypy.head_movement.median_frequency_hz"])
    shares = [s.value for s in report.samples if s.metric == "stereotypy.share"]
    assert len(shares) == 6
    assert shares[1] == pytest.approx(1.0, abs=0.06) and shares[0] == pytest.approx(0.0, abs=0.06)


def test_without_a_body_the_rates_are_nan_not_zero():
    tracks, _ = session(20.0)
    report = stereotypy_report(tracks, window_s=10.0, config=MetricsConfig())
    values = report.metrics["stereotypy"]
    assert values["stereotypy.pose_coverage"].value == 0.0
    assert np.isnan(values["stereotypy.episodes_per_min"].value)
    assert np.isnan(values["stereotypy.body_rocking.share"].value)
    assert report.events == []
