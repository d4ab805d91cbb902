"""Words for metric keys: families, readable names and the metrics shown first."""

from __future__ import annotations

FAMILIES = ("apathy", "stereotypy", "attention", "praxis")
FAMILY_TITLES = {
    "apathy": "Apathy (facial motion and emotion)",
    "stereotypy": "Stereotypy and agitation",
    "attention": "Attention and gaze",
    "praxis": "Praxis (gestures)",
}
# Shown when the dashboard opens: one headline metric per family, when the patient has it.
HEADLINE_METRICS = (
    "apathy.neutral_share",
    "stereotypy.episodes_per_min",
    "attention.gaze_on_target_share",
    "praxis.score_mean",
)
_UNIT_WORDS = {"share": "share of time", "per_min": "per minute"}


def metric_family(key: str) -> str:
    """The family prefix of a metric key ("apathy.neutral_share" → "apathy")."""
    return key.split(".", 1)[0]


def metric_label(key: str) -> str:
    """A readable name: "apathy.neutral_share" → "Apathy: neutral share"."""
    family, _, rest = key.partition(".")
    words = rest.replace(".", " · ").replace("_", " ") if rest else family
    return f"{family.capitalize()}: {words}"


def unit_label(unit: str) -> str:
    return _UNIT_WORDS.get(unit, unit)


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
