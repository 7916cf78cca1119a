"""The maps: overview, districts, infrastructure, proximity and terrain, as folium maps that work online and offline.

A map is assembled from parts built elsewhere in this package: display
copies of the layers (:mod:`.features`), relief images (:mod:`.rasters`),
styles (:mod:`.style`) and controls (:mod:`.controls`). Nothing here writes
a file; :func:`render_html` gives the page as a string for
:mod:`alatau_geo.core.io` to write.

Coordinates: folium wants (lat, lon); every other function in the package
uses (lon, lat), so the swap happens only where folium is called, marked
"folium order".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from types import MappingProxyType

import folium
import pandas as pd
from folium import plugins
from folium.map import CustomPane
from folium.raster_layers import ImageOverlay
from folium.utilities import JsCode

from alatau_geo.core.errors import AlatauGeoError, ExportError, LayerError
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.maps.assets import OfflineMap, external_resources
from alatau_geo.maps.controls import (
    DownloadLink,
    GroupedLayers,
    HatchPatterns,
    ImageMiniMap,
    Legend,
    LegendEntry,
    LegendSection,
    MapStylesheet,
    PlaceSearch,
    SharedPopup,
    TranslucentPane,
    cluster_icon_function,
    download_href,
)
from alatau_geo.maps.elements import DataGeoJson, template_reparsing_elements
from alatau_geo.maps.features import DisplayLayer, display_layer
from alatau_geo.maps.rasters import (
    RELIEF_Z_FACTOR,
    RasterImage,
    hillshade_image,
    read_dem,
    slope_class_image,
)
from alatau_geo.maps.relief import SLOPE_CLASSES
from alatau_geo.maps.style import (
    CONTEXT_STYLES,
    GROUP_ORDER,
    GROUP_TERRAIN,
    Category,
    LayerStyle,
    column_format,
    style_for,
)

__all__ = [
    "DISTRICT_MAP_LAYERS",
    "DOWNLOAD_TEMPLATE",
    "INFRASTRUCTURE_MAP_LAYERS",
    "PROXIMITY_ANALYSIS_LAYERS",
    "PROXIMITY_MAP_LAYERS",
    "districts_map",
    "infrastructure_map",
    "overview_map",
    "proximity_map",
    "render_html",
    "terrain_map",
]

# What a districts map shows besides the zones: enough to orient a reader.
DISTRICT_MAP_LAYERS = ("study_area", "reservoir", "rivers", "corridors", "places", "sez", "city_boundary", "districts")
# What the infrastructure map shows: the orienting layers, then the objects, lines and projects.
INFRASTRUCTURE_MAP_LAYERS = (
    "study_area",
    "reservoir",
    "rivers",
    "corridors",
    "places",
    "districts",
    "city_boundary",
    "infrastructure_lines",
    "infrastructure",
    "projects",
)
# The infrastructure map opens on the city and its objects rather than the whole plain.
INFRASTRUCTURE_MAP_EXTENT = ("city_boundary", "infrastructure", "infrastructure_lines", "projects")
CLUSTER_NOTE = "A numbered circle groups nearby objects: click it or zoom in to see them."
# What the proximity map shows: the analysis layers, the facilities they are
# measured from, and outlines and lines that orient a reader.
PROXIMITY_ANALYSIS_LAYERS = ("service_areas", "coverage", "coverage_gaps", "travel_time_nodes")
PROXIMITY_MAP_LAYERS = (
    "reservoir",
    "rivers",
    "corridors",
    "places",
    "districts",
    "city_boundary",
    "infrastructure",
    *PROXIMITY_ANALYSIS_LAYERS,
)
PROXIMITY_MAP_EXTENT = ("city_boundary", "travel_time_nodes")

# Maps are written to <build>/maps/ and layers to <build>/layers/.
DOWNLOAD_TEMPLATE = "../layers/{name}.geojson"
RELIEF_TITLE = "Shaded relief (SRTM 90 m)"
SLOPE_TITLE = "Slope classes"
RELIEF_ATTRIBUTION = "Relief: SRTM, NASA/USGS"
# Deepest zoom level: street scale, as deep as the online base maps go.
_MAX_ZOOM = 18
# Fallback view when no layer has features: the Alatau plain, (lon, lat).
_DEFAULT_BOUNDS = (76.55, 43.10, 78.00, 44.00)

# Online base maps: (name shown, xyzservices provider name). The first is active.
# The light map is Esri's grey canvas, not CARTO Positron: xyzservices 2026
# lists CARTO basemaps as needing an API key, which a shared HTML file cannot carry.
_TILE_BASES: tuple[tuple[str, str], ...] = (
    ("Light grey (Esri World Light Gray Canvas)", "Esri.WorldGrayCanvas"),
    ("OpenStreetMap", "OpenStreetMap"),
    ("Satellite (Esri World Imagery)", "Esri.WorldImagery"),
)

# Bind each feature's own, already escaped popup and tooltip (see .popups).
_BIND_POPUPS = JsCode(
    """function (feature, layer) {
        layer.bindPopup(feature.properties.popup_html, {maxWidth: 380});
        layer.bindTooltip(feature.properties.tooltip_html, {sticky: true});
    }"""
)


def _new_map(*, offline: bool, title: str) -> folium.Map:
    map_class = OfflineMap if offline else folium.Map
    west, south, east, north = _DEFAULT_BOUNDS
    m = map_class(
        location=((south + north) / 2, (west + east) / 2),  # folium order
        zoom_start=9,
        maxZoom=_MAX_ZOOM,  # a map option (folium gives max_zoom to tiles only): leaflet.markercluster needs it
        tiles=None,
        control_scale=True,
    )
    m.get_root().title = escape(title)  # branca writes the title into <title> unescaped
    MapStylesheet().add_to(m)
    # Panes keep rasters under the vectors whatever order layers are toggled in.
    CustomPane("relief", z_index=250).add_to(m)
    CustomPane("slope", z_index=300).add_to(m)
    return m


def _image_overlay(
    image: RasterImage, *, name: str, pane: str, base: bool, opacity: float, show: bool, class_name: str = ""
) -> ImageOverlay:
    west, south, east, north = image.bounds
    options = {"pane": pane, "opacity": opacity, "attribution": RELIEF_ATTRIBUTION}
    if class_name:
        options["className"] = class_name
    return ImageOverlay(
        image.url,
        bounds=[[south, west], [north, east]],  # folium order
        name=escape(name),
        overlay=not base,
        control=False,
        show=show,
        pixelated=False,
        **options,
    )


def _base_maps(
    m: folium.Map, *, offline: bool, relief: RasterImage | None
) -> tuple[list[tuple[str, folium.map.Layer]], ImageOverlay | None, bool]:
    """Add the base maps; return them, the relief overlay and whether it is a base map."""
    if offline:
        # No tiles offline: the shaded relief is the base map, or nothing.
        if relief is None:
            return [], None, False
        overlay = _image_overlay(relief, name=RELIEF_TITLE, pane="relief", base=True, opacity=1.0, show=True)
        overlay.add_to(m)
        return [(RELIEF_TITLE, overlay)], overlay, True
    bases: list[tuple[str, folium.map.Layer]] = []
    for index, (name, tiles) in enumerate(_TILE_BASES):
        tile_layer = folium.TileLayer(tiles, name=escape(name), overlay=False, control=False, show=index == 0)
        # The map goes to _MAX_ZOOM; past a base map's own deepest level (16 for the grey
        # canvas) Leaflet enlarges its last tiles instead of leaving the map blank.
        tile_layer.options["max_native_zoom"] = min(tile_layer.options["max_native_zoom"], _MAX_ZOOM)
        tile_layer.options["max_zoom"] = _MAX_ZOOM
        tile_layer.add_to(m)
        bases.append((name, tile_layer))
    if relief is None:
        return bases, None, False
    # Online the relief shades the tiles beneath it (multiply blend) rather than hiding them.
    overlay = _image_overlay(
        relief,
        name=RELIEF_TITLE,
        pane="relief",
        base=False,
        opacity=0.55,
        show=True,
        class_name="ag-hillshade-overlay",
    )
    overlay.add_to(m)
    return bases, overlay, False


def _vector_layer(
    shown: DisplayLayer, style: LayerStyle, *, pane: str | None = None, shared: SharedPopup | None = None
) -> folium.GeoJson:
    """The folium layer of `shown`; in map pane `pane`; with popups joined from `shared` if given."""

    def styler(feature: dict) -> dict:
        return shown.styles[feature["id"]]

    def highlighter(feature: dict) -> dict:
        return {"weight": style.weight + 2, "fillOpacity": min(1.0, style.fill_opacity + 0.2)}

    # Points are drawn as circle markers, or as HTML badges (a divIcon whose
    # options come per feature from the styler, see .features): Leaflet's
    # default marker is an image and folium's icons are a web font, which an
    # offline page cannot load.
    marker: folium.Marker | folium.CircleMarker | None = None
    if _has_points(shown):
        marker = (
            folium.Marker(icon=folium.DivIcon(class_name="ag-badge-icon"), riseOnHover=True)
            if style.badge_shape
            else folium.CircleMarker(radius=style.radius_px)
        )
    options = {"pane": pane} if pane else {}
    return DataGeoJson(
        shown.data,
        name=escape(shown.title),
        style_function=styler,
        highlight_function=highlighter,
        marker=marker,
        on_each_feature=JsCode(shared.binding()) if shared is not None else _BIND_POPUPS,
        overlay=True,
        control=False,
        show=style.show,
        **options,
    )


def _has_points(shown: DisplayLayer) -> bool:
    return any(f["geometry"]["type"] in ("Point", "MultiPoint") for f in shown.data["features"])


def _cluster(shown: DisplayLayer, style: LayerStyle) -> plugins.MarkerCluster:
    """A marker cluster for a point layer: nearby points merge into a counted circle below a zoom level."""
    return plugins.MarkerCluster(
        name=escape(shown.title),
        overlay=True,
        control=False,
        show=style.show,
        icon_create_function=cluster_icon_function(style.badge_shape or "round"),
        disableClusteringAtZoom=style.cluster_until_zoom,
        maxClusterRadius=45,
        showCoverageOnHover=False,
        spiderfyOnMaxZoom=True,
    )


def _legend_entry(label: str, symbol: str, style: LayerStyle, category: Category | None) -> LegendEntry:
    tint = category.color if category else None
    if symbol == "point":
        if style.badge_shape:  # the badge as drawn: its letters on the category colour
            letters = category.badge if category and category.badge else style.badge_text
            fill = tint or style.fill_color or style.color
            return LegendEntry(label, f"{style.badge_shape}_badge", style.color, fill, None, letters)
        return LegendEntry(label, "point", style.color, tint or style.fill_color)  # a dark rim around the colour
    dash = category.dash_array if category and category.dash_array else style.dash_array
    fill = tint or style.fill_color
    return LegendEntry(label, symbol, tint or style.color, style.fill_paint(fill) if fill else None, dash)


def _class_entries(title: str, symbol: str, style: LayerStyle, frame: pd.DataFrame) -> list[LegendEntry]:
    """One row per class of a graduated layer present in the data, then one for features without a value."""
    classes = style.classes
    assert classes is not None
    present = set(classes.classify(frame[classes.column]).tolist())
    rows = [(label, color) for index, (label, color) in enumerate(zip(classes.class_labels, classes.colors,
                                                                      strict=True)) if index in present]
    if -1 in present:
        rows.append((classes.missing_label, classes.missing_color))
    return [
        _legend_entry(f"{title}: {label}", symbol, style, Category(label, label, color)) for label, color in rows
    ]


def _flag_entry(symbol: str, style: LayerStyle) -> LegendEntry:
    if symbol == "point" and style.badge_shape:
        return LegendEntry(style.flag_label, f"{style.badge_shape}_badge", style.color, "#ffffff", "3 2")
    return LegendEntry(style.flag_label, "line", style.color, None, style.flag_dash)


def _legend_entries(style: LayerStyle, layer: Layer) -> list[LegendEntry]:
    """One row per layer, or per class or category present in the data, plus the flagged-feature row."""
    symbol = {"Point": "point", "LineString": "line"}.get(layer.geometry_type.removeprefix("Multi"), "fill")
    frame = layer.frame
    title = style.legend_title or layer.title or layer.name
    if style.classes is not None and style.classes.column in frame.columns:
        entries = _class_entries(title, symbol, style, frame)
    elif not (style.category_column and style.category_column in frame.columns):
        entries = [_legend_entry(title, symbol, style, None)]
    else:
        values = set(frame[style.category_column].dropna())
        entries = [
            _legend_entry(f"{title}: {category.label}", symbol, style, category)
            for category in style.categories
            if category.value in values
        ]
        if values - {category.value for category in style.categories}:
            entries.append(_legend_entry(f"{title}: other", symbol, style, None))
    if style.flag_column and style.flag_column in frame.columns:
        records = frame.drop(columns=frame.geometry.name).to_dict("records")
        if any(style.is_flagged(record) for record in records):
            entries.append(_flag_entry(symbol, style))
    return entries


@dataclass
class _Vectors:
    """What adding the vector layers produced, for the controls added after them."""

    groups: dict[str, list[tuple[str, folium.map.Layer]]] = field(default_factory=dict)
    sections: list[LegendSection] = field(default_factory=list)
    downloads: list[DownloadLink] = field(default_factory=list)
    shown: list[DisplayLayer] = field(default_factory=list)
    searchable: list[folium.GeoJson] = field(default_factory=list)
    search_nouns: list[str] = field(default_factory=list)
    clusters: list[plugins.MarkerCluster] = field(default_factory=list)
    hatch_colors: list[str] = field(default_factory=list)
    panes: int = 0


def _split(layer: Layer, style: LayerStyle) -> Iterator[tuple[Layer, LayerStyle]]:
    """The layer, or one part per value of its style's split column, each with its own title and visibility."""
    split = style.split
    if split is None or split.column not in layer.frame.columns:
        yield layer, style
        return
    frame = layer.frame
    values = split.ordered(frame[split.column].dropna())
    shown = [value for value in values if value in split.shown] or (values[:1] if split.shown else [])
    prefix = style.legend_title or layer.title or layer.name
    for value in values:
        part = Layer(layer.name, frame[frame[split.column] == value], layer.provenance,
                     f"{prefix}: {split.label(value)}")
        yield part, replace(style, show=style.show and value in shown)
    unnamed = frame[split.column].isna()
    if unnamed.any():  # never dropped silently: their own part, off when the map opens
        label = column_format(split.column).label.lower()
        yield Layer(layer.name, frame[unnamed], layer.provenance, f"{prefix}: {label} not given"), replace(
            style, show=False
        )


