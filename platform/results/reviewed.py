"""The one read of reviewed values: what clinicians decided about the model's events, applied.

Pages, dashboards and exports read events and event-derived metrics here, never from the
model's rows alone:

- a model event's latest review is its status: rejected events leave every count and
  duration; a correction's times and label replace the detected ones; confirmed and
  unreviewed events count as detected;
- events a clinician coded (CodedEvent) count like the others;
- the model-only values stay beside the reviewed ones, for agreement.

The stereotypy metrics that are made of events (episodes per minute, total time and share of
the time in episodes, per kind and for any kind) are recomputed from the reviewed events over
the same measurable time the model used (recovered from its stored rate; when the model found
no episode, the recording's duration times the share of frames with both shoulders seen).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from results.models import AnalysisJob, BehaviourEvent, CodedEvent, EventReview, MetricSample
from results.review_selectors import latest_reviews_by_event

STEREOTYPY_KINDS = ("body_rocking", "hand_flapping", "head_movement")


@dataclass(frozen=True)
class ReviewedEvent:
    """An event as clinicians see it after review; `counted` is False for a rejected one."""

    source: str  # "model" or "clinician"
    pk: int  # BehaviourEvent or CodedEvent id, by source
    label: str
    start_s: float
    end_s: float
    status: str  # "unreviewed", "confirm", "reject", "correct", "added"
    reviewer: str
    model_label: str | None
    model_start_s: float | None
    model_end_s: float | None
    body_part: str
    confidence: float | None
    frequency_hz: float | None

    @property
    def counted(self) -> bool:
        return self.status != "reject"

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


def _from_model(event: BehaviourEvent, review: EventReview | None) -> ReviewedEvent:
    label, start_s, end_s = event.kind, event.start_s, event.end_s
    if review is not None and review.decision == EventReview.Decision.CORRECT:
        label = review.corrected_kind or label
        if review.corrected_start_s is not None and review.corrected_end_s is not None:
            start_s, end_s = review.corrected_start_s, review.corrected_end_s
    return ReviewedEvent(
        source="model",
        pk=event.pk,
        label=label,
        start_s=start_s,
        end_s=end_s,
        status=review.decision if review else "unreviewed",
        reviewer=review.reviewer.get_username() if review else "",
        model_label=event.kind,
        model_start_s=event.start_s,
        model_end_s=event.end_s,
        body_part=event.body_part,
        confidence=event.confidence,
        frequency_hz=event.frequency_hz,
    )


def _from_coder(coded: CodedEvent) -> ReviewedEvent:
    return ReviewedEvent(
        source="clinician",
        pk=coded.pk,
        label=coded.label,
        start_s=coded.start_s,
        end_s=coded.end_s,
        status="added",
        reviewer=coded.coded_by.get_username(),
        model_label=None,
        model_start_s=None,
        model_end_s=None,
        body_part="",
        confidence=None,
        frequency_hz=None,
    )


def reviewed_events_for_jobs(*, jobs: Iterable[AnalysisJob]) -> dict[int, list[ReviewedEvent]]:
    """Per job id: its model events with their latest review applied, and the events clinicians
    coded on the job's session, in time order (rejected ones included, `counted` False)."""
    jobs = list(jobs)
    if not jobs:
        return {}
    session_of = {job.pk: job.recording.session_id for job in jobs}
    events = list(BehaviourEvent.objects.filter(job__in=jobs).order_by("start_s", "pk"))
    latest = latest_reviews_by_event(events=events)
    by_job: dict[int, list[ReviewedEvent]] = {job.pk: [] for job in jobs}
    for event in events:
        by_job[event.job_id].append(_from_model(event, latest.get(event.pk)))
    coded_by_session: dict[int, list[ReviewedEvent]] = defaultdict(list)
    for coded in CodedEvent.objects.filter(
        session_id__in=set(session_of.values()), removed_at__isnull=True
    ).select_related("coded_by"):
        coded_by_session[coded.session_id].append(_from_coder(coded))
    for job_id, rows in by_job.items():
        rows.extend(coded_by_session.get(session_of[job_id], []))
        rows.sort(key=lambda e: (e.start_s, e.source, e.pk))
    return by_job


