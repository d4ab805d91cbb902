"""compute_all: the entry point the pipeline calls, on full synthetic sessions."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from analysis.metrics import METRIC_DEFINITIONS, ProtocolSegment, compute_all
from analysis.results import METRIC_FAMILIES
from tests.analysis.metrics_synthetic import (
    SHOULDER_WIDTH_PX,
    burst,
    canonical_face,
    mouth_opening,
    put_body,
    put_face,
    session,
)

FAMILIES = ("apathy", "stereotypy", "attention")


@pytest.fixture(scope="module")
def full_session():
    """14 s: a body rocking at 1 Hz from 3 to 11 s, a talking face looking at the camera."""
    tracks, t = session(14.0)
    put_body(tracks)
    tracks.pose_xy[:, :, 0] += burst(t, 1.0, 3.0, 11.0, 0.2 * SHOULDER_WIDTH_PX)[:, None]
    put_face(tracks, mouth_opening(canonical_face(), t, amplitude_px=9.0, freq_hz=3.0))
    probs = np.full((t.size, 7), 0.02)
    probs[:, 6] = 0.88
    tracks.emotion_probs[:] = probs
    tracks.head_pose_deg[:] = 0.0
    tracks.gaze_deg[:] = 0.0
    return tracks, compute_all(tracks, segments=[ProtocolSegment("calibration", 0.0, 2.0)])


def test_every_family_and_every_defined_key_is_reported(full_session):
    _, report = full_session
    assert set(FAMILIES) <= set(METRIC_FAMILIES)
    assert set(report.metrics) == set(FAMILIES)
    produced = {key for family in report.metrics.values() for key in family}
    assert produced == set(METRIC_DEFINITIONS)
    for family, values in report.metrics.items():
        for key, metric in values.items():
            definition = METRIC_DEFINITIONS[key]
            assert key.startswith(f"{family}.") and definition.family == family
            assert metric.unit == definition.unit and definition.description
            if np.isnan(metric.value):
                assert metric.reason, f"{key} is NaN without a reason"
            else:
                assert definition.minimum <= metric.value <= definition.maximum, key
            if metric.unit in ("share", "per_min") and not key.endswith("_coverage"):
                assert metric.analysable_s is not None, f"{key} has no analysable time"


def test_the_rocking_session_gives_one_rocking_event_and_plausible_values(full_session):
    _, report = full_session
    stereotypies = [e for e in report.events if e.kind != "gaze_shift"]
    assert [e.kind for e in stereotypies] == ["body_rocking"]
    values = {k: m.value for family in report.metrics.values() for k, m in family.items()}
    assert values["apathy.neutral_share"] == 1.0
    assert values["attention.gaze_on_target_share"] == 1.0
    assert values["attention.speaking_share"] > 0.9
    assert values["stereotypy.body_rocking.median_frequency_hz"] == pytest.approx(1.0, abs=0.1)
    assert values["stereotypy.agitation_index"] > 0.0


def test_window_samples_cover_the_session_for_each_metric(full_session):
    _, report = full_session
    by_metric: dict[str, list[tuple[float, float]]] = {}
    for sample in report.samples:
        by_metric.setdefault(sample.metric, []).append((sample.window_start_s, sample.window_end_s))
        assert sample.metric in METRIC_DEFINITIONS and sample.unit == METRIC_DEFINITIONS[sample.metric].unit
    assert {m.split(".")[0] for m in by_metric} == set(FAMILIES)
    for bounds in by_metric.values():
        assert bounds == [(0.0, 10.0), (10.0, pytest.approx(14.0))]


def test_all_nan_tracks_give_nan_values_without_warnings():
    tracks, _ = session(30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = compute_all(tracks)
    assert set(report.metrics) == set(FAMILIES)
    for family in report.metrics.values():
        for key, metric in family.items():
            if key.endswith("_coverage"):
                assert metric.value == 0.0, key
            else:
                assert np.isnan(metric.value) and metric.reason, key
    assert report.events == []
    assert len(report.samples) > 0 and all(np.isnan(s.value) for s in report.samples)
    json.dumps(report.to_json(), allow_nan=False)


def test_an_empty_session_reports_every_family():
    tracks, _ = session(0.0)
    report = compute_all(tracks)
    assert set(report.metrics) == set(FAMILIES)
    assert report.samples == [] and report.events == []


def test_rows_out_of_time_order_are_refused_with_a_clear_message():
    tracks, _ = session(2.0)
    tracks.time_s[:] = tracks.time_s[::-1]
    with pytest.raises(ValueError, match="time order"):
        compute_all(tracks)


def test_a_body_whose_arms_are_hidden_gives_reasons_for_every_unknown():
    # A short session (6 s) with the arms out of view, as the CLI's generated video shows them.
    tracks, _ = session(6.0)
    put_body(tracks)
    tracks.pose_visibility[:, 13:23] = 0.1
    report = compute_all(tracks)
    for family in report.metrics.values():
        for key, metric in family.items():
            assert not np.isnan(metric.value) or metric.reason, key
    fidget = report.metrics["stereotypy"]["stereotypy.fidget_index"]
    assert np.isnan(fidget.value) and "wrist" in fidget.reason