def _add_part(m: folium.Map, parts: _Vectors, layer: Layer, style: LayerStyle) -> bool:
    """Add one map layer (a whole layer or one part of a split one); return whether it is clustered."""
    shown = display_layer(layer, style)
    pane = None
    if style.pane_opacity is not None:
        parts.panes += 1
        pane = f"ag-pane-{parts.panes}"
        TranslucentPane(pane, opacity=style.pane_opacity).add_to(m)
    shared = None
    if shown.popup_template is not None:
        shared = SharedPopup(shown.popup_template)
        shared.add_to(m)  # before the layer, whose features refer to it
    geojson = _vector_layer(shown, style, pane=pane, shared=shared)
    switched: folium.map.Layer = geojson  # what the layer switcher turns on and off
    clustered = style.cluster_until_zoom is not None and _has_points(shown)
    if clustered:
        switched = _cluster(shown, style)
        switched.add_to(m)
        geojson.show = True  # the cluster decides whether the layer is shown
        geojson.add_to(switched)
        parts.clusters.append(switched)
    else:
        geojson.add_to(m)
    parts.groups.setdefault(style.group, []).append((shown.title, switched))
    parts.shown.append(shown)
    if style.searchable and shown.feature_count:
        parts.searchable.append(geojson)
        parts.search_nouns.append(style.search_noun or shown.title.lower())
    return clustered


