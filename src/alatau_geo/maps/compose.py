"""The maps: overview, districts, infrastructure, proximity and terrain, as self-contained folium pages.

A map is assembled from parts built elsewhere in this package: the canvas
and base maps (:mod:`.basemaps`), relief images (:mod:`.rasters`, rendered
once per build and shared by every map), the vector layers (:mod:`.vectors`,
styled from :mod:`.layer_styles`), their labels (:mod:`.labels`) and the
controls (:mod:`.controls`). Every page carries its scripts and styles and
opens on the shaded relief, with or without a network; online base maps are
offered unless ``offline``. Nothing here writes a file; :func:`render_html`
gives the page as a string for :mod:`alatau_geo.core.io` to write, the same
bytes for the same input.
"""

from __future__ import annotations

import folium
import pandas as pd

from alatau_geo.core.errors import AlatauGeoError, ExportError
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.maps.assets import external_resources
from alatau_geo.maps.basemaps import SLOPE_TITLE, image_overlay, slope_section
from alatau_geo.maps.elements import assign_stable_ids, template_reparsing_elements
from alatau_geo.maps.features import Display, display_layer
from alatau_geo.maps.layer_styles import CONTEXT_STYLES, GROUP_TERRAIN, style_for
from alatau_geo.maps.page import DOWNLOAD_TEMPLATE, Overlays, Page, draw_page, map_labels
from alatau_geo.maps.rasters import ReliefImages

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
    "map_labels",
    "render_html",
    "terrain_map",
]

# What a districts map shows besides the zones: enough to orient a reader. It opens on the city.
DISTRICT_MAP_LAYERS = ("study_area", "reservoir", "rivers", "corridors", "places", "sez", "city_boundary", "districts")
# What the infrastructure map shows: the orienting layers, then the objects, lines and projects.
INFRASTRUCTURE_MAP_LAYERS = ("study_area", "reservoir", "rivers", "corridors", "places", "districts", "city_boundary",
                             "infrastructure_lines", "infrastructure", "projects")
# What the proximity map shows: the analysis layers, the facilities they are
# measured from, and outlines and lines that orient a reader.
PROXIMITY_ANALYSIS_LAYERS = ("service_areas", "coverage", "coverage_gaps", "travel_time_nodes")
PROXIMITY_MAP_LAYERS = ("reservoir", "rivers", "corridors", "places", "districts", "city_boundary", "infrastructure",
                        *PROXIMITY_ANALYSIS_LAYERS)
_DISTRICTS = Page(DISTRICT_MAP_LAYERS, fit_to=("city_boundary", "districts"))
# The infrastructure map opens on the city and its objects rather than the whole plain.
_INFRASTRUCTURE = Page(
    INFRASTRUCTURE_MAP_LAYERS, fit_to=("city_boundary", "infrastructure", "infrastructure_lines", "projects"),
    needs=("infrastructure",), missing="infrastructure map: the layers have no 'infrastructure' layer; "
    "build the plan layers first (alatau-geo build)",
)
_PROXIMITY = Page(
    PROXIMITY_MAP_LAYERS, fit_to=("city_boundary", "travel_time_nodes"), styles=CONTEXT_STYLES,
    needs=PROXIMITY_ANALYSIS_LAYERS, missing=f"proximity map: the layers have none of "
    f"{', '.join(PROXIMITY_ANALYSIS_LAYERS)}; build the analysis layers first (alatau-geo build)",
)


def overview_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                 title: str = "Alatau City: overview", download_template: str = DOWNLOAD_TEMPLATE,
                 display: Display = display_layer) -> folium.Map:
    """The overview map: every layer, shaded relief, base maps and tools.

    Parameters
    ----------
    layers : LayerSet
        Layers to show, styled from :data:`alatau_geo.maps.layer_styles.STYLES`
        (a generic style for layers without an entry).
    relief : ReliefImages or None
        The DEM's display images (:func:`alatau_geo.maps.rasters.relief_images`,
        rendered once for all the maps of a build); None leaves the relief out.
    offline : bool
        Every page carries Leaflet and its plugins and opens on the shaded
        relief. True: no online base map is offered and the page loads
        nothing at all (a strict content policy). False: Esri light grey and
        satellite maps and OpenStreetMap, with their labels, are offered as
        base maps, shaded by the relief; where their tiles cannot be loaded
        the page shows the relief, without an error.
    language : {'en', 'kk', 'ru'}
        The language the page opens in; a switch on the page changes it.
    title : str
        Page title.
    download_template : str
        Relative URL of each layer's GeoJSON, with ``{name}`` for the layer name.
    display : callable, optional
        Makes each layer's display copy (:func:`~alatau_geo.maps.features.display_layer`,
        or a build's memo of it, which keeps the copies of unchanged layers).

    Returns
    -------
    folium.Map
        Render it with :func:`render_html`.

    """
    return draw_page(layers, Page(), relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)


