"""The population-and-jobs map and the mountain-cluster map, on small synthetic layers."""

from __future__ import annotations

import json
from html import escape

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from alatau_geo import maps
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.maps.elements import template_reparsing_elements
from alatau_geo.maps.profiles import parse_profile, profile_svg

X0, Y0 = 660_000.0, 4_810_000.0
XSS = "<script>alert(1)</script>"


def in_page(text: str) -> str:
    """`text` as the legend carries it: HTML-escaped, then in the page's JSON (``script_json``)."""
    escaped = json.dumps(escape(text), ensure_ascii=False)[1:-1]
    for char in "<>&":
        escaped = escaped.replace(char, f"\\u{ord(char):04x}")
    return escaped


def _layer(name: str, frame: gpd.GeoDataFrame, title: str = "") -> Layer:
    return Layer(name, frame, Provenance(source="synthetic", method="hand-made", quality="approximate"), title)


@pytest.fixture(scope="module")
def population_layers() -> LayerSet:
    rows, squares = [], []
    for year, per_ha in ((2030, 5.0), (2040, 30.0), (2050, 70.0)):
        for i in range(2):
            rows.append({"id": f"b0_{i}_{year}", "year": year, "residents": int(per_ha * 100), "jobs": 50,
                         "residents_per_ha": per_ha, "jobs_per_ha": 0.5, "block_m": 1000.0})
            squares.append(box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000))
    blocks = gpd.GeoDataFrame(rows, geometry=squares, crs=WORKING_CRS)
    districts = gpd.GeoDataFrame(
        [{"id": f"gate_{year}", "zone": "gate", "name_en": XSS, "year": year, "residents": 100 * year,
          "jobs": 10, "ha": 200.0, "residents_per_ha": 1.0, "jobs_per_ha": 0.1, "status": "fits"}
         for year in (2030, 2040, 2050)],
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000)] * 3, crs=WORKING_CRS)
    return LayerSet([_layer("population_blocks", blocks, "Residents per ha (1 km blocks)"),
                     _layer("population_districts", districts, "Residents and jobs per district and phase")])


def test_population_map_switches_phases_and_classes_residents_per_ha(population_layers):
    m = maps.population_map(population_layers, relief=None, offline=True)
    assert not list(template_reparsing_elements(m.get_root()))
    html = maps.render_html(m)
    for year in (2030, 2040, 2050):
        assert f"Residents per ha: {year}" in html and f"Districts: {year}" in html
    # One legend row per class present: 5 (1-10), 30 (20-40) and 70 (over 60) residents per ha.
    for label in ("Residents per ha: 1–10 per ha", "Residents per ha: 20–40 per ha", "Residents per ha: > 60 per ha"):
        assert in_page(label) in html
    # The district's name is shown as text: escaped in its popup, never markup.
    assert XSS not in html and in_page(XSS) in html


def test_population_map_needs_population_layers():
    with pytest.raises(LayerError, match="population map"):
        maps.population_map(LayerSet([]), relief=None, offline=True)


def _mountain_layers(profile: str) -> LayerSet:
    lines = gpd.GeoDataFrame(
        [{"id": "medeu-shymbulak", "name_en": "Medeu - Shymbulak", "from_id": "medeu", "to_id": "shymbulak",
          "horizontal_length_m": 3696.0, "vertical_drop_m": 586.0, "crosses_ridge": False,
          "profile_step_m": 30.0, "profile_elevations_m": profile}],
        geometry=[LineString([(X0, Y0), (X0 + 3000, Y0 + 2000)])], crs=WORKING_CRS)
    terrain = gpd.GeoDataFrame(
        [{"id": "beginner", "class": "beginner", "definition": "slope 3.5-14 deg", "area_ha": 100.0},
         {"id": "extreme", "class": "extreme", "definition": "slope 30-45 deg", "area_ha": 100.0}],
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=WORKING_CRS)
    stations = gpd.GeoDataFrame([{"id": "medeu", "name_en": "Medeu", "kind": "base_station"}],
                                geometry=[Point(X0, Y0)], crs=WORKING_CRS)
    return LayerSet([_layer("mountain_lift_lines", lines, "Mountain cluster: candidate lift lines"),
                     _layer("mountain_ski_terrain", terrain, "Mountain cluster: ski terrain"),
                     _layer("mountain_stations", stations, "Mountain cluster: stations")])


