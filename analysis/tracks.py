"""Per-frame tracks: the contract between the model adapters, the metrics and storage.

One row per analysed frame and person. Everything the metrics need is here, so that
metrics are pure functions of tracks and can be recomputed without touching the video.

Conventions (shared by every module of analysis/):
- image coordinates are pixels of the *upright* (rotation-corrected) frame, x right, y down;
- a missing detection is NaN, never 0;
- angles are degrees; yaw > 0 means the person turns to *their* left, which appears to the
  image's right (x grows); pitch > 0 means looking up;
- emotion classes follow FER-2013's order (EMOTION_CLASSES).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = "1"
# Rows per Parquet row group (13 MB of tracks at 6.5 kB a patient row).
ROW_GROUP_ROWS = 2048

N_POSE_KEYPOINTS = 33  # MediaPipe Pose (BlazePose) topology
N_FACE_LANDMARKS = 478  # MediaPipe Face Mesh with refined iris landmarks
N_HAND_KEYPOINTS = 21  # MediaPipe Hands topology
EMOTION_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
HANDS = ("left", "right")

# MediaPipe Pose indices the metrics use.
POSE_NOSE = 0
POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER = 11, 12
POSE_LEFT_WRIST, POSE_RIGHT_WRIST = 15, 16
POSE_LEFT_HIP, POSE_RIGHT_HIP = 23, 24
# Face Mesh indices: outer eye corners (inter-ocular distance, IOD) and iris centres.
FACE_RIGHT_EYE_OUTER, FACE_LEFT_EYE_OUTER = 33, 263
FACE_IRIS_A, FACE_IRIS_B = 468, 473


@dataclass
class Tracks:
    """Column arrays for n rows (frame x person). Shapes name their dimensions.

    Attributes
    ----------
    frame : int64 array of shape (n,)
        Index of the decoded source frame.
    time_s : float64 array of shape (n,)
        Presentation time from the stream's pts, in seconds (variable frame rate safe).
    person_id : int32 array of shape (n,)
        Track id from the people tracker; -1 when no person was found in that frame.
    is_patient : bool array of shape (n,)
        True on the rows of the track chosen as the patient.
    bbox_xywh : float32 array of shape (n, 4)
        Person box in px (x, y, width, height).
    pose_xy : float32 array of shape (n, 33, 2)
        Body keypoints in px.
    pose_visibility : float32 array of shape (n, 33)
        MediaPipe visibility in [0, 1].
    face_xy : float32 array of shape (n, 478, 2)
        Face landmarks in px (iris points 468..477 included).
    head_pose_deg : float32 array of shape (n, 3)
        Head yaw, pitch, roll in degrees.
    gaze_deg : float32 array of shape (n, 2)
        Gaze yaw, pitch in degrees (head pose combined with eye-in-head angles).
    emotion_probs : float32 array of shape (n, 7)
        Facial-expression probabilities in EMOTION_CLASSES order; rows sum to 1 or are NaN.
    hands_xy : float32 array of shape (n, 2, 21, 2)
        Hand keypoints in px, hands ordered as HANDS (the person's left, right).
    pose_confidence, face_confidence : float32 arrays of shape (n,)
        Detector confidence in [0, 1]; NaN when nothing was detected.
    hands_confidence : float32 array of shape (n, 2)
        Per-hand confidence in [0, 1]; NaN when that hand was not detected.
    measured : bool array of shape (n,)
        True where the models looked at this row's frame; False on a patient row whose body
        fields (pose, hands) were filled from the measured rows on either side because the
        patient's body had not moved (motion-adaptive sampling, analysis/sampling.py; the face
        models look at every analysed frame), and on another person's row where the face
        detector did not look. Files written before this column existed read as all True.
    face_z : float32 array of shape (n, 478)
        The face mesh's depth of each landmark in px (MediaPipe's z, on the scale of x: relative
        to the head's centre, smaller is nearer the camera). Files written before this column
        existed read as all NaN (the metrics then estimate depth from the head pose).
    speech : bool array of shape (n,)
        True where the frame's time lies in a speech segment of the audio track (analysis/audio.py).
    speaker : int8 array of shape (n,)
        Who speaks then (analysis/speaker_attribution.py, SPEAKER_CODES): 0 no speech, 1 the
        patient, 2 the other person, 3 unknown; the same on every person's row of a frame.
        Files written before these columns existed read as no speech.
    eye_contact, mutual_gaze : int8 arrays of shape (n,)
        On the patient's rows (analysis/metrics/eye_contact.py, CONTACT_CODES): whether the
        patient looks at the other person's face (eye_contact), and whether both look at each
        other (mutual_gaze): 0 not measured (no calibrated gaze, no other face in view, or for
        mutual gaze no head pose of the other person), 1 no, 2 yes; 0 on the other people's rows.
        Files written before these columns existed read as not measured.
    """

    frame: np.ndarray
    time_s: np.ndarray
    person_id: np.ndarray
    is_patient: np.ndarray
    bbox_xywh: np.ndarray
    pose_xy: np.ndarray
    pose_visibility: np.ndarray
    face_xy: np.ndarray
    head_pose_deg: np.ndarray
    gaze_deg: np.ndarray
    emotion_probs: np.ndarray
    hands_xy: np.ndarray
    pose_confidence: np.ndarray
    face_confidence: np.ndarray
    hands_confidence: np.ndarray
    measured: np.ndarray
    face_z: np.ndarray | None = None
    speech: np.ndarray | None = None
    speaker: np.ndarray | None = None
    eye_contact: np.ndarray | None = None
    mutual_gaze: np.ndarray | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _LATER_COLUMNS:
            if getattr(self, name) is None:
                setattr(self, name, empty_column(name, len(self.frame)))

    @classmethod
    def empty(cls, n: int) -> Tracks:
        """n rows with every measurement missing (NaN), person_id -1."""
        return cls(
            **{name: np.full((n, *shape), fill, dtype) for name, (dtype, shape, fill) in _EMPTY.items()}
        )

    @classmethod
    def with_columns(cls, n: int, **columns: np.ndarray) -> Tracks:
        """n rows with the given columns; every other column as in empty(n), but as read-only
        views of one value that take no memory. For the code that reads a few columns of many
        rows: the patient's pose rows of a session an hour long, before its tracks are assembled."""
        missing = {
            name: np.broadcast_to(np.array(fill, dtype), (n, *shape))
            for name, (dtype, shape, fill) in _EMPTY.items()
            if name not in columns
        }
        return cls(**missing, **columns)

    def __len__(self) -> int:
        return int(self.frame.shape[0])

    def select(self, mask: np.ndarray | slice) -> Tracks:
        """Rows where mask is True (for example `tracks.select(tracks.is_patient)`), or at the
        given row indices, or a slice of rows (views, not copies)."""
        kwargs = {name: getattr(self, name)[mask] for name in _ARRAY_FIELDS}
        return Tracks(**kwargs, metadata=dict(self.metadata))

    def patient(self) -> Tracks:
        """The patient's rows, one per analysed frame, in time order: a copy, or, when every row
        already is the patient's and in time order (nobody else was tracked; the metrics' own
        calls on the patient's rows), read-only views of these rows (6.5 kB a row, 234 MB for an
        hour at 10 fps, not copied again)."""
        rows = np.flatnonzero(self.is_patient)
        order = rows[np.argsort(self.time_s[rows], kind="stable")]
        if len(order) == len(self) and bool((order == np.arange(len(self))).all()):
            return self._read_only()
        return self.select(order)

    def _read_only(self) -> Tracks:
        views = {name: getattr(self, name).view() for name in _ARRAY_FIELDS}
        for view in views.values():
            view.flags.writeable = False
        return Tracks(**views, metadata=dict(self.metadata))

    @staticmethod
    def concatenate(parts: list[Tracks]) -> Tracks:
        """Rows of several Tracks, in the given order (metadata of the first)."""
        if not parts:
            return Tracks.empty(0)
        kwargs = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _ARRAY_FIELDS}
        return Tracks(**kwargs, metadata=dict(parts[0].metadata))


