"""The `interaction` family: who speaks how much, turn-taking and pauses, from the attributed
speech segments (analysis/audio.py, analysis/speaker_attribution.py), and eye contact with the
other person in view during that speech (analysis/metrics/eye_contact.py).

A recording without audio, with silence or music only, gives NaN with the audio's reason, never
0: nothing was heard, which says nothing about how the patient converses. Measures of
turn-taking with another person (turns, response latency) are NaN when no speech of another
person was attributed. Definitions and thresholds: analysis/README.md, "Interaction".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from analysis.audio import STATUS_SPEECH, SpeechAnalysis
from analysis.metrics.config import MetricsConfig
from analysis.metrics.definitions import INF, NON_NEGATIVE, SHARE, MetricDefinition
from analysis.metrics.eye_contact import KEYS, eye_contact_frames, eye_contact_values, write_frame_columns
from analysis.metrics.segments import ProtocolSegment
from analysis.results import MetricsReport, MetricValue
from analysis.speaker_attribution import OTHER, PATIENT, UNKNOWN
from analysis.tracks import Tracks

FAMILY = "interaction"


def _define(key: str, unit: str, description: str, valid: tuple[float, float] = NON_NEGATIVE) -> tuple:
    return key, MetricDefinition(unit, description, FAMILY, *valid)


METRIC_DEFINITIONS: dict[str, MetricDefinition] = dict(
    [
        _define(
            "interaction.patient_speaking_share",
            "share",
            "Share of the time whose speaker is known (the recording less the speech of unknown "
            "speaker) in which the patient speaks.",
            SHARE,
        ),
        _define(
            "interaction.turns_per_min",
            "per_min",
            "Speaking turns per minute: runs of speech by one person (patient or other) ended by "
            "the other's speech; needs another person's speech.",
        ),
        _define(
            "interaction.patient_turn_mean_s", "s", "Mean length of the patient's turns, first word to last."
        ),
        _define(
            "interaction.response_latency_mean_s",
            "s",
            "Mean time from the end of the other person's turn to the start of the patient's next "
            "turn (an answer that starts before the other has finished counts as 0 s).",
            (0.0, INF),
        ),
        _define(
            "interaction.pauses_per_min",
            "per_min",
            "Silences between two speech segments (any speaker, at least 0.3 s) per minute.",
        ),
        _define("interaction.pause_mean_s", "s", "Mean length of the silences between two speech segments."),
        _define(
            "interaction.eye_contact_share",
            "share",
            "Share of the frames with the patient's calibrated gaze and another face in view in "
            "which the patient looks at that face (image-plane angle within tolerance).",
            SHARE,
        ),
        _define(
            "interaction.eye_contact_while_patient_speaks_share",
            "share",
            "Eye-contact share over the frames of the patient's speech.",
            SHARE,
        ),
        _define(
            "interaction.eye_contact_while_other_speaks_share",
            "share",
            "Eye-contact share over the frames of the other person's speech.",
            SHARE,
        ),
        _define(
            "interaction.gaze_aversions_per_min_patient_speaking",
            "per_min",
            "Gaze aversions (eye contact ending, the look away held at least 0.2 s) per minute of "
            "the patient's speech with gaze and another face in view.",
        ),
        _define(
            "interaction.mutual_gaze_episodes_per_min",
            "per_min",
            "Episodes (at least 0.2 s) in which the patient looks at the other's face and the "
            "other's head points at the patient's, per minute of time both were measured.",
        ),
    ]
)
NO_OTHER_SPEECH = (
    "no speech was attributed to another person (no second person in view, or their mouth could "
    "not be seen moving with the sound)"
)
NO_KNOWN_SPEAKER = "no speech segment could be attributed to a speaker"


@dataclass(frozen=True)
class Turn:
    """Consecutive speech segments of one speaker, from the first's start to the last's end."""

    speaker: str
    start_s: float
    end_s: float


def turns(segments: list[tuple[float, float, str]]) -> list[Turn]:
    """Turns from (start_s, end_s, speaker) segments in time order: segments of unknown speaker
    are left out, and consecutive segments of the same speaker form one turn."""
    out: list[Turn] = []
    for start, end, speaker in sorted(segments):
        if speaker == UNKNOWN:
            continue
        if out and out[-1].speaker == speaker:
            out[-1] = Turn(speaker, out[-1].start_s, end)
        else:
            out.append(Turn(speaker, start, end))
    return out


def interaction_report(
    speech: SpeechAnalysis,
    tracks: Tracks | None = None,
    segments: list[ProtocolSegment] | None = None,
    config: MetricsConfig | None = None,
) -> MetricsReport:
    """The interaction family (METRIC_DEFINITIONS), NaN with the reason where it cannot be
    measured: the conversation measures from the speech, the eye-contact ones from every
    person's rows of tracks and the protocol's calibration segment (metrics/eye_contact.py).
    The tracks' per-frame `eye_contact` and `mutual_gaze` columns are written in place."""
    report = _conversation_report(speech)
    if tracks is None:
        eye = {
            key: MetricValue.unknown(unit, "the video's tracks were not given") for key, unit in KEYS.items()
        }
    else:
        config = config or MetricsConfig()
        frames = eye_contact_frames(tracks, config, segments)
        write_frame_columns(tracks, frames)
        eye = eye_contact_values(frames, speech, config)
    report.metrics[FAMILY].update(eye)
    return report


