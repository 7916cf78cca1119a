"""Unit tests of alatau_geo.maps: no browser, no network.

Fixtures (synthetic layers and DEMs) come from conftest_maps.py.
"""

# The fixtures are imported from conftest_maps (tests/conftest.py belongs to the lead),
# so pytest's parameter names shadow the imports by design.
# ruff: noqa: F811

from __future__ import annotations

import colorsys
import itertools
import re
import struct
import zlib
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import get_args

import folium
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from folium import plugins
from folium.raster_layers import ImageOverlay
from rasterio.transform import Affine
from shapely.geometry import LineString, Point, Polygon, box, shape

from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import CRSError, ExportError, InputDataError, LayerError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.maps import (
    STYLES,
    infrastructure_map,
    overview_map,
    proximity_map,
    render_html,
    style_for,
    terrain_map,
)
from alatau_geo.maps.assets import (
    ASSETS,
    DROPPED_URLS,
    SelfContainedMap,
    content_security_policy,
    external_resources,
    inline_markup,
)
from alatau_geo.maps.classification import ValueClasses
from alatau_geo.maps.column_formats import ColumnFormat, column_format, is_worded, value_label
from alatau_geo.maps.controls import GroupedLayers, ImageMiniMap, LanguageSwitch, PageRuntime, PlaceSearch
from alatau_geo.maps.elements import Cluster, RenderOnce
from alatau_geo.maps.features import display_layer, geometry_mappings, simplify_for_display
from alatau_geo.maps.geojson import StyledGeoJson
from alatau_geo.maps.i18n import text_html
from alatau_geo.maps.legend import Legend, LegendEntry, LegendSection, legend_html
from alatau_geo.maps.page_parts import HatchPatterns, SharedPopup, TranslucentPane
from alatau_geo.maps.png import encode_paletted_png
from alatau_geo.maps.popups import (
    MISSING,
    badge_icon,
    format_value,
    popup_columns,
    popup_html,
    popup_template,
    popup_value_rows,
    popup_values,
    tooltip_html,
)
from alatau_geo.maps.rasters import ReliefImages, read_dem, relief_images, slope_class_image
from alatau_geo.maps.relief import (
    SLOPE_CLASSES,
    classify_slope,
    hillshade,
    slope_degrees,
)
from alatau_geo.maps.style import Badge, LayerStyle
from alatau_geo.plan.config import load_plan
from conftest_maps import (  # noqa: F401
    XSS_IMG,
    XSS_NAME,
    dem_path,
    full_dem_path,
    full_relief,
    layer_set,
    plan_layer_set,
    proximity_layer_set,
    relief,
    untranslated,
)

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "alatau_geo" / "vendor"
LAYER_NAMES = (
    "study_area",
    "water_protection_zone",
    "water_protection_strip",
    "reservoir",
    "streams",
    "places",
    "corridors",
)


def _children(m: folium.Map, kind: type) -> list:
    return [child for child in m._children.values() if isinstance(child, kind)]


def _control(m: folium.Map) -> GroupedLayers:
    (control,) = _children(m, GroupedLayers)
    return control


def _legend(m: folium.Map) -> Legend:
    (legend,) = _children(m, Legend)
    return legend


def _switcher(m: folium.Map) -> tuple[list[str], set[str]]:
    """The layer switcher's groups in their order, and the names of the map layers listed in them."""
    groups = _control(m).plain_groups
    return [group for group, _ in groups], {name for _, members in groups for name, _ in members}


# --- relief -------------------------------------------------------------------------------------------------


def test_hillshade_of_flat_ground_is_sine_of_sun_altitude() -> None:
    shade = hillshade(np.full((5, 5), 600.0), cell_size_m=(90.0, 90.0), altitude_deg=30.0)
    assert np.allclose(shade, 0.5)


def test_hillshade_lights_slopes_facing_the_sun() -> None:
    rows, cols = np.mgrid[0:9, 0:9].astype(float)
    facing_north_west = 10.0 * (rows + cols)  # rises to the south-east, so it faces north-west
    facing_south_east = -facing_north_west
    lit = hillshade(facing_north_west, cell_size_m=(90.0, 90.0))[4, 4]
    shaded = hillshade(facing_south_east, cell_size_m=(90.0, 90.0))[4, 4]
    assert lit > np.sin(np.radians(45)) > shaded


def test_slope_degrees_of_a_ramp_on_a_metric_grid() -> None:
    ramp = np.tile(np.arange(6.0) * 9.0, (5, 1))  # 9 m per 90 m cell: a 10 % rise, 5.71 degrees
    assert slope_degrees(ramp, cell_size_m=(90.0, 90.0))[2, 2] == pytest.approx(np.degrees(np.arctan(0.1)))
    # Cell size matters: the same rise over 30 m cells is a 30 % rise, 16.7 degrees.
    assert slope_degrees(ramp, cell_size_m=(30.0, 30.0))[2, 2] == pytest.approx(np.degrees(np.arctan(0.3)))


def test_nodata_spreads_only_to_the_neighbours() -> None:
    dem = np.full((7, 7), 500.0)
    dem[3, 3] = np.nan
    slope = slope_degrees(dem, cell_size_m=(90.0, 90.0))
    assert np.isnan(slope[2:5, 2:5]).all()
    assert np.isfinite(slope[0, :]).all() and np.isfinite(slope[:, 6]).all()


def test_slope_classes_are_in_degrees_with_the_plan_limit_as_a_break() -> None:
    assert [(c.lower_deg, c.upper_deg) for c in SLOPE_CLASSES] == [
        (0, 2),
        (2, 5),
        (5, 8),
        (8, 15),
        (15, float("inf")),
    ]
    assert load_plan().analysis.max_buildable_slope_deg in [c.upper_deg for c in SLOPE_CLASSES]
    assert all(c.label.endswith("°") for c in SLOPE_CLASSES)
    codes = classify_slope(np.array([0.0, 1.99, 2.0, 4.9, 5.0, 7.99, 8.0, 14.9, 15.0, 80.0, np.nan]))
    assert codes.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]


def test_relief_rejects_a_bad_cell_size() -> None:
    with pytest.raises(ValueError, match="cell_size_m"):
        slope_degrees(np.zeros((3, 3)), cell_size_m=(0.0, 90.0))


# --- png ----------------------------------------------------------------------------------------------------


def _decode_png(data: bytes) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A paletted-PNG decoder for filters None and Up: enough to check the encoder."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IDAT":
            idat += body
        chunks[kind] = body
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (8, 3)
    raw = np.frombuffer(zlib.decompress(idat), dtype="uint8").reshape(height, width + 1)
    rows = np.zeros((height, width), dtype="uint8")
    for index in range(height):
        line = raw[index, 1:]
        if raw[index, 0] == 2:
            line = line + (rows[index - 1] if index else 0)
        else:
            assert raw[index, 0] == 0
        rows[index] = line
    rgb, alpha = chunks[b"PLTE"], chunks[b"tRNS"]
    palette = [(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], alpha[i]) for i in range(len(alpha))]
    return rows, palette


@pytest.mark.parametrize("pattern", ["random", "gradient"])
def test_png_round_trips(pattern: str) -> None:
    rng = np.random.default_rng(0)
    if pattern == "random":
        indices = rng.integers(0, 6, size=(31, 47))
    else:  # smooth: the encoder picks the Up filter
        indices = np.add.outer(np.arange(40), np.arange(50)) % 200
    palette = [(i, 255 - i, (7 * i) % 256, 0 if i == 0 else 255) for i in range(256)]
    decoded, decoded_palette = _decode_png(encode_paletted_png(indices, palette))
    assert (decoded == indices).all()
    assert decoded_palette == palette


def test_png_refuses_indices_outside_the_palette() -> None:
    with pytest.raises(ValueError, match="indices"):
        encode_paletted_png(np.array([[0, 3]]), [(0, 0, 0, 0), (1, 1, 1, 255)])


# --- style --------------------------------------------------------------------------------------------------


def test_every_reference_layer_has_a_style_entry() -> None:
    assert set(LAYER_NAMES) <= set(STYLES)


def test_unknown_layer_gets_the_generic_style_of_its_geometry() -> None:
    assert style_for("bus_stops", geometry_type="Point").group == "Other layers"
    line = style_for("power_lines", geometry_type="MultiLineString")
    assert line.leaflet_style({}, geometry_type="MultiLineString")["fill"] is False


def test_lines_are_never_filled_and_categories_pick_colours() -> None:
    corridors = STYLES["corridors"]
    railway = corridors.leaflet_style({"kind": "railway", "schematic": False}, geometry_type="LineString")
    assert railway == {"weight": 4.5, "opacity": 0.9, "color": "#252525", "fill": False}
    # The existing A3 is drawn solid even where its alignment is approximate: it exists.
    schematic = corridors.leaflet_style({"kind": "highway", "schematic": True}, geometry_type="LineString")
    assert "dashArray" not in schematic and schematic["color"] == "#c0392b"
    town = STYLES["places"].leaflet_style({"kind": "town"}, geometry_type="Point")
    assert town["fillColor"] == "#fd8d3c" and town["radius"] == STYLES["places"].radius_px


