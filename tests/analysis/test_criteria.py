"""The grid, criterion transforms, constraints and the plan section's validation."""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis.criteria import constraint_mask, criterion_score
from alatau_geo.analysis.grid import (
    cell_area_weights,
    distance_to,
    grid_for_bounds,
    mask_area_ha,
)
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import PlanError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.suitability_criteria import Aspect, Constraint, Criterion, Linear
from alatau_geo.plan.suitability_params import SuitabilityParams

SECTION = Path(__file__).resolve().parents[2] / "docs" / "plan_sections" / "suitability.toml"
X0, Y0 = 660_000.0, 4_820_000.0


def _grid(cols: int = 10, rows: int = 10, cell: float = 100.0):
    return grid_for_bounds((X0, Y0, X0 + cols * cell, Y0 + rows * cell), cell_size_m=cell)


def _frame(*geometries) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [str(i) for i in range(len(geometries))]}, geometry=list(geometries),
                            crs=WORKING_CRS)


def test_grid_is_aligned_to_whole_cells():
    grid = grid_for_bounds((X0 + 30, Y0 + 70, X0 + 950, Y0 + 420), cell_size_m=100.0)
    assert grid.bounds == (X0, Y0, X0 + 1000, Y0 + 500)
    assert grid.shape == (5, 10)


def test_cell_areas_match_the_equal_area_measure():
    # A 30 km x 20 km block far east of the central meridian (scale ~ 1.0006).
    grid = grid_for_bounds((760_000.0, 4_800_000.0, 790_000.0, 4_820_000.0), cell_size_m=500.0)
    measured = mask_area_ha(np.ones(grid.shape, dtype=bool), grid)
    reference = float(area_ha(gpd.GeoSeries([box(*grid.bounds)], crs=WORKING_CRS)).iloc[0])
    assert measured == pytest.approx(reference, rel=2e-5)
    assert abs(60_000.0 - reference) / reference > 5e-4  # the nominal UTM area would be off
    rows, cols = cell_area_weights(grid)
    assert (rows == 1).all() and cols.shape == (60,)


def test_distance_is_measured_in_metres_from_cell_centres():
    grid = _grid()
    # A vertical line through the centres of column 0.
    distance = distance_to([LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 1000)])], grid, max_distance_m=5000)
    np.testing.assert_allclose(distance, np.tile(np.arange(10) * 100.0, (10, 1)))
    assert distance.dtype == np.float32


def test_features_outside_the_grid_count_within_reach_only():
    grid = _grid()
    west_of_grid = [Point(X0 - 450, Y0 + 550)]  # 500 m west of column 0's centres
    near = distance_to(west_of_grid, grid, max_distance_m=2000)
    assert near[4, 0] == pytest.approx(500.0, abs=1.0)
    assert near[4, 9] == pytest.approx(1400.0, abs=1.0)
    # Beyond reach it is not seen at all: no feature, infinite distance.
    assert np.isinf(distance_to(west_of_grid, grid, max_distance_m=100)).all()
    # Features beyond two sides at once: each side is padded as far as needed.
    corners = [Point(X0 + 1250, Y0 - 250), Point(X0 - 150, Y0 + 1150)]  # south-east and north-west
    both = distance_to(corners, grid, max_distance_m=5000)
    xs, ys = X0 + 50 + 100 * np.arange(10), Y0 + 950 - 100 * np.arange(10)
    cx, cy = np.meshgrid(xs, ys)
    exact = np.minimum(np.hypot(cx - (X0 + 1250), cy - (Y0 - 250)), np.hypot(cx - (X0 - 150), cy - (Y0 + 1150)))
    np.testing.assert_allclose(both, exact, atol=75.0)  # within 0.75 cell of the exact distance


def test_linear_transform_in_both_directions():
    values = np.array([0.0, 1.0, 4.5, 8.0, 20.0, np.inf, np.nan], dtype=np.float32)
    falling = Linear(one_at=1.0, zero_at=8.0).score(values.copy())
    np.testing.assert_allclose(falling, [1, 1, 0.5, 0, 0, 0, np.nan])
    rising = Linear(one_at=10.0, zero_at=2.0).score(np.array([0.0, 6.0, 12.0], dtype=np.float32))
    np.testing.assert_allclose(rising, [0.0, 0.5, 1.0])


def test_aspect_scores_south_facing_slopes_highest():
    grid = _grid()
    rows = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 10), dtype=np.float32)
    falls_south = Raster(100.0 - 20.0 * rows, grid.transform, grid.crs)  # 20 m per 100 m: 11.3 deg
    criterion = Criterion("aspect", "elevation", Aspect(facing_deg=180.0, full_effect_slope_deg=10.0))
    assert criterion_score(criterion, falls_south, grid)[2:-2, 2:-2] == pytest.approx(1.0)
    falls_north = Raster(20.0 * rows, grid.transform, grid.crs)
    assert criterion_score(criterion, falls_north, grid)[2:-2, 2:-2] == pytest.approx(0.0, abs=1e-6)
    flat = Raster(np.full((10, 10), 500.0, dtype=np.float32), grid.transform, grid.crs)
    assert criterion_score(criterion, flat, grid) == pytest.approx(0.5)


