"""Tests of alatau_geo.reference.osm and osm_layers on the hand-written extract tests/data/alatau_small.osm.

Nothing here reaches the network: an autouse fixture makes every socket
connection fail, and the download path runs against monkeypatched osmnx
functions.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pytest
import requests
from pyproj import Geod, Transformer
from shapely.geometry import Point

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.core.layers import Layer
from alatau_geo.reference import osm
from alatau_geo.reference.osm_layers import (
    CORRIDOR_COLUMNS,
    DEFAULT_TAGS,
    PLACE_COLUMNS,
    RIVER_COLUMNS,
    osmnx_tags,
    places_from_osm,
)

FIXTURE = Path(__file__).parent / "data" / "alatau_small.osm"
GEOD = Geod(ellps="WGS84")
STUDY_BOUNDS = (76.55, 43.10, 78.00, 44.00)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access is blocked in the tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def extract() -> osm.OsmExtract:
    return osm.read_osm_xml(FIXTURE)


def fixture_nodes() -> dict[int, tuple[float, float]]:
    """(lon, lat) of every node of the fixture, read without osmnx."""
    root = ET.parse(FIXTURE).getroot()
    return {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}


def fixture_way_length_m(ref: str) -> float:
    """Geodesic length in metres of all fixture ways with this ``ref``, read without osmnx."""
    nodes = fixture_nodes()
    total = 0.0
    for way in ET.parse(FIXTURE).getroot().iter("way"):
        tags = {tag.get("k"): tag.get("v") for tag in way.iter("tag")}
        if tags.get("ref") == ref:
            lons, lats = zip(*(nodes[int(nd.get("ref"))] for nd in way.iter("nd")), strict=True)
            total += GEOD.line_length(lons, lats)
    return total


def row(layer: Layer, name_en: str) -> dict:
    matches = layer.frame[layer.frame["name_en"] == name_en]
    assert len(matches) == 1, f"{name_en}: {len(matches)} rows in {layer.name}"
    return matches.iloc[0].to_dict()


def test_network_is_blocked() -> None:
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("overpass-api.de", 443), timeout=1)


# ------------------------------------------------------------------ places


def test_places_are_the_gazetteer_features_only(extract: osm.OsmExtract) -> None:
    places = extract.places
    assert places.name == "places_osm"
    # place=locality and the fuel station are not gazetteer places
    assert sorted(places.frame["id"]) == [f"osm-node-{i}" for i in range(1, 6)]
    assert list(places.frame.columns) == [*PLACE_COLUMNS, "geometry"]
    assert places.geometry_type == "Point"
    assert set(places.frame["position_quality"]) == {"openstreetmap"}
    assert dict(zip(places.frame["name_en"], places.frame["kind"], strict=True)) == {
        "Almaty": "city",
        "Konaev": "town",
        "Otegen Batyr": "village",
        "Pervomayskiy": "village",
        "Almaty International Airport": "airport",
    }


@pytest.mark.parametrize(
    ("name_en", "name_kk", "name_ru"),
    [
        ("Almaty", "Алматы", "Алматы"),
        ("Konaev", "Қонаев", "Конаев"),
        ("Otegen Batyr", "Өтеген батыр", "Отеген батыр"),
        ("Almaty International Airport", "Алматы халықаралық әуежайы", "Международный аэропорт Алматы"),
    ],
)
def test_place_names_in_three_languages(extract: osm.OsmExtract, name_en: str, name_kk: str, name_ru: str) -> None:
    place = row(extract.places, name_en)
    assert (place["name_kk"], place["name_ru"]) == (name_kk, name_ru)


def test_place_name_fallbacks(extract: osm.OsmExtract) -> None:
    # node 4 has only name and int_name
    place = row(extract.places, "Pervomayskiy")
    assert place["id"] == "osm-node-4"
    assert place["name_ru"] == "Первомайский"
    assert place["name_kk"] is None


def test_place_positions_survive_the_round_trip(extract: osm.OsmExtract) -> None:
    frame = extract.places.frame
    to_utm = Transformer.from_crs("EPSG:4326", WORKING_CRS, always_xy=True)
    for name_en, lon, lat in [("Otegen Batyr", 77.02020, 43.41949), ("Almaty", 76.92848, 43.25654),
                              ("Konaev", 77.06304, 43.86681)]:
        point = row(extract.places, name_en)["geometry"]
        assert point.distance(Point(to_utm.transform(lon, lat))) < 0.01
        back = frame[frame["name_en"] == name_en].to_crs("EPSG:4326").geometry.iloc[0]
        _, _, error_m = GEOD.inv(lon, lat, back.x, back.y)
        assert error_m < 1.0


# ------------------------------------------------------------------ corridors


def test_a3_is_merged_into_one_line(extract: osm.OsmExtract) -> None:
    frame = extract.corridors.frame
    a3 = frame[frame["ref"] == "A3"]
    assert len(a3) == 1
    road = a3.iloc[0]
    assert road["id"] == "osm-way-1001"
    assert road["kind"] == "highway"
    assert not road["schematic"]
    assert (road["name_en"], road["name_kk"], road["name_ru"]) == (
        "Almaty–Konaev Highway", "Алматы — Қонаев", "Алматы — Конаев")
    assert road["source"] == "OpenStreetMap way/1001, way/1002, way/1003"
    # way 1002 is drawn backwards: the merge must still give one line
    assert road.geometry.geom_type == "LineString"
    expected_m = fixture_way_length_m("A3")
    assert expected_m > 60_000
    assert road.geometry.length == pytest.approx(expected_m, rel=0.01)


def test_corridors_layer(extract: osm.OsmExtract) -> None:
    corridors = extract.corridors
    assert corridors.name == "corridors_osm"
    assert list(corridors.frame.columns) == [*CORRIDOR_COLUMNS, "geometry"]
    assert corridors.frame["schematic"].dtype == bool
    assert not corridors.frame["schematic"].any()
    # residential streets and the footway are not corridors
    assert sorted(corridors.frame["kind"]) == ["highway", "railway"]
    railway = row(corridors, "Turkestan–Siberia Railway")
    assert (railway["kind"], railway["ref"], railway["name_kk"], railway["name_ru"]) == (
        "railway", None, "Түрксіб", "Турксиб")


# ------------------------------------------------------------------ rivers


def test_kaskelen_is_one_river_flowing_north(extract: osm.OsmExtract) -> None:
    rivers = extract.rivers
    assert rivers.name == "rivers_osm"
    assert list(rivers.frame.columns) == [*RIVER_COLUMNS, "geometry"]
    assert len(rivers.frame) == 1
    river = rivers.frame.iloc[0]
    assert (river["id"], river["kind"]) == ("osm-way-3001", "river")
    assert (river["name_en"], river["name_kk"], river["name_ru"]) == ("Kaskelen", "Қаскелең", "Каскелен")
    line = river.geometry
    assert line.geom_type == "LineString"
    assert len(line.coords) == 6
    assert line.coords[-1][1] > line.coords[0][1] + 50_000  # mouth ~62 km north of the source node


# ------------------------------------------------------------------ common


def test_layers_share_crs_and_provenance(extract: osm.OsmExtract) -> None:
    assert extract.source == str(FIXTURE)
    for layer in (extract.places, extract.corridors, extract.rivers):
        assert WORKING_CRS.equals(layer.frame.crs)
        assert layer.provenance.quality == "derived"
        assert layer.provenance.source == (
            f"OpenStreetMap contributors (ODbL) via osmnx {ox.__version__}, {FIXTURE}")
        assert "osm_tags" in layer.provenance.as_dict()["parameters"]
        assert layer.frame["id"].is_unique


def test_road_graph(extract: osm.OsmExtract) -> None:
    graph = extract.graph
    assert graph is not None
    assert WORKING_CRS.equals(graph.graph["crs"])
    # Simplified: A3 ends 101 and 110, the junction 104, and in the village
    # the crossing 402, the ends 401, 404 (where the one-way street meets
    # two-way ones) and 405. No place node, railway, river or footway node.
    assert sorted(graph.nodes) == [101, 104, 110, 401, 402, 404, 405]
    # six two-way edges (12 directed) and the one-way 401 -> 406 -> 404
    assert graph.number_of_edges() == 13
    assert graph.has_edge(401, 404) and not graph.has_edge(404, 401)
    highways = {data["highway"] for _, _, data in graph.edges(data=True)}
    assert highways == {"trunk", "residential"}
    # coordinates in metres (UTM 43N)
    assert 600_000 < graph.nodes[104]["x"] < 700_000


def test_reads_gzipped_extract(tmp_path: Path, extract: osm.OsmExtract) -> None:
    packed = tmp_path / "alatau_small.osm.gz"
    with FIXTURE.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    again = osm.read_osm_xml(packed)
    assert again.corridors.frame.drop(columns="source").equals(extract.corridors.frame.drop(columns="source"))
    assert again.graph is not None and again.graph.number_of_edges() == 13


# ------------------------------------------------------------------ bad input


def test_missing_file_is_one_line_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm"
    with pytest.raises(InputDataError) as caught:
        osm.read_osm_xml(missing)
    message = str(caught.value)
    assert "\n" not in message
    assert str(missing) in message and "not found" in message


def test_corrupt_xml_is_input_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "truncated.osm"
    corrupt.write_bytes(FIXTURE.read_bytes()[:3000])
    with pytest.raises(InputDataError, match=r"truncated\.osm: not a readable OSM XML file") as caught:
        osm.read_osm_xml(corrupt)
    assert "\n" not in str(caught.value)
    # the parser's exception is not chained: the CLI prints just this line
    assert caught.value.__suppress_context__


def test_xml_that_is_not_osm_is_input_error(tmp_path: Path) -> None:
    page = tmp_path / "page.osm"
    page.write_text("<html><body>rate limited</body></html>", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"root element <html>, expected <osm>"):
        osm.read_osm_xml(page)


def test_way_with_missing_node_is_input_error(tmp_path: Path) -> None:
    clipped = tmp_path / "clipped.osm"
    text = FIXTURE.read_text(encoding="utf-8")
    clipped.write_text(text.replace('<node id="102" lat="43.33500" lon="76.99000" version="1"/>', ""),
                       encoding="utf-8")
    with pytest.raises(InputDataError, match=r"clipped\.osm: malformed OSM XML"):
        osm.read_osm_xml(clipped)


def test_empty_extract_gives_empty_layers(tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?>\n<osm version="0.6">'
                     '<bounds minlat="43.4" minlon="77.0" maxlat="43.5" maxlon="77.1"/></osm>\n',
                     encoding="utf-8")
    result = osm.read_osm_xml(empty)
    assert result.graph is None
    for layer, columns in [(result.places, PLACE_COLUMNS), (result.corridors, CORRIDOR_COLUMNS),
                           (result.rivers, RIVER_COLUMNS)]:
        assert len(layer.frame) == 0
        assert list(layer.frame.columns) == [*columns, "geometry"]
        assert WORKING_CRS.equals(layer.frame.crs)


def test_converters_want_an_osmnx_frame() -> None:
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(77, 43.5)], crs="EPSG:4326")
    with pytest.raises(LayerError, match=r"indexed by \(element, id\)"):
        places_from_osm(frame)


# ------------------------------------------------------------------ download


def test_download_failure_is_one_line_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    timeout_before = ox.settings.requests_timeout

    def offline(bbox: tuple, tags: dict) -> None:
        raise requests.exceptions.ConnectionError(
            "HTTPSConnectionPool(host='overpass-api.de', port=443): Max retries exceeded\n"
            "(Caused by NameResolutionError: Failed to resolve 'overpass-api.de')")

    monkeypatch.setattr(ox, "features_from_bbox", offline)
    with pytest.raises(InputDataError) as caught:
        osm.download_osm(STUDY_BOUNDS, timeout_s=5)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("OpenStreetMap download failed for bbox (76.55, 43.1, 78, 44): HTTPSConnectionPool")
    assert message.endswith("; give a local extract with --osm FILE")
    assert ox.settings.requests_timeout == timeout_before


def test_download_converts_like_the_file_reader(monkeypatch: pytest.MonkeyPatch, extract: osm.OsmExtract) -> None:
    calls: dict[str, object] = {}
    settings_before = (ox.settings.requests_timeout, ox.settings.use_cache)
    real_features = ox.features_from_xml(FIXTURE, tags=osmnx_tags(DEFAULT_TAGS))
    real_graph = ox.graph_from_xml(FIXTURE, simplify=True, retain_all=True)

    def fake_features(bbox: tuple, tags: dict) -> gpd.GeoDataFrame:
        calls["features"] = (bbox, tags, ox.settings.requests_timeout, ox.settings.use_cache)
        return real_features

    def fake_graph(bbox: tuple, **kwargs: object):
        calls["graph"] = (bbox, kwargs)
        return real_graph

    monkeypatch.setattr(ox, "features_from_bbox", fake_features)
    monkeypatch.setattr(ox, "graph_from_bbox", fake_graph)
    result = osm.download_osm(STUDY_BOUNDS, timeout_s=42)

    bbox, tags, timeout, use_cache = calls["features"]
    assert bbox == STUDY_BOUNDS  # osmnx 2: (left, bottom, right, top)
    assert tags["highway"] == ["motorway", "trunk", "primary"]
    assert (timeout, use_cache) == (42.0, False)
    assert calls["graph"] == (STUDY_BOUNDS, {"network_type": "drive", "simplify": True, "retain_all": True})
    assert (ox.settings.requests_timeout, ox.settings.use_cache) == settings_before

    assert result.source == "Overpass download, bbox (76.55, 43.1, 78, 44)"
    assert result.places.provenance.source.endswith("Overpass download, bbox (76.55, 43.1, 78, 44)")
    for downloaded, read in [(result.places, extract.places), (result.corridors, extract.corridors),
                             (result.rivers, extract.rivers)]:
        assert downloaded.frame.equals(read.frame)
    assert result.graph is not None and WORKING_CRS.equals(result.graph.graph["crs"])


@pytest.mark.parametrize("bounds", [(78.0, 43.1, 76.55, 44.0), (76.55, 44.0, 78.0, 43.1), (1, 2, 3)])
def test_download_rejects_bad_bounds(bounds: tuple) -> None:
    with pytest.raises(ValueError, match="west, south, east, north"):
        osm.download_osm(bounds)
