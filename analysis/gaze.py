"""Head pose and gaze direction from MediaPipe Face Mesh landmarks (pure geometry, no model).

Conventions follow analysis/tracks.py: pixels of the upright frame (x right, y down), degrees,
NaN when an angle cannot be measured, and

- yaw > 0 when the person turns (or looks) to *their* left, which appears toward the image's
  right (x grows);
- pitch > 0 when the person looks up (toward smaller y);
- roll > 0 when the head tilts toward the person's right shoulder, which appears as a
  counter-clockwise rotation of the face on screen (the sense of a positive angle in
  `cv2.getRotationMatrix2D`).

Head pose: `cv2.solvePnP` of six landmarks against MediaPipe's canonical face model, focal length
= image width, principal point at the image centre. Eye-in-head angles: the iris position within
the eye opening (a landmark ratio, about 5-10 degrees horizontal error and worse vertically, see
analysis/docs/face_models.md). Gaze: the eye-in-head direction rotated by the head pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Landmarks used for head pose: nose tip, chin, outer eye corners (subject's right, left),
# mouth corners (subject's right, left).
HEAD_POSE_LANDMARKS = (1, 152, 33, 263, 61, 291)
# Those vertices of MediaPipe's canonical_face_model.obj (cm; x toward the image right, y up,
# z toward the camera), converted to camera axes (x right, y down, z away from the camera), so
# that a face looking straight into the camera has the identity rotation.
_CANONICAL_CM = np.array(
    [
        [0.0, -1.126865, 7.475604],
        [0.0, -9.403378, 4.264492],
        [-4.445859, 2.663991, 3.173422],
        [4.445859, 2.663991, 3.173422],
        [-2.456206, -4.342621, 4.283884],
        [2.456206, -4.342621, 4.283884],
    ]
)
HEAD_MODEL_POINTS = _CANONICAL_CM * np.array([1.0, -1.0, -1.0])

# Eye landmarks. The corner pairs are (image-left corner, image-right corner) of an upright
# face, lids are (upper, lower). Iris centres 468 and 473 are matched to an eye by distance,
# because public code disagrees on which one is "left".
EYE_CORNERS = ((33, 133), (362, 263))
EYE_LIDS = ((159, 145), (386, 374))
IRIS_CENTRES = (468, 473)

BLINK_OPENNESS = 0.15  # lid distance / corner distance under which the eye counts as closed
EYE_FULL_SCALE_DEG = 50.0  # eye-in-head angle when the iris reaches an eye corner (ratio 0 or 1)


@dataclass(frozen=True)
class GazeOffsets:
    """Per-subject iris position when looking straight ahead (eye-in-head angles zero).

    h0 is the iris position along the corner axis (0 at the image-left corner, 1 at the
    image-right corner), v0 along the lid axis (0 at the upper lid, 1 at the lower lid).
    The defaults (eye centre) hold for an average face; `calibrate_gaze_offsets` fits them.
    """

    h0: float = 0.5
    v0: float = 0.5


def head_pose_deg(landmarks_xy: np.ndarray, image_size_wh: tuple[int, int]) -> np.ndarray:
    """Head yaw, pitch and roll of one face.

    Parameters
    ----------
    landmarks_xy : array of shape (478, 2) or (468, 2)
        Face Mesh landmarks in px.
    image_size_wh : (width, height)
        Frame size in px; it sets the pinhole camera (focal = width, centre = middle).

    Returns
    -------
    float32 array of shape (3,)
        yaw, pitch, roll in degrees; NaN if a landmark is missing or PnP fails.
    """
    image_points = np.asarray(landmarks_xy, dtype=np.float64)[list(HEAD_POSE_LANDMARKS)]
    if not np.all(np.isfinite(image_points)):
        return np.full(3, np.nan, dtype=np.float32)
    width, height = image_size_wh
    camera = np.array([[width, 0.0, width / 2.0], [0.0, width, height / 2.0], [0.0, 0.0, 1.0]])
    ok, rvec, _ = cv2.solvePnP(HEAD_MODEL_POINTS, image_points, camera, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return np.full(3, np.nan, dtype=np.float32)
    rotation, _ = cv2.Rodrigues(rvec)
    return rotation_to_euler_deg(rotation)


def euler_deg_to_rotation(yaw_pitch_roll_deg: np.ndarray) -> np.ndarray:
    """Rotation matrix (camera axes: x right, y down, z away) of a yaw, pitch, roll in degrees.

    R = Ry(-yaw) @ Rx(-pitch) @ Rz(-roll): roll about the face's own forward axis first, then
    pitch, then yaw about the camera's vertical axis. Inverse of `rotation_to_euler_deg`.
    """
    yaw, pitch, roll = np.radians(np.asarray(yaw_pitch_roll_deg, dtype=np.float64))
    cy, sy, cp, sp, cr, sr = (
        np.cos(yaw),
        np.sin(yaw),
        np.cos(pitch),
        np.sin(pitch),
        np.cos(roll),
        np.sin(roll),
    )
    ry = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])
    rz = np.array([[cr, sr, 0.0], [-sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return ry @ rx @ rz


def rotation_to_euler_deg(rotation: np.ndarray) -> np.ndarray:
    """Yaw, pitch, roll (degrees, float32 of shape (3,)) of a face rotation in camera axes.

    The face's forward direction is R @ (0, 0, -1) (toward the camera at rest): yaw is its
    angle toward +x, pitch its angle toward -y (up). Roll is what is left about that axis.
    """
    forward = rotation @ np.array([0.0, 0.0, -1.0])
    yaw = np.arctan2(forward[0], -forward[2])
    pitch = np.arcsin(np.clip(-forward[1], -1.0, 1.0))
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    ry_inv = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx_inv = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    rest = rx_inv @ ry_inv @ rotation
    roll = np.arctan2(rest[0, 1], rest[0, 0])
    return np.degrees([yaw, pitch, roll]).astype(np.float32)


def eye_ratios(landmarks_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iris position within each eye, and how open each eye is.

    Parameters
    ----------
    landmarks_xy : array of shape (..., 478, 2)
        Face Mesh landmarks with the refined iris points, in px.

    Returns
    -------
    h, v, openness : float64 arrays of shape (..., 2)
        For the eyes (33/133, 362/263): h = projection of (iris - image-left corner) on the
        corner axis / corner distance (0.5 = centred, larger = toward the image right);
        v = projection of (iris - upper lid) on the lid axis / lid distance (larger = lower);
        openness = lid distance / corner distance (about 0.3 open, under 0.15 closed).
    """
    points = np.asarray(landmarks_xy, dtype=np.float64)
    corners = np.stack([points[..., list(pair), :] for pair in EYE_CORNERS], axis=-3)  # (..., 2, 2, 2)
    lids = np.stack([points[..., list(pair), :] for pair in EYE_LIDS], axis=-3)
    irises = points[..., list(IRIS_CENTRES), :]  # (..., 2, 2)
    eye_centres = corners.mean(axis=-2)  # (..., 2 eyes, 2)
    # distance[..., i, j]: iris i to eye j; keep the pairing (identity or swapped) that is closer.
    distance = np.linalg.norm(irises[..., :, None, :] - eye_centres[..., None, :, :], axis=-1)
    swapped = (distance[..., 0, 1] + distance[..., 1, 0]) < (distance[..., 0, 0] + distance[..., 1, 1])
    iris = np.where(swapped[..., None, None], irises[..., ::-1, :], irises)

    corner_axis = corners[..., 1, :] - corners[..., 0, :]
    corner_len2 = np.sum(corner_axis**2, axis=-1)
    h = np.sum((iris - corners[..., 0, :]) * corner_axis, axis=-1) / corner_len2
    lid_axis = lids[..., 1, :] - lids[..., 0, :]
    lid_len2 = np.sum(lid_axis**2, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.sum((iris - lids[..., 0, :]) * lid_axis, axis=-1) / lid_len2
        openness = np.sqrt(lid_len2 / corner_len2)
    return h, v, openness


def _ratio_to_deg(offset: np.ndarray) -> np.ndarray:
    """k * asin(clip(2 * offset)) in degrees, k such that an offset of 0.5 gives full scale."""
    return EYE_FULL_SCALE_DEG / 90.0 * np.degrees(np.arcsin(np.clip(2.0 * offset, -1.0, 1.0)))


def _deg_to_ratio(angle_deg: np.ndarray) -> np.ndarray:
    """Inverse of _ratio_to_deg (the iris offset that gives angle_deg)."""
    return np.sin(np.radians(np.clip(angle_deg * 90.0 / EYE_FULL_SCALE_DEG, -90.0, 90.0))) / 2.0


def eye_in_head_deg(landmarks_xy: np.ndarray, offsets: GazeOffsets | None = None) -> np.ndarray:
    """Eye-in-head yaw and pitch, averaged over the open eyes.

    Parameters
    ----------
    landmarks_xy : array of shape (..., 478, 2)
        Face Mesh landmarks in px.
    offsets : GazeOffsets, optional
        The subject's straight-ahead iris position (defaults: eye centre).

    Returns
    -------
    float32 array of shape (..., 2)
        yaw (> 0 toward the person's left = image right), pitch (> 0 up), degrees. An eye
        with openness under BLINK_OPENNESS is ignored; NaN when both eyes are closed.
    """
    offsets = offsets or GazeOffsets()
    h, v, openness = eye_ratios(landmarks_xy)
    is_open = openness >= BLINK_OPENNESS
    yaw = np.where(is_open, _ratio_to_deg(h - offsets.h0), np.nan)
    pitch = np.where(is_open, _ratio_to_deg(offsets.v0 - v), np.nan)
    angles = np.stack([yaw, pitch], axis=-1)  # (..., 2 eyes, 2 angles)
    n_open = is_open.sum(axis=-1)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_open > 0, np.nansum(angles, axis=-2) / n_open, np.nan)
    return mean.astype(np.float32)


