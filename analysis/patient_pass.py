"""Pass 2, run in a worker process on one time segment: every model on the patient, and the
other people's faces.

For each analysed frame, a motion measure (analysis/sampling.py) on the patient's body crop
decides whether the body models (pose, hands) look at it; their skipped rows are filled from the
measured ones at the end of the segment. The face models (face mesh, head pose, gaze,
expression) look at every analysed frame: they cost about a quarter of the body models, and the
head's and the eyes' jitter (the noise floors) and the lips during speech are measured there,
which filled rows would hide. While no hand is tracked, the hand model looks for one every
HAND_SEARCH_EVERY_S only, and not again on a body crop unchanged since it found none there (its
palm detector is the costliest model and runs at every call until it has two hands). The models see the patient's crop with every other tracked person's region
blanked (analysis/people.py, other_person_region), and a hand or body point that still
lands in such a region is discarded: another person's movement cannot become the patient's.
Face crops for the expression network are collected and classified in batches of
EXPRESSION_BATCH. The other people's faces get face mesh (landmarks, head pose) on a window
around their face box, at most every OTHER_FACE_EVERY_S, so that the patient's gaze can be
tested against their face.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from analysis.emotion import EmotionClassifier, face_crops
from analysis.face import FaceMeshModel
from analysis.gaze import eye_in_head_deg, gaze_deg, head_pose_deg
from analysis.hands import HandsModel
from analysis.people import other_person_region
from analysis.pose import PoseBackend, PoseModel, PoseObservation
from analysis.runner import PartClock
from analysis.sampling import HAND_SEARCH_EVERY_S, HandSearch, MotionGate, View
from analysis.segment_jobs import PatientJob
from analysis.segment_rows import SegmentRows
from analysis.tracks import HANDS, POSE_LEFT_WRIST, POSE_RIGHT_WRIST, Tracks

BATCH_FRAMES = 16
# Patient crops are shrunk to this long side before the models: their inputs are 256 px
# (pose), 192 px (face mesh, palm detector) and 224 px (hand landmarks), so more pixels only
# cost copying and resizing time.
MODEL_LONG_SIDE_PX = 640
# MediaPipe visibility above which a wrist counts as in view (hands are then looked for).
WRIST_VISIBLE = 0.3
# Thumbnail long side (px) of the motion measure on the patient's body crop.
BODY_THUMBNAIL_PX = 64
# Another person's face mesh runs at most once per this many seconds (their head pose moves
# slowly; it is what the patient's gaze is tested against), on a window this many face sizes.
OTHER_FACE_EVERY_S = 0.5
OTHER_FACE_WINDOW_SCALE = 2.0
# Expression crops classified together (64 x 64 float32, 16 kB each): a batch this size costs
# no more per crop than a larger one, and the queue no longer grows with the segment's length
# (a whole hour's crops held 290 MB per worker).
EXPRESSION_BATCH = 256
# Gray level of the blanked regions of other people.
BLANK_LEVEL = 128


@functools.cache
def _emotion(device: str | None) -> EmotionClassifier:
    """The expression network, loaded once per process and kept for every later job."""
    return EmotionClassifier(device=device)


def load_expression_network(device: str | None) -> None:
    """Import the models' modules and load the expression network in this worker process."""
    _emotion(device)


def warm_up(device: str | None) -> None:
    """Load everything a job needs in this worker process, before the first job."""
    _emotion(device)
    for model in (PoseModel(), HandsModel(), FaceMeshModel(max_faces=1)):
        model.close()


