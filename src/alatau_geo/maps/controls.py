"""Map controls: the language switch, the layer switcher, the search box, the tools, and their assembly.

:func:`add_controls` adds the tools every map has (language switch, layer
switcher, search, full screen, measure, mini map, legend, metric scale)
after its layers, opens the map on them, and starts the page runtime
(``static/runtime.js``), which keeps popups clear of the controls and
switches the language of everything on the page.

The controls make room: the layer switcher is collapsed to its button, the
legend lists only the layers switched on and folds away, the mini map starts
folded, and the measure tool sits last in its corner so its panel covers
nothing. Every control that shows text builds its HTML in Python, escaped in
every language (:func:`alatau_geo.maps.i18n.text_html`), and passes it to
JavaScript as a JSON string whose ``<``, ``>`` and ``&`` are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import folium
import xyzservices
from folium import plugins
from folium.elements import JSCSSMixin
from folium.features import GeoJson
from folium.map import Layer
from folium.raster_layers import ImageOverlay
from folium.template import Template

from alatau_geo.maps.basemaps import DEFAULT_BOUNDS, BaseMaps, unreachable_note
from alatau_geo.maps.elements import RenderOnce, open_on, script_json
from alatau_geo.maps.features import DisplayLayer
from alatau_geo.maps.i18n import check_language, text_html, translations
from alatau_geo.maps.labels import MapLabels
from alatau_geo.maps.layer_styles import in_group_order
from alatau_geo.maps.legend import Legend
from alatau_geo.maps.page_parts import HatchPatterns
from alatau_geo.maps.vectors import VectorLayers

__all__ = [
    "Fullscreen",
    "GroupedLayers",
    "ImageMiniMap",
    "LanguageSwitch",
    "Measure",
    "PageRuntime",
    "PlaceSearch",
    "add_controls",
]

# The order in which the search box lists what it finds, by what each layer holds.
SEARCH_ORDER = ("places", "districts", "rivers", "objects", "projects")
# Texts the runtime sets in attributes and plugin options, in every language.
RUNTIME_STRINGS = (
    "Zoom in", "Zoom out", "Full screen", "Exit full screen", "Hide the overview map", "Show the overview map",
    "Show the legend", "Fold the legend", "Layers", "m", "km",
)


class GroupedLayers(JSCSSMixin, RenderOnce):
    """One layer switcher: base maps as radio buttons, overlays in titled groups.

    folium's ``GroupedLayerControl`` offers no base layers, and a second
    ``LayerControl`` for them would put two switchers on the map. The plugin
    (leaflet-groupedlayercontrol) writes names with ``innerHTML``, so names
    are escaped here, in every language.

    Parameters
    ----------
    base_layers : sequence of (str, Layer)
        Unescaped name and layer; the first one shown is the active base map.
    groups : sequence of (str, sequence of (str, Layer))
        Unescaped group names, each with its named overlays.
    collapsed : bool
        Whether the switcher opens only on hover or a tap of its button.
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
        collapsed: bool = True,
    ) -> None:
        super().__init__()
        self._name = "GroupedLayers"
        # The plain (English) names, for anyone reading the map in Python; the markup is what the page shows.
        self.plain_base_layers = [(name, layer) for name, layer in base_layers]
        self.plain_groups = [
            (group, [(name, layer) for name, layer in members]) for group, members in groups if members
        ]
        self.base_layers = [(text_html(name), layer) for name, layer in self.plain_base_layers]
        self.groups = [
            (text_html(group), [(text_html(name), layer) for name, layer in members])
            for group, members in self.plain_groups
        ]
        self.options = {"collapsed": collapsed}
        for _, layer in base_layers:
            layer.control = False
        for _, members in groups:
            for _, layer in members:
                layer.control = False  # listed here, never in a second switcher

    @property
    def layer_names(self) -> list[str]:
        """Names (English) of all listed layers, base maps first."""
        return [name for name, _ in self.plain_base_layers] + [
            name for _, members in self.plain_groups for name, _ in members
        ]