# Each column's dtype, shape after the row dimension, and value where nothing was measured.
_EMPTY: dict[str, tuple[type, tuple[int, ...], object]] = {
    "frame": (np.int64, (), 0),
    "time_s": (np.float64, (), 0.0),
    "person_id": (np.int32, (), -1),
    "is_patient": (np.bool_, (), False),
    "bbox_xywh": (np.float32, (4,), np.nan),
    "pose_xy": (np.float32, (N_POSE_KEYPOINTS, 2), np.nan),
    "pose_visibility": (np.float32, (N_POSE_KEYPOINTS,), np.nan),
    "face_xy": (np.float32, (N_FACE_LANDMARKS, 2), np.nan),
    "head_pose_deg": (np.float32, (3,), np.nan),
    "gaze_deg": (np.float32, (2,), np.nan),
    "emotion_probs": (np.float32, (len(EMOTION_CLASSES),), np.nan),
    "hands_xy": (np.float32, (2, N_HAND_KEYPOINTS, 2), np.nan),
    "pose_confidence": (np.float32, (), np.nan),
    "face_confidence": (np.float32, (), np.nan),
    "hands_confidence": (np.float32, (2,), np.nan),
    "measured": (np.bool_, (), True),
    "face_z": (np.float32, (N_FACE_LANDMARKS,), np.nan),
    "speech": (np.bool_, (), False),
    "speaker": (np.int8, (), 0),
    "eye_contact": (np.int8, (), 0),
    "mutual_gaze": (np.int8, (), 0),
}
_ARRAY_FIELDS = tuple(_EMPTY)