def _grown(box_xywh: np.ndarray, scale: float, size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = (float(v) for v in box_xywh)
    cx, cy, half = x + w / 2, y + h / 2, scale * max(w, h) / 2
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    return x0, y0, max(int(min(size_wh[0], cx + half)), x0 + 1), max(int(min(size_wh[1], cy + half)), y0 + 1)


def _inside(xy: np.ndarray, regions: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Whether each point (..., 2) lies in any of the regions."""
    hit = np.zeros(xy.shape[:-1], dtype=bool)
    for x0, y0, x1, y1 in regions:
        hit |= (xy[..., 0] >= x0) & (xy[..., 0] < x1) & (xy[..., 1] >= y0) & (xy[..., 1] < y1)
    return hit


def _hands_may_be_visible(body: PoseObservation | None) -> bool:
    """Whether to run the hand model: not when the body model sees the person but neither wrist
    (visibility below WRIST_VISIBLE). Its palm detector is the costliest model and finds nothing
    then; when no body was found at all, the hands still get their chance."""
    if body is None:
        return True
    return bool(np.nanmax(body.visibility[[POSE_LEFT_WRIST, POSE_RIGHT_WRIST]]) >= WRIST_VISIBLE)


class _SegmentModels:
    """The models of one segment job: MediaPipe graphs are made per job (their video-mode
    tracking state belongs to one stretch of one video; making one costs about 0.1 s), the
    expression network is the process's."""

    def __init__(
        self, device: str | None, pose_model: Callable[[], PoseBackend] | None, *, full_rate: bool
    ) -> None:
        self.clock = PartClock()
        self.hand_search = HandSearch(0.0 if full_rate else HAND_SEARCH_EVERY_S)
        self.pose = (pose_model or PoseModel)()
        self.hands = HandsModel()
        self.mesh = FaceMeshModel(max_faces=1)
        self.emotion = _emotion(device)
        self.other_meshes: dict[int, FaceMeshModel] = {}
        self.face_rows: list[int] = []
        self.face_crops: list[np.ndarray] = []
        self.clock.lap("model start-up (graphs, expression network)")

    def infos(self) -> list[tuple[str, str]]:
        return [(m.name, m.version) for m in (self.pose, self.mesh, self.hands, self.emotion)]

    def __enter__(self) -> _SegmentModels:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for model in (self.pose, self.hands, self.mesh, *self.other_meshes.values()):
            model.close()

    def patient(
        self,
        image: np.ndarray,
        job: PatientJob,
        i: int,
        out: Tracks,
        row: int,
        *,
        body: bool,
        view: View | None,
    ) -> None:
        """Run the face models, and the body models when body is True, on frame i's patient
        crop, other people blanked; write row `row` of out in full-frame px (expression: queued
        for the batch). view: the body crop's motion thumbnail (None in full-rate runs)."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = (int(v) for v in job.crops[i])
        blanks = [
            region
            for box in job.others_extent_xywh[i]
            if np.isfinite(box).all()
            for region in [other_person_region(box, job.faces_xywh[i], (width, height))]
            if region is not None and region[0] < x1 and x0 < region[2] and region[1] < y1
        ]
        region = image[y0:y1, x0:x1]
        scale = min(1.0, MODEL_LONG_SIDE_PX / max(region.shape[:2]))
        if scale < 1.0:
            size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
            region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        elif blanks:
            region = region.copy()
        for bx0, by0, bx1, by1 in blanks:
            region[
                max(0, round((by0 - y0) * scale)) : max(0, round((by1 - y0) * scale)),
                max(0, round((bx0 - x0) * scale)) : max(0, round((bx1 - x0) * scale)),
            ] = BLANK_LEVEL
        offset = np.array([x0, y0], dtype=np.float32)

        def to_frame(xy: np.ndarray) -> np.ndarray:
            return xy / scale + offset

        self.clock.lap("decoding, motion and crops")
        if body:
            self._body(region, job.times_s[i], row, out, to_frame=to_frame, blanks=blanks, view=view)
        faces = self.mesh.process(region)
        if faces:
            landmarks = to_frame(faces[0].landmarks_xy)
            out.face_xy[row] = landmarks
            out.face_z[row] = faces[0].landmarks_z / scale
            out.face_confidence[row] = faces[0].confidence
            # Head pose depends on the camera model, so it is solved again in the full frame's
            # geometry (the crop has another principal point and focal length).
            head = head_pose_deg(landmarks, (width, height))
            out.head_pose_deg[row] = head
            out.gaze_deg[row] = gaze_deg(head, eye_in_head_deg(landmarks, self.mesh.gaze_offsets))
            self.face_rows.append(row)
            self.face_crops.append(face_crops(region, faces[0].bbox_xywh[None], self.emotion.input_size)[0])
        self.clock.lap("face mesh, head pose, gaze")

    def _body(
        self,
        region: np.ndarray,
        time_s: float,
        row: int,
        out: Tracks,
        *,
        to_frame: Callable[[np.ndarray], np.ndarray],
        blanks: list[tuple[int, int, int, int]],
        view: View | None,
    ) -> None:
        """Pose, and hands where they may be seen and are tracked or due to be looked for."""
        body = self.pose.process(region)
        self.clock.lap("pose")
        if body is not None:
            out.pose_xy[row] = to_frame(body.keypoints_xy)
            out.pose_visibility[row] = np.where(_inside(out.pose_xy[row], blanks), 0.0, body.visibility)
            out.pose_confidence[row] = body.confidence
        if not _hands_may_be_visible(body) or not self.hand_search.due(time_s, view):
            return
        hands = self.hands.process(region)
        self.hand_search.found(time_s, bool(hands), view)
        for hand in hands:
            keypoints = to_frame(hand.keypoints_xy)
            if _inside(keypoints, blanks).any():
                continue  # reaches into another person's region: theirs, or not the patient's alone
            side = HANDS.index(hand.handedness)
            out.hands_xy[row, side] = keypoints
            out.hands_confidence[row, side] = hand.confidence
        self.clock.lap("hands")

    def other_face(self, image: np.ndarray, box_xywh: np.ndarray, person: int) -> np.ndarray | None:
        """Face mesh landmarks (478, 2) in frame px of another person, or None."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = _grown(box_xywh, OTHER_FACE_WINDOW_SCALE, (width, height))
        if person not in self.other_meshes:
            self.other_meshes[person] = FaceMeshModel(max_faces=1)
        faces = self.other_meshes[person].process(image[y0:y1, x0:x1])
        return faces[0].landmarks_xy + np.array([x0, y0], dtype=np.float32) if faces else None

    def classify_faces(self, out: Tracks) -> None:
        """The queued expression crops, in one batch; the queue is emptied."""
        self.clock.lap("decoding, motion and crops")
        if self.face_crops:
            out.emotion_probs[self.face_rows] = self.emotion.predict_crops(np.stack(self.face_crops))
        self.face_rows, self.face_crops = [], []
        self.clock.lap("expression")


def analyse_patient(job: PatientJob, tick: Callable[[int], None]) -> dict[str, Any]:
    """Pass 2 on one time segment. Writes the segment's rows to chunk files in job.rows_folder
    (analysis/segment_rows.py): the PATIENT_FIELDS arrays in full-frame px, measured (whether
    the body models ran on each frame; on the other rows their fields were filled, the face
    models ran on every frame) and the other people's faces: others_rows (m, 2) (frame i of the
    segment, person k of the job), others_face_xy (m, 478, 2), others_head_pose_deg (m, 3).
    Returns the chunk files' paths in order, the models' (name, version) and the seconds per part
    (analysis.runner.PartClock)."""
    n = len(job.times_s)
    rows = SegmentRows(job.rows_folder, job.times_s)
    gate = MotionGate(full_rate=job.full_rate)
    last_other_s = np.full(job.others_xywh.shape[1], -np.inf)
    with _SegmentModels(job.device, job.pose_model, full_rate=job.full_rate) as models:
        i = 0
        for frame in job.segment.frames():
            if i >= n or abs(frame.time_s - job.times_s[i]) > 1e-6:
                raise RuntimeError(
                    f"Decoding {job.segment.path.name} gave a frame at {frame.time_s:.3f} s where "
                    "the first pass had another; the video cannot be decoded reproducibly."
                )
            gray = frame.image_gray
            size = (gray.shape[1], gray.shape[0])
            crop = tuple(int(v) for v in job.crops[i])
            body = gate.should_run(gray, [(crop, BODY_THUMBNAIL_PX)])
            view = None if gate.current is None else View(gate.current, crop, BODY_THUMBNAIL_PX)
            row = rows.row(body)
            models.patient(frame.image_rgb, job, i, rows.out, row, body=body, view=view)
            models.clock.lap("decoding, motion and crops")
            for k in np.flatnonzero(job.others_in_view[i]):
                if frame.time_s - last_other_s[k] >= OTHER_FACE_EVERY_S - 1e-6:
                    last_other_s[k] = frame.time_s
                    landmarks = models.other_face(frame.image_rgb, job.others_xywh[i, k], int(k))
                    if landmarks is not None:
                        rows.other_face(row, int(k), landmarks, head_pose_deg(landmarks, size))
            models.clock.lap("other people's faces")
            if len(models.face_crops) >= EXPRESSION_BATCH or rows.full:
                models.classify_faces(rows.out)
                rows.write(last=False)
                models.clock.lap("filling skipped rows and writing")
            i += 1
            if i % BATCH_FRAMES == 0:
                tick(BATCH_FRAMES)
        tick(i % BATCH_FRAMES)
        models.classify_faces(rows.out)
    rows.write(last=True)
    return {
        "models": models.infos(),
        "part_s": models.clock.total("filling skipped rows and writing"),
        "chunks": rows.paths,
    }
