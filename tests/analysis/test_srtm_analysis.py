"""Hazards and suitability on the real SRTM3 tiles and the committed layers.

The Kaskelen's floodplain, the reservoir's shore bands, and the suitability
surface over the special economic zone at 100 m. Skipped when
../shared/data/srtm is absent. One flow routing (about 10-15 s) is shared by
the module.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shapely

from alatau_geo.analysis import hazards
from alatau_geo.analysis.grid import Grid, grid_for_bounds, mask_area_ha
from alatau_geo.analysis.sensitivity import weight_sensitivity
from alatau_geo.analysis.suitability import build_surface, class_area_by_zone, class_polygons
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.core.io import read_layer, read_layers, read_raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.suitability_params import SuitabilityParams
from alatau_geo.reference import gazetteer, terrain

pytestmark = pytest.mark.srtm

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ROOT / "layers"
SECTION = ROOT / "docs" / "plan_sections" / "suitability.toml"


@pytest.fixture(scope="module")
def kaskelen(srtm_dir):
    plan = load_plan()
    tiles = terrain.read_srtm_tiles(srtm_dir, plan.terrain.tiles)
    drainage = hazards.mosaic_drainage(tiles, gazetteer.load_tables(plan.tables).river_names, plan)
    kaskelen = hazards.river_cells(drainage.flow, drainage.rivers, ["kaskelen"])
    draining = hazards.draining_to(drainage.flow, drains=drainage.drains, targets=kaskelen)
    return SimpleNamespace(**vars(drainage), draining=draining, grid=Grid.of(drainage.flow.grid))


@pytest.fixture(scope="module")
def sez_surface(kaskelen):
    """The proposed plan section's suitability surface over the SEZ at 100 m, with its inputs."""
    params = SuitabilityParams.from_mapping(tomllib.loads(SECTION.read_text("utf-8"))["suitability"])
    hz = params.hazards
    flood_rivers = hazards.river_cells(kaskelen.flow, kaskelen.rivers, hz.flood_rivers)
    draining = hazards.draining_to(kaskelen.flow, drains=kaskelen.drains, targets=flood_rivers)
    plain = hazards.floodplain(kaskelen.hand, depth_m=hz.flood_depth_m, draining=draining)
    bands = hazards.reservoir_bands(kaskelen.filled, kaskelen.reservoir,
                                    normal_level_m=load_plan().hydrology.reservoir_level_m,
                                    max_level_m=hz.reservoir_max_level_m)
    layers = read_layers(LAYERS)
    dem = read_raster(LAYERS / "terrain_dem.tif")
    sources = {name: layers[name].frame for name in layers}
    sources.update(slope=terrain.slope(dem), elevation=dem, hand=kaskelen.hand,
                   floodplain=hazards.as_raster(plain, kaskelen.filled),
                   reservoir_below_max=hazards.as_raster(bands.below_maximum, kaskelen.filled))
    sez = layers["sez"].frame.geometry.iloc[0]
    grid = grid_for_bounds(sez.bounds, cell_size_m=params.cell_size_m)
    surface = build_surface(grid, sources, params, area=sez)
    return SimpleNamespace(surface=surface, layers=layers, floodplain=plain, params=params)


def test_kaskelen_centreline_lies_inside_its_2m_floodplain(kaskelen):
    plain = hazards.floodplain(kaskelen.hand, depth_m=2.0, draining=kaskelen.draining)
    polygons = code_polygons(plain, kaskelen.grid, labels={1: "floodplain"})
    river = read_layer(LAYERS / "rivers.geojson").frame.set_index("id").loc["kaskelen"].geometry
    outline = shapely.union_all(polygons.geometry.values)
    assert river.intersection(outline).length / river.length > 0.99
    # It follows the river: a band a few cells wide, all of it near the line.
    mean_width_m = polygons["area_ha"].sum() * 10_000 / river.length
    assert 90 < mean_width_m < 1_000
    near = polygons.geometry.intersection(river.buffer(3_000)).area.sum()
    assert near / polygons.geometry.area.sum() > 0.99


def test_kaskelen_floodplain_grows_with_depth(kaskelen):
    areas = [mask_area_ha(hazards.floodplain(kaskelen.hand, depth_m=d, draining=kaskelen.draining), kaskelen.grid)
             for d in (1.0, 2.0, 5.0)]
    assert areas[0] < areas[1] < areas[2]
    assert 1_000 < areas[1] < 10_000  # hectares along ~100 km of river


def test_reservoir_bands_lie_on_the_shore_and_reach_the_green_district(kaskelen):
    bands = hazards.reservoir_bands(kaskelen.filled, kaskelen.reservoir, normal_level_m=479.0, max_level_m=485.0)
    normal_ha = mask_area_ha(bands.normal, kaskelen.grid)
    maximum_ha = mask_area_ha(bands.maximum, kaskelen.grid)
    # 4 m and 6 m of rise over a ~1,050 km2 lake with flat northern shores.
    assert 2_000 < normal_ha < 30_000 and 2_000 < maximum_ha < 40_000
    districts = read_layer(LAYERS / "districts.geojson").frame
    table = area_by_zone(bands.below_maximum, kaskelen.grid, districts, labels={1: "below_max"})
    # The Green district is bounded by the reservoir; Gate lies far inland.
    assert table.loc["green", "below_max"] > 100
    assert table.loc["gate", "below_max"] == 0
    assert not np.any(bands.normal & kaskelen.reservoir)


def _union(frame):
    return shapely.union_all(frame.geometry.values)


def test_no_high_cell_lies_in_water_a_protection_strip_or_the_floodplain(sez_surface, kaskelen):
    surface, layers = sez_surface.surface, sez_surface.layers
    polygons = class_polygons(surface)
    high = _union(polygons[polygons["label"] == "high"])
    assert high.area > 0
    floodplain = _union(code_polygons(sez_surface.floodplain, kaskelen.grid, labels={1: "floodplain"}))
    for name, outline in (("reservoir", _union(layers["reservoir"].frame)),
                          ("water_protection_strip", _union(layers["water_protection_strip"].frame)),
                          ("floodplain", floodplain)):
        assert high.intersection(outline).area < 1.0, name  # m2: they may touch, never overlap


def test_sez_classes_cover_the_sez_and_the_districts_in_it(sez_surface):
    surface = sez_surface.surface
    areas = surface.class_areas_ha()
    assert areas.sum() == pytest.approx(97_900, rel=0.01)  # the SEZ's published area
    assert 0 < areas["high"] < areas.sum()
    for name in ("protection_strip", "floodplain", "steep_slope"):
        assert surface.excluded_ha[name] > 0
    table = class_area_by_zone(surface, sez_surface.layers["districts"].frame)
    # Gate, Golden and Growing lie in the SEZ; Green is left out of it.
    assert table.loc[["gate", "golden", "growing"]].sum(axis=1).gt(1_000).all()
    assert table.loc["green"].sum() == 0


def test_weight_sensitivity_on_the_sez(sez_surface):
    surface = sez_surface.surface
    result = weight_sensitivity(surface, change_pct=sez_surface.params.sensitivity_change_pct)
    weighted = int((surface.weights > 0).sum())
    assert len(result.table) == weighted * 2 * 4 and result.perturbations == 2 * weighted
    assert result.table.groupby(["criterion", "weight_change_pct"])["change_ha"].sum().abs().max() < 1e-3
    valid = result.changes != 255
    robust_share = float(result.robust()[valid].mean())
    assert 0.5 < robust_share < 1.0  # most land keeps its class; some hangs on the weights
