"""Infrastructure and project catalogues, rule-based placement and the placement report.

The synthetic world (EPSG:32643, metres), small enough to check by hand:

- DEM of 100 m cells over x 500-506 km, y 4794-4800 km: a plain at 500 m; east
  of x = 504 km a slope rising 0.5 m per metre (26.6°); a low shore at 476 m
  for y 4794.5-4795.5 km; the reservoir at 475 m south of y = 4794.5 km.
- Districts: ``gate`` (plain, x 500-503 km, y 4797-4800 km), ``green``
  (x 500-503 km, y 4794.5-4797 km, its southern 1 km on the low shore) and
  ``golden`` (x 504.5-506 km, all on the steep slope).
- A water protection strip 200 m wide along x = 501 km through ``gate``,
  a corridor ``c1`` along x = 503.5 km, places ``west`` and ``east`` either
  side of the strip.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import Transformer

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import LayerError, TableError
from alatau_geo.core.layers import Layer
from alatau_geo.core.raster import Raster
from alatau_geo.plan.catalogues import INFRASTRUCTURE_COLUMNS, load_catalogues, packaged_catalogue, read_catalogue
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.placement import place_objects
from alatau_geo.plan.placement_context import MIN_SPACING_M, PlacementContext
from alatau_geo.plan.placement_report import REPORT_COLUMNS, placement_report, report_markdown
from alatau_geo.reference.gazetteer import CORRIDOR_COLUMNS, PLACE_COLUMNS, packaged_table, read_table
from alatau_geo.reference.terrain import slope

REPO = Path(__file__).resolve().parents[1]
TO_WGS84 = Transformer.from_crs(WORKING_CRS, EXPORT_CRS, always_xy=True)

HEADER = ",".join(INFRASTRUCTURE_COLUMNS)
BASIS = "test object; a planning assumption"
FULL = "in_district;outside_strips;max_slope;above_flood"


#: The cells of a test row a call may set (``_row("a", kind="road")``), and their defaults.
ROW_CELLS = {
    "kind": "substation", "works": "new", "district": "gate", "geometry_kind": "point", "placement": "rule",
    "rules": FULL, "via": "", "lon": "", "lat": "",
}


def _row(id_: str, **cells: str) -> str:
    unknown = sorted(set(cells) - set(ROW_CELLS))
    if unknown:
        raise TypeError(f"_row: unknown cell(s) {', '.join(unknown)}")
    row = {**ROW_CELLS, **cells}
    return ",".join([
        id_, f"Object {id_}", f"{id_} нысаны", f"Объект {id_}", row["kind"], row["works"], row["district"],
        row["geometry_kind"], row["placement"], row["rules"], row["via"], row["lon"], row["lat"],
        "planned", "EPC+F", "approximate", BASIS,
    ])


def _lonlat(x: float, y: float) -> tuple[str, str]:
    lon, lat = TO_WGS84.transform(x, y)
    return f"{lon:.7f}", f"{lat:.7f}"


@pytest.fixture(scope="module")
def context() -> PlacementContext:
    cell = 100.0
    xs = 500_000 + (np.arange(60) + 0.5) * cell
    ys = 4_800_000 - (np.arange(60) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    dem = np.where(gx >= 504_000, 500 + 0.5 * (gx - 504_000), 500.0)
    dem = np.where(gy < 4_795_500, 476.0, dem)
    dem = np.where(gy < 4_794_500, 475.0, dem)
    elevation = Raster(dem.astype(np.float32), Affine(cell, 0, 500_000, 0, -cell, 4_800_000), WORKING_CRS)

    def frame(rows: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)

    plan = load_plan()
    analysis = dataclasses.replace(plan.analysis, max_buildable_slope_deg=8.0, flood_freeboard_m=3.0,
                                   placement_grid_m=250.0)
    return PlacementContext(
        districts=frame([
            {"id": "gate", "geometry": shapely.box(500_000, 4_797_000, 503_000, 4_800_000)},
            {"id": "green", "geometry": shapely.box(500_000, 4_794_500, 503_000, 4_797_000)},
            {"id": "golden", "geometry": shapely.box(504_500, 4_796_000, 506_000, 4_800_000)},
        ]),
        corridors=frame([{"id": "c1", "geometry": shapely.LineString([(503_500, 4_794_000), (503_500, 4_800_000)])}]),
        places=frame([
            {"id": "west", "geometry": shapely.Point(500_500, 4_798_000)},
            {"id": "east", "geometry": shapely.Point(502_500, 4_798_000)},
        ]),
        water_protection_strip=frame([
            {"id": "test_strip", "water_body": "Test river",
             "geometry": shapely.box(500_900, 4_797_000, 501_100, 4_800_000)},
        ]),
        reservoir=frame([{"id": "reservoir", "geometry": shapely.box(500_000, 4_794_000, 506_000, 4_794_500)}]),
        elevation=elevation,
        slope=slope(elevation),
        analysis=analysis,
        reservoir_level_m=475.0,
    )


def _catalogue(tmp_path: Path, rows: list[str]) -> pd.DataFrame:
    path = tmp_path / "infrastructure.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return read_catalogue(path, kind="infrastructure")


@pytest.fixture
def placed(tmp_path: Path, context: PlacementContext) -> dict[str, Layer]:
    in_strip = _lonlat(501_000, 4_798_500)
    rows = [
        _row("steep_ss", district="golden", rules="in_district;max_slope"),
        _row("given_ss", placement="given", lon=in_strip[0], lat=in_strip[1], works="reconstruction"),
        _row("ww_green", kind="wastewater_plant", district="green"),
        _row("ss_gate_1"),
        _row("ss_gate_2"),
        _row("ss_corridor", rules="in_district;near_corridor;outside_strips", via="corridor:c1"),
        _row("rd_cross", kind="road", district="", geometry_kind="line", rules="outside_strips;max_slope;above_flood",
             via="west;east"),
        _row("rd_access", kind="road", geometry_kind="line", rules="above_flood", via="corridor:c1;district:gate"),
    ]
    return place_objects(_catalogue(tmp_path, rows), context)


def _by_id(layer: Layer) -> pd.DataFrame:
    return layer.frame.set_index("id")


# --------------------------------------------------------------------------- placement, known answers


def test_an_all_steep_district_breaks_max_slope(placed):
    steep = _by_id(placed["infrastructure"]).loc["steep_ss"]
    assert steep["broken_rules"] == "max_slope"
    assert shapely.box(504_500, 4_796_000, 506_000, 4_800_000).contains(steep.geometry)


def test_a_given_position_inside_a_strip_breaks_outside_strips(placed, context):
    given = _by_id(placed["infrastructure"]).loc["given_ss"]
    assert given["placement"] == "given"
    assert given["broken_rules"] == "outside_strips"
    assert given.geometry.distance(shapely.Point(501_000, 4_798_500)) < 0.01
    report = placement_report(placed["infrastructure"], context)
    row = report[(report["id"] == "given_ss") & (report["rule"] == "outside_strips")].iloc[0]
    assert not row["ok"] and row["detail"] == "inside the water protection strip of Test river"


def test_rule_placed_objects_satisfy_all_rules_when_they_can(placed, context):
    frame = _by_id(placed["infrastructure"])
    for object_id in ("ww_green", "ss_gate_1", "ss_gate_2", "ss_corridor"):
        assert frame.loc[object_id, "broken_rules"] == "", object_id
        assert frame.loc[object_id, "position_quality"] == "approximate"
    # Green's southern kilometre is low shore (476 m < 478 m): the plant stands on the plain.
    assert frame.loc["ww_green"].geometry.y >= 4_795_500
    # Rule-placed points lie on the 250 m grid and keep 1 km from each other.
    points = frame[frame["placement"] == "rule"].geometry
    assert all(p.x % 250 == 0 and p.y % 250 == 0 for p in points)
    assert frame.loc["ss_gate_1"].geometry.distance(frame.loc["ss_gate_2"].geometry) >= MIN_SPACING_M
    # near_corridor pulls the point to the district edge nearest c1 (x = 503.5 km): the last grid column.
    assert frame.loc["ss_corridor"].geometry.x == 502_750
    report = placement_report(placed["infrastructure"], context)
    assert report[~report["id"].isin(["given_ss", "steep_ss"])]["ok"].all()
    checks = report.set_index(["id", "rule"])
    assert checks.loc[("ww_green", "above_flood"), "detail"] == \
        "elevation 500.0 m ≥ 478 m flood level (reservoir maximum 475 m + 3 m freeboard)"
    assert checks.loc[("ss_corridor", "near_corridor"), "detail"] == "750 m from corridor c1 ≤ 2.0 km"
    assert checks.loc[("steep_ss", "max_slope"), "detail"] == "slope 26.6° > 8°"


def test_lines_follow_their_stops_and_report_strip_crossings(placed, context):
    lines = _by_id(placed["infrastructure_lines"])
    crossing = lines.loc["rd_cross"]
    assert list(crossing.geometry.coords) == [(500_500, 4_798_000), (502_500, 4_798_000)]
    assert crossing["broken_rules"] == "outside_strips"
    assert crossing["length_km"] == 2.0
    access = lines.loc["rd_access"].geometry
    assert access.coords[0][0] == 503_500  # snapped onto the corridor
    gate_centre = shapely.box(500_000, 4_797_000, 503_000, 4_800_000).representative_point()
    assert shapely.Point(access.coords[-1]).distance(gate_centre) < 1e-6
    report = placement_report(placed["infrastructure_lines"], context)
    detail = report.set_index(["id", "rule"]).loc[("rd_cross", "outside_strips"), "detail"]
    assert detail.startswith("crosses the water protection strip of Test river (200 m)")


def test_placement_is_deterministic_and_ordered_by_id(tmp_path, context):
    rows = [_row(f"ss_{n}") for n in (3, 1, 2)] + [_row("ww_green", kind="wastewater_plant", district="green")]
    catalogue = _catalogue(tmp_path, rows)
    first = place_objects(catalogue, context)["infrastructure"].frame
    second = place_objects(catalogue.sample(frac=1.0, random_state=3), context,
                                 kind="infrastructure")["infrastructure"].frame
    assert list(first["id"]) == sorted(first["id"])
    assert first.equals(second)
    assert first.geometry.geom_equals(second.geometry).all()


def test_no_rule_satisfiable_places_at_fewest_broken(tmp_path, context):
    # Golden is steep everywhere, and its western part lies within 2 km of c1: the point
    # stays in the district, breaks max_slope only, and sits nearest the corridor.
    catalogue = _catalogue(tmp_path, [_row("ss", district="golden", rules="in_district;max_slope;near_corridor",
                                           via="corridor:c1")])
    point = _by_id(place_objects(catalogue, context)["infrastructure"]).loc["ss"]
    assert point["broken_rules"] == "max_slope"
    assert point.geometry.x == 504_750  # nearest grid column to c1 inside golden


def test_rows_without_a_district_are_placed_in_the_city(tmp_path, context):
    city = gpd.GeoDataFrame({"id": ["city"]}, geometry=[shapely.box(501_500, 4_797_500, 502_500, 4_798_500)],
                            crs=WORKING_CRS)
    catalogue = _catalogue(tmp_path, [_row("free", district="", rules="outside_strips;max_slope;above_flood")])
    in_city = dataclasses.replace(context, city_boundary=city)
    point = _by_id(place_objects(catalogue, in_city)["infrastructure"]).loc["free"]
    assert point["broken_rules"] == "" and pd.isna(point["district"])
    assert city.geometry.iloc[0].contains(point.geometry)
    # Without a city boundary the union of the districts stands in for the city.
    point = _by_id(place_objects(catalogue, context)["infrastructure"]).loc["free"]
    assert context.city.contains(point.geometry)


def test_report_markdown_lists_broken_rules(placed, context):
    report = placement_report(list(placed.values()), context)
    text = report_markdown(report)
    assert text.startswith("# Placement report\n")
    assert "| infrastructure | given_ss | outside_strips | inside the water protection strip of Test river |" in text
    assert f"{report[['layer', 'id']].drop_duplicates().shape[0]} objects" in text
    assert list(report.columns) == list(REPORT_COLUMNS)


def test_layers_carry_approximate_provenance(placed):
    for layer in placed.values():
        assert layer.provenance.quality == "approximate"
        assert layer.provenance.parameters["placement_grid_m"] == 250.0


# --------------------------------------------------------------------------- catalogue errors


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_row("a", kind="pylon")], "line 2 (id=a): unknown kind 'pylon'"),
        ([_row("a", rules="in_district;on_hill")], "line 2 (id=a): unknown rule 'on_hill'"),
        ([_row("a", placement="given")], "line 2 (id=a): placement 'given' needs lon and lat"),
        ([_row("a", placement="given", lon="77.x", lat="43.5")], "line 2 (id=a): lon '77.x' is not a number"),
        ([_row("a"), _row("a")], "line 3 (id=a): duplicate id 'a'"),
        ([_row("a", lon="77.0", lat="43.5")], "line 2 (id=a): lon/lat filled in but placement is 'rule'"),
        ([_row("a", district="", rules="in_district")], "line 2 (id=a): rule in_district needs a district"),
        ([_row("a", kind="road")], "line 2 (id=a): kind road is drawn as a line"),
        ([_row("a", kind="road", geometry_kind="line", via="konaev")], "line 2 (id=a): a line needs two stops"),
        ([_row("a", district="silver")], "line 2 (id=a): unknown district 'silver'"),
    ],
)
def test_catalogue_errors_are_one_line_and_name_the_id(tmp_path, rows, message):
    with pytest.raises(TableError) as error:
        _catalogue(tmp_path, rows)
    text = str(error.value)
    assert message in text and str(tmp_path / "infrastructure.csv") in text and "\n" not in text


def test_projects_catalogue_refuses_a_bad_jobs_figure(tmp_path):
    first = pd.read_csv(packaged_catalogue("projects"), dtype=str, keep_default_na=False).iloc[[0]]
    path = tmp_path / "projects.csv"
    first.assign(jobs="many").to_csv(path, index=False)
    with pytest.raises(TableError, match=rf"line 2 \(id={first['id'].iloc[0]}\): jobs 'many' is not a number"):
        read_catalogue(path, kind="projects")


def test_unknown_district_in_context_names_the_object(tmp_path, context):
    catalogue = _catalogue(tmp_path, [_row("g", district="growing")])
    with pytest.raises(LayerError, match="id=g: districts layer has no district 'growing'"):
        place_objects(catalogue, context)


# --------------------------------------------------------------------------- the shipped catalogues

REFERENCE_PROJECTS = {
    # id: district as published ("" = not published)
    "pepsico": "gate", "caspian_group": "gate", "avz_fan_plant": "gate", "iconic_building_1": "gate",
    "k_park": "golden", "education_centre": "golden", "akademgorodok": "golden", "medical_cluster": "golden",
    "hyundai_green_food": "golden", "mars": "golden",
    "rhenus_hub": "growing",
    "resort_zones": "green", "parks": "green", "formula1_track": "green", "iconic_building_2": "green",
    "iconic_complex": "", "kaist_kazakhstan": "",
    "united_hygiene": "", "molochnaya_dolina": "", "asp_arena": "", "qazqon_hub": "", "eastcomtrans": "",
}


def test_shipped_infrastructure_catalogue_holds_30_objects_of_the_published_kinds():
    catalogue = read_catalogue(packaged_catalogue("infrastructure"), kind="infrastructure")
    assert len(catalogue) == 30
    counts = catalogue["kind"].value_counts().to_dict()
    assert set(counts) == {"substation", "water_intake", "gas_pipeline", "wastewater_plant", "road"}
    assert counts["water_intake"] == 1 and counts["substation"] >= 2
    assert set(catalogue["works"]) == {"new", "reconstruction"}
    assert (catalogue.loc[catalogue["kind"].isin(["gas_pipeline", "road"]), "geometry_kind"] == "line").all()
    # The sources give the count and kinds, no list: every entry says it is a planning assumption.
    assert catalogue["basis"].str.contains("planning assumption").all()
    assert catalogue["basis"].str.contains("seeds 000, 001").all()
    assert (catalogue["position_quality"] == "approximate").all()
    assert (catalogue[["name_en", "name_kk", "name_ru", "financing"]] != "").all().all()


def test_shipped_projects_catalogue_holds_every_named_project_and_no_invented_figure():
    catalogue = read_catalogue(packaged_catalogue("projects"), kind="projects")
    assert dict(zip(catalogue["id"], catalogue["district"], strict=True)) == REFERENCE_PROJECTS
    companies = set(catalogue["company"])
    assert {"PepsiCo", "United Hygiene", "Molochnaya Dolina", "ASP Arena", "QazQon Hub", "Eastcomtrans",
            "Rhenus Logistics", "Mars", "Hyundai Green Food", "Caspian Group JSC"} <= companies
    # Only portfolio totals are published: no per-project investment or jobs.
    assert catalogue["investment_kzt"].isna().all() and catalogue["jobs"].isna().all()
    assert catalogue["basis"].str.contains("not published per project").all()
    assert catalogue["basis"].str.contains("position is a planning assumption").all()
    no_district = catalogue[catalogue["district"] == ""]
    assert no_district["basis"].str.contains("district not published").all()
    assert (catalogue["placement"] == "rule").all() and (catalogue["position_quality"] == "approximate").all()
    assert (catalogue["source"] != "").all()


def test_shipped_via_tokens_name_shipped_places_and_corridors():
    places = set(read_table(packaged_table("places.csv"), columns=PLACE_COLUMNS, key="id")["id"])
    corridors = set(read_table(packaged_table("corridors.csv"), columns=CORRIDOR_COLUMNS, key="id")["id"])
    for kind in ("infrastructure", "projects"):
        catalogue = read_catalogue(packaged_catalogue(kind), kind=kind)
        for row in catalogue.itertuples(index=False):
            for token in filter(None, row.via.split(";")):
                prefix, _, name = token.rpartition(":")
                if prefix == "corridor":
                    assert name in corridors, (row.id, token)
                elif prefix == "":
                    assert name in places | {"reservoir"}, (row.id, token)


def test_shipped_catalogues_place_on_the_committed_layers():
    from alatau_geo.core.io import read_layers, read_raster

    if not (REPO / "layers" / "manifest.json").is_file():
        pytest.skip("committed layers not present")
    layers = dict(read_layers(REPO / "layers"))
    if "districts" not in layers:
        pytest.skip("no districts layer committed yet")
    dem = read_raster(REPO / "layers" / "terrain_dem.tif")
    context = PlacementContext.from_layers(layers, elevation=dem, slope=slope(dem), plan=load_plan())
    catalogues = load_catalogues(load_plan())
    placed = place_objects(catalogues["infrastructure"], context)
    projects = place_objects(catalogues["projects"], context,
                                   avoid=placed["infrastructure"].frame.geometry)
    assert set(placed) == {"infrastructure", "infrastructure_lines"} and set(projects) == {"projects"}
    assert len(placed["infrastructure"].frame) + len(placed["infrastructure_lines"].frame) == 30
    assert len(projects["projects"].frame) == 22
    assert (placed["infrastructure_lines"].frame["length_km"] > 0).all()
    report = placement_report([*placed.values(), *projects.values()], context)
    assert set(report["id"]) == set(catalogues["infrastructure"]["id"]) | set(catalogues["projects"]["id"])


def test_the_best_candidate_is_the_first_in_order_of_rules_broken_crowding_and_distance() -> None:
    # Chosen without sorting every candidate: the same position a full lexicographic sort gives first
    # (ties to the lowest position, NaN after every number), on keys with many ties.
    from alatau_geo.plan.placement import _first

    rng = np.random.default_rng(7)
    for trial in range(500):
        n = int(rng.integers(1, 40))
        keys = [rng.integers(0, 3, n), rng.random(n) < 0.3, np.round(rng.integers(0, 4, n) * 1.5, 3),
                rng.integers(0, 2, n).astype(float), rng.integers(0, 3, n).astype(float), np.zeros(n)]
        keys[2][rng.random(n) < (1.0 if trial % 5 == 0 else 0.3)] = np.nan
        assert _first(keys) == np.lexsort(tuple(reversed(keys)))[0]


def test_candidates_nearer_than_the_spacing_to_a_placed_object_are_crowded() -> None:
    from alatau_geo.plan.placement import Candidates

    class Context:
        min_spacing_m = 500.0

    grid = shapely.points(np.stack(np.meshgrid(np.arange(0.0, 2500.0, 250.0), np.arange(0.0, 2500.0, 250.0)),
                                   axis=-1).reshape(-1, 2))
    candidates = Candidates(Context())  # type: ignore[arg-type]  # only the spacing is read here
    candidates._grids[None] = (grid, shapely.get_x(grid), shapely.get_y(grid), np.zeros(len(grid)))
    crowded = candidates.crowded(None, [shapely.Point(1000.0, 1000.0)])
    # Within 500 m but not at 500 m: the point itself, its 4 neighbours at 250 m and the 4 at 354 m.
    near = shapely.distance(grid, shapely.Point(1000.0, 1000.0)) < 500.0
    assert crowded.sum() == 9 and (crowded == near).all()
    assert not candidates.crowded(None, []).any()


def test_distances_to_a_polygon_of_many_vertices_are_those_geos_gives() -> None:
    from alatau_geo.plan.placement import distances

    rng = np.random.default_rng(3)
    angles = np.linspace(0.0, 2 * np.pi, 600, endpoint=False)
    radii = 5000.0 + 800.0 * np.sin(7 * angles) + rng.uniform(0, 50, 600)  # a wavy lake of 600 vertices
    lake = shapely.Polygon(np.column_stack([radii * np.cos(angles), radii * np.sin(angles)]),
                           holes=[shapely.box(-500, -500, 500, 500).exterior.coords])  # with an island
    points = shapely.points(rng.uniform(-8000, 8000, (3000, 2)))
    got = distances(points, lake)
    assert np.array_equal(got, shapely.distance(points, lake))  # to the bit, inside (0) and on the island
    on_island = shapely.contains_xy(shapely.box(-400, -400, 400, 400), *shapely.get_coordinates(points).T)
    assert (got == 0).sum() > 500 and on_island.any() and (got[on_island] > 0).all()
