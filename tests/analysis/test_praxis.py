"""Praxis metrics from synthetic sessions with known gestures, timing and references."""

import math

import numpy as np
import pytest

from analysis.gestures.normalise import gesture_keypoints
from analysis.gestures.synthetic import Body, GestureStyle, random_style, synth_gesture, synth_session
from analysis.metrics.praxis import METRIC_DEFINITIONS, compute_praxis
from analysis.metrics.segments import ProtocolSegment
from analysis.results import MetricsReport
from analysis.tracks import Tracks

# Gestures whose arm trajectories differ (DTW distance >= 0.25 sw between templates, > 3 x the
# expert p95): the matching must not depend on luck. Hand shape tells grasp from beckon, not DTW.
PROTOCOL = ["wave", "point", "clap", "salute", "circle"]
TOLERANCE_S = 0.3  # segmentation edges, see test_gestures_segmentation


@pytest.fixture(scope="module")
def references() -> dict[str, np.ndarray]:
    """An expert's performance of every protocol gesture, right-handed, at a steady speed."""
    return {
        name: gesture_keypoints(
            synth_gesture(name, style=GestureStyle(hand="right"), body=Body(), seed=100 + i)
        )
        for i, name in enumerate([*PROTOCOL, "tap"])
    }


@pytest.fixture(scope="module")
def session():
    """The patient performs the protocol in order, after known delays, with their own style."""
    rng = np.random.default_rng(11)
    plan, start, delays = [], 0.0, [2.0, 1.2, 3.0, 1.6, 2.4]
    for name, delay in zip(PROTOCOL, delays, strict=True):
        start += delay
        style = random_style(rng)
        plan.append((name, start, style))
        start += style.duration_s
    body = Body((300.0, 210.0), 110.0, tilt_deg=3.0)
    tracks, truth = synth_session(
        plan, duration_s=start + 1.5, body=body, noise_px=1.5, fidget_sw=0.04, seed=3
    )
    return tracks, truth, delays


@pytest.fixture(scope="module")
def cues(session) -> list[ProtocolSegment]:
    """The examiner asks for each item when the previous one is done (delay before its onset)."""
    _, truth, delays = session
    ends = [e.start_s - d for e, d in zip(truth, delays, strict=True)]
    stops = [*ends[1:], truth[-1].end_s + 1.0]
    return [ProtocolSegment("cue", a, b, e.gesture) for a, b, e in zip(ends, stops, truth, strict=True)]


@pytest.fixture(scope="module")
def scored(session, references, cues):
    """The protocol plus "tap", which the patient never does."""
    return compute_praxis(
        session[0], references=references, expected_gestures=[*PROTOCOL, "tap"], segments=cues
    )


def test_each_gesture_is_found_matched_and_timed(session, scored):
    _, truth, delays = session
    report = scored
    assert len(report.events) == len(truth)
    for event, expected, delay in zip(report.events, truth, delays, strict=True):
        assert event.kind == "gesture"
        assert event.body_part == expected.body_part
        assert event.attributes["gesture"] == expected.gesture
        assert event.start_s == pytest.approx(expected.start_s, abs=TOLERANCE_S)
        assert event.end_s == pytest.approx(expected.end_s, abs=TOLERANCE_S)
        assert event.attributes["hesitation_s"] == pytest.approx(delay, abs=TOLERANCE_S)
        assert event.attributes["duration_s"] == pytest.approx(
            expected.end_s - expected.start_s, abs=2 * TOLERANCE_S
        )
        # Another person, speed, size and hand than the expert, yet within about the expert spread.
        assert event.attributes["score"] >= 60
        assert event.attributes["verdict"] in ("correct", "partial")
        assert event.confidence == 1.0  # every arm keypoint was seen


def test_the_session_metrics_summarise_the_gestures(session, scored):
    _, truth, delays = session
    metrics = scored.metrics["praxis"]
    assert metrics["praxis.gesture_count"].value == 5
    durations = [e.end_s - e.start_s for e in truth]
    assert metrics["praxis.duration_mean_s"].value == pytest.approx(np.mean(durations), abs=TOLERANCE_S)
    assert metrics["praxis.hesitation_mean_s"].value == pytest.approx(np.mean(delays), abs=TOLERANCE_S)
    assert metrics["praxis.hesitation_mean_s"].unit == "s"
    for name in PROTOCOL:
        assert metrics[f"praxis.score.{name}"].value >= 60
        assert metrics[f"praxis.attempts.{name}"].value == 1
    # tap was expected but never done, the arms in view: omitted, its score NaN (not 0).
    assert math.isnan(metrics["praxis.score.tap"].value)
    assert metrics["praxis.score.tap"].reason == "omitted"
    assert metrics["praxis.attempts.tap"].value == 0
    assert metrics["praxis.omitted_count"].value == 1
    assert 60 <= metrics["praxis.score_mean"].value <= 100


def test_every_metric_key_is_defined(scored):
    report = scored
    for key, value in report.metrics["praxis"].items():
        name = key.split(".")
        template = key if key in METRIC_DEFINITIONS else ".".join([*name[:2], "<gesture>"])
        definition = METRIC_DEFINITIONS[template]
        assert definition.family == "praxis" and definition.description
        assert value.unit == definition.unit
    assert {s.metric for s in report.samples} == {"praxis.score_mean"}
    assert len(report.samples) == 5


def test_without_references_gestures_are_timed_but_not_scored(session, cues):
    tracks, _, delays = session
    report = compute_praxis(tracks, segments=cues)
    assert set(report.metrics["praxis"]) == {
        "praxis.gesture_count",
        "praxis.duration_mean_s",
        "praxis.hesitation_mean_s",
    }
    assert [e.attributes["gesture"] for e in report.events] == [None] * 5
    assert [e.attributes["score"] for e in report.events] == [None] * 5
    assert report.samples == []
    assert report.to_json()["events"][0]["attributes"]["hesitation_s"] == pytest.approx(
        delays[0], abs=TOLERANCE_S
    )


def test_a_recording_at_rest_has_no_gesture_and_no_made_up_means():
    tracks, _ = synth_session([], duration_s=10.0, noise_px=2.0, fidget_sw=0.05)
    for source in (tracks, Tracks.empty(0)):
        report = compute_praxis(source)
        metrics = report.metrics["praxis"]
        assert isinstance(report, MetricsReport)
        assert metrics["praxis.gesture_count"].value == 0
        assert math.isnan(metrics["praxis.duration_mean_s"].value)
        assert math.isnan(metrics["praxis.hesitation_mean_s"].value)
        assert report.events == []


def test_it_names_what_is_missing(session, references):
    tracks, _, _ = session
    with pytest.raises(ValueError, match="no reference performance for expected gesture"):
        compute_praxis(tracks, references=references, expected_gestures=["juggle"])
    with pytest.raises(ValueError, match="without references"):
        compute_praxis(tracks, expected_gestures=["wave"])
