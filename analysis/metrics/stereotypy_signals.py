"""The trajectories the stereotypy detector scans, in shoulder widths (SW), and when the body is
too small for them: rocking (shoulder midpoint), hand flapping and head movement (wrist and nose
in the torso frame, body.py). See stereotypy.py for the detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.timeseries.body import in_torso_frame, torso_frame
from analysis.timeseries.noise import jitter_sd
from analysis.timeseries.preprocessing import (
    interpolate_short_gaps,
    mask_low_confidence,
    pose_points,
    shoulder_width_px,
)
from analysis.tracks import (
    POSE_LEFT_HIP,
    POSE_LEFT_SHOULDER,
    POSE_LEFT_WRIST,
    POSE_NOSE,
    POSE_RIGHT_HIP,
    POSE_RIGHT_SHOULDER,
    POSE_RIGHT_WRIST,
    Tracks,
)


@dataclass(frozen=True)
class PeriodicSignal:
    """One trajectory the detector scans.

    xy has shape (n_frames, 2) in shoulder widths (SW), NaN where missing; band_hz is the
    band of the kind, max_hz the fastest large movement of that body part (the true frequencies
    an aliased peak may stand for), min_amplitude_sw the amplitude floor (already raised to the
    measured jitter) and, for the hands, room_xy the same point in the room (image) frame and
    trunk_xy the shoulder midpoint in the room (what a hand carried by a rocking body follows).
    """

    kind: str
    body_part: str
    xy: np.ndarray
    band_hz: tuple[float, float]
    max_hz: float
    min_amplitude_sw: float
    reference: str
    room_xy: np.ndarray | None = None
    trunk_xy: np.ndarray | None = None


def body_points_sw(tracks: Tracks, config: MetricsConfig) -> tuple[np.ndarray, float]:
    """Pose keypoints (n_frames, 33, 2) in px with low-visibility or low-confidence points NaN,
    and the session shoulder width (px) that converts them to SW."""
    pose = pose_points(tracks.pose_xy, tracks.pose_visibility, config.min_pose_visibility)
    pose = mask_low_confidence(pose, tracks.pose_confidence, config.min_pose_confidence)
    return pose, shoulder_width_px(pose)


def body_size_reason(width_px: float, config: MetricsConfig) -> str:
    """Why body metrics are withheld ("" when they are not): no shoulders, or too small."""
    if not np.isfinite(width_px):
        return "the shoulders were never seen"
    if width_px < config.min_shoulder_width_px:
        return (
            f"the body is too small in the image (shoulder width {width_px:.0f} px, "
            f"below the {config.min_shoulder_width_px:.0f} px minimum)"
        )
    return ""


def stereotypy_signals(tracks: Tracks, config: MetricsConfig) -> list[PeriodicSignal]:
    """The trajectories scanned for each kind of stereotypy, in SW.

    - body_rocking ("torso"): shoulder midpoint relative to the hip midpoint when the hips are
      seen on >= hips_reliable_share of the frames with shoulders, else the absolute shoulder
      midpoint. Seated patients often have their hips hidden by a table or cut by the frame;
      the camera is fixed, so the absolute shoulder midpoint then carries the rocking (and so
      would a whole-body sway or a chair moving).
    - hand_flapping ("left_hand", "right_hand"): the wrist in the torso frame (body.py), so that
      rocking, swaying or moving the whole body does not look like flapping.
    - head_movement ("head"): the nose in the torso frame.
    Each amplitude floor is raised to noise_amplitude_factor x the signal's measured jitter.
    """
    pose, width = body_points_sw(tracks, config)
    t = tracks.time_s
    width = width if np.isfinite(width) else np.nan
    shoulders = 0.5 * (pose[:, POSE_LEFT_SHOULDER] + pose[:, POSE_RIGHT_SHOULDER])
    hips = 0.5 * (pose[:, POSE_LEFT_HIP] + pose[:, POSE_RIGHT_HIP])
    shoulders_seen = np.isfinite(shoulders).all(axis=1)
    hips_seen = np.isfinite(hips).all(axis=1) & shoulders_seen
    hips_reliable = (
        shoulders_seen.any() and hips_seen.sum() >= config.hips_reliable_share * shoulders_seen.sum()
    )
    torso = shoulders - hips if hips_reliable else shoulders
    frame = torso_frame(pose[:, POSE_LEFT_SHOULDER], pose[:, POSE_RIGHT_SHOULDER], t, config.max_gap_s)

    def prepared(xy: np.ndarray) -> np.ndarray:
        return interpolate_short_gaps(xy, t, config.max_gap_s)

    def floor(xy: np.ndarray, minimum: float) -> float:
        sigma = jitter_sd(xy, t)
        return max(minimum, config.noise_amplitude_factor * sigma) if np.isfinite(sigma) else minimum

    signals = []
    rocking = prepared(torso / width)
    signals.append(
        PeriodicSignal(
            "body_rocking",
            "torso",
            rocking,
            config.rocking_band_hz,
            config.trunk_max_hz,
            floor(rocking, config.rocking_min_amplitude_sw),
            "shoulder midpoint relative to hips" if hips_reliable else "shoulder midpoint",
        )
    )
    for side, wrist in (("left", POSE_LEFT_WRIST), ("right", POSE_RIGHT_WRIST)):
        hand = prepared(in_torso_frame(pose[:, wrist], frame))
        signals.append(
            PeriodicSignal(
                "hand_flapping",
                f"{side}_hand",
                hand,
                config.flapping_band_hz,
                config.hand_max_hz,
                floor(hand, config.flapping_min_amplitude_sw),
                f"{side} wrist in the torso frame",
                room_xy=prepared(pose[:, wrist] / width),
                trunk_xy=prepared(shoulders / width),
            )
        )
    head = prepared(in_torso_frame(pose[:, POSE_NOSE], frame))
    signals.append(
        PeriodicSignal(
            "head_movement",
            "head",
            head,
            config.head_band_hz,
            config.trunk_max_hz,
            floor(head, config.head_min_amplitude_sw),
            "nose in the torso frame",
        )
    )
    return signals
