"""Map controls: the grouped layer switcher, the search box, the relief mini map, and their assembly.

:func:`add_controls` adds the tools every map has (full screen, measure,
search, mini map, legend, layer switcher) after its layers, and opens the
map on them.

Every control that shows text builds its HTML in Python with
:func:`html.escape` and passes it to JavaScript as a JSON string
(folium's ``tojson`` filter also escapes ``<``, ``>`` and ``&`` there, so
nothing can close the ``<script>`` element early).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
from folium import plugins
from folium.elements import JSCSSMixin
from folium.features import GeoJson
from folium.map import Layer
from folium.raster_layers import ImageOverlay
from folium.template import Template

from alatau_geo.maps.basemaps import DEFAULT_BOUNDS, BaseMaps
from alatau_geo.maps.elements import RenderOnce
from alatau_geo.maps.features import DisplayLayer
from alatau_geo.maps.layer_styles import in_group_order
from alatau_geo.maps.legend import Legend
from alatau_geo.maps.page_parts import HatchPatterns
from alatau_geo.maps.vectors import VectorLayers

__all__ = ["GroupedLayers", "ImageMiniMap", "PlaceSearch", "add_controls"]


class GroupedLayers(JSCSSMixin, RenderOnce):
    """One layer switcher: base maps as radio buttons, overlays in titled groups.

    folium's ``GroupedLayerControl`` offers no base layers, and a second
    ``LayerControl`` for them would put two switchers on the map. The plugin
    (leaflet-groupedlayercontrol) writes names with ``innerHTML``, so names
    are escaped here.

    Parameters
    ----------
    base_layers : sequence of (str, Layer)
        Unescaped name and layer; the first one shown is the active base map.
    groups : sequence of (str, sequence of (str, Layer))
        Unescaped group names, each with its named overlays.
    collapsed : bool
        Whether the switcher opens only on hover.
    """

    default_js = list(plugins.GroupedLayerControl.default_js)
    default_css = list(plugins.GroupedLayerControl.default_css)

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.groupedLayers(
                {
                {%- for name, layer in this.base_layers %}
                    {{ name|tojson }}: {{ layer.get_name() }},
                {%- endfor %}
                },
                {
                {%- for group, members in this.groups %}
                    {{ group|tojson }}: {
                    {%- for name, layer in members %}
                        {{ name|tojson }}: {{ layer.get_name() }},
                    {%- endfor %}
                    },
                {%- endfor %}
                },
                {{ this.options|tojavascript }}
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        base_layers: Sequence[tuple[str, Layer]],
        groups: Sequence[tuple[str, Sequence[tuple[str, Layer]]]],
        *,
        collapsed: bool = False,
    ) -> None:
        super().__init__()
        self._name = "GroupedLayers"
        self.base_layers = [(escape(name), layer) for name, layer in base_layers]
        self.groups = [
            (escape(group), [(escape(name), layer) for name, layer in members])
            for group, members in groups
            if members
        ]
        self.options = {"collapsed": collapsed}
        for _, layer in base_layers:
            layer.control = False
        for _, members in groups:
            for _, layer in members:
                layer.control = False  # listed here, never in a second switcher

    @property
    def layer_names(self) -> list[str]:
        """Escaped names of all listed layers, base maps first."""
        return [name for name, _ in self.base_layers] + [
            name for _, members in self.groups for name, _ in members
        ]


class ImageMiniMap(plugins.MiniMap, RenderOnce):
    """The overview mini map drawn with an image overlay instead of tiles.

    Offline maps have no tiles; the mini map reuses the shaded relief image
    already in the page (by reference, so the image is not embedded twice).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new L.Control.MiniMap(
                L.imageOverlay({{ this.overlay.get_name() }}._url, {{ this.overlay.get_name() }}.getBounds()),
                {{ this.options|tojavascript }}
            );
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, overlay: ImageOverlay, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._name = "ImageMiniMap"
        self.overlay = overlay


