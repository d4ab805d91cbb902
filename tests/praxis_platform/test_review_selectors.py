"""The latest review of an event, one rule for every reader: the newest created_at, and of two
reviews saved in the same instant the one saved last. The annotation (agreement, training sets),
the per-event map (reviewed values of pages and dashboards) and the coder files agree on it."""

from api.exports.coding_formats import session_coded_events
from results.models import EventReview
from results.review_selectors import events_with_latest_review, latest_reviews_by_event
from results.reviewed import reviewed_events
from tests.factories import make_analysed_session
from tests.praxis_platform.conftest import PIPELINE_VERSION, add_event, praxis_protocol


def test_every_reader_takes_the_same_latest_review_even_at_the_same_instant(world):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=None,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    tied = add_event(job, start_s=1.0, end_s=2.0)
    ordered = add_event(job, start_s=3.0, end_s=4.0)
    unreviewed = add_event(job, start_s=5.0, end_s=6.0)
    first = EventReview.objects.create(event=tied, reviewer=world.clinician, decision="confirm")
    second = EventReview.objects.create(event=tied, reviewer=world.clinician, decision="reject")
    EventReview.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=first.created_at)
    newer = EventReview.objects.create(event=ordered, reviewer=world.clinician, decision="reject")
    older = EventReview.objects.create(event=ordered, reviewer=world.clinician, decision="confirm")
    EventReview.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2020))

    latest = latest_reviews_by_event(events=[tied, ordered, unreviewed])
    assert {event_id: review.pk for event_id, review in latest.items()} == {
        tied.pk: second.pk,
        ordered.pk: newer.pk,
    }
    annotated = {event.pk: event.latest_review_id for event in events_with_latest_review()}
    assert annotated == {tied.pk: second.pk, ordered.pk: newer.pk, unreviewed.pk: None}
    # The session page and dashboards read reviewed values: the latest review is each status.
    statuses = {event.pk: event.status for event in reviewed_events(job=job)}
    assert statuses == {tied.pk: "reject", ordered.pk: "reject", unreviewed.pk: "unreviewed"}
    # Both reviewed events' latest review rejects them: the coder file has no reviewed interval.
    coded = session_coded_events(job.recording.session, reviewer_names=False)
    assert [(c.kind, c.reviewed) for c in coded] == [("gesture", False)] * 3
