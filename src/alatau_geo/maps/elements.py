"""Page elements that put data into a map page as data, never as template source.

branca renders a ``MacroElement`` in two passes: its macros are rendered
with the element's attributes, and the *output* is wrapped in a new
``branca.element.Element``, whose constructor parses it as a Jinja template
that the page renders again. Any ``{{ … }}``, ``{% … %}`` or ``{# …`` inside
the data (a place name, a project's company, a plan's role, a property of a
user's layer) is then evaluated as Jinja, which can run Python (the
``lipsum.__globals__`` route) or abort rendering. JSON escaping does not
help: ``tojson`` leaves braces and ``%`` as they are.

The fix here is structural. :class:`RenderOnce` renders the macros once and
hands their output to the page as :class:`RenderedText`, which is written
out as it is. Every element of the toolkit that carries data derives from
it, and :class:`DataGeoJson` does the same for folium's ``GeoJson``.
:func:`template_reparsing_elements` lists the elements of a map that would
still go through the second pass, so :func:`alatau_geo.maps.render_html`
refuses a page that carries such an element.

branca names every element with a random id, so two renders of the same
map would differ in every variable name; :func:`assign_stable_ids` replaces
them, before rendering, with ids derived from each element's kind, its
layer name and its place among equals, so identical input gives a
byte-identical page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium import plugins
from folium.map import CustomPane, FitBounds
from folium.raster_layers import ImageOverlay

__all__ = [
    "Cluster",
    "DataGeoJson",
    "Fit",
    "Group",
    "Overlay",
    "Pane",
    "RenderOnce",
    "RenderedText",
    "Tiles",
    "assign_stable_ids",
    "open_on",
    "script_json",
    "template_reparsing_elements",
]

# folium elements whose page output is built only from the toolkit's own
# constants, numbers and escaped style values, never from data: the second
# template pass over them is harmless.
_DATA_FREE = (
    folium.Map,
    folium.FeatureGroup,
    folium.TileLayer,
    CustomPane,
    FitBounds,
    ImageOverlay,
    plugins.Fullscreen,
    plugins.MeasureControl,
    plugins.MarkerCluster,
    plugins.MiniMap,
)


def open_on(m: folium.Map, south: float, west: float, north: float, east: float) -> None:
    """Open `m` on the box at once: no zoom animation from the map's starting view (WGS84 degrees)."""
    fit = Fit([[south, west], [north, east]])
    fit.options["animate"] = False
    fit.add_to(m)


