"""Hazards on the real SRTM3 tiles: the Kaskelen's floodplain and the reservoir's shore bands.

Skipped when ../shared/data/srtm is absent. One flow routing (about 10 s) is
shared by the module.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shapely

from alatau_geo import gazetteer, hydrology, terrain
from alatau_geo.analysis import hazards
from alatau_geo.analysis.grid import Grid, mask_area_ha
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.io import read_layer
from alatau_geo.plan import load_plan

pytestmark = pytest.mark.srtm

LAYERS = Path(__file__).resolve().parents[2] / "layers"


@pytest.fixture(scope="module")
def kaskelen(srtm_dir):
    plan = load_plan()
    raw = terrain.mosaic_srtm(terrain.read_srtm_tiles(srtm_dir, plan.terrain.tiles))
    filled, _ = terrain.fill_voids(raw, max_distance_cells=plan.terrain.void_fill_max_distance_cells)
    reservoir = hydrology.flat_region_mask(raw, level_m=plan.hydrology.reservoir_level_m)
    flow = hydrology.route_flow(filled, lakes=reservoir)
    rivers = hydrology.trace_named_rivers(
        flow, gazetteer.load_tables(plan).river_names, threshold_km2=plan.hydrology.stream_threshold_km2,
        snap_radius_m=plan.hydrology.name_snap_radius_m, stop_mask=reservoir,
    )
    drains = (flow.upstream_area_km2 > plan.hydrology.stream_threshold_km2) | reservoir
    hand = hazards.height_above_drainage(flow, filled, drains=drains)
    draining = hazards.draining_to(flow, drains=drains, targets=hazards.river_cells(flow, rivers, ["kaskelen"]))
    return SimpleNamespace(flow=flow, filled=filled, reservoir=reservoir, hand=hand, draining=draining,
                           grid=Grid.of(flow.grid))


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
