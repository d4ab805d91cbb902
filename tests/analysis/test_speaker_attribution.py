"""Speaker attribution on synthetic lip apertures and audio envelopes with a known speaker.

Tolerances: the mouth that moves with the sound must win with a confidence of at least 0.3
(its variation's correlation with the envelope is about 0.58 at 10 fps here: the variation
peaks on a syllable's slopes while the sound peaks mid-syllable; a still mouth's, with landmark
jitter of 0.003 IOD, MediaPipe's 1-2 px at 40 px IOD, is 0 +- 0.2); two mouths moving alike must give
"unknown" with a confidence under MIN_MARGIN.
"""

from __future__ import annotations

import numpy as np

from analysis.speaker_attribution import (
    MIN_MARGIN,
    OTHER,
    PATIENT,
    SPEAKER_CODES,
    UNKNOWN,
    AudioEnvelope,
    MouthTrack,
    attribute_segment,
    attribute_segments,
    frame_speech,
    mouth_tracks,
)
from analysis.tracks import (
    FACE_LEFT_EYE_OUTER,
    FACE_RIGHT_EYE_OUTER,
    Tracks,
    from_table,
    read_parquet,
    to_table,
    write_parquet,
)

SPEECH = (3.0, 6.0)
DURATION_S = 10.0


# Syllable boundaries inside SPEECH: irregular, 0.15-0.35 s each, as in running speech (a
# regular rhythm would alias at the other person's 2 Hz face-mesh rate).
_SYLLABLE_EDGES_S = SPEECH[0] + np.cumsum(np.random.default_rng(0).uniform(0.15, 0.35, 20))


def _syllables(t: np.ndarray) -> np.ndarray:
    """0 outside SPEECH, inside it a half-sine bump per syllable (0 at its edges, 1 mid-way)."""
    edges = np.concatenate([[SPEECH[0]], _SYLLABLE_EDGES_S[_SYLLABLE_EDGES_S < SPEECH[1]], [SPEECH[1]]])
    k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)
    phase = (t - edges[k]) / (edges[k + 1] - edges[k])
    speaking = (t >= SPEECH[0]) & (t < SPEECH[1])
    return np.where(speaking, np.sin(np.pi * np.clip(phase, 0.0, 1.0)), 0.0)


def _envelope(rng: np.random.Generator) -> AudioEnvelope:
    """Syllables during SPEECH, room noise elsewhere, in 32 ms windows."""
    t = np.arange(0.0, DURATION_S, 0.032)
    speaking = (t >= SPEECH[0]) & (t < SPEECH[1])
    rms = np.where(speaking, 0.1 * (0.2 + _syllables(t)), 0.001)
    return AudioEnvelope(t, rms + rng.normal(0.0, 0.0005, t.size) ** 2)


def _mouth(role: str, moving: bool, rng: np.random.Generator, fps: float = 10.0) -> MouthTrack:
    """Aperture at fps: opening and closing with the syllables during SPEECH when moving."""
    t = np.arange(0.0, DURATION_S, 1.0 / fps)
    aperture = np.full(t.size, 0.05)
    if moving:
        aperture += 0.3 * _syllables(t)
    return MouthTrack(role, t, aperture + rng.normal(0.0, 0.003, t.size))


def test_the_mouth_moving_with_the_speech_is_the_speaker() -> None:
    rng = np.random.default_rng(1)
    envelope = _envelope(rng)
    patient = attribute_segment([_mouth(PATIENT, True, rng), _mouth(OTHER, False, rng)], envelope, *SPEECH)
    other = attribute_segment([_mouth(PATIENT, False, rng), _mouth(OTHER, True, rng)], envelope, *SPEECH)
    assert (patient.speaker, patient.reason) == (PATIENT, "")
    assert patient.confidence >= 0.3
    assert other.speaker == OTHER
    assert other.confidence >= 0.3


def test_the_other_persons_reduced_rate_mesh_is_enough_for_a_long_turn() -> None:
    """The other person's face mesh runs every 0.5 s (2 Hz): over a 3 s turn and its context,
    about 11 intervals, and the chance level 2 / sqrt(10) = 0.63 must still be passed."""
    rng = np.random.default_rng(2)
    envelope = _envelope(rng)
    mouths = [_mouth(PATIENT, False, rng), _mouth(OTHER, True, rng, fps=2.0)]
    result = attribute_segment(mouths, envelope, *SPEECH)
    assert result.speaker == OTHER


