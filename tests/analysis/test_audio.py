"""Speech segments on synthetic recordings with known truth: espeak-ng speech placed at known
times in an otherwise quiet track, muxed with PyAV into a short video (AAC, 22.05 kHz stereo, so
that the resampling to 16 kHz mono is exercised)."""

from __future__ import annotations

import io
import json
import math
import subprocess
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from analysis.audio import (
    STATUS_NO_AUDIO,
    STATUS_NO_SPEECH,
    STATUS_SILENT,
    STATUS_SPEECH,
    analyse_speech,
    speech_metrics,
)
from analysis.cli import report_json
from analysis.pipeline import analyse_video
from analysis.synthetic_speech import make_speaking_video, mux_audio
from tests.media import video_codec

RATE_HZ = 22_050
DURATION_S = 10.0
# Two utterances placed at known times; the truth is where each utterance's samples are not
# silent (espeak-ng's own leading and trailing silence is trimmed).
UTTERANCES = (
    (1.0, "The quick brown fox jumps over the lazy dog."),
    (5.5, "Please tell me what you did this morning."),
)
# Background of the "quiet" track: white noise at -60 dBFS RMS, a quiet room through a live
# microphone, so that the detector is not judged on digital silence only.
NOISE_RMS = 0.001
# IoU on a 0.1 s grid: at least 0.8 (the criterion). Segment edges may move by one VAD
# window (32 ms) plus the model's onset and release (about 0.1 s each), and espeak-ng's
# inter-word pauses (< MIN_SILENCE_S) are inside the truth span.
GRID_S = 0.1
MIN_IOU = 0.8
# A silent copy: under 0.5 s of speech in total (the criterion).
MAX_SILENT_SPEECH_S = 0.5


def _espeak(text: str) -> np.ndarray:
    """espeak-ng's rendering of text as float samples at RATE_HZ, silence at both ends trimmed."""
    wav = subprocess.run(["espeak-ng", "--stdout", text], check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        assert reader.getframerate() == RATE_HZ and reader.getnchannels() == 1
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2") / 32768.0
    voiced = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[voiced[0] : voiced[-1] + 1]


def _speech_track() -> tuple[np.ndarray, list[tuple[float, float]]]:
    rng = np.random.default_rng(15)
    track = rng.normal(0.0, NOISE_RMS, int(DURATION_S * RATE_HZ))
    truth = []
    for start_s, text in UTTERANCES:
        speech = _espeak(text)
        first = int(start_s * RATE_HZ)
        track[first : first + speech.size] += speech
        truth.append((start_s, start_s + speech.size / RATE_HZ))
    return track, truth


def _write_video(path: Path, audio: np.ndarray | None) -> Path:
    """A grey 64 x 64 video at 10 fps for DURATION_S, with audio (stereo AAC) when given."""
    with av.open(str(path), mode="w") as container:
        video = container.add_stream(video_codec(), rate=10)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        if audio is not None:
            mux_audio(container, audio, RATE_HZ)
        grey = np.full((64, 64, 3), 128, np.uint8)
        for _ in range(int(DURATION_S * 10)):
            container.mux(video.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")))
        container.mux(video.encode())
    return path


def _grid(intervals: list[tuple[float, float]]) -> np.ndarray:
    ticks = (np.arange(int(DURATION_S / GRID_S)) + 0.5) * GRID_S
    return np.any([(ticks >= a) & (ticks < b) for a, b in intervals], axis=0)


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory) -> tuple[Path, list[tuple[float, float]]]:
    track, truth = _speech_track()
    return _write_video(tmp_path_factory.mktemp("speech") / "speech.mp4", track), truth


def test_speech_segments_match_the_placed_utterances(speech_video):
    path, truth = speech_video
    result = analyse_speech(path)
    assert result.status == STATUS_SPEECH and result.reason == ""
    found = [(s.start_s, s.end_s) for s in result.segments]
    expected, detected = _grid(truth), _grid(found)
    iou = (expected & detected).sum() / (expected | detected).sum()
    print(f"speech IoU on a {GRID_S} s grid: {iou:.3f}; truth {truth}; found {found}")
    assert iou >= MIN_IOU
    assert all(0.5 < s.confidence <= 1.0 for s in result.segments)
    assert abs(result.duration_s - DURATION_S) < 0.2
    metrics = speech_metrics(result)
    assert 0 < metrics["speech_share"].value < 1 and metrics["speech_share"].reason == ""
    report = result.segments[0].as_report()
    assert report["kind"] == "speech" and report["speaker"] == "unknown"
    assert result.envelope_rms.size == pytest.approx(DURATION_S / 0.032, abs=8)
    speaking = np.zeros(result.envelope_rms.size, dtype=bool)
    for a, b in truth:
        speaking[int(a / 0.032) : int(b / 0.032)] = True
    # The envelope is loud where the utterances are and at the noise floor elsewhere.
    assert np.median(result.envelope_rms[speaking]) > 10 * np.median(result.envelope_rms[~speaking])


def test_a_silent_copy_has_no_speech(tmp_path):
    rng = np.random.default_rng(15)
    quiet = rng.normal(0.0, NOISE_RMS, int(DURATION_S * RATE_HZ))
    result = analyse_speech(_write_video(tmp_path / "quiet.mp4", quiet))
    assert result.speech_s < MAX_SILENT_SPEECH_S
    assert result.status != STATUS_SPEECH and result.reason
    metrics = speech_metrics(result)
    assert all(math.isnan(m.value) and m.reason == result.reason for m in metrics.values())


def _melody() -> np.ndarray:
    """A played melody: 0.4 s notes of C major arpeggios, five harmonics each, decaying like a
    plucked string; loud (peak about -10 dBFS), so that only the absence of speech can explain
    an empty result."""
    t = np.arange(int(0.4 * RATE_HZ)) / RATE_HZ
    notes = [261.6, 329.6, 392.0, 523.3, 392.0, 329.6] * 5
    tones = [
        sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6)) * np.exp(-3 * t) * 0.2 for f in notes
    ]
    melody = np.concatenate(tones)
    return np.pad(melody, (0, max(0, int(DURATION_S * RATE_HZ) - melody.size)))[: int(DURATION_S * RATE_HZ)]


def test_music_only_gives_no_speech(tmp_path):
    result = analyse_speech(_write_video(tmp_path / "music.mp4", _melody()))
    assert result.status == STATUS_NO_SPEECH and result.segments == []
    assert "music" in result.reason
    assert all(math.isnan(m.value) and m.reason for m in speech_metrics(result).values())


def test_digital_silence_is_reported_as_silent(tmp_path):
    result = analyse_speech(_write_video(tmp_path / "silent.mp4", np.zeros(int(DURATION_S * RATE_HZ))))
    assert result.status == STATUS_SILENT and result.segments == []
    assert "silent" in result.reason


def test_a_video_without_audio_says_so(tmp_path):
    result = analyse_speech(_write_video(tmp_path / "mute.mp4", None))
    assert result.status == STATUS_NO_AUDIO and result.segments == []
    assert result.reason == "the recording has no audio track"
    assert all(math.isnan(m.value) for m in speech_metrics(result).values())


def test_report_json_lists_the_speech_segments(speech_video):
    path, _ = speech_video
    result = analyse_video(path, workers=1)
    report = json.loads(json.dumps(report_json(result), allow_nan=False))
    assert report["audio"] == {"status": STATUS_SPEECH, "reason": None}
    spans = [(s["start_s"], s["end_s"], s["speech_probability"]) for s in report["segments"]]
    alone = [(s.start_s, s.end_s, s.confidence) for s in analyse_speech(path).segments]
    assert spans == [(round(a, 3), round(b, 3), round(p, 3)) for a, b, p in alone]
    assert len(report["segments"]) == len(UTTERANCES)
    # A grey picture: nobody's mouth is visible, so nobody can be named the speaker.
    assert all(s["kind"] == "speech" and s["speaker"] == "unknown" for s in report["segments"])
    assert all(s["confidence"] == 0.0 for s in report["segments"])
    # Without a known speaker the interaction family is NaN (null) with the reason, never 0.
    interaction = report["metrics"]["interaction"]
    assert interaction["interaction.patient_speaking_share"]["value"] is None
    assert "attributed" in interaction["interaction.patient_speaking_share"]["reason"]
    assert interaction["interaction.pauses_per_min"]["value"] > 0
    # The per-frame columns: speech where the segments are, speaker "unknown" (3) there.
    in_speech = result.tracks.speech
    assert in_speech.any() and not in_speech.all()
    assert set(np.unique(result.tracks.speaker[in_speech])) == {3}
    assert not result.tracks.speaker[~in_speech].any()


def test_speech_is_attributed_to_the_patient_whose_mouth_moves_with_it(tmp_path):
    """espeak-ng speech at known times over the astronaut photo whose mouth opens with the
    sound's loudness (analysis/synthetic_speech.py): every segment is the patient's. Tolerance:
    a confidence of at least 0.4 (MIN_CORRELATION: nobody else is in view, so the confidence is
    the mouth's correlation itself)."""
    track, truth = _speech_track()
    path = make_speaking_video(tmp_path / "speaking.mp4", track, RATE_HZ)
    result = analyse_video(path, workers=1)
    segments = result.speech.segments
    print(f"speakers: {[(round(s.start_s, 2), s.speaker, round(s.speaker_confidence, 2)) for s in segments]}")
    assert len(segments) == len(truth)
    assert all(s.speaker == "patient" and s.speaker_confidence >= 0.4 for s in segments)
    patient_rows = result.tracks.is_patient
    assert set(np.unique(result.tracks.speaker[patient_rows & result.tracks.speech])) == {1}
    interaction = result.report.metrics["interaction"]
    share = interaction["interaction.patient_speaking_share"]
    assert share.value == pytest.approx(result.speech.speech_s / result.speech.duration_s, abs=1e-6)
    assert math.isnan(interaction["interaction.turns_per_min"].value)  # nobody else spoke


def test_speech_over_a_still_mouth_is_not_given_to_the_patient(tmp_path):
    """The control: the same speech over the same photo with its mouth closed throughout (the
    voice of someone out of view) is "unknown", never the patient's."""
    track, truth = _speech_track()
    path = make_speaking_video(tmp_path / "listening.mp4", track, RATE_HZ, mouth_moves=False)
    result = analyse_video(path, workers=1)
    assert len(result.speech.segments) == len(truth)
    assert all(s.speaker == "unknown" for s in result.speech.segments)
    assert math.isnan(result.report.metrics["interaction"]["interaction.patient_speaking_share"].value)
