"""API fixtures: one analysed session of the memory-clinic patient, the speech heard on it, and
token clients."""

from dataclasses import dataclass

import pytest

from recordings.models import Recording
from results.models import AnalysisJob, BehaviourEvent, SpeechSegment
from tests import factories


@dataclass
class Analysed:
    session: object
    recording: Recording
    job: AnalysisJob
    event: BehaviourEvent
    queued_job: AnalysisJob


def make_analysed_session(patient, *, by, on=None, n_windows: int = 3) -> Analysed:
    """tests.factories' analysed session with the figures the API tests read back (three windows
    of apathy.neutral_share, a whole-session episode rate, one rocking episode), and beside it a
    queued analysis of the same recording by a newer pipeline."""
    job = factories.make_analysed_session(
        patient,
        by=by,
        on=on,
        windows={"apathy.neutral_share": [0.5 + 0.1 * i for i in range(n_windows)]},
        session_values={"stereotypy.episodes_per_min": 1.5},
        units={"stereotypy.episodes_per_min": "per_min"},
        events=[("body_rocking", 3.0, 11.0)],
        event_fields={"body_part": "torso", "frequency_hz": 1.0, "confidence": 0.9},
        model_versions=[{"name": "mediapipe-pose-full", "version": "0.10.14"}],
        recording_fields={"size_px": (640, 480), "file_name": "recordings/test/video.video"},
    )
    recording = job.recording
    queued_job = AnalysisJob.objects.create(recording=recording, pipeline_version="1.0.1", stage="waiting")
    return Analysed(
        session=recording.session, recording=recording, job=job, event=job.events.get(), queued_job=queued_job
    )


HEARD = [(0.5, 2.0, "patient", 0.8, 0.93), (2.5, 4.0, "other", 0.6, 0.88), (4.5, 5.0, "unknown", 0.0, 0.7)]


def add_speech(analysed: Analysed) -> None:
    """Three speech segments on the analysed session, one per speaker (start_s, end_s, speaker,
    confidence, speech probability as in HEARD)."""
    for start_s, end_s, speaker, confidence, probability in HEARD:
        SpeechSegment.objects.create(
            job=analysed.job, patient=analysed.session.patient, session=analysed.session, start_s=start_s,
            end_s=end_s, speaker=speaker, confidence=confidence, speech_probability=probability,
        )  # fmt: skip


@pytest.fixture
def analysed(world) -> Analysed:
    return make_analysed_session(world.patient, by=world.clinician)