def test_column_headers_carry_units() -> None:
    assert column_format("elevation_m").header == "Elevation (m)"
    assert column_format("upstream_area_km2").header == "Upstream area (km²)"
    assert column_format("width_m").header == "Width (m)"
    assert column_format("share_pct").header == "Share (%)"


# --- popups -------------------------------------------------------------------------------------------------


def test_numbers_get_thousands_separators_and_fixed_decimals() -> None:
    assert format_value(np.int16(1480), ColumnFormat("Elevation", "m")) == "1,480"
    assert format_value(3520.44, ColumnFormat("Upstream area", "km²", 1)) == "3,520.4"
    assert format_value(float("nan"), ColumnFormat("Length", "km", 1)) == MISSING
    assert format_value(False, ColumnFormat("Schematic")) == "no"


def test_popup_has_the_name_in_each_language_worded_values_units_and_a_technical_fold() -> None:
    columns = ["kind", "elevation_m", "status", "rule"]
    template = popup_template(columns, layer_title="Places", quality="approximate", layer="places",
                              numeric=["elevation_m"])
    html = popup_html(
        {"id": "p2", "name_en": "Konaev", "name_kk": "Қонаев", "name_ru": "Конаев", "kind": "town",
         "elevation_m": 1480, "status": "under_way", "rule": "hull(places:a, places:b) + 446 m"},
        template,
        fallback="Places",
    )
    assert html.startswith('<div class="ag-popup" data-layer="places" data-id="p2">')
    title = '<span lang="en">Konaev</span><span lang="kk">Қонаев</span><span lang="ru">Конаев</span>'
    assert f'<div class="ag-popup-title"><span class="ag-i">{title}</span></div>' in html
    assert '<div data-lang="kk"><span class="ag-lang">KK</span> <span lang="kk">Қонаев</span></div>' in html
    assert '<span lang="en">Elevation (m)</span><span lang="kk">Биіктігі (м)</span>' in html
    assert '<td class="ag-num">1,480</td>' in html
    # Codes are worded for people, in each language; "under_way" never shows.
    assert '<span lang="en">Under way</span><span lang="kk">Жүзеге асырылуда</span>' in html
    assert "under_way" not in html
    # How the feature was built is behind the fold, with the layer, id and quality.
    fold = html.index("<details")
    assert html.index("hull(places:a") > fold and html.index("1,480") < fold
    assert html.index(' · id p2 · ') > fold and "приблизительно" in html


@pytest.mark.parametrize("hostile", [XSS_NAME, XSS_IMG, "\"'><svg onload=alert(3)>", "a & b"])
def test_popup_and_tooltip_escape_every_value(hostile: str) -> None:
    properties = {"id": hostile, "name_en": hostile, "name_kk": hostile, "name_ru": hostile, "sector": hostile}
    html = popup_html(properties, popup_template(["sector"], layer_title=hostile), fallback="Places")
    assert hostile not in html
    # The id attribute, the title, the three names, the table cell, and layer title and id in the footer.
    assert html.count(escape(hostile)) == 8
    assert tooltip_html(properties, layer_title="Places") == escape(hostile)


# --- display layers -----------------------------------------------------------------------------------------


def _wiggle(n: int = 200) -> list[tuple[float, float]]:
    ys = np.linspace(0, 10_000, n)
    return [(5_000 + 15 * np.sin(y / 37), y) for y in ys]


def test_coverage_simplification_keeps_shared_edges() -> None:
    edge = _wiggle()
    west = Polygon([(0, 0), *edge, (0, 10_000)])
    east = Polygon([*edge, (10_000, 10_000), (10_000, 0)])
    series = gpd.GeoSeries([west, east], crs=WORKING_CRS)
    simple = simplify_for_display(series, tolerance_m=50.0)
    assert (
        shapely.get_num_coordinates(simple.values).sum()
        < shapely.get_num_coordinates(series.values).sum() / 2
    )
    assert simple.iloc[0].intersection(simple.iloc[1]).area == 0
    assert simple.union_all().area == pytest.approx(series.union_all().area, rel=1e-9)  # no gap, no overlap
    assert bool(shapely.coverage_is_valid(simple.values))


def test_simplification_keeps_the_reservoir_valid_with_its_island(layer_set: LayerSet) -> None:
    reservoir = layer_set["reservoir"].frame.geometry
    simple = simplify_for_display(reservoir, tolerance_m=STYLES["reservoir"].simplify_m)
    shape = simple.iloc[0]
    assert shape.is_valid and len(shape.interiors) == 1
    assert shapely.get_num_coordinates(shape) < shapely.get_num_coordinates(reservoir.iloc[0])
    assert shape.area == pytest.approx(reservoir.iloc[0].area, rel=0.01)


def test_display_layer_is_rounded_wgs84_with_escaped_popups_only(layer_set: LayerSet) -> None:
    shown = display_layer(layer_set["places"], STYLES["places"])
    assert shown.feature_count == 5
    feature = next(f for f in shown.data["features"] if f["id"] == "p4")
    assert set(feature["properties"]) == {"v", "t", "s", "names", "search_text"}
    assert XSS_NAME not in str(feature["properties"]["v"])
    assert feature["properties"]["t"] == escape(XSS_NAME)
    # The search box inserts suggestions as text nodes, so it gets the plain names.
    assert feature["properties"]["names"] == {"en": XSS_NAME, "kk": XSS_NAME, "ru": XSS_NAME}
    assert feature["properties"]["search_text"] == f"{XSS_NAME} | p4"
    konaev = next(f for f in shown.data["features"] if f["id"] == "p2")["properties"]
    assert konaev["search_text"] == "Konaev | Қонаев | Конаев | p2" and 'data-lang="ru"' in konaev["n"]
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == (round(lon, 6), round(lat, 6)) and 76 < lon < 78 and 43 < lat < 44
    assert shown.styles["p4"]["fillColor"] == "#fed976"


def test_every_display_coordinate_has_at_most_six_decimals(layer_set: LayerSet) -> None:
    shown = display_layer(layer_set["reservoir"], STYLES["reservoir"])
    coords = shapely.get_coordinates(shape(shown.data["features"][0]["geometry"]))
    assert np.allclose(coords, np.round(coords, 6), atol=0, rtol=0)


# --- maps ---------------------------------------------------------------------------------------------------


def _rendered(map_fixture: str) -> Callable[[pytest.FixtureRequest], str]:
    """A module fixture: the page of the map that fixture `map_fixture` builds, rendered once."""

    @pytest.fixture(scope="module")
    def page(request: pytest.FixtureRequest) -> str:
        return render_html(request.getfixturevalue(map_fixture))

    return page


@pytest.fixture(scope="module")
def offline_overview(layer_set: LayerSet, relief: ReliefImages) -> folium.Map:
    return overview_map(layer_set, relief=relief, offline=True)


offline_overview_html = _rendered("offline_overview")


def test_offline_overview_has_every_layer_the_relief_and_no_tiles(offline_overview: folium.Map) -> None:
    m = offline_overview
    assert isinstance(m, SelfContainedMap) and m.offline
    assert len(_children(m, folium.GeoJson)) == len(LAYER_NAMES)
    assert _children(m, folium.TileLayer) == [] and _children(m, folium.FeatureGroup) == []
    (relief,) = _children(m, ImageOverlay)
    assert relief.overlay is True and relief.options["opacity"] == 1.0  # the whole base map when no tiles
    control = _control(m)
    assert control.plain_base_layers == [] and control.options["collapsed"] is True
    groups, titles = _switcher(m)
    assert groups == ["Terrain", "Boundaries", "Water", "Settlements and transport"]
    assert titles == {"Shaded relief (SRTM 90 m)", "Study area", "Water protection zones", "Water protection strips",
                      "Reservoir", "Streams", "Places", "Transport corridors"}


def test_overview_has_the_tools_planners_expect(offline_overview: folium.Map) -> None:
    m = offline_overview
    assert m.control_scale is False  # the runtime adds a metric-only scale
    assert len(_children(m, plugins.MeasureControl)) == 1
    assert len(_children(m, plugins.Fullscreen)) == 1
    (mini,) = _children(m, ImageMiniMap)  # drawn from the relief image, folded
    assert mini.options["minimized"] is True and mini.options["zoom_level_offset"] == -4
    assert len(_children(m, LanguageSwitch)) == 1
    (search,) = _children(m, PlaceSearch)
    assert {layer.layer_name for layer in search.layers} == {"Places", "Transport corridors"}
    assert search.search_label == "search_text" and search.clusters == ()
    assert search.placeholder == "Search: places, objects"
    (runtime,) = _children(m, PageRuntime)
    assert runtime.language == "en" and list(m._children.values())[-1] is runtime


