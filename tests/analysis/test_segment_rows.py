"""The patient pass's rows held a chunk at a time: bounded memory, and the same rows as a run
that holds every row of its segment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis import pipeline, segment_rows
from analysis.pipeline import AnalysisResult, analyse_video
from analysis.sampling import fill_skipped
from analysis.segment_jobs import BODY_FIELDS, PATIENT_FIELDS
from analysis.segment_rows import SegmentRows
from analysis.tracks import _ARRAY_FIELDS

N_ROWS = 3000  # a 5-minute segment at 10 fps
CAPACITY = 16


def _whole_and_chunked(tmp_path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Random rows (face fields everywhere, body fields where measured: every 5th row at most
    apart) written through SegmentRows, and the same rows filled over the whole segment at once.
    Returns (whole, read back from the chunks, the most rows SegmentRows held)."""
    rng = np.random.default_rng(3)
    times_s = np.arange(N_ROWS) / 10.0
    measured = rng.random(N_ROWS) < 0.4
    measured[::5] = True
    rows = SegmentRows(tmp_path, times_s, capacity=CAPACITY)
    whole = {
        name: np.full((N_ROWS, *getattr(rows.out, name).shape[1:]), np.nan, np.float32)
        for name in PATIENT_FIELDS
    }
    others = []
    held = 0
    for i in range(N_ROWS):
        row = rows.row(bool(measured[i]))
        for name in PATIENT_FIELDS:
            if name in BODY_FIELDS and not measured[i]:
                continue
            value = rng.random(whole[name].shape[1:], dtype=np.float32)
            whole[name][i] = getattr(rows.out, name)[row] = value
        if i % 7 == 0:
            face = rng.random((478, 2), dtype=np.float32)
            rows.other_face(row, i % 2, face, face[:3, 0])
            others.append((i, i % 2, face))
        held = max(held, rows.held)
        if rows.full or i % 100 == 99:  # full, or an expression batch
            rows.write(last=False)
    rows.write(last=True)
    for name in BODY_FIELDS:
        fill_skipped(whole[name], times_s, measured)
    whole["measured"] = measured
    whole["others_rows"] = np.array([(i, k) for i, k, _ in others])
    whole["others_face_xy"] = np.stack([face for _, _, face in others])
    chunks = [np.load(path) for path in rows.paths]
    read = {
        name: np.concatenate([c[name] for c in chunks])
        for name in [*PATIENT_FIELDS, "measured", "others_rows", "others_face_xy"]
    }
    assert [int(c["first_row"]) for c in chunks] == list(
        np.cumsum([0] + [len(c["measured"]) for c in chunks[:-1]])
    )
    return whole, read, held


def test_a_long_segment_is_held_a_chunk_at_a_time_and_written_as_filled_at_once(tmp_path: Path) -> None:
    whole, read, held = _whole_and_chunked(tmp_path)
    assert held <= CAPACITY  # memory bounded by the chunk, not the segment's 3000 rows
    assert len(list(tmp_path.glob("chunk-*.npz"))) > N_ROWS / CAPACITY
    for name, values in whole.items():
        np.testing.assert_array_equal(read[name], values, err_msg=name)


@pytest.fixture(scope="module")
def two_person_whole(two_person_video: Path) -> AnalysisResult:
    return analyse_video(two_person_video, workers=1)


def test_tracks_written_in_small_chunks_equal_those_written_at_once(
    two_person_video: Path, two_person_whole: AnalysisResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 rows: 4 chunks at least (a chunk holds a measured row after its first: 11 rows at least).
    monkeypatch.setattr(segment_rows, "CHUNK_ROWS", 11)
    chunked = analyse_video(two_person_video, workers=1)
    whole = two_person_whole.tracks
    assert len(chunked.tracks) == len(whole) > 40  # the other person's rows too
    for name in _ARRAY_FIELDS:
        if name == "emotion_probs":  # classified in batches of at most 11 crops instead of 40
            np.testing.assert_allclose(chunked.tracks.emotion_probs, whole.emotion_probs, atol=1e-6)
        else:
            np.testing.assert_array_equal(getattr(chunked.tracks, name), getattr(whole, name), err_msg=name)
    assert chunked.tracks.metadata == whole.metadata
    assert chunked.report.to_json() == two_person_whole.report.to_json()


def test_a_chunk_too_small_to_hold_a_measured_row_after_its_first_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 11 rows"):
        SegmentRows(tmp_path, np.arange(40) / 10.0, capacity=10)


def test_the_native_rate_pass_finds_its_windows_on_the_patients_pose_rows(
    two_person_video: Path, two_person_whole: AnalysisResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read from the patient pass's files before the tracks are assembled (the pose fields only).
    seen = []
    real = pipeline.native_pass

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[3])  # native_pass(runner, path, info, patient_rows, jobs, ...)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "native_pass", recording)
    result = analyse_video(two_person_video, workers=1)
    patient = result.tracks.patient()
    assert len(seen) == 1 and len(seen[0]) == len(patient) < len(result.tracks)
    for name in (
        "frame",
        "time_s",
        "person_id",
        "is_patient",
        "pose_xy",
        "pose_visibility",
        "pose_confidence",
    ):
        np.testing.assert_array_equal(getattr(seen[0], name), getattr(patient, name), err_msg=name)
    assert np.isnan(seen[0].face_xy).all() and seen[0].face_xy.base.nbytes <= 8
