"""Reads for the patient dashboard and the session page: metric samples summarised per session,
summary cards against the patient's own baseline, and one session's timeline.

Dashboards read only these tables (never the video, never the tracks Parquet). Callers check
permissions (accounts.permissions, Action.VIEW_METRICS) and write the AccessEvent; these
functions only read.

Conventions
-----------
- One point per session and metric. When a session was analysed more than once, its latest
  analysis job (highest id) is the one shown, so a re-analysis replaces the older point.
- The point's value is the median of the metric's windowed samples in that session and its
  spread is their interquartile range (25th to 75th percentile). A metric stored only as a
  whole-session value (no windows) is shown with that value and no spread.
- Reviews count: the stereotypy metrics made of events take the clinicians' reviewed value
  (results.reviewed), shown as a whole-session value with the model's own value beside it.
- Baseline: the median of the point values of the patient's first BASELINE_SESSIONS sessions
  that were of the same protocol and analysed with the same pipeline version as the latest
  session (the latest session itself excluded), so that a change is never measured across
  protocols (a praxis test against a free-play session) or incompatible pipeline versions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from patients.models import Patient
from recordings.models import ClinicalSession, Recording
from results.models import AnalysisJob, MetricSample
from results.reviewed import reviewed_metric_values

BASELINE_SESSIONS = 3


@dataclass(frozen=True)
class SessionPoint:
    """One metric in one session: the median over its windows and their interquartile range."""

    session_id: int
    session_date: date
    protocol_code: str
    protocol_name: str
    metric: str
    unit: str
    pipeline_version: str
    value: float | None
    q1: float | None
    q3: float | None
    n_windows: int
    session_value: float | None
    # What the model alone measured, when clinicians' reviews changed the value (else None).
    model_value: float | None = None
    # The time (s) the whole-session value rests on, for rates and shares (else None).
    analysable_s: float | None = None
    # Why the value could not be measured, as the analysis stored it ("" when it was measured).
    reason: str = ""


@dataclass(frozen=True)
class MetricSummary:
    """A summary card: the latest session's value and its change against the baseline."""

    metric: str
    unit: str
    latest: SessionPoint
    baseline: float | None
    baseline_sessions: int
    change: float | None
    change_pct: float | None
    n_sessions: int


def metric_keys_for_patient(*, patient: Patient) -> list[str]:
    """Every metric key stored for the patient, sorted (family prefixes group them)."""
    return list(
        MetricSample.objects.filter(patient=patient)
        .order_by("metric")
        .values_list("metric", flat=True)
        .distinct()
    )


def metric_date_bounds(*, patient: Patient) -> tuple[date | None, date | None]:
    """First and last session dates that have metric samples."""
    dates = MetricSample.objects.filter(patient=patient).values_list("session_date", flat=True)
    first = dates.order_by("session_date").first()
    last = dates.order_by("-session_date").first()
    return first, last


def _quartiles(values: Iterable[float | None]) -> tuple[float, float, float] | None:
    """(25th, 50th, 75th) percentiles of the finite values, linearly interpolated like numpy's
    default; None when there is none. Plain Python: a session has tens of windows, and calling
    numpy once per (session, metric) would cost more than the arithmetic."""
    ordered = sorted(v for v in values if v is not None and math.isfinite(v))
    if not ordered:
        return None
    last = len(ordered) - 1

    def at(q: float) -> float:
        position = q * last
        low = int(position)
        high = min(low + 1, last)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return at(0.25), at(0.5), at(0.75)


