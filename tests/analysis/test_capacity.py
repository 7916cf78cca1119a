"""Capacity per cell and per zone, on grids small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alatau_geo.analysis.capacity import (
    capacity_table,
    cell_capacity,
    classes_from_buildable,
    suitability_score,
    whole_capacity,
)
from alatau_geo.core.errors import InputDataError, PlanError
from alatau_geo.plan.population_params import DEFAULT_PARAMS, PopulationParams

IDS = ["gate", "golden"]


def test_one_hectare_of_gate_holds_what_its_density_says():
    # 10,000 m2 x 0.55 developable x FAR 1.0 = 5,500 m2 of floor; 64 % housing at 29.5 m2
    # per resident, 36 % workplaces at 19.9 m2 per job.
    capacity = cell_capacity(np.array([[0]]), np.array([[3]]), cell_m=100.0, zone_ids=["gate"],
                             params=DEFAULT_PARAMS)
    assert capacity.floor_m2[0, 0] == pytest.approx(5500.0)
    assert capacity.residents[0, 0] == pytest.approx(5500 * 0.64 / 29.5)
    assert capacity.jobs[0, 0] == pytest.approx(5500 * 0.36 / 19.9)


def test_lower_classes_hold_less_and_unsuitable_or_outside_cells_nothing():
    zones = np.array([[0, 0, 0, 0, -1]])
    classes = np.array([[3, 2, 1, 0, 3]])
    residents = cell_capacity(zones, classes, cell_m=100.0, zone_ids=["gate"], params=DEFAULT_PARAMS).residents
    high = residents[0, 0]
    assert residents[0].tolist() == pytest.approx([high, 0.7 * high, 0.4 * high, 0.0, 0.0])


def test_capacity_scales_with_cell_area_and_density():
    zones = np.zeros((2, 2), dtype=int)
    classes = np.full((2, 2), 3)
    coarse = cell_capacity(zones, classes, cell_m=100.0, zone_ids=["golden"], params=DEFAULT_PARAMS)
    fine = cell_capacity(zones, classes, cell_m=10.0, zone_ids=["golden"], params=DEFAULT_PARAMS)
    assert coarse.residents.sum() == pytest.approx(100 * fine.residents.sum())
    denser = PopulationParams.from_mapping({"density": {"golden": {"floor_area_ratio": 1.6}}})
    doubled = cell_capacity(zones, classes, cell_m=100.0, zone_ids=["golden"], params=denser)
    assert doubled.residents.sum() == pytest.approx(2 * coarse.residents.sum())


def test_table_gives_hectares_capacity_and_the_shortfall_of_each_zone():
    zones = np.array([[0, 0, 1, 1], [0, 0, 1, -1]])
    classes = np.array([[3, 3, 3, 0], [2, 0, 1, 3]])
    capacity = cell_capacity(zones, classes, cell_m=100.0, zone_ids=IDS, params=DEFAULT_PARAMS)
    targets = pd.DataFrame({"residents_target": [200, 1_000_000], "residents_basis": ["given", "given"],
                            "jobs_target": [100, 10], "jobs_basis": ["given", "given"]}, index=IDS)
    table = capacity_table(zones, classes, capacity, cell_m=100.0, zone_ids=IDS, targets=targets)
    assert list(table.index) == ["gate", "golden", "city"]
    assert table.loc["gate", ["ha", "buildable_ha", "high_ha", "medium_ha", "low_ha"]].tolist() == [4, 3, 2, 1, 0]
    assert table.loc["golden", ["ha", "buildable_ha"]].tolist() == [3, 2]
    gate_residents = int(np.floor(capacity.residents[zones == 0].sum()))
    assert table.loc["gate", "residents_capacity"] == gate_residents
    assert table.loc["gate", "residents_spare"] == gate_residents - 200
    assert table.loc["gate", "status"] == "fits"
    golden_short = 1_000_000 - int(table.loc["golden", "residents_capacity"])
    assert table.loc["golden", "residents_spare"] == -golden_short
    assert table.loc["golden", "status"] == f"short of {golden_short:,} residents"
    assert table.loc["golden", "ha_spare"] < 0  # more land needed than there is buildable
    assert table.loc["city", "residents_target"] == 1_000_200
    assert table.loc["city", "status"].startswith("zones short: golden")
    # Gate needs the share of its buildable land its binding target takes.
    ratio = max(200 / gate_residents, 100 / table.loc["gate", "jobs_capacity"])
    assert table.loc["gate", "ha_needed"] == pytest.approx(3 * ratio)


def test_a_zone_without_density_is_named():
    with pytest.raises(PlanError, match=r"'population.density.north' is missing"):
        cell_capacity(np.array([[0]]), np.array([[3]]), cell_m=100.0, zone_ids=["north"], params=DEFAULT_PARAMS)


def test_bad_grids_are_refused_with_what_to_do():
    with pytest.raises(InputDataError, match="classes are 0 unsuitable, 1 low, 2 medium, 3 high"):
        cell_capacity(np.array([[0]]), np.array([[7]]), cell_m=100.0, zone_ids=["gate"], params=DEFAULT_PARAMS)
    with pytest.raises(InputDataError, match="same cells"):
        cell_capacity(np.zeros((2, 2), int), np.zeros((3, 2), int), cell_m=100.0, zone_ids=["gate"],
                      params=DEFAULT_PARAMS)
    with pytest.raises(InputDataError, match="indices must lie in -1"):
        cell_capacity(np.array([[4]]), np.array([[3]]), cell_m=100.0, zone_ids=["gate"], params=DEFAULT_PARAMS)


def test_buildable_mask_stands_for_the_classes_until_the_suitability_grid_exists():
    classes = classes_from_buildable(np.array([[True, False]]))
    assert classes.tolist() == [[3, 0]]
    assert suitability_score(classes, params=DEFAULT_PARAMS).tolist() == [[1.0, 0.0]]


def test_whole_capacity_keeps_the_zone_total_on_a_fine_grid():
    # At 10 m a Gate cell holds about 1.2 residents: whole persons per cell, the total kept.
    zones = np.zeros((50, 50), dtype=int)
    residents = cell_capacity(zones, np.full((50, 50), 3), cell_m=10.0, zone_ids=["gate"],
                              params=DEFAULT_PARAMS).residents
    whole = whole_capacity(residents, zones, n_zones=1)
    assert whole.sum() == int(np.floor(residents.sum()))
    assert np.all((whole == np.floor(residents)) | (whole == np.ceil(residents)))
