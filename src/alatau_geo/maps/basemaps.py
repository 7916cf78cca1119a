"""The map canvas: a new map, its base maps (the shaded relief, online tiles) and the terrain overlays.

The shaded relief is the default base map: it is inside the page, so a map
opens the same with or without a network. Online base maps (with their label
layers) are offered beside it; the relief shades them, and when their tiles
cannot be loaded the page shows the relief and says so in its attribution,
without an error (see ``static/runtime.js``). Offline maps offer no tiles.

Coordinates: folium wants (lat, lon); every other function in the package
uses (lon, lat), so the swap happens only where folium is called, marked
"folium order".
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium
import numpy as np
import xyzservices
from folium.raster_layers import ImageOverlay

from alatau_geo.maps.assets import SelfContainedMap
from alatau_geo.maps.elements import Group, Overlay, Pane, Tiles
from alatau_geo.maps.i18n import text_html
from alatau_geo.maps.layer_styles import GROUP_TERRAIN
from alatau_geo.maps.legend import LegendEntry, LegendSection
from alatau_geo.maps.page_parts import MapStylesheet
from alatau_geo.maps.png import encode_paletted_png, png_data_url
from alatau_geo.maps.rasters import RELIEF_Z_FACTOR, RasterImage
from alatau_geo.maps.relief import SLOPE_CLASSES

__all__ = [
    "DEFAULT_BOUNDS",
    "BaseMaps",
    "MAX_ZOOM",
    "NO_TILES_TITLE",
    "RELIEF_ATTRIBUTION",
    "RELIEF_TITLE",
    "SLOPE_TITLE",
    "TILE_BASES",
    "TileBase",
    "add_base_maps",
    "image_overlay",
    "new_map",
    "relief_section",
    "slope_section",
    "unreachable_note",
]

RELIEF_TITLE = "Shaded relief (SRTM 90 m)"
SLOPE_TITLE = "Slope classes"
NO_TILES_TITLE = "Relief only (works offline)"
RELIEF_ATTRIBUTION = "Relief: SRTM, NASA/USGS"
UNREACHABLE_NOTE = "Online base map unreachable: the relief is shown"
# Deepest zoom level: street scale, as deep as the online base maps go.
MAX_ZOOM = 18
# Fallback view when no layer has features: the Alatau plain, (lon, lat).
DEFAULT_BOUNDS = (76.55, 43.10, 78.00, 44.00)
# A transparent 1x1 PNG shown for a tile that cannot be loaded (no broken-image icon).
_NO_TILE = png_data_url(encode_paletted_png(np.zeros((1, 1), dtype="uint8"), [(0, 0, 0, 0)]))
_ESRI = "https://server.arcgisonline.com/ArcGIS/rest/services/{}/MapServer/tile/{{z}}/{{y}}/{{x}}"
_ESRI_ATTRIBUTION = "Tiles &copy; Esri"


@dataclass(frozen=True)
class TileBase:
    """An online base map: tile layers drawn together, the last ones (labels) above the relief.

    Attributes
    ----------
    name : str
        Name in the layer switcher (English; translated on the page).
    tiles : tuple of (str, str, int)
        URL template, attribution (HTML, a constant) and deepest native zoom of each tile layer.
    labels : int
        How many of the last tile layers are labels, drawn above the relief.
    """

    name: str
    tiles: tuple[tuple[str, str, int], ...]
    labels: int = 0


# Online base maps, each with its label layer. Not CARTO: xyzservices 2026 lists
# CARTO basemaps as needing an API key, which a shared HTML file cannot carry.
TILE_BASES: tuple[TileBase, ...] = (
    TileBase(
        "Light grey with labels (Esri, online)",
        (
            (_ESRI.format("Canvas/World_Light_Gray_Base"), _ESRI_ATTRIBUTION, 16),
            (_ESRI.format("Canvas/World_Light_Gray_Reference"), _ESRI_ATTRIBUTION, 16),
        ),
        labels=1,
    ),
    TileBase(
        "OpenStreetMap (online)",
        (("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "&copy; OpenStreetMap contributors", 19),),
    ),
    TileBase(
        "Satellite with labels (Esri, online)",
        (
            (_ESRI.format("World_Imagery"),
             _ESRI_ATTRIBUTION + " &mdash; Source: Esri, Maxar, Earthstar Geographics", 18),
            (_ESRI.format("Reference/World_Boundaries_and_Places"), _ESRI_ATTRIBUTION, 18),
        ),
        labels=1,
    ),
)


@dataclass(frozen=True)
class BaseMaps:
    """The base maps added to a map.

    Attributes
    ----------
    layers : tuple of (str, Layer)
        Unescaped name and layer of each base map, the active one first,
        for the layer switcher's radio buttons (empty offline).
    relief : ImageOverlay or None
        The shaded relief, if a DEM was given: an overlay that is the whole
        base map under "relief only" and shades the online tiles.
    relief_only : Layer or None
        The base map that loads no tiles (an empty group), on when the map opens.
    tiles : tuple of Layer
        The online base maps (groups of tile layers).
    """

    layers: tuple[tuple[str, folium.map.Layer], ...]
    relief: ImageOverlay | None
    relief_only: folium.map.Layer | None
    tiles: tuple[folium.map.Layer, ...]


def new_map(*, offline: bool, title: str) -> SelfContainedMap:
    """An empty, self-contained map over the Alatau plain, with the maps' stylesheet and panes.

    Parameters
    ----------
    offline : bool
        Whether the page may load nothing at all (no online base maps).
    title : str
        Page title (unescaped).

    Returns
    -------
    SelfContainedMap
        No tiles yet; zoom up to :data:`MAX_ZOOM`; a metric scale is added
        by the page runtime.
    """
    west, south, east, north = DEFAULT_BOUNDS
    m = SelfContainedMap(
        location=((south + north) / 2, (west + east) / 2),  # folium order
        zoom_start=9,
        maxZoom=MAX_ZOOM,  # a map option (folium gives max_zoom to tiles only): leaflet.markercluster needs it
        tiles=None,
        control_scale=False,
        offline=offline,
    )
    m.get_root().title = escape(title)  # branca writes the title into <title> unescaped
    MapStylesheet().add_to(m)
    # Panes keep rasters under the vectors whatever order layers are toggled in;
    # the online base maps' labels sit above the relief that shades their tiles.
    Pane("relief", z_index=250, pointer_events=False).add_to(m)
    Pane("ag-tile-labels", z_index=260, pointer_events=False).add_to(m)
    Pane("slope", z_index=300, pointer_events=False).add_to(m)
    # The SEZ and the city sit beneath the districts, so a click inside a district is the district's.
    Pane("ag-zones-below", z_index=380).add_to(m)
    return m


def image_overlay(
    image: RasterImage, *, name: str, pane: str, base: bool, opacity: float, show: bool, class_name: str = ""
) -> ImageOverlay:
    """A relief image as a Leaflet image overlay, listed in no layer switcher of its own.

    Parameters
    ----------
    image : RasterImage
        The image and its WGS84 bounds (lon, lat).
    name : str
        Layer name (unescaped).
    pane : str
        Map pane to draw it in (``"relief"`` or ``"slope"``).
    base : bool
        Whether it is a base map rather than an overlay.
    opacity : float
        0 to 1.
    show : bool
        Whether it is on when the map opens.
    class_name : str
        CSS class of the image element, e.g. ``"ag-hillshade-overlay"``.

    Returns
    -------
    ImageOverlay
    """
    west, south, east, north = image.bounds
    options = {"pane": pane, "opacity": opacity, "attribution": RELIEF_ATTRIBUTION}
    if class_name:
        options["className"] = class_name
    return Overlay(
        image.url,
        bounds=[[south, west], [north, east]],  # folium order
        name=escape(name),
        overlay=not base,
        control=False,
        show=show,
        pixelated=False,
        **options,
    )


def _tile_group(base: TileBase) -> folium.FeatureGroup:
    group = Group(name=escape(base.name), overlay=False, control=False, show=False)
    for index, (url, attribution, native_zoom) in enumerate(base.tiles):
        options = {"pane": "ag-tile-labels"} if index >= len(base.tiles) - base.labels else {}
        # The map goes to MAX_ZOOM; past a base map's own deepest level Leaflet enlarges its
        # last tiles instead of leaving the map blank.
        # A provider, not the URL: folium looks a string up among all of xyzservices' providers first.
        Tiles(
            xyzservices.TileProvider(name=base.name, url=url, attribution=attribution), attr=attribution,
            name=escape(base.name), overlay=False, control=False,
            max_native_zoom=min(native_zoom, MAX_ZOOM), max_zoom=MAX_ZOOM, errorTileUrl=_NO_TILE, **options,
        ).add_to(group)
    return group


def add_base_maps(m: folium.Map, *, offline: bool, relief: RasterImage | None) -> BaseMaps:
    """Add the shaded relief (the default base map) and, unless `offline`, the online base maps.

    Parameters
    ----------
    m : folium.Map
    offline : bool
        True adds no tiles: the shaded relief is the only base map.
    relief : RasterImage or None
        The shaded relief image; None leaves it out (the map then opens on
        a plain background, still loading nothing).

    Returns
    -------
    BaseMaps
    """
    overlay = None
    if relief is not None:
        overlay = image_overlay(
            relief, name=RELIEF_TITLE, pane="relief", base=False, opacity=1.0, show=True,
            class_name="ag-hillshade-overlay",
        )
        overlay.add_to(m)
    if offline:
        return BaseMaps((), overlay, None, ())
    name = NO_TILES_TITLE if relief is not None else "No base map (works offline)"
    relief_only = Group(name=escape(name), overlay=False, control=False, show=True)
    relief_only.add_to(m)
    tiles = tuple(_tile_group(base) for base in TILE_BASES)
    for group in tiles:
        group.add_to(m)
    layers = ((name, relief_only), *((base.name, group) for base, group in zip(TILE_BASES, tiles, strict=True)))
    return BaseMaps(layers, overlay, relief_only, tiles)


def relief_section() -> LegendSection:
    """The legend section of the shaded relief."""
    note = f"Light from the north-west; relief exaggerated {RELIEF_Z_FACTOR:g}×."
    return LegendSection(GROUP_TERRAIN, (LegendEntry(RELIEF_TITLE, "swatch", "#a0a0a0", layer="relief"),), note)


def slope_section() -> LegendSection:
    """The legend section of the slope classes, one swatch per class, in degrees."""
    entries = tuple(LegendEntry(c.label, "swatch", c.color, layer="slope") for c in SLOPE_CLASSES)
    note = "Slope in degrees, from the DEM on the UTM 43N grid; 8° is the plan's default limit of buildable land."
    return LegendSection(SLOPE_TITLE, entries, note)


def unreachable_note() -> str:
    """The attribution shown when an online base map cannot be loaded (markup in every language)."""
    return text_html(UNREACHABLE_NOTE)
