"""The map layer of a display copy: a GeoJSON layer whose features look up their style and popup.

folium's ``GeoJson`` writes one JavaScript ``switch`` case per feature to
find each feature's style; for thousands of features (travel-time nodes)
that switch costs seconds when the page opens. Here each feature carries the
index of its style in a small table and its popup values, and the page
runtime (``agMaps.vectorLayer`` in ``static/runtime.js``) builds the layer:
circle markers (on a canvas for dense layers), badges (``L.divIcon``) or
paths, popups joined from the layer's shared template, a highlight on hover.
Everything reaches the page as JSON written by
:func:`~alatau_geo.maps.elements.script_json`, once
(:class:`~alatau_geo.maps.elements.RenderOnce`).
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium
from folium.template import Template

from alatau_geo.maps.elements import RenderOnce, script_json
from alatau_geo.maps.features import DisplayLayer
from alatau_geo.maps.page_parts import SharedPopup
from alatau_geo.maps.style import LayerStyle

__all__ = ["DENSE_PANE", "StyledGeoJson"]

DENSE_PANE = "ag-dense"
"""The pane of layers drawn on a canvas (thousands of points)."""


class StyledGeoJson(folium.GeoJson, RenderOnce):
    """The map layer of `shown`, drawn with `style`, its popups joined from `shared` in the browser.

    Parameters
    ----------
    shown : DisplayLayer
    style : LayerStyle
    shared : SharedPopup
        The layer's popup template, added to the map before this layer.
    pane : str or None
        The map pane to draw in; None draws with the other vectors.

    Attributes
    ----------
    points : {'badge', 'circle', 'canvas'} or None
        How points are drawn; None for a layer without points.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = agMaps.vectorLayer({{ this.data_json }}, {{ this.styles_json }},
                {{ this.shared.var }}, {{ this.layer_options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, shown: DisplayLayer, style: LayerStyle, *, shared: SharedPopup, pane: str | None = None
                 ) -> None:
        folium.map.Layer.__init__(self, name=escape(shown.title), overlay=True, control=False, show=style.show)
        self._name = "StyledGeoJson"
        self.shown = shown
        self.shared = shared
        self.points = _points(shown, style)
        options: dict[str, Any] = {"interactive": style.interactive, "points": self.points}
        if pane:
            options["pane"] = pane
        if self.points == "canvas":
            options["canvas"] = DENSE_PANE
        if style.interactive:
            options["highlight"] = {"weight": style.weight + 2, "fillOpacity": min(1.0, style.fill_opacity + 0.2)}
        self.options = options
        self.style_table = shown.style_table
        self.data_json = script_json(_compact(shown.data)) if self.points == "canvas" else shown.data_json
        self.styles_json = script_json(list(shown.style_table))
        self.layer_options_json = script_json(options)

    @property
    def data(self) -> dict[str, Any]:
        """The features (the search box checks them); parsed only when read."""
        return self.shown.data

    def render(self, **kwargs: object) -> None:
        """Render once (see :class:`~alatau_geo.maps.elements.RenderOnce`), without folium's style mapping."""
        folium.map.Layer.render(self, **kwargs)  # adds the layer to its parent if shown, then renders once

    def _get_self_bounds(self) -> list[list[float | None]]:
        return [[None, None], [None, None]]


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """A point layer's features as three parallel lists (ids, coordinates, properties): half the bytes.

    The runtime rebuilds the GeoJSON features in the browser. Only for layers
    whose features are all single points.
    """
    features = data["features"]
    if not all(feature["geometry"]["type"] == "Point" for feature in features):
        return data
    return {
        "ids": [feature["id"] for feature in features],
        "xy": [list(feature["geometry"]["coordinates"]) for feature in features],
        "properties": [feature["properties"] for feature in features],
    }


def _points(shown: DisplayLayer, style: LayerStyle) -> str | None:
    if not {"Point", "MultiPoint"} & set(shown.geometry_types):
        return None
    if style.badge_shape:
        return "badge"
    return "canvas" if style.canvas else "circle"
