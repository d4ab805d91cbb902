"""A seated person drawn as MediaPipe keypoints: the arms' two-link inverse kinematics, a 21-point
hand around each wrist, and the image transform (place, size, tilt, pixel noise). The gestures
themselves (where the wrist goes, how the hand is shaped) are analysis.gestures.synthetic's.

Lengths are in shoulder widths (sw), in a body frame with "lateral" pointing away from the
body's midline and y down, from each arm's own shoulder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_UPPER_ARM_SW, _FOREARM_SW, _HAND_SW = 0.8, 0.7, 0.45


@dataclass(frozen=True)
class ArmPath:
    """The active arm during the perform phase, sampled at phases s in [0, 1]."""

    wrist: np.ndarray  # (n, 2) lateral, down in sw from the shoulder
    openness: np.ndarray  # (n, 5) thumb..pinky, 0 fist, 1 extended
    angle_deg: np.ndarray  # (n,)


@dataclass(frozen=True)
class Body:
    """Where the person is in the image: shoulder midpoint (px), shoulder width (px), tilt (deg)."""

    centre_px: tuple[float, float] = (320.0, 220.0)
    shoulder_width_px: float = 120.0
    tilt_deg: float = 0.0


def _elbow(wrist: np.ndarray) -> np.ndarray:
    """Two-link inverse kinematics from the shoulder (origin); the elbow bends outwards and down."""
    dist = np.linalg.norm(wrist, axis=1)
    reach = np.clip(dist, 1e-6, _UPPER_ARM_SW + _FOREARM_SW - 1e-6)
    unit = wrist / np.maximum(dist, 1e-6)[:, None]
    cos_a = np.clip((_UPPER_ARM_SW**2 + reach**2 - _FOREARM_SW**2) / (2 * _UPPER_ARM_SW * reach), -1, 1)
    alpha = np.arccos(cos_a)
    candidates = []
    for sign in (1.0, -1.0):
        c, s = np.cos(sign * alpha), np.sin(sign * alpha)
        rotated = np.stack([c * unit[:, 0] - s * unit[:, 1], s * unit[:, 0] + c * unit[:, 1]], axis=1)
        candidates.append(_UPPER_ARM_SW * rotated)
    score = [cand[:, 0] + 0.3 * cand[:, 1] for cand in candidates]
    return np.where((score[0] >= score[1])[:, None], candidates[0], candidates[1])


# Per finger (thumb, index, middle, ring, pinky): MCP offset across the palm (fraction of hand
# length, towards the thumb) and the lengths of its three segments (fractions of hand length).
_FINGER_BASE = (0.0, 0.10, 0.0, -0.10, -0.19)
_FINGER_SEGMENTS = (
    (0.2, 0.16, 0.13),
    (0.22, 0.13, 0.10),
    (0.25, 0.15, 0.10),
    (0.23, 0.14, 0.10),
    (0.18, 0.10, 0.09),
)
_CURLED_FRACTION = (0.7, 0.2, -0.3)  # projected length of each segment in a fist (folds back)


def _hand_points(arm: ArmPath) -> np.ndarray:
    """21 hand keypoints in the body frame (lateral, down; sw from the shoulder), shape (n, 21, 2)."""
    n = arm.wrist.shape[0]
    theta = np.deg2rad(arm.angle_deg)
    along = np.stack([np.sin(theta), -np.cos(theta)], axis=1)
    across = np.stack([-np.cos(theta), -np.sin(theta)], axis=1)  # towards the thumb (the midline)
    points = np.zeros((n, 21, 2))
    points[:, 0] = arm.wrist
    for finger in range(5):
        openness = arm.openness[:, finger : finger + 1]
        if finger == 0:
            spread = np.deg2rad(20 + 30 * openness)
            direction = np.cos(spread) * along + np.sin(spread) * across
            joint = arm.wrist + _HAND_SW * (0.12 * along + 0.12 * across)
        else:
            direction = along
            joint = arm.wrist + _HAND_SW * (0.45 * along + _FINGER_BASE[finger] * across)
        points[:, 1 + 4 * finger] = joint
        for k, length in enumerate(_FINGER_SEGMENTS[finger]):
            projected = length * (openness + (1 - openness) * _CURLED_FRACTION[k])
            joint = joint + _HAND_SW * projected * direction
            points[:, 2 + 4 * finger + k] = joint
    return points


def render_keypoints(
    left: ArmPath, right: ArmPath, body: Body, noise_px: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pose (n, 33, 2) and hands (n, 2, 21, 2) in px from both arms in the body frame."""
    n = left.wrist.shape[0]
    sw = body.shoulder_width_px
    cx, cy = body.centre_px

    def image(side: float, lateral_down: np.ndarray) -> np.ndarray:
        # side: +1 for the person's left arm (image right when facing the camera), -1 for the right.
        return np.stack([side * (lateral_down[..., 0] + 0.5), lateral_down[..., 1]], axis=-1)

    body_points = np.zeros((n, 33, 2))  # in sw, origin at the shoulder midpoint
    head = {0: (0, -0.62), 1: (0.06, -0.7), 2: (0.09, -0.7), 3: (0.12, -0.7), 4: (-0.06, -0.7)}
    head |= {5: (-0.09, -0.7), 6: (-0.12, -0.7), 7: (0.2, -0.66), 8: (-0.2, -0.66), 9: (0.05, -0.52)}
    head |= {10: (-0.05, -0.52)}
    legs = {23: (0.3, 1.5), 24: (-0.3, 1.5), 25: (0.35, 1.6), 26: (-0.35, 1.6), 27: (0.35, 2.6)}
    legs |= {28: (-0.35, 2.6), 29: (0.33, 2.7), 30: (-0.33, 2.7), 31: (0.45, 2.75), 32: (-0.45, 2.75)}
    for index, xy in (head | legs).items():  # seated: knees forward of the hips, feet below
        body_points[:, index] = xy
    hands = np.zeros((n, 2, 21, 2))
    for hand_index, (side, arm) in enumerate(((1.0, left), (-1.0, right))):
        shoulder, elbow, wrist, pinky, index, thumb = (
            (11, 13, 15, 17, 19, 21) if side > 0 else (12, 14, 16, 18, 20, 22)
        )
        hand = _hand_points(arm)
        body_points[:, shoulder] = image(side, np.zeros((n, 2)))
        body_points[:, elbow] = image(side, _elbow(arm.wrist))
        body_points[:, wrist] = image(side, arm.wrist)
        body_points[:, pinky] = image(side, hand[:, 17])
        body_points[:, index] = image(side, hand[:, 5])
        body_points[:, thumb] = image(side, hand[:, 2])
        hands[:, hand_index] = image(side, hand)
    tilt = np.deg2rad(body.tilt_deg)
    rotation = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
    centre = np.array([cx, cy])
    pose_xy = body_points @ rotation.T * sw + centre
    hands_xy = hands @ rotation.T * sw + centre
    pose_xy += rng.normal(0.0, noise_px, pose_xy.shape)
    hands_xy += rng.normal(0.0, noise_px, hands_xy.shape)
    return pose_xy.astype(np.float32), hands_xy.astype(np.float32)