class ImageMiniMap(plugins.MiniMap, RenderOnce):
    """The overview mini map drawn with the shaded relief instead of tiles.

    The page is self-contained, so the mini map reuses the relief image
    already in it (by reference, so the image is not embedded twice). It
    starts folded; its frame shows the view at a sixteenth of the map's
    scale (four zoom levels out), so the frame fits inside it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new L.Control.MiniMap(
                L.imageOverlay({{ this.overlay.get_name() }}._url, {{ this.overlay.get_name() }}.getBounds()),
                {{ this.options|tojavascript }}
            );
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
            {{ this._parent.get_name() }}.agMiniMap = {{ this.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self, overlay: ImageOverlay, **kwargs: object) -> None:
        # Never drawn (the template draws the relief); a provider spares folium its search of all providers.
        super().__init__(tile_layer=folium.TileLayer(xyzservices.providers.OpenStreetMap.Mapnik), **kwargs)
        self._name = "ImageMiniMap"
        self.overlay = overlay


class Fullscreen(plugins.Fullscreen, RenderOnce):
    """folium's full-screen button, kept on the map object so the runtime can retitle it in each language."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.agFullscreen = L.control.fullscreen(
                {{ this.options|tojavascript }}
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class Measure(plugins.MeasureControl, RenderOnce):
    """folium's measure tool, kept on the map object so the runtime can show it in Russian or English.

    As in folium, the tool's capture marker gets a plain ``L.divIcon``
    (leaflet-measure #171), so measuring asks for no marker image.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.Control.Measure.include({
                _setCaptureMarkerIcon: function () {
                    this._captureMarker.options.autoPanOnFocus = false;
                    this._captureMarker.setIcon(L.divIcon({iconSize: this._map.getSize().multiplyBy(2)}));
                },
            });
            {{ this._parent.get_name() }}.agMeasure = new L.Control.Measure({{ this.options|tojavascript }});
            {{ this._parent.get_name() }}.addControl({{ this._parent.get_name() }}.agMeasure);
        {% endmacro %}
        """
    )


class LanguageSwitch(RenderOnce):
    """Buttons that switch the page between Kazakh, Russian and English (see ``static/runtime.js``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            agMaps.languageSwitch({{ this._parent.get_name() }}, {{ this.position|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, *, position: str = "topright") -> None:
        super().__init__()
        self._name = "LanguageSwitch"
        self.position = position


class PageRuntime(RenderOnce):
    """Starts the page runtime on the map: base maps, canvas panes, scale, control titles, the language.

    Added last, after every layer and control it refers to.

    Parameters
    ----------
    base_maps : BaseMaps
    dense : sequence of (str, Layer)
        Canvas panes and the map layer drawn in each.
    language : {'en', 'kk', 'ru'}
        The language the page opens in.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            agMaps.attach({{ this._parent.get_name() }}, {
                relief: {{ this.base_maps.relief.get_name() if this.base_maps.relief else "null" }},
                reliefOnly: {{ this.base_maps.relief_only.get_name() if this.base_maps.relief_only else "null" }},
                tiles: [{% for group in this.base_maps.tiles %}{{ group.get_name() }}, {% endfor %}],
                dense: [{% for pane, layer in this.dense %}[{{ pane|tojson }}, {{ layer.get_name() }}], {% endfor %}],
                unreachable: {{ this.unreachable_json }},
                strings: {{ this.strings_json }},
                language: {{ this.language|tojson }}
            });
        {% endmacro %}
        """
    )

    def __init__(self, base_maps: BaseMaps, *, dense: Sequence[tuple[str, Layer]] = (), language: str) -> None:
        super().__init__()
        self._name = "PageRuntime"
        self.base_maps = base_maps
        self.dense = list(dense)
        self.language = check_language(language)
        self.unreachable_json = script_json(unreachable_note())
        self.strings_json = script_json({key: translations(key) for key in RUNTIME_STRINGS})


class PlaceSearch(plugins.Search, RenderOnce):
    """One search box over the features of several GeoJSON layers, by every name, safely.

    A feature is found by any of its names (English, Kazakh, Russian), its
    former names or its id (its ``search_text``), and listed under its name
    in the page's language (its ``names``). leaflet-search writes each
    suggestion with ``innerHTML``; here the suggestions are built as text
    nodes (``buildTip``), so a place named ``<img onerror=...>`` is listed
    as that text. On a match the map shows the feature (the whole of an
    area) and opens its popup; a feature inside a marker cluster is first
    uncovered (``zoomToShowLayer``).

    leaflet-search adds the layer it searches to the map; the searched
    layers are wrapped in a group whose ``addTo`` does nothing, so a layer
    the reader switched off stays off, and a clustered layer is not drawn a
    second time outside its cluster.

    Parameters
    ----------
    layers : sequence of GeoJson
        Layers to search; every feature needs the properties `search_label`
        and ``names``.
    clusters : sequence of MarkerCluster
        Clusters holding some of `layers`.
    search_label : str
        Feature property holding the searchable (plain) text.
    search_zoom : int
        Zoom level a found point outside a cluster is shown at.
    placeholder : str
        Input placeholder text (English; shown in the page's language).
    position : str
        Leaflet control corner.
    collapsed : bool
        Whether the box opens only on click.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var map = {{ this._parent.get_name() }};
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
                map.agSearchPlaceholder = {{ this.placeholder_json }};
                var control = new L.Control.Search({
                    layer: searched,
                    propertyName: {{ this.search_label|tojson }},
                    collapsed: {{ this.collapsed|tojson }},
                    textPlaceholder: agMaps.pick(map.agSearchPlaceholder),
                    position: {{ this.position|tojson }},
                    initial: false,
                    zoom: {{ this.search_zoom|tojson }},
                    hideMarkerOnCollapse: true,
                    marker: false,
                    buildTip: function (text, record) {
                        var tip = L.DomUtil.create("li", "");
                        var feature = record && record.layer && record.layer.feature;
                        tip.textContent = feature && feature.properties.names
                            ? agMaps.pick(feature.properties.names) : text;
                        return tip;
                    },
                    moveToLocation: function (latlng, title, map) {
                        var layer = latlng.layer;
                        var cluster = clusterOf(layer);
                        if (cluster && map.hasLayer(cluster)) {
                            cluster.zoomToShowLayer(layer, function () { openPopup(layer); });
                        } else if (layer && layer.getBounds) {
                            map.fitBounds(layer.getBounds(), {maxZoom: {{ this.search_zoom|tojson }}});
                        } else {
                            map.setView(latlng, {{ this.search_zoom|tojson }});
                        }
                    }
                });
                control.on("search:locationfound", function (e) {
                    if (!clusterOf(e.layer)) { setTimeout(function () { openPopup(e.layer); }, 300); }
                });
                return control;
            })();
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
            /* leaflet-search listens for key-up only; text that arrives without one (an input method,
               a paste, Kazakh letters typed on some layouts) is searched too. */
            L.DomEvent.on({{ this.get_name() }}._input, "input", function () {
                {{ this.get_name() }}._handleKeypress({keyCode: 0});
            });
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
        self.placeholder_json = script_json(translations(placeholder))

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
    open_on(m, south, west, north, east)


