"""The vectorised export paths give the same bytes and layers as the plain ones they replace.

The GeoJSON geometry text is formatted for a whole layer at once, a layer
"as exported" is made without writing and parsing text, and two versions of
a layer are compared on their exported geometries and values. Each is
checked here against the plain definition: format each coordinate, write
each geometry by hand, parse the text back.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, box

from alatau_geo.core.changes import compare_layers, same_content
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.geojson import as_exported, collection_text, format_coordinate, read_layer, write_geojson
from alatau_geo.core.geojson_geometry import format_coordinates, geometry_texts
from alatau_geo.core.layers import Layer, LayerSet, Provenance

X0, Y0 = 660_000.0, 4_820_000.0


def _plain_coordinates(geometry, precision: int) -> str:
    """The hand-written recursion the vectorised writer replaced."""
    kind = geometry.geom_type
    if kind == "Point":
        return "[" + ", ".join(format_coordinate(v, precision=precision) for v in geometry.coords[0]) + "]"
    if kind in ("LineString", "LinearRing"):
        return "[" + ", ".join(
            "[" + ", ".join(format_coordinate(v, precision=precision) for v in c) + "]" for c in geometry.coords
        ) + "]"
    if kind == "Polygon":
        rings = [geometry.exterior, *geometry.interiors]
        return "[" + ", ".join(_plain_coordinates(ring, precision) for ring in rings) + "]"
    return "[" + ", ".join(_plain_coordinates(part, precision) for part in geometry.geoms) + "]"


def _plain_text(geometry, precision: int) -> str:
    if geometry.geom_type == "GeometryCollection":
        parts = ", ".join(_plain_text(part, precision) for part in geometry.geoms)
        return f'{{"type": "GeometryCollection", "geometries": [{parts}]}}'
    return f'{{"type": "{geometry.geom_type}", "coordinates": {_plain_coordinates(geometry, precision)}}}'


def _mixed_geometries() -> list:
    holed = box(0, 0, 10, 10).difference(box(2, 2, 4, 4))
    return [
        Point(77.123456, 43.5),
        Point(-0.0000001, 0.00001, 812.25),  # a height, negative zero, a tiny value
        LineString([(76.9, 43.1), (77.000001, 43.2), (77.1, 43.25)]),
        holed,
        MultiPolygon([box(0, 0, 1, 1), holed.buffer(0)]),
        MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5)]]),
        MultiPoint([(1.5, 2.5), (3, 4)]),
        GeometryCollection([Point(1, 2), LineString([(0, 0), (1, 1)])]),
        box(76.5, 43.0, 77.5, 44.0),
    ]


@pytest.mark.parametrize("precision", [0, 3, 6, 10])
def test_geometry_texts_equal_the_plain_writer(precision: int) -> None:
    geometries = _mixed_geometries()
    on_grid = [shapely.transform(g, lambda c, p=precision: np.round(c, p), include_z=None) for g in geometries]
    for batch in (geometries, on_grid):
        expected = [_plain_text(g, precision) for g in batch]
        assert geometry_texts(np.array(batch, dtype=object), precision=precision) == expected


def test_format_coordinates_equal_format_coordinate() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.uniform(-180, 180, 2000),
        np.round(rng.uniform(-180, 180, 2000), 6),
        [0.0, -0.0, 1e-7, -1e-7, 0.00001, 43.0, -43.0, 76.95000000000002, 5000.0, 0.5, 2.5],
    ])
    for precision in (0, 1, 6, 7, 10):
        expected = [format_coordinate(float(v), precision=precision) for v in values]
        assert format_coordinates(values, precision=precision).tolist() == expected


@pytest.fixture
def layer() -> Layer:
    frame = gpd.GeoDataFrame(
        {
            "id": ["b", "a", "c"],
            "name": ["Жетысу", None, "Core"],
            "area_ha": [100.123456789, np.nan, 1_234_567.25],
            "count": [1, 2, 3],
            "share": pd.array([5, pd.NA, 7], dtype="Int64"),
            "flag": [True, False, True],
            "approved": pd.to_datetime(["2024-05-01", None, "2025-01-02"]),
            "tags": [["x", "y"], [], ["z"]],
        },
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 700), LineString([(X0, Y0), (X0 + 500, Y0 + 20)]),
                  Point(X0 + 3.3, Y0 + 4.4)],
        crs=WORKING_CRS,
    )
    return Layer("mixed", frame, Provenance("test", "drawn", {"width_m": 1.5, "ids": ("a", "b")}), "Mixed")


def test_as_exported_is_the_layer_read_back_from_its_file(layer: Layer, tmp_path: Path) -> None:
    read_back = read_layer(write_geojson(layer, tmp_path / "mixed.geojson"))
    fast = as_exported(layer)
    assert (fast.name, fast.title, fast.provenance) == (read_back.name, read_back.title, read_back.provenance)
    assert list(fast.frame.columns) == list(read_back.frame.columns)
    pd.testing.assert_frame_equal(fast.frame.drop(columns="geometry"), read_back.frame.drop(columns="geometry"),
                                  check_exact=True)
    assert (shapely.to_wkb(fast.frame.geometry.values) == shapely.to_wkb(read_back.frame.geometry.values)).all()


def test_as_exported_refuses_what_the_text_cannot_hold(layer: Layer) -> None:
    frame = layer.frame.copy()
    frame["area_ha"] = [1.0, np.inf, 2.0]
    with pytest.raises(LayerError, match=r"^layer mixed: feature id=a: infinite number"):
        as_exported(Layer("mixed", frame, layer.provenance))


def test_same_content_compares_what_the_export_holds(layer: Layer, tmp_path: Path) -> None:
    read_back = read_layer(write_geojson(layer, tmp_path / "mixed.geojson"))
    assert same_content(layer, read_back)
    below_export = layer.frame.copy()
    below_export["area_ha"] = [100.1234567, np.nan, 1_234_567.25]  # differs past 6 significant digits
    below_export.geometry = below_export.geometry.translate(0.001)  # 1 mm: below 6 decimals of a degree
    assert same_content(layer, Layer("mixed", below_export, layer.provenance))
    moved = layer.frame.copy()
    moved.geometry = moved.geometry.translate(1.0)
    assert not same_content(layer, Layer("mixed", moved, layer.provenance))
    renamed = layer.frame.copy()
    renamed["name"] = ["Жетысу", "new", "Core"]
    (change,) = compare_layers(LayerSet([layer]), LayerSet([Layer("mixed", renamed, layer.provenance)]))
    assert change.status == "changed"


def test_geometries_read_at_once_are_those_shape_makes_one_by_one() -> None:
    import json

    from shapely.geometry import shape

    from alatau_geo.core.geojson_geometry import geometries_from_json

    committed = sorted((Path(__file__).resolve().parents[1] / "layers").glob("*.geojson"))
    assert len(committed) >= 30
    for path in committed:
        objects = [feature["geometry"] for feature in json.loads(path.read_text(encoding="utf-8"))["features"]]
        made = geometries_from_json(objects)
        assert [shapely.to_wkb(g) for g in made] == [shapely.to_wkb(shape(o)) for o in objects], path.name
    # Holes, several parts, heights, and a ring left open (closed, as shape closes it).
    objects = [{"type": "MultiPolygon", "coordinates": [[[[0, 0], [4, 0], [4, 4], [0, 0]],
                                                         [[1, 1], [2, 1], [2, 2], [1, 1]]],
                                                        [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
               {"type": "LineString", "coordinates": [[0, 0, 10], [1, 1, 20]]},
               {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
               {"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]}]
    assert [g.wkt for g in geometries_from_json(objects)] == [shape(o).wkt for o in objects]
    # What this path leaves to shape(): collections, empty geometries, mixed dimensions, malformed objects.
    for left in ({"type": "GeometryCollection", "geometries": []}, {"type": "LineString", "coordinates": []},
                 {"type": "LineString", "coordinates": [[0, 0], [1, 1, 1]]}, {"type": "Point"},
                 {"type": "Polygon", "coordinates": 7}):
        with pytest.raises(ValueError):
            geometries_from_json([left])


def test_a_layer_with_geometries_shape_alone_reads_is_read_and_a_bad_one_is_named(tmp_path: Path) -> None:
    import json

    def collection(*geometries: dict) -> str:
        features = [{"type": "Feature", "id": f"f{n}", "properties": {}, "geometry": geometry}
                    for n, geometry in enumerate(geometries)]
        return json.dumps({"type": "FeatureCollection", "name": "wells", "title": "Wells",
                           "provenance": {"source": "test", "method": "test"}, "features": features})

    path = tmp_path / "wells.geojson"
    path.write_text(collection({"type": "Point", "coordinates": [77.0, 43.6]},
                               {"type": "GeometryCollection", "geometries": [
                                   {"type": "Point", "coordinates": [77.1, 43.6]}]}), encoding="utf-8")
    assert list(read_layer(path).frame.geometry.geom_type) == ["Point", "GeometryCollection"]
    path.write_text(collection({"type": "Point", "coordinates": [77.0, 43.6]},
                               {"type": "Point", "coordinates": ["east", 43.6]}), encoding="utf-8")
    with pytest.raises(LayerError, match=r"wells.geojson: feature 2: bad geometry"):
        read_layer(path)


def _geometry_bytes(prepared) -> list[bytes]:
    return shapely.to_wkb(prepared.frame.geometry.values).tolist()


def test_geometries_kept_between_exports_are_those_exported_afresh(tmp_path: Path) -> None:
    """A memo of exported geometries (the cache's, read back from its files) changes no bit of any export."""
    from alatau_geo.core.export_geometry import prepare_layer
    from alatau_geo.jobs.memo import ExportedMemo, FeatureMemo

    committed = [read_layer(path) for path in sorted((Path(__file__).resolve().parents[1] / "layers").glob("*.geojson"))
                 if path.stat().st_size < 400_000]
    assert len(committed) >= 20
    for layer in committed:
        fresh = prepare_layer(layer, precision=6)
        ExportedMemo(FeatureMemo(tmp_path))[layer.name] = {}
        written = prepare_layer(layer, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path)))
        read = prepare_layer(layer, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path)))
        assert _geometry_bytes(written) == _geometry_bytes(fresh) == _geometry_bytes(read), layer.name
        text = collection_text(fresh, precision=6)
        assert collection_text(written, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path))) == text
        assert collection_text(read, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path))) == text, layer.name
        assert len(ExportedMemo(FeatureMemo(tmp_path))[layer.name]) == len(set(shapely.to_wkb(
            layer.frame.geometry.values).tolist()))