def districts_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                  figures: pd.DataFrame | None = None, title: str = "Alatau City: districts",
                  download_template: str = DOWNLOAD_TEMPLATE,
                  display: Display = display_layer) -> folium.Map:
    """The districts map: districts coloured by role, city boundary, SEZ, with their figures.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``districts``; the layers of :data:`DISTRICT_MAP_LAYERS`
        present are shown.
    relief, offline, language, title, download_template, display
        As in :func:`overview_map`.
    figures : DataFrame, optional
        The area table (:func:`alatau_geo.analysis.areas.area_table`), indexed by
        column ``zone``; its figures (buildable ha, share of the city, SEZ
        overlap, difference from the published area) join each district's
        and the city's popup. Figures the layer already carries are not
        repeated.

    Notes
    -----
    The map opens on the city. Districts are drawn in four separate hues
    and take the clicks inside them; the SEZ and the city boundary are
    outlines beneath them.
    """
    shown = []
    for name in DISTRICT_MAP_LAYERS:
        if name not in layers:
            continue
        layer = layers[name]
        if figures is not None and name in ("districts", "city_boundary"):
            repeated = [column for column in figures.columns if column in layer.frame.columns]
            extra = figures.drop(columns=repeated)
            frame = layer.frame.merge(extra, how="left", left_on="id", right_on="zone").drop(columns="zone")
            layer = Layer(layer.name, frame, layer.provenance, layer.title)
        shown.append(layer)
    return draw_page(LayerSet(shown), _DISTRICTS, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)


def infrastructure_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                       title: str = "Alatau City: infrastructure and projects",
                       download_template: str = DOWNLOAD_TEMPLATE,
                       display: Display = display_layer) -> folium.Map:
    """The infrastructure map: engineering objects, pipelines and roads, and investment projects.

    Objects are badges by kind (SS substation, WI water intake, WW wastewater
    treatment plant; a dashed rim where an existing object is reconstructed),
    projects square badges coloured by status (a dashed rim where the
    placement breaks a rule); both merge into numbered clusters where they
    crowd each other below zoom 13. Gas pipelines are dashed lines, planned
    roads thin and solid, beneath the existing corridors. The search box
    finds places, districts, objects and projects by any of their names.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``infrastructure``; the layers of
        :data:`INFRASTRUCTURE_MAP_LAYERS` present are shown (study area,
        reservoir, rivers, corridors, places, districts and city boundary to
        orient a reader, then ``infrastructure_lines``, ``infrastructure``
        and ``projects``).
    relief, offline, language, title, download_template, display
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map
        Opening on the city and its objects rather than the whole plain.

    Raises
    ------
    LayerError
        If `layers` has no ``infrastructure`` layer.
    """
    return draw_page(layers, _INFRASTRUCTURE, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)


def proximity_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                  title: str = "Alatau City: service areas, coverage gaps and travel time",
                  download_template: str = DOWNLOAD_TEMPLATE,
                  display: Display = display_layer) -> folium.Map:
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
      reached), drawn on a canvas so thousands pan smoothly. Their popups (travel time and facility) are joined in the
      browser from one shared template, which keeps the page light.
    - To orient a reader: district outlines, the city boundary, the
      reservoir, rivers, corridors and places, and the facilities as badges
      (clustered where they crowd each other).

    The legend lists every class; the styles live in
    :data:`alatau_geo.maps.layer_styles.STYLES` (the district outlines in
    :data:`~alatau_geo.maps.layer_styles.CONTEXT_STYLES`).

    Parameters
    ----------
    layers : LayerSet
        Must hold at least one of :data:`PROXIMITY_ANALYSIS_LAYERS`; the
        layers of :data:`PROXIMITY_MAP_LAYERS` present are shown.
    relief, offline, language, title, download_template, display
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map
        Opening on the city and the travel-time surface.

    Raises
    ------
    LayerError
        If `layers` has none of the analysis layers.
    """
    return draw_page(layers, _PROXIMITY, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)


def terrain_map(layers: LayerSet, *, relief: ReliefImages, offline: bool, language: str = "en",
                title: str = "Alatau City: terrain and slope",
                download_template: str = DOWNLOAD_TEMPLATE,
                display: Display = display_layer) -> folium.Map:
    """The terrain map: shaded relief, slope classes in degrees and the layers that orient a reader.

    Parameters
    ----------
    layers : LayerSet
        Layers whose style has ``on_terrain_map`` (study area, reservoir,
        streams, places, city boundary) are shown; others are left out.
    relief : ReliefImages
        The DEM's display images (:func:`alatau_geo.maps.rasters.relief_images`).
    offline, language, title, download_template, display
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map
        Opening on the study area, the slope classes over the relief.
    """
    slope = image_overlay(relief.slope_classes, name=SLOPE_TITLE, pane="slope", base=False, opacity=0.6, show=True)
    overlays = Overlays(images=(slope,), groups=((GROUP_TERRAIN, ((SLOPE_TITLE, slope),)),),
                        sections=(slope_section(),), legend_layers={"slope": [slope]})
    context = tuple(name for name in layers if style_for(name, geometry_type=layers[name].geometry_type).on_terrain_map)
    return draw_page(layers, Page(context), relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, overlays=overlays, display=display)


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
        reason, or if the page would load a script, style or image from the
        network (a plugin without a vendored copy, or an element added by
        the caller); online base maps load their tiles only when chosen.
    """
    title = getattr(m.get_root(), "title", "") or "map"
    assign_stable_ids(m.get_root())
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
    found = external_resources(html)
    if found:
        raise ExportError(f"{title}: the page would load from the network: {', '.join(sorted(set(found))[:5])}")
    return html