class PlaceSearch(plugins.Search, RenderOnce):
    """One search box over the features of one or more GeoJSON layers, by a text property, safely.

    leaflet-search writes each suggestion with ``innerHTML``; here the
    suggestions are built as text nodes (``buildTip``), so a place named
    ``<img onerror=...>`` is listed as that text. On a match the feature's
    popup opens; a feature inside a marker cluster is first uncovered
    (``zoomToShowLayer``), so a clustered project is found like a place.

    leaflet-search adds the layer it searches to the map; the searched
    layers are wrapped in a group whose ``addTo`` does nothing, so a layer
    the reader switched off stays off, and a clustered layer is not drawn a
    second time outside its cluster.

    Parameters
    ----------
    layers : sequence of GeoJson
        Layers to search; every feature needs the property `search_label`.
    clusters : sequence of MarkerCluster
        Clusters holding some of `layers`.
    search_label : str
        Feature property holding the searchable (plain) text.
    search_zoom : int
        Zoom level a found feature outside a cluster is shown at.
    placeholder, position : str
        Input placeholder text and Leaflet control corner.
    collapsed : bool
        Whether the box opens only on click.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var clusters = [{% for cluster in this.clusters %}{{ cluster.get_name() }}, {% endfor %}];
                var searched = L.layerGroup([{% for layer in this.layers %}{{ layer.get_name() }}, {% endfor %}]);
                searched.addTo = function () { return this; };
                function clusterOf(layer) {
                    for (var i = 0; i < clusters.length; i++) {
                        if (layer && clusters[i].hasLayer(layer)) { return clusters[i]; }
                    }
                    return null;
                }
                function openPopup(layer) {
                    if (layer && layer.getPopup && layer.getPopup()) { layer.openPopup(); }
                }
                var control = new L.Control.Search({
                    layer: searched,
                    propertyName: {{ this.search_label|tojson }},
                    collapsed: {{ this.collapsed|tojson }},
                    textPlaceholder: {{ this.placeholder|tojson }},
                    position: {{ this.position|tojson }},
                    initial: false,
                    zoom: {{ this.search_zoom|tojson }},
                    hideMarkerOnCollapse: true,
                    buildTip: function (text) {
                        var tip = L.DomUtil.create("li", "");
                        tip.textContent = text;
                        return tip;
                    },
                    moveToLocation: function (latlng, title, map) {
                        var cluster = clusterOf(latlng.layer);
                        if (cluster && map.hasLayer(cluster)) {
                            cluster.zoomToShowLayer(latlng.layer, function () { openPopup(latlng.layer); });
                        } else {
                            map.setView(latlng, {{ this.search_zoom|tojson }});
                        }
                    }
                });
                control.on("search:locationfound", function (e) {
                    if (!clusterOf(e.layer)) { openPopup(e.layer); }
                });
                return control;
            })();
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layers: Sequence[GeoJson],
        *,
        clusters: Sequence[plugins.MarkerCluster] = (),
        search_label: str,
        search_zoom: int,
        placeholder: str = "Search",
        position: str = "topleft",
        collapsed: bool = False,
    ) -> None:
        if not layers:
            raise ValueError("PlaceSearch needs at least one layer to search in 'layers'")
        super().__init__(
            layers[0],
            search_label=search_label,
            search_zoom=search_zoom,
            placeholder=placeholder,
            position=position,
            collapsed=collapsed,
        )
        self._name = "PlaceSearch"
        self.layers = tuple(layers)
        self.clusters = tuple(clusters)

    def render(self, **kwargs: object) -> None:
        """Check that every feature carries the search property, then render.

        leaflet-search throws on a feature without it, which would break the
        search box for every layer.
        """
        for layer in self.layers:
            for feature in layer.data["features"]:
                if self.search_label not in feature["properties"]:
                    raise ValueError(
                        f"PlaceSearch: feature {feature.get('id')!r} of layer {layer.layer_name!r} "
                        f"has no property {self.search_label!r}"
                    )
        # plugins.Search.render checks only the first layer; skip it, keep JSCSSMixin's asset links.
        super(plugins.Search, self).render(**kwargs)


def _fit(m: folium.Map, shown_layers: list[DisplayLayer], *, prefer: tuple[str, ...]) -> None:
    """Open the map on the layers named in `prefer` that have features, else on every layer."""
    boxes = [shown.bounds for shown in shown_layers if shown.feature_count]
    preferred = [shown.bounds for shown in shown_layers if shown.name in prefer and shown.feature_count]
    boxes = preferred or boxes
    if boxes:
        west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
        east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    else:
        west, south, east, north = DEFAULT_BOUNDS
    m.fit_bounds([[south, west], [north, east]])  # folium order


def add_controls(
    m: folium.Map,
    vectors: VectorLayers,
    base_maps: BaseMaps,
    *,
    offline: bool,
    fit_to: tuple[str, ...] = ("study_area",),
) -> None:
    """Add the tools and controls every map has, after its layers, in the order Leaflet stacks them; open the view.

    Full screen and measure, the search box (if a layer is searchable), the
    mini map (online: OpenStreetMap; offline: the relief, or none without
    it), hatch patterns, the legend and the layer switcher.

    Parameters
    ----------
    m : folium.Map
    vectors : VectorLayers
        What :func:`~alatau_geo.maps.vectors.add_vectors` added.
    base_maps : BaseMaps
        What :func:`~alatau_geo.maps.basemaps.add_base_maps` added.
    offline : bool
        Whether the map is an offline one (no tiles for the mini map).
    fit_to : tuple of str
        Names of the layers the map opens on, where they have features;
        else it opens on every layer.
    """
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
    elif base_maps.relief is not None:
        ImageMiniMap(base_maps.relief, position="bottomright", toggle_display=True, zoom_level_offset=-3).add_to(m)
    # else: an offline map without a DEM has nothing to draw a mini map with, so it has none.
    if vectors.hatch_colors:
        HatchPatterns(vectors.hatch_colors).add_to(m)
    Legend(vectors.sections, downloads=vectors.downloads, position="bottomleft").add_to(m)
    GroupedLayers(base_maps.layers, in_group_order(vectors.groups), collapsed=False).add_to(m)
    _fit(m, vectors.shown, prefer=fit_to)

