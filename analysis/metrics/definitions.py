"""The data dictionary of the metrics: every key compute_all can produce, with its unit, valid
range, a one-line description and its family. The platform builds its export data dictionary
from METRIC_DEFINITIONS; tests check that it lists exactly the keys the families produce and
that every value produced lies in its range.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from analysis.tracks import EMOTION_CLASSES

_FACE_REGIONS = ("brows", "lids", "mouth")
_PERIODIC_KINDS = {
    "body_rocking": "body rocking (shoulder midpoint, 0.5-2 Hz)",
    "hand_flapping": "hand flapping (wrist in the torso frame, 1.5-6 Hz at the video's native rate in candidate windows, a bilateral bout once)",
    "head_movement": "periodic head movement (nose in the torso frame, 0.5-3 Hz)",
}
_ACTION_UNITS = {
    "inner_brow_raiser": "inner brow raiser (AU1: inner brow to inner eye corner)",
    "outer_brow_raiser": "outer brow raiser (AU2: outer brow to outer eye corner)",
    "brow_lowerer": "brow lowerer (AU4: inner brow towards the eye)",
    "lip_corner_puller": "lip corner puller (AU12: lip corners apart)",
    "lips_part": "lips part (AU25: inner lips apart)",
    "jaw_drop": "jaw drop (AU26: chin to nose tip)",
}
_STORIES = {"positive_story": "positive story", "negative_story": "negative story", "neutral": "neutral part"}
INF = math.inf
SHARE = (0.0, 1.0)
NON_NEGATIVE = (0.0, INF)


class MetricDefinition(NamedTuple):
    """What one metric key means: unit, description, family and valid range [minimum, maximum]
    (math.inf where unbounded)."""

    unit: str
    description: str
    family: str
    minimum: float
    maximum: float


def _definitions() -> dict[str, MetricDefinition]:
    d: dict[str, MetricDefinition] = {}

    def add(key: str, unit: str, description: str, valid: tuple[float, float] = NON_NEGATIVE) -> None:
        d[key] = MetricDefinition(unit, description, key.split(".", 1)[0], *valid)

    add("apathy.face_coverage", "share", "Share of frames with a detected face.", SHARE)
    add(
        "apathy.inter_ocular_distance_px",
        "px",
        "Median inter-ocular distance (outer eye corners): the face's size.",
    )
    add("apathy.face_jitter_iod", "IOD", "Measured frame-to-frame jitter (SD) of the aligned face landmarks.")
    add(
        "apathy.facial_motion_energy",
        "IOD/s",
        "Mean speed of brow, lid and mouth landmarks after removing rigid head motion (Procrustes), "
        "frames their own jitter could explain counted as still.",
    )
    for region in _FACE_REGIONS:
        add(
            f"apathy.facial_motion.{region}.mean",
            "IOD/s",
            f"Mean landmark speed of the {region}, head motion removed, jitter-only frames as 0.",
        )
        add(
            f"apathy.facial_motion.{region}.p90",
            "IOD/s",
            f"90th percentile of the {region} speed, jitter-only frames as 0.",
        )
        add(
            f"apathy.facial_motion.{region}.active_share",
            "share",
            f"Share of face frames where the {region} move faster than 0.1 IOD/s and than their jitter.",
            SHARE,
        )
    for au, words in _ACTION_UNITS.items():
        add(
            f"apathy.au.{au}.intensity_iod",
            "IOD",
            f"Mean change from the neutral face of the {words} proxy over the frames it is active.",
        )
        add(
            f"apathy.au.{au}.frequency",
            "share",
            f"Share of face frames with the {words} proxy active (> 0.05 IOD from neutral and 3 x jitter).",
            SHARE,
        )
    add("apathy.emotion_coverage", "share", "Share of frames with facial-expression probabilities.", SHARE)
    for emotion in EMOTION_CLASSES:
        add(
            f"apathy.emotion_share.{emotion}",
            "share",
            f"Share of face frames where '{emotion}' is the top class.",
            SHARE,
        )
        add(f"apathy.emotion_mean_prob.{emotion}", "probability", f"Mean probability of '{emotion}'.", SHARE)
    add("apathy.neutral_share", "share", "Share of face frames whose top expression is neutral.", SHARE)
    add(
        "apathy.positive_share",
        "share",
        "Share of face frames whose top expression is positive (happy).",
        SHARE,
    )
    add(
        "apathy.valence_mean",
        "valence",
        "Mean of P(happy) - P(angry + disgust + fear + sad) per frame: -1 all negative, +1 all positive.",
        (-1.0, 1.0),
    )
    add(
        "apathy.expression_uncertainty_bits",
        "bits",
        "Mean per-frame entropy of the expression probabilities: the classifier's uncertainty "
        "(max log2 7 = 2.81), not expressive variety.",
        (0.0, math.log2(7)),
    )
    add(
        "apathy.expression_variety_bits",
        "bits",
        "Entropy of the share of held time per expression (held: probability >= 0.5 for >= 0.5 s).",
        (0.0, math.log2(7)),
    )
    add(
        "apathy.expressions_held_count",
        "count",
        "Distinct expressions held (probability >= 0.5 for >= 0.5 s).",
        (0.0, 7.0),
    )
    add(
        "apathy.emotion_switches_per_min",
        "per_min",
        "Changes of the top expression per minute, the new one lasting >= 0.5 s.",
    )
    for kind, words in _STORIES.items():
        add(f"apathy.{kind}.valence_mean", "valence", f"Mean valence during the {words}.", (-1.0, 1.0))
        add(f"apathy.{kind}.facial_motion_energy", "IOD/s", f"Facial motion energy during the {words}.")
        add(
            f"apathy.{kind}.expression_variety_bits",
            "bits",
            f"Expressive variety during the {words}.",
            (0.0, math.log2(7)),
        )
    add(
        "apathy.valence_change_positive_minus_negative",
        "valence",
        "Mean valence of the positive story minus that of the negative story: reactivity.",
        (-2.0, 2.0),
    )
    add(
        "apathy.head_pose_jitter_deg_s",
        "deg/s",
        "Head angular speed that head-pose jitter alone stays below 99 % of the time.",
    )
    add(
        "apathy.head_motion_deg_s",
        "deg/s",
        "Mean head angular speed (yaw, pitch, roll relative to the shoulders), jitter-only frames as 0.",
    )
    add("apathy.head_motion_std_deg_s", "deg/s", "Standard deviation of the head angular speed.")
    add(
        "apathy.head_still_share",
        "share",
        "Share of frames with head angular speed below 5 deg/s and below the jitter speed.",
        SHARE,
    )

    add("stereotypy.pose_coverage", "share", "Share of frames with both shoulders detected.", SHARE)
    add("stereotypy.shoulder_width_px", "px", "Median shoulder width: the body's size in the image.")
    add(
        "stereotypy.pose_jitter_sw",
        "SW",
        "Measured frame-to-frame jitter (SD) of the shoulders, elbows and wrists: the body's noise floor.",
    )
    add(
        "stereotypy.hand_flapping.native_rate_s",
        "s",
        "Time decoded again at the video's native frame rate to measure hand flapping (candidate windows).",
    )
    for kind, label in [("", "any periodic stereotypy"), *_PERIODIC_KINDS.items()]:
        prefix = f"stereotypy.{kind}" if kind else "stereotypy"
        add(
            f"{prefix}.episodes_per_min",
            "per_min",
            f"Episodes of {label} per minute of analysable time.",
        )
        add(f"{prefix}.total_s", "s", f"Total time in episodes of {label}.")
        add(f"{prefix}.share", "share", f"Share of analysable time in episodes of {label}.", SHARE)
        if kind:
            add(
                f"{prefix}.median_frequency_hz",
                "Hz",
                f"Median frequency of the {label} episodes whose frequency the frame rate can tell.",
            )
            add(
                f"{prefix}.mean_amplitude_sw",
                "SW",
                f"Mean amplitude of the {label} episodes (shoulder widths).",
            )
    add(
        "stereotypy.agitation_index",
        "SW/s",
        "Mean upper-body keypoint speed in shoulder widths per second, jitter-only frames as 0.",
    )
    add(
        "stereotypy.agitation_share",
        "share",
        "Share of 1 s windows whose activity exceeds the agitation reference.",
        SHARE,
    )
    add(
        "stereotypy.agitation_reference_sw_s",
        "SW/s",
        "The agitation reference: from the baseline segment when marked, else the fixed 0.25 SW/s.",
    )
    add(
        "stereotypy.fidget_index",
        "SW",
        "RMS wrist movement relative to the trunk above 2 Hz, jitter removed.",
    )

    add("attention.gaze_coverage", "share", "Share of frames with a gaze or head direction.", SHARE)
    add(
        "attention.eye_gaze_share",
        "share",
        "Share of direction frames that used eye gaze (the rest head pose only).",
        SHARE,
    )
    add(
        "attention.gaze_noise_deg",
        "deg",
        "Gaze noise: SD during calibration, or the measured jitter when larger.",
    )
    add(
        "attention.gaze_on_target_share",
        "share",
        "Share of direction frames looking at the target (needs calibration).",
        SHARE,
    )
    add(
        "attention.gaze_shifts_per_min",
        "per_min",
        "Shifts on/off the target per minute, with hysteresis above the gaze noise, each held >= 0.2 s.",
    )
    add("attention.looks_per_min", "per_min", "Looks at the target (>= 0.2 s) per minute.")
    add("attention.look_duration_mean_s", "s", "Mean duration of a look at the target.")
    add(
        "attention.fixations_per_min",
        "per_min",
        "I-DT fixations (dispersion <= 5 deg, >= 0.2 s) per minute, where noise and frame rate allow.",
    )
    add("attention.fixation_duration_mean_s", "s", "Mean fixation duration.")
    add("attention.fixation_duration_median_s", "s", "Median fixation duration.")
    add(
        "attention.speaking_share",
        "share",
        "Share of mouth-visible frames classed as speaking (mouth motion above its jitter).",
        SHARE,
    )
    add(
        "attention.gaze_aversion_while_speaking_share",
        "share",
        "Share of speaking frames with gaze off the target.",
        SHARE,
    )
    add(
        "attention.gaze_aversion_while_listening_share",
        "share",
        "Share of non-speaking frames with gaze off the target.",
        SHARE,
    )
    add(
        "attention.gaze_aversion_speaking_minus_listening",
        "share",
        "Aversion share while speaking minus while listening.",
        (-1.0, 1.0),
    )
    return d


METRIC_DEFINITIONS: dict[str, MetricDefinition] = _definitions()
"""Metric key -> MetricDefinition(unit, description, family, minimum, maximum)."""