def metric_session_points(
    *,
    patient: Patient,
    metrics: Iterable[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[SessionPoint]:
    """One SessionPoint per (session, metric), sorted by metric, then date, then session id.

    metrics None means every metric; date_from and date_to are inclusive session dates.
    """
    rows = MetricSample.objects.filter(patient=patient)
    if metrics is not None:
        rows = rows.filter(metric__in=list(metrics))
    if date_from is not None:
        rows = rows.filter(session_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(session_date__lte=date_to)
    records = list(
        rows.values_list(
            "session_id",
            "job_id",
            "metric",
            "value",
            "is_session_level",
            "unit",
            "pipeline_version",
            "session_date",
            "analysable_s",
            "reason",
        )
    )
    latest_job: dict[int, int] = {}
    for session_id, job_id, *_ in records:
        latest_job[session_id] = max(job_id, latest_job.get(session_id, job_id))

    windows: dict[tuple[int, str], list[float | None]] = defaultdict(list)
    whole: dict[tuple[int, str], float | None] = {}
    info: dict[tuple[int, str], tuple[str, str, date]] = {}
    analysable: dict[tuple[int, str], float | None] = {}
    reasons: dict[tuple[int, str], str] = {}
    for (
        session_id,
        job_id,
        metric,
        value,
        is_session_level,
        unit,
        pipeline_version,
        session_date,
        seconds,
        reason,
    ) in records:
        if job_id != latest_job[session_id]:
            continue
        key = (session_id, metric)
        info[key] = (unit, pipeline_version, session_date)
        if reason and (is_session_level or key not in reasons):
            reasons[key] = reason
        if is_session_level:
            whole[key] = value
            analysable[key] = seconds
        else:
            windows[key].append(value)

    reviewed = reviewed_metric_values(
        jobs=AnalysisJob.objects.filter(pk__in=set(latest_job.values())).select_related("recording")
    )
    protocols = {
        pk: (code, name)
        for pk, code, name in ClinicalSession.objects.filter(pk__in=latest_job.keys()).values_list(
            "pk", "protocol__code", "protocol__name"
        )
    }
    points = []
    for (session_id, metric), (unit, pipeline_version, session_date) in info.items():
        window_values = windows.get((session_id, metric), [])
        session_value = whole.get((session_id, metric))
        if session_value is not None and not math.isfinite(session_value):
            session_value = None
        quartiles = _quartiles(window_values)
        if quartiles is not None:
            q1, median, q3 = quartiles
        else:
            q1 = q3 = None
            median = session_value
        code, name = protocols[session_id]
        model_value = None
        if (latest_job[session_id], metric) in reviewed:
            model_value = median
            median = reviewed[(latest_job[session_id], metric)]
            session_value, q1, q3 = median, None, None
        points.append(
            SessionPoint(
                session_id=session_id,
                session_date=session_date,
                protocol_code=code,
                protocol_name=name,
                metric=metric,
                unit=unit,
                pipeline_version=pipeline_version,
                value=median,
                q1=q1,
                q3=q3,
                n_windows=sum(1 for v in window_values if v is not None and math.isfinite(v)),
                session_value=session_value,
                model_value=model_value,
                analysable_s=analysable.get((session_id, metric)),
                reason=reasons.get((session_id, metric), "") if median is None else "",
            )
        )
    points.sort(key=lambda p: (p.metric, p.session_date, p.session_id))
    return points


def metric_summaries(*, points: list[SessionPoint]) -> list[MetricSummary]:
    """One summary per metric present in points (see the module docstring for the baseline)."""
    by_metric: dict[str, list[SessionPoint]] = defaultdict(list)
    for point in points:
        if point.value is not None:
            by_metric[point.metric].append(point)
    summaries = []
    for metric, series in sorted(by_metric.items()):
        series.sort(key=lambda p: (p.session_date, p.session_id))
        latest = series[-1]
        earlier = [
            p
            for p in series[:-1]
            if p.pipeline_version == latest.pipeline_version and p.protocol_code == latest.protocol_code
        ]
        baseline_points = earlier[:BASELINE_SESSIONS]
        baseline = float(np.median([p.value for p in baseline_points])) if baseline_points else None
        change = None if baseline is None else float(latest.value) - baseline
        change_pct = None if baseline in (None, 0.0) else 100.0 * change / abs(baseline)
        summaries.append(
            MetricSummary(
                metric=metric,
                unit=latest.unit,
                latest=latest,
                baseline=baseline,
                baseline_sessions=len(baseline_points),
                change=change,
                change_pct=change_pct,
                n_sessions=len(series),
            )
        )
    return summaries


def session_latest_job(*, session: ClinicalSession) -> AnalysisJob | None:
    """The session's most recent finished analysis, or None. Its recording's video may have
    been deleted since (consent to store video withdrawn): its results stay while consent to
    analyse remains, and the session page, patient page and dashboard all show them."""
    return (
        AnalysisJob.objects.filter(recording__session=session, status=AnalysisJob.Status.SUCCEEDED)
        .select_related("recording")
        .order_by("-finished_at", "-pk")
        .first()
    )


def session_recording(*, session: ClinicalSession) -> Recording | None:
    """The session's most recent stored recording (the one its page plays), or None."""
    return session.recordings.filter(status=Recording.Status.STORED).order_by("-created_at", "-pk").first()


def session_metric_windows(*, job: AnalysisJob) -> dict[str, list[tuple[float, float, float | None]]]:
    """The job's windowed samples per metric: [(window_start_s, window_end_s, value), ...] in time order."""
    curves: dict[str, list[tuple[float, float, float | None]]] = defaultdict(list)
    rows = (
        MetricSample.objects.filter(job=job, is_session_level=False)
        .order_by("metric", "window_start_s")
        .values_list("metric", "window_start_s", "window_end_s", "value")
    )
    for metric, start_s, end_s, value in rows:
        curves[metric].append((start_s, end_s, value))
    return dict(curves)


def session_analysable_times(*, job: AnalysisJob) -> dict[str, float]:
    """The time (s) each whole-session rate or share of the job rests on, by metric (metrics
    without one, such as counts and durations, are absent): a rate is shown with it."""
    rows = MetricSample.objects.filter(job=job, is_session_level=True, analysable_s__isnull=False)
    return dict(rows.values_list("metric", "analysable_s"))
