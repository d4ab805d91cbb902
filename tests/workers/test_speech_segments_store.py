"""Speech segments of report.json reach the database with the analysis's results, are replaced by
a re-analysis, and leave with the derived results when consent to analysis and video is withdrawn."""

from audit.models import AccessEvent
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.models import SpeechSegment
from tests.workers.conftest import analysis_finished_with

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


def test_speech_segments_are_stored_with_their_speaker_and_replaced_by_a_reanalysis(world, recording):
    first = analysis_finished_with(recording, world.uploader, "a", speech_segments=SEGMENTS)

    stored = list(
        SpeechSegment.objects.filter(job=first).values_list("start_s", "end_s", "speaker", "confidence")
    )
    assert stored == [(0.4, 2.1, "patient", 0.8), (2.6, 4.0, "other", 0.6), (5.0, 5.7, "unknown", 0.0)]
    assert {s.patient_id for s in SpeechSegment.objects.all()} == {recording.session.patient_id}

    second = analysis_finished_with(recording, world.uploader, "b", speech_segments=SEGMENTS[:1])

    assert list(SpeechSegment.objects.values_list("job_id", "speaker")) == [(second.pk, "patient")]


def test_withdrawing_analysis_and_video_consent_deletes_the_speech_segments(world, recording):
    analysis_finished_with(recording, world.uploader, "a", speech_segments=SEGMENTS)
    patient = recording.session.patient

    consent_withdraw(patient=patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    consent_withdraw(patient=patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)

    assert not SpeechSegment.objects.filter(patient=patient).exists()
    audit = AccessEvent.objects.get(object_type="derived_results")
    assert audit.details["speech_segments"] == 3
