"""Run-length and visitor capacity with round numbers a planner can check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from alatau_geo.analysis import ski_capacity as sc
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import CapacityParams

GRID = Affine(100.0, 0, 660_000, 0, -100.0, 4_800_000)  # 1 ha cells


def raster(data: np.ndarray) -> Raster:
    return Raster(data.astype(np.float32), GRID, WORKING_CRS)


def test_run_length_on_round_numbers():
    # 100 ha of slope, runs 40 m wide with 60 m between them: 10 km of runs; half usable: 5 km.
    assert sc.run_length_km(100.0, run_width_m=40, run_spacing_m=60, usable_fraction=1.0) == pytest.approx(10.0)
    assert sc.run_length_km(100.0, run_width_m=40, run_spacing_m=60, usable_fraction=0.5) == pytest.approx(5.0)
    # 250 km at 100 m a run takes 2,500 ha of fully usable slope.
    assert sc.run_length_km(2500.0, run_width_m=50, run_spacing_m=50, usable_fraction=1.0) == pytest.approx(250.0)


def test_visitors_per_day_on_round_numbers():
    # 62 lifts x 1,000 persons/h x 8 h x 50 % / 10 rides = 24,800 visitors a day.
    assert sc.visitors_per_day(62, lift_capacity_pph=1000, operating_hours=8, load_factor=0.5,
                               rides_per_visitor=10) == pytest.approx(24_800.0)


def test_suitable_terrain_keeps_skiable_slope_and_elevation_in_big_enough_patches():
    slope = np.full((20, 20), 20.0)      # intermediate slope everywhere ...
    slope[:, :5] = 40.0                  # ... but a 40 deg cliff band (5 columns = 100 ha)
    elevation = np.full((20, 20), 2500.0)
    elevation[15:, :] = 1200.0           # and the bottom 5 rows below the lowest run elevation
    slope[0, 18] = slope[1, 18] = slope[1, 19] = 45.0  # cut off the corner cell (0, 19): a 1 ha patch
    found = sc.suitable_terrain(raster(elevation), raster(slope), slope_range_deg=(3.5, 30.0),
                                elevation_range_m=(1600.0, 3500.0), min_patch_ha=5.0)
    # 15 rows x 15 columns = 225 ha, less the 3 steep cells and the isolated one.
    assert found.plan_area_ha == pytest.approx(221.0)
    assert found.patches == 1
    assert found.surface_area_ha == pytest.approx(221.0 / math.cos(math.radians(20.0)))
    run_km = sc.run_length_km(found.surface_area_ha, run_width_m=40, run_spacing_m=60, usable_fraction=1.0)
    assert run_km == pytest.approx(22.1 / math.cos(math.radians(20.0)))


def test_capacity_check_sets_derived_figures_beside_the_published_ones():
    slope = np.full((50, 50), 10.0)
    found = sc.suitable_terrain(raster(np.full((50, 50), 2000.0)), raster(slope), slope_range_deg=(3.5, 30.0),
                                elevation_range_m=(1600.0, 3500.0), min_patch_ha=5.0)
    params = CapacityParams(run_width_m=40, run_spacing_m=60, usable_fraction=0.5, lift_capacity_pph=2000,
                            operating_hours=8, load_factor=0.5, rides_per_visitor=10)
    table = sc.capacity_check(found, params).set_index("quantity")
    expected_km = 0.5 * 2500 / math.cos(math.radians(10.0)) * 10_000 / 100 / 1000
    assert table.at["run length the terrain allows", "value"] == pytest.approx(expected_km)
    assert table.at["ski runs, published", "value"] == 250.0
    assert table.at["ski runs, published", "basis"] == "published"
    assert table.at["visitors per day the lifts carry", "value"] == pytest.approx(62 * 2000 * 8 * 0.5 / 10)
    assert table.at["visitors per day, published", "value"] == 40_000.0
    assert table.at["lifts needed for the published visitors", "value"] == pytest.approx(50.0)
    assert set(table["basis"]) == {"published", "derived", "assumed"}
    assert table.loc[table["basis"] == "assumed", "source"].str.len().gt(0).all()
