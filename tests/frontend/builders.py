"""Analysed sessions built with the ORM: a recording, a finished job, metric samples, events.

Shared by the frontend tests, the clinician end-to-end test and the dashboard benchmark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from django.core.files import File
from django.utils import timezone

from recordings.models import ClinicalSession, Protocol, Recording
from results.models import AnalysisJob, BehaviourEvent, MetricSample
from tests.factories import make_protocol, make_session

UNITS = {
    "apathy.neutral_share": "share",
    "apathy.facial_motion_energy": "IOD/s",
    "stereotypy.episodes_per_min": "per_min",
    "stereotypy.agitation_index": "SW/s",
    "attention.gaze_on_target_share": "share",
    "attention.gaze_shifts_per_min": "per_min",
    "praxis.score_mean": "score",
}


def make_recording(
    session: ClinicalSession, *, by, video: Path | None = None, duration_s: float = 60.0
) -> Recording:
    """A stored recording; with video, the file is saved through Django storage."""
    recording = Recording(
        session=session,
        original_filename="visit.mp4",
        sha256=hashlib.sha256(f"{session.pk}-{timezone.now().isoformat()}".encode()).hexdigest(),
        size_bytes=video.stat().st_size if video else 1,
        codec="h264",
        fps=25.0,
        duration_s=duration_s,
        width=320,
        height=240,
        uploaded_by=by,
    )
    if video is not None:
        with video.open("rb") as handle:
            recording.file.save("visit.video", File(handle), save=False)
        recording.sha256 = hashlib.sha256(video.read_bytes()).hexdigest()
    recording.save()
    return recording


def make_analysed_session(
    patient,
    *,
    by,
    on: date,
    windows: Mapping[str, Sequence[float | None]],
    session_values: Mapping[str, float | None] | None = None,
    protocol: Protocol | None = None,
    pipeline_version: str = "1.0.0",
    events: Sequence[tuple[str, float, float]] = (),
    video: Path | None = None,
    window_s: float = 10.0,
    session: ClinicalSession | None = None,
) -> AnalysisJob:
    """A session (or a new analysis of `session`) with one finished job and its results.

    windows maps a metric key to its values over consecutive windows of window_s seconds;
    session_values adds whole-session samples; events are (kind, start_s, end_s).
    """
    session = session or make_session(patient, by=by, protocol=protocol or make_protocol(), on=on)
    n_windows = max((len(v) for v in windows.values()), default=1)
    recording = session.recordings.filter(status=Recording.Status.STORED).first() or make_recording(
        session, by=by, video=video, duration_s=max(n_windows * window_s, 1.0)
    )
    now = timezone.now()
    job = AnalysisJob.objects.create(
        recording=recording,
        status=AnalysisJob.Status.SUCCEEDED,
        stage="finished",
        progress=100,
        pipeline_version=pipeline_version,
        result_status="ok",
        started_at=now,
        finished_at=now,
    )
    samples = []
    for metric, values in windows.items():
        for i, value in enumerate(values):
            samples.append(
                MetricSample(
                    job=job,
                    patient=patient,
                    session=session,
                    session_date=session.session_date,
                    metric=metric,
                    value=value,
                    unit=UNITS.get(metric, "share"),
                    window_start_s=i * window_s,
                    window_end_s=(i + 1) * window_s,
                    pipeline_version=pipeline_version,
                )
            )
    for metric, value in (session_values or {}).items():
        samples.append(
            MetricSample(
                job=job,
                patient=patient,
                session=session,
                session_date=session.session_date,
                metric=metric,
                value=value,
                unit=UNITS.get(metric, "share"),
                window_start_s=0,
                window_end_s=recording.duration_s,
                is_session_level=True,
                pipeline_version=pipeline_version,
            )
        )
    MetricSample.objects.bulk_create(samples)
    BehaviourEvent.objects.bulk_create(
        BehaviourEvent(
            job=job,
            patient=patient,
            session=session,
            kind=kind,
            body_part="trunk",
            start_s=start_s,
            end_s=end_s,
            frequency_hz=1.0,
            confidence=0.8,
            pipeline_version=pipeline_version,
        )
        for kind, start_s, end_s in events
    )
    return job


def callback_body(patient_code, metrics=("apathy.neutral_share",)):
    """What the Dash renderer posts for the dashboard's data callback."""
    return {
        "output": "..summary-cards.children...metric-graphs.children...session-links.children..",
        "outputs": [
            {"id": "summary-cards", "property": "children"},
            {"id": "metric-graphs", "property": "children"},
            {"id": "session-links", "property": "children"},
        ],
        "inputs": [
            {"id": "metric-picker", "property": "value", "value": list(metrics)},
            {"id": "date-range", "property": "start_date", "value": None},
            {"id": "date-range", "property": "end_date", "value": None},
        ],
        "state": [{"id": "patient-code", "property": "data", "value": patient_code}],
        "changedPropIds": ["metric-picker.value"],
    }
