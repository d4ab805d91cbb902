"""Head rotation out of the image plane, removed from the aligned face landmarks.

A 2-D similarity fit (apathy.aligned_face_iod) removes translation, in-plane rotation and scale,
but not yaw or pitch: turning the head moves each landmark in the image by its depth times the
sine of the angle (x' = x cos(yaw) + z sin(yaw)), so the nose and the cheeks move against the eye
corners and a head shaking +-15 deg with no expression read 0.07 IOD/s of facial motion. The
tracks hold no depth, so each landmark's depth is estimated from the session itself: its aligned
coordinates are regressed on sin and 1 - cos of the head's yaw and pitch (head_pose_deg) over all
frames, and the part explained by the rotation is removed. Expressions do not follow the head's
angle, so they stay; an expression made in step with head turns would be partly removed.
"""

from __future__ import annotations

import numpy as np

MIN_ROTATION_RANGE_DEG = 4.0  # below, the head barely turns: nothing to remove, and no depth to fit
MIN_FRAMES = 20


def without_head_rotation(aligned: np.ndarray, head_pose_deg: np.ndarray) -> np.ndarray:
    """aligned (n_frames, k, 2) in IOD with the displacement explained by the head's yaw and pitch
    (n_frames x [yaw, pitch, ...] deg) removed; frames without a head pose are left as they are."""
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
