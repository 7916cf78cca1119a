"""Map controls: legend, layer downloads, grouped layer switcher, search, mini map.

Also the page parts some layers need: hatch patterns, translucent panes and
shared popup templates.

Every control that shows text builds its HTML in Python with
:func:`html.escape` and passes it to JavaScript as a JSON string
(folium's ``tojson`` filter also escapes ``<``, ``>`` and ``&`` there, so
nothing can close the ``<script>`` element early).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal
from urllib.parse import quote

from folium import plugins
from folium.elements import JSCSSMixin
from folium.features import GeoJson
from folium.map import CustomPane, Layer
from folium.raster_layers import ImageOverlay
from folium.template import Template

from alatau_geo.maps.elements import RenderOnce
from alatau_geo.maps.popups import PopupTemplate, badge_text_colour
from alatau_geo.maps.style import hatch_id

__all__ = [
    "DownloadLink",
    "GroupedLayers",
    "HatchPatterns",
    "ImageMiniMap",
    "Legend",
    "LegendEntry",
    "LegendSection",
    "MapStylesheet",
    "PlaceSearch",
    "SharedPopup",
    "TranslucentPane",
    "cluster_icon_function",
]

Symbol = Literal["fill", "line", "point", "swatch", "round_badge", "square_badge"]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a symbol and its (unescaped) label.

    `symbol` is ``fill`` (polygon: fill with outline), ``line``, ``point``
    (circle marker), ``swatch`` (a raster class colour) or ``round_badge`` /
    ``square_badge`` (a point drawn as a badge with the letters `badge`).
    """

    label: str
    symbol: Symbol
    color: str
    fill_color: str | None = None
    dash_array: str | None = None
    badge: str = ""


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend rows."""

    title: str
    entries: tuple[LegendEntry, ...]
    note: str = ""


@dataclass(frozen=True)
class DownloadLink:
    """A layer offered for download: title and relative URL."""

    title: str
    href: str


def _symbol_svg(entry: LegendEntry) -> str:
    # Colours come from the style registry, but escape them anyway: the
    # registry is data that another module may extend.
    stroke = escape(entry.color, quote=True)
    fill = escape(entry.fill_color or "none", quote=True)
    dash = f' stroke-dasharray="{escape(entry.dash_array, quote=True)}"' if entry.dash_array else ""
    if entry.symbol == "line":
        shape = f'<line x1="1" y1="8" x2="21" y2="8" stroke="{stroke}" stroke-width="3"{dash}/>'
    elif entry.symbol == "point":
        shape = f'<circle cx="11" cy="8" r="5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    elif entry.symbol == "swatch":
        shape = f'<rect x="1" y="1" width="20" height="14" fill="{stroke}"/>'
    elif entry.symbol in ("round_badge", "square_badge"):
        outline = (
            f'<circle cx="11" cy="8" r="7" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
            if entry.symbol == "round_badge"
            else f'<rect x="3.5" y="0.75" width="14.5" height="14.5" rx="2" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"{dash}/>'
        )
        text_colour = escape(badge_text_colour(entry.fill_color or "#ffffff"), quote=True)
        letters = (
            f'<text x="11" y="8.5" text-anchor="middle" dominant-baseline="middle" font-size="6.5" '
            f'font-weight="700" font-family="Arial, sans-serif" fill="{text_colour}">{escape(entry.badge)}</text>'
            if entry.badge
            else ""
        )
        shape = outline + letters
    else:
        shape = (
            f'<rect x="2" y="2" width="18" height="12" fill="{fill}" fill-opacity="0.6" '
            f'stroke="{stroke}" stroke-width="1.5"{dash}/>'
        )
    return f'<svg class="ag-symbol" width="22" height="16" aria-hidden="true">{shape}</svg>'


def legend_html(sections: Sequence[LegendSection], *, downloads: Sequence[DownloadLink] = ()) -> str:
    """The legend box's HTML, every label escaped.

    Parameters
    ----------
    sections : sequence of LegendSection
    downloads : sequence of DownloadLink
        Layers offered as GeoJSON, listed under a collapsible heading.

    Returns
    -------
    str
    """
    parts = ['<div class="ag-legend-title">Legend</div>']
    for section in sections:
        parts.append(
            f'<div class="ag-legend-section"><div class="ag-legend-heading">{escape(section.title)}</div>'
        )
        for entry in section.entries:
            parts.append(
                f'<div class="ag-legend-row">{_symbol_svg(entry)}<span>{escape(entry.label)}</span></div>'
            )
        if section.note:
            parts.append(f'<div class="ag-legend-note">{escape(section.note)}</div>')
        parts.append("</div>")
    if downloads:
        links = "".join(
            f'<li><a href="{escape(link.href, quote=True)}" download>{escape(link.title)}</a></li>'
            for link in downloads
        )
        parts.append(
            f'<details class="ag-downloads"><summary>Download layers (GeoJSON)</summary><ul>{links}</ul></details>'
        )
    return "".join(parts)


def download_href(name: str, *, template: str) -> str:
    """Relative URL of a layer's GeoJSON, e.g. ``../layers/streams.geojson``."""
    return template.format(name=quote(name, safe=""))


