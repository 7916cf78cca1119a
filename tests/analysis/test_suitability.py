"""The weighted overlay, its classes and areas, and the weight sensitivity test, on a 2 km x 2 km grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, box

from alatau_geo.analysis.grid import grid_for_bounds
from alatau_geo.analysis.sensitivity import weight_sensitivity
from alatau_geo.analysis.suitability import (
    CLASS_LABELS,
    NODATA_CLASS,
    build_surface,
    class_area_by_zone,
    class_polygons,
)
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import PlanError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.suitability_criteria import Constraint, Criterion, Linear
from alatau_geo.plan.suitability_params import ClassThresholds, SuitabilityParams

X0, Y0 = 660_000.0, 4_820_000.0
N = 20  # cells of 100 m a side
GRID = grid_for_bounds((X0, Y0, X0 + N * 100, Y0 + N * 100), cell_size_m=100.0)
COLUMNS = np.arange(N)


def _sources() -> dict:
    # Slope rising eastwards from 0 to 12 degrees over 2 km, on a 50 m grid;
    # a corridor along the eastern edge; a lake in rows 2-4, columns 3-6.
    xs = X0 + (np.arange(2 * N) + 0.5) * 50.0
    slope = np.tile(12.0 * (xs - X0) / 2000.0, (2 * N, 1)).astype(np.float32)
    return {
        "slope": Raster(slope, Affine(50.0, 0, X0, 0, -50.0, Y0 + N * 100), WORKING_CRS),
        "flat": Raster(np.zeros((2 * N, 2 * N), dtype=np.float32), Affine(50.0, 0, X0, 0, -50.0, Y0 + N * 100),
                       WORKING_CRS),
        "corridors": gpd.GeoDataFrame({"id": ["a3"]}, geometry=[LineString([(X0 + 1950, Y0), (X0 + 1950, Y0 + 2000)])],
                                      crs=WORKING_CRS),
        "reservoir": gpd.GeoDataFrame({"id": ["lake"]}, geometry=[box(X0 + 301, Y0 + 1501, X0 + 699, Y0 + 1799)],
                                      crs=WORKING_CRS),
    }


def _params(weights: dict[str, float] | None = None, *, constraints: bool = True) -> SuitabilityParams:
    criteria = (
        Criterion("slope", "slope", Linear(one_at=0.0, zero_at=12.0)),
        Criterion("corridors", "corridors", Linear(one_at=0.0, zero_at=1000.0)),
        Criterion("stations", "stations", Linear(one_at=0.0, zero_at=1000.0)),  # no layer; weight 0
    )
    return SuitabilityParams(
        criteria=criteria,
        constraints=(Constraint("water", "reservoir"),) if constraints else (),
        weights=weights or {"slope": 3.0, "corridors": 2.0, "stations": 0.0},
        classes=ClassThresholds(low_min=0.25, medium_min=0.5, high_min=0.75),
    )


def test_weights_are_normalised_to_sum_to_one():
    weights = _params().normalised_weights()
    assert weights.to_dict() == {"slope": 0.6, "corridors": 0.4, "stations": 0.0}
    assert weights.sum() == pytest.approx(1.0)


def test_the_score_is_the_weighted_sum_of_the_criteria():
    surface = build_surface(GRID, _sources(), _params())
    slope_score = 1 - (COLUMNS + 0.5) * 100 / 2000   # slope / 12 deg at cell centres
    corridor_score = np.clip(1 - (19 - COLUMNS) / 10, 0, 1)  # 1 - distance / 1,000 m from the eastern edge
    expected = np.tile(0.6 * slope_score + 0.4 * corridor_score, (N, 1))
    np.testing.assert_allclose(surface.score[:, 1:-1], expected[:, 1:-1], atol=1e-5)
    assert surface.score.dtype == np.float32
    assert set(surface.criteria) == {"slope", "corridors"}  # the weight-0 criterion is never read


def test_classes_follow_the_thresholds_and_constraints():
    surface = build_surface(GRID, _sources(), _params())
    row = surface.score[10]
    expected = np.digitize(row, [0.25, 0.5, 0.75])
    assert surface.classes[10].tolist() == expected.tolist()
    assert (surface.classes[2:5, 3:7] == 0).all()
    assert not ((surface.classes == 3) & surface.constrained).any()  # no high cell in the water
    areas = surface.class_areas_ha()
    assert areas.index.tolist() == list(CLASS_LABELS.values())
    assert areas.sum() == pytest.approx(400.0, rel=1e-3)  # 2 km x 2 km
    assert surface.excluded_ha["water"] == pytest.approx(12.0, rel=1e-3)


def test_a_constraint_changes_exactly_its_own_cells():
    with_water = build_surface(GRID, _sources(), _params())
    without = build_surface(GRID, _sources(), _params(constraints=False))
    differs = with_water.classes != without.classes
    block = np.zeros(GRID.shape, dtype=bool)
    block[2:5, 3:7] = True
    assert (differs == (block & (without.classes > 0))).all()
    np.testing.assert_array_equal(with_water.score, without.score)
    assert (with_water.suitability().data[block] == 0).all()


def test_cells_outside_the_area_have_no_class():
    area = box(X0, Y0, X0 + 1000, Y0 + 2000)  # the western half
    surface = build_surface(GRID, _sources(), _params(), area=area)
    assert (surface.classes[:, 10:] == NODATA_CLASS).all() and np.isnan(surface.score[:, 10:]).all()
    assert surface.class_areas_ha().sum() == pytest.approx(200.0, rel=1e-3)


def test_class_polygons_and_district_table_add_up():
    surface = build_surface(GRID, _sources(), _params())
    polygons = class_polygons(surface)
    by_label = polygons.groupby("label")["area_ha"].sum()
    for label, ha in surface.class_areas_ha().items():
        assert by_label.get(label, 0.0) == pytest.approx(ha, rel=1e-4)
    districts = gpd.GeoDataFrame({"id": ["north", "south"]},
                                 geometry=[box(X0, Y0 + 1000, X0 + 2000, Y0 + 2000), box(X0, Y0, X0 + 2000, Y0 + 1000)],
                                 crs=WORKING_CRS)
    table = class_area_by_zone(surface, districts)
    assert table.columns.tolist() == list(CLASS_LABELS.values())
    np.testing.assert_allclose(table.sum().to_numpy(), surface.class_areas_ha().to_numpy(), rtol=1e-6)
    # The lake lies in the north half: the south has less unsuitable land.
    assert table.loc["north", "unsuitable"] > table.loc["south", "unsuitable"]


def test_a_missing_source_is_a_plan_error():
    sources = _sources()
    del sources["corridors"]
    with pytest.raises(PlanError, match=r"'suitability\.criteria\.corridors\.source' names 'corridors'"):
        build_surface(GRID, sources, _params())


def test_sensitivity_matches_rebuilding_with_the_moved_weight():
    surface = build_surface(GRID, _sources(), _params())
    result = weight_sensitivity(surface, change_pct=20.0)
    table = result.table
    assert len(table) == 2 * 2 * 4 and result.perturbations == 4  # 2 weighted criteria, +-20 %, 4 classes
    assert table.groupby(["criterion", "weight_change_pct"])["change_ha"].sum().abs().max() < 1e-6
    # Slope up by 20 %: 0.72 against 0.4, renormalised.
    rebuilt = build_surface(GRID, _sources(), _params({"slope": 0.72, "corridors": 0.4, "stations": 0.0}))
    up = table[(table["criterion"] == "slope") & (table["weight_change_pct"] == 20.0)].set_index("class")
    np.testing.assert_allclose(up["area_ha"].to_numpy(), rebuilt.class_areas_ha().to_numpy(), rtol=1e-6)
    assert up["weight"].iloc[0] == pytest.approx(0.72 / 1.12)
    changed = (rebuilt.classes != surface.classes).sum()
    assert up["cells_changed"].sum() == changed > 0
    assert (result.changes[surface.constrained] == 0).all()
    assert result.changes.max() <= result.perturbations


def test_sensitivity_moves_land_the_way_the_weight_pulls():
    params = SuitabilityParams(
        criteria=(Criterion("flat", "flat", Linear(one_at=0.0, zero_at=12.0)),
                  Criterion("corridors", "corridors", Linear(one_at=0.0, zero_at=1900.0))),
        weights={"flat": 1.0, "corridors": 1.0},
    )
    surface = build_surface(GRID, _sources(), params)
    table = weight_sensitivity(surface).table.set_index(["criterion", "weight_change_pct", "class"])["change_ha"]
    # "flat" scores 1 everywhere, at least the score: more weight can only raise classes.
    assert table[("flat", 20.0, "high")] > 0 and table[("flat", 20.0, "unsuitable")] <= 0
    assert table[("flat", -20.0, "high")] < 0
    assert table[("corridors", 20.0, "high")] <= 0


def test_sensitivity_needs_the_kept_criteria():
    surface = build_surface(GRID, _sources(), _params(), keep_criteria=False)
    assert surface.criteria == {}
    with pytest.raises(ValueError, match="keep_criteria=True"):
        weight_sensitivity(surface)
