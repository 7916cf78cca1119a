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
"""

from __future__ import annotations

from collections.abc import Iterator

import folium
from branca.element import Element, Figure, MacroElement
from folium import plugins
from folium.map import CustomPane, FitBounds
from folium.raster_layers import ImageOverlay

__all__ = [
    "DataGeoJson",
    "RenderOnce",
    "RenderedText",
    "template_reparsing_elements",
]

# folium elements whose page output is built only from the toolkit's own
# constants, numbers and escaped style values, never from data: the second
# template pass over them is harmless.
_DATA_FREE = (
    folium.Map,
    folium.TileLayer,
    CustomPane,
    FitBounds,
    ImageOverlay,
    plugins.Fullscreen,
    plugins.MeasureControl,
    plugins.MarkerCluster,
    plugins.MiniMap,
)


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
                getattr(figure, part).add_child(RenderedText(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class DataGeoJson(folium.GeoJson, RenderOnce):
    """folium's ``GeoJson`` layer, its features (names, ids, popups) written to the page once, as JSON.

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
