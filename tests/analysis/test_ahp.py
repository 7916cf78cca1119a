"""AHP weights and consistency against Saaty's published example."""

from __future__ import annotations

import numpy as np
import pytest

from alatau_geo.plan.ahp import RANDOM_INDEX, ahp_weights

# Saaty (1980), "relative wealth of nations": US, USSR, China, France, UK,
# Japan, West Germany. Published: eigenvector .427 .230 .021 .052 .052 .123
# .094; lambda_max = 7.61; C.I. = 0.10; C.R. = 0.08.
NATIONS = ["us", "ussr", "china", "france", "uk", "japan", "w_germany"]
WEALTH = [
    [1, 4, 9, 6, 6, 5, 5],
    [1 / 4, 1, 7, 5, 5, 3, 4],
    [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
    [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
]


def test_saaty_wealth_of_nations_example():
    result = ahp_weights(WEALTH, NATIONS)
    assert result.weights.round(3).tolist() == [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094]
    assert round(result.lambda_max, 2) == 7.61
    assert round(result.consistency_index, 2) == 0.10
    assert round(result.consistency_ratio, 2) == 0.08
    assert result.acceptable
    assert result.weights.sum() == pytest.approx(1.0)
    assert result.weights.index.tolist() == NATIONS


def test_a_fully_consistent_matrix_has_ratio_zero_and_exact_weights():
    w = np.array([0.5, 0.3, 0.2])
    result = ahp_weights(w[:, None] / w[None, :], ["a", "b", "c"])
    np.testing.assert_allclose(result.weights.to_numpy(), w)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_rounded_reciprocals_are_accepted_and_inconsistency_is_flagged():
    # a > b (3), b > c (3), but c > a (3): a cycle, badly inconsistent.
    cyclic = [[1, 3, 0.333], [0.333, 1, 3], [3, 0.333, 1]]
    result = ahp_weights(cyclic, ["a", "b", "c"])
    assert result.consistency_ratio > 1.0 and not result.acceptable
    np.testing.assert_allclose(result.weights.to_numpy(), [1 / 3] * 3, atol=1e-3)


def test_random_index_table_is_saatys():
    assert [RANDOM_INDEX[n] for n in range(3, 11)] == [0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


@pytest.mark.parametrize(("matrix", "names", "message"), [
    ([[1, 2], [0.5, 1]], ["a"], "2 x 2 but 1 criteria"),
    ([[1, 2, 3]], ["a"], "square"),
    ([[1, -2], [-0.5, 1]], ["a", "b"], "positive"),
    ([[2, 2], [0.5, 1]], ["a", "b"], "diagonal"),
    ([[1, 2], [2, 1]], ["a", "b"], "a vs b is 2 but b vs a is 2"),
])
def test_invalid_matrices_are_rejected(matrix, names, message):
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix, names)