def search_placeholder(nouns: Sequence[str]) -> str:
    """The search box's placeholder from what it finds, e.g. ``"Search: places, districts, projects"``.

    >>> search_placeholder(["places", "projects", "places"])
    'Search: places, projects'
    """
    return "Search: " + ", ".join(dict.fromkeys(nouns))


def add_controls(
    m: folium.Map,
    vectors: VectorLayers,
    base_maps: BaseMaps,
    *,
    language: str,
    fit_to: tuple[str, ...] = ("study_area",),
    labels: MapLabels | None = None,
    legend_layers: Mapping[str, Sequence[Layer]] = MappingProxyType({}),
) -> None:
    """Add the tools and controls every map has, after its layers, in the order Leaflet stacks them; open the view.

    Top left: zoom, search (if a layer is searchable), full screen, measure.
    Top right: the language switch and the collapsed layer switcher. Bottom
    left: the legend; bottom right: the folded mini map (when there is a
    relief) and the metric scale. Then the labels, the view, and the page
    runtime.

    Parameters
    ----------
    m : folium.Map
    vectors : VectorLayers
        What :func:`~alatau_geo.maps.vectors.add_vectors` added.
    base_maps : BaseMaps
        What :func:`~alatau_geo.maps.basemaps.add_base_maps` added.
    language : {'en', 'kk', 'ru'}
        The language the page opens in.
    fit_to : tuple of str
        Names of the layers the map opens on, where they have features;
        else it opens on every layer.
    labels : MapLabels, optional
        The map's labels.
    legend_layers : mapping of str to sequence of Layer
        Map layers behind legend rows that are not vector layers (``slope``).
    """
    if vectors.searchable:
        # Suggestions are listed layer by layer: places first, then districts, rivers, objects, projects.
        ranked = sorted(zip(vectors.searchable, vectors.search_nouns, strict=True),
                        key=lambda pair: SEARCH_ORDER.index(pair[1]) if pair[1] in SEARCH_ORDER else len(SEARCH_ORDER))
        nouns = [noun for _, noun in ranked]
        PlaceSearch(
            [layer for layer, _ in ranked],
            clusters=vectors.clusters,
            search_label="search_text",
            placeholder=search_placeholder(nouns),
            position="topleft",
            collapsed=False,
            search_zoom=13,
        ).add_to(m)
    Fullscreen(position="topleft", title="Full screen", title_cancel="Exit full screen").add_to(m)
    Measure(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
        localization="en",
    ).add_to(m)
    if base_maps.relief is not None:
        ImageMiniMap(base_maps.relief, position="bottomright", toggle_display=True, zoom_level_offset=-4,
                     minimized=True, width=160, height=130).add_to(m)
    if vectors.hatch_colors:
        HatchPatterns(vectors.hatch_colors).add_to(m)
    behind_rows: dict[str, list[Layer]] = {name: list(found) for name, found in vectors.by_layer.items()}
    if base_maps.relief is not None:
        behind_rows["relief"] = [base_maps.relief]
    behind_rows.update({key: list(found) for key, found in legend_layers.items()})
    Legend(vectors.sections, layers=behind_rows, downloads=vectors.downloads, position="bottomleft").add_to(m)
    LanguageSwitch(position="topright").add_to(m)
    groups = in_group_order(vectors.groups)
    GroupedLayers(base_maps.layers, groups, collapsed=True).add_to(m)
    if labels is not None:
        labels.add_to(m)
    _fit(m, vectors.shown, prefer=fit_to)
    PageRuntime(base_maps, dense=vectors.dense, language=language).add_to(m)