def test_a_feature_changed_since_it_was_kept_is_exported_and_checked_again(layer: Layer) -> None:
    from alatau_geo.core.export_geometry import prepare_layer

    memo: dict = {}
    prepare_layer(layer, precision=6, memo=memo)
    moved = layer.frame.copy()
    moved.loc[moved["id"] == "c", "geometry"] = Point(X0 + 2000.0, Y0)
    edited = Layer("mixed", moved, layer.provenance)
    assert _geometry_bytes(prepare_layer(edited, precision=6, memo=memo)) == _geometry_bytes(
        prepare_layer(edited, precision=6))
    assert len(memo["mixed"]) == 3  # the memo holds this version: the old point is gone
    collection_text(prepare_layer(layer, precision=6), precision=6, memo=memo)
    assert collection_text(prepare_layer(edited, precision=6), precision=6, memo=memo) == collection_text(
        prepare_layer(edited, precision=6), precision=6)
    # At another precision nothing kept applies.
    assert _geometry_bytes(prepare_layer(edited, precision=3, memo=memo)) == _geometry_bytes(
        prepare_layer(edited, precision=3))
    bow_tie = moved.copy()
    bow_tie.loc[bow_tie["id"] == "b", "geometry"] = shapely.Polygon(
        [(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    with pytest.raises(LayerError, match=r"^layer mixed: feature id=b: invalid geometry \(Self-intersection"):
        prepare_layer(Layer("mixed", bow_tie, layer.provenance), precision=6, memo=memo)
    missing = moved.copy()
    missing.loc[missing["id"] == "a", "geometry"] = None
    with pytest.raises(LayerError, match=r"^layer mixed: feature id=a: empty geometry"):
        prepare_layer(Layer("mixed", missing, layer.provenance), precision=6, memo=memo)


def test_a_damaged_memo_of_exported_geometries_is_a_miss(tmp_path: Path, layer: Layer,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    from alatau_geo.core.export_geometry import prepare_layer
    from alatau_geo.jobs.memo import ExportedMemo, FeatureMemo

    prepare_layer(layer, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path)))
    (entry,) = tmp_path.glob("*.features")
    entry.write_bytes(entry.read_bytes()[:-5])
    again = prepare_layer(layer, precision=6, memo=ExportedMemo(FeatureMemo(tmp_path)))
    assert _geometry_bytes(again) == _geometry_bytes(prepare_layer(layer, precision=6))
    assert "damaged memo entry" in caplog.text
    assert len(ExportedMemo(FeatureMemo(tmp_path))["mixed"]) == 3  # written afresh


def test_a_ring_valid_in_the_file_stays_valid_in_the_working_crs(tmp_path: Path) -> None:
    """A vertex 0.1 m from an edge 28 km long, on the grid: valid in degrees, crossing once projected to UTM.

    An edit of the plan (Growing's band 4,401 m wide) exported the SEZ so, and the suitability's union of the
    city and the SEZ then failed with an internal error. Read back, the crossing is repaired (a sliver of a
    few millionths of the area); a geometry invalid in the file is left for the checks that name it.
    """
    ring = [(77.0, 43.5), (77.2, 43.7), (77.2, 43.8), (77.1, 43.600005), (77.0, 43.8)]
    bow_tie = [(77.0, 43.5), (77.1, 43.6), (77.1, 43.5), (77.0, 43.6)]
    features = [{"type": "Feature", "id": feature_id, "properties": {},
                 "geometry": {"type": "Polygon", "coordinates": [[*map(list, coords), list(coords[0])]]}}
                for feature_id, coords in (("pinched", ring), ("bow_tie", bow_tie))]
    path = tmp_path / "sez.geojson"
    provenance = {"source": "drawn for the test", "method": "by hand", "parameters": {}, "quality": "approximate"}
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "sez", "provenance": provenance,
                                "features": features}), "utf-8")
    pinched = shapely.Polygon(ring)
    assert pinched.is_valid
    assert not gpd.GeoSeries([pinched], crs="EPSG:4326").to_crs(WORKING_CRS).is_valid.any()  # the plain projection
    frame = read_layer(path).frame.set_index("id")
    assert frame.geometry["pinched"].is_valid and not frame.geometry["bow_tie"].is_valid
    plain = gpd.GeoSeries([pinched], crs="EPSG:4326").to_crs(WORKING_CRS).iloc[0]
    assert abs(frame.geometry["pinched"].area - plain.area) < 1e-5 * plain.area  # a sliver along 28 km
    # What failed: the union with another zone, on the layer as exported from the working CRS.
    layer = Layer("sez", frame.drop(index="bow_tie").reset_index(), Provenance("test", "drawn"))
    exported = as_exported(layer).frame.geometry.iloc[0]
    assert exported.is_valid
    assert shapely.union_all([exported, exported.buffer(-100.0)]).is_valid
