"""Tests of alatau_geo.core.validate: each problem kind and its one-line message."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.validate import Problem, validate_frame, validate_layer
from alatau_geo.plan.config import StudyArea

AREA = StudyArea(west=76.55, south=43.10, east=78.00, north=44.00)
# A self-crossing quadrilateral; GEOS reports the crossing at its centre.
BOWTIE = Polygon([(76.95, 43.41), (76.96, 43.42), (76.96, 43.41), (76.95, 43.42)])


def _clean_frame() -> gpd.GeoDataFrame:
    hole = box(77.005, 43.505, 77.01, 43.51).exterior.coords
    with_hole = Polygon(box(77.0, 43.5, 77.02, 43.52).exterior.coords, [hole])
    return gpd.GeoDataFrame(
        {"id": ["pk-0", "pk-1", "pk-2"], "name": ["Park", "Road", "Well"]},
        geometry=[with_hole, LineString([(76.9, 43.4), (77.1, 43.6)]), Point(77.3, 43.7)],
        crs=EXPORT_CRS,
    )


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, engine="pyogrio")
    return path


def _check(frame: gpd.GeoDataFrame, **options) -> list[str]:
    return [str(p) for p in validate_frame(frame, file="f.geojson", study_area=AREA, **options)]


def test_problem_is_one_line() -> None:
    problem = Problem("zones.geojson", "feature 3 (id=pk-2)", "invalid geometry (Self-intersection at 76.95 43.41)")
    assert str(problem) == "zones.geojson: feature 3 (id=pk-2): invalid geometry (Self-intersection at 76.95 43.41)"


def test_clean_files_have_no_problems(tmp_path: Path) -> None:
    frame = _clean_frame()
    assert validate_layer(_write(frame, tmp_path / "clean.geojson"), study_area=AREA) == []
    # A projected file is fine too: positions are checked after reprojection.
    projected = _write(frame.to_crs(WORKING_CRS), tmp_path / "clean.gpkg")
    assert validate_layer(projected, study_area=AREA) == []


def test_invalid_geometry_in_a_file(tmp_path: Path) -> None:
    frame = _clean_frame()
    frame.loc[2, "geometry"] = BOWTIE
    path = _write(frame, tmp_path / "zones.geojson")
    problems = validate_layer(path, study_area=AREA)
    assert [str(p) for p in problems] == [
        f"{path}: feature 3 (id=pk-2): invalid geometry (Self-intersection at 76.955 43.415)"
    ]
    message = "invalid geometry (Self-intersection at 76.955 43.415)"
    assert problems[0] == Problem(str(path), "feature 3 (id=pk-2)", message)


def test_swapped_longitude_latitude() -> None:
    frame = _clean_frame()
    frame.loc[2, "geometry"] = Point(43.7, 77.3)
    assert _check(frame) == ["f.geojson: feature 3 (id=pk-2): longitude and latitude look swapped"]


def test_positions_outside_the_study_area() -> None:
    frame = _clean_frame()
    frame.loc[0, "geometry"] = Point(80.0, 43.5)
    frame.loc[2, "geometry"] = Point(78.4, 43.5)  # within the 0.5 degree margin
    assert _check(frame) == ["f.geojson: feature 1 (id=pk-0): outside the study area (80, 43.5)"]


def test_projected_positions_outside_the_study_area() -> None:
    frame = _clean_frame().to_crs(WORKING_CRS)
    frame.loc[1, "geometry"] = Point(200_000, 4_820_000)  # about 71.3 E
    (message,) = _check(frame)
    assert message.startswith("f.geojson: feature 2 (id=pk-1): outside the study area (71.")


def test_missing_and_empty_geometries() -> None:
    frame = _clean_frame()
    frame.loc[0, "geometry"] = None
    frame.loc[1, "geometry"] = Polygon()
    assert _check(frame) == [
        "f.geojson: feature 1 (id=pk-0): missing geometry",
        "f.geojson: feature 2 (id=pk-1): empty geometry",
    ]


def test_null_geometry_read_from_a_file(tmp_path: Path) -> None:
    frame = _clean_frame()
    frame.loc[1, "geometry"] = None
    path = _write(frame, tmp_path / "nulls.geojson")
    assert [str(p) for p in validate_layer(path, study_area=AREA)] == [f"{path}: feature 2 (id=pk-1): missing geometry"]


def test_missing_required_attributes() -> None:
    frame = _clean_frame()
    frame.loc[0, "name"] = None
    frame.loc[2, "name"] = "  "
    assert _check(frame, required=("id", "name", "kind")) == [
        "f.geojson: layer: missing required attribute 'kind'",
        "f.geojson: feature 1 (id=pk-0): missing value for required attribute 'name'",
        "f.geojson: feature 3 (id=pk-2): missing value for required attribute 'name'",
    ]


def test_missing_id_values_are_reported_without_an_id_label() -> None:
    frame = _clean_frame()
    frame.loc[1, "id"] = None
    assert _check(frame) == ["f.geojson: feature 2: missing value for required attribute 'id'"]


def test_duplicate_ids_each_named() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "a", "a"], "name": ["w", "x", "y", "z"]},
        geometry=[Point(77.0, 43.5)] * 4,
        crs=EXPORT_CRS,
    )
    assert _check(frame) == [
        "f.geojson: feature 3 (id=a): duplicate id a (first used by feature 1)",
        "f.geojson: feature 4 (id=a): duplicate id a (first used by feature 1)",
    ]


def test_missing_crs(tmp_path: Path) -> None:
    frame = _clean_frame().set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # the case under test
        path = _write(frame[frame.geom_type == "Point"], tmp_path / "no_prj.shp")
    assert not path.with_suffix(".prj").exists()
    assert [str(p) for p in validate_layer(path, study_area=AREA)] == [
        f"{path}: layer: no coordinate reference system; set one (e.g. EPSG:4326 for longitude, latitude)"
    ]


def test_geographic_crs_other_than_wgs84() -> None:
    frame = _clean_frame().set_crs("EPSG:4284", allow_override=True)  # Pulkovo 1942
    assert _check(frame) == [
        "f.geojson: layer: CRS EPSG:4284 (Pulkovo 1942) is geographic but not WGS84; reproject it to EPSG:4326"
    ]


def test_crs_neither_geographic_nor_projected() -> None:
    frame = _clean_frame().set_crs("EPSG:4978", allow_override=True)  # geocentric
    assert _check(frame) == [
        "f.geojson: layer: CRS EPSG:4978 (WGS 84) is neither WGS84 longitude, latitude nor projected"
    ]


def test_position_outside_the_domain_of_the_crs() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["in", "beyond"], "name": ["a", "b"]},
        geometry=[Point(0, 0), Point(1e7, 1e7)],  # the second lies off the globe
        crs="+proj=ortho +lat_0=43.5 +lon_0=77 +ellps=WGS84",
    )
    assert _check(frame) == [
        "f.geojson: feature 2 (id=beyond): position cannot be converted to WGS84 from the file's CRS"
    ]


def test_unreadable_files_give_one_problem(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.geojson"
    corrupt.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (problem,) = validate_layer(corrupt, study_area=AREA)
    assert problem.feature == "layer"
    assert str(problem).startswith(f"{corrupt}: layer: cannot read layer file (")
    kml = tmp_path / "roads.kml"
    kml.write_text("<kml/>", encoding="utf-8")
    (problem,) = validate_layer(kml, study_area=AREA)
    assert str(problem) == f"{kml}: layer: unknown layer file type '.kml'; use one of .geojson, .json, .gpkg, .shp"
    missing = f"{tmp_path}/./missing.gpkg"  # as the user typed it
    assert [str(p) for p in validate_layer(missing, study_area=AREA)] == [f"{missing}: layer: layer file not found"]


def test_gpkg_layer_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    frame = _clean_frame()
    frame.to_file(path, layer="good", engine="pyogrio")
    broken = frame.copy()
    broken.loc[0, "geometry"] = BOWTIE
    broken.to_file(path, layer="broken", engine="pyogrio")
    (problem,) = validate_layer(path, study_area=AREA)
    assert "holds several layers (good, broken); choose one with --layer NAME" in str(problem)
    assert validate_layer(path, study_area=AREA, layer="good") == []
    assert [p.feature for p in validate_layer(path, study_area=AREA, layer="broken")] == ["feature 1 (id=pk-0)"]


def test_problems_come_file_level_first_then_by_feature() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "a"]},
        geometry=[BOWTIE, Point(80.0, 43.5), Point(43.5, 77.0)],
        crs=EXPORT_CRS,
    )
    assert _check(frame) == [
        "f.geojson: layer: missing required attribute 'name'",
        "f.geojson: feature 1 (id=a): invalid geometry (Self-intersection at 76.955 43.415)",
        "f.geojson: feature 2 (id=b): outside the study area (80, 43.5)",
        "f.geojson: feature 3 (id=a): longitude and latitude look swapped",
        "f.geojson: feature 3 (id=a): duplicate id a (first used by feature 1)",
    ]
