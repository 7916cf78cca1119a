"""Page parts: the style sheet and runtime script, hatch patterns, panes, shared popup templates.

Each is a :class:`~alatau_geo.maps.elements.RenderOnce` element: what it
writes into the page is rendered once and never parsed as a template again.
The style sheet and the runtime script are files of this package
(``maps/static/maps.css`` and ``maps/static/runtime.js``); they hold no data.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from html import escape
from importlib import resources

from folium.map import CustomPane
from folium.template import Template

from alatau_geo.core.errors import ExportError
from alatau_geo.maps.elements import RenderOnce, script_json
from alatau_geo.maps.popups import PopupTemplate
from alatau_geo.maps.style import hatch_id

__all__ = ["HatchPatterns", "MapStylesheet", "SharedPopup", "TranslucentPane", "static_text"]


@functools.cache
def static_text(name: str) -> str:
    """A file of ``alatau_geo/maps/static`` (the maps' own CSS and JavaScript), as text.

    Raises
    ------
    ExportError
        If the file is missing (a broken installation) or would end its
        ``<script>``/``<style>`` element early.
    """
    try:
        text = resources.files("alatau_geo.maps").joinpath("static", name).read_text(encoding="utf-8")
    except OSError as error:
        raise ExportError(f"alatau_geo/maps/static/{name} is missing ({error}); reinstall alatau-geo") from None
    if "</script" in text.lower() or "</style" in text.lower():
        raise ExportError(f"alatau_geo/maps/static/{name} contains a closing script/style tag")
    return text


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
    it (see :meth:`binding`). The parts are already escaped markup, written
    as JSON whose ``<``, ``>`` and ``&`` are escaped, so nothing in them can
    end the ``<script>`` element. Its variable is named after its content
    (:attr:`var`), so the layer can refer to it before the page is rendered.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.var }} = {{ this.parts_json }};
        {% endmacro %}
        """
    )

    def __init__(self, template: PopupTemplate) -> None:
        super().__init__()
        self._name = "SharedPopup"
        self.parts = {"layer": template.layer, "title": template.title, "popup": list(template.popup),
                      "tooltip": list(template.tooltip)}
        self.parts_json = script_json(self.parts)
        digest = hashlib.sha256(json.dumps(self.parts, sort_keys=True).encode("utf-8")).hexdigest()[:12]
        self.var = f"ag_popup_{digest}"

    def binding(self) -> str:
        """JavaScript ``onEachFeature`` binding each feature's popup and tooltip, built when first shown."""
        return f"function (feature, layer) {{ agMaps.bindShared(layer, {self.var}, feature.properties); }}"


class MapStylesheet(RenderOnce):
    """The maps' own CSS and runtime script (``maps/static``), inline in the page header."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
            <script>{{ this.script }}</script>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStylesheet"
        self.css = static_text("maps.css")
        self.script = static_text("runtime.js")
