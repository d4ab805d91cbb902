"""The skeleton and face overlay of the session page: a compact JSON of the patient's keypoints
per analysed frame, made from the job's tracks Parquet.

Dashboards never read Parquet in a request; this overlay is the one place that needs per-frame
data. It is made once per job, on first use, and cached in Django storage beside the tracks
(overlays/job-<id>-v<OVERLAY_VERSION>.json); later page loads read the cached file only.

Format (pixels of the upright frame, rounded to integers; null where nothing was detected):
{"version", "width", "height", "time_s": [n], "pose": [n x 66 | null], "face": [n x 2k | null],
 "pose_edges": [[a, b], ...], "face_edges": [[a, b], ...]} where face holds only the k
landmarks of the face contours, eyes, brows, lips and irises, and face_edges index into them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from analysis.tracks import read_parquet
from results import artefacts
from results.models import AnalysisJob

OVERLAY_VERSION = 2

# MediaPipe Pose connections (POSE_CONNECTIONS), indices into the 33 body keypoints.
POSE_EDGES = (
    (0, 1), (0, 4), (1, 2), (2, 3), (3, 7), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13), (11, 23),
    (12, 14), (12, 24), (13, 15), (14, 16), (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22),
    (17, 19), (18, 20), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28), (27, 29), (27, 31), (28, 30),
    (28, 32), (29, 31), (30, 32),
)  # fmt: skip
# MediaPipe Face Mesh contours and irises (FACEMESH_CONTOURS | FACEMESH_IRISES), landmark indices.
FACE_CONTOUR_EDGES = (
    (0, 267), (7, 163), (10, 338), (13, 312), (14, 317), (17, 314), (21, 54), (33, 7), (33, 246), (37, 0),
    (39, 37), (40, 39), (46, 53), (52, 65), (53, 52), (54, 103), (58, 132), (61, 146), (61, 185), (63, 105),
    (65, 55), (66, 107), (67, 109), (70, 63), (78, 95), (78, 191), (80, 81), (81, 82), (82, 13), (84, 17),
    (87, 14), (88, 178), (91, 181), (93, 234), (95, 88), (103, 67), (105, 66), (109, 10), (127, 162),
    (132, 93), (136, 172), (144, 145), (145, 153), (146, 91), (148, 176), (149, 150), (150, 136), (152, 148),
    (153, 154), (154, 155), (155, 133), (157, 173), (158, 157), (159, 158), (160, 159), (161, 160), (162, 21),
    (163, 144), (172, 58), (173, 133), (176, 149), (178, 87), (181, 84), (185, 40), (191, 80), (234, 127),
    (246, 161), (249, 390), (251, 389), (263, 249), (263, 466), (267, 269), (269, 270), (270, 409), (276, 283),
    (282, 295), (283, 282), (284, 251), (288, 397), (293, 334), (295, 285), (296, 336), (297, 332), (300, 293),
    (310, 415), (311, 310), (312, 311), (314, 405), (317, 402), (318, 324), (321, 375), (323, 361), (324, 308),
    (332, 284), (334, 296), (338, 297), (356, 454), (361, 288), (365, 379), (373, 374), (374, 380), (375, 291),
    (377, 152), (378, 400), (379, 378), (380, 381), (381, 382), (382, 362), (384, 398), (385, 384), (386, 385),
    (387, 386), (388, 387), (389, 356), (390, 373), (397, 365), (398, 362), (400, 377), (402, 318), (405, 321),
    (409, 291), (415, 308), (454, 323), (466, 388), (469, 470), (470, 471), (471, 472), (472, 469), (474, 475),
    (475, 476), (476, 477), (477, 474),
)  # fmt: skip
FACE_POINTS = tuple(sorted({i for edge in FACE_CONTOUR_EDGES for i in edge}))
_FACE_INDEX = {landmark: i for i, landmark in enumerate(FACE_POINTS)}
FACE_EDGES = tuple((_FACE_INDEX[a], _FACE_INDEX[b]) for a, b in FACE_CONTOUR_EDGES)


def overlay_storage_name(job: AnalysisJob) -> str:
    return artefacts.overlay_storage_name(job_id=job.pk, version=OVERLAY_VERSION)


# Body keypoints MediaPipe thinks are out of view or hidden are not drawn (they are guesses).
MIN_POSE_VISIBILITY = 0.5


def _rows(points_xy: np.ndarray) -> list[list[int] | None]:
    """(n_frames, n_points, 2) px → per frame a flat [x0, y0, x1, ...] of ints, or None when
    no point of that frame was detected (a partly missing frame keeps -1 for missing points)."""
    rows: list[list[int] | None] = []
    for frame in points_xy:
        seen = np.isfinite(frame).all(axis=1)
        if not seen.any():
            rows.append(None)
            continue
        rounded = np.where(np.isfinite(frame), np.rint(frame), -1).astype(np.int32)
        rows.append(rounded.reshape(-1).tolist())
    return rows


# Boxes of every tracked person, for choosing the patient, about every PEOPLE_STEP_S seconds.
PEOPLE_STEP_S = 0.5


def _people(tracks) -> dict:
    """Every tracked person's box over time: {"<id>": [[time_s, x, y, w, h], ...]}, and which id
    was analysed as the patient (the page draws them so that a clinician can click the patient)."""
    people: dict[str, list[list[float]]] = {}
    last: dict[int, float] = {}
    for time_s, person_id, box in zip(tracks.time_s, tracks.person_id, tracks.bbox_xywh, strict=True):
        person = int(person_id)
        if person < 0 or not np.isfinite(box).all() or time_s - last.get(person, -np.inf) < PEOPLE_STEP_S:
            continue
        last[person] = float(time_s)
        people.setdefault(str(person), []).append(
            [round(float(time_s), 3), *np.rint(box).astype(int).tolist()]
        )
    patient_ids = {int(p) for p in tracks.person_id[tracks.is_patient]}
    return {"people": people, "patient_id": str(min(patient_ids)) if patient_ids else None}


def overlay_from_tracks_file(path: str | Path, *, width: int, height: int) -> dict:
    """The overlay dictionary (see the module docstring) of a tracks Parquet file."""
    everyone = read_parquet(path)
    tracks = everyone.patient()
    pose_xy = np.where((tracks.pose_visibility >= MIN_POSE_VISIBILITY)[..., None], tracks.pose_xy, np.nan)
    return {
        "version": OVERLAY_VERSION,
        "width": width,
        "height": height,
        "time_s": np.round(tracks.time_s, 3).tolist(),
        "pose": _rows(pose_xy),
        "face": _rows(tracks.face_xy[:, list(FACE_POINTS), :]),
        "pose_edges": [list(edge) for edge in POSE_EDGES],
        "face_edges": [list(edge) for edge in FACE_EDGES],
        **_people(everyone),
    }


def overlay_json(job: AnalysisJob) -> bytes:
    """The job's overlay as JSON bytes, made from its tracks and cached in storage on first use.

    Raises FileNotFoundError naming the tracks file when the job has none.
    """
    name = overlay_storage_name(job)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    if not job.tracks_file or not default_storage.exists(job.tracks_file.name):
        raise FileNotFoundError(
            f"Analysis job {job.pk} has no stored tracks file ({job.tracks_file.name or 'none recorded'}), "
            "so the skeleton cannot be drawn. Re-run the analysis to make it."
        )
    recording = job.recording
    with tempfile.NamedTemporaryFile(suffix=".parquet") as local:
        with default_storage.open(job.tracks_file.name, "rb") as source:
            shutil.copyfileobj(source, local)
        local.flush()
        overlay = overlay_from_tracks_file(local.name, width=recording.width, height=recording.height)
    data = json.dumps(overlay, separators=(",", ":")).encode()
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return data
