"""The session's tracks from the passes' results, in their final order (time, then person).

The order depends only on small columns known before the patient pass's rows are read (each
person's analysed frames and track id), so every row is written once, straight to its place: the
patient's rows chunk by chunk from the patient pass's files (analysis/segment_rows.py), the other
people's rows from their face tracks. No part is concatenated and then sorted into a copy: the
orchestrating process holds the tracks once, plus one chunk. The native-rate pass, which runs
while the worker processes are still there, reads the patient's pose rows only (pose_rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from analysis.people import FaceTrack
from analysis.segment_jobs import PATIENT_FIELDS
from analysis.tracks import Tracks, empty_column

# The body-pose fields the native-rate pass's windows are found on.
POSE_FIELDS = ("pose_xy", "pose_visibility", "pose_confidence")


def face_boxes(track: FaceTrack, detector_ran: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A person's face box and detector score at every analysed frame their track spans: the
    detection where there was one, NaN where the detector looked and did not find the face, the
    interpolation of the detections around where it did not look. Returns (rows, boxes, scores)."""
    rows = np.arange(track.rows[0], track.rows[-1] + 1)
    boxes = np.full((len(rows), 4), np.nan, dtype=np.float32)
    scores = np.full(len(rows), np.nan, dtype=np.float32)
    skipped = ~detector_ran[rows]
    boxes[skipped] = track.boxes_between(rows[skipped])
    scores[skipped] = np.interp(rows[skipped], track.rows, track.scores)
    boxes[track.rows - rows[0]] = track.boxes_xywh
    scores[track.rows - rows[0]] = track.scores
    return rows, boxes, scores


def assemble(
    *,
    frames: np.ndarray,
    times_s: np.ndarray,
    detector_ran: np.ndarray,
    patient: FaceTrack,
    others: list[FaceTrack],
    parts: list[dict[str, Any]],
    bounds: np.ndarray,
) -> Tracks:
    """Patient rows (one per analysed frame, all models; parts are the patient pass's results,
    bounds the first analysed frame of each of its jobs) and other people's rows (one per
    analysed frame their track spans: face box, detector score, and face mesh with head pose
    where it ran), sorted by time then person."""
    spans = [face_boxes(track, detector_ran) for track in others]
    people = [(patient, np.arange(len(frames))), *((t, s[0]) for t, s in zip(others, spans, strict=True))]
    order = np.lexsort(
        (
            np.concatenate([np.full(len(rows), t.track_id, dtype=np.int32) for t, rows in people]),
            np.concatenate([times_s[rows] for _, rows in people]),
        )
    )
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    starts = np.cumsum([0] + [len(rows) for _, rows in people])
    places = [place[a:b] for a, b in itertools.pairwise(starts)]
    tracks = Tracks.empty(len(order))
    for (track, rows), at in zip(people, places, strict=True):
        tracks.frame[at], tracks.time_s[at], tracks.person_id[at] = (
            frames[rows],
            times_s[rows],
            track.track_id,
        )
    patient_at = places[0]
    tracks.is_patient[patient_at] = True
    span, boxes, _ = face_boxes(patient, detector_ran)
    tracks.bbox_xywh[patient_at[span]] = boxes
    for (rows, boxes, scores), at in zip(spans, places[1:], strict=True):
        tracks.bbox_xywh[at], tracks.face_confidence[at] = boxes, scores
        tracks.measured[at] = detector_ran[rows]
    for start, first, chunk in _chunks(parts, bounds):
        at = patient_at[first : first + len(chunk["measured"])]
        tracks.measured[at] = chunk["measured"]
        for name in PATIENT_FIELDS:
            getattr(tracks, name)[at] = chunk[name]
        _place_other_faces(tracks, chunk, start, [s[0][0] for s in spans], places[1:])
    return tracks


def _chunks(parts: list[dict[str, Any]], bounds: np.ndarray) -> Iterator[tuple[int, int, Any]]:
    """The patient pass's chunk files, open one at a time, in order: (the first analysed frame of
    the chunk's job, of the chunk, the chunk)."""
    for part, start in zip(parts, bounds, strict=False):
        for path in part["chunks"]:
            with np.load(path) as chunk:
                yield int(start), int(start) + int(chunk["first_row"]), chunk


def _place_other_faces(
    tracks: Tracks, chunk: Any, start: int, span_starts: list[int], places: list[np.ndarray]
) -> None:
    """The other people's face meshes of one chunk (segment row, person k of the job) at their
    rows: person k's row of analysed frame f is places[k][f - span_starts[k]]."""
    mesh_rows = chunk["others_rows"]
    if not len(mesh_rows):
        return
    mesh_xy, mesh_head = chunk["others_face_xy"], chunk["others_head_pose_deg"]
    for k, (first, at) in enumerate(zip(span_starts, places, strict=True)):
        mine = mesh_rows[:, 1] == k
        rows = at[mesh_rows[mine, 0] + start - first]
        tracks.face_xy[rows] = mesh_xy[mine]
        tracks.head_pose_deg[rows] = mesh_head[mine]


def pose_rows(
    *,
    frames: np.ndarray,
    times_s: np.ndarray,
    patient: FaceTrack,
    parts: list[dict[str, Any]],
    bounds: np.ndarray,
) -> Tracks:
    """The patient's rows (one per analysed frame) with the body-pose fields only (the others
    missing, holding no memory): what the native-rate pass's candidate windows are found on,
    0.4 kB a row instead of the tracks' 6.5."""
    n = len(frames)
    columns = {name: empty_column(name, n) for name in POSE_FIELDS}
    for _, first, chunk in _chunks(parts, bounds):
        for name, column in columns.items():
            values = chunk[name]
            column[first : first + len(values)] = values
    return Tracks.with_columns(
        n,
        frame=frames,
        time_s=times_s,
        is_patient=np.ones(n, dtype=bool),
        person_id=np.full(n, patient.track_id, np.int32),
        **columns,
    )
