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
    # Below these sizes one pixel of landmark jitter is a large part of the body unit, so the
    # metrics built on it are withheld: MediaPipe's keypoints jitter by 1-2 px on a still image,
    # which is 0.05 SW at 40 px (the smallest rocking amplitude) and 0.1 IOD at 20 px (the size
    # of a lip movement in speech).
    min_shoulder_width_px: float = 40.0
    min_inter_ocular_px: float = 20.0

    # Apathy: face motion above this speed counts as an active frame. 0.1 IOD/s is the
    # digest's 0.01 IOD per frame at the 10 fps analysis rate, as a frame-rate-free speed.
    face_active_speed_iod_s: float = 0.1
    head_still_deg_s: float = 5.0
    emotion_min_hold_s: float = 0.5
    # An expression is shown (for variety) when the classifier gives it at least this
    # probability: above any other class's share of the rest, so one expression at a time.
    expression_min_prob: float = 0.5

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
    # 0.1 SW: a flap moves the hand by at least a tenth of a shoulder width; a physiological or
    # essential tremor (about 0.06 SW at the wrist) stays below.
    flapping_min_amplitude_sw: float = 0.1
    head_band_hz: tuple[float, float] = (0.5, 3.0)
    head_min_amplitude_sw: float = 0.05
    hips_reliable_share: float = 0.9
    # Every amplitude floor is at least this many times the signal's measured jitter (SD per
    # coordinate): the Hann main lobe of white jitter holds an equivalent-sine amplitude of about
    # one SD, and the largest of the band's lobes about twice that.
    noise_amplitude_factor: float = 4.0
    # Fastest rhythmic movement of large amplitude each kind can have (Hz): movements up to it
    # are the possible true frequencies behind an aliased peak. Hands: flapping and tapping top
    # out near 8 Hz; trunk and head: about 4 Hz.
    hand_max_hz: float = 8.0
    trunk_max_hz: float = 4.0
    # A flapping bout is the hand moving, not the trunk moving past a resting hand: the hand's
    # oscillation in the room must reach this share of its oscillation relative to the trunk.
    flapping_min_room_ratio: float = 0.5
    # Native-rate hand analysis (metrics/native_rate.py). A window is a candidate when a wrist
    # moves above 1 Hz (faster than reaching or resting, slower than the 1.5 Hz band's foot) by
    # at least its flapping floor, in a window whose wrist is seen on half its frames (a fast
    # hand is seen less well at the sampled rate: this only decides what to look at again); 1 s of padding on each side lets a bout's edges be refined;
    # at most 120 s per session are decoded again (about 3600 frames at 30 fps, a few minutes of
    # one core for the body-pose model), the windows with the largest movement first.
    native_candidate_min_hz: float = 1.0
    native_candidate_min_coverage: float = 0.5
    native_pad_s: float = 1.0
    native_max_s: float = 120.0

    # Agitation / activity. The fixed reference: one hand moving as fast as a gesture onset
    # (0.8 SW/s, 4 of the 13 upper-body points) or the whole upper body at 0.25 SW/s. With a
    # baseline segment the reference is its median + 3 scaled MAD, and at least 0.1 SW/s above
    # its median (a calm baseline has a MAD near 0).
    agitation_window_s: float = 1.0
    agitation_reference_sw_s: float = 0.25
    agitation_mad_k: float = 3.0
    agitation_baseline_margin_sw_s: float = 0.1
    fidget_min_hz: float = 2.0

    # Attention.
    gaze_min_hold_s: float = 0.2
    gaze_event_min_hold_s: float = 0.5
    fixation_dispersion_deg: float = 5.0
    fixation_min_s: float = 0.2
    speech_window_s: float = 1.0
    speech_mouth_std_iod: float = 0.025
