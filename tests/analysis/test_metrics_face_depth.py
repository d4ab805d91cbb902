"""Head rotation removed in 3-D on the face mesh's depth, with a known answer: a rigid 3-D face
turned in every direction has no facial motion left, and a known expression made while the head
turns is recovered at its size."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from analysis.metrics import MetricsConfig, face_alignment
from analysis.metrics.apathy import apathy_report
from analysis.metrics.face_alignment import aligned_face_3d_iod
from analysis.tracks import read_parquet, to_table, write_parquet
from tests.analysis.metrics_synthetic import (
    IOD_PX,
    LOWER_LIP,
    canonical_face,
    put_face,
    rigidly_moved,
    session,
)

FACE_CENTRE_PX = np.array([320.0, 220.0, 0.0])


def face_3d() -> np.ndarray:
    """The canonical face (px) given depth: +-0.5 IOD, the nose tip 0.8 IOD nearer the camera, the
    outer eye corners at the same depth (so the face's IOD is IOD_PX, as on a person)."""
    face = canonical_face()
    depth = np.random.default_rng(3).uniform(-0.5, 0.5, 478) * IOD_PX
    depth[[1, 4, 5]] = -0.8 * IOD_PX
    depth[[33, 263]] = 0.0
    return np.concatenate([face, depth[:, None]], axis=1)


def rotation(yaw_deg: np.ndarray, pitch_deg: np.ndarray, roll_deg: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3): roll about the view axis, then pitch about x, then yaw about y."""
    y, p, r = (np.deg2rad(a) for a in (yaw_deg, pitch_deg, roll_deg))
    one, zero = np.ones_like(y), np.zeros_like(y)
    ry = np.stack([np.stack([np.cos(y), zero, np.sin(y)], -1), np.stack([zero, one, zero], -1),
                   np.stack([-np.sin(y), zero, np.cos(y)], -1)], -2)  # fmt: skip
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, np.cos(p), -np.sin(p)], -1),
                   np.stack([zero, np.sin(p), np.cos(p)], -1)], -2)  # fmt: skip
    rz = np.stack([np.stack([np.cos(r), -np.sin(r), zero], -1), np.stack([np.sin(r), np.cos(r), zero], -1),
                   np.stack([zero, zero, one], -1)], -2)  # fmt: skip
    return ry @ rx @ rz


def turning_head(duration_s: float = 20.0, *, mouth_iod: float = 0.0, jitter_px: float = 0.0):
    """A rigid 3-D face turning (yaw +-25 deg at 0.3 Hz, pitch +-15 deg at 0.2 Hz, roll +-10 deg at
    0.15 Hz) and coming nearer (+-15 %), projected orthographically with its depth stored as the
    mesh's z; optionally the lower lip opening by mouth_iod at 1 Hz in the face's own frame."""
    tracks, t = session(duration_s)
    yaw = 25.0 * np.sin(2 * np.pi * 0.3 * t)
    pitch = 15.0 * np.sin(2 * np.pi * 0.2 * t)
    roll = 10.0 * np.sin(2 * np.pi * 0.15 * t)
    scale = 1.0 + 0.15 * np.sin(2 * np.pi * 0.1 * t)
    faces = np.repeat(face_3d()[None], t.size, axis=0)
    drop = mouth_iod * IOD_PX * (1 - np.cos(2 * np.pi * 1.0 * t)) / 2
    faces[:, list(LOWER_LIP), 1] += drop[:, None]
    moved = (
        scale[:, None, None] * np.einsum("nij,nkj->nki", rotation(yaw, pitch, roll), faces) + FACE_CENTRE_PX
    )
    moved[..., :2] += np.random.default_rng(7).normal(0.0, jitter_px, moved[..., :2].shape)
    put_face(tracks, moved[..., :2])
    tracks.face_z[:] = moved[..., 2]
    tracks.head_pose_deg[:] = np.stack([yaw, pitch, roll], axis=1)
    return tracks, t, drop / IOD_PX


def values(tracks) -> dict:
    return apathy_report(tracks, window_s=10.0, config=MetricsConfig()).metrics["apathy"]


def test_a_rigid_face_turning_in_3d_leaves_its_landmarks_in_place():
    tracks, _, _ = turning_head()
    aligned = aligned_face_3d_iod(tracks.face_xy, tracks.face_z, np.arange(478))
    spread = np.abs(aligned - aligned.mean(axis=0)).max()
    # 1e-4 IOD: the float32 rounding of px coordinates (about 3e-5 px on 300 px) after the fit.
    assert spread < 1e-4


def test_a_known_expression_is_recovered_while_the_head_turns_in_3d():
    tracks, _, drop_iod = turning_head(mouth_iod=0.2)
    aligned = aligned_face_3d_iod(tracks.face_xy, tracks.face_z, np.array([13, 14]))
    gap = aligned[:, 1, 1] - aligned[:, 0, 1]  # lower inner lip 14 below upper 13, IOD
    opening = gap - gap.min()
    # The lip drop is 0..0.2 IOD in the face's frame; recovered to 0.002 IOD (1 % of it) at every
    # frame: the anchors do not move, so the fit is exact up to the float32 rounding.
    assert np.abs(opening - (drop_iod - drop_iod.min())).max() < 0.002


def test_head_rotation_in_3d_is_not_facial_motion_and_the_mouth_is_measured():
    turning, _, _ = turning_head(jitter_px=0.3)
    still = values(turning)
    # 0.005 IOD/s (as the 2-D test): a tenth of the face's activity threshold (0.1 IOD/s).
    assert still["apathy.facial_motion_energy"].value < 0.005
    talking, _, _ = turning_head(mouth_iod=0.2)
    measured = values(talking)
    # The lower lip's mean speed 2 A f = 0.4 IOD/s on 18 of 40 mouth landmarks: 0.18 IOD/s; within
    # 10 % for the smoothing and the finite differences at 10 fps (as test_metrics_apathy).
    assert measured["apathy.facial_motion.mouth.mean"].value == pytest.approx(
        2 * 0.2 * 1.0 * 18 / 40, rel=0.1
    )
    # Lips part against the session's neutral face (the median opening, 0.1 IOD): the change
    # 0.1 cos(phase) IOD is active above 0.05 IOD, i.e. for |phase| < 60 deg, where its mean is
    # 0.1 sin(60 deg) / (pi / 3) = 0.0827 IOD; 0.005 IOD for the smoothing at 10 fps.
    lips = measured["apathy.au.lips_part.intensity_iod"].value
    assert lips == pytest.approx(0.1 * np.sin(np.pi / 3) / (np.pi / 3), abs=0.005)


def test_the_mesh_depth_is_stored_with_the_tracks_and_older_files_read_as_unknown(tmp_path):
    tracks, _, _ = turning_head(2.0)
    write_parquet(tracks, tmp_path / "new.parquet")
    assert np.array_equal(read_parquet(tmp_path / "new.parquet").face_z, tracks.face_z)
    older = to_table(tracks).drop_columns(["face_z"])
    pq.write_table(older, tmp_path / "old.parquet")
    assert np.isnan(read_parquet(tmp_path / "old.parquet").face_z).all()


def test_the_3d_alignment_in_blocks_of_frames_gives_what_it_gives_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Frames are aligned a block at a time (memory); the reference face is the median over all of them.
    rng = np.random.default_rng(4)
    t = np.arange(300) / 10.0
    xy = (rigidly_moved(canonical_face(), t) + rng.normal(0, 0.3, (t.size, 478, 2))).astype(np.float32)
    z = rng.normal(0, 5, (t.size, 478)).astype(np.float32)
    xy[5:12] = np.nan
    usable = rng.random(t.size) > 0.1
    landmarks = np.array([61, 291, 13, 14, 70, 300])
    at_once = face_alignment.aligned_face_3d_iod(xy, z, landmarks, usable)
    monkeypatch.setattr(face_alignment, "BLOCK_FRAMES", 7)
    in_blocks = face_alignment.aligned_face_3d_iod(xy, z, landmarks, usable)
    # Equal up to the last bit or two: a batch of one matrix can take another BLAS path than many.
    np.testing.assert_allclose(in_blocks, at_once, rtol=1e-12, atol=1e-12)
    assert (
        np.isnan(at_once[5:12]).all()
        and np.isfinite(at_once[usable & np.isfinite(xy).all(axis=(1, 2))]).all()
    )
