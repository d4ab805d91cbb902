"""The data dictionary of the metrics: every key compute_all can produce, with its unit,
a one-line description and its family. The platform builds its export data dictionary from
METRIC_DEFINITIONS; tests check that it lists exactly the keys the families produce.
"""

from __future__ import annotations

from analysis.tracks import EMOTION_CLASSES

_FACE_REGIONS = ("brows", "lids", "mouth")
_PERIODIC_KINDS = {
    "body_rocking": "body rocking (shoulder midpoint, 0.5-2 Hz)",
    "hand_flapping": "hand flapping (wrist relative to shoulder, 1.5-6 Hz, both hands)",
    "head_movement": "periodic head movement (nose relative to shoulders, 0.5-3 Hz)",
}


def _definitions() -> dict[str, tuple[str, str, str]]:
    d: dict[str, tuple[str, str, str]] = {}

    def add(key: str, unit: str, description: str) -> None:
        d[key] = (unit, description, key.split(".", 1)[0])

    add("apathy.face_coverage", "share", "Share of frames with a detected face.")
    add(
        "apathy.facial_motion_energy",
        "IOD/s",
        "Mean speed of brow, lid and mouth landmarks after removing rigid head motion (Procrustes).",
    )
    for region in _FACE_REGIONS:
        add(
            f"apathy.facial_motion.{region}.mean",
            "IOD/s",
            f"Mean landmark speed of the {region}, head motion removed.",
        )
        add(f"apathy.facial_motion.{region}.p90", "IOD/s", f"90th percentile of the {region} landmark speed.")
        add(
            f"apathy.facial_motion.{region}.active_share",
            "share",
            f"Share of face frames where the {region} move faster than 0.1 IOD/s.",
        )
    add("apathy.emotion_coverage", "share", "Share of frames with facial-expression probabilities.")
    for emotion in EMOTION_CLASSES:
        add(
            f"apathy.emotion_share.{emotion}",
            "share",
            f"Share of face frames where '{emotion}' is the top class.",
        )
        add(f"apathy.emotion_mean_prob.{emotion}", "probability", f"Mean probability of '{emotion}'.")
    add("apathy.neutral_share", "share", "Share of face frames whose top expression is neutral.")
    add("apathy.positive_share", "share", "Share of face frames whose top expression is positive (happy).")
    add("apathy.valence_mean", "probability", "Mean of P(happy) - P(sad) per frame.")
    add(
        "apathy.emotion_entropy",
        "bits",
        "Mean per-frame entropy of the expression probabilities (max log2 7).",
    )
    add(
        "apathy.emotion_switches_per_min",
        "per_min",
        "Changes of the top expression per minute, the new one lasting >= 0.5 s.",
    )
    add("apathy.head_motion_deg_s", "deg/s", "Mean head angular speed (yaw, pitch, roll).")
    add("apathy.head_motion_std_deg_s", "deg/s", "Standard deviation of the head angular speed.")
    add("apathy.head_still_share", "share", "Share of frames with head angular speed below 5 deg/s.")

    add("stereotypy.pose_coverage", "share", "Share of frames with both shoulders detected.")
    for kind, label in [("", "any periodic stereotypy"), *_PERIODIC_KINDS.items()]:
        prefix = f"stereotypy.{kind}" if kind else "stereotypy"
        add(f"{prefix}.episodes_per_min", "per_min", f"Episodes of {label} per minute of measurable time.")
        add(f"{prefix}.total_s", "s", f"Total time in episodes of {label}.")
        add(f"{prefix}.share", "share", f"Share of measurable time in episodes of {label}.")
        if kind:
            add(f"{prefix}.median_frequency_hz", "Hz", f"Median dominant frequency of the {label} episodes.")
            add(
                f"{prefix}.mean_amplitude_sw",
                "SW",
                f"Mean amplitude of the {label} episodes (shoulder widths).",
            )
    add(
        "stereotypy.agitation_index", "SW/s", "Mean upper-body keypoint speed, in shoulder widths per second."
    )
    add(
        "stereotypy.agitation_share",
        "share",
        "Share of 1 s windows whose activity exceeds the session median + 3 scaled MAD.",
    )
    add("stereotypy.fidget_index", "SW", "RMS wrist movement relative to the shoulders above 2 Hz.")

    add("attention.gaze_coverage", "share", "Share of frames with a gaze or head direction.")
    add(
        "attention.eye_gaze_share",
        "share",
        "Share of direction frames that used eye gaze (the rest head pose only).",
    )
    add("attention.gaze_on_target_share", "share", "Share of direction frames looking at the target.")
    add(
        "attention.gaze_shifts_per_min", "per_min", "Shifts on/off the target per minute, each held >= 0.2 s."
    )
    add("attention.looks_per_min", "per_min", "Looks at the target (>= 0.2 s) per minute.")
    add("attention.look_duration_mean_s", "s", "Mean duration of a look at the target.")
    add(
        "attention.fixations_per_min", "per_min", "I-DT fixations (dispersion <= 5 deg, >= 0.2 s) per minute."
    )
    add("attention.fixation_duration_mean_s", "s", "Mean fixation duration.")
    add("attention.fixation_duration_median_s", "s", "Median fixation duration.")
    add(
        "attention.speaking_share",
        "share",
        "Share of mouth-visible frames classed as speaking (mouth motion).",
    )
    add(
        "attention.gaze_aversion_while_speaking_share",
        "share",
        "Share of speaking frames with gaze off the target.",
    )
    add(
        "attention.gaze_aversion_while_listening_share",
        "share",
        "Share of non-speaking frames with gaze off the target.",
    )
    add(
        "attention.gaze_aversion_speaking_minus_listening",
        "share",
        "Aversion share while speaking minus while listening.",
    )
    return d


METRIC_DEFINITIONS: dict[str, tuple[str, str, str]] = _definitions()
"""Metric key -> (unit, one-line description, family)."""
