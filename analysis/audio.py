"""Speech segments from a recording's audio track: PyAV decoding to 16 kHz mono, Silero VAD
(the ONNX model shipped in the installed `silero-vad` wheel, run with onnxruntime) and merging
of the per-window speech probability into segments.

Decoding and voice activity run as one stream, so memory stays flat whatever the recording's
length. A recording without an audio track, or with silence or music only, gives a status that
says so and no segments; its speech metrics are NaN with the reason, never 0.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import onnxruntime

from analysis.errors import NotAVideoError

# Silero VAD is trained on 16 kHz mono audio.
SAMPLE_RATE_HZ = 16_000
# The model's window at 16 kHz (32 ms), and the context it carries over from the previous window.
VAD_WINDOW_SAMPLES = 512
VAD_CONTEXT_SAMPLES = 64
WINDOW_S = VAD_WINDOW_SAMPLES / SAMPLE_RATE_HZ
# Hysteresis on the speech probability, Silero's own defaults: speech starts at 0.5 and ends
# below 0.35, so that a probability wobbling around 0.5 inside a word does not cut it.
SPEECH_START_PROBABILITY = 0.5
SPEECH_END_PROBABILITY = 0.35
# Shorter bursts are clicks, coughs or a chair moving, not speech: a syllable lasts about
# 0.2-0.3 s, and Silero's default minimum speech duration is 0.25 s.
MIN_SPEECH_S = 0.25
# Pauses shorter than this are gaps between words inside one utterance (brief pauses last under
# 0.2 s, Campione & Véronis, Speech Prosody 2002), not the end of a turn; they are merged.
MIN_SILENCE_S = 0.3
# Peak level below which the track is "silent" (digital silence or a muted microphone):
# -60 dBFS is below any room's background noise picked up by a live microphone.
SILENCE_PEAK_DBFS = -60.0

STATUS_SPEECH = "speech"
STATUS_NO_AUDIO = "no_audio"
STATUS_SILENT = "silent"
STATUS_NO_SPEECH = "no_speech"
STATUS_UNREADABLE = "unreadable_audio"
_REASONS = {
    STATUS_UNREADABLE: "the audio track cannot be decoded (the file may be damaged)",
    STATUS_NO_AUDIO: "the recording has no audio track",
    STATUS_SILENT: "the audio track is silent",
    STATUS_NO_SPEECH: "no speech was detected in the audio track (silence, noise or music only)",
}
_VAD_MODEL = "silero_vad/data/silero_vad.onnx"


@dataclass(frozen=True)
class SpeechSegment:
    """One stretch of speech; confidence is the mean speech probability over its windows."""

    start_s: float
    end_s: float
    confidence: float
    # Who speaks and how sure (analysis/speaker_attribution.py); "unknown" until attributed.
    speaker: str = "unknown"
    speaker_confidence: float = 0.0

    def as_report(self) -> dict:
        """The report.json form: `confidence` is the speaker attribution's, `speech_probability`
        the voice activity's."""
        return {
            "kind": "speech",
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "speaker": self.speaker,
            "confidence": round(self.speaker_confidence, 3),
            "speech_probability": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class SpeechAnalysis:
    """What the audio track says about speech. reason is "" when status is STATUS_SPEECH."""

    status: str
    duration_s: float
    segments: list[SpeechSegment] = field(default_factory=list)
    # RMS level of each VAD window (window i starts at i * WINDOW_S): the speech envelope.
    envelope_rms: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def reason(self) -> str:
        return _REASONS.get(self.status, "")

    @property
    def speech_s(self) -> float:
        return sum(s.end_s - s.start_s for s in self.segments)


@dataclass(frozen=True)
class SpeechMetric:
    value: float
    unit: str
    reason: str = ""


def speech_metrics(analysis: SpeechAnalysis) -> dict[str, SpeechMetric]:
    """Session-level speech measures; NaN with the reason when there is no speech to measure
    (a track without speech says nothing about how a person speaks)."""
    if analysis.status != STATUS_SPEECH:
        nan = float("nan")
        return {
            "speech_share": SpeechMetric(nan, "share", analysis.reason),
            "speech_segments_per_min": SpeechMetric(nan, "1/min", analysis.reason),
            "speech_segment_mean_s": SpeechMetric(nan, "s", analysis.reason),
        }
    n = len(analysis.segments)
    return {
        "speech_share": SpeechMetric(analysis.speech_s / analysis.duration_s, "share"),
        "speech_segments_per_min": SpeechMetric(n / (analysis.duration_s / 60.0), "1/min"),
        "speech_segment_mean_s": SpeechMetric(analysis.speech_s / n, "s"),
    }


@functools.cache
def _vad_session() -> onnxruntime.InferenceSession:
    """The Silero VAD model from the installed wheel's own files (never downloaded). One thread:
    the model runs small sequential windows, and the video passes need the other cores."""
    path = importlib.metadata.distribution("silero-vad").locate_file(_VAD_MODEL)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _decoded_audio(container: av.container.InputContainer) -> Iterator[np.ndarray]:
    """The first audio stream as float32 mono blocks at SAMPLE_RATE_HZ."""
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE_HZ)
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            yield out.to_ndarray().reshape(-1)
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1)