def test_legend_lists_every_coloured_layer_and_the_downloads(offline_overview: folium.Map) -> None:
    legend = _legend(offline_overview)
    rows = [(entry.label, entry.layer) for section in legend.sections for entry in section.entries]
    assert rows == [
        ("Shaded relief (SRTM 90 m)", "relief"),
        ("Study area", "study_area"),
        ("Water protection zones", "water_protection_zone"),
        ("Water protection strips", "water_protection_strip"),
        ("Reservoir", "reservoir"),
        ("Streams", "streams"),
        ("Transport corridors: Highway", "corridors"),
        ("Transport corridors: Railway", "corridors"),
        ("Alignment approximate (waypoints)", "corridors"),
        ("Places: City", "places"),
        ("Places: Town", "places"),
        ("Places: Village", "places"),
        ("Places: Station", "places"),
    ]
    # Every row names map layers, so the legend shows only the layers switched on.
    assert set(legend.layers) == {key for _, key in rows}
    hrefs = [link.href for link in legend.downloads]
    assert sorted(hrefs) == sorted(f"../layers/{name}.geojson" for name in LAYER_NAMES)
    assert '<a href="../layers/places.geojson" target="_blank" rel="noopener" download>' in legend.html
    assert 'class="ag-legend-toggle" aria-expanded="true"' in legend.html
    assert '<span lang="kk">Шартты белгілер</span><span lang="ru">Легенда</span>' in legend.html


def test_offline_html_loads_nothing_from_the_network(offline_overview_html: str) -> None:
    html = offline_overview_html
    assert external_resources(html) == []
    assert not re.search(r"<(script|img|iframe)[^>]+src=[\"']?(https?:)?//", html)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html)
    assert "L.tileLayer(" not in html
    assert f'content="{content_security_policy(offline=True)}"' in html and "img-src data:;" in html
    for marker in (
        "leaflet 1.9.3",
        "leaflet-measure 2.1.7",
        "leaflet.fullscreen 3.0.0",
        "leaflet-minimap 3.6.1",
        "leaflet-search 2.9.7",
        "leaflet-groupedlayercontrol 0.6.1",
        "alatau-geo map runtime",
    ):
        assert f"/* {marker}" in html
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert dropped not in html.lower()


def test_offline_html_shows_hostile_names_only_escaped(offline_overview_html: str) -> None:
    html = offline_overview_html
    assert XSS_NAME not in html and XSS_IMG not in html
    # The popup markup travels as JSON in a script, its <, > and & escaped there too.
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in html


def test_offline_overview_size_with_the_full_resolution_dem(layer_set: LayerSet, full_relief: ReliefImages) -> None:
    html = render_html(overview_map(layer_set, relief=full_relief, offline=True))
    assert len(html.encode("utf-8")) < 3_000_000


def test_online_overview_opens_on_the_relief_and_offers_tile_maps_with_labels(
    layer_set: LayerSet, relief: ReliefImages
) -> None:
    m = overview_map(layer_set, relief=relief, offline=False)
    assert isinstance(m, SelfContainedMap) and not m.offline
    control = _control(m)
    assert [name for name, _ in control.plain_base_layers] == [
        "Relief only (works offline)",
        "Light grey with labels (Esri, online)",
        "OpenStreetMap (online)",
        "Satellite with labels (Esri, online)",
    ]
    # The map opens on the relief, which needs no network; no tile is asked for until a reader picks a tile map.
    assert [layer.show for _, layer in control.plain_base_layers] == [True, False, False, False]
    groups = {name: layer for name, layer in control.plain_base_layers}
    light = list(groups["Light grey with labels (Esri, online)"]._children.values())
    assert [tiles.options.get("pane") for tiles in light] == [None, "ag-tile-labels"]  # labels above the relief
    assert all(tiles.options["errorTileUrl"].startswith("data:image/png") for tiles in light)
    assert control.plain_groups[0][0] == "Terrain" and control.plain_groups[0][1][0][0] == "Shaded relief (SRTM 90 m)"
    assert len(_children(m, ImageMiniMap)) == 1  # the mini map draws the relief, online too
    html = render_html(m)
    assert "server.arcgisonline.com" in html and "tile.openstreetmap.org" in html
    assert external_resources(html) == []  # every script and style is inline
    assert f'content="{content_security_policy(offline=False)}"' in html
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert dropped not in html.lower()


def test_offline_overview_without_dem_has_no_base_and_no_mini_map(layer_set: LayerSet) -> None:
    m = overview_map(layer_set, relief=None, offline=True)
    assert _children(m, ImageOverlay) == [] and _children(m, plugins.MiniMap) == []
    assert _control(m).plain_base_layers == []
    assert external_resources(render_html(m)) == []


def test_two_renders_of_the_same_map_are_byte_identical(plan_layer_set: LayerSet, relief: ReliefImages) -> None:
    first = render_html(infrastructure_map(plan_layer_set, relief=relief, offline=False, language="kk"))
    second = render_html(infrastructure_map(plan_layer_set, relief=relief, offline=False, language="kk"))
    assert first == second
    assert re.search(r"var map_[0-9a-f]{10} = L\.map", first)  # ids from content, not random
    assert '{"animate": false}' in first  # opens on its layers at once, no zoom animation from the start view


def test_terrain_map_has_relief_slope_classes_and_context_layers(layer_set: LayerSet, relief: ReliefImages) -> None:
    m = terrain_map(layer_set, relief=relief, offline=True)
    assert len(_children(m, ImageOverlay)) == 2
    shown = {layer.layer_name for layer in _children(m, folium.GeoJson)}
    assert shown == {"Study area", "Kapchagay reservoir", "Streams", "Places"}
    legend = _legend(m)
    slope_rows = [
        entry.label
        for section in legend.sections
        if section.title == "Slope classes"
        for entry in section.entries
    ]
    assert slope_rows == ["0–2°", "2–5°", "5–8°", "8–15°", "> 15°"]
    relief, slope = _children(m, ImageOverlay)
    assert _control(m).plain_groups[0] == ("Terrain", [("Shaded relief (SRTM 90 m)", relief), ("Slope classes", slope)])
    assert set(legend.layers["slope"]) == {slope}
    assert external_resources(render_html(m)) == []


def test_slope_image_is_a_web_mercator_overlay_of_the_study_area(dem_path: Path) -> None:
    image = slope_class_image(read_dem(dem_path))
    west, south, east, north = image.bounds
    assert 76.4 < west < 76.6 and 77.95 < east < 78.1 and 43.0 < south < 43.15 and 43.95 < north < 44.1
    assert image.url.startswith("data:image/png;base64,")


def test_new_layers_appear_with_the_generic_style(layer_set: LayerSet) -> None:
    frame = gpd.GeoDataFrame(
        {"id": [1], "operator": ["KEGOC"]},
        geometry=[LineString([(600_000, 4_800_000), (620_000, 4_810_000)])],
        crs=WORKING_CRS,
    )
    extra = Layer("power_lines", frame, Provenance("test", "test"), "Power <lines>")
    m = overview_map(LayerSet([*layer_set.values(), extra]), relief=None, offline=True)
    control = _control(m)
    assert control.plain_groups[-1][0] == "Other layers"
    assert control.plain_groups[-1][1][0][0] == "Power <lines>"
    assert control.groups[-1][1][0][0] == "Power &lt;lines&gt;"  # escaped: the plugin uses innerHTML
    assert "Power &lt;lines&gt;" in _legend(m).html and "Power <lines>" not in _legend(m).html
    assert "Power &lt;lines&gt;" in render_html(m).replace("\\u0026", "&")


def test_points_of_a_mixed_layer_are_circle_markers() -> None:
    frame = gpd.GeoDataFrame(
        {"id": [1, 2]},
        geometry=[Point(600_000, 4_800_000), box(600_000, 4_800_000, 601_000, 4_801_000)],
        crs=WORKING_CRS,
    )
    m = overview_map(
        LayerSet([Layer("sites", frame, Provenance("test", "test"))]), relief=None, offline=True
    )
    (geojson,) = _children(m, folium.GeoJson)
    assert geojson.points == "circle"


class _RenderOnceDraw(plugins.Draw, RenderOnce):
    """A plugin the toolkit has no vendored copy of, rendered safely."""


def test_offline_map_refuses_a_plugin_without_a_vendored_copy(layer_set: LayerSet) -> None:
    m = overview_map(layer_set, relief=None, offline=True)
    _RenderOnceDraw().add_to(m)
    with pytest.raises(ExportError, match="no vendored copy of https://"):
        render_html(m)


