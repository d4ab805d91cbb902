"""The latest review of a model event: the one rule every reader shares (agreement, training
sets, praxis scores, the session page, the API's coder files).

A clinician may change their mind, so an event's status is its newest review: the latest
`created_at`, and of two reviews saved in the same instant the one saved last (the higher id).
"""

from django.db.models import OuterRef, QuerySet, Subquery

from results.models import BehaviourEvent, EventReview

# Newest first: the first review in this order is the event's latest.
REVIEW_NEWEST_FIRST = ("-created_at", "-pk")


def events_with_latest_review(events: QuerySet[BehaviourEvent] | None = None) -> QuerySet[BehaviourEvent]:
    """Model events annotated with their latest review (latest_decision, latest_corrected_kind,
    latest_corrected_start_s, latest_corrected_end_s, latest_note, latest_review_id; all None
    when the event was never reviewed), in one query."""
    events = events if events is not None else BehaviourEvent.objects.all()
    latest = EventReview.objects.filter(event=OuterRef("pk")).order_by(*REVIEW_NEWEST_FIRST)
    return events.annotate(
        latest_review_id=Subquery(latest.values("pk")[:1]),
        latest_decision=Subquery(latest.values("decision")[:1]),
        latest_corrected_kind=Subquery(latest.values("corrected_kind")[:1]),
        latest_corrected_start_s=Subquery(latest.values("corrected_start_s")[:1]),
        latest_corrected_end_s=Subquery(latest.values("corrected_end_s")[:1]),
        latest_note=Subquery(latest.values("note")[:1]),
    )


def latest_reviews_by_event(
    *, events: QuerySet[BehaviourEvent] | list[BehaviourEvent]
) -> dict[int, EventReview]:
    """{event id: its latest review, with the reviewer} for the reviewed events among `events`,
    in one query (events never reviewed are absent)."""
    latest: dict[int, EventReview] = {}
    reviews = EventReview.objects.filter(event__in=events).select_related("reviewer")
    for review in reviews.order_by(*REVIEW_NEWEST_FIRST):
        latest.setdefault(review.event_id, review)
    return latest
