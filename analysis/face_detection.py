"""Face detection for the people pass, small faces included (MediaPipe, full-range model).

The full-range detector sees the whole frame through a 192 x 192 input, so in a 960 x 540
frame it misses faces under about 80 px high: a child farther from a wide camera. Two extra
looks find them: overlapping square tiles (TILE_SIDE_SHARE of the frame's short side), which
enlarge every face about 3 times in the model's input, and, for a small face already found,
a window of ZOOM_WINDOW_FACES face heights around it, which follows that face frame by frame
for the price of one detector call. Measured on the astronaut photo in a 960 x 540 frame:
whole frame from 80 px; tiles and zoom window from 25 px (tiles of 2 x 2 from 45 px only).
"""

from __future__ import annotations

import cv2
import numpy as np

from analysis import mediapipe_solutions
from analysis.lifecycle import ClosesOnExit
from analysis.mediapipe_solutions import run_graph
from analysis.people import box_iou

MIN_FACE_SCORE = 0.5
# Frames are shrunk to this long side before face detection: the full-range detector's input
# is 192 x 192, so larger frames only cost resizing time.
DETECTION_LONG_SIDE_PX = 640
# Faces under this share of the frame height are followed in a zoom window.
SMALL_FACE_HEIGHT_SHARE = 0.15
# Side of the zoom window around a small face, in face heights.
ZOOM_WINDOW_FACES = 8.0
# A small face's zoom window stays where it was while the face's box stays within this many face
# heights of the box the window was placed on, at a height within this ratio of it.
ZOOM_KEEP_SHIFT_FACES = 0.25
ZOOM_KEEP_HEIGHT_RATIO = 1.25
# Tiles of the tiled look are squares of this share of the frame's short side (eight of them
# in a 960 x 540 frame): a 40 px face there is about 24 px in the model's square input.
# (2 x 2 tiles of a wide frame, oblong and squeezed into that input, miss it.)
TILE_SIDE_SHARE = 0.6
# Neighbouring tiles overlap by this share of their side, so that a face on a tile border is
# whole in one.
TILE_OVERLAP_SHARE = 0.25
# Two detections of one face (whole frame, tile, zoom) overlap by at least this IoU.
SAME_FACE_IOU = 0.3


