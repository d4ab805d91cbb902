"""Face landmarks with iris, head pose and gaze: MediaPipe Face Mesh behind a small interface.

The model is MediaPipe's legacy Face Mesh solution with `refine_landmarks=True`, which runs the
attention mesh bundled in the mediapipe==0.10.14 wheel (face_landmark_with_attention.tflite)
and returns 478 landmarks: 468 mesh points plus 10 iris points (468..477). Head pose and gaze
are geometry on those landmarks (analysis/gaze.py). Conventions: analysis/tracks.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from analysis import mediapipe_solutions
from analysis.gaze import GazeOffsets, eye_in_head_deg, gaze_deg, head_pose_deg
from analysis.lifecycle import ClosesOnExit
from analysis.mediapipe_solutions import run_graph
from analysis.tracks import N_FACE_LANDMARKS

# The legacy solution's thresholds on the face detector's score (first frame, or after the
# track is lost) and on the mesh's face-presence score (while tracking in video mode).
MIN_DETECTION_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5


@dataclass
class FaceObservation:
    """One face found in one frame.

    Attributes
    ----------
    landmarks_xy : float32 array of shape (478, 2)
        Face Mesh landmarks in px of the frame (iris centres at 468 and 473).
    landmarks_z : float32 array of shape (478,)
        The mesh's depth of each landmark in px (MediaPipe's z times the frame width: relative
        to the head's centre, smaller is nearer the camera), what removes head rotation in 3-D.
    bbox_xywh : float32 array of shape (4,)
        Tight box around the landmarks in px (x, y, width, height).
    confidence : float
        1.0: the legacy Face Mesh solution exposes no per-face score; a face is returned only
        when the detector's score passed MIN_DETECTION_CONFIDENCE and (in video mode) the
        mesh's presence score passed MIN_TRACKING_CONFIDENCE. It is a presence flag, not a
        calibrated probability.
    image_size_wh : (int, int)
        Width and height of the image the face was found in (its camera geometry).
    gaze_offsets : GazeOffsets
        The eye-in-head offsets the gaze is computed with.
    head_pose_deg : float32 array of shape (3,)
        Head yaw, pitch, roll in degrees (NaN if PnP failed), in the geometry of the image the
        face was found in; computed when first read (the analysis solves it again in the full
        frame's geometry, from landmarks it maps there).
    gaze_deg : float32 array of shape (2,)
        Gaze yaw, pitch in degrees (NaN when both eyes are closed); computed when first read.
    """

    landmarks_xy: np.ndarray
    landmarks_z: np.ndarray
    bbox_xywh: np.ndarray
    confidence: float
    image_size_wh: tuple[int, int]
    gaze_offsets: GazeOffsets

    @functools.cached_property
    def head_pose_deg(self) -> np.ndarray:
        return head_pose_deg(self.landmarks_xy, self.image_size_wh)

    @functools.cached_property
    def gaze_deg(self) -> np.ndarray:
        return gaze_deg(self.head_pose_deg, eye_in_head_deg(self.landmarks_xy, self.gaze_offsets))


class FaceMeshModel(ClosesOnExit):
    """MediaPipe Face Mesh (478 landmarks with iris) plus head pose and gaze per face.

    Parameters
    ----------
    max_faces : int
        Most faces returned per frame.
    video_mode : bool
        True for consecutive frames of one video (the mesh tracks faces between frames and
        runs the detector only when a face is lost); False for unrelated images.
    gaze_offsets : GazeOffsets, optional
        The subject's straight-ahead iris position (see `analysis.gaze.calibrate_gaze_offsets`);
        default: the eye centre.

    Use it as a context manager, or call `close()`, to free the MediaPipe graph.
    """

    name = "mediapipe-face-mesh-iris"
    version = mediapipe_solutions.VERSION

    def __init__(
        self, max_faces: int = 2, video_mode: bool = True, gaze_offsets: GazeOffsets | None = None
    ) -> None:
        if max_faces < 1:
            raise ValueError(f"max_faces must be at least 1; got {max_faces}.")
        self.gaze_offsets = gaze_offsets or GazeOffsets()
        self._mesh = mediapipe_solutions.face_mesh.FaceMesh(
            static_image_mode=not video_mode,
            max_num_faces=max_faces,
            refine_landmarks=True,
            min_detection_confidence=MIN_DETECTION_CONFIDENCE,
            min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        )

    def process(self, frame_rgb: np.ndarray) -> list[FaceObservation]:
        """Faces in one frame.

        Parameters
        ----------
        frame_rgb : uint8 array of shape (height, width, 3)
            Upright RGB frame.

        Returns
        -------
        list of FaceObservation
            One per face found, empty when there is none.
        """
        if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
            raise ValueError(
                f"frame_rgb must be a uint8 RGB image of shape (height, width, 3); "
                f"got {frame_rgb.dtype} {frame_rgb.shape}."
            )
        height, width = frame_rgb.shape[:2]
        (found,) = run_graph(self._mesh, np.ascontiguousarray(frame_rgb), ("multi_face_landmarks",)).values()
        faces = []
        for face in found or []:
            normalised = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float32)
            if normalised.shape[0] != N_FACE_LANDMARKS:
                raise RuntimeError(
                    f"Face Mesh returned {normalised.shape[0]} landmarks instead of "
                    f"{N_FACE_LANDMARKS}; check that mediapipe==0.10.14 is installed."
                )
            landmarks = normalised[:, :2] * np.array([width, height], dtype=np.float32)
            faces.append(self._observation(landmarks, normalised[:, 2] * width, (width, height)))
        return faces

    def _observation(
        self, landmarks: np.ndarray, depth: np.ndarray, size_wh: tuple[int, int]
    ) -> FaceObservation:
        low, high = landmarks.min(axis=0), landmarks.max(axis=0)
        return FaceObservation(
            landmarks_xy=landmarks,
            landmarks_z=depth.astype(np.float32),
            bbox_xywh=np.concatenate([low, high - low]).astype(np.float32),
            confidence=1.0,
            image_size_wh=size_wh,
            gaze_offsets=self.gaze_offsets,
        )

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._mesh.close()
