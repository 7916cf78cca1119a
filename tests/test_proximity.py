"""Straight-line proximity on hand-checkable layouts: 3-4-5 triangles, squares, discs."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis.coverage import coverage, settlements_outside, uncovered_by_district
from alatau_geo.analysis.nearest import _nearest_scan, _nearest_tree, nearest_by_kind, nearest_facility
from alatau_geo.analysis.proximity import city_grid, coverage_layers, proximity_tables
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import CRSError, LayerError, PlanError
from alatau_geo.core.layers import Layer, LayerSet, Provenance

X0, Y0 = 660_000.0, 4_820_000.0  # on the Alatau plain, UTM 43N
P = Provenance(source="test", method="test", quality="derived")


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)


def points(*xy: tuple[float, float], index: list | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in xy], index=index, crs=WORKING_CRS)


def facility(id_: str, x: float, y: float, kind: str = "substation") -> dict:
    return {"id": id_, "kind": kind, "geometry": Point(X0 + x, Y0 + y)}


# --------------------------------------------------------------------------- nearest facility


def test_nearest_facility_on_3_4_5_triangles():
    facilities = frame([facility("far", 10_000, 10_000), facility("near", 0, 0)])
    result = nearest_facility(points((3, 4), (300, -400), (-3_000, 4_000)), facilities)
    assert list(result.columns) == ["facility_id", "distance_m"]
    assert list(result["facility_id"]) == ["near", "near", "near"]
    np.testing.assert_allclose(result["distance_m"], [5.0, 500.0, 5_000.0], rtol=0, atol=1e-9)


def test_nearest_facility_keeps_the_index_of_the_points():
    facilities = frame([facility("a", 0, 0)])
    pts = points((0, 5), (12, 0), index=["x", "y"])
    named = gpd.GeoDataFrame({"name": ["p", "q"]}, index=pts.index, geometry=pts)
    result = nearest_facility(named, facilities)
    assert list(result.index) == ["x", "y"]
    assert result.loc["y", "distance_m"] == pytest.approx(12.0)


def test_ties_go_to_the_lowest_id_whatever_the_row_order():
    # (0, 0) is 5 m from all three facilities; the lowest id wins.
    rows = [facility("c", 3, 4), facility("a", -3, -4), facility("b", 4, -3)]
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        facilities = frame([rows[i] for i in order])
        result = nearest_facility(points((0, 0), (3, 5)), facilities)
        assert list(result["facility_id"]) == ["a", "c"]
        assert result["distance_m"].iloc[0] == pytest.approx(5.0)


def test_ties_between_facilities_at_the_same_position():
    facilities = frame([facility("z", 0, 0), facility("m", 0, 0), facility("q", 100, 0)])
    result = nearest_facility(points((3, 4)), facilities)
    assert result["facility_id"].iloc[0] == "m"


@pytest.mark.parametrize("count", [30, 150])  # a scan below SCAN_MAX_VERTICES, a tree above
def test_nearest_facility_matches_brute_force_with_ties(count):
    rng = np.random.default_rng(7)
    # Integer coordinates on a coarse lattice make many exact ties.
    fxy = rng.integers(0, 20, size=(count, 2)) * 100.0
    ids = [f"f{i:03d}" for i in rng.permutation(count)]
    facilities = frame([{"id": i, "geometry": Point(X0 + x, Y0 + y)} for i, (x, y) in zip(ids, fxy, strict=False)])
    pxy = rng.integers(0, 40, size=(5_000, 2)) * 50.0
    result = nearest_facility(gpd.GeoSeries(shapely.points(pxy + [X0, Y0]), crs=WORKING_CRS), facilities)
    distances = np.hypot(pxy[:, None, 0] - fxy[None, :, 0], pxy[:, None, 1] - fxy[None, :, 1])
    best = distances.min(axis=1)
    expected = [
        min(i for i, d in zip(ids, row, strict=False) if d == b) for row, b in zip(distances, best, strict=False)
    ]
    np.testing.assert_allclose(result["distance_m"], best, rtol=1e-12, atol=1e-9)
    assert list(result["facility_id"]) == expected


def test_scan_and_tree_give_the_same_answer():
    rng = np.random.default_rng(3)
    owner = np.sort(rng.integers(0, 40, size=300))
    vertices = rng.integers(0, 30, size=(300, 2)) * 10.0 + [X0, Y0]
    xy = rng.integers(-5, 65, size=(20_000, 2)) * 5.0 + [X0, Y0]
    scan_distance, scan_owner = _nearest_scan(vertices, owner, xy)
    tree_distance, tree_owner = _nearest_tree(vertices, owner, xy, workers=1)
    np.testing.assert_allclose(scan_distance, tree_distance, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(scan_owner, tree_owner)


def test_line_facilities_are_measured_to_densified_vertices():
    line = {"id": "road", "kind": "road", "geometry": LineString([(X0, Y0), (X0 + 1_000, Y0)])}
    result = nearest_facility(points((333, 40), (-30, 40)), frame([line]), densify_m=10.0)
    true = [40.0, 50.0]
    assert (result["distance_m"].to_numpy() >= np.array(true) - 1e-9).all()
    assert (result["distance_m"].to_numpy() <= np.array(true) + 5.0).all()
    assert result["distance_m"].iloc[1] == pytest.approx(50.0)


def test_non_point_input_is_measured_from_its_representative_point():
    facilities = frame([facility("a", 0, 0)])
    square = gpd.GeoSeries([box(X0 + 290, Y0 + 390, X0 + 310, Y0 + 410)], crs=WORKING_CRS)
    result = nearest_facility(square, facilities)
    assert result["distance_m"].iloc[0] == pytest.approx(500.0, abs=15.0)


def test_empty_facility_layer_is_a_one_line_error():
    empty = frame([facility("a", 0, 0)]).iloc[:0]
    with pytest.raises(LayerError, match="substations: no facilities") as caught:
        nearest_facility(points((0, 0)), empty, what="substations")
    assert "\n" not in str(caught.value)


def test_missing_point_geometry_is_an_error_naming_the_row():
    pts = gpd.GeoSeries([Point(X0, Y0), None, Point()], index=["ok", "none", "empty"], crs=WORKING_CRS)
    with pytest.raises(LayerError, match="row\\(s\\) none, empty"):
        nearest_facility(pts, frame([facility("a", 0, 0)]))


def test_no_points_give_an_empty_table():
    result = nearest_facility(points(), frame([facility("a", 0, 0)]))
    assert list(result.columns) == ["facility_id", "distance_m"] and len(result) == 0


def test_polygon_facilities_are_refused():
    facilities = frame([{"id": "p", "geometry": box(X0, Y0, X0 + 10, Y0 + 10)}])
    with pytest.raises(LayerError, match="points or lines"):
        nearest_facility(points((0, 0)), facilities)


def test_crs_mismatch_names_both_crss():
    pts = points((0, 0)).to_crs(EXPORT_CRS)
    with pytest.raises(CRSError) as caught:
        nearest_facility(pts, frame([facility("a", 0, 0)]))
    assert "EPSG:4326" in str(caught.value) and "EPSG:32643" in str(caught.value)
    with pytest.raises(CRSError, match="EPSG:4326.*EPSG:32643"):
        nearest_facility(pts, frame([facility("a", 0, 0)]).to_crs(EXPORT_CRS))
    with pytest.raises(CRSError, match="no coordinate reference system"):
        nearest_facility(points((0, 0)).set_crs(None, allow_override=True), frame([facility("a", 0, 0)]))


# --------------------------------------------------------------------------- nearest by kind


def test_nearest_by_kind_gives_two_columns_per_kind():
    facilities = frame([facility("s1", 0, 0), facility("w1", 30, 40, kind="water_intake")])
    result = nearest_by_kind(points((3, 4)), facilities, kinds=["substation", "water_intake"])
    assert list(result.columns) == ["substation_id", "substation_distance_m", "water_intake_id",
                                    "water_intake_distance_m"]
    assert result.loc[0, "substation_distance_m"] == pytest.approx(5.0)
    assert result.loc[0, "water_intake_distance_m"] == pytest.approx(45.0)
    assert result.attrs["warnings"] == []


def test_a_kind_without_facilities_raises_by_default():
    facilities = frame([facility("s1", 0, 0)])
    with pytest.raises(LayerError, match="no facilities of kind water_intake"):
        nearest_by_kind(points((3, 4)), facilities, kinds=["substation", "water_intake"])


def test_a_kind_without_facilities_can_be_left_empty_with_a_warning():
    facilities = frame([facility("s1", 0, 0)])
    with pytest.warns(UserWarning, match="no facilities of kind water_intake"):
        result = nearest_by_kind(points((3, 4)), facilities, kinds=["substation", "water_intake"],
                                           on_missing="warn")
    assert result["water_intake_distance_m"].isna().all()
    assert result["water_intake_distance_m"].dtype == "Float64"
    assert len(result.attrs["warnings"]) == 1
    assert result.loc[0, "substation_distance_m"] == pytest.approx(5.0)


# --------------------------------------------------------------------------- grid


def test_grid_of_a_1_km_square_at_100_m():
    grid = city_grid(box(X0, Y0, X0 + 1_000, Y0 + 1_000), cell_m=100)
    assert len(grid) == 100
    assert grid["cell_area_ha"].sum() == pytest.approx(100.0)
    assert list(grid["cell_id"]) == list(range(100))
    assert grid.crs == WORKING_CRS
    first, last = grid.geometry.iloc[0], grid.geometry.iloc[-1]
    assert (first.x, first.y) == (X0 + 50, Y0 + 950)  # north-west first, raster order
    assert (last.x, last.y) == (X0 + 950, Y0 + 50)
    assert (np.diff(grid.geometry.y) <= 0).all()


def test_grid_is_aligned_to_multiples_of_the_cell_size():
    grid = city_grid(box(X0 + 50, Y0, X0 + 1_050, Y0 + 1_000), cell_m=100)
    assert len(grid) == 90  # centres on the west and east edges are out
    assert set(np.round(grid.geometry.x % 100, 6)) == {50.0}
    default = city_grid(gpd.GeoSeries([box(X0, Y0, X0 + 500, Y0 + 200)], crs=WORKING_CRS))
    assert len(default) == 10 and default["cell_area_ha"].iloc[0] == pytest.approx(1.0)


@pytest.mark.parametrize("cell_m", [0, -5, float("nan"), float("inf")])
def test_grid_refuses_a_bad_cell_size(cell_m):
    with pytest.raises(ValueError, match="cell_m"):
        city_grid(box(X0, Y0, X0 + 1_000, Y0 + 1_000), cell_m=cell_m)


# --------------------------------------------------------------------------- coverage


def two_districts() -> gpd.GeoDataFrame:
    return frame([
        {"id": "a", "geometry": box(X0, Y0, X0 + 2_000, Y0 + 2_000)},          # 400 ha
        {"id": "b", "geometry": box(X0 + 2_000, Y0, X0 + 4_000, Y0 + 2_000)},  # 400 ha
    ])


def test_coverage_of_one_facility_is_its_disc():
    covered = coverage(frame([facility("s1", 0, 0)]), radii_m={"substation": 3_000.0})
    assert list(covered["id"]) == ["substation"]
    assert covered.loc[0, "facility_count"] == 1 and covered.loc[0, "facility_ids"] == "s1"
    area = covered.geometry.iloc[0].area
    assert area == pytest.approx(math.pi * 3_000**2, rel=0.005)
    assert area == pytest.approx(math.pi * 3_000**2, rel=2e-4)  # 256-gon


def test_uncovered_area_per_district_known_by_construction():
    # A 500 m disc in the middle of district a (78.54 ha), and a quarter disc
    # of 1 km in the south-east corner of district b (78.54 ha).
    facilities = frame([facility("s1", 1_000, 1_000), facility("s2", 4_000, 0)])
    covered = coverage(facilities, radii_m={"substation": 500.0})
    assert covered.geometry.iloc[0].area == pytest.approx(2 * math.pi * 500**2, rel=0.005)
    table = uncovered_by_district(two_districts(), covered).set_index("district")
    assert list(table.columns) == ["kind", "area_ha", "covered_ha", "uncovered_ha", "uncovered_pct"]
    disc_ha = math.pi * 500**2 / 10_000
    quarter_ha = disc_ha / 4
    assert table.loc["a", "area_ha"] == pytest.approx(400.0, rel=1e-3)
    assert table.loc["a", "covered_ha"] == pytest.approx(disc_ha, rel=0.005)
    assert table.loc["a", "uncovered_ha"] == pytest.approx(400.0 - disc_ha, rel=1e-3)
    assert table.loc["b", "covered_ha"] == pytest.approx(quarter_ha, rel=0.005)
    assert table.loc["b", "uncovered_pct"] == pytest.approx(100 * (400 - quarter_ha) / 400, rel=1e-3)
    assert (table["covered_ha"] + table["uncovered_ha"]).to_numpy() == pytest.approx(table["area_ha"].to_numpy())


def test_uncovered_rows_per_district_and_kind():
    facilities = frame([facility("s1", 1_000, 1_000), facility("w1", 3_000, 1_000, kind="water_intake")])
    covered = coverage(facilities, radii_m={"substation": 500.0, "water_intake": 10_000.0})
    table = uncovered_by_district(two_districts(), covered)
    assert list(zip(table["district"], table["kind"], strict=False)) == [
        ("a", "substation"), ("b", "substation"), ("a", "water_intake"), ("b", "water_intake")]
    assert table["uncovered_pct"].iloc[1] == pytest.approx(100.0)
    assert table["uncovered_ha"].iloc[2:].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-6)


def test_coverage_needs_a_radius_for_every_kind():
    with pytest.raises(PlanError, match="no radius for kind 'road'"):
        coverage(frame([facility("s1", 0, 0)]), radii_m={"substation": 1.0}, kinds=["road"])
    with pytest.raises(PlanError, match="positive"):
        coverage(frame([facility("s1", 0, 0)]), radii_m={"substation": -1.0})


def test_coverage_of_a_kind_without_facilities():
    facilities = frame([facility("s1", 0, 0)])
    radii = {"substation": 500.0, "water_intake": 1_000.0}
    with pytest.raises(LayerError, match="water_intake"):
        coverage(facilities, radii_m=radii)
    with pytest.warns(UserWarning, match="water_intake"):
        covered = coverage(facilities, radii_m=radii, on_missing="warn")
    assert covered.geometry.iloc[1].is_empty and covered.loc[1, "facility_count"] == 0
    table = uncovered_by_district(two_districts(), covered)
    assert table.loc[table["kind"] == "water_intake", "uncovered_pct"].to_numpy() == pytest.approx([100.0, 100.0])
    places = frame([{"id": "v", "name_en": "V", "kind": "village", "geometry": Point(X0, Y0 + 3_000)}])
    outside = settlements_outside(places, covered)
    row = outside.set_index("kind").loc["water_intake"]
    assert pd.isna(row["distance_m"]) and outside.attrs["warnings"]


def test_empty_facility_layer_in_coverage_is_a_one_line_error():
    with pytest.raises(LayerError, match="facilities: no facilities") as caught:
        coverage(frame([facility("s1", 0, 0)]).iloc[:0], radii_m={"substation": 500.0})
    assert "\n" not in str(caught.value)


def test_settlements_outside_the_service_radius():
    places = frame([
        {"id": "in", "name_en": "Inside", "kind": "village", "geometry": Point(X0 + 300, Y0 + 400)},
        {"id": "out", "name_en": "Outside", "kind": "town", "geometry": Point(X0 + 3_000, Y0 + 4_000)},
        {"id": "air", "name_en": "Airport", "kind": "airport", "geometry": Point(X0 + 30_000, Y0)},
    ])
    covered = coverage(frame([facility("s1", 0, 0)]), radii_m={"substation": 1_000.0})
    outside = settlements_outside(places, covered)
    assert list(outside.columns) == ["place_id", "name_en", "place_kind", "kind", "radius_m", "gap_m", "distance_m"]
    assert list(outside["place_id"]) == ["out"]
    assert outside["distance_m"].iloc[0] == pytest.approx(5_000.0, abs=1000 * 7.6e-5)
    assert outside["gap_m"].iloc[0] == pytest.approx(4_000.0, abs=0.1)
    everything = settlements_outside(places, covered, place_kinds=None)
    assert list(everything["place_id"]) == ["out", "air"]


def test_coverage_crs_mismatch_names_both_crss():
    covered = coverage(frame([facility("s1", 0, 0)]), radii_m={"substation": 500.0})
    with pytest.raises(CRSError, match="EPSG:4326.*EPSG:32643|EPSG:32643.*EPSG:4326"):
        uncovered_by_district(two_districts().to_crs(EXPORT_CRS), covered)


# --------------------------------------------------------------------------- report tables and layers


def layer_set() -> LayerSet:
    def layer(name: str, rows: list[dict]) -> Layer:
        return Layer(name, frame(rows), P)

    return LayerSet([
        layer("districts", [{"id": "a", "geometry": box(X0, Y0, X0 + 2_000, Y0 + 2_000)},
                            {"id": "b", "geometry": box(X0 + 2_000, Y0, X0 + 4_000, Y0 + 2_000)}]),
        layer("city_boundary", [{"id": "city", "geometry": box(X0, Y0, X0 + 4_000, Y0 + 2_000)}]),
        layer("places", [{"id": "v", "name_en": "V", "kind": "village", "geometry": Point(X0 + 3_500, Y0 + 1_000)}]),
        layer("infrastructure", [facility("s1", 1_000, 1_000),
                                 facility("w1", 2_000, 1_000, kind="water_intake")]),
        layer("infrastructure_lines", [{"id": "r1", "kind": "road",
                                        "geometry": LineString([(X0, Y0), (X0 + 4_000, Y0)])}]),
        layer("projects", [{"id": "p1", "name_en": "P", "jobs": 10, "geometry": Point(X0 + 1_000, Y0 + 1_300)}]),
    ])


def test_proximity_tables():
    radii = {"substation": 500.0, "water_intake": 10_000.0}
    tables = proximity_tables(layer_set(), radii_m=radii, cell_m=100.0)
    assert set(tables) == {"nearest_places", "nearest_projects", "nearest_grid", "grid_summary",
                           "uncovered_by_district", "settlements_outside"}
    places = tables["nearest_places"].set_index("id")
    assert places.loc["v", "substation_distance_m"] == pytest.approx(2_500.0)
    assert places.loc["v", "road_distance_m"] == pytest.approx(1_000.0)
    assert tables["nearest_projects"].loc[0, "substation_distance_m"] == pytest.approx(300.0)
    assert len(tables["nearest_grid"]) == 800
    summary = tables["grid_summary"].set_index("kind")
    assert list(summary.index) == ["substation", "water_intake", "road"]
    assert summary.loc["water_intake", "within_radius_pct"] == pytest.approx(100.0)
    assert pd.isna(summary.loc["road", "within_radius_pct"])
    uncovered = tables["uncovered_by_district"]
    assert list(uncovered["district"].unique()) == ["a", "b", "city"]
    assert list(tables["settlements_outside"]["kind"]) == ["substation"]


def test_coverage_layers_for_export():
    radii = {"substation": 500.0, "water_intake": 10_000.0}
    layers = coverage_layers(layer_set(), radii_m=radii)
    assert list(layers) == ["coverage", "coverage_gaps"]
    assert all(layer.provenance.quality == "approximate" for layer in layers.values())
    assert layers["coverage"].provenance.parameters == {"service_radii_m.substation": 500.0,
                                                         "service_radii_m.water_intake": 10_000.0}
    gaps = layers["coverage_gaps"].frame
    assert list(gaps["id"]) == ["substation"]  # the water intake covers the whole city: no gap feature
    assert gaps["area_ha"].iloc[0] == pytest.approx(800 - math.pi * 25, rel=1e-3)


def test_proximity_needs_the_infrastructure_layer():
    layers = LayerSet([layer for name, layer in layer_set().items() if not name.startswith("infrastructure")])
    with pytest.raises(LayerError, match="no 'infrastructure' layer"):
        proximity_tables(layers, radii_m={"substation": 500.0})


def test_proximity_tables_report_a_kind_without_facilities():
    radii = {"substation": 500.0, "wastewater_plant": 5_000.0}
    with pytest.raises(LayerError, match="wastewater_plant"):
        proximity_tables(layer_set(), radii_m=radii)
    with pytest.warns(UserWarning, match="no facilities of kind wastewater_plant"):
        tables = proximity_tables(layer_set(), radii_m=radii, on_missing="warn")
    assert all(len(table.attrs["warnings"]) == 1 for table in tables.values())
    uncovered = tables["uncovered_by_district"].set_index(["district", "kind"])
    assert uncovered.loc[("city", "wastewater_plant"), "uncovered_pct"] == pytest.approx(100.0)
