"""Allocation on a synthetic grid: exact totals, capacity respected, shortfalls named, seeds kept, phases grow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alatau_geo.analysis.allocation import allocate, allocate_phases
from alatau_geo.analysis.capacity import whole_capacity
from alatau_geo.core.errors import InputDataError

IDS = ["gate", "golden", "green"]


@pytest.fixture(scope="module")
def grid():
    """30 x 30 cells: three zones and a quarter outside the city; a third of the cells hold nobody."""
    rng = np.random.default_rng(14)
    zones = np.full((30, 30), -1)
    zones[:15, :15], zones[:15, 15:], zones[15:, :15] = 0, 1, 2
    capacity = rng.random((30, 30)) * 400 * (rng.random((30, 30)) > 0.33)
    score = rng.choice([0.3, 0.6, 1.0], size=(30, 30))
    return zones, capacity, score


def _whole(zones, capacity):
    return whole_capacity(capacity, zones, n_zones=len(IDS))


def test_every_zone_gets_exactly_its_target_and_the_city_their_sum(grid):
    zones, capacity, score = grid
    targets = {"gate": 9_000, "golden": 5_555, "green": 1}
    result = allocate(zones, capacity, targets, zone_ids=IDS, score=score)
    for index, zone in enumerate(IDS):
        assert result.grid[zones == index].sum() == targets[zone]
    assert result.grid.sum() == sum(targets.values())
    assert result.table["allocated"].tolist() == list(targets.values())
    assert result.table["shortfall"].sum() == 0
    assert result.grid.dtype == np.int64


def test_nobody_outside_the_city_on_a_cell_without_capacity_or_above_capacity(grid):
    zones, capacity, score = grid
    result = allocate(zones, capacity, {"gate": 9_000, "golden": 5_555, "green": 3_000}, zone_ids=IDS, score=score)
    assert result.grid[zones < 0].sum() == 0
    assert result.grid[capacity == 0].sum() == 0
    assert np.all(result.grid <= _whole(zones, capacity))
    assert np.all(result.grid <= np.ceil(capacity))


def test_shares_follow_capacity_times_score_and_the_best_cells_fill_first(grid):
    zones, capacity, score = grid
    # Gate holds about 28,000; 20,000 fills the cells of score 1 and shares the rest by capacity x score.
    result = allocate(zones, capacity, {"gate": 20_000, "golden": 0, "green": 0}, zone_ids=IDS, score=score)
    gate = (zones == 0) & (capacity > 0)
    full = result.grid >= _whole(zones, capacity)
    assert np.all(full[gate & (score == 1.0)])
    assert not full[gate & (score < 1.0)].any()
    open_ = gate & ~full
    weight = (capacity * score)[open_]
    lam = result.grid[open_].sum() / weight.sum()
    # Whole-number rounding moves a cell by less than one resident from its exact share.
    assert np.all(np.abs(result.grid[open_] - lam * weight) < 1.0 + 1e-6)


def test_a_zone_whose_target_exceeds_capacity_is_filled_and_reports_its_shortfall(grid):
    zones, capacity, score = grid
    whole = _whole(zones, capacity)
    room = int(whole[zones == 2].sum())
    result = allocate(zones, capacity, {"gate": 100, "golden": 100, "green": room + 12_345}, zone_ids=IDS,
                      score=score)
    row = result.table.loc["green"]
    assert row["allocated"] == room
    assert row["shortfall"] == 12_345
    assert row["note"] == "target exceeds capacity: 12,345 short"
    assert np.array_equal(result.grid[zones == 2], whole[zones == 2])
    assert result.table.loc["gate", "allocated"] == 100  # the other zones are not scaled


def test_seeds_keep_their_residents_and_count_towards_the_target(grid):
    zones, capacity, score = grid
    seeds = np.zeros(zones.shape, dtype=np.int64)
    seeds[2, 3] = 250  # a village on one cell, above that cell's capacity
    seeds[5, 5] = 40
    seeds[20, 2] = 7
    result = allocate(zones, capacity, {"gate": 4_000, "golden": 0, "green": 500}, zone_ids=IDS, score=score,
                      seeds=seeds)
    assert np.all(result.grid >= seeds)
    assert result.grid[2, 3] == 250
    assert result.grid[zones == 0].sum() == 4_000
    assert result.table.loc["gate", "seeded"] == 290
    assert "seeds exceed their cells' capacity by" in result.table.loc["gate", "note"]


def test_seeds_above_the_target_stay_and_are_reported(grid):
    zones, capacity, score = grid
    seeds = np.zeros(zones.shape, dtype=np.int64)
    seeds[20, 2] = 90
    result = allocate(zones, capacity, {"gate": 0, "golden": 0, "green": 60}, zone_ids=IDS, seeds=seeds)
    assert result.grid[20, 2] == 90
    assert result.table.loc["green", ["allocated", "above_target"]].tolist() == [90, 30]
    table = result.table
    assert (table["allocated"] == table["target"] - table["shortfall"] + table["above_target"]).all()


def test_phases_grow_cell_by_cell_and_meet_each_years_targets(grid):
    zones, capacity, score = grid
    targets = {2050: pd.Series({"gate": 20_000, "golden": 9_000, "green": 4_000}),
               2030: pd.Series({"gate": 5_000, "golden": 1_000, "green": 4_000}),
               2040: pd.Series({"gate": 12_000, "golden": 5_000, "green": 4_000})}
    seeds = np.zeros(zones.shape, dtype=np.int64)
    seeds[1, 1] = 300
    phases = allocate_phases(zones, capacity, targets, zone_ids=IDS, score=score, seeds=seeds)
    assert list(phases) == [2030, 2040, 2050]
    assert np.all(phases[2030].grid >= seeds)
    assert np.all(phases[2040].grid >= phases[2030].grid)
    assert np.all(phases[2050].grid >= phases[2040].grid)
    for year, target in targets.items():
        allocated = phases[year].table["allocated"]
        shortfall = phases[year].table["shortfall"]
        pd.testing.assert_series_equal(allocated + shortfall, target.astype(np.int64), check_names=False)
    assert phases[2050].table.loc["gate", "seeded"] == 12_000  # each phase inherits the one before


def test_allocation_is_deterministic_and_ties_go_to_the_lower_cell_index():
    zones = np.zeros((1, 6), dtype=int)
    capacity = np.full((1, 6), 5.0)
    first = allocate(zones, capacity, {"a": 3}, zone_ids=["a"])
    again = allocate(zones, capacity, {"a": 3}, zone_ids=["a"])
    assert first.grid.tolist() == again.grid.tolist() == [[1, 1, 1, 0, 0, 0]]


def test_cells_with_room_but_no_score_are_used_only_when_the_others_are_full():
    zones = np.zeros((1, 3), dtype=int)
    capacity = np.array([[10.0, 10.0, 10.0]])
    score = np.array([[1.0, 1.0, 0.0]])
    assert allocate(zones, capacity, {"a": 12}, zone_ids=["a"], score=score).grid.tolist() == [[6, 6, 0]]
    assert allocate(zones, capacity, {"a": 25}, zone_ids=["a"], score=score).grid.tolist() == [[10, 10, 5]]


def test_a_fine_grid_with_fractional_capacity_still_places_the_whole_target():
    rng = np.random.default_rng(5)
    zones = np.zeros((200, 200), dtype=int)
    capacity = rng.random((200, 200)) * 1.4  # 10 m cells hold about 0.7 residents
    result = allocate(zones, capacity, {"a": 20_000}, zone_ids=["a"])
    assert result.grid.sum() == 20_000
    assert np.all(result.grid <= np.ceil(capacity))


@pytest.mark.parametrize(("change", "message"), [
    ({"seeds_outside": True}, "persons on cells outside the city; clip the seeds to the city"),
    ({"capacity": -1.0}, "capacity of at least 0"),
    ({"capacity": np.nan}, "capacity of at least 0"),
    ({"targets": {"gate": 1}}, "no target for zone 'golden'"),
])
def test_bad_inputs_are_refused_with_what_to_do(grid, change, message):
    zones, capacity, _ = grid
    capacity = capacity.copy()
    seeds = None
    targets = change.get("targets", {"gate": 1, "golden": 1, "green": 1})
    if "capacity" in change:
        capacity[0, 0] = change["capacity"]
    if change.get("seeds_outside"):
        seeds = np.zeros(zones.shape, dtype=np.int64)
        seeds[29, 29] = 5
    with pytest.raises(InputDataError, match=message):
        allocate(zones, capacity, targets, zone_ids=IDS, seeds=seeds)