def _conversation_report(speech: SpeechAnalysis) -> MetricsReport:
    """The conversation measures (speaking share, turns, latency, pauses)."""
    keys = [key for key in METRIC_DEFINITIONS if key not in KEYS]
    values: dict[str, MetricValue] = {}
    if speech.status != STATUS_SPEECH or not math.isfinite(speech.duration_s) or speech.duration_s <= 0:
        reason = speech.reason or "the audio track was not analysed"
        for key in keys:
            values[key] = MetricValue.unknown(METRIC_DEFINITIONS[key].unit, reason)
        return MetricsReport(metrics={FAMILY: values})
    duration_s = speech.duration_s
    minutes = duration_s / 60.0
    spans = [(s.start_s, s.end_s, s.speaker) for s in speech.segments]
    unknown_s = sum(end - start for start, end, who in spans if who == UNKNOWN)
    known_s = duration_s - unknown_s
    patient_s = sum(end - start for start, end, who in spans if who == PATIENT)
    all_turns = turns(spans)
    patient_turns = [t for t in all_turns if t.speaker == PATIENT]
    has_other = any(t.speaker == OTHER for t in all_turns)

    if not all_turns:
        values["interaction.patient_speaking_share"] = MetricValue.unknown("share", NO_KNOWN_SPEAKER, known_s)
    else:
        values["interaction.patient_speaking_share"] = MetricValue(patient_s / known_s, "share", "", known_s)
    if has_other:
        values["interaction.turns_per_min"] = MetricValue(len(all_turns) / minutes, "per_min", "", duration_s)
    else:
        values["interaction.turns_per_min"] = MetricValue.unknown("per_min", NO_OTHER_SPEECH, duration_s)
    if patient_turns:
        mean_turn = sum(t.end_s - t.start_s for t in patient_turns) / len(patient_turns)
        values["interaction.patient_turn_mean_s"] = MetricValue(mean_turn, "s")
    else:
        reason = NO_KNOWN_SPEAKER if not all_turns else "no speech was attributed to the patient"
        values["interaction.patient_turn_mean_s"] = MetricValue.unknown("s", reason)
    latencies = [
        max(0.0, after.start_s - before.end_s)
        for before, after in itertools.pairwise(all_turns)
        if before.speaker == OTHER and after.speaker == PATIENT
    ]
    if latencies:
        values["interaction.response_latency_mean_s"] = MetricValue(sum(latencies) / len(latencies), "s")
    else:
        reason = NO_OTHER_SPEECH if not has_other else "the patient never spoke after the other person"
        values["interaction.response_latency_mean_s"] = MetricValue.unknown("s", reason)
    ordered = sorted(spans)
    pauses = [b[0] - a[1] for a, b in itertools.pairwise(ordered) if b[0] > a[1]]
    values["interaction.pauses_per_min"] = MetricValue(len(pauses) / minutes, "per_min", "", duration_s)
    if pauses:
        values["interaction.pause_mean_s"] = MetricValue(sum(pauses) / len(pauses), "s")
    else:
        values["interaction.pause_mean_s"] = MetricValue.unknown(
            "s", "the speech had no pause between segments"
        )
    return MetricsReport(metrics={FAMILY: values})
