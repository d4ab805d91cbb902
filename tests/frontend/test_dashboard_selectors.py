"""The dashboard's reads: one point per session with its spread, baselines, figures."""

import dataclasses
from datetime import date

import pytest

from frontend.dashboards.figures import date_range, metric_figure, protocol_colours, protocol_symbols
from frontend.dashboards.labels import metric_unit
from results.dashboard_selectors import metric_session_points, metric_summaries
from results.models import MetricSample
from tests.factories import make_analysed_session, make_protocol

pytestmark = pytest.mark.django_db
METRIC = "apathy.neutral_share"


@pytest.fixture
def three_sessions(world):
    """Sessions on 1 Sep, 1 Oct (re-analysed) and 1 Nov; the last one with pipeline 2.0.0."""
    praxis = make_protocol("praxis-test", kind="praxis_test")
    make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 9, 1),
        windows={METRIC: [0.1, 0.2, 0.3, 0.4, 0.5], "praxis.score_mean": [70.0]},
        session_values={METRIC: 0.31},
    )  # fmt: skip
    october = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 10, 1), windows={METRIC: [0.9, 0.9]}, protocol=praxis
    )
    # The re-analysis of October replaces its first analysis on the dashboard.
    make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 10, 1), windows={METRIC: [0.6, 0.7, None, 0.8]},
        session=october.recording.session, protocol=praxis,
    )  # fmt: skip
    make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 1), windows={},
        session_values={METRIC: 0.2}, pipeline_version="2.0.0",
    )  # fmt: skip
    make_analysed_session(
        world.other_patient, by=world.outsider, on=date(2026, 10, 2), windows={METRIC: [0.99]}
    )
    return world


def test_one_point_per_session_with_the_median_and_iqr_of_its_windows(three_sessions):
    points = metric_session_points(patient=three_sessions.patient, metrics=[METRIC])
    assert [p.session_date for p in points] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    september, october, november = points
    # numpy's default (linear) percentiles of 0.1..0.5: 0.2, 0.3, 0.4.
    assert (september.q1, september.value, september.q3) == pytest.approx((0.2, 0.3, 0.4))
    assert september.n_windows == 5 and september.session_value == pytest.approx(0.31)
    # October: its latest analysis only; the missing window (None) is left out: 0.6, 0.7, 0.8.
    assert (october.q1, october.value, october.q3) == pytest.approx((0.65, 0.7, 0.75))
    assert october.n_windows == 3 and october.protocol_code == "praxis-test"
    # November has only a whole-session value: the point is that value, with no spread.
    assert (november.value, november.q1, november.q3, november.n_windows) == (0.2, None, None, 0)
    assert november.pipeline_version == "2.0.0"


def test_a_point_carries_the_time_its_value_rests_on_and_shows_it(three_sessions):
    # A rate or share is only as good as its analysable time: "0 per minute over 3 s" must not
    # pass for "0 per minute", so the point and its hover text carry it.
    MetricSample.objects.filter(
        patient=three_sessions.patient, metric=METRIC, is_session_level=True, session_date=date(2026, 9, 1)
    ).update(analysable_s=42.0)
    points = metric_session_points(patient=three_sessions.patient, metrics=[METRIC])
    assert [p.analysable_s for p in points] == [42.0, None, None]
    figure = metric_figure(
        points[:1], title="t", unit=metric_unit(METRIC), symbols=protocol_symbols(points),
        colours=protocol_colours(points), x_range=date_range(points),
    )  # fmt: skip
    assert "measured over 42 s of analysable time" in figure["data"][0]["hovertemplate"][0]


def test_points_are_filtered_by_metric_and_dates(three_sessions):
    patient = three_sessions.patient
    assert {p.metric for p in metric_session_points(patient=patient)} == {METRIC, "praxis.score_mean"}
    only_october = metric_session_points(
        patient=patient, metrics=[METRIC], date_from=date(2026, 9, 15), date_to=date(2026, 10, 31)
    )
    assert [p.session_date for p in only_october] == [date(2026, 10, 1)]


def test_the_baseline_never_crosses_a_pipeline_version(three_sessions):
    points = metric_session_points(patient=three_sessions.patient, metrics=[METRIC])
    (summary,) = metric_summaries(points=points)
    assert summary.latest.session_date == date(2026, 11, 1)
    assert summary.baseline is None and summary.change is None  # no earlier 2.0.0 session
    september, october = points[:2]
    same_protocol = dataclasses.replace(october, protocol_code=september.protocol_code)
    (before,) = metric_summaries(points=[september, same_protocol])
    # Baseline of October = the median of the sessions before it (September): 0.3.
    assert before.baseline == pytest.approx(0.3)
    assert before.change == pytest.approx(0.4)
    assert before.change_pct == pytest.approx(100 * 0.4 / 0.3)


def test_the_baseline_never_crosses_a_protocol(three_sessions):
    september, october = metric_session_points(patient=three_sessions.patient, metrics=[METRIC])[:2]
    assert (september.protocol_code, october.protocol_code) != (october.protocol_code,) * 2
    (summary,) = metric_summaries(points=[september, october])
    assert summary.baseline is None and summary.change is None  # October's praxis test has no earlier one


def test_the_figure_joins_only_sessions_of_one_protocol_and_pipeline_version(three_sessions):
    points = metric_session_points(patient=three_sessions.patient, metrics=[METRIC])
    figure = metric_figure(
        points,
        title="t",
        unit=metric_unit(METRIC),
        symbols=protocol_symbols(points),
        colours=protocol_colours(points),
        x_range=date_range(points),
    )
    series = [(trace["name"], trace["x"]) for trace in figure["data"]]
    # September (apathy, 1.0.0) and November (apathy, 2.0.0) are not joined; October is praxis.
    assert sorted(series) == [
        ("apathy interview", ["2026-09-01"]),
        ("apathy interview", ["2026-11-01"]),
        ("praxis test", ["2026-10-01"]),
    ]
    assert [trace["showlegend"] for trace in figure["data"]].count(True) == 2  # one legend entry per protocol
    september = next(trace for trace in figure["data"] if trace["x"] == ["2026-09-01"])
    assert september["y"] == [pytest.approx(30.0)]  # a share is drawn in % (median 0.3)
    assert september["error_y"]["array"] == [pytest.approx(10.0)]  # 75th percentile 0.4
    assert figure["layout"]["yaxis"]["range"] == [0.0, 100.0]
    assert [shape["x0"] for shape in figure["layout"]["shapes"]] == ["2026-11-01"]
    assert "pipeline 1.0.0 → 2.0.0" in figure["layout"]["annotations"][0]["text"]
