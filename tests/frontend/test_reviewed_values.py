"""Reviews count: the one selector of reviewed values (results.reviewed) behind the session page,
the timeline and the dashboard. Known answers on a 60 s session whose whole minute is
measurable (pose coverage 1.0), so a rate is a count and a share is seconds / 60."""

import json
import re
from datetime import date

import pytest

from recordings.models import EthogramLabel
from results.dashboard_selectors import metric_session_points
from results.models import BehaviourEvent, CodedEvent
from results.reviewed import reviewed_events, reviewed_metric_values
from results.reviews import coded_event_create, event_review_create
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def rocking(world, private_media):
    """Three rocking episodes (0-10, 20-25, 40-50 s) the model measured as 3 per minute,
    25 s, share 25/60."""
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 2),
        windows={"stereotypy.share": [1.0, 0.0, 0.5, 0.0, 1.0, 0.0]},
        session_values={
            "stereotypy.pose_coverage": 1.0,
            "stereotypy.body_rocking.episodes_per_min": 3.0,
            "stereotypy.body_rocking.total_s": 25.0,
            "stereotypy.body_rocking.share": 25 / 60,
        },
        events=[("body_rocking", 0.0, 10.0), ("body_rocking", 20.0, 25.0), ("body_rocking", 40.0, 50.0)],
    )
    events = list(BehaviourEvent.objects.filter(job=job).order_by("start_s"))
    return world, job, events


def _values(job):
    return reviewed_metric_values(jobs=[job])


def test_unreviewed_sessions_keep_their_stored_values(rocking):
    _, job, _ = rocking
    assert _values(job) == {}


def test_a_rejection_and_a_correction_change_the_counts(rocking):
    world, job, (first, second, _third) = rocking
    event_review_create(event=second, reviewer=world.clinician, decision="reject")
    event_review_create(
        event=first, reviewer=world.clinician, decision="correct", corrected_start_s=0.0, corrected_end_s=4.0
    )
    values = _values(job)
    assert values[(job.pk, "stereotypy.body_rocking.episodes_per_min")] == pytest.approx(2.0)
    assert values[(job.pk, "stereotypy.body_rocking.total_s")] == pytest.approx(14.0)
    assert values[(job.pk, "stereotypy.body_rocking.share")] == pytest.approx(14 / 60)
    shown = [(e.label, e.start_s, e.end_s, e.counted) for e in reviewed_events(job=job)]
    assert shown == [
        ("body_rocking", 0.0, 4.0, True),
        ("body_rocking", 20.0, 25.0, False),
        ("body_rocking", 40.0, 50.0, True),
    ]


def test_a_relabelled_event_leaves_its_old_kind_and_an_added_one_counts(rocking):
    world, job, (first, _, _) = rocking
    event_review_create(
        event=first, reviewer=world.clinician, decision="correct", corrected_kind="hand_flapping"
    )
    coded_event_create(
        session=job.recording.session,
        job=job,
        label="body_rocking",
        start_s=30.0,
        end_s=36.0,
        by=world.clinician,
    )
    values = _values(job)
    assert values[(job.pk, "stereotypy.body_rocking.episodes_per_min")] == pytest.approx(
        3.0
    )  # 2 left + 1 added
    assert values[(job.pk, "stereotypy.body_rocking.total_s")] == pytest.approx(5 + 10 + 6)
    assert values[(job.pk, "stereotypy.hand_flapping.episodes_per_min")] == pytest.approx(1.0)


def test_the_dashboard_shows_the_reviewed_value_with_the_model_value_beside(rocking):
    world, _, (_, second, _) = rocking
    event_review_create(event=second, reviewer=world.clinician, decision="reject")
    points = {
        p.metric: p
        for p in metric_session_points(
            patient=world.patient, metrics=["stereotypy.body_rocking.episodes_per_min"]
        )
    }
    point = points["stereotypy.body_rocking.episodes_per_min"]
    assert (point.value, point.model_value) == (pytest.approx(2.0), pytest.approx(3.0))


def test_the_session_page_and_timeline_show_reviewed_events(rocking, login):
    world, job, (first, second, _) = rocking
    event_review_create(event=second, reviewer=world.clinician, decision="reject")
    event_review_create(
        event=first, reviewer=world.clinician, decision="correct", corrected_start_s=1.0, corrected_end_s=4.0
    )
    html = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").content.decode()
    heading = re.sub(r"<[^>]+>", "", html.split('id="events-h"')[1].split("</h2>")[0])
    assert "(2 counted, 1 rejected)" in heading and "Rejected by clinician: not counted" in html
    timeline = json.loads(html.split('id="timeline-data" type="application/json">')[1].split("</script>")[0])
    bars = [(trace["base"], trace["x"]) for trace in timeline["data"] if trace["type"] == "bar"]
    assert bars == [([1.0, 40.0], [3.0, 10.0])]


def test_events_are_added_by_keys_with_clear_refusals(rocking, login):
    world, job, _ = rocking
    session_id = job.recording.session_id
    url = f"/sessions/{session_id}/coded-events"
    client = login(world.clinician)
    headers = {"HTTP_ACCEPT": "application/json"}
    response = client.post(url, {"label": "body_rocking", "start_s": "12.5", "end_s": "15"}, **headers)
    assert response.status_code == 201, response.content
    bad = client.post(url, {"label": "dancing", "start_s": "1", "end_s": "2"}, **headers)
    assert bad.status_code == 400 and "ethogram" in bad.json()["message"]
    late = client.post(url, {"label": "gesture", "start_s": "50", "end_s": "90"}, **headers)
    assert late.status_code == 400 and "after the end of the video" in late.json()["message"]
    assert (
        login(world.uploader).post(url, {"label": "gesture", "start_s": "1", "end_s": "2"}).status_code == 404
    )
    assert list(CodedEvent.objects.values_list("label", "start_s", "end_s")) == [("body_rocking", 12.5, 15.0)]


def test_the_protocols_ethogram_gives_the_labels_and_keys(rocking, login):
    world, job, (first, _, _) = rocking
    protocol = job.recording.session.protocol
    EthogramLabel.objects.create(protocol=protocol, code="self_hit", name="self-hitting", key="x")
    html = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert '<option value="self_hit">self-hitting</option>' in html
    event_review_create(event=first, reviewer=world.clinician, decision="correct", corrected_kind="self_hit")
    assert reviewed_events(job=job)[0].label == "self_hit"
