"""Speech segments of report.json reach the database with the analysis's results, are replaced by
a re-analysis, and leave with the derived results when consent to analysis and video is withdrawn."""

import pytest

from analysis.results import MetricsReport
from audit.models import AccessEvent
from care.reanalysis import analysis_results_replace
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.jobs import analysis_job_claim, analysis_job_create
from results.models import AnalysisJob, SpeechSegment
from results.services import AnalysisOutcome
from tests.workers.conftest import store_recording

SEGMENTS = [
    {
        "kind": "speech",
        "start_s": 0.4,
        "end_s": 2.1,
        "speaker": "patient",
        "confidence": 0.8,
        "speech_probability": 0.93,
    },
    {
        "kind": "speech",
        "start_s": 2.6,
        "end_s": 4.0,
        "speaker": "other",
        "confidence": 0.6,
        "speech_probability": 0.88,
    },
    {
        "kind": "speech",
        "start_s": 5.0,
        "end_s": 5.7,
        "speaker": "unknown",
        "confidence": 0.0,
        "speech_probability": 0.71,
    },
]


def _finish(job: AnalysisJob, segments: list[dict], task_id: str) -> AnalysisJob:
    analysis_job_claim(job_id=job.pk, task_id=task_id)
    outcome = AnalysisOutcome(report=MetricsReport(), duration_s=12.5, speech_segments=segments)
    return analysis_results_replace(job_id=job.pk, task_id=task_id, outcome=outcome)


@pytest.fixture
def recording(world, videos):
    return store_recording(world, videos["rocking"])


def test_speech_segments_are_stored_with_their_speaker_and_replaced_by_a_reanalysis(world, recording):
    first = _finish(analysis_job_create(recording=recording, requested_by=world.uploader), SEGMENTS, "a")

    stored = list(
        SpeechSegment.objects.filter(job=first).values_list("start_s", "end_s", "speaker", "confidence")
    )
    assert stored == [(0.4, 2.1, "patient", 0.8), (2.6, 4.0, "other", 0.6), (5.0, 5.7, "unknown", 0.0)]
    assert {s.patient_id for s in SpeechSegment.objects.all()} == {recording.session.patient_id}

    second = _finish(analysis_job_create(recording=recording, requested_by=world.uploader), SEGMENTS[:1], "b")

    assert list(SpeechSegment.objects.values_list("job_id", "speaker")) == [(second.pk, "patient")]


def test_withdrawing_analysis_and_video_consent_deletes_the_speech_segments(world, recording):
    _finish(analysis_job_create(recording=recording, requested_by=world.uploader), SEGMENTS, "a")
    patient = recording.session.patient

    consent_withdraw(patient=patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    consent_withdraw(patient=patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)

    assert not SpeechSegment.objects.filter(patient=patient).exists()
    audit = AccessEvent.objects.get(object_type="derived_results")
    assert audit.details["speech_segments"] == 3