def _add_vectors(
    m: folium.Map,
    layers: Iterable[Layer],
    *,
    download_template: str,
    styles: Mapping[str, LayerStyle] = MappingProxyType({}),
) -> _Vectors:
    """Add the vector layers in drawing order (style ``order``); `styles` replaces the registry's by name."""
    styled = sorted(
        ((layer, styles.get(layer.name) or style_for(layer.name, geometry_type=layer.geometry_type))
         for layer in layers),
        key=lambda pair: pair[1].order,
    )
    parts = _Vectors()
    legend: dict[str, list[LegendEntry]] = {}
    notes: dict[str, list[str]] = {}
    for layer, style in styled:
        clustered = False
        for part, part_style in _split(layer, style):
            clustered |= _add_part(m, parts, part, part_style)
        group_notes = notes.setdefault(style.group, [])
        for note in (CLUSTER_NOTE if clustered else "", style.legend_note):
            if note and note not in group_notes:
                group_notes.append(note)
        legend.setdefault(style.group, []).extend(_legend_entries(style, layer))
        parts.hatch_colors.extend(style.hatch_colors())
        title = layer.title or layer.name
        parts.downloads.append(
            DownloadLink(f"{title} ({layer.provenance.quality})", download_href(layer.name, template=download_template))
        )
    parts.sections = [
        LegendSection(group, tuple(entries), " ".join(notes.get(group, ())))
        for group, entries in _in_group_order(legend)
    ]
    return parts


def _in_group_order(by_group: dict[str, list]) -> list[tuple[str, list]]:
    known = [(group, by_group[group]) for group in GROUP_ORDER if group in by_group]
    return known + [(group, items) for group, items in by_group.items() if group not in GROUP_ORDER]


def _fit(m: folium.Map, shown_layers: list[DisplayLayer], *, prefer: tuple[str, ...]) -> None:
    """Open the map on the layers named in `prefer` that have features, else on every layer."""
    boxes = [shown.bounds for shown in shown_layers if shown.feature_count]
    preferred = [shown.bounds for shown in shown_layers if shown.name in prefer and shown.feature_count]
    boxes = preferred or boxes
    if boxes:
        west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
        east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    else:
        west, south, east, north = _DEFAULT_BOUNDS
    m.fit_bounds([[south, west], [north, east]])  # folium order


def _finish(
    m: folium.Map,
    vectors: _Vectors,
    *,
    offline: bool,
    bases: list[tuple[str, folium.map.Layer]],
    relief: ImageOverlay | None,
    fit_to: tuple[str, ...] = ("study_area",),
) -> None:
    """Add the tools and controls every map has, after its layers, in the order Leaflet stacks them."""
    plugins.Fullscreen(position="topleft", title="Full screen", title_cancel="Exit full screen").add_to(m)
    plugins.MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(m)
    if vectors.searchable:
        nouns = reversed(vectors.search_nouns)  # the layer drawn on top first: "places and projects"
        PlaceSearch(
            vectors.searchable,
            clusters=vectors.clusters,
            search_label="search_text",
            placeholder="Search " + " and ".join(dict.fromkeys(nouns)),
            position="topleft",
            collapsed=False,
            search_zoom=12,
        ).add_to(m)
    if not offline:
        plugins.MiniMap(tile_layer="OpenStreetMap", position="bottomright", toggle_display=True).add_to(m)
    elif relief is not None:
        ImageMiniMap(relief, position="bottomright", toggle_display=True, zoom_level_offset=-3).add_to(m)
    # else: an offline map without a DEM has nothing to draw a mini map with, so it has none.
    if vectors.hatch_colors:
        HatchPatterns(vectors.hatch_colors).add_to(m)
    Legend(vectors.sections, downloads=vectors.downloads, position="bottomleft").add_to(m)
    GroupedLayers(bases, _in_group_order(vectors.groups), collapsed=False).add_to(m)
    _fit(m, vectors.shown, prefer=fit_to)


