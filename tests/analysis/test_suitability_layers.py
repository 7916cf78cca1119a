"""The plan's suitability on built layers, on a 3 km x 2 km plain whose answers are known by construction.

The plain rises 1 m per 100 m northwards from a flat reservoir (475 m) in the
southern three rows; two named rivers drain its western and eastern halves,
and the height above their drains grows 1 m per 100 m from a channel in each
half. Two districts split it at x = 661.5 km.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis import areas
from alatau_geo.analysis.grid import mask_area_ha
from alatau_geo.analysis.hazard_layers import HazardRasters, flood_hazards
from alatau_geo.analysis.suitability import NODATA_CLASS
from alatau_geo.analysis.suitability_layers import (
    class_area_table,
    evaluate_suitability,
    suitability_classes_grid,
    suitability_layers,
    weights_table,
    without_sources,
)
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import CRSError, PlanError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.suitability_params import AhpSpec, HazardParams

X0, Y0 = 660_000.0, 4_820_000.0
COLS, ROWS = 30, 20  # 100 m cells
TRANSFORM = Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + ROWS * 100)
P = Provenance(source="test", method="test", quality="derived")
KASKELEN, TALGAR = 1, 2


def _layer(name: str, rows: list[dict]) -> Layer:
    return Layer(name, gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS), P)


def _rasters(*, with_hand: bool = True) -> HazardRasters:
    north = ROWS - 1 - np.arange(ROWS)                       # rows counted from the south
    z = np.tile(np.where(north < 3, 475.0, 473.0 + north)[:, None], (1, COLS)).astype(np.float32)
    reservoir = np.zeros((ROWS, COLS), dtype=bool)
    reservoir[-3:, :] = True                                  # 475 m, flat
    elevation = Raster(z, TRANSFORM, WORKING_CRS)
    if not with_hand:
        return HazardRasters(elevation=elevation, reservoir=reservoir, reservoir_surface_m=475.0,
                             reservoir_level_m=479.0)
    columns = np.arange(COLS)
    distance = np.where(columns < 15, np.abs(columns - 7), np.abs(columns - 22)).astype(np.float32)
    hand = Raster(np.tile(distance, (ROWS, 1)), TRANSFORM, WORKING_CRS)  # 1 m per cell from each channel
    drains = np.tile(np.where(columns < 15, KASKELEN, TALGAR), (ROWS, 1)).astype(np.uint8)
    return HazardRasters(elevation=elevation, reservoir=reservoir, hand=hand, drains=drains,
                         river_codes={"kaskelen": KASKELEN, "talgar": TALGAR}, stream_threshold_km2=100.0,
                         reservoir_surface_m=475.0, reservoir_level_m=479.0)


def _layers() -> LayerSet:
    plain = box(X0, Y0, X0 + COLS * 100, Y0 + ROWS * 100)
    west, east = box(X0, Y0, X0 + 1_500, Y0 + 2_000), box(X0 + 1_500, Y0, X0 + 3_000, Y0 + 2_000)
    return LayerSet([
        _layer("districts", [{"id": "west", "name_en": "West", "geometry": west},
                             {"id": "east", "name_en": "East", "geometry": east}]),
        _layer("city_boundary", [{"id": "city", "name_en": "City", "geometry": plain}]),
        _layer("sez", [{"id": "sez", "name_en": "SEZ", "geometry": box(X0, Y0 + 1_000, X0 + 3_000, Y0 + 2_000)}]),
        _layer("reservoir", [{"id": "lake", "geometry": box(X0, Y0, X0 + 3_000, Y0 + 300)}]),
        _layer("water_protection_strip", [{"id": "strip", "geometry": box(X0, Y0 + 300, X0 + 3_000, Y0 + 400)}]),
        _layer("water_protection_zone", [{"id": "zone", "geometry": box(X0, Y0 + 300, X0 + 3_000, Y0 + 500)}]),
        _layer("corridors", [{"id": "a3", "kind": "highway",
                              "geometry": LineString([(X0 + 1_500, Y0), (X0 + 1_500, Y0 + 2_000)])}]),
        _layer("places", [{"id": "town", "kind": "town", "geometry": Point(X0 + 1_500, Y0 + 1_500)}]),
        _layer("infrastructure", [{"id": "ss", "kind": "substation", "geometry": Point(X0 + 2_500, Y0 + 1_500)}]),
    ])


def _params(**changes):
    hazards = HazardParams(flood_depth_m=2.0, flood_rivers=("kaskelen",), reservoir_max_level_m=485.0)
    return dataclasses.replace(load_plan().suitability, hazards=hazards, **changes)


def test_floodplain_is_the_named_rivers_land_up_to_the_depth():
    found = flood_hazards(_rasters(), _params().hazards)
    expected = np.zeros((ROWS, COLS), dtype=np.uint8)
    expected[:, 5:10] = KASKELEN  # HAND 0..2 m around column 7; the Talgar is not a flood river here
    np.testing.assert_array_equal(found.floodplain, expected)
    layer = next(layer for layer in found.layers() if layer.name == "floodplain")
    assert set(layer.frame["river"]) == {"kaskelen"} and layer.provenance.quality == "approximate"
    assert layer.frame["area_ha"].sum() == pytest.approx(5 * 20, rel=1e-3)


def test_reservoir_bands_rise_to_the_normal_and_maximum_level():
    found = flood_hazards(_rasters(), _params().hazards)
    # Above the three reservoir rows the ground is 476 m, 477 m, ...: 4 rows to 479 m, 6 more to 485 m.
    assert (found.band_codes()[-7:-3] == 1).all() and (found.band_codes()[-13:-7] == 2).all()
    assert (found.band_codes()[:-13] == 0).all() and (found.band_codes()[-3:] == 0).all()
    table = found.area_by_zone(_layers()["districts"].frame).round(1)
    assert table.loc["west"].tolist() == [100.0, 60.0, 90.0]  # floodplain, normal band, maximum band (ha)
    assert table.loc["east", "floodplain_ha"] == 0.0


def test_an_unknown_flood_river_is_a_plan_error():
    hazards = dataclasses.replace(_params().hazards, flood_rivers=("kaskelen", "nura"))
    with pytest.raises(PlanError, match=r"'suitability.hazards.flood_rivers' names nura.*traced: kaskelen, talgar"):
        flood_hazards(_rasters(), hazards)


def test_without_the_height_above_drainage_its_entries_are_left_out():
    params = _params()
    applied, left_out = without_sources(params, {"hand", "floodplain"})
    assert left_out == ("suitability.criteria.flood_height", "suitability.constraints.floodplain")
    assert "flood_height" not in applied.normalised_weights()
    assert applied.normalised_weights().sum() == pytest.approx(1.0)
    # The other weights keep their ratios: slope 0.25 against corridors 0.20.
    weights = applied.normalised_weights()
    assert weights["slope"] / weights["corridors"] == pytest.approx(0.25 / 0.20)
    result = evaluate_suitability(_layers(), params, elevation=_rasters().elevation,
                                  hazards=flood_hazards(_rasters(with_hand=False), params.hazards))
    assert result.left_out == left_out and not result.hazards.has_hand
    assert [layer.name for layer in suitability_layers(result)] == [
        "suitability_classes", "suitability_sensitivity", "reservoir_bands"]
    assert result.surface.excluded_ha.index.tolist() == [
        "water", "protection_strip", "protection_zone", "steep_slope", "reservoir_max_level"]


def test_an_ahp_matrix_loses_the_rows_and_columns_of_what_is_left_out():
    ahp = AhpSpec(criteria=("slope", "flood_height", "corridors"),
                  matrix=((1.0, 2.0, 4.0), (0.5, 1.0, 2.0), (0.25, 0.5, 1.0)))
    applied, _ = without_sources(_params(weighting="ahp", ahp=ahp), {"hand"})
    assert applied.ahp.criteria == ("slope", "corridors")
    assert applied.ahp.matrix == ((1.0, 4.0), (0.25, 1.0))
    assert applied.normalised_weights()[["slope", "corridors"]].round(3).tolist() == [0.8, 0.2]


def test_no_high_land_in_the_water_the_strip_or_the_floodplain():
    params = _params()
    result = evaluate_suitability(_layers(), params, elevation=_rasters().elevation,
                                  hazards=flood_hazards(_rasters(), params.hazards))
    classes = result.surface.classes
    assert (classes != NODATA_CLASS).all()  # the city covers the whole grid
    assert (classes[-5:] == 0).all()          # reservoir, strip and zone rows: unsuitable
    assert (classes[:, 5:10] == 0).all()      # the Kaskelen's floodplain
    assert (classes[-13:-3] == 0).all()       # below the maximum level
    assert (classes == 3).any() and (classes[:, 20:25] > 0).any()  # the Talgar floods nothing here
    table = class_area_table(result, _layers()["districts"].frame)
    sums = table[["unsuitable_ha", "low_ha", "medium_ha", "high_ha"]].sum(axis=1)
    np.testing.assert_allclose(sums.to_numpy(), area_ha(_layers()["districts"].frame).to_numpy(), rtol=1e-3)
    # West: the floodplain (5 columns) and the 13 southern rows; East: the 13 southern rows.
    assert table.loc["west", "constrained_ha"] == pytest.approx(15 * 13 + 5 * 7, rel=1e-3)
    assert table.loc["east", "constrained_ha"] == pytest.approx(15 * 13, rel=1e-3)


def test_layers_carry_their_provenance_and_the_weights_table_sums_to_one():
    params = _params()
    result = evaluate_suitability(_layers(), params, elevation=_rasters().elevation,
                                  hazards=flood_hazards(_rasters(), params.hazards))
    found = {layer.name: layer for layer in suitability_layers(result)}
    classes = found["suitability_classes"]
    assert classes.frame["area_ha"].sum() == pytest.approx(600.0, rel=1e-3)  # 3 km x 2 km
    assert classes.provenance.parameters["weights"]["slope"] == pytest.approx(0.25)
    assert "corridors" in classes.provenance.source and "infrastructure" in classes.provenance.source
    shifting = found["suitability_sensitivity"].frame
    changed_ha = mask_area_ha((result.sensitivity.changes > 0) & (result.sensitivity.changes != NODATA_CLASS),
                              result.surface.grid)
    assert shifting["area_ha"].sum() == pytest.approx(changed_ha, rel=1e-3)
    assert set(shifting["base_class"]) <= {"unsuitable", "low", "medium", "high"}
    table = weights_table(result)
    assert table["weight"].sum() == pytest.approx(1.0) and table.loc["stations", "weight"] == 0.0


def test_buildable_land_is_the_zone_less_what_a_constraint_excludes():
    params = _params()
    result = evaluate_suitability(_layers(), params, elevation=_rasters().elevation,
                                  hazards=flood_hazards(_rasters(), params.hazards))
    table = areas.zone_area_table(_layers(), result).set_index("zone")
    assert table.loc["west", "buildable_ha"] == pytest.approx(300 - (15 * 13 + 5 * 7), abs=0.2)
    assert table.loc["east", "buildable_ha"] == pytest.approx(300 - 15 * 13, abs=0.2)
    assert table.loc["city", "floodplain_ha"] == pytest.approx(100.0, abs=0.2)
    assert table.loc["city", "reservoir_max_ha"] == pytest.approx(180.0, abs=0.2)


def test_classes_on_another_grid_take_the_class_at_their_centre():
    params = _params()
    result = evaluate_suitability(_layers(), params, elevation=_rasters().elevation,
                                  hazards=flood_hazards(_rasters(), params.hazards))
    surface = result.surface
    same = suitability_classes_grid(surface, transform=surface.grid.transform, shape=surface.grid.shape)
    np.testing.assert_array_equal(same, surface.classes.astype(np.int8))
    # A grid two cells wider on every side: the frame outside the surface holds nothing.
    wider = suitability_classes_grid(surface, transform=surface.grid.transform @ Affine.translation(-2, -2),
                                     shape=(ROWS + 4, COLS + 4))
    assert (wider[:2] == 0).all() and (wider[:, :2] == 0).all()
    np.testing.assert_array_equal(wider[2:-2, 2:-2], same)
    with pytest.raises(CRSError, match="surface's CRS"):
        suitability_classes_grid(surface, transform=surface.grid.transform, shape=surface.grid.shape, crs=4326)
