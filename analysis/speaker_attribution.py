"""Who speaks in each speech segment: the patient, the other person, or unknown, from the
mouth movement that goes with the sound.

A speaker's lips open and close with the syllables, so the short-time variation of their lip
aperture (inner-lip distance / IOD, Face Mesh 13-14 over 33-263) rises and falls with the audio's
loudness; a listener's mouth does not follow it. For each person whose face is visible, the
variation |a(t_k) - a(t_k-1)| between consecutive face samples is correlated (Pearson) with the
audio RMS envelope averaged over the same interval, over the segment plus CONTEXT_S either
side (so that the silence around it counts: a mouth that moves only while there is sound). The
sampling interval of each person is their own (the patient's every analysed frame, the other
person's face mesh at a reduced rate), so the same test serves both.

Thresholds (analysis/README.md, "Speaker attribution"): the correlation must reach
MIN_CORRELATION and the chance level of a still mouth's jitter, 2 / sqrt(n - 1) for n intervals
(two standard deviations of the correlation of independent noise), and beat the other person's
correlation by MIN_MARGIN; otherwise the segment's speaker is "unknown".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from analysis.audio import WINDOW_S, SpeechAnalysis
from analysis.tracks import FACE_LEFT_EYE_OUTER, FACE_RIGHT_EYE_OUTER, Tracks

FACE_UPPER_LIP_INNER, FACE_LOWER_LIP_INNER = 13, 14
# Silence either side of a segment that enters the correlation: a turn boundary's pause lasts
# 0.3-1 s, so 1.5 s holds a still mouth before and after the speech for the test to contrast.
CONTEXT_S = 1.5
# A correlation below this explains under 16 % of the variation: not evidence of speaking.
MIN_CORRELATION = 0.4
# The speaker's correlation must beat the other person's by this much, or both mouths move
# alike (both talking over each other, or both chewing) and the sound cannot be given to one.
MIN_MARGIN = 0.2
# Fewer face-sample intervals than this in the window say nothing (the correlation of 4
# points is 1 by chance a third of the time).
MIN_INTERVALS = 6

# Consecutive face samples further apart than this are not an interval (the face was lost in
# between): twice the other person's face-mesh period (OTHER_FACE_EVERY_S, 0.5 s).
MAX_INTERVAL_S = 1.0

PATIENT, OTHER, UNKNOWN = "patient", "other", "unknown"
# Per-frame speaker codes of the Parquet tracks' `speaker` column.
SPEAKER_CODES = {"": 0, PATIENT: 1, OTHER: 2, UNKNOWN: 3}


@dataclass(frozen=True)
class MouthTrack:
    """One person's lip aperture (IOD) at their face samples' times (s); NaN where no face."""

    role: str
    time_s: np.ndarray
    aperture_iod: np.ndarray


@dataclass(frozen=True)
class AudioEnvelope:
    """The audio's RMS level per short window starting at time_s (s)."""

    time_s: np.ndarray
    rms: np.ndarray


@dataclass(frozen=True)
class Attribution:
    """A segment's speaker, its confidence in [0, 1] (the winner's correlation margin over the
    other person and over 0), and why it is unknown ("" when it is not)."""

    speaker: str
    confidence: float
    reason: str = ""