def speech_probabilities(blocks: Iterator[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """Silero's speech probability and the RMS level per VAD window of 16 kHz mono blocks, and
    the peak level in dBFS. The last partial window is zero-padded."""
    session = _vad_session()
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, VAD_CONTEXT_SAMPLES), np.float32)
    rate = np.array(SAMPLE_RATE_HZ, dtype=np.int64)
    pending = np.zeros(0, np.float32)
    probabilities: list[float] = []
    levels: list[float] = []
    peak = 0.0

    def run(window: np.ndarray) -> None:
        nonlocal state, context
        x = np.concatenate([context, window[None, :]], axis=1)
        out, state = session.run(None, {"input": x, "state": state, "sr": rate})
        context = x[:, -VAD_CONTEXT_SAMPLES:]
        probabilities.append(float(out[0, 0]))
        levels.append(float(np.sqrt(np.mean(np.square(window, dtype=np.float64)))))

    for block in blocks:
        if block.size:
            peak = max(peak, float(np.max(np.abs(block))))
        pending = np.concatenate([pending, block.astype(np.float32, copy=False)])
        n_full = pending.size // VAD_WINDOW_SAMPLES
        for k in range(n_full):
            run(pending[k * VAD_WINDOW_SAMPLES : (k + 1) * VAD_WINDOW_SAMPLES])
        pending = pending[n_full * VAD_WINDOW_SAMPLES :]
    if pending.size:
        run(np.pad(pending, (0, VAD_WINDOW_SAMPLES - pending.size)))
    peak_dbfs = 20.0 * math.log10(peak) if peak > 0 else -math.inf
    return np.asarray(probabilities, dtype=np.float64), np.asarray(levels), peak_dbfs


def speech_segments(probabilities: np.ndarray) -> list[SpeechSegment]:
    """Per-window probabilities -> segments: hysteresis, pauses under MIN_SILENCE_S merged,
    then stretches under MIN_SPEECH_S dropped."""
    runs: list[list[int]] = []  # [first window, end window (exclusive)]
    speaking = False
    for i, p in enumerate(probabilities):
        if not speaking and p >= SPEECH_START_PROBABILITY:
            speaking = True
            runs.append([i, i + 1])
        elif speaking and p >= SPEECH_END_PROBABILITY:
            runs[-1][1] = i + 1
        elif speaking:
            speaking = False
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * WINDOW_S < MIN_SILENCE_S:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return [
        SpeechSegment(start * WINDOW_S, end * WINDOW_S, float(np.mean(probabilities[start:end])))
        for start, end in merged
        if (end - start) * WINDOW_S >= MIN_SPEECH_S
    ]


def analyse_speech(path: str | Path) -> SpeechAnalysis:
    """Speech segments of the recording at path (its first audio track)."""
    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FileNotFoundError, IsADirectoryError) as error:
        raise NotAVideoError(f"{Path(path).name} is not a readable media file.") from error
    with container:
        if not container.streams.audio:
            duration_s = container.duration / av.time_base if container.duration else math.nan
            return SpeechAnalysis(STATUS_NO_AUDIO, duration_s)
        try:
            probabilities, levels, peak_dbfs = speech_probabilities(_decoded_audio(container))
        except av.error.InvalidDataError:
            # A damaged audio track must not cost the video's analysis: it is reported instead.
            return SpeechAnalysis(STATUS_UNREADABLE, math.nan)
    duration_s = probabilities.size * WINDOW_S
    if peak_dbfs < SILENCE_PEAK_DBFS:
        return SpeechAnalysis(STATUS_SILENT, duration_s)
    segments = speech_segments(probabilities)
    if not segments:
        return SpeechAnalysis(STATUS_NO_SPEECH, duration_s)
    return SpeechAnalysis(STATUS_SPEECH, duration_s, segments, levels)


class SpeechInBackground:
    """analyse_speech(path) in a thread started at once, so that the audio is decoded and its
    voice activity found while the worker processes analyse the picture (the voice-activity
    model and the decoder release the GIL). cpu_s: the thread's CPU seconds, once done."""

    def __init__(self, path: str | Path) -> None:
        self.cpu_s = 0.0
        self._outcome: SpeechAnalysis | BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="speech", daemon=True)
        self._thread.start()

    def _run(self, path: str | Path) -> None:
        start = time.thread_time()
        try:
            self._outcome = analyse_speech(path)
        except BaseException as error:  # raised again in the caller's thread by result()
            self._outcome = error
        self.cpu_s = time.thread_time() - start

    def result(self) -> SpeechAnalysis:
        """The speech analysis, waiting for the thread; its error is raised here."""
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome
