"""What every map page is made of: the canvas, base maps and relief, image overlays, vector layers and controls.

A page is described by a :class:`Page` (the layers it shows, the view it
opens on, the styles that replace the registry's there, where it links
layers kept in another folder) and drawn by :func:`draw_page`. The maps of
:mod:`.compose`, :mod:`.thematic`, :mod:`.siting` and :mod:`.suitability`
are pages; the terrain and suitability maps add raster :class:`Overlays`
beneath their vectors. Nothing here computes or writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import folium

from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.basemaps import RELIEF_TITLE, add_base_maps, new_map, relief_section
from alatau_geo.maps.controls import add_controls
from alatau_geo.maps.features import Display, display_layer
from alatau_geo.maps.i18n import check_language
from alatau_geo.maps.labels import LABELLED_LAYERS, MapLabels, layer_labels
from alatau_geo.maps.layer_styles import GROUP_TERRAIN
from alatau_geo.maps.legend import LegendSection, download_href
from alatau_geo.maps.rasters import ReliefImages
from alatau_geo.maps.style import LayerStyle
from alatau_geo.maps.vectors import VectorLayers, add_vectors

__all__ = ["DOWNLOAD_TEMPLATE", "NO_OVERLAYS", "Overlays", "Page", "draw_page", "map_labels"]

# Maps are written to <build>/maps/ and layers to <build>/layers/.
DOWNLOAD_TEMPLATE = "../layers/{name}.geojson"


@dataclass(frozen=True)
class Page:
    """What a map page shows of the layers it is given.

    Parameters
    ----------
    shows : tuple of str or None
        The layers the page shows, those present; None shows every layer given.
    fit_to : tuple of str
        The layers the page opens on (see :func:`~alatau_geo.maps.controls.add_controls`).
    styles : Mapping of str to LayerStyle
        Styles that replace the registry's on this page, by layer name.
    needs : tuple of str
        The page is drawn only if the layers hold one of these, else :class:`LayerError`
        with `missing` (which names them and says how to build them).
    missing : str
        The error's message.
    elsewhere : Mapping of str to str
        Download templates of layers written in another folder than the others, by layer name.
    """

    shows: tuple[str, ...] | None = None
    fit_to: tuple[str, ...] = ("study_area",)
    styles: Mapping[str, LayerStyle] = field(default_factory=lambda: MappingProxyType({}))
    needs: tuple[str, ...] = ()
    missing: str = ""
    elsewhere: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def shown(self, layers: LayerSet) -> LayerSet:
        """The layers of `layers` the page shows, in the page's order; :class:`LayerError` if it needs one absent."""
        if self.needs and not any(name in layers for name in self.needs):
            raise LayerError(self.missing)
        if self.shows is None:
            return layers
        return LayerSet(layers[name] for name in self.shows if name in layers)


@dataclass(frozen=True)
class Overlays:
    """Raster overlays drawn beneath a page's vector layers, with their switcher entries and legend rows.

    Parameters
    ----------
    images : tuple of folium.raster_layers.ImageOverlay
        Added to the map in this order, before the vector layers.
    groups : tuple of (str, tuple of (str, Layer))
        Per layer-switcher group, the names and overlays listed first in it.
    sections : tuple of LegendSection
        Legend sections above the vector layers' (below the relief's).
    legend_layers : Mapping of str to sequence of Layer
        The overlays behind legend rows, by the rows' ``layer`` key.
    """

    images: tuple[folium.raster_layers.ImageOverlay, ...]
    groups: tuple[tuple[str, tuple[tuple[str, folium.map.Layer], ...]], ...]
    sections: tuple[LegendSection, ...]
    legend_layers: Mapping[str, Sequence[folium.map.Layer]]


NO_OVERLAYS = Overlays(images=(), groups=(), sections=(), legend_layers=MappingProxyType({}))
"""A page without raster overlays."""


def map_labels(layers: LayerSet, vectors: VectorLayers) -> MapLabels:
    """The labels of the labelled layers among `layers`, each hiding with its map layer."""
    found = [label for name in layers if name in LABELLED_LAYERS for label in layer_labels(layers[name])]
    owners = {name: parts[0] for name, parts in vectors.by_layer.items() if parts}
    return MapLabels(found, owners=owners)


def _move_downloads(vectors: VectorLayers, page: Page, *, download_template: str) -> None:
    """Link the layers the page keeps elsewhere to their own folder."""
    moved = {download_href(name, template=download_template): download_href(name, template=template)
             for name, template in page.elsewhere.items()}
    vectors.downloads[:] = [replace(link, href=moved.get(link.href, link.href)) for link in vectors.downloads]


def draw_page(  # noqa: PLR0913
    layers: LayerSet,
    page: Page,
    *,
    relief: ReliefImages | None,
    offline: bool,
    language: str,
    title: str,
    download_template: str,
    overlays: Overlays = NO_OVERLAYS,
    display: Display = display_layer,
) -> folium.Map:
    """The layers `page` shows over the relief, base maps and `overlays`, with labels, legend and tools.

    Parameters
    ----------
    layers : LayerSet
        The built layers; `page` picks those it shows.
    page : Page
    relief : ReliefImages or None
        The DEM's display images; None leaves the relief out.
    offline, language, title, download_template
        As in :func:`alatau_geo.maps.overview_map`.
    overlays : Overlays
        Raster overlays beneath the vector layers; none by default.
    display : callable, optional
        Makes each layer's display copy (:func:`~alatau_geo.maps.features.display_layer`, or a memo of it).

    Returns
    -------
    folium.Map
        Opening on the page's `fit_to` layers where they have features.

    Raises
    ------
    LayerError
        If `page` needs a layer that `layers` lacks.
    """
    shown = page.shown(layers)
    check_language(language)
    m = new_map(offline=offline, title=title)
    base_maps = add_base_maps(m, offline=offline, relief=relief.hillshade if relief is not None else None)
    for image in overlays.images:
        image.add_to(m)
    vectors = add_vectors(m, (shown[name] for name in shown), download_template=download_template,
                          styles=page.styles, display=display)
    _move_downloads(vectors, page, download_template=download_template)
    for group, members in overlays.groups:
        vectors.groups[group] = [*members, *vectors.groups.get(group, [])]
    sections = list(overlays.sections)
    if base_maps.relief is not None:
        vectors.groups.setdefault(GROUP_TERRAIN, []).insert(0, (RELIEF_TITLE, base_maps.relief))
        sections.insert(0, relief_section())
    vectors.sections[:0] = sections
    add_controls(m, vectors, base_maps, language=language, fit_to=page.fit_to, labels=map_labels(shown, vectors),
                 legend_layers=overlays.legend_layers)
    return m