class Legend(RenderOnce):
    """A Leaflet control showing the legend and the download links.

    Parameters
    ----------
    sections : sequence of LegendSection
    downloads : sequence of DownloadLink
    position : str
        Leaflet control corner.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var box = L.DomUtil.create("div", "ag-legend leaflet-bar");
                box.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                return box;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        sections: Sequence[LegendSection],
        *,
        downloads: Sequence[DownloadLink] = (),
        position: str = "bottomleft",
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.sections = tuple(sections)
        self.downloads = tuple(downloads)
        self.position = position
        self.html = legend_html(self.sections, downloads=self.downloads)


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


class HatchPatterns(RenderOnce):
    """SVG hatch patterns in the page, one per colour, for hatched polygon fills and legend symbols.

    A polygon styled with ``hatch`` has the fill ``url(#ag-hatch-<colour>)``
    (:func:`alatau_geo.maps.style.hatch_fill`); the pattern it names is
    defined here once: diagonal lines over a faint tint of the colour. The
    element is hidden by size, not by ``display: none``, under which some
    browsers do not paint patterns.

    Parameters
    ----------
    colors : sequence of str
        CSS colours.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <svg class="ag-patterns" width="0" height="0" aria-hidden="true" focusable="false"
             style="position:absolute;width:0;height:0;overflow:hidden"><defs>{{ this.defs }}</defs></svg>
        {% endmacro %}
        """
    )

    def __init__(self, colors: Sequence[str]) -> None:
        super().__init__()
        self._name = "HatchPatterns"
        self.colors = tuple(dict.fromkeys(colors))
        self.defs = "".join(
            f'<pattern id="{escape(hatch_id(color), quote=True)}" patternUnits="userSpaceOnUse" width="8" '
            f'height="8" patternTransform="rotate(45)">'
            f'<rect width="8" height="8" fill="{escape(color, quote=True)}" fill-opacity="0.14"/>'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{escape(color, quote=True)}" stroke-width="2.5"/>'
            "</pattern>"
            for color in self.colors
        )


class TranslucentPane(CustomPane, RenderOnce):
    """A map pane drawn with an opacity, below the other vectors.

    Features in it are filled opaquely and the pane as a whole is
    translucent, so overlapping features of one layer do not darken where
    they overlap. Each pane gets its own SVG renderer from Leaflet.

    Parameters
    ----------
    name : str
        Pane name (letters, digits and dashes).
    opacity : float
        0 to 1.
    z_index : int
        Leaflet stacks vectors at 400; the default puts the pane just under them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this._parent.get_name() }}.createPane({{ this.name|tojson }});
            {{ this.get_name() }}.style.zIndex = {{ this.z_index|tojson }};
            {{ this.get_name() }}.style.opacity = {{ this.opacity|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, opacity: float, z_index: int = 390) -> None:
        super().__init__(name, z_index=z_index, pointer_events=True)
        self._name = "TranslucentPane"
        self.opacity = float(opacity)


class SharedPopup(RenderOnce):
    """A layer's :class:`~alatau_geo.maps.popups.PopupTemplate` as a JavaScript object in the page.

    Added to the map before the layer whose features join their values into
    it (see :func:`shared_popup_binding`). The parts are already escaped
    markup; ``tojson`` writes ``<``, ``>`` and ``&`` as JSON unicode escapes,
    so nothing in them can end the ``<script>`` element.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.parts|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, template: PopupTemplate) -> None:
        super().__init__()
        self._name = "SharedPopup"
        self.parts = {"popup": list(template.popup), "tooltip": list(template.tooltip)}

    def binding(self) -> str:
        """JavaScript ``onEachFeature`` binding each feature's popup and tooltip, built when first shown."""
        name = self.get_name()
        return (
            "function (feature, layer) {"
            " var values = feature.properties.v;"
            " layer.bindPopup(function () {"
            f" var parts = {name}.popup, html = parts[0];"
            " for (var i = 0; i < values.length; i++) { html += values[i] + parts[i + 1]; }"
            " return html;"
            " }, {maxWidth: 380});"
            f" layer.bindTooltip(function () {{ return {name}.tooltip[0] + values[0] + {name}.tooltip[1]; }},"
            " {sticky: true});"
            " }"
        )


def cluster_icon_function(shape: str) -> str:
    """JavaScript ``iconCreateFunction`` for a marker cluster of round or square badges.

    leaflet.markercluster's own icon (a circle coloured by count), with a
    class naming the shape so a cluster of square project badges is square.
    The count is a number and the class a fixed word, so nothing needs escaping.
    """
    class_name = json.dumps(f"ag-cluster ag-cluster-{'square' if shape == 'square' else 'round'}")
    return (
        "function (cluster) {"
        " var count = cluster.getChildCount();"
        ' var size = count < 10 ? "small" : count < 100 ? "medium" : "large";'
        ' return L.divIcon({html: "<div><span>" + count + "</span></div>",'
        f' className: "marker-cluster marker-cluster-" + size + " " + {class_name},'
        " iconSize: new L.Point(40, 40)});"
        " }"
    )


_CSS = """
.leaflet-container { font: 13px/1.4 "Helvetica Neue", Arial, "Noto Sans", sans-serif; background: #f2efe9; }
.ag-popup { min-width: 200px; }
.ag-popup-title { font-weight: 600; font-size: 15px; margin-bottom: 2px; }
.ag-popup-names { color: #444; margin-bottom: 6px; }
.ag-lang { display: inline-block; min-width: 1.9em; font-size: 10px; color: #777; border: 1px solid #ccc;
           border-radius: 3px; text-align: center; margin-right: 2px; }
.ag-popup-table { border-collapse: collapse; width: 100%; }
.ag-popup-table th { text-align: left; font-weight: normal; color: #555; padding: 2px 10px 2px 0;
                     border-bottom: 1px solid #eee; white-space: nowrap; }
.ag-popup-table td { padding: 2px 0; border-bottom: 1px solid #eee; }
.ag-popup-table td.ag-num { text-align: right; font-variant-numeric: tabular-nums; }
.ag-popup-source { margin-top: 6px; font-size: 11px; color: #888; }
.ag-legend { background: rgba(255, 255, 255, 0.94); padding: 6px 10px; max-height: 55vh; overflow-y: auto;
             max-width: 260px; }
.ag-legend-title { font-weight: 600; margin-bottom: 4px; }
.ag-legend-heading { font-weight: 600; color: #333; margin-top: 6px; }
.ag-legend-row { display: flex; align-items: center; gap: 6px; }
.ag-legend-note { font-size: 11px; color: #777; }
.ag-downloads { margin-top: 8px; }
.ag-downloads summary { cursor: pointer; color: #0b5394; }
.ag-downloads ul { margin: 4px 0 0 0; padding-left: 18px; }
.ag-hillshade-overlay { mix-blend-mode: multiply; }
.leaflet-control-layers-group-name { font-weight: 600; display: block; margin-top: 4px; }
.ag-badge-icon { background: none; border: none; }
.ag-badge { display: flex; align-items: center; justify-content: center; box-sizing: border-box;
            width: 100%; height: 100%; border-width: 2px; font: 700 9px/1 Arial, "Helvetica Neue", sans-serif;
            letter-spacing: -0.2px; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.5); cursor: pointer; }
.ag-badge-round { border-radius: 50%; }
.ag-badge-square { border-radius: 3px; }
.ag-symbol { flex: none; }
.marker-cluster.ag-cluster-square, .marker-cluster.ag-cluster-square div { border-radius: 7px; }
.marker-cluster.ag-cluster div { font-weight: 600; }
"""


class MapStylesheet(RenderOnce):
    """The maps' own CSS (popups, legend), inline in the page header."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStylesheet"
        self.css = _CSS
