"""Reference geography a Kazakh planner would accept, checked on layers built from the real tiles.

Railways, the Ili and Konaev, Almaty's territory and its airport, the
settlements outside Alatau, the published areas and the reservoir level.
One build of the reference layers and the plan's zones is shared by the
module; skipped when ../shared/data/srtm is absent.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.ops import nearest_points

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS, area_ha
from alatau_geo.core.geojson import as_exported
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.districts import TOLERANCE_PCT, build_zones, zone_layers
from alatau_geo.reference import gazetteer, hydrology, terrain
from alatau_geo.reference.build import build_reference_layers

pytestmark = pytest.mark.srtm

KONAEV_CENTRE = (77.06304, 43.86681)  # GeoNames 1519948, (lon, lat)
PUBLISHED_HA = {
    ("districts", "gate"): 4_000.0,
    ("districts", "green"): 31_730.0,
    ("city_boundary", "alatau_city"): 88_000.0,
    ("sez", "sez_alatau"): 97_900.0,
    ("settlements", "almaty"): 68_200.0,
    ("settlements", "konaev"): 5_603.0,
}


@pytest.fixture(scope="module")
def built(srtm_dir):
    plan = load_plan()
    tiles = terrain.read_srtm_tiles(srtm_dir, plan.terrain.tiles)
    reference = build_reference_layers(tiles, gazetteer.load_tables(plan.tables), plan)
    exported = LayerSet(as_exported(layer, precision=plan.export.coordinate_precision)
                        for layer in reference.layers.values())
    zones = build_zones(plan.zones, exported, min_part_ha=plan.analysis.min_part_ha, source=plan.source)
    layers = {name: layer.frame for name, layer in exported.items()}
    layers.update({layer.name: layer.frame for layer in zone_layers(zones, source=plan.source)})
    return {"plan": plan, "layers": layers, "raw": reference.terrain.raw}


def point(lon: float, lat: float) -> shapely.Point:
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs=EXPORT_CRS).to_crs(WORKING_CRS).iloc[0]


def zone(built, layer: str, zone_id: str) -> shapely.Geometry:
    frame = built["layers"][layer]
    return frame.loc[frame["id"] == zone_id].geometry.iloc[0]


def bearing(a: shapely.Point, b: shapely.Point) -> float:
    """Grid bearing from `a` to `b`, degrees clockwise from north (UTM 43N; convergence < 1.5 degrees here)."""
    return float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y)) % 360.0)


def lines_from(corridors: gpd.GeoDataFrame, origin: shapely.Point, *, within_m: float) -> dict[str, shapely.LineString]:
    """Railways that start or end within `within_m` of `origin`, each drawn away from it."""
    found = {}
    for row in corridors[corridors["kind"] == "railway"].itertuples():
        line = row.geometry
        if shapely.Point(line.coords[-1]).distance(origin) <= within_m:
            line = shapely.LineString(line.coords[::-1])
        if shapely.Point(line.coords[0]).distance(origin) <= within_m:
            found[row.id] = line
    return found


def left_bank(built) -> shapely.Geometry:
    """The study area on Almaty's side of the Ili and the reservoir, cut along both.

    The traced Ili starts a little below the dam; a straight link from its
    first point to the nearest shore closes the cut.
    """
    layers = built["layers"]
    ili = layers["rivers"].set_index("id").loc["ili"].geometry
    water = shapely.union_all(layers["reservoir"].geometry.to_numpy())
    start = shapely.Point(ili.coords[0])
    link = shapely.LineString([start, nearest_points(water, start)[0]])
    cut = shapely.union_all([water, ili.buffer(1.0), link.buffer(1.0)])
    almaty = layers["places"].set_index("id").loc["almaty"].geometry
    sides = shapely.get_parts(shapely.difference(layers["study_area"].geometry.iloc[0], cut))
    assert len(sides) >= 2  # the river and the reservoir divide the study area
    return next(side for side in sides if side.contains(almaty))


def test_a_railway_leaves_zhetygen_heading_west_for_at_least_40_km(built):
    corridors = built["layers"]["corridors"]
    zhetygen = built["layers"]["places"].set_index("id").loc["alatau"].geometry
    railways = lines_from(corridors, zhetygen, within_m=1_000.0)
    westward = []
    for railway_id, line in railways.items():
        if line.length < 40_000:
            continue
        along = [line.interpolate(d) for d in np.arange(5_000.0, 40_001.0, 5_000.0)]
        if all(240.0 <= bearing(zhetygen, p) <= 300.0 for p in along):
            westward.append(railway_id)
    assert westward == ["almaty_bypass"]
    bypass = corridors.set_index("id").loc["almaty_bypass"]
    assert bypass["status"] == "under_construction" and bypass["position_quality"] == "approximate"
    assert "2023" in bypass["source"]
    # The line to Altynkol leaves eastwards along the reservoir's south shore, on land.
    altynkol = railways["zhetygen_altynkol"]
    assert 60.0 <= bearing(zhetygen, altynkol.interpolate(20_000.0)) <= 120.0
    water = shapely.union_all(built["layers"]["reservoir"].geometry.to_numpy())
    assert shapely.intersection(altynkol, water).length == 0.0


def test_the_turksib_runs_from_almaty_through_zhetygen_across_the_ili(built):
    layers = built["layers"]
    turksib = layers["corridors"].set_index("id").loc["turksib"].geometry
    places = layers["places"].set_index("id")
    assert turksib.distance(places.loc["alatau"].geometry) < 1_000.0
    assert turksib.distance(places.loc["konaev"].geometry) < 3_000.0
    assert turksib.intersects(layers["rivers"].set_index("id").loc["ili"].geometry)
    assert shapely.Point(turksib.coords[0]).distance(places.loc["almaty"].geometry) < 12_000.0


def test_no_district_contains_konaev_and_green_borders_it(built):
    centre = point(*KONAEV_CENTRE)
    districts = built["layers"]["districts"].set_index("id")
    assert not districts.geometry.contains(centre).any()
    assert not zone(built, "city_boundary", "alatau_city").contains(centre)
    town = zone(built, "settlements", "konaev")
    assert town.contains(centre)
    green = districts.loc["green"].geometry
    # Bordering: the two touch along a shared edge, without overlapping.
    assert shapely.intersection(green, town).area < 1.0
    assert green.distance(town) < 1.0
    assert shapely.intersection(green.buffer(1.0), town.boundary).length > 2_000.0


def test_no_part_of_green_over_5_ha_lies_across_the_ili(built):
    green = built["layers"]["districts"].set_index("id").loc["green"].geometry
    across = shapely.difference(green, left_bank(built))
    assert all(part.area / 10_000.0 <= 5.0 for part in shapely.get_parts(across))
    # Green still reaches the reservoir: it borders the water as published.
    water = shapely.union_all(built["layers"]["reservoir"].geometry.to_numpy())
    assert green.distance(water) < 1.0


def test_almaty_airport_is_outside_the_sez_and_the_city(built):
    airport = built["layers"]["places"].set_index("id").loc["almaty_airport"]
    assert airport["position_quality"] == "published"
    # airportsdata, ICAO UAAA: 43.3521 N, 77.0405 E.
    assert airport.geometry.distance(point(77.0405, 43.3521)) < 1.0
    assert zone(built, "settlements", "almaty").contains(airport.geometry)
    assert not zone(built, "sez", "sez_alatau").contains(airport.geometry)
    assert not zone(built, "city_boundary", "alatau_city").contains(airport.geometry)


def test_the_city_holds_none_of_the_settlements_declared_outside(built):
    layers = built["layers"]
    city = zone(built, "city_boundary", "alatau_city")
    places = layers["places"].set_index("id")
    declared = set(layers["settlements"]["place"])
    assert {"otegen_batyr", "pervomayskiy", "kenen_azirbayev", "zhanalyk", "almaty", "konaev"} <= declared
    outside = declared | set(places.index[places["in_alatau"] == "no"])
    held = sorted(pid for pid in outside if city.contains(places.loc[pid].geometry))
    assert held == []
    for pid in declared:
        assert shapely.intersection(city, zone(built, "settlements", pid)).area < 1.0, pid
    # Zhetygen, the one settlement a decree names as Alatau, is inside.
    assert city.contains(places.loc["alatau"].geometry)


def test_published_areas_still_match_within_half_a_percent(built):
    for (layer, zone_id), published in PUBLISHED_HA.items():
        frame = built["layers"][layer]
        measured = float(area_ha(frame.loc[frame["id"] == zone_id]).iloc[0])
        assert abs(measured - published) / published * 100 <= TOLERANCE_PCT, (zone_id, measured)


def test_the_reservoir_at_the_srtm_level_equals_the_flat_region(built):
    plan, raw = built["plan"], built["raw"]
    hp = plan.hydrology
    flat = hydrology.flat_region_mask(raw, level_m=hp.srtm_surface_m)
    flat_km2 = float((flat.sum(axis=1) * terrain.geographic_cell_areas_km2(raw)).sum())
    at_srtm = hydrology.extract_reservoir(raw, surface_m=hp.srtm_surface_m, level_m=hp.srtm_surface_m,
                                          min_island_ha=hp.min_island_ha,
                                          simplify_tolerance_m=hp.reservoir_simplify_tolerance_m,
                                          max_area_change_pct=hp.reservoir_max_area_change_pct)
    assert at_srtm.area_km2 == pytest.approx(flat_km2, rel=0.01)
    # The layer is drawn at the plan's level, higher than the SRTM surface, and says so.
    layer = built["layers"]["reservoir"].iloc[0]
    assert layer["level_m"] == hp.reservoir_level_m > hp.srtm_surface_m == layer["srtm_surface_m"]
    assert layer["srtm_date"] == "2000-02" and layer["east_cut_lon"] == pytest.approx(78.0, abs=0.01)
    assert flat_km2 < layer["area_km2"] < layer["published_area_km2"]


def test_river_attributes_tell_traced_from_published(built):
    rivers = built["layers"]["rivers"].set_index("id")
    kaskelen = rivers.loc["kaskelen"]
    # The DEM path inside the study area is far shorter than the published river.
    assert kaskelen["traced_length_km"] < kaskelen["published_length_km"] == 177.0
    # A tributary's own catchment excludes the main river it ends in.
    kishi = rivers.loc["kishi_almaty"]
    assert kishi["ends_in"] == "river" and kishi["own_catchment_km2"] < kishi["end_upstream_area_km2"]
    assert set(rivers.index[rivers["lower_reach"] == "intermittent"]) == {"esik", "turgen"}
