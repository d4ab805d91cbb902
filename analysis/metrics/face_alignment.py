"""Face landmarks with the rigid head motion removed, in inter-ocular distances (IOD).

Two alignments: in 2-D (a similarity in the image plane: translation, in-plane rotation, scale)
for landmarks without depth, and in 3-D (a similarity in space: any rotation, yaw and pitch
included) on the face mesh's own depth coordinates (Tracks.face_z). Both are fitted on the
RIGID_ANCHORS only, so that opening the mouth or raising the brows does not pull the fit.
"""

from __future__ import annotations

import numpy as np

from analysis.tracks import FACE_LEFT_EYE_OUTER, FACE_RIGHT_EYE_OUTER

# Face Mesh landmarks that do not move with expressions (forehead, nose bridge and tip, eye
# corners, temples): the rigid head motion is estimated on them only, so that opening the mouth
# does not pull the alignment.
RIGID_ANCHORS = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 127, 356, 234, 454)


def aligned_face_iod(
    face_xy: np.ndarray, landmarks: np.ndarray, usable: np.ndarray | None = None
) -> np.ndarray:
    """Face landmarks with rigid head motion removed, in IOD units.

    Each frame is mapped onto a reference face by the 2-D similarity (rotation, uniform
    scale, translation) that best fits the RIGID_ANCHORS in the least-squares sense
    (Procrustes / Umeyama, solved in closed form with complex numbers). The reference is the
    per-landmark median of the frames after normalising each by its own eye-corner frame
    (centre, eye axis horizontal, IOD = 1), so coordinates come out in inter-ocular distances.

    Parameters
    ----------
    face_xy : array of shape (n_frames, 478, 2), px, NaN where no face.
    landmarks : int array of shape (k,)
        Landmarks to return.
    usable : bool array of shape (n_frames,), optional
        Frames allowed in (for example confident detections); the others come out NaN.

    Returns
    -------
    array of shape (n_frames, k, 2) in IOD, NaN on frames without a complete face.
    """
    n = face_xy.shape[0]
    keep = np.unique(np.concatenate([landmarks, RIGID_ANCHORS, [FACE_RIGHT_EYE_OUTER, FACE_LEFT_EYE_OUTER]]))
    pts = np.asarray(face_xy[:, keep], dtype=np.float64)
    z = pts[..., 0] + 1j * pts[..., 1]
    out = np.full((n, len(landmarks), 2), np.nan)
    valid = np.isfinite(z).all(axis=1)
    if usable is not None:
        valid &= usable
    if not valid.any():
        return out
    col = {lm: i for i, lm in enumerate(keep.tolist())}
    anchors = np.array([col[a] for a in RIGID_ANCHORS])
    z = z[valid]
    eye_axis = z[:, col[FACE_LEFT_EYE_OUTER]] - z[:, col[FACE_RIGHT_EYE_OUTER]]
    eye_axis = np.where(np.abs(eye_axis) > 0, eye_axis, 1.0)
    centre = z[:, anchors].mean(axis=1, keepdims=True)
    normalised = (z - centre) / eye_axis[:, None]
    reference = np.median(normalised.real, axis=0) + 1j * np.median(normalised.imag, axis=0)
    src = z[:, anchors] - centre
    dst = reference[anchors] - reference[anchors].mean()
    gain = (np.conj(src) * dst).sum(axis=1) / np.maximum((np.abs(src) ** 2).sum(axis=1), 1e-12)
    aligned = gain[:, None] * (z - centre) + reference[anchors].mean()
    picked = aligned[:, [col[lm] for lm in np.asarray(landmarks).tolist()]]
    out[valid] = np.stack([picked.real, picked.imag], axis=-1)
    return out


