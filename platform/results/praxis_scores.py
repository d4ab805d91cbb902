"""Praxis scores of a session, for the session page (reads only; the caller checks
accounts.permissions VIEW_METRICS on the session's patient first).

The numbers are those analysis.metrics.praxis.compute_praxis wrote into each "gesture" event's
attributes: gesture (best-matching expected gesture, or the classifier's name), score (0-100,
null when there were no references), verdict, hesitation_s and duration_s.
"""

from __future__ import annotations

from typing import Any

from recordings.models import ClinicalSession
from results.models import AnalysisJob, BehaviourEvent
from results.review_selectors import events_with_latest_review


def praxis_scores_for_session(session: ClinicalSession) -> list[dict[str, Any]]:
    """One row per performed gesture of the session's latest finished analysis, in time order.

    Each row: gesture (str or None), score_0_100 (float or None), verdict (correct / partial /
    fail / wrong_item or None), duration_s, hesitation_s, start_s, end_s (s from the start of the video),
    event_id, review (latest clinician decision: confirm / reject / correct, or None), and what ties
    the verdict to the item asked: asked (the cue's item or None), recognised, side ("as shown" or
    "mirrored"), speed_ratio (attempt / reference duration) and reference_count (the clinician
    references behind the verdict's threshold), each None when the analysis did not give it.
    Empty when the session has no analysed gestures.
    """
    job = (
        AnalysisJob.objects.filter(
            recording__session=session,
            status=AnalysisJob.Status.SUCCEEDED,
            events__kind=BehaviourEvent.Kind.GESTURE,
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    if job is None:
        return []
    events = events_with_latest_review(
        BehaviourEvent.objects.filter(job=job, kind=BehaviourEvent.Kind.GESTURE).order_by("start_s", "pk")
    )
    rows = []
    for event in events:
        attributes = event.attributes or {}
        score = attributes.get("score")
        hesitation = attributes.get("hesitation_s")
        rows.append(
            {
                "gesture": attributes.get("gesture"),
                "score_0_100": None if score is None else float(score),
                "verdict": attributes.get("verdict"),
                "duration_s": float(attributes.get("duration_s", event.end_s - event.start_s)),
                "hesitation_s": None if hesitation is None else float(hesitation),
                "start_s": event.start_s,
                "end_s": event.end_s,
                "event_id": event.pk,
                "review": event.latest_decision,
                "asked": attributes.get("asked"),
                "recognised": attributes.get("recognised"),
                "side": attributes.get("side"),
                "speed_ratio": attributes.get("speed_ratio"),
                "reference_count": attributes.get("reference_count"),
            }
        )
    return rows
