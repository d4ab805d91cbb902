"""What a clinician reads on the dashboard: plain names and units, empty states that say why,
gaze on target only once calibrated, one time axis for every chart."""

import json
from datetime import date

import pytest
from django.urls import reverse

from analysis.metrics import METRIC_DEFINITIONS
from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS
from care.withdrawal import consent_withdraw
from frontend.dashboards.components import metric_options, summary_card
from frontend.dashboards.labels import KNOWN_UNITS, metric_help, metric_label, metric_unit
from recordings.services import session_gaze_calibration_set
from results.dashboard_selectors import MetricSummary, SessionPoint
from results.models import MetricSample
from tests.factories import make_analysed_session
from tests.frontend.builders import callback_body

pytestmark = pytest.mark.django_db
GAZE = "attention.gaze_on_target_share"
NEUTRAL = "apathy.neutral_share"


def test_every_metric_has_a_plain_name_help_and_a_known_unit():
    for key, definition in {**METRIC_DEFINITIONS, **INTERACTION_DEFINITIONS}.items():
        unit = definition.unit
        name = metric_label(key)
        assert "_" not in name and "." not in name and key not in name, key
        assert metric_help(key) == definition.description, key
        assert metric_unit(key).words and "_" not in metric_unit(key).words, (key, unit)
        assert unit in KNOWN_UNITS, (key, unit)
    assert metric_unit(NEUTRAL).factor == 100.0 and (metric_unit(NEUTRAL).low, metric_unit(NEUTRAL).high) == (
        0,
        100,
    )


def test_a_count_reads_as_a_bare_number_on_its_card():
    def point(day: int, value: float) -> SessionPoint:
        return SessionPoint(
            day, date(2026, 11, day), "semi_guided", "semi guided tasks", "tasks.omitted_count", "count", "1",
            value, None, None, 1, value,
        )  # fmt: skip

    summary = MetricSummary("tasks.omitted_count", "count", point(9, 3.0), 1.0, 1, 2.0, 200.0, 2)
    title, value, _, change = summary_card(summary).children
    assert (title.children, value.children) == ("Semi-guided tasks: tasks omitted", "3")
    assert change.children == "2 (200 %) higher than the first session (1)."


def test_the_picker_groups_metrics_by_family_with_searchable_words():
    options = metric_options([NEUTRAL, "stereotypy.body_rocking.episodes_per_min", GAZE])
    headings = [option["label"] for option in options if option.get("disabled")]
    assert headings == [
        "— Apathy (facial motion and emotion) —",
        "— Stereotypy and agitation —",
        "— Attention and gaze —",
    ]
    rocking = next(
        option for option in options if option["value"] == "stereotypy.body_rocking.episodes_per_min"
    )
    assert rocking["label"] == "Body rocking: episodes per minute" and "Stereotypy" in rocking["search"]


def _callback(client, patient, metrics):
    response = client.post(
        f"/dashboards/patient/{patient.code}/_dash-update-component",
        data=json.dumps(callback_body(patient.code, metrics=metrics)),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)["response"]


def test_gaze_on_target_needs_calibration_and_praxis_says_why_it_is_empty(world, private_media, login):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 9, 1),
        windows={NEUTRAL: [0.5]},
        session_values={GAZE: 0.0},
    )
    later = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 1),
        windows={NEUTRAL: [0.7]},
        session_values={GAZE: 0.4},
    )
    client = login(world.clinician)
    response = _callback(client, world.patient, [NEUTRAL, GAZE, "praxis.score_mean"])
    cards = json.dumps(response["summary-cards"]["children"])
    assert "Needs calibration" in cards and "praxis-test protocols" in cards
    graphs = response["metric-graphs"]["children"]
    assert len(graphs) == 1  # only neutral expression: nothing drawn for the uncalibrated gaze
    session_gaze_calibration_set(session=later.recording.session, start_s=1.0, end_s=4.0, by=world.clinician)
    response = _callback(client, world.patient, [NEUTRAL, GAZE])
    graphs = response["metric-graphs"]["children"]
    gaze = graphs[1]["props"]["children"][0]["props"]["figure"]
    assert [trace["x"] for trace in gaze["data"]] == [["2026-11-01"]]  # the calibrated session only
    assert gaze["data"][0]["y"] == [pytest.approx(40.0)]
    neutral = graphs[0]["props"]["children"][0]["props"]["figure"]
    assert neutral["layout"]["xaxis"]["range"] == gaze["layout"]["xaxis"]["range"]  # one time axis
    html = client.get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "Needs calibration." in html


def test_after_withdrawing_store_video_the_pages_agree_on_what_remains(
    world, private_media, small_video, login
):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 9, 1),
        windows={NEUTRAL: [0.5]},
        events=[("body_rocking", 0.2, 1.0)],
        video=small_video,
    )
    consent_withdraw(patient=world.patient, scope="store_video", by=world.clinician)
    client = login(world.clinician)
    session_html = client.get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "The video was deleted" in session_html and "body rocking" in session_html
    assert "no finished analysis" not in session_html
    patient_html = client.get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    assert "finished" in patient_html
    assert len(_callback(client, world.patient, [NEUTRAL])["metric-graphs"]["children"]) == 1
    consent_withdraw(patient=world.patient, scope="analyse", by=world.clinician)
    session_html = client.get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "results of this analysis were deleted" in session_html
    patient_html = client.get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    assert "results deleted (consent withdrawn)" in patient_html
    assert _callback(client, world.patient, [NEUTRAL])["metric-graphs"]["children"] == []


def test_an_unmeasured_card_reads_the_reason_the_analysis_stored(world, private_media, login):
    share = "interaction.patient_speaking_share"
    jobs = [
        make_analysed_session(
            world.patient, by=world.clinician, on=on, windows={NEUTRAL: [0.5]}, session_values={share: None}
        )
        for on in (date(2026, 9, 1), date(2026, 11, 1))
    ]
    MetricSample.objects.filter(metric=share).update(reason="the recording has no audio track")
    client = login(world.clinician)
    card = json.dumps(_callback(client, world.patient, [share])["summary-cards"]["children"])
    assert "Could not be measured in these 2 sessions: the recording has no audio track." in card
    assert "face or body" not in card
    MetricSample.objects.filter(job=jobs[0], metric=share).update(reason="the audio track is silent")
    card = json.dumps(_callback(client, world.patient, [share])["summary-cards"]["children"])
    assert (
        "Could not be measured. Latest session (01 Nov 2026): the recording has no audio track. "
        "Earlier sessions: The audio track is silent." in card
    )
    MetricSample.objects.filter(metric=share).update(reason="")
    card = json.dumps(_callback(client, world.patient, [share])["summary-cards"]["children"])
    assert "Could not be measured in these sessions (e.g. the face or body was not visible)." in card