class RenderedText(Element):
    """Markup that is already rendered: written to the page as it is, never parsed as a template.

    Parameters
    ----------
    text : str
        The finished markup or script.

    Examples
    --------
    >>> RenderedText("{{ 7*7 }}").render()
    '{{ 7*7 }}'
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RenderedText"
        self.text = text

    def render(self, **kwargs: object) -> str:
        """The text, unchanged."""
        return self.text


class RenderOnce(MacroElement):
    """A ``MacroElement`` whose macros are rendered once, their output added to the page as text.

    Replaces ``MacroElement.render`` for every subclass, also when it comes
    after a folium class in the bases (``class X(folium.GeoJson, RenderOnce)``):
    folium's own ``render`` methods do their work and call ``super().render``,
    which then lands here instead of in branca's two-pass version.
    """

    def render(self, **kwargs: object) -> None:
        """Add the rendered ``header``, ``html`` and ``script`` macros to the page, then render the children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} can only be rendered inside a branca Figure")
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(RenderedText(self._render_macro(macro, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)

    def _render_macro(self, macro: Any, kwargs: dict) -> str:
        """The output of one macro (subclasses may write their data their own way)."""
        return str(macro(self, kwargs))


# folium's data-free elements as the toolkit adds them: rendered once too.
# branca would otherwise compile each rendered macro as a new Jinja template
# (harmless for these, but about a tenth of a page's rendering time).


class Pane(CustomPane, RenderOnce):
    """folium's ``CustomPane``, rendered once."""


class Group(folium.FeatureGroup, RenderOnce):
    """folium's ``FeatureGroup``, rendered once."""


class Tiles(folium.TileLayer, RenderOnce):
    """folium's ``TileLayer``, rendered once."""


class Overlay(ImageOverlay, RenderOnce):
    """folium's ``ImageOverlay``, rendered once."""


class Cluster(plugins.MarkerCluster, RenderOnce):
    """folium's ``MarkerCluster``, rendered once."""


class Fit(FitBounds, RenderOnce):
    """folium's ``FitBounds``, rendered once."""


class DataGeoJson(folium.GeoJson, RenderOnce):
    r"""folium's ``GeoJson`` layer, its features (names, ids, popups) written to the page once, as JSON.

    The features are written by :func:`script_json` rather than folium's
    ``tojson`` filter: the same escaping of ``<``, ``>`` and ``&``, but
    Kazakh and Russian text as UTF-8 instead of six-byte ``\\u`` escapes,
    which keeps the pages a third smaller.

    Examples
    --------
    >>> m = folium.Map(location=(43.5, 77.0), zoom_start=9)
    >>> feature = {"type": "Feature", "id": "a", "properties": {"name": "{{ range(3) | list }}"},
    ...            "geometry": {"type": "Point", "coordinates": [77.0, 43.5]}}
    >>> _ = DataGeoJson({"type": "FeatureCollection", "features": [feature]}).add_to(m)
    >>> html = m.get_root().render()
    >>> "{{ range(3) | list }}" in html, "[0, 1, 2]" in html
    (True, False)
    """

    _DATA_SLOT = "alatau-geo: the features of this layer"

    def _render_macro(self, macro: Any, kwargs: dict) -> str:
        data = self.data
        self.data = self._DATA_SLOT
        try:
            text = str(macro(self, kwargs))
        finally:
            self.data = data
        slot = json.dumps(self._DATA_SLOT)
        if text.count(slot) > 1:
            raise ValueError("DataGeoJson: the layer's template writes its data more than once")
        return text.replace(slot, script_json(data), 1)


def template_reparsing_elements(root: Element) -> Iterator[Element]:
    """Elements under `root` whose output branca would parse as a template a second time.

    That is every ``MacroElement`` that is neither a :class:`RenderOnce` nor
    one of folium's data-free elements; a page holding one could evaluate
    braces in its data.

    Parameters
    ----------
    root : branca.element.Element
        A map or its figure.

    Yields
    ------
    branca.element.Element
    """
    stack = [root]
    while stack:
        element = stack.pop()
        if isinstance(element, MacroElement) and not isinstance(element, (RenderOnce, *_DATA_FREE)):
            yield element
        stack.extend(element._children.values())


def _walk(root: Element) -> Iterator[Element]:
    """`root` and every element under it, depth first, children in the order they were added."""
    stack = [root]
    while stack:
        element = stack.pop()
        yield element
        stack.extend(reversed(list(element._children.values())))


def assign_stable_ids(root: Element) -> None:
    """Give every element under `root` an id derived from its content instead of branca's random one.

    The id is a short hash of the element's class and layer name (for layers)
    or ``_name``; elements that share both are numbered in tree order. Run
    it on a map's figure just before rendering: names are only read when the
    page is rendered, so every reference between elements stays consistent.

    Parameters
    ----------
    root : branca.element.Element
        A map's figure (``m.get_root()``).

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> assign_stable_ids(m.get_root())
    >>> first = m.get_name()
    >>> m2 = folium.Map(tiles=None)
    >>> assign_stable_ids(m2.get_root())
    >>> m2.get_name() == first
    True
    """
    seen: dict[str, int] = {}
    for element in _walk(root):
        label = getattr(element, "layer_name", None) or element._name
        digest = hashlib.sha256(f"{type(element).__name__}|{label}".encode()).hexdigest()[:10]
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        element._id = digest if count == 0 else f"{digest}_{count}"


def script_json(value: Any) -> str:
    r"""`value` as JSON that is safe inside a ``<script>`` element; keys sorted, so the text is stable.

    ``<``, ``>`` and ``&`` (found only inside strings) are written as JSON
    unicode escapes, so nothing in the data can close the element. The text
    must reach the page as :class:`RenderedText`, never through a template.

    Examples
    --------
    >>> print(script_json({"name": "</script>"}))
    {"name": "\u003c/script\u003e"}
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text