def test_a_page_with_an_element_that_reparses_its_output_is_refused(layer_set: LayerSet) -> None:
    m = overview_map(layer_set, relief=None, offline=False)
    plugins.Draw().add_to(m)  # folium's own: its output would be parsed as a template again
    with pytest.raises(ExportError, match="Draw would evaluate braces in their data as a template"):
        render_html(m)


def test_dem_problems_raise_package_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="missing.tif: raster file not found"):
        read_dem(tmp_path / "missing.tif")
    geographic = tmp_path / "geographic.tif"
    with rasterio.open(
        geographic,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="int16",
        crs="EPSG:4326",
        transform=Affine(0.001, 0, 77, 0, -0.001, 44),
    ) as dataset:
        dataset.write(np.zeros((4, 4), dtype="int16"), 1)
    with pytest.raises(CRSError, match="projected CRS in metres"):
        read_dem(geographic)


# --- vendored assets ----------------------------------------------------------------------------------------


def test_vendored_assets_are_complete_licensed_and_small() -> None:
    total = sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())
    assert total < 2_000_000
    readme = (VENDOR / "README.md").read_text("utf-8")
    for asset in ASSETS.values():
        package_dir = VENDOR / asset.vendor_path.parts[0]
        assert (VENDOR / asset.vendor_path).is_file()
        # LICENSE, license.txt, MIT-LICENCE.txt (leaflet.markercluster): the file name as published.
        assert any("licen" in p.name.lower() for p in package_dir.iterdir()), package_dir
        assert f"`{asset.package}`" in readme and asset.version in readme
        if asset.kind == "css":  # every image a style sheet refers to is inlined
            references = re.findall(r"url\(([^)]*)\)", inline_markup(asset))
            inline = ("data:", "#", "%23")  # %23: a fragment inside an inline SVG
            assert all(ref.strip("'\"").startswith(inline) for ref in references), references


def test_folium_asks_only_for_vendored_or_dropped_urls() -> None:
    declared = [*folium.Map.default_js, *folium.Map.default_css]
    for plugin in (
        plugins.MeasureControl,
        plugins.Fullscreen,
        plugins.MiniMap,
        plugins.Search,
        plugins.GroupedLayerControl,
        plugins.MarkerCluster,
        plugins.GeoMan,
    ):
        declared += [*plugin.default_js, *plugin.default_css]
    for _, url in declared:
        assert url in ASSETS or url in DROPPED_URLS, (
            f"folium now asks for {url}: vendor it (see vendor/README.md)"
        )


def test_external_resource_scan_ignores_plain_links() -> None:
    html = (
        '<a href="https://leafletjs.com">Leaflet</a><link rel="stylesheet" href="//cdn.x/y.css">'
        '<style>.x{background:url("https://t/x.png")}</style><img src="data:image/png;base64,AA">'
    )
    assert external_resources(html) == ['<link rel="stylesheet" href="//', 'url("https://']


def test_external_resource_scan_finds_loads_in_any_case_among_other_text() -> None:
    # The scan looks for where a load can begin first: upper case, a letter whose lower case is
    # longer (İ), nested url( and a load inside a script's text must all still be found.
    html = (
        'İstanbul <SCRIPT SRC="HTTPS://cdn.x/a.js"></SCRIPT> var s = "<img src=//t/p.png>";'
        "<style>.a{background:URL( '//t/b.png')} .b{background:url(url(//t/c.png))}</style>"
        "<style>@IMPORT 'x.css';</style><Link Href=http://t/d.css>"
    )
    assert external_resources(html) == [
        '<SCRIPT SRC="HTTPS://', "<img src=//", "URL( '//", "url(//", "@IMPORT", "<Link Href=http://",
    ]


