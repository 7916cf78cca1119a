"""Whole numbers from shares: exact sums, caps respected, deterministic ties."""

from __future__ import annotations

import numpy as np
import pytest

from alatau_geo.analysis.apportion import capped_shares, largest_remainder, whole_per_zone


def test_largest_remainder_sums_exactly_and_rounds_each_quota_down_or_up():
    rng = np.random.default_rng(14)
    for _ in range(50):
        quotas = rng.random(200) * 30
        total = int(round(quotas.sum()))
        quotas *= total / quotas.sum()
        whole = largest_remainder(quotas, total)
        assert whole.sum() == total
        assert np.all((whole == np.floor(quotas)) | (whole == np.floor(quotas) + 1))


def test_largest_remainder_breaks_ties_by_lower_index():
    assert largest_remainder(np.full(4, 0.5), 2).tolist() == [1, 1, 0, 0]
    assert largest_remainder(np.array([0.25, 0.75, 0.25, 0.75]), 2).tolist() == [0, 1, 0, 1]


def test_largest_remainder_never_exceeds_a_limit():
    whole = largest_remainder(np.array([0.9, 0.5, 0.6]), 2, limits=np.array([0, 1, 1]))
    assert whole.tolist() == [0, 1, 1]


def test_largest_remainder_refuses_a_total_the_quotas_cannot_reach():
    with pytest.raises(ValueError, match="more than the total"):
        largest_remainder(np.array([2.0, 2.0]), 3)


def _iterated_overflow(amount: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """The textbook loop: share in proportion, cap, share the overflow again."""
    x = np.zeros_like(caps)
    open_ = (weights > 0) & (caps > 0)
    left = amount
    while left > 1e-9 and open_.any():
        share = left * np.where(open_, weights, 0) / weights[open_].sum()
        x = x + share
        over = open_ & (x >= caps)
        left = float((x[over] - caps[over]).sum())
        x[over] = caps[over]
        open_ &= ~over
    return x


def test_capped_shares_equal_the_iterated_overflow_redistribution():
    rng = np.random.default_rng(3)
    for _ in range(30):
        weights = rng.random(50) * (rng.random(50) > 0.2)
        caps = rng.random(50) * 10
        amount = float(caps[weights > 0].sum()) * rng.random()
        shares = capped_shares(amount, weights, caps)
        assert shares.sum() == pytest.approx(amount)
        assert np.all(shares <= caps + 1e-12)
        assert np.all(shares[weights == 0] == 0)
        assert shares == pytest.approx(_iterated_overflow(amount, weights, caps), abs=1e-9)


def test_capped_shares_refuse_more_than_the_room():
    with pytest.raises(ValueError, match="exceeds the room"):
        capped_shares(11.0, np.ones(2), np.array([5.0, 5.0]))


def test_whole_per_zone_keeps_each_zones_total():
    values = np.array([[0.4, 0.4, 0.4, 7.3], [0.5, 0.5, 0.0, 9.0]])
    zones = np.array([[0, 0, 0, 1], [0, 0, 0, -1]])
    whole = whole_per_zone(values, zones, n_zones=2)
    assert whole[zones == 0].sum() == 2  # floor(2.2)
    assert whole[zones == 1].sum() == 7
    assert whole[zones == -1].sum() == 0
    assert np.all(whole <= np.ceil(values))