def lip_aperture_iod(face_xy: np.ndarray) -> np.ndarray:
    """Inner-lip distance divided by the inter-ocular distance, shape (n,); NaN without a face."""
    xy = np.asarray(face_xy, dtype=np.float64)
    lips = np.linalg.norm(xy[:, FACE_UPPER_LIP_INNER] - xy[:, FACE_LOWER_LIP_INNER], axis=-1)
    iod = np.linalg.norm(xy[:, FACE_LEFT_EYE_OUTER] - xy[:, FACE_RIGHT_EYE_OUTER], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(iod > 0, lips / iod, np.nan)


def mouth_tracks(tracks: Tracks) -> list[MouthTrack]:
    """The patient's and every other tracked person's lip aperture from all rows of the tracks
    (rows with person_id -1 are nobody's)."""
    out: list[MouthTrack] = []
    for person in np.unique(tracks.person_id):
        if person < 0:
            continue
        # Every row: the face models look at every analysed frame (motion-adaptive sampling
        # fills the body models' fields only), and rows without a face mesh are NaN.
        rows = tracks.select(tracks.person_id == person)
        order = np.argsort(rows.time_s, kind="stable")
        role = PATIENT if bool(rows.is_patient.any()) else OTHER
        out.append(MouthTrack(role, rows.time_s[order], lip_aperture_iod(rows.face_xy[order])))
    return out


def mouth_envelope_correlation(
    mouth: MouthTrack, envelope: AudioEnvelope, start_s: float, end_s: float
) -> tuple[float, int]:
    """Pearson correlation of the aperture's variation with the mean RMS over each interval
    between consecutive face samples in [start_s - CONTEXT_S, end_s + CONTEXT_S], and the
    number of intervals (consecutive measured samples at most MAX_INTERVAL_S apart). NaN when
    there are fewer than MIN_INTERVALS; 0 when the mouth or the sound does not vary (a still
    mouth is no evidence of speaking)."""
    inside = (mouth.time_s >= start_s - CONTEXT_S) & (mouth.time_s <= end_s + CONTEXT_S)
    inside &= np.isfinite(mouth.aperture_iod)
    t, a = mouth.time_s[inside], mouth.aperture_iod[inside]
    both = np.diff(t) <= MAX_INTERVAL_S
    n = int(both.sum())
    if n < MIN_INTERVALS:
        return math.nan, n
    variation = np.abs(np.diff(a))[both]
    starts, ends = t[:-1][both], t[1:][both]
    # Mean RMS of the envelope windows inside each interval (cumulative sums: one pass).
    cumulative = np.concatenate([[0.0], np.cumsum(envelope.rms, dtype=np.float64)])
    lo = np.searchsorted(envelope.time_s, starts, side="left")
    hi = np.maximum(np.searchsorted(envelope.time_s, ends, side="left"), lo + 1)
    hi = np.minimum(hi, envelope.rms.size)
    lo = np.minimum(lo, hi - 1)
    level = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    if np.std(variation) == 0 or np.std(level) == 0:
        return 0.0, n
    return float(np.corrcoef(variation, level)[0, 1]), n


def attribute_segment(
    mouths: list[MouthTrack], envelope: AudioEnvelope, start_s: float, end_s: float
) -> Attribution:
    """The speaker of the speech in [start_s, end_s] (module docstring: the test and thresholds)."""
    best: dict[str, tuple[float, int]] = {}
    for mouth in mouths:
        r, n = mouth_envelope_correlation(mouth, envelope, start_s, end_s)
        if math.isfinite(r) and (mouth.role not in best or r > best[mouth.role][0]):
            best[mouth.role] = (r, n)
    if not best:
        return Attribution(UNKNOWN, 0.0, "no face was visible during the speech")
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    role, (r, n) = ranked[0]
    rival = max(ranked[1][1][0], 0.0) if len(ranked) > 1 else 0.0
    confidence = float(np.clip(r - rival, 0.0, 1.0))
    chance = 2.0 / math.sqrt(n - 1)
    if r < max(MIN_CORRELATION, chance):
        return Attribution(
            UNKNOWN,
            confidence,
            f"no visible mouth moved with the sound (best correlation {r:.2f}, "
            f"needs {max(MIN_CORRELATION, chance):.2f})",
        )
    if len(ranked) > 1 and r - ranked[1][1][0] < MIN_MARGIN:
        return Attribution(UNKNOWN, confidence, "both people's mouths moved alike with the sound")
    return Attribution(role, confidence)


def attribute_segments(
    segments: list[tuple[float, float]], mouths: list[MouthTrack], envelope: AudioEnvelope
) -> list[Attribution]:
    """attribute_segment for each (start_s, end_s)."""
    return [attribute_segment(mouths, envelope, start, end) for start, end in segments]


def frame_speech(
    time_s: np.ndarray, segments: list[tuple[float, float]], speakers: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame `speech` (bool) and `speaker` (SPEAKER_CODES, int8) columns: whether the frame's
    time lies in a speech segment, and that segment's speaker (0 outside speech)."""
    t = np.asarray(time_s, dtype=np.float64)
    speech = np.zeros(t.shape, dtype=bool)
    speaker = np.zeros(t.shape, dtype=np.int8)
    for (start, end), who in zip(segments, speakers, strict=True):
        inside = (t >= start) & (t < end)
        speech |= inside
        speaker[inside] = SPEAKER_CODES[who]
    return speech, speaker


def attribute_speech(speech: SpeechAnalysis, tracks: Tracks) -> SpeechAnalysis:
    """speech with each segment's speaker and confidence, from every person's rows of tracks;
    the tracks' `speech` and `speaker` columns are written in place."""
    spans = [(seg.start_s, seg.end_s) for seg in speech.segments]
    envelope = AudioEnvelope(np.arange(speech.envelope_rms.size) * WINDOW_S, speech.envelope_rms)
    found = attribute_segments(spans, mouth_tracks(tracks), envelope) if spans else []
    segments = [
        dataclasses.replace(seg, speaker=a.speaker, speaker_confidence=a.confidence)
        for seg, a in zip(speech.segments, found, strict=True)
    ]
    tracks.speech, tracks.speaker = frame_speech(tracks.time_s, spans, [a.speaker for a in found])
    return dataclasses.replace(speech, segments=segments)