def test_maps_module_writes_nothing(
    layer_set: LayerSet, relief: ReliefImages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    render_html(overview_map(layer_set, relief=relief, offline=True))
    assert list(tmp_path.iterdir()) == []


# --- districts map ------------------------------------------------------------------------------------------


def test_districts_map_colours_districts_by_role_and_shows_their_figures() -> None:
    import pandas as pd

    from alatau_geo.core.io import read_layers
    from alatau_geo.maps import districts_map

    layers = read_layers(Path(__file__).resolve().parents[1] / "layers")
    figures = pd.DataFrame({"zone": ["gate", "alatau_city"], "name_en": ["x", "y"], "area_ha": [1.0, 2.0],
                            "published_ha": [4000.0, 88000.0], "buildable_ha": [3436.2, 76138.3],
                            "share_of_city_pct": [4.55, 100.0], "residents_target": [220000, None],
                            "jobs_target": [181000, None], "sez_overlap_ha": [4000.1, 56240.0]})
    m = districts_map(layers, relief=None, offline=True, figures=figures)
    labels = [entry.label for section in _legend(m).sections for entry in section.entries]
    for role in ("Gate: finance, business, trade", "Golden: science, education, medicine, food",
                 "Growing: export industry, logistics", "Green: tourism, resorts, parks"):
        assert f"Districts: {role}" in labels
    # Four clearly separate hues: no two district colours within 40 degrees of each other.
    hues = [colorsys.rgb_to_hsv(*(int(c.color[i:i + 2], 16) / 255 for i in (1, 3, 5)))[0] * 360
            for c in STYLES["districts"].categories]
    assert min(min(abs(a - b), 360 - abs(a - b)) for a, b in itertools.combinations(hues, 2)) > 40
    (districts,) = [g for g in _children(m, folium.GeoJson) if g.layer_name == "Districts"]
    columns = [*layers["districts"].frame.columns, *figures.columns]
    assert columns.count("residents_target") == 2  # both frames carry it; the popup lists it once
    html = render_html(m)
    # Gate's popup carries the area table's figures with units and separators, each once.
    gate = next(f for f in districts.data["features"] if f["id"] == "gate")["properties"]["v"]
    assert "3,436" in gate and "4,000" in gate and gate.count("220,000") == 1
    decoded = html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    assert '<span lang="en">Buildable land (ha)</span>' in decoded
    assert "sez_overlap" not in html.lower().replace("sez_overlap_ha", "")
    assert "Water protection zones" not in html  # only the layers that orient a reader
    # The SEZ and the city lie beneath the districts: a click inside a district is the district's.
    sez, city = (next(g for g in _children(m, folium.GeoJson) if g.layer_name == name)
                 for name in ("Special economic zone", "City boundary"))
    assert sez.options["pane"] == city.options["pane"] == "ag-zones-below" and "pane" not in districts.options


# --- infrastructure map -------------------------------------------------------------------------------------


def _labels(m: folium.Map) -> list[str]:
    return [entry.label for section in _legend(m).sections for entry in section.entries]


def test_infrastructure_points_are_badges_by_kind_with_a_dashed_rim_for_reconstruction() -> None:
    style = STYLES["infrastructure"]
    kinds = {c.value: (c.badge, c.color) for c in style.categories}
    assert set(kinds) == {"substation", "water_intake", "wastewater_plant"}
    assert len({color for _, color in kinds.values()}) == 3  # a distinct colour per kind
    assert [badge for badge, _ in kinds.values()] == ["SS", "WI", "WW"]
    new = style.badge({"kind": "water_intake", "works": "new"})
    rebuilt = style.badge({"kind": "substation", "works": "reconstruction"})
    assert new is not None and rebuilt is not None
    assert (new.text, new.fill, new.dashed) == ("WI", kinds["water_intake"][1], False)
    assert (rebuilt.text, rebuilt.shape, rebuilt.dashed) == ("SS", "round", True)
    assert style.cluster_until_zoom == 13 and STYLES["projects"].cluster_until_zoom == 13


def test_pipelines_are_dashed_roads_solid_and_pipelines_drawn_on_top() -> None:
    style = STYLES["infrastructure_lines"]
    pipeline = style.leaflet_style({"kind": "gas_pipeline"}, geometry_type="LineString")
    road = style.leaflet_style({"kind": "road"}, geometry_type="LineString")
    assert pipeline["dashArray"] == "8 6" and "dashArray" not in road
    assert pipeline["color"] != road["color"] and pipeline["fill"] is False
    assert [c.value for c in style.categories][-1] == "gas_pipeline"  # listed last: drawn over the road it follows


def test_projects_that_break_a_placement_rule_are_flagged() -> None:
    style = STYLES["projects"]
    assert not style.is_flagged({"broken_rules": ""}) and not style.is_flagged({"broken_rules": None})
    assert not style.is_flagged({"broken_rules": float("nan")})
    assert style.is_flagged({"broken_rules": "outside_strips;max_slope"})
    # The default flag (a boolean column) matches only a real True.
    corridors = STYLES["corridors"]
    assert corridors.is_flagged({"schematic": np.bool_(True)}) and not corridors.is_flagged({"schematic": 1})


def test_badge_markup_is_escaped_inline_css_with_no_font_or_image() -> None:
    icon = badge_icon(Badge('<img src=x onerror="alert(2)">', "#e6ab02", '"#000', "square", 20, dashed=False))
    assert "<img" not in icon["html"] and "&lt;img" in icon["html"]
    assert 'border-color:&quot;#000' in icon["html"]  # a hostile colour cannot close the attribute
    assert "color:#1a1a1a" in icon["html"]  # dark letters on a light fill
    assert icon["className"] == "ag-badge-icon" and icon["iconSize"] == [20, 20]
    assert "url(" not in icon["html"] and "font-family" not in icon["html"]


def test_legend_badges_show_their_letters_escaped() -> None:
    html = legend_html([LegendSection("Infrastructure", (LegendEntry("<b>SS</b>", "round_badge", "#000", "#d94801",
                                                                   None, "<i>"),))])
    assert "<circle" in html and ">&lt;i&gt;</text>" in html and "&lt;b&gt;SS&lt;/b&gt;" in html


@pytest.fixture(scope="module")
def infrastructure(plan_layer_set: LayerSet, relief: ReliefImages) -> folium.Map:
    return infrastructure_map(plan_layer_set, relief=relief, offline=True)


infrastructure_html = _rendered("infrastructure")


def test_infrastructure_map_shows_the_orienting_layers_and_the_plan_objects(infrastructure: folium.Map) -> None:
    groups, titles = _switcher(infrastructure)
    assert groups == ["Terrain", "Boundaries", "Plan", "Infrastructure and projects", "Water",
                      "Settlements and transport"]
    # No streams or water protection bands: only what orients a reader.
    assert titles == {"Shaded relief (SRTM 90 m)", "Study area", "City boundary", "Districts", "Engineering lines",
                      "Engineering objects", "Investment projects", "Reservoir", "Places", "Transport corridors"}
    assert infrastructure.get_root().title == "Alatau City: infrastructure and projects"
    assert len(_children(infrastructure, plugins.MeasureControl)) == 1
    assert len(_children(infrastructure, plugins.Fullscreen)) == 1
    assert len(_children(infrastructure, ImageMiniMap)) == 1
    hrefs = sorted(link.href for link in _legend(infrastructure).downloads)
    assert "../layers/projects.geojson" in hrefs and "../layers/infrastructure_lines.geojson" in hrefs


def test_infrastructure_map_legend_has_a_row_for_each_kind(infrastructure: folium.Map) -> None:
    expected = {"Engineering lines: Road (planned, schematic)", "Engineering lines: Gas pipeline (dashed)",
                "Engineering objects: Substation (SS)", "Engineering objects: Water intake (WI)",
                "Engineering objects: Wastewater treatment plant (WW)",
                "Reconstruction of an existing object (dashed rim)", "Investment projects: Under way",
                "Investment projects: Agreed", "Investment projects: In talks", "Investment projects: Planned",
                "Breaks a placement rule (dashed rim)"}
    assert expected - set(_labels(infrastructure)) == set()
    (section,) = [s for s in _legend(infrastructure).sections if s.title == "Infrastructure and projects"]
    badges = {entry.badge for entry in section.entries if entry.symbol.endswith("_badge")}
    assert {"SS", "WI", "WW", "P"} <= badges
    (pipeline,) = [entry for entry in section.entries if "Gas pipeline" in entry.label]
    assert pipeline.symbol == "line" and pipeline.dash_array == "8 6"
    assert "numbered circle" in section.note


def test_infrastructure_and_projects_are_clustered_and_lines_are_not(infrastructure: folium.Map) -> None:
    clusters = _children(infrastructure, plugins.MarkerCluster)
    assert len(clusters) == 2
    for cluster in clusters:
        assert cluster.options["disableClusteringAtZoom"] == 13
        (geojson,) = [child for child in cluster._children.values() if isinstance(child, folium.GeoJson)]
        assert geojson.points == "badge"  # a divIcon badge, not an image or font icon
    clustered = {child.layer_name for cluster in clusters for child in cluster._children.values()}
    assert clustered == {"Priority engineering objects", "Named investment projects"}
    # The switcher turns the clusters on and off; lines stay a plain GeoJSON layer.
    members = dict(next(m for g, m in _control(infrastructure).plain_groups if g == "Infrastructure and projects"))
    assert {type(member) for member in members.values()} == {Cluster, StyledGeoJson}
    assert all(isinstance(member, RenderOnce) for member in members.values())  # each rendered once
    assert isinstance(members["Engineering lines"], folium.GeoJson)


def test_search_covers_places_districts_objects_and_projects(infrastructure: folium.Map) -> None:
    (search,) = _children(infrastructure, PlaceSearch)
    assert {layer.layer_name for layer in search.layers} == {
        "Places", "Districts", "Priority engineering objects", "Priority engineering lines",
        "Named investment projects", "Transport corridors",
    }
    assert search.placeholder == "Search: places, districts, objects, projects"
    assert len(search.clusters) == 2
    projects = next(layer for layer in search.layers if layer.layer_name == "Named investment projects")
    texts = {f["properties"]["search_text"] for f in projects.data["features"]}
    assert {"PepsiCo production project | pepsico", f"{XSS_NAME} | hostile"} <= texts  # plain text, inserted as text


def test_search_refuses_a_layer_whose_features_lack_the_search_text(layer_set: LayerSet) -> None:
    m = overview_map(layer_set, relief=None, offline=True)
    (search,) = _children(m, PlaceSearch)
    streams = next(g for g in _children(m, folium.GeoJson) if g.layer_name == "Streams")
    search.layers = (*search.layers, streams)
    with pytest.raises(ExportError, match="has no property 'search_text'"):
        render_html(m)


def test_project_popups_show_company_sector_and_worded_status(plan_layer_set: LayerSet) -> None:
    shown = display_layer(plan_layer_set["projects"], STYLES["projects"])
    pepsico = next(f for f in shown.data["features"] if f["id"] == "pepsico")["properties"]
    html = popup_html({**plan_layer_set["projects"].frame.set_index("id").loc["pepsico"].to_dict(), "id": "pepsico"},
                      shown.popup_template, fallback="Investment projects")
    assert pepsico["t"] == "PepsiCo production project" and "PepsiCo" in pepsico["v"]
    for column, value in (("company", "PepsiCo"), ("sector", "food industry")):
        header = text_html(column_format(column).header)
        assert f"<tr><th>{header}</th><td>{value}</td></tr>" in html
    assert '<span lang="en">Under way</span>' in html and "under_way" not in html
    assert '<span lang="en">Gate</span>' not in html and "<td>Gate</td>" in html  # the district, worded


def test_project_popups_escape_names(infrastructure_html: str) -> None:
    html = infrastructure_html.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    # In the page every "<" inside a script is written \\u003c, so the raw names never appear.
    assert XSS_NAME not in infrastructure_html and XSS_IMG not in infrastructure_html
    # Decoded, markup is only in the plain names and search text (which the page inserts as text).
    assert XSS_IMG not in html and "<i>unknown</i>" not in html
    plain = html.count('"search_text": "' + XSS_NAME) + html.count('"en": "' + XSS_NAME) \
        + html.count('"kk": "' + XSS_NAME) + html.count('"ru": "' + XSS_NAME)
    assert html.count(XSS_NAME) == plain
    assert '"t": "&lt;script&gt;alert(1)&lt;/script&gt;"' in html  # the popup title, as text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html and "food industry" in html
    assert '"search_text": "PepsiCo production project | pepsico"' in html
    assert "Wastewater plant &lt;b&gt;Gate&lt;/b&gt;" in html


def test_offline_infrastructure_map_inlines_the_cluster_plugin_and_loads_nothing(infrastructure_html: str) -> None:
    html = infrastructure_html
    assert external_resources(html) == []
    assert "/* leaflet.markercluster 1.1.0: dist/leaflet.markercluster.js */" in html
    assert "/* leaflet.markercluster 1.1.0: dist/MarkerCluster.Default.css */" in html
    assert "cdnjs.cloudflare.com" not in html and "L.tileLayer(" not in html
    assert '"maxZoom": 18' in html  # leaflet.markercluster refuses a map without one
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert dropped not in html.lower()


def test_online_infrastructure_map_inlines_the_cluster_plugin_too(plan_layer_set: LayerSet) -> None:
    html = render_html(infrastructure_map(plan_layer_set, relief=None, offline=False))
    assert "/* leaflet.markercluster 1.1.0: dist/leaflet.markercluster.js */" in html
    assert not any(url in html for url in ASSETS)


def test_infrastructure_map_needs_the_infrastructure_layer(layer_set: LayerSet) -> None:
    with pytest.raises(LayerError, match="no 'infrastructure' layer"):
        infrastructure_map(layer_set, relief=None, offline=True)


def test_infrastructure_map_of_the_committed_layers(tmp_path: Path) -> None:
    from alatau_geo.core.io import read_layers

    layers = read_layers(ROOT / "layers")
    m = infrastructure_map(layers, relief=relief_images(ROOT / "layers" / "terrain_dem.tif"), offline=True)
    labels = _labels(m)
    for kind in ("Substation (SS)", "Water intake (WI)", "Wastewater treatment plant (WW)"):
        assert f"Engineering objects: {kind}" in labels
    assert "Engineering lines: Gas pipeline (dashed)" in labels
    assert "Engineering lines: Road (planned, schematic)" in labels
    assert "Reconstruction of an existing object (dashed rim)" in labels
    html = render_html(m)
    assert external_resources(html) == []
    assert len(html.encode("utf-8")) < 3_000_000


def test_write_maps_adds_the_infrastructure_page_only_with_the_layer(
    layer_set: LayerSet, plan_layer_set: LayerSet, tmp_path: Path
) -> None:
    from alatau_geo.jobs.pages import write_maps

    def pages(layers: LayerSet, folder: str) -> set[str]:
        written = write_maps(layers, maps_dir=tmp_path / folder / "maps", layers_dir=tmp_path / folder / "layers",
                             dem_path=None, offline=True)
        return {page.path.name for page in written}

    assert pages(layer_set, "reference") == {"overview.html"}
    assert pages(plan_layer_set, "plan") == {"overview.html", "districts.html", "infrastructure.html"}


# --- proximity map ------------------------------------------------------------------------------------------


def _luminance(color: str) -> float:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_travel_time_classes_put_a_value_on_a_break_in_the_class_below() -> None:
    style = STYLES["travel_time_nodes"]
    classes = style.classes
    assert classes is not None
    assert classes.class_labels == ("0–5 min", "5–10 min", "10–20 min", "20–30 min", "> 30 min")
    values = [0.0, 4.99, 5.0, 5.01, 10.0, 10.01, 20.0, 20.01, 30.0, 30.01, 95.0, None, float("nan"), float("inf")]
    assert classes.classify(values).tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1, -1, -1]
    assert classes.classify(np.array([5.0, 10.0])).tolist() == [0, 1]  # numpy input as well
    on_break = style.leaflet_style({"travel_time_min": np.float64(5.0)}, geometry_type="Point")
    past_break = style.leaflet_style({"travel_time_min": 5.01}, geometry_type="Point")
    unreachable = style.leaflet_style({"travel_time_min": None}, geometry_type="Point")
    assert (on_break["fillColor"], past_break["fillColor"]) == classes.colors[:2]
    assert unreachable["fillColor"] == classes.missing_color == "#9e9e9e"
    assert classes.missing_label == "Unreachable" and len(set(classes.colors)) == 5
    assert on_break["radius"] == style.radius_px and style.compact_popups and not style.show


