"""Page parts some layers need: hatch patterns, translucent panes, shared popup templates, and the stylesheet.

Each is a :class:`~alatau_geo.maps.elements.RenderOnce` element: what it
writes into the page is rendered once and never parsed as a template again.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from folium.map import CustomPane
from folium.template import Template

from alatau_geo.maps.elements import RenderOnce
from alatau_geo.maps.popups import PopupTemplate
from alatau_geo.maps.style import hatch_id

__all__ = ["HatchPatterns", "MapStylesheet", "SharedPopup", "TranslucentPane"]


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
    it (see :meth:`binding`). The parts are already escaped
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
