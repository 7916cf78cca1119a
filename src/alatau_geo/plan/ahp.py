"""Criterion weights from pairwise comparisons: the Analytic Hierarchy Process (AHP).

A planner compares criteria two at a time on Saaty's 1-9 scale ("slope is
3 times as important as distance to corridors"); the weights are the
principal right eigenvector of the reciprocal comparison matrix, normalised
to sum to one. How far the judgements contradict each other is the
consistency index CI = (lambda_max - n) / (n - 1), compared with the mean CI
of random reciprocal matrices of the same size (the random index RI): the
consistency ratio CR = CI / RI. Saaty takes CR <= 0.10 as acceptable.

References
----------
Saaty T L (1980) The Analytic Hierarchy Process. McGraw-Hill, New York.
(Random index table, chapter 1; the "wealth of nations" example used in the
tests: lambda_max = 7.61, CI = 0.10, CR = 0.08.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Saaty's (1980) random consistency index by matrix order n = 1..10.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                  9: 1.45, 10: 1.49}
#: Largest consistency ratio Saaty accepts.
ACCEPTABLE_CR = 0.10


@dataclass(frozen=True)
class AhpResult:
    """Weights and consistency of a pairwise comparison matrix.

    Attributes
    ----------
    weights : pandas.Series
        Principal eigenvector, summing to 1, indexed by criterion, named ``weight``.
    lambda_max : float
        Principal eigenvalue.
    consistency_index : float
        (lambda_max - n) / (n - 1); 0 for n <= 2.
    consistency_ratio : float
        CI / RI(n); 0 for n <= 2 (always consistent).
    """

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    @property
    def acceptable(self) -> bool:
        """Whether CR <= 0.10 (Saaty 1980)."""
        return self.consistency_ratio <= ACCEPTABLE_CR


def ahp_weights(matrix: Sequence[Sequence[float]] | np.ndarray, criteria: Sequence[str], *,
                tolerance: float = 0.02) -> AhpResult:
    """Weights and consistency ratio of a reciprocal pairwise comparison matrix.

    Parameters
    ----------
    matrix : n x n array_like
        ``matrix[i][j]`` = importance of criterion i over criterion j (1-9
        scale or its reciprocals); the diagonal is 1 and ``matrix[j][i]`` is
        ``1 / matrix[i][j]``. Rounded reciprocals (0.333 for 1/3) are accepted
        within `tolerance`; the upper triangle is then used exactly.
    criteria : sequence of str
        Names of the n criteria, in matrix order.
    tolerance : float, default 0.02
        Relative tolerance of the reciprocity check.

    Returns
    -------
    AhpResult

    Raises
    ------
    ValueError
        If the matrix is not square, of another size than `criteria`, larger
        than 10 x 10 (no published random index), not positive, has a
        diagonal other than 1, or is not reciprocal.

    Examples
    --------
    >>> result = ahp_weights([[1, 3], [1 / 3, 1]], ["slope", "corridors"])
    >>> result.weights.round(2).tolist(), result.consistency_ratio
    ([0.75, 0.25], 0.0)
    """
    a = _checked_matrix(matrix, criteria, tolerance=tolerance)
    n = a.shape[0]
    eigenvalues, eigenvectors = np.linalg.eig(a)
    principal = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[principal].real)
    vector = np.abs(eigenvectors[:, principal].real)
    weights = pd.Series(vector / vector.sum(), index=pd.Index(list(criteria), name="criterion"), name="weight")
    if n <= 2:
        return AhpResult(weights=weights, lambda_max=float(n), consistency_index=0.0, consistency_ratio=0.0)
    ci = max((lambda_max - n) / (n - 1), 0.0)
    return AhpResult(weights=weights, lambda_max=lambda_max, consistency_index=ci,
                     consistency_ratio=ci / RANDOM_INDEX[n])


def _checked_matrix(matrix: Sequence[Sequence[float]] | np.ndarray, criteria: Sequence[str], *,
                    tolerance: float) -> np.ndarray:
    a = np.asarray(matrix, dtype=float)
    n = len(criteria)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"the comparison matrix must be square, got shape {a.shape}")
    if a.shape[0] != n:
        raise ValueError(f"the comparison matrix is {a.shape[0]} x {a.shape[0]} but {n} criteria are named")
    if n < 1 or n > max(RANDOM_INDEX):
        raise ValueError(f"AHP needs 1 to {max(RANDOM_INDEX)} criteria (Saaty's random index table), got {n}")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise ValueError("every comparison must be a positive number (1-9 or a reciprocal 1/9-1)")
    if not np.allclose(np.diag(a), 1.0):
        raise ValueError("a criterion compared with itself must be 1 (the diagonal)")
    if not np.allclose(a * a.T, 1.0, rtol=tolerance, atol=0.0):
        i, j = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=tolerance, atol=0.0))[0]
        raise ValueError(
            f"comparison {criteria[i]} vs {criteria[j]} is {a[i, j]:g} but {criteria[j]} vs {criteria[i]} "
            f"is {a[j, i]:g}; one must be the reciprocal of the other"
        )
    upper = np.triu(a, k=1)
    return upper + np.triu(1.0 / a, k=1).T + np.eye(n)