def test_service_area_limits_are_classes_with_30_minutes_lightest_and_drawn_beneath(
    proximity_layer_set: LayerSet,
) -> None:
    style = STYLES["service_areas"]
    classes = style.classes
    assert classes is not None
    assert classes.classify([10.0, 20.0, 30.0, 45.0]).tolist() == [0, 1, 2, 3]
    assert [classes.label_of(minutes) for minutes in (10, 20, 30)] == ["Within 10 min", "Within 20 min",
                                                                         "Within 30 min"]
    shades = [_luminance(color) for color in classes.colors]
    assert shades == sorted(shades)  # 10 min darkest, 30 min lightest
    # Shown merged per kind and limit (one fill per ground, not one per facility), 30 min first: beneath.
    layer = proximity_layer_set["service_areas"]
    shown = display_layer(layer, style)
    assert [feature["id"] for feature in shown.data["features"]] == [
        f"{kind}-{minutes}" for minutes in (30, 20, 10) for kind in ("substation", "water_intake", "wastewater_plant")
    ]
    assert shown.styles["substation-10"]["fillColor"] == classes.colors[0]
    assert shown.styles["substation-30"]["fillColor"] == classes.colors[2]
    feature = next(f for f in shown.data["features"] if f["id"] == "substation-10")["properties"]
    assert feature["t"] == text_html("Service areas: Substation · Within 10 min")
    assert '<span lang="ru">Зоны обслуживания: Подстанция · До 10 мин</span>' in feature["t"]
    values = dict(zip(shown.popup_template.columns, feature["v"], strict=False))
    assert values["minutes"] == "10" and values["facility_ids"] == "ss_1; ss_2; ss_3"
    frame = layer.frame
    union = frame[(frame["kind"] == "substation") & (frame["minutes"] == 10)].union_all()
    union_ha = area_ha(gpd.GeoSeries([union], crs=WORKING_CRS)).iloc[0]
    assert values["area_ha"] == f"{union_ha:,.1f}"


def test_value_classes_refuse_breaks_and_colours_that_do_not_match() -> None:
    with pytest.raises(ValueError, match="'colors' needs one colour per class"):
        ValueClasses("t", (5.0,), ("#000000",))
    with pytest.raises(ValueError, match="strictly ascending"):
        ValueClasses("t", (10.0, 5.0), ("#000000", "#111111", "#222222"))
    with pytest.raises(ValueError, match="'labels' needs one label per class"):
        ValueClasses("t", (5.0,), ("#000000", "#111111"), labels=("only one",))


def test_shared_popup_template_joins_escaped_values_into_escaped_markup() -> None:
    template = popup_template(["travel_time_min", "facility_id"], layer_title="Travel <b>", quality="approximate",
                              layer='nodes"', numeric=["travel_time_min"])
    properties = {"id": 7, "travel_time_min": 12.345, "facility_id": XSS_NAME}
    values = popup_values(properties, template)
    assert values == ["12.3", escape(XSS_NAME), "7"]
    joined = popup_html(properties, template, fallback=None)
    tt = text_html("Travel time (min)")
    assert joined == (
        '<div class="ag-popup" data-layer="nodes&quot;" data-id="7"><div class="ag-popup-title">Travel &lt;b&gt;'
        f'</div><table class="ag-popup-table"><tr><th>{tt}</th><td class="ag-num">12.3</td></tr>'
        f"<tr><th>{text_html('Facility')}</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>"
        f'<details class="ag-details"><summary>{text_html("Technical details")}</summary><div class="ag-popup-source">'
        f"Travel &lt;b&gt; · id 7 · {text_html('layer quality')}: {text_html('approximate')}</div></details></div>"
    )
    assert template.tooltip[0] + values[0] + template.tooltip[1] == f"{tt}: 12.3"
    missing = popup_values({"id": 1, "travel_time_min": float("nan"), "facility_id": None}, template)
    assert missing == [MISSING, MISSING, "1"]


def test_popup_values_made_column_by_column_are_those_of_each_feature() -> None:
    frame = gpd.GeoDataFrame(
        {"id": [1, 2, 3], "area_ha": [1234.56, float("nan"), -0.04], "residents": [0, 1_870_000, 12],
         "schematic": [True, False, True], "status": ["under_way", None, XSS_NAME], "note": ["a", 3.5, np.bool_(True)]},
        geometry=[Point(0, 0)] * 3, crs=WORKING_CRS)
    records = frame.drop(columns="geometry").to_dict("records")
    template = popup_template(["area_ha", "residents", "schematic", "status", "note"], layer_title="Blocks")
    kinds = {column: dtype.kind for column, dtype in frame.dtypes.items() if isinstance(dtype, np.dtype)}
    rows = popup_value_rows(records, template, kinds=kinds)
    assert rows == [popup_values(record, template) for record in records]
    assert rows[0][:2] == ["1,234.6", "0"] and rows[1][:2] == [MISSING, "1,870,000"] and rows[2][0] == "-0.0"
    assert escape(XSS_NAME) in rows[2]


def test_geometries_mapped_in_bulk_are_those_shapely_maps_one_by_one() -> None:
    holed = box(0, 0, 4, 4).difference(box(1, 1, 2, 2))
    geometries = np.array([
        Point(1.5, 2.25), Point(1, 2, 3), LineString([(0, 0), (1, 1), (2, 0)]), holed,
        shapely.MultiPoint([(0, 0), (1, 2)]), shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5)]]),
        shapely.MultiPolygon([holed, box(5, 5, 6, 6)]), shapely.GeometryCollection([Point(0, 0)]), Polygon(),
        LineString([(0, 0, 1), (1, 1, 2)]), holed,
    ], dtype=object)
    assert geometry_mappings(geometries) == [shapely.geometry.mapping(geometry) for geometry in geometries]


def test_hatch_patterns_are_defined_once_per_colour_and_escaped() -> None:
    patterns = HatchPatterns(["#d94801", "#d94801", '"><script>'])
    assert patterns.defs.count("<pattern ") == 2
    assert 'id="ag-hatch-d94801"' in patterns.defs and "<script>" not in patterns.defs
    style = STYLES["coverage_gaps"]
    gap = style.leaflet_style({"kind": "water_intake"}, geometry_type="MultiPolygon")
    assert gap["fillColor"] == "url(#ag-hatch-0570b0)" and gap["color"] == "#0570b0"
    assert set(style.hatch_colors()) >= {"#d94801", "#0570b0", "#6a3d9a"}


