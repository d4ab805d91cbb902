"""A real face turned in 3-D, so that head pose and eye contact are tested on pixels of a head
that is turned rather than of a photo that is warped.

The face is scikit-image's astronaut photo (a real photograph of a person looking at the
camera). Its surface is MediaPipe Face Mesh's 468 landmarks with their depth (MediaPipe's z, on
the scale of x), found once on the photo; each triangle of their Delaunay triangulation carries
its own piece of the photo. The surface is turned about the vertical axis by a known yaw and
drawn again in orthographic projection (the head is small against its distance from the camera):
every triangle's piece is mapped affinely onto its turned place, far triangles first, and those
that now face away from the camera are dropped (the painter's algorithm of a convex surface).
The face's outline, ears and hair are not part of the surface: the turned face is drawn on the
background, as a mask would be.

Used by the tests only (tests/analysis/test_turned_head.py); analysis/README.md, "Interaction:
eye contact", gives the head pose measured on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import skimage
from scipy.spatial import Delaunay

from analysis.synthetic_video import BACKGROUND_RGB, write_video

N_MESH = 468  # the surface's landmarks (the iris points lie on it and add nothing)


@dataclass(frozen=True)
class TexturedHead:
    """A face surface: the photo, its landmarks (n, 2) px and depth (n,) px on it, and the
    triangles (m, 3) indexing them."""

    photo: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    triangles: np.ndarray

    @property
    def centre_xy(self) -> np.ndarray:
        return self.xy.mean(axis=0)


def astronaut_head() -> TexturedHead:
    """The astronaut's face as a surface (MediaPipe Face Mesh on the photo, static image mode)."""
    from analysis.face import FaceMeshModel  # noqa: PLC0415 - MediaPipe loads only when needed

    photo = skimage.data.astronaut()
    with FaceMeshModel(max_faces=1, video_mode=False) as mesh:
        faces = mesh.process(photo)
    if len(faces) != 1:
        raise RuntimeError(f"Face Mesh found {len(faces)} faces on the astronaut photo instead of one.")
    xy = faces[0].landmarks_xy[:N_MESH].astype(np.float64)
    z = faces[0].landmarks_z[:N_MESH].astype(np.float64)
    return TexturedHead(photo, xy, z, Delaunay(xy).simplices)


def turned_points(head: TexturedHead, yaw_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """The surface turned by yaw_deg about the vertical axis through its centre: image points
    (n, 2) px of the photo's frame, and depth (n,) px (larger is farther). yaw > 0 turns the
    face to the person's left, toward the image's right (analysis/tracks.py)."""
    theta = np.radians(yaw_deg)
    cx, cz = head.xy[:, 0].mean(), head.z.mean()
    dx, dz = head.xy[:, 0] - cx, head.z - cz
    x = cx + dx * np.cos(theta) - dz * np.sin(theta)
    depth = cz + dx * np.sin(theta) + dz * np.cos(theta)
    return np.column_stack([x, head.xy[:, 1]]), depth


def _signed_area(points: np.ndarray) -> float:
    (x0, y0), (x1, y1), (x2, y2) = points
    return float((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0))


def draw_head(canvas: np.ndarray, head: TexturedHead, yaw_deg: float, centre_xy: tuple[float, float]) -> None:
    """Draw the surface turned by yaw_deg on canvas (RGB, in place), the surface's centre at
    centre_xy px."""
    points, depth = turned_points(head, yaw_deg)
    shift = np.asarray(centre_xy, dtype=np.float64) - head.centre_xy
    height, width = canvas.shape[:2]
    for triangle in head.triangles[np.argsort(-depth[head.triangles].mean(axis=1))]:
        source = head.xy[triangle].astype(np.float32)
        target = (points[triangle] + shift).astype(np.float32)
        if _signed_area(source) * _signed_area(target) <= 0:
            continue  # turned away from the camera
        x0, y0 = np.maximum(np.floor(target.min(axis=0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(target.max(axis=0)).astype(int) + 1, (width, height))
        if x1 <= x0 or y1 <= y0:
            continue
        local = target - np.float32([x0, y0])
        piece = cv2.warpAffine(
            head.photo,
            cv2.getAffineTransform(source, local),
            (int(x1 - x0), int(y1 - y0)),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        # Sub-pixel corners (4 fractional bits), grown by a pixel so that neighbours leave no seam.
        cv2.fillConvexPoly(mask, np.round(local * 16).astype(np.int32), 255, cv2.LINE_8, 4)
        inside = cv2.dilate(mask, np.ones((2, 2), np.uint8)) > 0
        canvas[y0:y1, x0:x1][inside] = piece[inside]


# The eye-contact video: two people side by side at the same height, the patient on the left.
EYE_CONTACT_VIDEO_SIZE = (640, 360)
PATIENT_FACE_XY = (180.0, 180.0)
OTHER_FACE_XY = (460.0, 180.0)


def make_eye_contact_video(
    path: str | Path,
    patient_yaws: list[tuple[float, float, float]],
    *,
    other_yaw_deg: float,
    fps: float = 10.0,
    head: TexturedHead | None = None,
) -> Path:
    """Two faces side by side: the patient's (left, centre PATIENT_FACE_XY) turned by yaw_deg
    over each (start_s, end_s, yaw_deg) of patient_yaws, the other person's (right,
    OTHER_FACE_XY) turned by other_yaw_deg throughout (negative: toward the patient)."""
    head = head or astronaut_head()
    width, height = EYE_CONTACT_VIDEO_SIZE
    duration_s = max(end for _, end, _ in patient_yaws)
    other = np.empty((height, width, 3), dtype=np.uint8)
    other[:] = BACKGROUND_RGB
    draw_head(other, head, other_yaw_deg, OTHER_FACE_XY)
    drawn: dict[float, np.ndarray] = {}

    def frame(i: int) -> np.ndarray:
        t = i / fps
        yaw = next((y for start, end, y in patient_yaws if start <= t < end), patient_yaws[-1][2])
        if yaw not in drawn:
            canvas = other.copy()
            draw_head(canvas, head, yaw, PATIENT_FACE_XY)
            drawn[yaw] = canvas
        return drawn[yaw]

    return write_video(Path(path), frame, round(duration_s * fps), fps)