def empty_column(name: str, n: int) -> np.ndarray:
    """Column name of n rows where nothing was measured (as in Tracks.empty)."""
    dtype, shape, fill = _EMPTY[name]
    return np.full((n, *shape), fill, dtype)


_SCALAR_COLUMNS = (
    "frame", "time_s", "person_id", "is_patient", "measured", "speech", "speaker", "eye_contact", "mutual_gaze",
)  # fmt: skip
# Columns later than the first schema: absent in older files, filled by __post_init__.
_LATER_COLUMNS = ("face_z", "speech", "speaker", "eye_contact", "mutual_gaze")


def _arrow() -> ModuleType:
    """pyarrow, imported at the first Parquet read or write: the analysis worker processes import
    this module for Tracks and never write Parquet (pyarrow held 35 MB in each)."""
    import pyarrow  # noqa: PLC0415
    import pyarrow.parquet  # noqa: PLC0415 - pyarrow.parquet, used as pa.parquet

    return pyarrow


def _to_column(values: np.ndarray) -> pa.Array:
    """Flatten trailing dimensions into a fixed-size list column of float32."""
    pa = _arrow()
    n = values.shape[0]
    width = int(np.prod(values.shape[1:]))
    flat = pa.array(values.reshape(n * width).astype(np.float32, copy=False))  # float32: no copy
    return pa.FixedSizeListArray.from_arrays(flat, width)


def to_table(tracks: Tracks) -> pa.Table:
    """Arrow table with the documented schema; multi-dimensional fields are flattened
    row-major into fixed-size float32 lists, their shapes stored in the schema metadata."""
    pa = _arrow()
    columns: dict[str, pa.Array] = {}
    shapes: dict[str, str] = {}
    for name in _ARRAY_FIELDS:
        values = getattr(tracks, name)
        if name in _SCALAR_COLUMNS:
            columns[name] = pa.array(values)
        elif values.ndim == 1:
            columns[name] = pa.array(values.astype(np.float32, copy=False))
        else:
            columns[name] = _to_column(values)
            shapes[name] = ",".join(str(d) for d in values.shape[1:])
    table = pa.table(columns)
    metadata = {f"shape.{k}": v for k, v in shapes.items()}
    metadata.update({f"meta.{k}": v for k, v in tracks.metadata.items()})
    metadata["schema_version"] = SCHEMA_VERSION
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})


def from_table(table: pa.Table) -> Tracks:
    """Inverse of to_table."""
    raw = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    n = table.num_rows
    kwargs: dict[str, np.ndarray] = {}
    for name in _ARRAY_FIELDS:
        if name == "measured" and name not in table.column_names:
            kwargs[name] = np.ones(n, dtype=bool)
            continue
        if name in _LATER_COLUMNS and name not in table.column_names:
            continue  # written before the column existed: its default (__post_init__)
        column = table.column(name).combine_chunks()
        if name in _SCALAR_COLUMNS:
            kwargs[name] = column.to_numpy(zero_copy_only=False)
        elif f"shape.{name}" in raw:
            shape = tuple(int(d) for d in raw[f"shape.{name}"].split(","))
            flat = column.flatten().to_numpy(zero_copy_only=False)
            kwargs[name] = flat.reshape((n, *shape)).astype(np.float32, copy=False)
        else:
            kwargs[name] = column.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    metadata = {k.removeprefix("meta."): v for k, v in raw.items() if k.startswith("meta.")}
    return Tracks(**kwargs, metadata=metadata)


def write_parquet(tracks: Tracks, path: str | Path) -> None:
    """Write tracks to a Parquet file (zstd compressed), ROW_GROUP_ROWS rows at a time: one table
    of every row would cost its size again in Arrow buffers while it is encoded."""
    slices = [slice(a, a + ROW_GROUP_ROWS) for a in range(0, max(len(tracks), 1), ROW_GROUP_ROWS)]
    first = to_table(tracks.select(slices[0]))
    with _arrow().parquet.ParquetWriter(str(path), first.schema, compression="zstd") as writer:
        writer.write_table(first)
        for rows in slices[1:]:
            writer.write_table(to_table(tracks.select(rows)))


def read_parquet(path: str | Path) -> Tracks:
    """Read tracks written by write_parquet."""
    return from_table(_arrow().parquet.read_table(str(path)))
