"""Helpers of the platform tests."""

import hashlib
from pathlib import Path

from recordings.models import Recording
from results.models import AnalysisJob, BehaviourEvent, MetricSample


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_derived_results(recording: Recording, *, status: str = AnalysisJob.Status.SUCCEEDED) -> AnalysisJob:
    """A finished job with one metric sample and one behaviour event, as a worker writes them."""
    session = recording.session
    job = AnalysisJob.objects.create(recording=recording, status=status, pipeline_version="test")
    MetricSample.objects.create(
        job=job,
        patient=session.patient,
        session=session,
        session_date=session.session_date,
        metric="agitation_index",
        value=1.5,
        unit="1/min",
        window_start_s=0,
        window_end_s=2,
        is_session_level=True,
        pipeline_version="test",
    )
    BehaviourEvent.objects.create(
        job=job,
        patient=session.patient,
        session=session,
        kind=BehaviourEvent.Kind.BODY_ROCKING,
        body_part="trunk",
        start_s=0.2,
        end_s=1.8,
        frequency_hz=1.0,
        confidence=0.9,
        pipeline_version="test",
    )
    return job