def test_distance_criterion_filters_by_kind():
    grid = _grid()
    corridors = gpd.GeoDataFrame(
        {"id": ["a3", "track"], "kind": ["highway", "track"]},
        geometry=[LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 1000)]),
                  LineString([(X0 + 950, Y0), (X0 + 950, Y0 + 1000)])],
        crs=WORKING_CRS,
    )
    criterion = Criterion("corridors", "corridors", Linear(one_at=0.0, zero_at=900.0), kinds=("highway",))
    score = criterion_score(criterion, corridors.to_crs(4326), grid)  # any CRS is projected onto the grid
    np.testing.assert_allclose(score[5], 1 - np.arange(10) / 9, atol=2e-3)


def test_a_polygon_constraint_removes_exactly_the_cells_it_covers():
    grid = _grid()
    # Rows 2-4 and columns 3-6, inset 1 m from the cell edges.
    water = _frame(box(X0 + 301, Y0 + 501, X0 + 699, Y0 + 799))
    excluded = constraint_mask(Constraint("water", "reservoir"), water, grid)
    expected = np.zeros(grid.shape, dtype=bool)
    expected[2:5, 3:7] = True
    assert (excluded == expected).all()
    # A sliver inside one cell, away from its centre, still excludes that cell.
    sliver = _frame(box(X0 + 1, Y0 + 1, X0 + 10, Y0 + 10))
    assert np.argwhere(constraint_mask(Constraint("strip", "strip"), sliver, grid)).tolist() == [[9, 0]]
    buffered = constraint_mask(Constraint("water", "reservoir", buffer_m=100.0), water, grid)
    assert buffered.sum() == 5 * 6  # one more cell on every side


def test_a_raster_constraint_is_conservative_when_coarsened():
    fine = Raster(np.zeros((10, 10), dtype=np.float32), Affine(50.0, 0, X0, 0, -50.0, Y0 + 500), WORKING_CRS)
    fine.data[3, 3] = 12.0  # one steep 50 m cell
    grid = _grid(cols=5, rows=5)
    excluded = constraint_mask(Constraint("steep_slope", "slope", above=8.0), fine, grid)
    assert np.argwhere(excluded).tolist() == [[1, 1]]  # the 100 m cell that contains it


def test_proposed_plan_section_is_valid():
    data = tomllib.loads(SECTION.read_text("utf-8"))["suitability"]
    params = SuitabilityParams.from_mapping(data, source="suitability.toml")
    weights = params.normalised_weights()
    assert weights.sum() == pytest.approx(1.0)
    assert weights["stations"] == 0 and weights["slope"] == pytest.approx(0.25)
    assert params.cell_size_m == 100.0 and params.hazards.flood_depth_m == 2.0
    ahp = SuitabilityParams.from_mapping({**data, "weighting": "ahp"})
    assert ahp.normalised_weights().round(3)[["slope", "settlements", "aspect"]].tolist() == [0.258, 0.11, 0.0]
    assert ahp.ahp.result().consistency_ratio == pytest.approx(0.013, abs=5e-4)


@pytest.mark.parametrize(("change", "message"), [
    ({"weights": {"slope": -1}}, "plan.toml: 'suitability.weights.slope' must be at least 0, got -1"),
    ({"weights": {"slopes": 1}}, "'suitability.weights.slopes': no criterion of that name"),
    ({"cell_size_m": 0}, "'suitability.cell_size_m' must be greater than 0"),
    ({"classes": {"low_min": 0.6}}, "'suitability.classes' thresholds must rise"),
    ({"hazards": {"reservoir_max_level_m": "high"}}, "'suitability.hazards.reservoir_max_level_m' must be a number"),
    ({"criteria": {"slope": {"source": "slope", "one_at": 3, "zero_at": 3}}}, "'suitability.criteria.slope.zero_at'"),
    ({"criteria": {"slope": {"source": "slope", "transform": "cubic"}}}, "'suitability.criteria.slope.transform'"),
    ({"weighting": "ahp", "ahp": {"criteria": ["slope", "corridors", "settlements"],
                                  "matrix": [[1, 3, 0.333], [0.333, 1, 3], [3, 0.333, 1]]}}, "inconsistent"),
    ({"colour": "red"}, "unknown entry 'suitability.colour'"),
])
def test_invalid_entries_give_one_line_plan_errors(change, message):
    data = tomllib.loads(SECTION.read_text("utf-8"))["suitability"]
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        SuitabilityParams.from_mapping(data, source="plan.toml")
    assert "\n" not in str(raised.value) and str(raised.value).startswith("plan.toml: ")
