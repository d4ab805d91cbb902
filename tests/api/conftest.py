"""API fixtures: one analysed session of the memory-clinic patient, and token clients."""

from dataclasses import dataclass

import pytest

from recordings.models import Recording
from results.models import AnalysisJob, BehaviourEvent, MetricSample
from tests.factories import make_session


@dataclass
class Analysed:
    session: object
    recording: Recording
    job: AnalysisJob
    event: BehaviourEvent
    queued_job: AnalysisJob


def make_analysed_session(patient, *, by, on=None, n_windows: int = 3) -> Analysed:
    session = make_session(patient, by=by, on=on)
    recording = Recording.objects.create(
        session=session,
        file="recordings/test/video.video",
        original_filename="visit.mp4",
        sha256=f"{session.pk:064x}",
        size_bytes=1000,
        codec="h264",
        fps=25.0,
        duration_s=30.0,
        width=640,
        height=480,
        uploaded_by=by,
    )
    job = AnalysisJob.objects.create(
        recording=recording,
        status=AnalysisJob.Status.SUCCEEDED,
        pipeline_version="1.0.0",
        progress=100,
        model_versions=[{"name": "mediapipe-pose-full", "version": "0.10.14"}],
    )
    common = {"job": job, "patient": patient, "session": session, "session_date": session.session_date}
    MetricSample.objects.bulk_create(
        [
            MetricSample(
                **common,
                metric="apathy.neutral_share",
                value=0.5 + 0.1 * i,
                unit="share",
                window_start_s=10.0 * i,
                window_end_s=10.0 * (i + 1),
                pipeline_version="1.0.0",
            )
            for i in range(n_windows)
        ]
        + [
            MetricSample(
                **common,
                metric="stereotypy.episodes_per_min",
                value=1.5,
                unit="per_min",
                window_start_s=0.0,
                window_end_s=30.0,
                is_session_level=True,
                pipeline_version="1.0.0",
            )
        ]
    )
    event = BehaviourEvent.objects.create(
        job=job,
        patient=patient,
        session=session,
        kind="body_rocking",
        body_part="torso",
        start_s=3.0,
        end_s=11.0,
        frequency_hz=1.0,
        confidence=0.9,
        pipeline_version="1.0.0",
    )
    queued_job = AnalysisJob.objects.create(recording=recording, pipeline_version="1.0.1", stage="waiting")
    return Analysed(session=session, recording=recording, job=job, event=event, queued_job=queued_job)


@pytest.fixture
def analysed(world) -> Analysed:
    return make_analysed_session(world.patient, by=world.clinician)