def reviewed_events(*, job: AnalysisJob) -> list[ReviewedEvent]:
    """One job's reviewed events (see reviewed_events_for_jobs)."""
    return reviewed_events_for_jobs(jobs=[job])[job.pk]


def _union_s(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _event_metrics(
    prefix: str, events: list[ReviewedEvent], minutes: float | None
) -> dict[str, float | None]:
    """Rate, total time and share of a set of episodes over `minutes` of measurable time."""
    if not minutes or minutes <= 0:
        return {f"{prefix}.episodes_per_min": None, f"{prefix}.total_s": None, f"{prefix}.share": None}
    total_s = _union_s([(e.start_s, e.end_s) for e in events])
    return {
        f"{prefix}.episodes_per_min": len(events) / minutes,
        f"{prefix}.total_s": total_s,
        f"{prefix}.share": min(total_s / (60.0 * minutes), 1.0),
    }


def _measurable_minutes(
    stored: dict[str, float | None], prefix: str, n_model: int, duration_s: float
) -> float | None:
    rate = stored.get(f"{prefix}.episodes_per_min")
    if n_model > 0 and rate:
        return n_model / rate
    coverage = stored.get("stereotypy.pose_coverage")
    if coverage is None or not math.isfinite(coverage) or coverage <= 0:
        return None
    return duration_s * coverage / 60.0


def reviewed_metric_keys() -> tuple[str, ...]:
    """The metric keys whose reviewed value can differ from the model's (those made of events):
    the keys reviewed_metric_values answers for, so that exports know which metrics carry a
    model-only value beside the reviewed one."""
    prefixes = (*(f"stereotypy.{kind}" for kind in STEREOTYPY_KINDS), "stereotypy")
    return tuple(key for prefix in prefixes for key in _event_metrics(prefix, [], None))


def reviewed_metric_values(*, jobs: Iterable[AnalysisJob]) -> dict[tuple[int, str], float | None]:
    """(job id, metric key) → the reviewed value, for the event-made stereotypy metrics of the
    jobs whose events clinicians reviewed or added to. Jobs nobody reviewed are absent: their
    stored values are the reviewed values."""
    jobs = list(jobs)
    touched = set(
        EventReview.objects.filter(event__job__in=jobs).values_list("event__job_id", flat=True).distinct()
    )
    coded_sessions = set(
        CodedEvent.objects.filter(
            session_id__in={job.recording.session_id for job in jobs}, removed_at__isnull=True
        ).values_list("session_id", flat=True)
    )
    touched |= {job.pk for job in jobs if job.recording.session_id in coded_sessions}
    if not touched:
        return {}
    jobs = [job for job in jobs if job.pk in touched]
    stored: dict[int, dict[str, float | None]] = defaultdict(dict)
    for job_id, metric, value in MetricSample.objects.filter(
        job__in=jobs, is_session_level=True, metric__startswith="stereotypy."
    ).values_list("job_id", "metric", "value"):
        stored[job_id][metric] = value
    model_counts: dict[tuple[int, str], int] = defaultdict(int)
    for job_id, kind in BehaviourEvent.objects.filter(job__in=jobs, kind__in=STEREOTYPY_KINDS).values_list(
        "job_id", "kind"
    ):
        model_counts[(job_id, kind)] += 1
    values: dict[tuple[int, str], float | None] = {}
    reviewed = reviewed_events_for_jobs(jobs=jobs)  # one read for all the jobs, not one per job
    for job in jobs:
        events = [e for e in reviewed[job.pk] if e.counted and e.label in STEREOTYPY_KINDS]
        duration_s = job.recording.duration_s
        for kind in STEREOTYPY_KINDS:
            prefix = f"stereotypy.{kind}"
            minutes = _measurable_minutes(stored[job.pk], prefix, model_counts[(job.pk, kind)], duration_s)
            for key, value in _event_metrics(prefix, [e for e in events if e.label == kind], minutes).items():
                values[(job.pk, key)] = value
        n_any = sum(model_counts[(job.pk, kind)] for kind in STEREOTYPY_KINDS)
        minutes = _measurable_minutes(stored[job.pk], "stereotypy", n_any, duration_s)
        for key, value in _event_metrics("stereotypy", events, minutes).items():
            values[(job.pk, key)] = value
    return values