@pytest.fixture(scope="module")
def proximity(proximity_layer_set: LayerSet, relief: ReliefImages) -> folium.Map:
    return proximity_map(proximity_layer_set, relief=relief, offline=True)


proximity_html = _rendered("proximity")


def _members(m: folium.Map, group: str) -> dict[str, object]:
    return dict(next(members for name, members in _control(m).plain_groups if name == group))


def test_proximity_switcher_lists_service_areas_coverage_gaps_and_travel_time(proximity: folium.Map) -> None:
    control = _control(proximity)
    assert _switcher(proximity)[0] == ["Terrain", "Boundaries", "Plan", "Infrastructure and projects",
                                       "Service areas (road network)", "Coverage and gaps (straight-line radius)",
                                       "Travel time (road network)", "Water", "Settlements and transport"]
    kinds = ("Substation", "Water intake", "Wastewater treatment plant")
    service = _members(proximity, "Service areas (road network)")
    assert list(service) == [f"Service areas: {kind}" for kind in kinds]
    coverage = _members(proximity, "Coverage and gaps (straight-line radius)")
    assert list(coverage) == [f"Coverage: {kind}" for kind in kinds] + [f"Coverage gaps: {kind}" for kind in kinds]
    travel = _members(proximity, "Travel time (road network)")
    assert list(travel) == ["Travel time"]
    # On when the map opens: the substations' service areas and gaps; the rest a click away.
    on = {name for members in (service, coverage, travel) for name, layer in members.items() if layer.show}
    assert on == {"Service areas: Substation", "Coverage gaps: Substation"}
    assert {layer.layer_name for _, members in control.plain_groups for _, layer in members} >= {"Places", "Districts"}
    assert "Streams" not in str(control.layer_names) and "Study area" not in str(control.layer_names)
    # Each kind's service areas sit in their own translucent pane, below the other vectors.
    panes = _children(proximity, TranslucentPane)
    assert len(panes) == 3 and {pane.z_index for pane in panes} == {390}
    assert {layer.options["pane"] for layer in service.values()} == {pane.name for pane in panes}


def test_proximity_legend_has_the_time_classes_the_limits_and_the_gaps(proximity: folium.Map) -> None:
    labels = _labels(proximity)
    expected = {*(f"Service areas: Within {limit} min" for limit in (10, 20, 30)), "Coverage: Substation",
                *(f"Coverage gaps: {kind}" for kind in ("Substation", "Water intake", "Wastewater treatment plant")),
                *(f"Travel time: {band}" for band in ("0–5 min", "5–10 min", "10–20 min", "20–30 min", "Unreachable")),
                "District outlines", "City boundary", "Engineering objects: Substation (SS)"}
    assert expected - set(labels) == set()
    assert "Travel time: > 30 min" not in labels  # no synthetic node is that far: only classes present
    assert "Service areas: More than 30 min" not in labels
    entries = {entry.label: entry for section in _legend(proximity).sections for entry in section.entries}
    assert entries["Coverage gaps: Substation"].fill_color == "url(#ag-hatch-d94801)"
    assert entries["Travel time: Unreachable"].symbol == "point"
    assert entries["Travel time: Unreachable"].fill_color == "#9e9e9e"
    assert entries["District outlines"].fill_color is None  # outlines only on this map
    hrefs = sorted(link.href for link in _legend(proximity).downloads)
    for name in ("service_areas", "coverage", "coverage_gaps", "travel_time_nodes", "infrastructure"):
        assert hrefs.count(f"../layers/{name}.geojson") == 1  # one link per layer, not per kind


def test_travel_time_nodes_carry_only_escaped_values_and_share_one_popup(
    proximity: folium.Map, proximity_html: str
) -> None:
    travel = _members(proximity, "Travel time (road network)")["Travel time"]
    features = {feature["id"]: feature for feature in travel.data["features"]}
    assert all(set(feature["properties"]) == {"v", "s"} for feature in features.values())
    assert features[2]["properties"]["v"] == ["10.0", escape(XSS_NAME), "2"]
    assert features[1]["properties"]["v"] == [MISSING, MISSING, "1"]  # unreachable
    (shared,) = [part for part in _children(proximity, SharedPopup) if part.parts["layer"] == "travel_time_nodes"]
    assert text_html("Travel time (min)") in shared.parts["popup"][0]
    assert text_html("Facility") in shared.parts["popup"][1]
    assert travel.shared is shared and len(travel.style_table) <= 6  # one style per class, not per node
    # Thousands of dots are drawn on a canvas, in a pane the runtime shows only while they are on.
    assert travel.points == "canvas" and travel.options["canvas"] == "ag-dense"
    assert "ids" in travel.data_json[:20]  # compact: ids, coordinates and values as parallel lists
    # In the page, markup inside scripts is written \u003c...; the raw name never appears.
    assert XSS_NAME not in proximity_html
    decoded = proximity_html.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    # Decoded, the raw name is only a plain JSON value of names, labels and search text, which the
    # page only ever inserts as text.
    keys = re.findall(r'"(\w+)": "' + re.escape(XSS_NAME), decoded)
    assert len(keys) == decoded.count(XSS_NAME) > 0 and set(keys) <= {"en", "kk", "ru", "search_text"}
    assert '"v": ["10.0", "' + escape(XSS_NAME) in decoded


def test_offline_proximity_map_loads_nothing_and_defines_its_hatch_patterns(proximity_html: str) -> None:
    html = proximity_html
    assert external_resources(html) == []
    assert 'http-equiv="Content-Security-Policy"' in html and "L.tileLayer(" not in html
    for color in ("d94801", "0570b0", "6a3d9a"):
        assert f'<pattern id="ag-hatch-{color}"' in html
    assert ".style.opacity = 0.5" in html


def test_proximity_map_needs_an_analysis_layer(plan_layer_set: LayerSet) -> None:
    with pytest.raises(LayerError, match="none of service_areas, coverage"):
        proximity_map(plan_layer_set, relief=None, offline=True)


def test_proximity_map_of_the_committed_layers_is_under_3_mb() -> None:
    from alatau_geo.core.io import read_layers

    layers = read_layers(ROOT / "layers")
    m = proximity_map(layers, relief=relief_images(ROOT / "layers" / "terrain_dem.tif"), offline=True)
    labels = _labels(m)
    for minutes in ("0–5", "5–10", "10–20", "20–30"):
        assert f"Travel time: {minutes} min" in labels
    for minutes in (10, 20, 30):
        assert f"Service areas: Within {minutes} min" in labels
    travel = _members(m, "Travel time (road network)")["Travel time"]
    assert len(travel.data["features"]) == len(layers["travel_time_nodes"].frame) > 4000
    html = render_html(m)
    assert external_resources(html) == []
    assert len(html.encode("utf-8")) < 3_000_000


def test_write_maps_adds_the_proximity_page_with_the_analysis_layers(
    proximity_layer_set: LayerSet, tmp_path: Path
) -> None:
    from alatau_geo.jobs.pages import write_maps

    written = write_maps(proximity_layer_set, maps_dir=tmp_path / "maps", layers_dir=tmp_path / "layers",
                         dem_path=None, offline=True)
    pages = {page.name: page.path for page in written}
    assert set(pages) == {"overview", "districts", "infrastructure", "proximity"}
    assert "Service areas: Substation" in pages["proximity"].read_text("utf-8")
    assert "Service areas" not in pages["overview"].read_text("utf-8")  # the overview shows the plan only


def test_a_split_layer_keeps_features_without_a_value_in_a_part_of_their_own(
    proximity_layer_set: LayerSet,
) -> None:
    layer = proximity_layer_set["coverage_gaps"]
    frame = layer.frame.copy()
    frame.loc[frame.index[0], "kind"] = None
    layers = LayerSet([Layer("coverage_gaps", frame, layer.provenance, layer.title)])
    m = proximity_map(layers, relief=None, offline=True)
    members = _members(m, "Coverage and gaps (straight-line radius)")
    assert list(members) == ["Coverage gaps: Water intake", "Coverage gaps: Wastewater treatment plant",
                             "Coverage gaps: kind not given"]
    assert [layer.show for layer in members.values()] == [True, False, False]  # no substation: the first kind


# --- languages, former names, one relief per build -----------------------------------------------------------


