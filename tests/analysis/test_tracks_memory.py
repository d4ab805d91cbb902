"""Tracks without whole copies: written to Parquet a row group at a time, and the patient's rows
not copied again when they are all the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from analysis.tracks import _ARRAY_FIELDS, ROW_GROUP_ROWS, Tracks, read_parquet, write_parquet


def _tracks(n: int) -> Tracks:
    rng = np.random.default_rng(5)
    tracks = Tracks.empty(n)
    tracks.frame = np.arange(n) // 2
    tracks.time_s = tracks.frame / 10.0
    tracks.person_id[:] = np.arange(n) % 2
    tracks.is_patient[:] = tracks.person_id == 1
    tracks.measured[:] = rng.random(n) < 0.5
    tracks.face_xy[::3] = rng.random((len(range(0, n, 3)), 478, 2), dtype=np.float32)
    tracks.face_z[1::4] = rng.random((len(range(1, n, 4)), 478), dtype=np.float32)
    tracks.pose_confidence[:] = rng.random(n, dtype=np.float32)
    tracks.speaker[:] = rng.integers(0, 4, n)
    tracks.metadata = {"pipeline_version": "test", "source": "a.mp4"}
    return tracks


def test_tracks_longer_than_a_row_group_read_back_equal(tmp_path: Path) -> None:
    n = 2 * ROW_GROUP_ROWS + 17
    tracks = _tracks(n)
    write_parquet(tracks, tmp_path / "t.parquet")
    assert pq.ParquetFile(tmp_path / "t.parquet").metadata.num_row_groups == 3
    back = read_parquet(tmp_path / "t.parquet")
    for name in _ARRAY_FIELDS:
        want, got = getattr(tracks, name), getattr(back, name)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    assert back.metadata == tracks.metadata


def test_empty_tracks_are_written(tmp_path: Path) -> None:
    write_parquet(_tracks(0), tmp_path / "t.parquet")
    assert len(read_parquet(tmp_path / "t.parquet")) == 0


def test_the_patients_rows_in_time_order() -> None:
    tracks = _tracks(40).select(np.random.default_rng(1).permutation(40))
    patient = tracks.patient()
    assert patient.is_patient.all() and len(patient) == 20
    assert (np.diff(patient.time_s) > 0).all()
    np.testing.assert_array_equal(patient.frame, np.arange(20))


def test_the_patients_rows_alone_are_not_copied_again_and_cannot_be_changed() -> None:
    tracks = _tracks(40).patient()  # a copy: another person's rows are left out
    again = tracks.patient()
    for name in _ARRAY_FIELDS:
        assert np.shares_memory(getattr(again, name), getattr(tracks, name)), name
        np.testing.assert_array_equal(getattr(again, name), getattr(tracks, name))
    with pytest.raises(ValueError, match="read-only"):
        again.pose_xy[0] = 0.0
    tracks.pose_xy[0] = 1.0  # the rows themselves stay writable
    assert again.metadata == tracks.metadata


def test_rows_with_a_few_columns_hold_only_those() -> None:
    n = 36_000  # an hour at 10 fps
    pose_xy = np.ones((n, 33, 2), np.float32)
    rows = Tracks.with_columns(n, time_s=np.arange(n) / 10.0, pose_xy=pose_xy)
    assert rows.pose_xy is pose_xy and len(rows) == n
    empty = Tracks.empty(3)
    for name in _ARRAY_FIELDS:
        column = getattr(rows, name)
        assert (
            column.shape[1:] == getattr(empty, name).shape[1:] and column.dtype == getattr(empty, name).dtype
        )
        if name not in ("time_s", "pose_xy"):
            np.testing.assert_array_equal(column[:3], getattr(empty, name), err_msg=name)
            assert column.base is not None and column.base.nbytes <= 8, name  # one value, not n rows
            with pytest.raises(ValueError, match="read-only"):
                column[0] = 0
