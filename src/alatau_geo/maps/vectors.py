"""Vector layers on a map: styled GeoJSON layers, split into parts, clustered or on canvas as their style says.

:func:`add_vectors` adds a map's layers in drawing order and returns what
the controls added after them need (:class:`VectorLayers`): the layers by
switcher group, legend sections, the map layers behind each legend row,
download links, searchable layers, clusters, hatch colours, canvas panes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from html import escape
from types import MappingProxyType

import folium
from folium import plugins

from alatau_geo.core.layers import Layer
from alatau_geo.maps.column_formats import column_format
from alatau_geo.maps.elements import Cluster, Pane
from alatau_geo.maps.features import Display, DisplayLayer, display_layer
from alatau_geo.maps.geojson import DENSE_PANE, StyledGeoJson
from alatau_geo.maps.layer_styles import in_group_order, style_for
from alatau_geo.maps.legend import DownloadLink, LegendEntry, LegendSection, download_href, legend_entries
from alatau_geo.maps.page_parts import SharedPopup, TranslucentPane
from alatau_geo.maps.style import LayerStyle

__all__ = [
    "CLUSTER_NOTE",
    "VectorLayers",
    "add_vectors",
    "cluster_icon_function",
    "has_points",
    "marker_cluster",
    "split_layer",
]

CLUSTER_NOTE = "A numbered circle groups nearby objects: click it or zoom in to see them."




def has_points(shown: DisplayLayer) -> bool:
    """Whether any feature of `shown` is a point or multipoint."""
    return bool({"Point", "MultiPoint"} & set(shown.geometry_types))


def marker_cluster(shown: DisplayLayer, style: LayerStyle) -> plugins.MarkerCluster:
    """A marker cluster for a point layer: nearby points merge into a counted circle below a zoom level."""
    return Cluster(
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


@dataclass
class VectorLayers:
    """What adding the vector layers produced, for the controls added after them.

    Attributes
    ----------
    groups : dict of str to list of (str, Layer)
        Per layer-switcher group, the unescaped name and the map layer the
        switcher turns on and off (a cluster, for clustered points).
    sections : list of LegendSection
        Legend sections, in :data:`~alatau_geo.maps.layer_styles.GROUP_ORDER`.
    downloads : list of DownloadLink
        Each layer's GeoJSON download.
    shown : list of DisplayLayer
        The display copies on the map, one per map layer.
    searchable : list of GeoJson
        Layers the search box finds features of.
    search_nouns : list of str
        What the search box finds in each searchable layer.
    clusters : list of MarkerCluster
        Marker clusters holding some of the layers.
    hatch_colors : list of str
        Colours whose hatch pattern the page must define.
    panes : int
        Number of translucent panes added so far.
    by_layer : dict of str to list of Layer
        The map layers switched on and off for each layer name (several for a
        split layer), for the legend and the labels.
    dense : list of (str, Layer)
        Canvas panes and the map layer drawn in each, for the page runtime.
    """

    groups: dict[str, list[tuple[str, folium.map.Layer]]] = field(default_factory=dict)
    sections: list[LegendSection] = field(default_factory=list)
    downloads: list[DownloadLink] = field(default_factory=list)
    shown: list[DisplayLayer] = field(default_factory=list)
    searchable: list[folium.GeoJson] = field(default_factory=list)
    search_nouns: list[str] = field(default_factory=list)
    clusters: list[plugins.MarkerCluster] = field(default_factory=list)
    hatch_colors: list[str] = field(default_factory=list)
    panes: int = 0
    by_layer: dict[str, list[folium.map.Layer]] = field(default_factory=dict)
    dense: list[tuple[str, folium.map.Layer]] = field(default_factory=list)


def split_layer(layer: Layer, style: LayerStyle) -> Iterator[tuple[Layer, LayerStyle]]:
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


def _pane_for(m: folium.Map, parts: VectorLayers, style: LayerStyle) -> str | None:
    """The map pane of a layer drawn with `style`, created the first time it is needed."""
    if style.pane_opacity is not None:
        parts.panes += 1
        pane = f"ag-pane-{parts.panes}"
        TranslucentPane(pane, opacity=style.pane_opacity).add_to(m)
        return pane
    if style.canvas and not parts.dense:
        Pane(DENSE_PANE, z_index=450, pointer_events=True).add_to(m)
    return style.pane


def _add_part(m: folium.Map, parts: VectorLayers, layer: Layer, style: LayerStyle, *, name: str,
              display: Display = display_layer) -> bool:
    """Add one map layer (a whole layer or one part of a split one); return whether it is clustered."""
    shown = display(layer, style)
    pane = _pane_for(m, parts, style)
    shared = SharedPopup(shown.popup_template)
    shared.add_to(m)  # before the layer, whose features refer to it
    geojson = StyledGeoJson(shown, style, pane=pane, shared=shared)
    switched: folium.map.Layer = geojson  # what the layer switcher turns on and off
    clustered = style.cluster_until_zoom is not None and has_points(shown)
    if clustered:
        switched = marker_cluster(shown, style)
        switched.add_to(m)
        geojson.show = True  # the cluster decides whether the layer is shown
        geojson.add_to(switched)
        parts.clusters.append(switched)
    else:
        geojson.add_to(m)
    if style.canvas:
        parts.dense.append((DENSE_PANE, switched))
    parts.groups.setdefault(style.group, []).append((name, switched))
    parts.by_layer.setdefault(layer.name, []).append(switched)
    parts.shown.append(shown)
    if style.searchable and shown.feature_count:
        parts.searchable.append(geojson)
        parts.search_nouns.append(style.search_noun or shown.title.lower())
    return clustered


def add_vectors(
    m: folium.Map,
    layers: Iterable[Layer],
    *,
    download_template: str,
    styles: Mapping[str, LayerStyle] = MappingProxyType({}),
    display: Display = display_layer,
) -> VectorLayers:
    """Add the vector layers to `m` in drawing order (style ``order``), each with its legend rows and download.

    Parameters
    ----------
    m : folium.Map
    layers : iterable of Layer
        The layers, styled from :data:`~alatau_geo.maps.layer_styles.STYLES`
        (a generic style for layers without an entry).
    download_template : str
        Relative URL of each layer's GeoJSON, with ``{name}`` for the layer name.
    styles : Mapping of str to LayerStyle
        Styles that replace the registry's, by layer name.
    display : callable, optional
        Makes each layer's display copy (:func:`~alatau_geo.maps.features.display_layer`, or a memo of it).

    Returns
    -------
    VectorLayers
        What the controls added after the layers need.
    """
    styled = sorted(
        ((layer, styles.get(layer.name) or style_for(layer.name, geometry_type=layer.geometry_type))
         for layer in layers),
        key=lambda pair: pair[1].order,
    )
    parts = VectorLayers()
    legend: dict[str, list[LegendEntry]] = {}
    notes: dict[str, list[str]] = {}
    for layer, style in styled:
        clustered = False
        short = style.legend_title or layer.title or layer.name
        for part, part_style in split_layer(layer, style):
            name = part.title if part is not layer else short
            clustered |= _add_part(m, parts, part, part_style, name=name, display=display)
        group_notes = notes.setdefault(style.group, [])
        for note in (CLUSTER_NOTE if clustered else "", style.legend_note):
            if note and note not in group_notes:
                group_notes.append(note)
        legend.setdefault(style.group, []).extend(legend_entries(style, layer))
        parts.hatch_colors.extend(style.hatch_colors())
        title = layer.title or layer.name
        parts.downloads.append(
            DownloadLink(f"{title} ({layer.provenance.quality})", download_href(layer.name, template=download_template))
        )
    parts.sections = [
        LegendSection(group, tuple(entries), " ".join(notes.get(group, ())))
        for group, entries in in_group_order(legend)
    ]
    return parts

