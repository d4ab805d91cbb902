"""What a statistician needs to know about each metric: unit, range, why a value can be missing,
and a variable name that Stata, SPSS, SAS transport and R all accept.

Definitions (unit, description, family, valid range) come from the analysis library; an
infinite bound there is no bound here.
"""

import hashlib
import inspect
import math
import re
from dataclasses import dataclass
from functools import cache

# Longest variable name Stata and SPSS accept; wide columns keep three characters for a suffix.
MAX_NAME_CHARS = 32
_BASE_NAME_CHARS = 28

_UNIT_WORDS = {
    "share": "share 0-1",
    "probability": "probability 0-1",
    "score": "similarity 0-1",
    "count": "count",
    "per_min": "per minute",
    "s": "seconds",
    "Hz": "Hz",
    "deg/s": "degrees per second",
    "IOD/s": "inter-ocular distances per second",
    "SW": "shoulder widths",
    "SW/s": "shoulder widths per second",
    "bits": "bits",
    "px": "pixels",
    "IOD": "inter-ocular distances",
}
MISSING_REASONS = {
    "apathy": "no face was detected long enough in the window or session",
    "stereotypy": "the shoulders (pose) were not detected long enough to measure movement",
    "attention": "no gaze or head direction was measured, or gaze on target needs a calibration",
    "praxis": "no gesture was performed or the protocol expects no gestures",
    "interaction": "no audio track, or no speech heard or attributed to a speaker, or no other person "
    "in view; eye contact also needs a gaze calibration",
}
# Words shortened in variable names, longest first so that compounds win.
_ABBREVIATIONS = (
    ("gaze_aversions_per_min_patient_speaking", "gav_pm_pt_speaking"),
    ("while_patient_speaks", "pt_speaks"),
    ("while_other_speaks", "oth_speaks"),
    ("patient_speaking", "pt_speaking"),
    ("response_latency", "resp_lat"),
    ("eye_contact", "eyec"),
    ("mutual_gaze", "mutgaze"),
    ("patient_turn", "pt_turn"),
    ("gaze_aversion_speaking_minus_listening", "gav_speak_minus_listen"),
    ("gaze_aversion_while_speaking", "gav_speaking"),
    ("gaze_aversion_while_listening", "gav_listening"),
    ("median_frequency_hz", "medfreq_hz"),
    ("mean_amplitude_sw", "amp_sw"),
    ("episodes_per_min", "epis_pm"),
    ("switches_per_min", "switch_pm"),
    ("facial_motion", "fmot"),
    ("emotion_mean_prob", "emo_prob"),
    ("emotion_share", "emo_share"),
    ("emotion_", "emo_"),
    ("body_rocking", "rocking"),
    ("hand_flapping", "flapping"),
    ("head_movement", "headmov"),
    ("active_share", "act_share"),
    ("_duration_", "_dur_"),
    ("duration_", "dur_"),
    ("_per_min", "_pm"),
)
_FAMILY_PREFIXES = {
    "apathy": "ap",
    "stereotypy": "st",
    "attention": "at",
    "praxis": "px",
    "interaction": "ia",
}


@dataclass(frozen=True)
class MetricInfo:
    key: str
    unit: str
    description: str
    family: str
    minimum: float | None
    maximum: float | None

    @property
    def label(self) -> str:
        """The variable label of Stata and SPSS: full key and unit in words."""
        return f"{self.key} ({_UNIT_WORDS.get(self.unit, self.unit)})"[:80]

    @property
    def missing_reason(self) -> str:
        return MISSING_REASONS.get(self.family, "the metric could not be computed for this window")


@cache
def metric_catalogue() -> dict[str, MetricInfo]:
    """metric key -> MetricInfo; templated keys (praxis.score.<gesture>) keep their placeholder."""
    # analysis.metrics loads SciPy (seconds): only an export or a filter on metrics pays for it,
    # not every start of the web process.
    from analysis.metrics import METRIC_DEFINITIONS  # noqa: PLC0415
    from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS  # noqa: PLC0415
    from analysis.metrics.praxis import METRIC_DEFINITIONS as PRAXIS_DEFINITIONS  # noqa: PLC0415

    catalogue = {}
    for key, definition in {**METRIC_DEFINITIONS, **PRAXIS_DEFINITIONS, **INTERACTION_DEFINITIONS}.items():
        low, high = (
            None if math.isinf(bound) else float(bound) for bound in (definition.minimum, definition.maximum)
        )
        catalogue[key] = MetricInfo(
            key, definition.unit, definition.description, definition.family, low, high
        )
    return catalogue


def window_length_s() -> float:
    """The length of the window samples, as the analysis library computes them."""
    from analysis.metrics import compute_all  # noqa: PLC0415 (SciPy, as above)

    return float(inspect.signature(compute_all).parameters["window_s"].default)


def metric_info(key: str) -> MetricInfo | None:
    """The definition of a stored key, matching templated keys such as praxis.score.<gesture>."""
    catalogue = metric_catalogue()
    if key in catalogue:
        return catalogue[key]
    for template, info in catalogue.items():
        prefix = template.split("<", 1)[0]
        if "<" in template and key.startswith(prefix) and "." not in key[len(prefix) :]:
            return MetricInfo(key, info.unit, info.description, info.family, info.minimum, info.maximum)
    return None


def fixed_metric_keys() -> list[str]:
    """Every key without a placeholder: the wide table has a column for each, data or not."""
    return sorted(key for key in metric_catalogue() if "<" not in key)


def families() -> list[str]:
    return sorted({info.family for info in metric_catalogue().values()})


def resolve_metric_filter(requested: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split requested names into exact keys and prefixes (a family such as "apathy", or a
    group such as "stereotypy.body_rocking", with or without ".*"); the third list holds the
    names that match no metric."""
    catalogue = metric_catalogue()
    keys, prefixes, unknown = [], [], []
    for name in requested:
        stem = name.removesuffix(".*")
        if name in catalogue and "<" not in name:
            keys.append(name)
        elif metric_info(name) is not None and "<" not in name:
            keys.append(name)
        elif any(key.startswith(stem + ".") for key in catalogue):
            prefixes.append(stem + ".")
        else:
            unknown.append(name)
    return keys, prefixes, unknown


def variable_name(key: str) -> str:
    """A name of at most 28 characters, letters, digits and underscores, starting with a letter,
    that stays the same for a metric across exports (codebook: name -> metric)."""
    family, _, rest = key.partition(".")
    name = rest.replace(".", "_")
    for long, short in _ABBREVIATIONS:
        name = name.replace(long, short)
    name = re.sub(r"[^A-Za-z0-9_]", "_", f"{_FAMILY_PREFIXES.get(family, family[:3])}_{name}")
    if len(name) > _BASE_NAME_CHARS:
        digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:4]
        name = f"{name[: _BASE_NAME_CHARS - 5]}_{digest}"
    return name


def variable_names(keys: list[str]) -> dict[str, str]:
    """key -> variable name for a set of keys; refuses collisions rather than renaming silently."""
    names = {key: variable_name(key) for key in keys}
    if len(set(names.values())) != len(names):
        raise ValueError("Two metrics share a variable name; extend the abbreviations in metric_catalogue.")
    return names
