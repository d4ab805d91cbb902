"""Face detection for the people pass, small faces included (MediaPipe, full-range model).

The full-range detector sees the whole frame through a 192 x 192 input, so in a 960 x 540
frame it misses faces under about 80 px high: a child farther from a wide camera. Two extra
looks find them: overlapping tiles (2 x 2, each a little over half the frame), which enlarge
every face about twice in the model's input, and, for a small face already found, a window of
ZOOM_WINDOW_FACES face heights around it, which follows that face frame by frame for the
price of one detector call. Measured on the astronaut photo in a 960 x 540 frame: whole frame
from 80 px, tiles from 40 px.
"""

from __future__ import annotations

import cv2
import mediapipe as mp
import numpy as np

from analysis.lifecycle import ClosesOnExit
from analysis.people import box_iou

MIN_FACE_SCORE = 0.5
# Frames are shrunk to this long side before face detection: the full-range detector's input
# is 192 x 192, so larger frames only cost resizing time.
DETECTION_LONG_SIDE_PX = 640
# Faces under this share of the frame height are followed in a zoom window.
SMALL_FACE_HEIGHT_SHARE = 0.15
# Side of the zoom window around a small face, in face heights.
ZOOM_WINDOW_FACES = 8.0
# Tiles overlap by this share of the frame, so that a face on a tile border is whole in one.
TILE_OVERLAP_SHARE = 0.125
# Two detections of one face (whole frame, tile, zoom) overlap by at least this IoU.
SAME_FACE_IOU = 0.3


class FaceDetector(ClosesOnExit):
    """MediaPipe face detection, full-range model (faces up to about 5 m from the camera).

    Use it as a context manager, or call `close()`, to free the MediaPipe graph.
    """

    name = "mediapipe-face-detection-full-range"
    version = mp.__version__

    def __init__(self, min_score: float = MIN_FACE_SCORE) -> None:
        self._detector = mp.solutions.face_detection.FaceDetection(
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
        results = self._detector.process(np.ascontiguousarray(small))
        faces = [
            (
                box.xmin * width,
                box.ymin * height,
                box.width * width,
                box.height * height,
                detection.score[0],
            )
            for detection in results.detections or []
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
        """Faces in 2 x 2 overlapping tiles of the frame (small faces), in frame px."""
        height, width = frame_rgb.shape[:2]
        tile_w = round(width * (0.5 + TILE_OVERLAP_SHARE))
        tile_h = round(height * (0.5 + TILE_OVERLAP_SHARE))
        found = [
            self.process_window(frame_rgb, (x0, y0, x0 + tile_w, y0 + tile_h))
            for y0 in (0, height - tile_h)
            for x0 in (0, width - tile_w)
        ]
        return np.concatenate(found)

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._detector.close()


def zoom_window(face_xywh: np.ndarray, frame_size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """The window of ZOOM_WINDOW_FACES face heights around a face, clipped to the frame."""
    width, height = frame_size_wh
    x, y, w, h = (float(v) for v in face_xywh[:4])
    half = ZOOM_WINDOW_FACES * max(w, h) / 2
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(width, cx + half)), int(min(height, cy + half))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


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
