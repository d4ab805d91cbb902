"""A recording with speech, analysed by the worker's task with the real models: report.json's
speech segments reach the database as the session's speech, with the speaker the analysis found
(espeak-ng speech over a synthetic person whose mouth opens with it: the patient)."""

import io
import subprocess
import wave

import numpy as np
import pytest

from analysis.synthetic_speech import make_speaking_video
from results.jobs import analysis_job_create
from results.models import AnalysisJob, SpeechSegment
from tests.workers.conftest import store_recording
from workers.tasks import analyse_job

pytestmark = [pytest.mark.slow]
RATE_HZ = 22_050
START_S = 1.0


def _speech_track(duration_s: float = 5.0) -> tuple[np.ndarray, float]:
    """A quiet track (noise at -60 dBFS) with one espeak-ng sentence from START_S; returns the
    track and the sentence's length in seconds."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "Please tell me what you did this morning."],
        check=True,
        capture_output=True,
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2") / 32768.0
    voiced = np.flatnonzero(np.abs(samples) > 0.01)
    speech = samples[voiced[0] : voiced[-1] + 1]
    track = np.random.default_rng(0).normal(0.0, 1e-3, int(duration_s * RATE_HZ))
    first = int(START_S * RATE_HZ)
    track[first : first + speech.size] += speech
    return track, speech.size / RATE_HZ


def test_the_speech_the_analysis_hears_is_stored_with_its_speaker(world, tmp_path, settings):
    settings.ANALYSIS_DISPATCHER = "tests.workers.test_job_services.leave_queued"
    track, length_s = _speech_track()
    video = make_speaking_video(tmp_path / "speaking.mp4", track, RATE_HZ, size=(320, 240))
    job = analysis_job_create(recording=store_recording(world, video))

    analyse_job.apply(args=[job.pk])
    job.refresh_from_db()

    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    segments = list(SpeechSegment.objects.filter(job=job))
    assert segments, "no speech stored"
    assert {s.speaker for s in segments} == {"patient"}
    assert {s.session_id for s in segments} == {job.recording.session_id}
    # The stored span covers the sentence (0.3 s: the detector's window, onset and release).
    assert segments[0].start_s == pytest.approx(START_S, abs=0.3)
    assert segments[-1].end_s == pytest.approx(START_S + length_s, abs=0.3)
    assert all(0 < s.speech_probability <= 1 and 0 <= s.confidence <= 1 for s in segments)