def _similarity_to(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the scaled rotation (n, 3, 3) and the source centre (n, 3) of the 3-D similarity
    that best maps the anchors src (n, m, 3) onto dst (m, 3), dst centred (Umeyama 1991)."""
    centre = src.mean(axis=1)
    centred = src - centre[:, None]
    h = np.einsum("nmi,mj->nij", centred, dst)
    u, s, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("nji,nkj->nik", vt, u)))
    d = np.where(d == 0, 1.0, d)
    signs = np.stack([np.ones_like(d), np.ones_like(d), d], axis=1)
    rotation = np.einsum("nji,nj,nkj->nik", vt, signs, u)
    scale = (s * signs).sum(axis=1) / np.maximum((centred**2).sum(axis=(1, 2)), 1e-12)
    return scale[:, None, None] * rotation, centre


def _frontal(reference: np.ndarray, anchors: np.ndarray, right_eye: int, left_eye: int) -> np.ndarray:
    """The reference face (k, 3) turned to face the camera: z along the normal of the plane that
    best fits the anchors (pointing away from the camera, as the mesh's depth), x along the eye
    axis within that plane, y = z x x (down in the image)."""
    points = reference[anchors] - reference[anchors].mean(axis=0)
    normal = np.linalg.svd(points)[2][2]
    normal = normal if normal[2] >= 0 else -normal
    eyes = reference[left_eye] - reference[right_eye]
    x = eyes - (eyes @ normal) * normal
    x /= np.linalg.norm(x)
    axes = np.stack([x, np.cross(normal, x), normal])
    return (reference - reference[anchors].mean(axis=0)) @ axes.T


def aligned_face_3d_iod(
    face_xy: np.ndarray, face_z: np.ndarray, landmarks: np.ndarray, usable: np.ndarray | None = None
) -> np.ndarray:
    """Face landmarks with the head's rotation in 3-D removed, in IOD: (n_frames, k, 2).

    Each frame's landmarks (x, y px and the mesh's depth z px) are mapped onto a frontal
    reference face by the 3-D similarity (rotation, uniform scale, translation) that best fits the
    RIGID_ANCHORS, and the reference's x and y are returned. The reference is built in two steps:
    every frame (centred, scaled to IOD 1) is fitted to the first usable frame, the per-landmark
    median of the fitted frames is turned to face the camera (_frontal), and every frame is
    fitted again to it. A head turning (yaw), nodding (pitch) or tilting (roll) then leaves the
    landmarks where they are; a change of expression moves them by its own amount, in IOD of the
    frontal face. NaN on frames without a complete face or depth.
    """
    n = face_xy.shape[0]
    eyes = [FACE_RIGHT_EYE_OUTER, FACE_LEFT_EYE_OUTER]
    keep = np.unique(np.concatenate([landmarks, RIGID_ANCHORS, eyes]))
    out = np.full((n, len(landmarks), 2), np.nan)
    valid = np.zeros(n, dtype=bool)
    for block in _blocks(np.arange(n)):
        valid[block] = np.isfinite(_points_3d(face_xy, face_z, keep, block)).all(axis=(1, 2))
    if usable is not None:
        valid &= usable
    rows = np.flatnonzero(valid)
    if not rows.size:
        return out
    col = {lm: i for i, lm in enumerate(keep.tolist())}
    anchors = np.array([col[a] for a in RIGID_ANCHORS])
    right, left = col[FACE_RIGHT_EYE_OUTER], col[FACE_LEFT_EYE_OUTER]
    picked = [col[lm] for lm in np.asarray(landmarks).tolist()]
    first = _normalised(_points_3d(face_xy, face_z, keep, rows[:1]), anchors, right, left)[0]
    target = first[anchors] - first[anchors].mean(axis=0)
    fitted = np.empty((rows.size, keep.size, 3))
    for at, block in zip(range(0, rows.size, BLOCK_FRAMES), _blocks(rows), strict=True):
        normalised = _normalised(_points_3d(face_xy, face_z, keep, block), anchors, right, left)
        transform, centre = _similarity_to(normalised[:, anchors], target)
        fitted[at : at + block.size] = np.einsum("nij,nkj->nki", transform, normalised - centre[:, None])
    reference = _frontal(np.median(fitted, axis=0), anchors, right, left)
    del fitted
    for block in _blocks(rows):
        pts = _points_3d(face_xy, face_z, keep, block)
        transform, centre = _similarity_to(pts[:, anchors], reference[anchors])
        out[block] = np.einsum("nij,nkj->nki", transform, pts - centre[:, None])[:, picked, :2]
    return out


# Frames aligned at a time: the whole-session arrays of float64 landmarks were the metrics' largest
# temporaries (an hour at 10 fps: 86 MB each for the face's 100 landmarks, five of them at once).
BLOCK_FRAMES = 4096


def _blocks(rows: np.ndarray) -> list[np.ndarray]:
    return [rows[at : at + BLOCK_FRAMES] for at in range(0, rows.size, BLOCK_FRAMES)]


def _points_3d(face_xy: np.ndarray, face_z: np.ndarray, keep: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Landmarks keep of the frames rows as (x, y, depth) px, float64: (len(rows), len(keep), 3)."""
    xy = np.asarray(face_xy[rows][:, keep], dtype=np.float64)
    return np.concatenate([xy, np.asarray(face_z[rows][:, keep], dtype=np.float64)[..., None]], axis=2)


def _normalised(pts: np.ndarray, anchors: np.ndarray, right: int, left: int) -> np.ndarray:
    """Each frame's points centred on its anchors and scaled to an inter-ocular distance of 1."""
    iod = np.linalg.norm(pts[:, left] - pts[:, right], axis=1)
    return (pts - pts[:, anchors].mean(axis=1, keepdims=True)) / np.maximum(iod, 1e-9)[:, None, None]