def test_mountain_map_draws_the_profile_in_the_lift_line_popup():
    html = maps.render_html(maps.mountain_map(_mountain_layers("1707 1750 1900 2293"), relief=None,
                                              offline=True))
    # The axes' units in every language, as the feature's JSON carries the chart.
    assert "ag-profile" in html and "2,293 \\u003ctspan" in html and "0.1 \\u003ctspan" in html
    assert 'lang=\\"kk\\"\\u003eкм\\u003c' in html
    assert in_page("Ski terrain: Beginner (3.5–14°)") in html
    assert in_page("Ski terrain: Extreme, avalanche-prone (30–45°)") in html
    assert "Medeu - Shymbulak" in html


def test_mountain_map_labels_the_stations():
    html = maps.render_html(maps.mountain_map(_mountain_layers("1707 1750"), relief=None, offline=True))
    assert '"kind": "place-major"' in html and '"names": {"en": "Medeu"' in html


def test_a_profile_that_is_not_numbers_draws_no_chart():
    html = maps.render_html(maps.mountain_map(_mountain_layers(XSS), relief=None, offline=True))
    assert "ag-profile" not in html and XSS not in html
    assert parse_profile("1 2 x") == [] and profile_svg([1.0, 2.0], step_m=float("nan")) == ""


def test_mountain_map_needs_mountain_layers():
    with pytest.raises(LayerError, match="mountain map"):
        maps.mountain_map(LayerSet([]), relief=None, offline=True)


def test_write_maps_adds_the_thematic_pages_and_leaves_them_off_the_overview(population_layers, tmp_path):
    from alatau_geo.jobs.pages import write_maps

    layers = LayerSet([*population_layers.values(), *_mountain_layers("1707 1800").values()])
    written = {page.name: page.path for page in write_maps(layers, maps_dir=tmp_path / "maps",
                                                           layers_dir=tmp_path / "layers", dem_path=None,
                                                           offline=True)}
    assert {"overview", "population", "mountain"} <= set(written)
    overview = written["overview"].read_text("utf-8")
    assert "Residents per ha" not in overview and "Ski terrain" not in overview
    assert "Residents per ha: 2050" in written["population"].read_text("utf-8")


def test_the_mountain_page_is_kept_by_the_layers_it_shows_alone(population_layers, tmp_path):
    """A build keeps the mountain page by its own layers: an edit elsewhere reads it back, one of them draws it."""
    from alatau_geo.jobs.pages import write_maps

    def pages(layers: LayerSet, kept: dict) -> dict[str, str]:
        written = write_maps(layers, maps_dir=tmp_path / "maps", layers_dir=tmp_path / "layers", dem_path=None,
                             offline=True, kept=kept, workers=1)
        return {page.name: page.path.read_bytes().decode("utf-8") for page in written}

    mountain = _mountain_layers("1707 1800")
    layers = LayerSet([*population_layers.values(), *mountain.values()])
    kept: dict[str, str] = {}
    first = pages(layers, kept)
    # Drawn from the cluster's layers alone, the page is the one drawn from all of them.
    assert first["mountain"] == maps.render_html(maps.mountain_map(layers, relief=None, offline=True,
                                                                   download_template="../layers/{name}.geojson"))
    assert list(kept.values()) == [first["mountain"]]
    (key,) = kept
    kept[key] = "<!-- kept -->"  # what is kept is what is written
    blocks = population_layers["population_blocks"]
    denser = blocks.frame.assign(residents_per_ha=blocks.frame["residents_per_ha"] * 2)
    edited = LayerSet([_layer("population_blocks", denser, blocks.title),
                       *(layer for name, layer in layers.items() if name != "population_blocks")])
    again = pages(edited, kept)
    assert again["mountain"] == "<!-- kept -->" and again["population"] != first["population"]
    lifts = mountain["mountain_lift_lines"]
    shifted = lifts.frame.set_geometry(lifts.frame.geometry.translate(50.0))
    moved = LayerSet([*(layer for name, layer in layers.items() if name != "mountain_lift_lines"),
                      _layer("mountain_lift_lines", shifted, lifts.title)])
    assert pages(moved, kept)["mountain"] not in ("<!-- kept -->", first["mountain"])
    assert len(kept) == 2
