"""Interactive HTML maps of the Alatau City layers, for planners, online or offline.

Build a map with :func:`overview_map`, :func:`districts_map`, :func:`infrastructure_map`,
:func:`proximity_map`, :func:`terrain_map`, :func:`population_map` or :func:`mountain_map`, then get the
page with :func:`render_html` (writing it is :mod:`alatau_geo.core.io`'s job).
With ``offline=True`` the page carries Leaflet and its plugins inline (from
``alatau_geo/vendor``), uses the shaded relief as its base map and loads
nothing from the network.

Layer styles live in :mod:`alatau_geo.maps.layer_styles`: adding a layer to
the maps is one entry in :data:`~alatau_geo.maps.layer_styles.STYLES`.

Modules
-------
compose         the maps and :func:`render_html`
thematic        the population-and-jobs map and the mountain-cluster map
basemaps        the map canvas, tile base maps, relief and slope overlays
vectors         styled vector layers, split parts and marker clusters
controls        layer switcher, search, mini map, and the assembly of every map's tools
legend          legend rows from styles, the legend control and download links
page_parts      hatch patterns, translucent panes, shared popup templates, stylesheet
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
from alatau_geo.maps.layer_styles import STYLES, style_for
from alatau_geo.maps.style import LayerStyle
from alatau_geo.maps.thematic import mountain_map, population_map

__all__ = [
    "DOWNLOAD_TEMPLATE",
    "STYLES",
    "LayerStyle",
    "districts_map",
    "infrastructure_map",
    "mountain_map",
    "overview_map",
    "population_map",
    "proximity_map",
    "render_html",
    "style_for",
    "terrain_map",
]