def test_no_visible_face_gives_unknown() -> None:
    rng = np.random.default_rng(3)
    hidden = _mouth(PATIENT, True, rng)
    hidden = MouthTrack(PATIENT, hidden.time_s, np.full(hidden.time_s.size, np.nan))
    result = attribute_segment([hidden], _envelope(rng), *SPEECH)
    assert result.speaker == UNKNOWN
    assert result.confidence == 0.0
    assert "no face" in result.reason
    assert attribute_segment([], _envelope(rng), *SPEECH).speaker == UNKNOWN


def test_both_mouths_moving_alike_give_unknown_with_low_confidence() -> None:
    rng = np.random.default_rng(4)
    envelope = _envelope(rng)
    mouths = [_mouth(PATIENT, True, rng), _mouth(OTHER, True, rng)]
    result = attribute_segment(mouths, envelope, *SPEECH)
    assert result.speaker == UNKNOWN
    assert result.confidence < MIN_MARGIN
    assert "alike" in result.reason


def test_still_mouths_only_give_unknown() -> None:
    rng = np.random.default_rng(5)
    result = attribute_segment(
        [_mouth(PATIENT, False, rng), _mouth(OTHER, False, rng)], _envelope(rng), *SPEECH
    )
    assert result.speaker == UNKNOWN
    assert "moved with the sound" in result.reason


def test_frame_columns_follow_the_segments() -> None:
    t = np.arange(0.0, 10.0, 0.1)
    speech, speaker = frame_speech(t, [(3.0, 6.0), (7.0, 8.0)], [PATIENT, UNKNOWN])
    assert speech.sum() == 40
    assert set(np.unique(speaker[(t >= 3.0) & (t < 6.0)])) == {SPEAKER_CODES[PATIENT]}
    assert set(np.unique(speaker[(t >= 7.0) & (t < 8.0)])) == {SPEAKER_CODES[UNKNOWN]}
    assert not speaker[~speech].any()


def test_mouth_tracks_from_tracks_give_the_patient_and_other_roles() -> None:
    """Two people's rows built as the pipeline stores them; the patient's mouth moves with the
    speech: attribution from the Tracks gives the patient."""
    rng = np.random.default_rng(6)
    envelope = _envelope(rng)
    parts = []
    for person, moving in ((1, True), (2, False)):
        mouth = _mouth(PATIENT, moving, rng)
        rows = Tracks.empty(mouth.time_s.size)
        rows.time_s = mouth.time_s
        rows.person_id[:] = person
        rows.is_patient[:] = person == 1
        rows.face_xy[:, FACE_RIGHT_EYE_OUTER] = (100.0, 100.0)
        rows.face_xy[:, FACE_LEFT_EYE_OUTER] = (160.0, 100.0)
        rows.face_xy[:, 13] = np.stack(
            [np.full(mouth.time_s.size, 130.0), np.full(mouth.time_s.size, 150.0)], 1
        )
        rows.face_xy[:, 14, 0] = 130.0
        rows.face_xy[:, 14, 1] = 150.0 + 60.0 * mouth.aperture_iod
        parts.append(rows)
    mouths = mouth_tracks(Tracks.concatenate(parts))
    assert sorted(m.role for m in mouths) == [OTHER, PATIENT]
    [result] = attribute_segments([SPEECH], mouths, envelope)
    assert result.speaker == PATIENT


def test_speech_columns_round_trip_through_parquet_and_older_files_read_as_no_speech(tmp_path) -> None:
    tracks = Tracks.empty(50)
    tracks.time_s = np.arange(50) / 10.0
    tracks.speech, tracks.speaker = frame_speech(tracks.time_s, [(1.0, 2.0)], [OTHER])
    write_parquet(tracks, tmp_path / "tracks.parquet")
    back = read_parquet(tmp_path / "tracks.parquet")
    assert np.array_equal(back.speech, tracks.speech) and back.speech.sum() == 10
    assert np.array_equal(back.speaker, tracks.speaker) and back.speaker.dtype == np.int8
    older = from_table(to_table(tracks).drop_columns(["speech", "speaker"]))
    assert not older.speech.any() and not older.speaker.any()
