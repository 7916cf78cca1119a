"""Thematic maps: residents and jobs by phase, and the Almaty mountain cluster with its air corridors.

Both are pages like the other maps (:mod:`.page`): base maps and relief,
the vector layers styled from the registry (:mod:`.layer_styles`, entries
in :mod:`.thematic_styles`) and the controls. Nothing here computes or
writes anything.
"""

from __future__ import annotations

import folium

from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.features import Display, display_layer
from alatau_geo.maps.page import DOWNLOAD_TEMPLATE, Page, draw_page
from alatau_geo.maps.rasters import ReliefImages

__all__ = [
    "MOUNTAIN_MAP_LAYERS",
    "POPULATION_MAP_LAYERS",
    "mountain_map",
    "population_map",
]

# What the population map shows: the choropleth and district figures, and what orients a reader.
POPULATION_ANALYSIS_LAYERS = ("population_blocks", "population_districts")
POPULATION_MAP_LAYERS = ("reservoir", "rivers", "corridors", "places", "city_boundary", "projects",
                         *POPULATION_ANALYSIS_LAYERS)
# What the mountain map shows, bottom to top by style order.
MOUNTAIN_ANALYSIS_LAYERS = ("mountain_ski_terrain", "mountain_lift_lines", "air_corridors")
MOUNTAIN_MAP_LAYERS = ("almaty_extent", "mountain_ski_terrain", "air_corridors", "air_corridor_meets",
                       "air_corridor_streams", "mountain_lift_lines", "mountain_stations")
_POPULATION = Page(
    POPULATION_MAP_LAYERS, fit_to=("city_boundary", *POPULATION_ANALYSIS_LAYERS), needs=POPULATION_ANALYSIS_LAYERS,
    missing="population map: the layers have no 'population_blocks' or 'population_districts'; "
    "build the layers first (alatau-geo build)",
)
_MOUNTAIN = Page(
    MOUNTAIN_MAP_LAYERS, fit_to=("mountain_ski_terrain", "mountain_lift_lines", "air_corridors", "almaty_extent"),
    needs=MOUNTAIN_ANALYSIS_LAYERS,
    missing=f"mountain map: the layers have none of {', '.join(MOUNTAIN_ANALYSIS_LAYERS)}; "
    "build the layers from the SRTM tiles first (alatau-geo build --dem-dir DIR)",
)


def population_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                   title: str = "Alatau City: residents and jobs by phase",
                   download_template: str = DOWNLOAD_TEMPLATE,
                   display: Display = display_layer) -> folium.Map:
    """The population-and-jobs map: residents per ha by phase, with each district's figures.

    What is drawn:

    - ``population_blocks``: a choropleth of residents per ha of 1 km block
      (under 1, 1–10, 10–20, 20–40, 40–60, over 60), one map layer per phase
      year (2030, 2040, 2050; the target year on when the map opens); each
      block's popup gives its residents and jobs;
    - ``population_districts``: district outlines per phase year; the popup
      of an outline gives the district's residents and jobs beside its
      targets and the capacity of its land, and its status (fits or short);
    - to orient a reader: the city boundary, reservoir, rivers, corridors,
      places and the investment projects.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``population_blocks`` or ``population_districts``; the
        layers of :data:`POPULATION_MAP_LAYERS` present are shown.
    relief : ReliefImages or None
        The working-grid DEM's images (:func:`alatau_geo.maps.relief_images`); None leaves the relief out.
    offline, language, title, download_template, display
        As in :func:`alatau_geo.maps.overview_map`.

    Returns
    -------
    folium.Map
        Opening on the city and its population layers.

    Raises
    ------
    LayerError
        If `layers` has no population layer.
    """
    return draw_page(layers, _POPULATION, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)


def mountain_map(layers: LayerSet, *, relief: ReliefImages | None, offline: bool, language: str = "en",
                 title: str = "Almaty mountain cluster: terrain, lifts and air corridors",
                 download_template: str = DOWNLOAD_TEMPLATE,
                 display: Display = display_layer) -> folium.Map:
    """The mountain-cluster terrain map: ski slope classes, candidate lift lines with profiles, air corridors.

    What is drawn:

    - ``mountain_ski_terrain``: slope classes of the study window around
      Medeu, Shymbulak and Oi-Karagai (beginner green, intermediate blue,
      expert black, avalanche-prone red);
    - ``mountain_lift_lines``: the candidate straight lift lines; a popup
      gives length, drop, steepest section and a small elevation-profile
      chart; a line crossing a ridge above its upper station is dashed;
    - ``mountain_stations``: Medeu and the resorts (searchable);
    - ``air_corridors``, ``air_corridor_streams``, ``air_corridor_meets``
      and ``almaty_extent``: Almaty's candidate green and air corridors,
      their main streams, where they meet steep or upper city, and the
      approximate city extent they are measured against.

    Parameters
    ----------
    layers : LayerSet
        Must hold one of ``mountain_ski_terrain``, ``mountain_lift_lines``,
        ``air_corridors``; the layers of :data:`MOUNTAIN_MAP_LAYERS` present are shown.
    relief : ReliefImages or None
        The images of the cluster's window DEM (``layers/mountain_dem.tif``);
        None leaves the relief out.
    offline, language, title, download_template, display
        As in :func:`alatau_geo.maps.overview_map`.

    Returns
    -------
    folium.Map
        Opening on the cluster's slopes, lifts and corridors and on Almaty's extent.

    Raises
    ------
    LayerError
        If `layers` has none of the mountain layers (built from the SRTM tiles, with ``--dem-dir``).
    """
    return draw_page(layers, _MOUNTAIN, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, display=display)
