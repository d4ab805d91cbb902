"""People: face detections linked into tracks, the choice of the patient's track, and the
image regions of each person (pure geometry: the detector is analysis/face_detection.py).

Faces, not bodies, identify people here: MediaPipe's face detector is multi-person, cheap and
bundled, whereas the legacy body pose model is single-person. The pipeline then runs the
single-person models on a crop around the patient's face track (`body_crop`) in which every
other tracked person's region (`other_person_region`) is blanked, so that an examiner in the
room does not leak into the patient's keypoints. Approach and limits: analysis/docs/pipeline.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from analysis.errors import AnalysisError

# Tracker: a detection continues a track when their boxes overlap (IoU) or when its centre is
# within this many face widths of the track's last box (fast moves at 10 fps).
MIN_IOU = 0.2
MAX_CENTRE_SHIFT_FACES = 1.0
MAX_GAP_S = 2.0
MIN_DETECTIONS = 3
# Patient crop: this many face widths wide, from this many face heights above the face box to
# the bottom of the frame (a seated or standing person's body is below the face).
CROP_WIDTH_FACES = 4.0
CROP_ABOVE_FACES = 0.5
# Another person's region, blanked in the patient's crop: as wide as their own body crop, from
# their forehead down, but never over the patient's own face and a margin of this many patient
# face widths around it.
OTHER_WIDTH_FACES = CROP_WIDTH_FACES
PATIENT_FACE_MARGIN_FACES = 0.5


class PatientPointError(AnalysisError):
    """A patient point was given but no tracked person is there."""


class PatientPoint(NamedTuple):
    """A point on the patient, as a person clicks it on a frame: (x, y) px of the upright
    frame at time_s seconds."""

    x_px: float
    y_px: float
    time_s: float


@dataclass
class FaceTrack:
    """One person's face over time.

    Attributes
    ----------
    track_id : int
        0, 1, ... in order of first appearance.
    rows : int array of shape (k,)
        Indices of the analysed frames where the face was detected (increasing).
    boxes_xywh : float32 array of shape (k, 4)
        Face boxes in px.
    scores : float32 array of shape (k,)
        Detector scores.
    """

    track_id: int
    rows: np.ndarray
    boxes_xywh: np.ndarray
    scores: np.ndarray

    def box_at(self, row: int) -> np.ndarray:
        """Face box (4,) px at an analysed frame: the detection there, between two detections
        the linear interpolation of them (faces are looked for at a lower rate in still
        stretches), else the nearest one (the person is assumed to stay where last seen)."""
        return self.boxes_between(np.array([row]))[0]

    def boxes_between(self, rows: np.ndarray) -> np.ndarray:
        """box_at for many analysed frames at once: float32 (len(rows), 4)."""
        rows = np.asarray(rows, dtype=np.float64)
        columns = [np.interp(rows, self.rows, self.boxes_xywh[:, j]) for j in range(4)]
        return np.stack(columns, axis=-1).astype(np.float32).reshape(-1, 4)

    def alive(self, rows: np.ndarray) -> np.ndarray:
        """Whether the track spans each analysed frame (first to last detection)."""
        return (np.asarray(rows) >= self.rows[0]) & (np.asarray(rows) <= self.rows[-1])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x, y, width, height) boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def _centre_shift_faces(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between box centres, in widths of box a."""
    da = (a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2)
    return float(np.hypot(*da) / max(a[2], 1e-6))


def track_faces(
    times_s: np.ndarray,
    detections: list[np.ndarray],
    *,
    max_gap_s: float = MAX_GAP_S,
    min_detections: int = MIN_DETECTIONS,
) -> list[FaceTrack]:
    """Link per-frame face detections into tracks (greedy matching, best overlap first).

    A detection continues the live track whose last box overlaps it most (IoU >= MIN_IOU) or,
    failing that, whose centre is nearest (within MAX_CENTRE_SHIFT_FACES face widths); an
    unmatched detection starts a track; a track unseen for more than max_gap_s ends. Tracks
    with fewer than min_detections detections are dropped as false detections.

    Parameters
    ----------
    times_s : float array of shape (n_frames,)
        Times of the analysed frames, increasing.
    detections : list of n_frames float arrays of shape (n_faces, 5)
        FaceDetector.process output per analysed frame.
    """
    live: list[dict] = []
    finished: list[dict] = []
    for row, (time_s, faces) in enumerate(zip(times_s, detections, strict=True)):
        for track in [t for t in live if time_s - t["last_time_s"] > max_gap_s]:
            live.remove(track)
            finished.append(track)
        pairs = []
        for ti, track in enumerate(live):
            last = track["boxes"][-1]
            for di, face in enumerate(faces):
                iou = box_iou(last, face[:4])
                shift = _centre_shift_faces(last, face[:4])
                if iou >= MIN_IOU or shift <= MAX_CENTRE_SHIFT_FACES:
                    pairs.append((-iou, shift, ti, di))
        used_tracks: set[int] = set()
        used_faces: set[int] = set()
        for _, _, ti, di in sorted(pairs):
            if ti in used_tracks or di in used_faces:
                continue
            used_tracks.add(ti)
            used_faces.add(di)
            _extend(live[ti], row, time_s, faces[di])
        for di, face in enumerate(faces):
            if di not in used_faces:
                track = {"rows": [], "boxes": [], "scores": [], "last_time_s": time_s}
                _extend(track, row, time_s, face)
                live.append(track)
    kept = [t for t in finished + live if len(t["rows"]) >= min_detections]
    kept.sort(key=lambda t: t["rows"][0])
    return [
        FaceTrack(
            track_id=i,
            rows=np.asarray(t["rows"], dtype=np.int64),
            boxes_xywh=np.asarray(t["boxes"], dtype=np.float32).reshape(-1, 4),
            scores=np.asarray(t["scores"], dtype=np.float32),
        )
        for i, t in enumerate(kept)
    ]


