"""The siting map: recommended sites against the planned objects, catchments coloured by load.

What is drawn, bottom to top:

- ``siting_catchments``: the demand blocks each recommended site serves,
  one map layer per facility kind (the first kind on when the map opens),
  coloured by the catchment's load as a share of one facility's firm
  capacity (up to 50 %, 50-80 %, 80-100 %, over 100 %);
- ``siting_moves``: a dashed line from each planned object to the
  recommended site it stands for, with the distance in its popup;
- ``infrastructure``: the catalogue's planned objects, as on the
  infrastructure map (round badges; a dashed rim for an existing object);
- ``siting_recommended``: the recommended sites as square badges in the
  kind's colour, one map layer per kind, with load, share of capacity and
  travel in their popups;
- to orient a reader: district outlines, the city boundary, the reservoir,
  rivers, corridors and places.

The map computes nothing: it draws the layers of
:func:`alatau_geo.analysis.siting_layers.siting_layers`. Every popup and
name goes through :mod:`alatau_geo.maps.features` and
:mod:`alatau_geo.maps.popups`, which escape it, and every data element of
the page derives from :class:`~alatau_geo.maps.elements.RenderOnce`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import folium

from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.classification import Category, Split, ValueClasses
from alatau_geo.maps.layer_styles import CONTEXT_STYLES, KIND_COLORS
from alatau_geo.maps.page import DOWNLOAD_TEMPLATE, Page, draw_page
from alatau_geo.maps.rasters import ReliefImages
from alatau_geo.maps.style import LayerStyle, badges

__all__ = ["LOAD_SHARE_BREAKS", "SITING_DOWNLOAD_TEMPLATE", "SITING_MAP_LAYERS", "SITING_STYLES", "siting_map"]

GROUP_SITING = "Siting (recommended)"
GROUP_CATCHMENTS = "Catchments of the recommended sites"
LOAD_SHARE_BREAKS = (0.5, 0.8, 1.0)
"""A catchment's load as a share of one facility's firm capacity: the class limits."""
SITING_LAYERS = ("siting_catchments", "siting_moves", "siting_recommended")
SITING_DOWNLOAD_TEMPLATE = "../layers/siting/{name}.geojson"
"""Where a map in ``maps/`` finds the siting layers (``layers/siting/``)."""
SITING_MAP_LAYERS = ("reservoir", "rivers", "corridors", "places", "districts", "city_boundary", "infrastructure",
                     *SITING_LAYERS)
"""The layers the siting map shows, those present."""

_KINDS = Split("kind", labels=(("substation", "Substations"), ("water_intake", "Water intakes"),
                               ("wastewater_plant", "Wastewater treatment plants")), shown=("substation",))
_BADGES = (("substation", "SS"), ("water_intake", "WI"), ("wastewater_plant", "WW"))
_SITE_POPUP = ("kind", "site", "role", "district", "facilities", "load", "load_unit", "load_share", "mean_cost",
               "max_cost", "cost_unit", "planned_match", "moved_m", "status")
SITING_STYLES: Mapping[str, LayerStyle] = MappingProxyType({
    **CONTEXT_STYLES,
    "siting_catchments": LayerStyle(
        group=GROUP_CATCHMENTS, color="#4d4d4d", fill_color="#bdbdbd", fill_opacity=0.55, weight=0.8, order=14,
        simplify_m=20.0, legend_title="Catchment", split=_KINDS,
        classes=ValueClasses("load_share", breaks=LOAD_SHARE_BREAKS,
                             colors=("#1a9850", "#fee08b", "#fc8d59", "#d73027"),
                             labels=("load up to 50 % of one facility's firm capacity", "50-80 %", "80-100 %",
                                     "over 100 %: more than one facility can carry"),
                             missing_label="No load"),
        popup_columns=("kind", "site", "district", "load", "load_unit", "capacity", "load_share", "residents",
                       "jobs", "demand_blocks", "area_ha", "mean_cost", "max_cost", "cost_unit"),
        legend_note="Catchment: the demand blocks nearest (over the road network) to each recommended site, "
        "coloured by their load as a share of the firm capacity of one facility of the kind.",
    ),
    "siting_moves": LayerStyle(
        group=GROUP_SITING, color="#252525", weight=2.0, dash_array="6 5", order=40, simplify_m=0.0,
        legend_title="Planned object to recommended site", split=_KINDS,
        popup_columns=("kind", "planned", "site", "moved_m"),
    ),
    "siting_recommended": badges(
        GROUP_SITING, "square", "+", order=48, legend_title="Recommended site", category_column="kind",
        categories=tuple(Category(kind, f"{label} (square)", KIND_COLORS[kind], badge=badge)
                         for (kind, label), (_, badge) in zip(_KINDS.labels, _BADGES, strict=True)),
        flag_column="role", flag_values=("fixed",), flag_label="Existing object kept (dashed rim)",
        split=_KINDS, popup_columns=_SITE_POPUP,
        legend_note="Recommended sites (square badges): the p-median for as many facilities as the demand needs, "
        "and never fewer than the catalogue has; the catalogue's planned objects are the round badges.",
    ),
})
"""Styles of the siting map's layers (the analysis maps' context styles for the district outlines)."""


def siting_map(
    layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
    title: str = "Alatau City: recommended facility sites and their catchments",
    download_template: str = DOWNLOAD_TEMPLATE, siting_download_template: str = SITING_DOWNLOAD_TEMPLATE,
) -> folium.Map:
    """The siting map (see the module notes).

    Parameters
    ----------
    layers : LayerSet
        Must hold ``siting_recommended``; the layers of
        :data:`SITING_MAP_LAYERS` present are shown.
    relief : ReliefImages or None
        The DEM's images (:func:`alatau_geo.maps.relief_images`); None leaves the relief out.
    offline, language, title, download_template
        As in :func:`alatau_geo.maps.overview_map`.
    siting_download_template : str
        The same for the siting layers, which live in a folder of their own.

    Returns
    -------
    folium.Map
        Opening on the city and the recommended sites; render it with :func:`alatau_geo.maps.render_html`.

    Raises
    ------
    LayerError
        If `layers` has no ``siting_recommended`` layer.
    """
    page = Page(SITING_MAP_LAYERS, fit_to=("city_boundary", "siting_recommended"), styles=SITING_STYLES,
                needs=("siting_recommended",),
                missing="siting map: the layers have no 'siting_recommended' layer; run alatau-geo site first",
                elsewhere=dict.fromkeys(SITING_LAYERS, siting_download_template))
    return draw_page(layers, page, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template)
