"""The interaction family's conversation measures on synthetic segment lists with known answers
(exact arithmetic: tolerance 1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.audio import STATUS_NO_AUDIO, STATUS_NO_SPEECH, STATUS_SPEECH, SpeechAnalysis, SpeechSegment
from analysis.metrics.eye_contact import KEYS as EYE_CONTACT_KEYS
from analysis.metrics.interaction import (
    FAMILY,
    METRIC_DEFINITIONS,
    NO_OTHER_SPEECH,
    interaction_report,
    turns,
)
from analysis.results import METRIC_FAMILIES
from analysis.speaker_attribution import OTHER, PATIENT, UNKNOWN

# The eye-contact keys need the video's tracks (tests/analysis/test_eye_contact.py).
CONVERSATION_KEYS = sorted(set(METRIC_DEFINITIONS) - set(EYE_CONTACT_KEYS))


def _speech(spans: list[tuple[float, float, str]], duration_s: float = 60.0) -> SpeechAnalysis:
    segments = [SpeechSegment(a, b, 0.9, speaker=who) for a, b, who in spans]
    return SpeechAnalysis(STATUS_SPEECH, duration_s, segments, np.zeros(0))


def _values(speech: SpeechAnalysis) -> dict:
    return interaction_report(speech).metrics[FAMILY]


# A minute of interview: the examiner asks (0-4 s), the patient answers after 1 s (5-9 s, two
# segments 0.5 s apart), the examiner asks again (12-15), the patient answers after 3 s
# (18-20), and a segment of unknown speaker (30-32) that counts in no turn.
INTERVIEW = [
    (0.0, 4.0, OTHER),
    (5.0, 7.0, PATIENT),
    (7.5, 9.0, PATIENT),
    (12.0, 15.0, OTHER),
    (18.0, 20.0, PATIENT),
    (30.0, 32.0, UNKNOWN),
]


def test_the_interview_gives_its_known_answers():
    values = _values(_speech(INTERVIEW))
    assert set(values) == set(METRIC_DEFINITIONS) and FAMILY in METRIC_FAMILIES
    share = values["interaction.patient_speaking_share"]
    # Patient 2 + 1.5 + 2 = 5.5 s of the 60 - 2 = 58 s whose speaker is known.
    assert share.value == pytest.approx(5.5 / 58.0, abs=1e-9) and share.analysable_s == pytest.approx(58.0)
    # Four turns: other, patient (5-9), other, patient.
    assert values["interaction.turns_per_min"].value == pytest.approx(4.0, abs=1e-9)
    assert values["interaction.patient_turn_mean_s"].value == pytest.approx((4.0 + 2.0) / 2, abs=1e-9)
    assert values["interaction.response_latency_mean_s"].value == pytest.approx((1.0 + 3.0) / 2, abs=1e-9)
    # Gaps: 1, 0.5, 3, 3, 10 s between the six segments.
    assert values["interaction.pauses_per_min"].value == pytest.approx(5.0, abs=1e-9)
    assert values["interaction.pause_mean_s"].value == pytest.approx(17.5 / 5, abs=1e-9)
    for key in CONVERSATION_KEYS:
        metric, definition = values[key], METRIC_DEFINITIONS[key]
        assert metric.unit == definition.unit and definition.description
        assert definition.minimum <= metric.value <= definition.maximum, key


def test_an_answer_that_overlaps_the_question_has_zero_latency():
    values = _values(_speech([(0.0, 4.0, OTHER), (3.5, 6.0, PATIENT)]))
    assert values["interaction.response_latency_mean_s"].value == 0.0


def test_turns_merge_one_speakers_segments_and_skip_unknown_ones():
    found = turns([(5.0, 6.0, PATIENT), (0.0, 1.0, PATIENT), (2.0, 3.0, UNKNOWN), (7.0, 8.0, OTHER)])
    assert [(t.speaker, t.start_s, t.end_s) for t in found] == [(PATIENT, 0.0, 6.0), (OTHER, 7.0, 8.0)]


@pytest.mark.parametrize(
    ("status", "reason_word"), [(STATUS_NO_AUDIO, "no audio track"), (STATUS_NO_SPEECH, "music")]
)
def test_no_audio_or_music_only_gives_nan_with_the_reason_never_zero(status, reason_word):
    values = _values(SpeechAnalysis(status, 60.0))
    assert set(values) == set(METRIC_DEFINITIONS)
    assert all(math.isnan(values[k].value) and reason_word in values[k].reason for k in CONVERSATION_KEYS)


def test_without_the_other_persons_speech_turn_taking_is_nan_with_the_reason():
    values = _values(_speech([(1.0, 3.0, PATIENT), (4.0, 6.0, PATIENT)]))
    assert values["interaction.patient_speaking_share"].value == pytest.approx(4.0 / 60.0)
    for key in ("interaction.turns_per_min", "interaction.response_latency_mean_s"):
        assert math.isnan(values[key].value) and values[key].reason == NO_OTHER_SPEECH
    assert values["interaction.patient_turn_mean_s"].value == pytest.approx(5.0)


def test_speech_of_unknown_speaker_only_gives_nan_shares():
    values = _values(_speech([(1.0, 3.0, UNKNOWN)]))
    share = values["interaction.patient_speaking_share"]
    assert math.isnan(share.value) and "attributed" in share.reason
    assert math.isnan(values["interaction.patient_turn_mean_s"].value)
    assert values["interaction.pauses_per_min"].value == 0.0  # heard speech without a pause
    assert math.isnan(values["interaction.pause_mean_s"].value)
