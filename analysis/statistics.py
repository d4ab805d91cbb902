"""Agreement statistics between two raters (e.g. a model and a clinician), from plain labels.

Cohen's kappa is computed here (no scikit-learn): kappa = (p_o - p_e) / (1 - p_e), with p_o the
share of items on which both raters agree and p_e the agreement expected by chance from each
rater's label shares. It is undefined (None) when there are no items or p_e = 1 (both raters
always gave the one same label): 0 / 0, never reported as 0.
"""

from collections import Counter
from collections.abc import Hashable, Iterable


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters over the same items.

    pairs holds one (label of rater A, label of rater B) per item. Returns None when there are no
    pairs or chance agreement is 1 (kappa is 0 / 0 there).
    """
    counts = Counter(pairs)
    n = sum(counts.values())
    if n == 0:
        return None
    observed = sum(count for (a, b), count in counts.items() if a == b) / n
    rater_a: Counter[Hashable] = Counter()
    rater_b: Counter[Hashable] = Counter()
    for (a, b), count in counts.items():
        rater_a[a] += count
        rater_b[b] += count
    expected = sum(rater_a[label] * rater_b[label] for label in rater_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator (a precision or a recall), None when nothing was counted."""
    return numerator / denominator if denominator else None
