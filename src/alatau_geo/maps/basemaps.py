"""The map canvas: a new map, its base maps (online tiles or the offline relief) and the terrain overlays.

Coordinates: folium wants (lat, lon); every other function in the package
uses (lon, lat), so the swap happens only where folium is called, marked
"folium order".
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium
from folium.map import CustomPane
from folium.raster_layers import ImageOverlay

from alatau_geo.maps.assets import OfflineMap
from alatau_geo.maps.layer_styles import GROUP_TERRAIN
from alatau_geo.maps.legend import LegendEntry, LegendSection
from alatau_geo.maps.page_parts import MapStylesheet
from alatau_geo.maps.rasters import RELIEF_Z_FACTOR, RasterImage
from alatau_geo.maps.relief import SLOPE_CLASSES

__all__ = [
    "DEFAULT_BOUNDS",
    "BaseMaps",
    "MAX_ZOOM",
    "RELIEF_ATTRIBUTION",
    "RELIEF_TITLE",
    "SLOPE_TITLE",
    "add_base_maps",
    "image_overlay",
    "new_map",
    "relief_section",
    "slope_section",
]

RELIEF_TITLE = "Shaded relief (SRTM 90 m)"
SLOPE_TITLE = "Slope classes"
RELIEF_ATTRIBUTION = "Relief: SRTM, NASA/USGS"
# Deepest zoom level: street scale, as deep as the online base maps go.
MAX_ZOOM = 18
# Fallback view when no layer has features: the Alatau plain, (lon, lat).
DEFAULT_BOUNDS = (76.55, 43.10, 78.00, 44.00)

# Online base maps: (name shown, xyzservices provider name). The first is active.
# The light map is Esri's grey canvas, not CARTO Positron: xyzservices 2026
# lists CARTO basemaps as needing an API key, which a shared HTML file cannot carry.
TILE_BASES: tuple[tuple[str, str], ...] = (
    ("Light grey (Esri World Light Gray Canvas)", "Esri.WorldGrayCanvas"),
    ("OpenStreetMap", "OpenStreetMap"),
    ("Satellite (Esri World Imagery)", "Esri.WorldImagery"),
)


@dataclass(frozen=True)
class BaseMaps:
    """The base maps added to a map.

    Attributes
    ----------
    layers : tuple of (str, Layer)
        Unescaped name and layer of each base map, the active one first,
        for the layer switcher's radio buttons.
    relief : ImageOverlay or None
        The shaded relief, if a DEM was given.
    relief_is_base : bool
        Whether the relief is itself the base map (offline), rather than an
        overlay shading the tiles.
    """

    layers: tuple[tuple[str, folium.map.Layer], ...]
    relief: ImageOverlay | None
    relief_is_base: bool


def new_map(*, offline: bool, title: str) -> folium.Map:
    """An empty map over the Alatau plain, with the maps' stylesheet and the raster panes.

    Parameters
    ----------
    offline : bool
        True makes an :class:`~alatau_geo.maps.assets.OfflineMap`, whose page
        carries Leaflet and its plugins inline.
    title : str
        Page title (unescaped).

    Returns
    -------
    folium.Map
        No tiles yet; zoom up to :data:`MAX_ZOOM`.
    """
    map_class = OfflineMap if offline else folium.Map
    west, south, east, north = DEFAULT_BOUNDS
    m = map_class(
        location=((south + north) / 2, (west + east) / 2),  # folium order
        zoom_start=9,
        maxZoom=MAX_ZOOM,  # a map option (folium gives max_zoom to tiles only): leaflet.markercluster needs it
        tiles=None,
        control_scale=True,
    )
    m.get_root().title = escape(title)  # branca writes the title into <title> unescaped
    MapStylesheet().add_to(m)
    # Panes keep rasters under the vectors whatever order layers are toggled in.
    CustomPane("relief", z_index=250).add_to(m)
    CustomPane("slope", z_index=300).add_to(m)
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


def add_base_maps(
    m: folium.Map, *, offline: bool, relief: RasterImage | None
) -> BaseMaps:
    """Add the base maps to `m`: the tiles of :data:`TILE_BASES` shaded by the relief, or offline the relief alone.

    Parameters
    ----------
    m : folium.Map
    offline : bool
        True adds no tiles: the shaded relief is the base map, or there is none.
    relief : RasterImage or None
        The shaded relief image; None leaves it out.

    Returns
    -------
    BaseMaps
    """
    if offline:
        # No tiles offline: the shaded relief is the base map, or nothing.
        if relief is None:
            return BaseMaps((), None, relief_is_base=False)
        overlay = image_overlay(relief, name=RELIEF_TITLE, pane="relief", base=True, opacity=1.0, show=True)
        overlay.add_to(m)
        return BaseMaps(((RELIEF_TITLE, overlay),), overlay, relief_is_base=True)
    bases: list[tuple[str, folium.map.Layer]] = []
    for index, (name, tiles) in enumerate(TILE_BASES):
        tile_layer = folium.TileLayer(tiles, name=escape(name), overlay=False, control=False, show=index == 0)
        # The map goes to MAX_ZOOM; past a base map's own deepest level (16 for the grey
        # canvas) Leaflet enlarges its last tiles instead of leaving the map blank.
        tile_layer.options["max_native_zoom"] = min(tile_layer.options["max_native_zoom"], MAX_ZOOM)
        tile_layer.options["max_zoom"] = MAX_ZOOM
        tile_layer.add_to(m)
        bases.append((name, tile_layer))
    if relief is None:
        return BaseMaps(tuple(bases), None, relief_is_base=False)
    # Online the relief shades the tiles beneath it (multiply blend) rather than hiding them.
    overlay = image_overlay(
        relief,
        name=RELIEF_TITLE,
        pane="relief",
        base=False,
        opacity=0.55,
        show=True,
        class_name="ag-hillshade-overlay",
    )
    overlay.add_to(m)
    return BaseMaps(tuple(bases), overlay, relief_is_base=False)


def relief_section(*, base: bool) -> LegendSection:
    """The legend section of the shaded relief; `base` says it is the (offline) base map."""
    note = f"Light from the north-west; relief exaggerated {RELIEF_Z_FACTOR:g}×."
    if base:
        note += " Offline base map: no tiles are loaded."
    return LegendSection(GROUP_TERRAIN, (LegendEntry(RELIEF_TITLE, "swatch", "#a0a0a0"),), note)


def slope_section() -> LegendSection:
    """The legend section of the slope classes, one swatch per class."""
    entries = tuple(LegendEntry(f"Slope {c.label}", "swatch", c.color) for c in SLOPE_CLASSES)
    return LegendSection(SLOPE_TITLE, entries, "Percent rise over run, from the DEM on the UTM 43N grid.")

