"""Tests of the files alatau_geo.core writes and reads: GeoJSON, GeoPackage, manifest, atomic writes, rasters."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LinearRing, LineString, Point, Polygon, box, shape

from alatau_geo.core.atomic import atomic_write
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import ExportError, LayerError
from alatau_geo.core.export_geometry import prepare_layers
from alatau_geo.core.geojson import format_coordinate, geojson_text, write_geojson
from alatau_geo.core.gpkg import PROVENANCE_COLUMNS, FirstTables, write_first_tables, write_gpkg, write_gpkg_file
from alatau_geo.core.io import export_layers, read_layers, read_raster, write_raster
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.manifest import write_manifest
from alatau_geo.core.vector_input import read_vector

# Near 77.0 E, 43.5 N in UTM 43N.
X0, Y0 = 660_000.0, 4_820_000.0


def _clockwise(polygon: Polygon) -> Polygon:
    # Builders may hand over either orientation; the export must fix it.
    return Polygon(polygon.exterior.coords[::-1], [ring.coords[::-1] for ring in polygon.interiors])


@pytest.fixture
def zones() -> Layer:
    square = box(X0, Y0, X0 + 1000, Y0 + 1000)  # 1 km2
    with_hole = Polygon(
        box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000).exterior.coords,
        [box(X0 + 2200, Y0 + 200, X0 + 2500, Y0 + 500).exterior.coords],
    )
    frame = gpd.GeoDataFrame(
        {
            "id": ["z-2", "z-1"],
            "name": ["Жетысу", "Core"],
            "area_ha": [100.123456789, np.nan],
            "length_m": [1_234_567.25, 0.000123456789],
            "population": pd.array([1_234_567, pd.NA], dtype="Int64"),
            "approved": pd.to_datetime(["2024-05-01", None]),
        },
        geometry=[_clockwise(with_hole), _clockwise(square)],
        crs=WORKING_CRS,
    )
    provenance = Provenance("test boxes", "drawn by hand", {"width_m": 1000.0, "count": 2}, "approximate")
    return Layer("zones", frame, provenance, "Planning zones")


@pytest.fixture
def points() -> Layer:
    frame = gpd.GeoDataFrame(
        {"id": ["p-3", "p-1", "p-2"], "name": ["c", "a", "b"]},
        geometry=[Point(X0 + 30, Y0 + 30), Point(X0 + 10, Y0 + 10), Point(X0 + 20.123456, Y0 + 20.987654)],
        crs=WORKING_CRS,
    )
    return Layer("points", frame, Provenance("gazetteer", "geocoded", quality="published"), "Places")


@pytest.fixture
def lines() -> Layer:
    frame = gpd.GeoDataFrame(
        {"id": [1, 2], "name": ["road", "canal"]},
        geometry=[LineString([(X0, Y0), (X0 + 5000, Y0 + 3000)]), LineString([(X0, Y0 + 500), (X0 + 800, Y0 + 900)])],
        crs=WORKING_CRS,
    )
    return Layer("lines", frame, Provenance("corridors table", "straight segments"), "Corridors")


def _flatten(nested: list | str) -> list[str]:
    if isinstance(nested, str):
        return [nested]
    return [number for item in nested for number in _flatten(item)]


def _features(text: str) -> list[dict]:
    return json.loads(text)["features"]


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_is_rfc7946_with_provenance(zones: Layer) -> None:
    data = json.loads(geojson_text(zones))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    assert data["name"] == "zones"
    assert data["title"] == "Planning zones"
    assert data["provenance"] == zones.provenance.as_dict()
    assert [f["id"] for f in data["features"]] == ["z-1", "z-2"]
    for feature in data["features"]:
        assert list(feature) == ["type", "id", "properties", "geometry"]
        assert feature["properties"]["id"] == feature["id"]
        lon, lat = shape(feature["geometry"]).centroid.coords[0]
        assert 76.9 < lon < 77.1 and 43.4 < lat < 43.6  # (lon, lat) order


def test_rings_are_oriented_exterior_ccw_holes_cw(zones: Layer) -> None:
    features = _features(geojson_text(zones))
    polygons = [f["geometry"]["coordinates"] for f in features]
    assert sum(len(rings) - 1 for rings in polygons) == 1  # the hole is there
    for rings in polygons:
        assert LinearRing(rings[0]).is_ccw
        for hole in rings[1:]:
            assert not LinearRing(hole).is_ccw


@pytest.mark.parametrize("precision", [5, 6, 7])
def test_coordinates_have_at_most_precision_decimals(points: Layer, lines: Layer, precision: int) -> None:
    for layer in (points, lines):
        text = geojson_text(layer, precision=precision)
        # Keep every number as written in the file.
        data = json.loads(text, parse_float=str, parse_int=str)
        numbers = _flatten([f["geometry"]["coordinates"] for f in data["features"]])
        assert len(numbers) > 4
        for number in numbers:
            assert "e" not in number.lower()
            assert len(number.partition(".")[2]) <= precision


def test_small_coordinates_never_use_scientific_notation() -> None:
    assert format_coordinate(0.00001) == "0.00001"
    assert format_coordinate(-0.0000001) == "0"
    assert format_coordinate(76.95000000000002) == "76.95"
    assert format_coordinate(43.0) == "43"


def test_rounding_keeps_geometries_valid() -> None:
    # A slit 2 mm wide: rounding each vertex on its own closes it into a
    # ring that crosses itself; the export must round topology-aware.
    slit = Polygon([
        (X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0 + 500.001, Y0 + 1000),
        (X0 + 500.001, Y0 + 100), (X0 + 499.999, Y0 + 100), (X0 + 499.999, Y0 + 1000), (X0, Y0 + 1000),
    ])
    assert slit.is_valid
    frame = gpd.GeoDataFrame({"id": ["s"]}, geometry=[slit], crs=WORKING_CRS)
    layer = Layer("slit", frame, Provenance("test", "slit"))
    in_degrees = frame.to_crs(EXPORT_CRS).geometry.iloc[0]
    for precision in (5, 6):
        naive = shapely.transform(in_degrees, lambda coords, decimals=precision: np.round(coords, decimals))
        assert not naive.is_valid  # the case is a real one
        (feature,) = _features(geojson_text(layer, precision=precision))
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, shapely.is_valid_reason(geometry)
        assert geometry.area == pytest.approx(in_degrees.area, rel=1e-3)


def test_a_ring_that_projection_makes_cross_itself_is_exported_valid() -> None:
    # Reduced from the SEZ of an uncertainty run: the ring comes back along its
    # own edge and stops 0.09 mm short of it. Valid in UTM, but the edge drawn
    # straight in degrees passes beyond that vertex, and GEOS refused to round
    # the crossed ring ("side location conflict").
    ring = [(680735.54857, 4838536.23709), (673543.5949323496, 4835920.10923513),
            (673824.7495843426, 4836022.381378926), (653940.2426408166, 4801304.350206837)]
    zone = Polygon(ring)
    assert zone.is_valid
    frame = gpd.GeoDataFrame({"id": ["sez"]}, geometry=[zone], crs=WORKING_CRS)
    with pytest.raises(shapely.errors.GEOSException):  # the case is a real one
        shapely.set_precision(frame.to_crs(EXPORT_CRS).geometry.iloc[0], 1e-6)
    (feature,) = _features(geojson_text(Layer("sez", frame, Provenance("test", "reduced")), precision=6))
    geometry = shape(feature["geometry"])
    assert geometry.geom_type in ("Polygon", "MultiPolygon") and geometry.is_valid, shapely.is_valid_reason(geometry)
    back = gpd.GeoSeries([geometry], crs=EXPORT_CRS).to_crs(WORKING_CRS).iloc[0]
    assert back.area / 10_000 == pytest.approx(zone.area / 10_000, rel=1e-4)  # its hectares are kept


def test_properties_are_plain_json(zones: Layer) -> None:
    by_id = {f["id"]: f["properties"] for f in _features(geojson_text(zones))}
    assert by_id["z-2"] == {
        "id": "z-2", "name": "Жетысу", "area_ha": 100.123, "length_m": 1234567.0,
        "population": 1234567, "approved": "2024-05-01T00:00:00",
    }
    # Six significant digits, never cutting into the whole part.
    assert by_id["z-1"]["length_m"] == 0.000123457
    assert by_id["z-1"]["area_ha"] is None
    assert by_id["z-1"]["population"] is None
    assert by_id["z-1"]["approved"] is None


def test_output_is_utf8_with_one_feature_per_line(zones: Layer, tmp_path: Path) -> None:
    path = write_geojson(zones, tmp_path / "zones.geojson")
    raw = path.read_bytes()
    assert raw.endswith(b"}\n")
    assert "Жетысу".encode() in raw  # not \u escapes
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 2 + len(zones.frame)
    assert all(line.startswith('{"type": "Feature"') for line in lines[1:-1])


def test_output_is_byte_identical_across_writes_and_input_order(zones: Layer, tmp_path: Path) -> None:
    first = write_geojson(zones, tmp_path / "a.geojson").read_bytes()
    second = write_geojson(zones, tmp_path / "b.geojson").read_bytes()
    shuffled_frame = zones.frame.iloc[::-1].reset_index(drop=True)
    shuffled_frame = shuffled_frame[list(shuffled_frame.columns)]
    shuffled = Layer(zones.name, shuffled_frame, zones.provenance, zones.title)
    third = write_geojson(shuffled, tmp_path / "c.geojson").read_bytes()
    assert first == second == third


def test_export_is_byte_identical_for_shuffled_layers(
    zones: Layer, points: Layer, lines: Layer, tmp_path: Path
) -> None:
    export_layers([zones, points, lines], tmp_path / "one")
    export_layers(LayerSet([lines, zones, points]), tmp_path / "two")
    for name in ("zones.geojson", "points.geojson", "lines.geojson", "manifest.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_empty_geometry_is_an_error_naming_layer_and_feature(points: Layer) -> None:
    frame = points.frame.copy()
    frame.loc[1, "geometry"] = Point()
    layer = Layer("points", frame, points.provenance)
    with pytest.raises(LayerError, match=r"^layer points: feature id=p-1: empty geometry"):
        geojson_text(layer)


def test_invalid_geometry_is_an_error(points: Layer) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    frame = gpd.GeoDataFrame({"id": ["b"]}, geometry=[bowtie], crs=WORKING_CRS)
    with pytest.raises(LayerError, match=r"layer bad: feature id=b: invalid geometry \(Self-intersection"):
        geojson_text(Layer("bad", frame, points.provenance))


def test_export_with_a_bad_layer_writes_nothing(zones: Layer, points: Layer, tmp_path: Path) -> None:
    frame = points.frame.copy()
    frame.loc[0, "geometry"] = None
    broken = Layer("broken", frame, points.provenance)
    with pytest.raises(LayerError, match="layer broken: feature id=p-3: empty geometry"):
        export_layers([zones, broken], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    reserved = Layer("gpkg_spatial_ref_sys", points.frame, points.provenance)
    with pytest.raises(LayerError, match="name is reserved in a GeoPackage"):
        export_layers([reserved], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_precision_is_checked(points: Layer) -> None:
    with pytest.raises(ExportError, match="precision"):
        geojson_text(points, precision=-1)


# --------------------------------------------------------------------------- export, manifest, read back


def test_export_writes_every_file(zones: Layer, points: Layer, lines: Layer, tmp_path: Path) -> None:
    result = export_layers([zones, points, lines], tmp_path / "out")
    assert result.gpkg == tmp_path / "out" / "alatau_geo.gpkg"
    assert result.manifest == tmp_path / "out" / "manifest.json"
    assert sorted(p.name for p in result.geojson) == ["lines.geojson", "points.geojson", "zones.geojson"]
    assert all(p.is_file() for p in result.paths)
    # No temporary files left behind.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in result.paths)


def test_manifest_lists_layers_sorted(zones: Layer, points: Layer, lines: Layer, tmp_path: Path) -> None:
    path = write_manifest([zones, points, lines], tmp_path / "manifest.json")
    entries = json.loads(path.read_text("utf-8"))["layers"]
    assert [e["name"] for e in entries] == ["lines", "points", "zones"]
    zones_entry = entries[2]
    assert zones_entry["file"] == "zones.geojson"
    assert zones_entry["title"] == "Planning zones"
    assert zones_entry["geometry_type"] == "Polygon"
    assert zones_entry["feature_count"] == 2
    assert zones_entry["crs"] == "EPSG:4326"
    assert zones_entry["provenance"] == zones.provenance.as_dict()
    # The bounds of the coordinates as written in zones.geojson.
    written = gpd.GeoSeries([shape(f["geometry"]) for f in _features(geojson_text(zones))])
    assert zones_entry["bounds"] == written.total_bounds.tolist()
    assert zones_entry["bounds"] == pytest.approx(zones.frame.to_crs(EXPORT_CRS).total_bounds, abs=1e-6)


def test_round_trip_keeps_area_ids_and_provenance(zones: Layer, points: Layer, tmp_path: Path) -> None:
    export_layers([zones, points], tmp_path)
    layers = read_layers(tmp_path)
    assert list(layers) == ["points", "zones"]
    back = layers["zones"]
    assert WORKING_CRS.equals(back.frame.crs)
    assert back.title == zones.title
    assert back.provenance == zones.provenance
    assert back.frame["id"].tolist() == ["z-1", "z-2"]
    square_before = zones.frame.set_index("id").geometry["z-1"].area
    square_after = back.frame.set_index("id").geometry["z-1"].area
    assert square_before == pytest.approx(1_000_000.0)
    assert abs(square_after - square_before) / square_before < 1e-4  # 0.01 %
    moved = back.frame.set_index("id").geometry["z-2"].hausdorff_distance(zones.frame.set_index("id").geometry["z-2"])
    assert moved < 0.2  # metres: 6 decimals of a degree
    assert layers["points"].frame["name"].tolist() == ["a", "b", "c"]


def test_read_layers_leaves_out_the_layers_a_caller_rebuilds(zones: Layer, points: Layer, tmp_path: Path) -> None:
    export_layers([zones, points], tmp_path / "out")
    assert list(read_layers(tmp_path / "out", exclude=("zones",))) == ["points"]
    assert list(read_layers(tmp_path / "out")) == ["points", "zones"]


def test_read_layers_errors_name_the_file(zones: Layer, tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"manifest\.json: not found"):
        read_layers(tmp_path)
    export_layers([zones], tmp_path)
    (tmp_path / "zones.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(LayerError) as caught:
        read_layers(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'zones.geojson'}: not valid JSON")
    assert "\n" not in message


# --------------------------------------------------------------------------- GeoPackage


def test_gpkg_layers_read_back_in_wgs84(zones: Layer, points: Layer, lines: Layer, tmp_path: Path) -> None:
    path = write_gpkg(LayerSet([zones, points, lines]), tmp_path / "all.gpkg")
    listed = {str(name): kind for name, kind in pyogrio.list_layers(path)}
    assert listed == {"lines": "LineString", "points": "Point", "zones": "Polygon", "layer_provenance": None}
    for layer in (zones, points, lines):
        info = pyogrio.read_info(path, layer=layer.name)
        assert info["crs"] == "EPSG:4326"
        assert info["features"] == len(layer.frame)
        assert json.loads(info["layer_metadata"]["parameters"]) == layer.provenance.as_dict()["parameters"]
        assert info["layer_metadata"]["quality"] == layer.provenance.quality
        frame = pyogrio.read_dataframe(path, layer=layer.name)
        assert frame.geometry.is_valid.all()
        assert frame["id"].tolist() == sorted(layer.frame["id"].tolist())
    polygons = pyogrio.read_dataframe(path, layer="zones").geometry
    assert all(polygon.exterior.is_ccw for polygon in polygons)


def test_gpkg_provenance_table(zones: Layer, points: Layer, tmp_path: Path) -> None:
    path = write_gpkg([zones, points], tmp_path / "all.gpkg")
    table = pyogrio.read_dataframe(path, layer="layer_provenance")
    assert list(table.columns) == list(PROVENANCE_COLUMNS)
    row = table.set_index("layer").loc["zones"]
    assert row["title"] == "Planning zones"
    assert row["geometry_type"] == "Polygon"
    assert row["feature_count"] == 2
    assert row["source"] == "test boxes"
    assert json.loads(row["parameters"]) == {"count": 2, "width_m": 1000.0}
    assert row["quality"] == "approximate"


def test_gpkg_contents_lists_every_table(zones: Layer, points: Layer, tmp_path: Path) -> None:
    path = write_gpkg([zones, points], tmp_path / "all.gpkg")
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT table_name, data_type, srs_id FROM gpkg_contents").fetchall()
    assert sorted(rows) == [
        ("layer_provenance", "attributes", 0),
        ("points", "features", 4326),
        ("zones", "features", 4326),
    ]


def test_gpkg_indexes_the_tables_of_a_thousand_features_or_more(zones: Layer, tmp_path: Path) -> None:
    grid = gpd.GeoDataFrame({"id": [f"c{i:04d}" for i in range(1000)]},
                            geometry=[Point(X0 + 10.0 * (i % 40), Y0 + 10.0 * (i // 40)) for i in range(1000)],
                            crs=WORKING_CRS)
    cells = Layer("cells", grid, Provenance("test grid", "drawn by hand"), "Cells")
    path = write_gpkg([zones, cells], tmp_path / "all.gpkg")
    with closing(sqlite3.connect(path)) as connection:
        indexed = connection.execute("SELECT table_name FROM gpkg_extensions WHERE extension_name = "
                                     "'gpkg_rtree_index'").fetchall()
        (count,) = connection.execute("SELECT count(*) FROM rtree_cells_geom").fetchone()
    assert indexed == [("cells",)] and count == 1000  # the 2 zones are drawn as fast without one
    assert len(pyogrio.read_dataframe(path, layer="zones", bbox=(76.0, 40.0, 80.0, 46.0))) == 2


def test_gpkg_started_from_its_first_tables_is_the_gpkg_written_at_once(
    zones: Layer, points: Layer, lines: Layer, tmp_path: Path
) -> None:
    # A build keeps a GeoPackage of the reference layers' tables and starts each export from a copy of it.
    prepared = prepare_layers([zones, points, lines], precision=6)
    by_name = {item.layer.name: item for item in prepared}
    kept = write_first_tables(tmp_path / "first.gpkg", [by_name["zones"], by_name["lines"]])
    assert kept.names == ("zones", "lines")
    write_gpkg_file(tmp_path / "at_once.gpkg", prepared, first=FirstTables(("zones", "lines")))
    write_gpkg_file(tmp_path / "started.gpkg", prepared, first=kept)
    assert (tmp_path / "started.gpkg").read_bytes() == (tmp_path / "at_once.gpkg").read_bytes()
    with closing(sqlite3.connect(tmp_path / "started.gpkg")) as connection:
        tables = connection.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid").fetchall()
    assert [name for (name,) in tables] == ["zones", "lines", "points", "layer_provenance"]
    assert len(pyogrio.read_dataframe(tmp_path / "started.gpkg", layer="points")) == len(points.frame)
    with pytest.raises(LayerError, match="^layer roads: named to come first in the GeoPackage, but not among"):
        write_gpkg_file(tmp_path / "bad.gpkg", prepared, first=FirstTables(("roads",)))


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_failure_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.geojson"
    target.write_text("previous", encoding="utf-8")

    def half_then_fail(path: Path) -> None:
        path.write_text('{"type": "Feature', encoding="utf-8")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.geojson"]


def test_gpkg_failure_mid_write_keeps_previous_file(
    zones: Layer, points: Layer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_gpkg([points], tmp_path / "all.gpkg")
    before = path.read_bytes()
    real_write = pyogrio.write_dataframe
    calls = []

    def fail_on_second_layer(*args, **kwargs):
        calls.append(kwargs["layer"])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_second_layer)
    with pytest.raises(ExportError, match=r"all\.gpkg: cannot write \(No space left on device\)"):
        write_gpkg([zones, points], path)
    assert calls == ["points", "zones"]  # the first layer was written, then it failed
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["all.gpkg"]


def test_write_into_missing_folder_is_an_export_error(points: Layer, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_geojson(points, tmp_path / "missing" / "points.geojson")


# --------------------------------------------------------------------------- read_vector


def test_read_vector_reads_supported_files(points: Layer, tmp_path: Path) -> None:
    geojson = write_geojson(points, tmp_path / "points.geojson")
    frame = read_vector(geojson)
    assert len(frame) == 3 and frame.crs == EXPORT_CRS
    gpkg = write_gpkg([points], tmp_path / "points.gpkg")
    # One spatial layer plus layer_provenance: the spatial one is meant.
    assert read_vector(gpkg)["id"].tolist() == ["p-1", "p-2", "p-3"]
    shp = tmp_path / "points.shp"
    points.frame.to_file(shp, engine="pyogrio")
    assert len(read_vector(shp)) == 3


def test_read_vector_refuses_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "roads.kml"
    path.write_text("<kml/>", encoding="utf-8")
    with pytest.raises(LayerError, match=r"roads\.kml: unknown boundary file type '\.kml'; use one of \.geojson"):
        read_vector(path, what="boundary")


def test_read_vector_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"nothing\.geojson: layer file not found$"):
        read_vector(tmp_path / "nothing.geojson")
    corrupt = tmp_path / "corrupt.geojson"
    corrupt.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(LayerError) as caught:
        read_vector(corrupt)
    message = str(caught.value)
    assert message.startswith(f"{corrupt}: cannot read layer file (")
    assert "Unterminated array" in message and "\n" not in message
    fake = tmp_path / "fake.gpkg"
    fake.write_bytes(b"not a geopackage")
    with pytest.raises(LayerError, match=r"fake\.gpkg: cannot read layer file \(.*not recognized"):
        read_vector(fake)


def test_read_vector_gpkg_layer_choice(zones: Layer, points: Layer, tmp_path: Path) -> None:
    path = write_gpkg([zones, points], tmp_path / "all.gpkg")
    with pytest.raises(LayerError, match=r"holds several layers \(points, zones\); choose one with --layer NAME"):
        read_vector(path)
    assert len(read_vector(path, layer="zones")) == 2
    expected = r"all\.gpkg: has no layer 'roads' \(layers: points, zones, layer_provenance\)"
    with pytest.raises(LayerError, match=expected):
        read_vector(path, layer="roads")
    with pytest.raises(LayerError, match=r"all\.gpkg: layer 'layer_provenance' has no geometries"):
        read_vector(path, layer="layer_provenance")


def test_read_vector_refuses_a_file_without_spatial_layers(tmp_path: Path) -> None:
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), path, layer="table", driver="GPKG")
    with pytest.raises(LayerError, match=r"table\.gpkg: has no layer with geometries \(layers: table\)"):
        read_vector(path)


# --------------------------------------------------------------------------- rasters


@pytest.fixture
def dem():
    from affine import Affine

    from alatau_geo.core.raster import Raster

    data = np.array([[475.4, 480.6, np.nan], [500.0, 510.2, 520.7]], dtype="float32")
    return Raster(data=data, transform=Affine(90.0, 0.0, X0, 0.0, -90.0, Y0), crs=WORKING_CRS)


def test_raster_round_trip(dem, tmp_path: Path) -> None:
    path = write_raster(dem, tmp_path / "cache" / "dem.tif")  # folder created
    back = read_raster(path)
    np.testing.assert_array_equal(back.data, dem.data)
    assert back.transform == dem.transform
    assert WORKING_CRS.equals(back.crs)
    whole = read_raster(write_raster(dem, tmp_path / "dem_int16.tif", dtype="int16"))
    np.testing.assert_array_equal(whole.data, np.array([[475, 481, np.nan], [500, 510, 521]], dtype="float32"))
    with pytest.raises(ExportError, match="dtype must be one of int16, float32"):
        write_raster(dem, tmp_path / "x.tif", dtype="uint8")


def test_read_raster_errors(tmp_path: Path) -> None:
    from alatau_geo.core.errors import InputDataError

    with pytest.raises(InputDataError, match=r"dem\.tif: raster file not found"):
        read_raster(tmp_path / "dem.tif")
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(InputDataError, match=r"bad\.tif: cannot read raster"):
        read_raster(tmp_path / "bad.tif")


def test_a_change_of_provenance_text_alone_is_no_change():
    from dataclasses import replace

    from alatau_geo.core.changes import compare_layers

    frame = gpd.GeoDataFrame({"id": ["a"], "name_en": ["A"]}, geometry=[box(500_000, 4_800_000, 501_000, 4_801_000)],
                             crs=WORKING_CRS)
    layer = Layer("zones", frame, Provenance("plan a.toml", "rule"))
    moved = Layer("zones", frame, replace(layer.provenance, source="plan b.toml"))
    (change,) = compare_layers(LayerSet([layer]), LayerSet([moved]))
    assert change.status == "unchanged" and str(change) == "zones: unchanged (1 feature)"


def test_overlapping_features_count_once_in_a_changed_area():
    from alatau_geo.core.changes import compare_layers

    squares = [box(500_000, 4_800_000, 501_000, 4_801_000), box(500_500, 4_800_000, 501_500, 4_801_000)]
    before = Layer("areas", gpd.GeoDataFrame({"id": ["a"]}, geometry=squares[:1], crs=WORKING_CRS),
                   Provenance("t", "t"))
    after = Layer("areas", gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=squares, crs=WORKING_CRS),
                  Provenance("t", "t"))
    (change,) = compare_layers(LayerSet([before]), LayerSet([after]))
    assert change.status == "changed"
    assert change.before == pytest.approx(100, rel=0.01) and change.after == pytest.approx(150, rel=0.01)
