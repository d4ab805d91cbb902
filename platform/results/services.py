"""Writes of an analysis's results: the metric samples and behaviour events a finished job
hands over. The job's status moves only in results.jobs; the whole replacement of a
recording's results (consent, reviews carried over, files) is care.reanalysis.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from results.models import AnalysisJob, BehaviourEvent, EyeContactEpisode, MetricSample, SpeechSegment


@dataclass
class AnalysisOutcome:
    """What the worker hands over when an analysis has finished (plain values, no analysis/ types
    beyond the MetricsReport contract).

    report : analysis.results.MetricsReport
    duration_s : the video's duration, the window of the session-level samples
    model_versions : [{"name": ..., "version": ...}]
    result_status : "ok" or "no_person_found"
    message : a sentence when result_status is not "ok"
    tracks_name : the storage name of the tracks Parquet, "" if none was stored
    task_segments : the task model's proposed segments of a semi-guided session (analysis.tasks)
    task_model : "<name> <version>" of the task model that proposed them, "" when none ran
    speech_segments : report.json's speech segments ({"start_s", "end_s", "speaker",
        "confidence", "speech_probability"}), [] without audio or speech
    contact_episodes : report.json's eye-contact and mutual-gaze episodes ({"kind", "start_s",
        "end_s"}, analysis.metrics.eye_contact), [] where eye contact was never seen or measured
    """

    report: Any
    duration_s: float
    model_versions: list[dict[str, str]] = field(default_factory=list)
    result_status: str = "ok"
    message: str = ""
    tracks_name: str = ""
    task_segments: list[Any] = field(default_factory=list)
    task_model: str = ""
    speech_segments: list[dict[str, Any]] = field(default_factory=list)
    contact_episodes: list[dict[str, Any]] = field(default_factory=list)


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_safe(value: Any) -> Any:
    """Event attributes as plain JSON: NumPy scalars and arrays become numbers and lists, and a
    NaN or infinite number becomes null (JSON has no NaN)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float):
        return _finite_or_none(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"An event attribute of type {type(value).__name__} cannot be stored as JSON.")


def _result_rows(
    job: AnalysisJob, outcome: AnalysisOutcome
) -> tuple[list[MetricSample], list[BehaviourEvent]]:
    session = job.recording.session
    common = {"job": job, "patient_id": session.patient_id, "session": session}
    version = job.pipeline_version
    duration_s = max(0.0, float(outcome.duration_s))
    samples = [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=key,
            value=_finite_or_none(metric.value),
            unit=metric.unit,
            reason=metric.reason[:300],
            analysable_s=None if metric.analysable_s is None else _finite_or_none(metric.analysable_s),
            window_start_s=0.0,
            window_end_s=duration_s,
            is_session_level=True,
            pipeline_version=version,
        )
        for values in outcome.report.metrics.values()
        for key, metric in values.items()
    ]
    samples += [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=sample.metric,
            value=_finite_or_none(sample.value),
            unit=sample.unit,
            window_start_s=max(0.0, float(sample.window_start_s)),
            window_end_s=max(0.0, float(sample.window_end_s)),
            is_session_level=False,
            pipeline_version=version,
        )
        for sample in outcome.report.samples
    ]
    events = [
        BehaviourEvent(
            **common,
            kind=event.kind,
            body_part=event.body_part,
            start_s=float(event.start_s),
            end_s=float(event.end_s),
            frequency_hz=_finite_or_none(event.frequency_hz),
            confidence=float(event.confidence),
            attributes=_json_safe(event.attributes),
            pipeline_version=version,
        )
        for event in outcome.report.events
    ]
    for row in (*samples, *events):
        # value may be null (a metric that could not be computed), which the model allows in
        # the database (null=True) but clean_fields would call blank.
        row.clean_fields(exclude=["job", "patient", "session", "value"])
    return samples, events


def _speech_rows(job: AnalysisJob, outcome: AnalysisOutcome) -> list[SpeechSegment]:
    session = job.recording.session
    rows = [
        SpeechSegment(
            job=job,
            patient_id=session.patient_id,
            session=session,
            start_s=max(0.0, float(segment["start_s"])),
            end_s=float(segment["end_s"]),
            speaker=segment.get("speaker", SpeechSegment.Speaker.UNKNOWN),
            confidence=float(segment.get("confidence", 0.0)),
            speech_probability=float(segment.get("speech_probability", 0.0)),
        )
        for segment in outcome.speech_segments
        if segment.get("kind", "speech") == "speech"
    ]
    for row in rows:
        row.clean_fields(exclude=["job", "patient", "session"])
    return rows


def _contact_rows(job: AnalysisJob, outcome: AnalysisOutcome) -> list[EyeContactEpisode]:
    session = job.recording.session
    rows = [
        EyeContactEpisode(
            job=job,
            patient_id=session.patient_id,
            session=session,
            kind=episode["kind"],
            start_s=max(0.0, float(episode["start_s"])),
            end_s=float(episode["end_s"]),
        )
        for episode in outcome.contact_episodes
    ]
    for row in rows:
        row.clean_fields(exclude=["job", "patient", "session"])
    return rows


def analysis_results_store(
    *, job: AnalysisJob, earlier: QuerySet[AnalysisJob], outcome: AnalysisOutcome
) -> tuple[list[MetricSample], list[BehaviourEvent]]:
    """Store the job's metric samples, events, speech segments and eye-contact episodes, replacing
    the metric samples, speech segments and eye-contact episodes of the `earlier` jobs (so
    re-running a recording never duplicates rows). The earlier jobs' events are left to the
    caller, which moves their reviews first."""
    MetricSample.objects.filter(job__in=earlier).delete()
    SpeechSegment.objects.filter(job__in=earlier).delete()
    EyeContactEpisode.objects.filter(job__in=earlier).delete()
    samples, events = _result_rows(job, outcome)
    SpeechSegment.objects.bulk_create(_speech_rows(job, outcome), batch_size=2000)
    EyeContactEpisode.objects.bulk_create(_contact_rows(job, outcome), batch_size=2000)
    MetricSample.objects.bulk_create(samples, batch_size=2000)
    BehaviourEvent.objects.bulk_create(events, batch_size=2000)
    return samples, events


def segment_results_replace(*, job: AnalysisJob, report: Any) -> list[MetricSample]:
    """Replace the job's samples of the metrics `report` holds (the metrics recomputed from its
    tracks after a segment was marked) and give its events the report's attributes. The tracks
    are the same, so each event is found again at the same times: its reviews stay with it; an
    event the report finds that the job lacked is added."""
    samples, events = _result_rows(job, AnalysisOutcome(report=report, duration_s=job.recording.duration_s))
    for is_session_level in (True, False):
        keys = {s.metric for s in samples if s.is_session_level == is_session_level}
        MetricSample.objects.filter(job=job, is_session_level=is_session_level, metric__in=keys).delete()
    MetricSample.objects.bulk_create(samples, batch_size=2000)
    stored = {
        (e.kind, e.body_part, round(e.start_s, 3), round(e.end_s, 3)): e
        for e in BehaviourEvent.objects.filter(job=job, kind__in={e.kind for e in events})
    }
    added = []
    for event in events:
        same = stored.get((event.kind, event.body_part, round(event.start_s, 3), round(event.end_s, 3)))
        if same is None:
            added.append(event)
        elif same.attributes != event.attributes:
            same.attributes = event.attributes
            same.save(update_fields=["attributes"])
    BehaviourEvent.objects.bulk_create(added)
    return samples
