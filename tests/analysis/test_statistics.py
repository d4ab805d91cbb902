"""Agreement statistics of two raters: Cohen's kappa against textbook values, and undefined
(None, never 0) where it is 0 / 0."""

import pytest

from analysis.statistics import cohen_kappa, ratio


def _pairs(*groups: tuple[str, str, int]) -> list[tuple[str, str]]:
    return [(a, b) for a, b, n in groups for _ in range(n)]


def test_it_matches_the_textbook_kappa_examples():
    # Wikipedia "Cohen's kappa", worked examples: 50 proposals read by two readers.
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    assert cohen_kappa(
        _pairs(("y", "y", 20), ("y", "n", 5), ("n", "y", 10), ("n", "n", 15))
    ) == pytest.approx(0.4)
    # 45/15/25/15 (of 100): p_o = 0.6, p_e = 0.54, kappa = 0.06 / 0.46 = 0.1304.
    assert cohen_kappa(
        _pairs(("y", "y", 45), ("y", "n", 15), ("n", "y", 25), ("n", "n", 15))
    ) == pytest.approx(0.06 / 0.46)
    # Perfect agreement over two labels is 1; agreement no better than chance is 0.
    assert cohen_kappa(_pairs(("a", "a", 3), ("b", "b", 2))) == pytest.approx(1.0)
    assert cohen_kappa(_pairs(("a", "a", 1), ("a", "b", 1), ("b", "a", 1), ("b", "b", 1))) == pytest.approx(
        0.0
    )


def test_it_leaves_kappa_undefined_without_variation():
    assert cohen_kappa([]) is None
    assert cohen_kappa(_pairs(("a", "a", 4))) is None  # p_e = 1: 0 / 0


def test_a_ratio_of_nothing_counted_is_undefined():
    assert ratio(3, 4) == pytest.approx(0.75)
    assert ratio(0, 0) is None
