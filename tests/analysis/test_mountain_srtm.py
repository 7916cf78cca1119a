"""Integration: the mountain cluster and Almaty's air corridors on the real SRTM tiles.

Skipped when ../shared/data/srtm is absent. The resort window needs only
N43E077; the corridors need the four tiles, cut to the routing window.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from alatau_geo.analysis import air_corridors as ac
from alatau_geo.analysis import mountain
from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.plan.mountain_params import MountainParams
from alatau_geo.reference import gazetteer, terrain

pytestmark = pytest.mark.srtm

PARAMS = MountainParams()


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return mountain.mountain_places(mountain.read_mountain_places())


@pytest.fixture(scope="module")
def resort_mosaic(srtm_dir) -> terrain.Raster:
    raw = terrain.mosaic_srtm(terrain.read_srtm_tiles(srtm_dir, ["N43E077"]))
    filled, _ = terrain.fill_voids(raw, max_distance_cells=100)
    return filled


@pytest.fixture(scope="module")
def cluster(resort_mosaic, places) -> mountain.MountainCluster:
    return mountain.analyse_cluster(resort_mosaic, places, PARAMS)


@pytest.fixture(scope="module")
def corridor_run(srtm_dir, places):
    raw = terrain.mosaic_srtm(terrain.read_srtm_tiles(srtm_dir, ["N42E076", "N42E077", "N43E076", "N43E077"]))
    west, south, east, north = PARAMS.corridors.routing_bounds
    filled, _ = terrain.fill_voids(terrain.clip_to_bounds(raw, (west - 0.05, south - 0.05, east + 0.05, north + 0.05)),
                                   max_distance_cells=100)
    city = ac.city_extent(filled, PARAMS.corridors)
    river_names = gazetteer.read_table(gazetteer.packaged_table("river_names.csv"),
                                       columns=gazetteer.RIVER_NAME_COLUMNS, key="river_id")
    points = ac.named_river_points(places, river_names)
    return city, ac.air_corridors(filled, city, PARAMS.corridors, river_points=points), filled


def test_shymbulak_lies_about_500_m_above_medeu(cluster):
    heights = cluster.stations.set_index("id")
    medeu, shymbulak = heights.at["medeu", "dem_elevation_m"], heights.at["shymbulak", "dem_elevation_m"]
    # Published: Medeu 1,691 m, Shymbulak base 2,200 m.
    assert medeu == pytest.approx(1691, abs=30)
    assert shymbulak == pytest.approx(2200, abs=120)
    assert 400 < shymbulak - medeu < 700


def test_each_lift_profile_ends_at_the_dem_height_of_its_stations(cluster, resort_mosaic):
    stations = cluster.stations.set_index("id")
    lonlat = stations.to_crs(EXPORT_CRS).geometry
    # The DEM's own height at each station, read from the unprojected 3 arc-second mosaic.
    own = dict(zip(stations.index, terrain.sample(resort_mosaic, lonlat.x.to_numpy(), lonlat.y.to_numpy()),
                   strict=True))
    assert len(cluster.lines) == 3
    for line in cluster.lines.itertuples():
        assert line.start_elevation_m == pytest.approx(own[line.from_id], abs=30)
        assert line.end_elevation_m == pytest.approx(own[line.to_id], abs=30)
        profile = cluster.profiles[cluster.profiles["line_id"] == line.id]
        assert np.diff(profile["distance_m"]).max() <= 30.0 + 1e-6
    medeu_shymbulak = cluster.lines.set_index("id").loc["medeu-shymbulak"]
    # Up the Kishi Almaty valley: 3-4.5 km, about 500-700 m of climb, no ridge in the way.
    assert 3000 < medeu_shymbulak["horizontal_length_m"] < 4500
    assert 400 < medeu_shymbulak["vertical_drop_m"] < 700
    assert not medeu_shymbulak["crosses_ridge"]


def test_window_terrain_classes_cover_the_window_and_the_capacity_check_is_complete(cluster):
    table = cluster.terrain.table
    totals = table.groupby("layer")["area_ha"].sum()
    assert np.allclose(totals.to_numpy(), totals.iloc[0])
    # The window around the resorts is some 230 km2 of mountains: mostly steep.
    assert 15_000 < totals.iloc[0] < 30_000
    slopes = table[table["layer"] == "slope_class"].set_index("class")["area_ha"]
    assert slopes[["intermediate", "expert", "extreme"]].sum() > slopes[["too_flat", "beginner"]].sum()
    capacity = cluster.capacity.set_index("quantity")
    assert capacity.at["ski runs, published", "value"] == 250.0
    assert capacity.at["run length the terrain allows", "value"] > 0
    assert capacity.at["visitors per day the lifts carry", "value"] == pytest.approx(62 * 1800 * 7 * 0.6 / 10)


def test_city_extent_is_near_the_published_area(corridor_run):
    city, _, _ = corridor_run
    assert abs(city["difference_pct"].iloc[0]) < 5.0


def test_corridors_run_downhill_into_almaty(corridor_run):
    city, corridors, filled = corridor_run
    streams = corridors.streams.set_index("id")
    assert len(streams) >= 2
    assert (streams["source_elevation_m"] > streams["city_entry_elevation_m"]).all()
    assert (streams["city_entry_elevation_m"] > streams["outlet_elevation_m"]).all()
    assert (streams["length_in_city_km"] >= 1.0).all()
    # Each main stem drops all the way: sampled every ~1 km it never climbs by more than the DEM's noise.
    for line in corridors.streams.to_crs(EXPORT_CRS).geometry:
        points = [line.interpolate(f, normalized=True) for f in np.linspace(0, 1, 40)]
        z = terrain.sample(filled, np.array([p.x for p in points]), np.array([p.y for p in points]))
        assert z[0] > z[-1] + 500 and np.max(np.diff(z)) < 60
    names = set(corridors.frame["river_ids"])
    assert {"ulken_almaty", "kishi_almaty"} <= names
    summary = corridors.summary.set_index("quantity")
    inside = summary.at["corridor valley floor inside Almaty", "value"]
    assert 1_000 < inside < 10_000
    assert inside <= city["area_ha"].iloc[0]


def test_results_are_exportable_layers_with_provenance(cluster, corridor_run, tmp_path):
    from alatau_geo.analysis.mountain_layers import mountain_layers
    from alatau_geo.core.gpkg import write_gpkg

    city, corridors, _ = corridor_run
    layers = mountain_layers(cluster, corridors, city, params=PARAMS, places_source="mountain_places.csv")
    assert [layer.name for layer in layers] == ["mountain_stations", "mountain_terrain_classes",
                                                "mountain_lift_lines", "almaty_extent", "air_corridors",
                                                "air_corridor_streams", "air_corridor_meets"]
    quality = {layer.name: layer.provenance.quality for layer in layers}
    assert quality["mountain_stations"] == quality["almaty_extent"] == "approximate"
    assert all("basis" in layer.frame.columns for layer in layers)
    assert write_gpkg(layers, tmp_path / "mountain.gpkg").is_file()