class FaceDetector(ClosesOnExit):
    """MediaPipe face detection, full-range model (faces up to about 5 m from the camera).

    Use it as a context manager, or call `close()`, to free the MediaPipe graph.
    """

    name = "mediapipe-face-detection-full-range"
    version = mediapipe_solutions.VERSION

    def __init__(self, min_score: float = MIN_FACE_SCORE) -> None:
        self._detector = mediapipe_solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_score
        )

    def process(self, frame_rgb: np.ndarray) -> np.ndarray:
        """Faces in one image.

        Parameters
        ----------
        frame_rgb : uint8 array of shape (height, width, 3)

        Returns
        -------
        float32 array of shape (n_faces, 5)
            x, y, width, height of each face box in px of frame_rgb, then the detector's score.
        """
        height, width = frame_rgb.shape[:2]
        scale = min(1.0, DETECTION_LONG_SIDE_PX / max(height, width))
        small = frame_rgb
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            small = cv2.resize(frame_rgb, size, interpolation=cv2.INTER_AREA)
        (detections,) = run_graph(self._detector, np.ascontiguousarray(small), ("detections",)).values()
        faces = [
            (
                box.xmin * width,
                box.ymin * height,
                box.width * width,
                box.height * height,
                detection.score[0],
            )
            for detection in detections or []
            for box in [detection.location_data.relative_bounding_box]
        ]
        return np.array(faces, dtype=np.float32).reshape(-1, 5)

    def process_window(self, frame_rgb: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
        """Faces in a window (x0, y0, x1, y1) px of the frame, in frame px."""
        x0, y0, x1, y1 = window
        faces = self.process(frame_rgb[y0:y1, x0:x1])
        faces[:, 0] += x0
        faces[:, 1] += y0
        return faces

    def process_tiles(self, frame_rgb: np.ndarray) -> np.ndarray:
        """Faces in overlapping square tiles of the frame (small faces), in frame px."""
        height, width = frame_rgb.shape[:2]
        side = max(1, round(min(height, width) * TILE_SIDE_SHARE))
        stride = side * (1 - TILE_OVERLAP_SHARE)
        found = [
            self.process_window(frame_rgb, (x0, y0, x0 + side, y0 + side))
            for y0 in _tile_starts(height, side, stride)
            for x0 in _tile_starts(width, side, stride)
        ]
        return np.concatenate(found)

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._detector.close()


def _tile_starts(length_px: int, side_px: int, stride_px: float) -> list[int]:
    """Evenly spread starts of tiles of side_px covering length_px, at most stride_px apart."""
    if side_px >= length_px:
        return [0]
    count = int(np.ceil((length_px - side_px) / stride_px)) + 1
    return [int(v) for v in np.linspace(0, length_px - side_px, count).round()]


def zoom_window(face_xywh: np.ndarray, frame_size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """The window of ZOOM_WINDOW_FACES face heights around a face, clipped to the frame."""
    width, height = frame_size_wh
    x, y, w, h = (float(v) for v in face_xywh[:4])
    half = ZOOM_WINDOW_FACES * max(w, h) / 2
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(width, cx + half)), int(min(height, cy + half))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def zoom_anchor(face_xywh: np.ndarray, anchors: list[np.ndarray]) -> np.ndarray:
    """The box to place a face's zoom window on: a previous window's box while the face is still
    near it at about its size, else the face's own box.

    The detector boxes a face a little differently in each window, so a window re-centred on
    every new box fed that difference back: a still 70 px face was boxed 64 to 72 px, and its
    body crop, which the pose model sees, moved with it. A window that stays put gives a still
    face the same box at every look."""
    x, y, w, h = (float(v) for v in face_xywh[:4])
    for anchor in anchors:
        ax, ay, aw, ah = (float(v) for v in anchor[:4])
        shift = np.hypot(x + w / 2 - ax - aw / 2, y + h / 2 - ay - ah / 2)
        ratio = max(h, ah) / max(min(h, ah), 1e-6)
        if shift <= ZOOM_KEEP_SHIFT_FACES * ah and ratio <= ZOOM_KEEP_HEIGHT_RATIO:
            return anchor[:4]
    return np.asarray(face_xywh[:4], dtype=np.float32)


def is_small(face_xywh: np.ndarray, frame_height_px: int) -> bool:
    """Whether a face is small enough to be missed by the whole-frame look."""
    return bool(face_xywh[3] < SMALL_FACE_HEIGHT_SHARE * frame_height_px)


def merge_detections(*groups: np.ndarray) -> np.ndarray:
    """One box per face from several looks (boxes (n, 5) with scores): the highest-scoring
    box of each group of boxes overlapping by SAME_FACE_IOU or more."""
    faces = np.concatenate([g.reshape(-1, 5) for g in groups])
    kept: list[np.ndarray] = []
    for face in faces[np.argsort(-faces[:, 4], kind="stable")]:
        if all(box_iou(face, other) < SAME_FACE_IOU for other in kept):
            kept.append(face)
    return np.array(kept, dtype=np.float32).reshape(-1, 5)


def add_new_faces(faces: np.ndarray, tile_faces: np.ndarray) -> np.ndarray:
    """faces with the tiled look's faces that none of them overlaps by SAME_FACE_IOU.

    The tiled look runs only every few seconds and boxes a face differently (a tile enlarges it
    about 3 times): on the synthetic flapping video its box of a 64 px face is 74 px and scores
    higher, so letting it win made the face box, and the body crop the pose model sees, jump by
    15 % every 2 s; the pose jitter this adds on still stretches doubled the hand-flapping
    amplitude floor. A face the other looks find keeps their box; tiles only add faces."""
    new = merge_detections(tile_faces)
    new = [f for f in new if all(box_iou(f, other) < SAME_FACE_IOU for other in faces)]
    return np.concatenate([faces.reshape(-1, 5), np.array(new, dtype=np.float32).reshape(-1, 5)])