def _extend(track: dict, row: int, time_s: float, face: np.ndarray) -> None:
    track["rows"].append(row)
    track["boxes"].append(face[:4])
    track["scores"].append(face[4])
    track["last_time_s"] = time_s


def choose_patient(
    tracks: list[FaceTrack],
    times_s: np.ndarray,
    frame_size_wh: tuple[int, int],
    point: PatientPoint | None = None,
) -> FaceTrack | None:
    """The patient's track: by default the one with the largest presence x size (number of
    frames with a detection times the median face area), the person who is in view the most
    and nearest the camera. With a point, the track whose body region (`body_crop` of its face
    box at the point's time) contains the point, the nearest face centre first.

    Returns None when there is no track. Raises PatientPointError when no tracked person is at
    the point.
    """
    if not tracks:
        return None
    if point is None:
        return max(
            tracks, key=lambda t: len(t.rows) * float(np.median(t.boxes_xywh[:, 2] * t.boxes_xywh[:, 3]))
        )
    row = int(np.argmin(np.abs(times_s - point.time_s)))
    candidates = []
    for track in tracks:
        if not track.rows[0] <= row <= track.rows[-1]:
            continue
        box = track.box_at(row)
        x0, y0, x1, y1 = body_crop(box, frame_size_wh)
        if x0 <= point.x_px < x1 and y0 <= point.y_px < y1:
            centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
            candidates.append((np.hypot(point.x_px - centre[0], point.y_px - centre[1]), track.track_id))
    if not candidates:
        raise PatientPointError(
            f"No tracked person is at ({point.x_px:.0f}, {point.y_px:.0f}) px at "
            f"{point.time_s:.1f} s. Pick a point on the patient's face or body at a time when "
            "the patient's face is visible."
        )
    chosen = min(candidates)[1]
    return next(t for t in tracks if t.track_id == chosen)


def body_crop(face_box_xywh: np.ndarray, frame_size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """The image region where a person's body is expected from their face box: CROP_WIDTH_FACES
    face widths wide, centred on the face, from CROP_ABOVE_FACES face heights above it down to
    the bottom of the frame; clipped to the frame.

    Returns
    -------
    (x0, y0, x1, y1) int px, x1 and y1 exclusive.
    """
    width, height = frame_size_wh
    x, y, w, h = (float(v) for v in face_box_xywh)
    cx = x + w / 2
    x0 = int(max(0, np.floor(cx - CROP_WIDTH_FACES * w / 2)))
    x1 = int(min(width, np.ceil(cx + CROP_WIDTH_FACES * w / 2)))
    y0 = int(max(0, np.floor(y - CROP_ABOVE_FACES * h)))
    return x0, y0, max(x1, x0 + 1), height


def other_person_region(
    other_face_xywh: np.ndarray, patient_face_xywh: np.ndarray, frame_size_wh: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The region of another person to blank in the patient's crop: OTHER_WIDTH_FACES of
    their face widths wide, centred on their face, from their forehead to the bottom of the
    frame, cut back so that it leaves the patient's face (plus PATIENT_FACE_MARGIN_FACES of
    its width) visible. None when nothing is left.

    Returns
    -------
    (x0, y0, x1, y1) int px, x1 and y1 exclusive, or None.
    """
    width, height = frame_size_wh
    x, y, w, h = (float(v) for v in other_face_xywh[:4])
    cx = x + w / 2
    x0, x1 = max(0.0, cx - OTHER_WIDTH_FACES * w / 2), min(float(width), cx + OTHER_WIDTH_FACES * w / 2)
    y0 = max(0.0, y - 0.25 * h)
    px, py, pw, ph = (float(v) for v in patient_face_xywh[:4])
    margin = PATIENT_FACE_MARGIN_FACES * pw
    keep_x0, keep_x1 = px - margin, px + pw + margin
    if keep_x0 < x1 and x0 < keep_x1 and py + ph + margin > y0:
        # The patient's face is in the way: keep the side of the other person's face only.
        if cx < px + pw / 2:
            x1 = min(x1, keep_x0)
        else:
            x0 = max(x0, keep_x1)
    if x1 - x0 < 1:
        return None
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), height
