"""Head rotation out of the image plane, removed from the face landmarks.

A 2-D similarity fit (face_alignment.aligned_face_iod) removes translation, in-plane rotation and
scale, but not yaw or pitch: turning the head moves each landmark in the image by its depth times
the sine of the angle (x' = x cos(yaw) + z sin(yaw)), so the nose and the cheeks move against the
eye corners and a head shaking +-15 deg with no expression read 0.07 IOD/s of facial motion.

The face mesh gives every landmark a depth (Tracks.face_z, px), so the head's rotation is removed
in 3-D (face_alignment.aligned_face_3d_iod): each frame is turned back onto a frontal reference
face by the similarity in space that fits its rigid anchors. Expressions move landmarks against
the anchors, so they stay, whatever the head does at the same time.

Tracks written before the depth was stored have none; for them each landmark's depth is estimated
from the session (its aligned coordinates regressed on sin and 1 - cos of the head's yaw and pitch,
head_pose_deg) and the part explained by the rotation removed. That estimate also removes an
expression made in step with head turns, which the mesh's depth does not.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.face_alignment import aligned_face_3d_iod, aligned_face_iod

MIN_ROTATION_RANGE_DEG = 4.0  # below, the head barely turns: nothing to remove, and no depth to fit
MIN_FRAMES = 20


def has_mesh_depth(face_z: np.ndarray | None) -> bool:
    """Whether the tracks carry the face mesh's depth (tracks written since it is stored)."""
    return face_z is not None and bool(np.isfinite(face_z).any())


def face_without_head_rotation(
    face_xy: np.ndarray,
    face_z: np.ndarray | None,
    head_pose_deg: np.ndarray,
    landmarks: np.ndarray,
    usable: np.ndarray | None = None,
) -> np.ndarray:
    """Landmarks (n_frames, k, 2) in IOD with the head's translation, scale and rotation removed:
    in 3-D on the mesh's depth when the tracks have it, else the 2-D alignment with the regressed
    depth removed (without_head_rotation)."""
    if has_mesh_depth(face_z):
        return aligned_face_3d_iod(face_xy, face_z, landmarks, usable)
    return without_head_rotation(aligned_face_iod(face_xy, landmarks, usable), head_pose_deg)


def without_head_rotation(aligned: np.ndarray, head_pose_deg: np.ndarray) -> np.ndarray:
    """aligned (n_frames, k, 2) in IOD with the displacement explained by the head's yaw and pitch
    (n_frames x [yaw, pitch, ...] deg) removed; frames without a head pose are left as they are.
    For tracks without the mesh's depth only."""
    aligned = np.asarray(aligned, dtype=np.float64)
    head = np.asarray(head_pose_deg, dtype=np.float64)[:, :2]
    usable = np.isfinite(head).all(axis=1) & np.isfinite(aligned).all(axis=(1, 2))
    if usable.sum() < MIN_FRAMES or np.ptp(head[usable], axis=0).max() < MIN_ROTATION_RANGE_DEG:
        return aligned
    angles = np.deg2rad(head[usable])
    design = np.concatenate([np.sin(angles), 1.0 - np.cos(angles)], axis=1)
    design -= design.mean(axis=0)
    values = aligned[usable].reshape(int(usable.sum()), -1)
    coef, *_ = np.linalg.lstsq(design, values - values.mean(axis=0), rcond=None)
    out = aligned.copy()
    out[usable] -= (design @ coef).reshape(aligned[usable].shape)
    return out
