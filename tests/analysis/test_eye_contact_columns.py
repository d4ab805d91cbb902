"""The per-frame eye-contact and mutual-gaze decisions are kept in the tracks (Parquet columns,
patient's rows) and read back as episodes for the report and the session timeline, on the
synthetic minute of test_eye_contact.py (known answers: eye contact in 10-30 s and 50-60 s,
mutual gaze where the other person's head also turns back, 10-20 s and 52-58 s)."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from analysis.metrics.config import MetricsConfig
from analysis.metrics.eye_contact import (
    CONTACT,
    EYE_CONTACT,
    MUTUAL_GAZE,
    NO_CONTACT,
    NOT_MEASURED,
    contact_episodes,
    eye_contact_frames,
)
from analysis.tracks import read_parquet, write_parquet
from tests.analysis.test_eye_contact import CALIBRATION, CONVERSATION, TOWARD, _speech, _values, session

# The other person's head pose is sampled every 0.5 s and interpolated: its turns land within
# one sample of the truth, so mutual-gaze episode bounds are within 0.5 s.
MUTUAL_TOLERANCE_S = 0.5


def test_the_report_writes_each_frame_s_decision_on_the_patient_s_rows():
    tracks = session()
    _values(tracks, _speech(CONVERSATION))
    frames = eye_contact_frames(session(), MetricsConfig(), CALIBRATION)
    patient = tracks.patient()

    np.testing.assert_array_equal(patient.eye_contact, np.where(TOWARD, CONTACT, NO_CONTACT))
    expected_mutual = np.where(
        frames.mutual_analysable, np.where(frames.mutual, CONTACT, NO_CONTACT), NOT_MEASURED
    )
    np.testing.assert_array_equal(patient.mutual_gaze, expected_mutual)
    others = ~tracks.is_patient
    assert (tracks.eye_contact[others] == NOT_MEASURED).all()
    assert (tracks.mutual_gaze[others] == NOT_MEASURED).all()


def test_episodes_of_eye_contact_and_of_mutual_gaze_are_read_from_the_columns(tmp_path):
    tracks = session()
    _values(tracks, _speech(CONVERSATION))
    write_parquet(tracks, tmp_path / "tracks.parquet")
    episodes = contact_episodes(read_parquet(tmp_path / "tracks.parquet"))

    contact = [(e.start_s, e.end_s) for e in episodes if e.kind == EYE_CONTACT]
    assert contact == [pytest.approx((10.0, 30.0), abs=1e-6), pytest.approx((50.0, 60.0), abs=1e-6)]
    mutual = [(e.start_s, e.end_s) for e in episodes if e.kind == MUTUAL_GAZE]
    assert len(mutual) == 2
    for (start, end), (true_start, true_end) in zip(mutual, [(10.0, 20.0), (52.0, 58.0)], strict=True):
        assert start == pytest.approx(true_start, abs=MUTUAL_TOLERANCE_S)
        assert end == pytest.approx(true_end, abs=MUTUAL_TOLERANCE_S)
    assert episodes[0].as_report() == {"kind": EYE_CONTACT, "start_s": 10.0, "end_s": 30.0}


def test_without_calibration_or_a_second_person_no_frame_is_measured():
    uncalibrated = session()
    _values(uncalibrated, _speech(CONVERSATION), segments=[])
    alone = session(second_person=False)
    _values(alone, _speech(CONVERSATION))
    for tracks in (uncalibrated, alone):
        assert (tracks.eye_contact == NOT_MEASURED).all() and (tracks.mutual_gaze == NOT_MEASURED).all()
        assert contact_episodes(tracks) == []


def test_a_file_written_before_the_columns_existed_reads_as_not_measured(tmp_path):
    tracks = session()
    _values(tracks, _speech(CONVERSATION))
    write_parquet(tracks, tmp_path / "tracks.parquet")
    table = pq.read_table(tmp_path / "tracks.parquet").drop_columns(["eye_contact", "mutual_gaze"])
    pq.write_table(table, tmp_path / "old.parquet")

    old = read_parquet(tmp_path / "old.parquet")
    assert (old.eye_contact == NOT_MEASURED).all() and contact_episodes(old) == []
