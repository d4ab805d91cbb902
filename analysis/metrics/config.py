"""Tunable thresholds of the clinical metrics, in one place.

Every default is an engineering choice ([E] in /work/shared/metrics.md) documented in
analysis/README.md; a study that tunes them passes its own MetricsConfig to compute_all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricsConfig:
    """Thresholds and windows of the metrics. Units are in the field names.

    Body-size units: IOD is the inter-ocular distance (Face Mesh outer eye corners 33-263),
    SW the shoulder width (Pose keypoints 11-12, session median, px).
    """

    # Shared preprocessing.
    min_pose_visibility: float = 0.5
    min_pose_confidence: float = 0.5
    min_face_confidence: float = 0.5
    min_hand_confidence: float = 0.5
    max_gap_s: float = 0.2
    smooth_window_s: float = 0.25
    smooth_order: int = 2

    # Apathy: face motion above this speed counts as an active frame. 0.1 IOD/s is the
    # digest's 0.01 IOD per frame at the 10 fps analysis rate, as a frame-rate-free speed.
    face_active_speed_iod_s: float = 0.1
    head_still_deg_s: float = 5.0
    emotion_min_hold_s: float = 0.5

    # Stereotypy: sliding-window periodicity detector.
    periodicity_window_s: float = 4.0
    periodicity_hop_s: float = 0.5
    min_periodicity: float = 0.4
    min_window_coverage: float = 0.8
    min_bout_s: float = 2.0
    min_bout_cycles: float = 3.0
    merge_gap_s: float = 1.0
    rocking_band_hz: tuple[float, float] = (0.5, 2.0)
    rocking_min_amplitude_sw: float = 0.05
    flapping_band_hz: tuple[float, float] = (1.5, 6.0)
    flapping_min_amplitude_sw: float = 0.05
    head_band_hz: tuple[float, float] = (0.5, 3.0)
    head_min_amplitude_sw: float = 0.05
    hips_reliable_share: float = 0.9

    # Agitation / activity.
    agitation_window_s: float = 1.0
    agitation_mad_k: float = 3.0
    fidget_min_hz: float = 2.0

    # Attention.
    gaze_min_hold_s: float = 0.2
    gaze_event_min_hold_s: float = 0.5
    fixation_dispersion_deg: float = 5.0
    fixation_min_s: float = 0.2
    speech_window_s: float = 1.0
    speech_mouth_std_iod: float = 0.025
