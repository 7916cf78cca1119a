"""Interactive HTML maps of the Alatau City layers, for planners, online or offline.

Build a map with :func:`overview_map`, :func:`districts_map`, :func:`infrastructure_map`,
:func:`proximity_map`, :func:`terrain_map`, :func:`population_map`, :func:`mountain_map`,
:func:`alatau_geo.maps.suitability.suitability_map` or :func:`edit_map`, then get the
page with :func:`render_html` (writing it is :mod:`alatau_geo.core.io`'s job).
Render the DEM's images once per build with :func:`relief_images` and pass
them to every map. Every page carries Leaflet and its plugins inline (from
``alatau_geo/vendor``) and opens on the shaded relief, so it works with or
without a network; online base maps are offered unless ``offline=True``,
which loads nothing at all. Each page speaks Kazakh, Russian and English
(a switch on the page; ``language=`` picks the first).

Layer styles live in :mod:`alatau_geo.maps.layer_styles`: adding a layer to
the maps is one entry in :data:`~alatau_geo.maps.layer_styles.STYLES`.

Modules
-------
compose         the maps and :func:`render_html`
page            what every page is made of: :class:`~alatau_geo.maps.page.Page`, overlays, :func:`draw_page`
thematic        the population-and-jobs map and the mountain-cluster map
suitability     the land-suitability map (classes, criteria, sensitivity, hazards)
edit_map        the editing map (GeoMan) whose edits download as one JSON file
basemaps        the map canvas, tile base maps, relief and slope overlays
vectors         styled vector layers, split parts and marker clusters
controls        layer switcher, search, mini map, and the assembly of every map's tools
legend          legend rows from styles, the legend control and download links
labels          labels of places, districts, rivers, corridors and the reservoir
i18n            texts in Kazakh, Russian and English (translations: the catalogue)
page_parts      stylesheet and runtime script (static/), hatch patterns, panes, shared popups
layer_styles    the style of every layer (the registry), groups, :func:`style_for`
thematic_styles the styles of the population and mountain-cluster layers (part of the registry)
profiles        elevation profiles as small inline SVG charts (lift-line popups)
style           :class:`LayerStyle`, point badges, hatch fills
classification  categories, graduated value classes, splits into map layers
column_formats  how attributes are labelled and rounded in popups
features        display copies of layers (simplified, rounded, escaped popups)
popups          popup and tooltip HTML; the one place values are escaped
elements        page elements that put data into a page as data (:class:`RenderOnce`)
relief          hillshade and slope classes (pure numpy)
rasters         DEM reading and relief images warped for Leaflet
png             paletted PNG encoder
assets          vendored JS/CSS and the offline map class
"""

from alatau_geo.maps.compose import (
    DOWNLOAD_TEMPLATE,
    districts_map,
    infrastructure_map,
    overview_map,
    proximity_map,
    render_html,
    terrain_map,
)
from alatau_geo.maps.edit_map import edit_map, zone_parameters
from alatau_geo.maps.layer_styles import STYLES, style_for
from alatau_geo.maps.rasters import ReliefImages, relief_images
from alatau_geo.maps.style import LayerStyle
from alatau_geo.maps.thematic import mountain_map, population_map

__all__ = [
    "DOWNLOAD_TEMPLATE",
    "STYLES",
    "LayerStyle",
    "ReliefImages",
    "districts_map",
    "edit_map",
    "infrastructure_map",
    "mountain_map",
    "overview_map",
    "population_map",
    "proximity_map",
    "relief_images",
    "render_html",
    "style_for",
    "terrain_map",
    "zone_parameters",
]
