"""Zone grids, seeds from settlements, cells as GeoDataFrames, totals inside polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from shapely.geometry import Point, box

from alatau_geo.analysis.population_grid import (
    block_sum,
    cells_frame,
    grid_over,
    seeds_from_polygons,
    settlement_discs,
    spread_on_cells,
    zone_grid,
    zone_totals,
)
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import InputDataError, LayerError

X0, Y0 = 600_000.0, 4_800_000.0  # a corner in UTM 43N
TRANSFORM = Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 1_000.0)  # 10 x 10 cells of 1 ha


def _frame(rows: dict, geometry: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=WORKING_CRS)


def test_grid_over_is_aligned_to_whole_cells():
    transform, shape = grid_over((X0 + 30, Y0 + 20, X0 + 980, Y0 + 999), cell_m=100.0)
    assert (transform.c, transform.f, transform.a, transform.e) == (X0, Y0 + 1_000.0, 100.0, -100.0)
    assert shape == (10, 10)


def test_zone_grid_puts_city_land_outside_the_districts_in_a_zone_of_its_own():
    districts = _frame({"id": ["gate", "golden"]}, [box(X0, Y0, X0 + 500, Y0 + 1_000),
                                                    box(X0 + 500, Y0 + 500, X0 + 1_000, Y0 + 1_000)])
    city = _frame({"id": ["alatau_city"]}, [box(X0, Y0 + 200, X0 + 1_000, Y0 + 1_000)])
    zones, ids = zone_grid(districts, transform=TRANSFORM, shape=(10, 10), city=city)
    assert ids == ("gate", "golden", "city_rest")
    assert [(zones == k).sum() for k in (0, 1, 2, -1)] == [50, 25, 15, 10]
    assert zones[9, 9] == -1 and zones[6, 9] == 2
    with pytest.raises(LayerError, match="reserved"):
        zone_grid(districts.assign(id=["gate", "city_rest"]), transform=TRANSFORM, shape=(10, 10), city=city)


def test_a_settlement_disc_covers_its_residents_at_the_given_density():
    towns = _frame({"id": ["a", "b"], "residents": [3_000, 0]}, [Point(X0, Y0), Point(X0 + 1, Y0)])
    discs = settlement_discs(towns, "residents", per_ha=40.0)
    assert list(discs["id"]) == ["a"]  # nobody to spread for b
    assert discs.area.iloc[0] / 10_000 == pytest.approx(75.0, rel=1e-3)


def test_seeds_spread_by_area_and_lose_the_part_outside_the_city():
    zones = np.zeros((10, 10), dtype=int)
    zones[:, 5:] = -1  # the east half is outside the city
    village = _frame({"residents": [1_000]}, [box(X0 + 300, Y0 + 300, X0 + 700, Y0 + 500)])  # 8 ha, half outside
    seeds = seeds_from_polygons(village, "residents", zones=zones, transform=TRANSFORM)
    assert seeds.sum() == 500  # the half inside the city
    assert seeds[zones < 0].sum() == 0
    assert np.count_nonzero(seeds) == 4 and set(seeds[seeds > 0]) <= {125}
    with pytest.raises(InputDataError, match="at least 0"):
        seeds_from_polygons(village.assign(residents=-1), "residents", zones=zones, transform=TRANSFORM)


def test_seeds_are_the_same_on_any_grid_and_from_the_build_memo(tmp_path, monkeypatch):
    from alatau_geo.jobs import population as population_job
    from alatau_geo.jobs.stage_cache import StageCache

    towns = _frame({"residents": [1_000, 600]}, [box(X0 + 250, Y0 + 250, X0 + 650, Y0 + 450),
                                                 Point(X0 + 820, Y0 + 130).buffer(90)])
    spread = spread_on_cells(towns, "residents", 100.0)
    assert spread.values.sum() == pytest.approx(1_600)  # every resident lands on a cell of the lattice
    assert (spread.columns.min(), spread.rows.max()) == (int(X0 / 100) + 2, int(Y0 / 100) + 5)
    zones = np.zeros((10, 10), dtype=int)
    zones[:, 7:] = -1  # the east of the grid is outside the city
    seeds = seeds_from_polygons(towns, "residents", zones=zones, transform=TRANSFORM)
    # A grid one cell further north-west holds the same seeds, one cell further in.
    shifted = Affine(100.0, 0.0, X0 - 100, 0.0, -100.0, Y0 + 1_100.0)
    wider = np.pad(zones, ((1, 0), (1, 0)), constant_values=-1)
    assert np.array_equal(seeds_from_polygons(towns, "residents", zones=wider, transform=shifted)[1:, 1:], seeds)
    # The build's memo: worked out once, then read back to the same persons per cell.
    calls = []
    monkeypatch.setattr(population_job, "spread_on_cells", lambda *a: calls.append(a) or spread_on_cells(*a))
    memo = population_job.cached_spread(StageCache(tmp_path))
    for _ in range(2):
        assert np.array_equal(seeds_from_polygons(towns, "residents", zones=zones, transform=TRANSFORM, spread=memo),
                              seeds)
    assert len(calls) == 1
    assert seeds.sum() == 1_000 and seeds[:, 7:].sum() == 0  # the town east of the city is not in it


def test_spread_gives_each_cell_what_tobler_area_interpolate_gives_it():
    from tobler.area_weighted import area_interpolate

    # Overlapping discs and a square off the lattice: a cell can take people from two settlements.
    towns = _frame({"residents": [1_000.0, 600.0, 250.0]},
                   [Point(X0 + 420, Y0 + 380).buffer(230), Point(X0 + 600, Y0 + 450).buffer(170),
                    box(X0 + 33.3, Y0 + 711.1, X0 + 287.5, Y0 + 932.2)])
    spread = spread_on_cells(towns, "residents", 100.0)
    squares = gpd.GeoDataFrame(geometry=shapely.box(spread.columns * 100.0, (spread.rows - 1) * 100.0,
                                                    (spread.columns + 1) * 100.0, spread.rows * 100.0), crs=32643)
    expected = area_interpolate(towns, squares, extensive_variables=["residents"], allocate_total=False)
    # tobler keeps its table of intersection areas in float32: equal to its precision.
    np.testing.assert_allclose(spread.values, expected["residents"].to_numpy(), rtol=1e-6)
    assert spread.values.sum() == pytest.approx(1_850)
    # A polygon without area holds no one on any cell, instead of dividing by nothing.
    flat = _frame({"residents": [10.0]}, [box(X0, Y0, X0 + 100, Y0)])
    assert spread_on_cells(flat, "residents", 100.0).values.size == 0


def test_cells_frame_lists_the_cells_holding_anyone_for_the_network_analyses():
    zones = np.zeros((10, 10), dtype=int)
    zones[:, 5:] = 1
    residents = np.zeros((10, 10), dtype=np.int64)
    jobs = np.zeros((10, 10), dtype=np.int64)
    residents[0, 0], residents[3, 7], jobs[3, 7], jobs[9, 9] = 120, 40, 15, 300
    cells = cells_frame({"residents": residents, "jobs": jobs}, zones, zone_ids=["gate", "golden"],
                        transform=TRANSFORM)
    assert list(cells["id"]) == ["cell_0_0", "cell_3_7", "cell_9_9"]
    assert cells["residents"].sum() == 160 and cells["jobs"].sum() == 315
    assert list(cells["zone"]) == ["gate", "golden", "golden"]
    assert cells.geometry.iloc[0].equals(Point(X0 + 50, Y0 + 950))
    assert {"in_demand", "residents_basis", "jobs_basis"} <= set(cells.columns)
    squares = cells_frame({"residents": residents}, zones, zone_ids=["gate", "golden"], transform=TRANSFORM,
                          geometry="square")
    assert squares.area.tolist() == [10_000.0, 10_000.0]
    blocks = cells_frame({"residents": residents, "jobs": jobs}, zones, zone_ids=["gate", "golden"],
                         transform=TRANSFORM, block=5)
    assert list(blocks["id"]) == ["cell_0_0", "cell_0_1", "cell_1_1"]
    assert blocks["residents"].tolist() == [120, 40, 0] and blocks["jobs"].tolist() == [0, 15, 300]
    assert blocks.geometry.iloc[0].equals(Point(X0 + 250, Y0 + 750))


def test_block_sum_keeps_the_total_of_whole_blocks():
    grid = np.arange(36).reshape(6, 6)
    assert block_sum(grid, 3).sum() == grid.sum()


def test_zone_totals_count_the_share_of_a_cell_inside_each_polygon():
    residents = np.zeros((10, 10), dtype=np.int64)
    residents[0, 0], residents[0, 1] = 100, 60
    zones = np.zeros((10, 10), dtype=int)
    squares = cells_frame({"residents": residents}, zones, zone_ids=["gate"], transform=TRANSFORM,
                          geometry="square")
    # Half of cell (0, 0) and all of (0, 1); a second polygon away from everyone.
    areas = _frame({"name": ["served", "empty"]}, [box(X0 + 50, Y0 + 900, X0 + 200, Y0 + 1_000),
                                                   box(X0 + 500, Y0, X0 + 600, Y0 + 100)])
    totals = zone_totals(squares, areas, ["residents"])
    assert totals["residents"].tolist() == pytest.approx([110.0, 0.0])
    with pytest.raises(InputDataError, match="cell squares"):
        zone_totals(cells_frame({"residents": residents}, zones, zone_ids=["gate"], transform=TRANSFORM), areas,
                    ["residents"])