def gaze_deg(head_pose: np.ndarray, eye_in_head: np.ndarray) -> np.ndarray:
    """Gaze yaw and pitch: the eye-in-head direction rotated by the head pose.

    Parameters
    ----------
    head_pose : array of shape (3,)
        yaw, pitch, roll of the head in degrees.
    eye_in_head : array of shape (2,)
        yaw, pitch of the eyes relative to the head in degrees.

    Returns
    -------
    float32 array of shape (2,)
        Gaze yaw, pitch in the camera frame, degrees; NaN if either input has a NaN.
    """
    head_pose = np.asarray(head_pose, dtype=np.float64)
    eye_in_head = np.asarray(eye_in_head, dtype=np.float64)
    if not (np.all(np.isfinite(head_pose)) and np.all(np.isfinite(eye_in_head))):
        return np.full(2, np.nan, dtype=np.float32)
    eye_rotation = euler_deg_to_rotation(np.array([eye_in_head[0], eye_in_head[1], 0.0]))
    combined = euler_deg_to_rotation(head_pose) @ eye_rotation
    return rotation_to_euler_deg(combined)[:2]


def calibrate_gaze_offsets(
    landmarks_xy: np.ndarray, head_pose: np.ndarray, target_deg: np.ndarray | None = None
) -> GazeOffsets:
    """Fit a subject's straight-ahead iris position on frames where the gaze target is known.

    Typically frames where the subject looks at the camera (or the examiner next to it): the
    eyes then rotate, relative to the head, by the target direction minus the head pose. The
    offsets are the medians, over open eyes and frames, of the iris ratios that this rotation
    implies, so a few frames with another gaze do not move them much.

    Parameters
    ----------
    landmarks_xy : array of shape (n_frames, 478, 2)
        Face Mesh landmarks in px.
    head_pose : array of shape (n_frames, 3)
        Head yaw, pitch, roll in degrees (from `head_pose_deg`).
    target_deg : array of shape (2,) or (n_frames, 2), optional
        Gaze yaw, pitch of the target in the camera frame; default (0, 0), the camera axis.

    Returns
    -------
    GazeOffsets
        Fitted h0 and v0.

    Raises
    ------
    ValueError
        If shapes disagree or no frame has an open eye and a head pose.
    """
    landmarks_xy = np.asarray(landmarks_xy, dtype=np.float64)
    head_pose = np.asarray(head_pose, dtype=np.float64)
    if landmarks_xy.ndim != 3 or head_pose.shape != (landmarks_xy.shape[0], 3):
        raise ValueError(
            f"landmarks_xy must be (n_frames, 478, 2) and head_pose (n_frames, 3); got "
            f"{landmarks_xy.shape} and {head_pose.shape}."
        )
    target = np.broadcast_to(
        np.zeros(2) if target_deg is None else np.asarray(target_deg), (len(head_pose), 2)
    )
    # Small-angle composition: eye-in-head = target - head (exact when roll is zero and one of
    # the angles is zero; the fit needs only the near-frontal case).
    expected = target - head_pose[:, :2]
    h, v, openness = eye_ratios(landmarks_xy)
    usable = (openness >= BLINK_OPENNESS) & np.all(np.isfinite(head_pose), axis=1)[:, None]
    if not np.any(usable):
        raise ValueError("No calibration frame has an open eye and a head pose; use other frames.")
    h0 = h - _deg_to_ratio(expected[:, [0]])
    v0 = v + _deg_to_ratio(expected[:, [1]])
    return GazeOffsets(h0=float(np.median(h0[usable])), v0=float(np.median(v0[usable])))
