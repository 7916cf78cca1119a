"""Whole numbers from shares: largest-remainder rounding and capped proportional shares.

People and jobs are counted in whole numbers, but they are placed by shares
(of a target, of a capacity). Two tools turn shares into whole numbers that
add up exactly:

- :func:`largest_remainder` (Hamilton's method): every quota rounds down,
  and the units still missing go to the largest fractional parts; ties go to
  the lower index, so the result is deterministic. An optional upper limit
  per element is never exceeded.
- :func:`capped_shares`: an amount shared in proportion to weights where no
  element may take more than its cap; what would overflow a cap goes to the
  others in proportion to their weights (the fixed point of iterative
  overflow redistribution, solved directly from the sorted breakpoints).

:func:`whole_per_zone` applies the first to a grid zone by zone.
"""

from __future__ import annotations

import numpy as np


def largest_remainder(quotas: np.ndarray, total: int, *, limits: np.ndarray | None = None) -> np.ndarray:
    """Round non-negative `quotas` to whole numbers that sum to exactly `total`.

    Each element becomes ``floor(quota)`` or ``floor(quota) + 1``; the
    ``total - sum(floor)`` extra units go to the largest fractional parts,
    ties to the lower index.

    Parameters
    ----------
    quotas : numpy.ndarray
        1-D, non-negative, summing to `total` up to rounding.
    total : int
        The exact sum wanted.
    limits : numpy.ndarray of int, optional
        No element is raised above its limit (``floor(quota)`` must not
        exceed it already).

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    ValueError
        If `total` cannot be reached by rounding (the quotas do not add up to
        it) or the limits leave no room.

    Examples
    --------
    >>> largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist()
    [2, 1, 1]
    >>> largest_remainder(np.array([0.4, 0.3, 0.3]), 1).tolist()
    [1, 0, 0]
    """
    quotas = np.asarray(quotas, dtype=np.float64)
    base = np.floor(quotas).astype(np.int64)
    short = int(total) - int(base.sum())
    if short < 0:
        raise ValueError(f"quotas round down to {int(base.sum())}, more than the total {total}")
    if short == 0:
        return base
    eligible = np.ones(base.shape, dtype=bool) if limits is None else base < np.asarray(limits)
    candidates = np.flatnonzero(eligible)
    if short > candidates.size:
        raise ValueError(f"{short} units left over but only {candidates.size} elements can take one")
    fractions = (quotas - base)[candidates]
    if short < candidates.size:
        kth = np.partition(fractions, candidates.size - short)[candidates.size - short]
        above = candidates[fractions > kth]
        ties = candidates[fractions == kth]
        chosen = np.concatenate([above, ties[: short - above.size]])
    else:
        chosen = candidates
    base[chosen] += 1
    return base


def capped_shares(amount: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Share `amount` in proportion to `weights`, no element above its cap.

    The result is ``x = min(caps, lam * weights)`` with ``lam`` chosen so
    that ``x`` sums to `amount`: elements whose proportional share would
    overflow their cap are filled to it, and the overflow goes to the rest
    in proportion to their weights, as often as needed. Elements of weight 0
    get nothing.

    Parameters
    ----------
    amount : float
        At most the sum of `caps` where `weights` > 0.
    weights, caps : numpy.ndarray
        1-D, non-negative, same length.

    Returns
    -------
    numpy.ndarray of float64

    Raises
    ------
    ValueError
        If `amount` exceeds what the weighted elements can hold.

    Examples
    --------
    >>> capped_shares(9.0, np.array([1.0, 1.0, 1.0]), np.array([1.0, 10.0, 10.0])).tolist()
    [1.0, 4.0, 4.0]
    """
    weights = np.asarray(weights, dtype=np.float64)
    caps = np.asarray(caps, dtype=np.float64)
    out = np.zeros(weights.shape, dtype=np.float64)
    active = np.flatnonzero((weights > 0) & (caps > 0))
    room = float(caps[active].sum())
    if amount > room * (1 + 1e-12):
        raise ValueError(f"amount {amount} exceeds the room {room} of the weighted elements")
    if amount <= 0 or active.size == 0:
        return out
    w = weights[active]
    c = caps[active]
    breaks = c / w
    order = np.argsort(breaks, kind="stable")
    c_sorted, w_sorted, b_sorted = c[order], w[order], breaks[order]
    capped_before = np.concatenate([[0.0], np.cumsum(c_sorted)[:-1]])
    weight_from = np.cumsum(w_sorted[::-1])[::-1]
    filled_at_break = capped_before + b_sorted * weight_from
    j = int(np.searchsorted(filled_at_break, amount, side="left"))
    if j >= active.size:
        out[active] = c
        return out
    lam = (amount - capped_before[j]) / weight_from[j]
    out[active] = np.minimum(c, lam * w)
    return out


def whole_per_zone(values: np.ndarray, zones: np.ndarray, *, n_zones: int) -> np.ndarray:
    """Whole numbers per cell whose zone totals are the floors of the zones' sums.

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative cell values (e.g. residents a cell can hold), any shape.
    zones : numpy.ndarray of int
        Zone index of each cell, same shape; cells below 0 are outside every
        zone and get 0.
    n_zones : int
        Zones are ``0 .. n_zones - 1``.

    Returns
    -------
    numpy.ndarray of int64
        Each cell is ``floor(value)`` or ``ceil(value)``; every zone's total
        is ``floor(sum of its values)``.

    Examples
    --------
    >>> whole_per_zone(np.array([0.6, 0.6, 0.6, 2.0]), np.array([0, 0, 0, -1]), n_zones=1).tolist()
    [1, 0, 0, 0]
    """
    flat_values = np.asarray(values, dtype=np.float64).ravel()
    flat_zones = np.asarray(zones).ravel()
    out = np.zeros(flat_values.shape, dtype=np.int64)
    for zone in range(n_zones):
        cells = np.flatnonzero(flat_zones == zone)
        quotas = flat_values[cells]
        total = float(quotas.sum())
        # A sum a hair below a whole number (float drift) still counts as that number.
        out[cells] = largest_remainder(quotas, int(np.floor(total + 1e-9 * max(1.0, total))))
    return out.reshape(np.shape(values))