def _relief_section(*, base: bool) -> LegendSection:
    note = f"Light from the north-west; relief exaggerated {RELIEF_Z_FACTOR:g}×."
    if base:
        note += " Offline base map: no tiles are loaded."
    return LegendSection(GROUP_TERRAIN, (LegendEntry(RELIEF_TITLE, "swatch", "#a0a0a0"),), note)


def _slope_section() -> LegendSection:
    entries = tuple(LegendEntry(f"Slope {c.label}", "swatch", c.color) for c in SLOPE_CLASSES)
    return LegendSection(SLOPE_TITLE, entries, "Percent rise over run, from the DEM on the UTM 43N grid.")


def overview_map(
    layers: LayerSet,
    *,
    dem_path: Path | None,
    offline: bool,
    title: str = "Alatau City: overview",
    download_template: str = DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The overview map: every layer, shaded relief, base maps and tools.

    Parameters
    ----------
    layers : LayerSet
        Layers to show, styled from :data:`alatau_geo.maps.style.STYLES`
        (a generic style for layers without an entry).
    dem_path : Path or None
        DEM GeoTIFF for the shaded relief (``layers/terrain_dem.tif``);
        None leaves the relief out.
    offline : bool
        True: Leaflet and plugins are inlined, no tile layer is added and the
        relief is the base map; the page loads nothing from the network.
        False: Esri light grey canvas, OpenStreetMap and Esri World Imagery
        base maps with the relief shading them; Leaflet and plugins from CDNs.
    title : str
        Page title.
    download_template : str
        Relative URL of each layer's GeoJSON, with ``{name}`` for the layer name.

    Returns
    -------
    folium.Map
        Render it with :func:`render_html`.

    Raises
    ------
    InputDataError, CRSError
        If the DEM cannot be read or is not on a metric projected grid.
    """
    return _vector_map(layers, dem_path=dem_path, offline=offline, title=title, download_template=download_template)


def _vector_map(
    layers: LayerSet,
    *,
    dem_path: Path | None,
    offline: bool,
    title: str,
    download_template: str,
    fit_to: tuple[str, ...] = ("study_area",),
    styles: Mapping[str, LayerStyle] = MappingProxyType({}),
) -> folium.Map:
    """Every layer of `layers` over the relief and base maps, with the tools; opens on `fit_to`."""
    m = _new_map(offline=offline, title=title)
    relief = hillshade_image(read_dem(dem_path)) if dem_path is not None else None
    bases, relief_layer, relief_is_base = _base_maps(m, offline=offline, relief=relief)
    vectors = _add_vectors(m, (layers[name] for name in layers), download_template=download_template, styles=styles)
    if relief_layer is not None:
        if not relief_is_base:
            vectors.groups.setdefault(GROUP_TERRAIN, []).insert(0, (RELIEF_TITLE, relief_layer))
        vectors.sections.insert(0, _relief_section(base=relief_is_base))
    _finish(m, vectors, offline=offline, bases=bases, relief=relief_layer, fit_to=fit_to)
    return m


def districts_map(
    layers: LayerSet,
    *,
    dem_path: Path | None,
    offline: bool,
    figures: pd.DataFrame | None = None,
    title: str = "Alatau City: districts",
    download_template: str = DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The districts map: districts coloured by role, city boundary, SEZ, with their figures.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``districts``; the layers of :data:`DISTRICT_MAP_LAYERS`
        present are shown.
    dem_path : Path or None
        As in :func:`overview_map`.
    offline : bool
        As in :func:`overview_map`.
    figures : DataFrame, optional
        The area table (:func:`alatau_geo.analysis.areas.area_table`), indexed by
        column ``zone``; its figures (buildable ha, share of the city, SEZ
        overlap, difference from the published area) join each district's
        and the city's popup.
    title, download_template : str
        As in :func:`overview_map`.
    """
    shown = []
    for name in DISTRICT_MAP_LAYERS:
        if name not in layers:
            continue
        layer = layers[name]
        if figures is not None and name in ("districts", "city_boundary"):
            extra = figures.drop(columns=["name_en", "area_ha", "published_ha"], errors="ignore")
            frame = layer.frame.merge(extra, how="left", left_on="id", right_on="zone").drop(columns="zone")
            layer = Layer(layer.name, frame, layer.provenance, layer.title)
        shown.append(layer)
    return overview_map(LayerSet(shown), dem_path=dem_path, offline=offline, title=title,
                        download_template=download_template)


def infrastructure_map(
    layers: LayerSet,
    *,
    dem_path: Path | None,
    offline: bool,
    title: str = "Alatau City: infrastructure and projects",
    download_template: str = DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The infrastructure map: engineering objects, pipelines and roads, and investment projects.

    Objects are badges by kind (SS substation, WI water intake, WW wastewater
    treatment plant; a dashed rim where an existing object is reconstructed),
    projects square badges coloured by status (a dashed rim where the
    placement breaks a rule); both merge into numbered clusters where they
    crowd each other below zoom 13. Gas pipelines are dashed lines, roads
    solid. The search box finds places and projects by name.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``infrastructure``; the layers of
        :data:`INFRASTRUCTURE_MAP_LAYERS` present are shown (study area,
        reservoir, rivers, corridors, places, districts and city boundary to
        orient a reader, then ``infrastructure_lines``, ``infrastructure``
        and ``projects``).
    dem_path : Path or None
        As in :func:`overview_map`.
    offline : bool
        As in :func:`overview_map`; the marker-cluster plugin is inlined too.
    title, download_template : str
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    LayerError
        If `layers` has no ``infrastructure`` layer.
    InputDataError, CRSError
        If the DEM cannot be read or is not on a metric projected grid.
    """
    if "infrastructure" not in layers:
        raise LayerError(
            "infrastructure map: the layers have no 'infrastructure' layer; "
            "build the plan layers first (alatau-geo build)"
        )
    shown = LayerSet([layers[name] for name in INFRASTRUCTURE_MAP_LAYERS if name in layers])
    return _vector_map(
        shown,
        dem_path=dem_path,
        offline=offline,
        title=title,
        download_template=download_template,
        fit_to=INFRASTRUCTURE_MAP_EXTENT,
    )


def proximity_map(
    layers: LayerSet,
    *,
    dem_path: Path | None,
    offline: bool,
    title: str = "Alatau City: service areas, coverage gaps and travel time",
    download_template: str = DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The proximity map: service areas, coverage and its gaps, and the travel-time surface.

    What is drawn, bottom to top:

    - ``service_areas``: the areas reached over the road network within
      10, 20 and 30 minutes of each facility, one map layer per facility
      kind (substation on when the map opens), one hue from dark (10 min)
      to light (30 min), shorter limits drawn over longer ones. Each kind
      sits in its own translucent pane, so overlapping areas of neighbouring
      facilities do not darken each other.
    - ``coverage`` (dashed outline, faint fill) and ``coverage_gaps``
      (hatched) per facility kind, in the kind's colour (the colour of its
      badges); the substation gaps are on when the map opens, the others
      and the coverage in the layer switcher.
    - ``travel_time_nodes``: every street node as a small dot coloured by
      the travel time to the nearest facility of any kind (0–5, 5–10,
      10–20, 20–30, over 30 minutes; grey where no facility can be
      reached). Their popups (travel time and facility) are joined in the
      browser from one shared template, which keeps the page light.
    - To orient a reader: district outlines, the city boundary, the
      reservoir, rivers, corridors and places, and the facilities as badges
      (clustered where they crowd each other).

    The legend lists every class; the styles live in
    :data:`alatau_geo.maps.style.STYLES` (the district outlines in
    :data:`~alatau_geo.maps.style.CONTEXT_STYLES`).

    Parameters
    ----------
    layers : LayerSet
        Must hold at least one of :data:`PROXIMITY_ANALYSIS_LAYERS`; the
        layers of :data:`PROXIMITY_MAP_LAYERS` present are shown.
    dem_path : Path or None
        As in :func:`overview_map`.
    offline : bool
        As in :func:`overview_map`.
    title, download_template : str
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    LayerError
        If `layers` has none of the analysis layers.
    InputDataError, CRSError
        If the DEM cannot be read or is not on a metric projected grid.
    """
    if not any(name in layers for name in PROXIMITY_ANALYSIS_LAYERS):
        raise LayerError(
            f"proximity map: the layers have none of {', '.join(PROXIMITY_ANALYSIS_LAYERS)}; "
            "build the analysis layers first (alatau-geo build)"
        )
    shown = LayerSet([layers[name] for name in PROXIMITY_MAP_LAYERS if name in layers])
    return _vector_map(
        shown,
        dem_path=dem_path,
        offline=offline,
        title=title,
        download_template=download_template,
        fit_to=PROXIMITY_MAP_EXTENT,
        styles=CONTEXT_STYLES,
    )


def terrain_map(
    layers: LayerSet,
    *,
    dem_path: Path,
    offline: bool,
    title: str = "Alatau City: terrain and slope",
    download_template: str = DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The terrain map: shaded relief, slope classes and the layers that orient a reader.

    Parameters
    ----------
    layers : LayerSet
        Layers whose style has ``on_terrain_map`` (study area, reservoir,
        streams, places, city boundary) are shown; others are left out.
    dem_path : Path
        DEM GeoTIFF (``layers/terrain_dem.tif``).
    offline : bool
        As in :func:`overview_map`.
    title : str
        Page title.
    download_template : str
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputDataError, CRSError
        If the DEM cannot be read or is not on a metric projected grid.
    """
    dem = read_dem(dem_path)
    m = _new_map(offline=offline, title=title)
    bases, relief_layer, relief_is_base = _base_maps(m, offline=offline, relief=hillshade_image(dem))
    slope = _image_overlay(
        slope_class_image(dem), name=SLOPE_TITLE, pane="slope", base=False, opacity=0.6, show=True
    )
    slope.add_to(m)
    context = [
        layers[name]
        for name in layers
        if style_for(name, geometry_type=layers[name].geometry_type).on_terrain_map
    ]
    vectors = _add_vectors(m, context, download_template=download_template)
    terrain: list[tuple[str, folium.map.Layer]] = [(SLOPE_TITLE, slope)]
    if relief_layer is not None and not relief_is_base:
        terrain.insert(0, (RELIEF_TITLE, relief_layer))
    vectors.groups[GROUP_TERRAIN] = terrain + vectors.groups.get(GROUP_TERRAIN, [])
    vectors.sections[:0] = [_relief_section(base=relief_is_base), _slope_section()]
    _finish(m, vectors, offline=offline, bases=bases, relief=relief_layer)
    return m


def render_html(m: folium.Map) -> str:
    """The complete HTML page of a map, for :mod:`alatau_geo.core.io` to write.

    Parameters
    ----------
    m : folium.Map

    Returns
    -------
    str

    Raises
    ------
    ExportError
        If the page holds an element that would parse its data as a template
        (see :mod:`alatau_geo.maps.elements`), if rendering fails for any
        reason, or if an offline map would still load something from the
        network (a plugin without a vendored copy, or an element added by
        the caller).
    """
    title = getattr(m.get_root(), "title", "") or "map"
    unsafe = sorted({type(element).__name__ for element in template_reparsing_elements(m.get_root())})
    if unsafe:
        raise ExportError(
            f"{title}: element(s) {', '.join(unsafe)} would evaluate braces in their data as a template; "
            "derive them from alatau_geo.maps.elements.RenderOnce"
        )
    try:
        html = m.get_root().render()
    except AlatauGeoError:
        raise
    except Exception as error:  # any failure of branca/jinja2/folium: one line, no page written
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ExportError(f"{title}: the page could not be rendered ({type(error).__name__}: {reason})") from error
    if getattr(m, "offline", False):
        found = external_resources(html)
        if found:
            raise ExportError(f"offline map would load from the network: {', '.join(sorted(set(found))[:5])}")
    return html