def test_the_plan_names_the_language_the_maps_open_in(tmp_path: Path) -> None:
    from alatau_geo.core.errors import PlanError
    from alatau_geo.plan.workspace import plan_fingerprint

    assert load_plan().maps.language == "en"
    kazakh = tmp_path / "plan.toml"
    kazakh.write_text('[maps]\nlanguage = "kk"\n', encoding="utf-8")
    assert load_plan(kazakh).maps.language == "kk"
    # How the maps read changes no layer: layers built before stay valid.
    assert plan_fingerprint(load_plan(kazakh))["sha256"] == plan_fingerprint(load_plan())["sha256"]
    french = tmp_path / "french.toml"
    french.write_text('[maps]\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(PlanError, match=r"french.toml: 'maps.language' must be one of kk, ru, en, got 'fr'"):
        load_plan(french)


def test_a_map_opens_in_the_language_asked_for_and_carries_all_three(layer_set: LayerSet) -> None:
    html = render_html(overview_map(layer_set, relief=None, offline=True, language="ru"))
    assert 'language: "ru"' in html
    legend = _legend(overview_map(layer_set, relief=None, offline=True, language="ru"))
    for text in ('<span lang="en">Places: City</span>', '<span lang="kk">Елді мекендер: Қала</span>',
                 '<span lang="ru">Населённые пункты: Город</span>'):
        assert text in legend.html
    with pytest.raises(ValueError, match="map language must be one of en, kk, ru, got 'de'"):
        overview_map(layer_set, relief=None, offline=True, language="de")


# Layers whose "role" is the plan's wording of a zone; elsewhere (settlements) it is a free description.
_ZONES = ("districts", "city_boundary", "sez")


def _drawn_texts(layers: LayerSet, styles: Mapping[str, LayerStyle]) -> set[str]:
    """The texts a page drawing `layers` takes from them: legend, layer switcher, popup titles, headers, values."""
    from alatau_geo.maps.vectors import add_vectors

    vectors = add_vectors(folium.Map(), (layers[name] for name in layers), download_template="{name}", styles=styles)
    texts = set(vectors.groups) | {name for members in vectors.groups.values() for name, _ in members}
    for section in vectors.sections:
        texts |= {section.title, section.note} | {entry.label for entry in section.entries}
    for shown in vectors.shown:
        texts |= {shown.title} | {column_format(column).header for column in shown.popup_template.columns}
    for name in layers:
        frame = layers[name].frame
        style = styles.get(name) or style_for(name, geometry_type=layers[name].geometry_type)
        records = frame.drop(columns=frame.geometry.name).to_dict("records")
        texts |= {style.feature_label(record, title=layers[name].title) or "" for record in records}
        # District names ("Gate") are the same in every language (see the tables' name_kk, name_ru).
        worded = [column for column in popup_columns(frame.columns)
                  if column != "district" and (column != "role" or name in _ZONES)]
        texts |= {value_label(column, str(value)) for column in worded
                  for value in frame[column].dropna().unique() if is_worded(column, value)}
    return texts


def _siting_examples() -> LayerSet:
    """The siting layers (built by ``alatau-geo site``, not in layers/) with every coded value they can hold."""
    from alatau_geo.analysis.catchments import Status
    from alatau_geo.analysis.siting_layers import CATCHMENT_COLUMNS, MOVE_LINE_COLUMNS, SITE_COLUMNS
    from alatau_geo.plan.demand_params import DEMAND_UNITS
    from alatau_geo.plan.siting_params import SitingParams

    coded = [{"kind": kind, "role": role, "status": status, "load_unit": DEMAND_UNITS[siting.demand],
              "cost_unit": "min" if siting.cost == "time" else "m", "load_share": 0.5}
             for (kind, siting), role, status in itertools.product(SitingParams().kinds.items(),
                                                                   ("candidate", "fixed"), get_args(Status))]
    shapes = {"siting_recommended": (SITE_COLUMNS, Point(660_000, 4_810_000)),
              "siting_catchments": (CATCHMENT_COLUMNS, box(659_000, 4_809_000, 661_000, 4_811_000)),
              "siting_moves": (MOVE_LINE_COLUMNS, LineString([(659_000, 4_810_000), (660_000, 4_810_000)]))}
    titles = {"siting_recommended": "Recommended facility sites (2050)",  # as analysis.siting_layers titles them
              "siting_catchments": "Catchments of the recommended sites (2050)",
              "siting_moves": "Planned objects to recommended sites (2050)"}
    layers = []
    for name, (columns, geometry) in shapes.items():
        rows = [{column: row.get(column, f"{name}_{index}" if column == "id" else 1) for column in columns}
                for index, row in enumerate(coded)]
        frame = gpd.GeoDataFrame(rows, geometry=[geometry] * len(rows), crs=WORKING_CRS)
        layers.append(Layer(name, frame, Provenance(source="test", method="test", quality="derived"), titles[name]))
    return LayerSet(layers)


def test_translations_cover_every_text_of_the_built_maps() -> None:
    from alatau_geo.core.io import read_layers
    from alatau_geo.maps.siting import SITING_STYLES
    from alatau_geo.maps.suitability import SUITABILITY_STYLES

    layers = read_layers(ROOT / "layers")  # every layer the default build writes, thematic ones included
    m = proximity_map(layers, relief=relief_images(ROOT / "layers" / "terrain_dem.tif"), offline=True)
    texts = {entry.label for section in _legend(m).sections for entry in section.entries}
    texts |= {section.title for section in _legend(m).sections} | set(_control(m).layer_names)
    texts |= _drawn_texts(layers, {})
    texts |= _drawn_texts(LayerSet(layers[name] for name in SUITABILITY_STYLES if name in layers), SUITABILITY_STYLES)
    texts |= _drawn_texts(_siting_examples(), SITING_STYLES)
    assert untranslated(texts) == []


def test_former_names_are_searched_when_the_table_has_them(layer_set: LayerSet) -> None:
    places = layer_set["places"]
    frame = places.frame.copy()
    frame["former_names"] = ["", "Kapchagay; Капшағай; Капчагай", "", "", ""]
    shown = display_layer(Layer("places", frame, places.provenance, places.title), STYLES["places"])
    konaev = next(f for f in shown.data["features"] if f["id"] == "p2")["properties"]
    assert konaev["search_text"] == "Konaev | Қонаев | Конаев | Kapchagay | Капшағай | Капчагай | p2"
    popup = popup_html({**frame.set_index("id").loc["p2"].to_dict(), "id": "p2"}, shown.popup_template,
                       fallback="Places")
    assert "Kapchagay; Капшағай; Капчагай" in popup and popup.index("Kapchagay") < popup.index("<details")


def test_the_relief_is_rendered_once_per_build_and_shared_by_every_page(
    proximity_layer_set: LayerSet, dem_path: Path, tmp_path: Path
) -> None:
    from alatau_geo.jobs.pages import write_maps

    calls = []

    def counted(path: Path) -> ReliefImages:
        calls.append(path)
        return relief_images(path)

    written = write_maps(proximity_layer_set, maps_dir=tmp_path / "maps", layers_dir=tmp_path / "layers",
                         dem_path=dem_path, offline=True, language="kk", relief=counted)
    assert len(written) == 5 and calls == [dem_path]
    image = relief_images(dem_path).hillshade.url
    for page in written:
        html = page.path.read_text("utf-8")
        assert html.count(image) == 1 and 'language: "kk"' in html  # one copy each (the mini map reuses it)
        assert page.size_bytes < 3_000_000


def test_display_copies_kept_by_a_build_give_the_same_page_and_follow_every_change(
        plan_layer_set, relief, tmp_path, monkeypatch):
    from alatau_geo.jobs import pages
    from alatau_geo.jobs.stage_cache import StageCache

    expected = render_html(overview_map(plan_layer_set, relief=relief, offline=True))
    made = []
    monkeypatch.setattr(pages, "display_layer", lambda layer, style: made.append(layer.name) or
                        display_layer(layer, style))
    for _ in range(2):  # the second build reads every copy back: none is made again
        html = render_html(overview_map(plan_layer_set, relief=relief, offline=True,
                                        display=pages.cached_display(StageCache(tmp_path))))
        assert html == expected
    first = list(made)
    assert len(first) == len(set(first))
    assert set(first) == set(plan_layer_set) - {name for name in plan_layer_set if plan_layer_set[name].frame.empty}
    # One district renamed: only that layer is made again, and the page shows the new name.
    districts = plan_layer_set["districts"]
    renamed = districts.frame.assign(name_en=districts.frame["name_en"].where(districts.frame.index != 0, "Renamed"))
    edited = LayerSet([*(layer for name, layer in plan_layer_set.items() if name != "districts"),
                       Layer("districts", renamed, districts.provenance, districts.title)])
    html = render_html(overview_map(edited, relief=relief, offline=True,
                                    display=pages.cached_display(StageCache(tmp_path))))
    assert made[len(first):] == ["districts"] and "Renamed" in html
    # A damaged copy is made again, not shown.
    for path in next((tmp_path / "stages").glob("memo-display-*")).glob("*.json"):
        path.write_bytes(b'{"name": ')
    assert render_html(overview_map(plan_layer_set, relief=relief, offline=True,
                                    display=pages.cached_display(StageCache(tmp_path)))) == expected
