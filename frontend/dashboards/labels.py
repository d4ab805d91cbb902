"""Words for metric keys: families, plain names, units, help text and each metric's domain.

Names and help come from the metric definitions of the analysis library (unit, description,
family); what is stored as a 0-1 share is shown as 0-100 %. No page shows an internal key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from analysis.metrics import METRIC_DEFINITIONS
from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS
from analysis.metrics.praxis import METRIC_DEFINITIONS as PRAXIS_DEFINITIONS

FAMILIES = ("apathy", "stereotypy", "attention", "praxis", "interaction")
FAMILY_TITLES = {
    "apathy": "Apathy (facial motion and emotion)",
    "stereotypy": "Stereotypy and agitation",
    "attention": "Attention and gaze",
    "praxis": "Praxis (gestures)",
    "interaction": "Conversation and eye contact",
}
# Shown when the dashboard opens: one headline metric per family, when the patient has it.
HEADLINE_METRICS = (
    "apathy.neutral_share",
    "stereotypy.episodes_per_min",
    "attention.gaze_on_target_share",
    "praxis.score_mean",
    "interaction.patient_speaking_share",
)
# Metrics that mean nothing without a per-patient gaze calibration of the session.
NEEDS_CALIBRATION = frozenset({"attention.gaze_on_target_share", "attention.looks_per_min",
                               "attention.look_duration_mean_s", "attention.gaze_shifts_per_min"})  # fmt: skip

_SUBJECTS = {
    "body_rocking": "body rocking",
    "hand_flapping": "hand flapping",
    "head_movement": "head movement",
    "brows": "brows",
    "lids": "eyelids",
    "mouth": "mouth",
}
_MEASURES = {
    "episodes_per_min": "episodes per minute",
    "total_s": "time in episodes",
    "share": "share of time in episodes",
    "median_frequency_hz": "median frequency",
    "mean_amplitude_sw": "mean amplitude",
    "mean": "mean speed",
    "p90": "fast movement (90th percentile speed)",
    "active_share": "share of time moving",
}
_STORY_PARTS = {
    "positive_story": "Positive story",
    "negative_story": "Negative story",
    "neutral": "Neutral segment",
    "baseline": "Baseline segment",
}
_NAMES = {
    "apathy.face_coverage": "Face visible",
    "apathy.facial_motion_energy": "Facial movement",
    "apathy.emotion_coverage": "Expression measured",
    "apathy.neutral_share": "Neutral expression",
    "apathy.positive_share": "Positive expression",
    "apathy.valence_mean": "Mean valence (happy minus sad)",
    "apathy.emotion_entropy": "Variety of expressions",
    "apathy.emotion_switches_per_min": "Expression changes per minute",
    "apathy.head_motion_deg_s": "Head movement speed",
    "apathy.head_motion_std_deg_s": "Variability of head movement",
    "apathy.head_still_share": "Head still",
    "stereotypy.pose_coverage": "Body visible",
    "stereotypy.agitation_index": "Agitation (upper-body speed)",
    "stereotypy.agitation_share": "Agitated time",
    "stereotypy.fidget_index": "Fidgeting",
    "attention.gaze_coverage": "Gaze measured",
    "attention.eye_gaze_share": "Gaze from the eyes (not head only)",
    "attention.gaze_on_target_share": "Gaze on target",
    "attention.gaze_shifts_per_min": "Gaze shifts per minute",
    "attention.looks_per_min": "Looks at the target per minute",
    "attention.look_duration_mean_s": "Mean look duration",
    "attention.fixations_per_min": "Fixations per minute",
    "attention.fixation_duration_mean_s": "Mean fixation duration",
    "attention.fixation_duration_median_s": "Median fixation duration",
    "attention.speaking_share": "Speaking",
    "attention.gaze_aversion_while_speaking_share": "Looking away while speaking",
    "attention.gaze_aversion_while_listening_share": "Looking away while listening",
    "attention.gaze_aversion_speaking_minus_listening": "Looking away: speaking minus listening",
    "praxis.gesture_count": "Gestures performed",
    "praxis.duration_mean_s": "Mean gesture duration",
    "praxis.hesitation_mean_s": "Mean hesitation before a gesture",
    "praxis.score_mean": "Gesture score (mean)",
    "praxis.correct_count": "Correct gestures",
    "praxis.omitted_count": "Omitted gestures",
    "interaction.patient_speaking_share": "Patient's share of the speech",
    "interaction.turns_per_min": "Speaking turns per minute",
    "interaction.patient_turn_mean_s": "Mean length of the patient's turns",
    "interaction.response_latency_mean_s": "Time to answer the other person",
    "interaction.pauses_per_min": "Pauses in the conversation per minute",
    "interaction.pause_mean_s": "Mean pause length",
    "interaction.eye_contact_share": "Eye contact with the other person",
    "interaction.eye_contact_while_patient_speaks_share": "Eye contact while the patient speaks",
    "interaction.eye_contact_while_other_speaks_share": "Eye contact while the other person speaks",
    "interaction.gaze_aversions_per_min_patient_speaking": "Looking away while speaking, per minute",
    "interaction.mutual_gaze_episodes_per_min": "Mutual gaze episodes per minute",
    "tasks.total_time_s": "Semi-guided tasks: total time",
    "tasks.idle_time_s": "Semi-guided tasks: idle time between tasks",
    "tasks.order_errors": "Semi-guided tasks: order errors",
    "tasks.omitted_count": "Semi-guided tasks: tasks omitted",
    "tasks.repeated_count": "Semi-guided tasks: tasks repeated",
    "tasks.over_expected_max_count": "Semi-guided tasks: longer than expected",
}


@dataclass(frozen=True)
class Unit:
    """How a stored unit is shown: its words, the factor from stored to shown values, and the
    axis range of its domain (None for an open end)."""

    words: str
    factor: float
    low: float | None
    high: float | None


_UNITS = {
    "share": Unit("% of the time", 100.0, 0.0, 100.0),
    "per_min": Unit("per minute", 1.0, 0.0, None),
    "s": Unit("seconds", 1.0, 0.0, None),
    "Hz": Unit("Hz (cycles per second)", 1.0, 0.0, None),
    "SW": Unit("shoulder widths", 1.0, 0.0, None),
    "SW/s": Unit("shoulder widths per second", 1.0, 0.0, None),
    "IOD/s": Unit("eye distances per second", 1.0, 0.0, None),
    "deg/s": Unit("degrees per second", 1.0, 0.0, None),
    "bits": Unit("bits (0 = one expression only)", 1.0, 0.0, 2.81),
    "probability": Unit("probability (0 to 1)", 1.0, 0.0, 1.0),
    "score": Unit("score (0 to 100)", 1.0, 0.0, 100.0),
    "count": Unit("count", 1.0, 0.0, None),
    "IOD": Unit("eye distances", 1.0, 0.0, None),
    "deg": Unit("degrees", 1.0, 0.0, None),
    "px": Unit("pixels", 1.0, 0.0, None),
    "valence": Unit("valence (-1 to 1)", 1.0, -1.0, 1.0),
}
KNOWN_UNITS = frozenset(_UNITS)
# Differences of two shares can be negative.
_SIGNED = {"attention.gaze_aversion_speaking_minus_listening": Unit("percentage points", 100.0, -100.0, 100.0),
           "apathy.valence_mean": Unit("valence (-1 to 1)", 1.0, -1.0, 1.0)}  # fmt: skip


def metric_family(key: str) -> str:
    """The family prefix of a metric key ("apathy.neutral_share" → "apathy")."""
    return key.split(".", 1)[0]


@cache
def metric_label(key: str) -> str:
    """A plain name: "stereotypy.body_rocking.episodes_per_min" → "Body rocking: episodes per minute"."""
    if key in _NAMES:
        return _NAMES[key]
    parts = key.split(".")[1:]
    if len(parts) >= 2 and parts[0] in _STORY_PARTS:  # apathy.<story>.<metric>
        return f"{_STORY_PARTS[parts[0]]}: {metric_label('apathy.' + '.'.join(parts[1:])).lower()}"
    if len(parts) == 3 and parts[0] == "au":  # apathy.au.<action>.<measure>
        measure = {"intensity_iod": "intensity", "frequency": "share of time active"}.get(
            parts[2], parts[2].replace("_", " ")
        )
        return f"Facial action '{parts[1].replace('_', ' ')}': {measure}"
    if len(parts) == 3 and parts[0] == "facial_motion":  # apathy.facial_motion.<region>.<measure>
        return (
            f"Facial movement of the {_SUBJECTS.get(parts[1], parts[1])}: {_MEASURES.get(parts[2], parts[2])}"
        )
    if len(parts) == 2 and parts[0] in ("emotion_share", "emotion_mean_prob"):
        what = "share of time" if parts[0] == "emotion_share" else "mean probability"
        return f"Expression {parts[1]}: {what}"
    if len(parts) == 2 and parts[0] in ("score", "attempts"):  # praxis.<measure>.<gesture>
        return f"Gesture '{parts[1]}': {'best score' if parts[0] == 'score' else 'attempts'}"
    if len(parts) == 2 and parts[0] in _SUBJECTS:
        return f"{_SUBJECTS[parts[0]].capitalize()}: {_MEASURES.get(parts[1], parts[1].replace('_', ' '))}"
    if len(parts) == 1 and key.startswith("stereotypy."):
        return f"Any stereotypy: {_MEASURES.get(parts[0], parts[0].replace('_', ' '))}"
    words = re.sub(r"_(s|min|hz|sw)$", "", "_".join(parts)).replace("_", " ")
    return words[:1].upper() + words[1:]


def _definition(key: str) -> tuple | None:
    if key in METRIC_DEFINITIONS:
        return METRIC_DEFINITIONS[key]
    if key in PRAXIS_DEFINITIONS:
        return PRAXIS_DEFINITIONS[key]
    if key in INTERACTION_DEFINITIONS:
        return INTERACTION_DEFINITIONS[key]
    family, _, rest = key.partition(".")
    measure = rest.split(".", 1)[0]
    return PRAXIS_DEFINITIONS.get(f"{family}.{measure}.<gesture>")


def metric_help(key: str) -> str:
    """One sentence saying what the metric measures (the library's description)."""
    definition = _definition(key)
    return str(definition[1]) if definition else ""


def metric_unit(key: str, stored_unit: str = "") -> Unit:
    """How the metric's values are shown (words, scale, domain)."""
    if key in _SIGNED:
        return _SIGNED[key]
    definition = _definition(key)
    unit = str(definition[0]) if definition else stored_unit
    shown = _UNITS.get(unit, Unit(unit, 1.0, None, None))
    # The library's valid range, where it gives one, is the axis range.
    minimum, maximum = (getattr(definition, "minimum", None), getattr(definition, "maximum", None))
    if minimum is not None and maximum is not None and math.isfinite(minimum):
        high = maximum * shown.factor if math.isfinite(maximum) else None
        return Unit(shown.words, shown.factor, minimum * shown.factor, high)
    return shown


def unit_label(unit: str) -> str:
    return _UNITS[unit].words if unit in _UNITS else unit


def default_metrics(available: list[str]) -> list[str]:
    """The headline metric of each family the patient has, else that family's first metric."""
    chosen = [key for key in HEADLINE_METRICS if key in available]
    have = {metric_family(key) for key in chosen}
    for key in available:
        family = metric_family(key)
        if family in FAMILIES and family not in have:
            chosen.append(key)
            have.add(family)
    return chosen or available[:4]
