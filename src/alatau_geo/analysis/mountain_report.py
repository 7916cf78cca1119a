"""The mountain-cluster report from the built layers and the cluster's window DEM.

``alatau-geo report mountain`` and ``ag.mountain_cluster`` read what a build
from the tiles left: the mountain layers (stations, lift lines, corridors,
the Almaty extent) and the study window's DEM written beside them. From the
DEM the terrain classes and the capacity check are recomputed with the
plan's current ``[mountain]`` parameters (both take well under a second), so
a planner can change the run width or the lift capacity without the tiles.
The corridors and lift lines are taken from their layers: rebuilding them
needs the tiles.

Every table carries the basis of its figures; :data:`LAND_COVER_LIMITS`
says plainly what the terrain alone cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alatau_geo.analysis.air_corridors import LAND_COVER_LIMITS, corridor_summary
from alatau_geo.analysis.mountain import classify_terrain
from alatau_geo.analysis.ski_capacity import capacity_check, suitable_terrain
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import MountainParams

__all__ = ["LAND_COVER_LIMITS", "MOUNTAIN_REPORT_LAYERS", "MountainReport", "mountain_report"]

MOUNTAIN_REPORT_LAYERS = ("mountain_stations", "mountain_lift_lines", "almaty_extent", "air_corridors")
"""Layers the report reads."""
LIFT_COLUMNS = ("from_id", "to_id", "horizontal_length_m", "vertical_drop_m", "chord_length_m", "mean_gradient_pct",
                "steepest_section_deg", "highest_m", "ridge_above_upper_station_m", "crosses_ridge", "basis")
CORRIDOR_COLUMNS = ("name_en", "river_ids", "area_ha", "area_in_city_ha", "area_in_city_steep_ha",
                    "area_in_city_upper_ha", "basis")


@dataclass(frozen=True)
class MountainReport:
    """Every table of the mountain-cluster report.

    Attributes
    ----------
    stations : DataFrame
        Index ``id``: ``name_en``, ``kind``, ``dem_elevation_m`` (derived),
        ``published_elevation_m``, ``position_quality``.
    classes : DataFrame
        Terrain classes of the study window: ``layer``, ``class``,
        ``definition``, ``area_ha``, ``share_pct``, ``basis``, ``source``.
    lifts : DataFrame
        Index lift line ``id``: :data:`LIFT_COLUMNS` (metres, percent, degrees).
    capacity : DataFrame
        The capacity check against 250 km of runs and 40,000 visitors a day:
        ``quantity``, ``value``, ``unit``, ``basis``, ``source``.
    corridors : DataFrame
        Index corridor ``id``: :data:`CORRIDOR_COLUMNS` (ha).
    corridor_summary : DataFrame
        The corridors against the 3,800 ha green target (tidy rows as ``capacity``).
    limits : tuple of str
        What cannot be said without land-cover data, and what can.
    """

    stations: pd.DataFrame
    classes: pd.DataFrame
    lifts: pd.DataFrame
    capacity: pd.DataFrame
    corridors: pd.DataFrame
    corridor_summary: pd.DataFrame
    limits: tuple[str, ...] = LAND_COVER_LIMITS


def mountain_report(layers: LayerSet, dem: Raster, params: MountainParams) -> MountainReport:
    """The report tables of the mountain cluster and Almaty's corridors.

    Parameters
    ----------
    layers : LayerSet
        With :data:`MOUNTAIN_REPORT_LAYERS` (a build from the tiles makes them).
    dem : Raster
        The cluster's study-window DEM, metres, UTM 43N (``layers/mountain_dem.tif``).
    params : MountainParams

    Returns
    -------
    MountainReport

    Raises
    ------
    LayerError
        If a mountain layer is missing.
    """
    missing = [name for name in MOUNTAIN_REPORT_LAYERS if name not in layers]
    if missing:
        raise LayerError(f"no {missing[0]!r} layer: build the layers from the SRTM tiles (alatau-geo build "
                         "--dem-dir DIR) to make the mountain-cluster layers")
    terrain = classify_terrain(dem, params.terrain)
    cap = params.capacity
    suitable = suitable_terrain(dem, terrain.slope, slope_range_deg=cap.run_slope_deg,
                                elevation_range_m=cap.run_elevation_m, min_patch_ha=cap.min_patch_ha)
    stations = layers["mountain_stations"].frame.set_index("id")
    lines = layers["mountain_lift_lines"].frame.set_index("id")
    corridors = layers["air_corridors"].frame
    city = layers["almaty_extent"].frame
    station_columns = ["name_en", "kind", "dem_elevation_m", "published_elevation_m", "position_quality"]
    return MountainReport(
        stations=pd.DataFrame(stations[[c for c in station_columns if c in stations.columns]]),
        classes=terrain.table.reset_index(drop=True),
        lifts=pd.DataFrame(lines[[c for c in LIFT_COLUMNS if c in lines.columns]]),
        capacity=capacity_check(suitable, cap),
        corridors=pd.DataFrame(corridors.set_index("id")[[c for c in CORRIDOR_COLUMNS if c in corridors.columns]]),
        corridor_summary=corridor_summary(corridors, city, params.corridors),
    )
