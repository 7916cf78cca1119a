"""The mountain step of a build: the Almaty mountain cluster and Almaty's air corridors from the SRTM mosaic.

The cluster's study window (around Medeu, Shymbulak and Oi-Karagai) and the
corridors' routing window lie south of the plain's study area, so this step
reads the void-filled WGS84 mosaic of all tiles, not the plain's working
grid. It runs when the tiles cover both windows; the window DEM is written
beside the layers (:data:`MOUNTAIN_DEM`) so the capacity check can be
recomputed without the tiles (``alatau-geo report mountain``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import rasterio.warp

from alatau_geo.analysis import air_corridors, mountain
from alatau_geo.analysis.layer_names import MOUNTAIN_LAYERS
from alatau_geo.analysis.mountain_layers import mountain_layers, ski_terrain_layer
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import DemError
from alatau_geo.core.layers import Layer
from alatau_geo.core.raster import Raster
from alatau_geo.jobs.build import MOUNTAIN_DEM
from alatau_geo.plan.config import Plan
from alatau_geo.reference import gazetteer, terrain

logger = logging.getLogger(__name__)

__all__ = ["MOUNTAIN_DEM", "MOUNTAIN_LAYERS", "MountainBuild", "build_mountain", "mountain_from_tiles"]


@dataclass(frozen=True)
class MountainBuild:
    """The mountain layers, the window DEM they were measured on, and notes for the build's summary."""

    layers: tuple[Layer, ...]
    dem: Raster
    notes: tuple[str, ...]


def _window_wgs84(places: gpd.GeoDataFrame, plan: Plan) -> tuple[float, float, float, float]:
    bounds = mountain.study_window(mountain.stations(places), buffer_m=plan.mountain.terrain.window_buffer_m)
    return rasterio.warp.transform_bounds(WORKING_CRS, "EPSG:4326", *bounds, densify_pts=21)


def _inside(inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def build_mountain(filled: Raster, plan: Plan, *, river_names: pd.DataFrame) -> MountainBuild | None:
    """The mountain-cluster and air-corridor layers from the void-filled WGS84 mosaic.

    Parameters
    ----------
    filled : Raster
        Void-filled SRTM mosaic of the plan's tiles, WGS84.
    plan : Plan
        Its ``mountain`` section and ``tables.mountain_places``.
    river_names : DataFrame
        The checked river-name table (names the corridors).

    Returns
    -------
    MountainBuild or None
        None when the tiles do not cover the cluster's window and the
        corridors' routing window (the reason is logged).
    """
    table = mountain.read_mountain_places(plan.tables.mountain_places)
    source = (str(plan.tables.mountain_places) if plan.tables.mountain_places
              else "alatau_geo/data/mountain_places.csv (shipped table)")
    places = mountain.mountain_places(table)
    params = plan.mountain
    for what, bounds in (("the mountain cluster's study window", _window_wgs84(places, plan)),
                         ("mountain.corridors.routing_bounds", params.corridors.routing_bounds)):
        if not _inside(bounds, filled.bounds):
            logger.warning("the SRTM tiles do not cover %s %s: no mountain layers", what,
                           [round(v, 3) for v in bounds])
            return None
    cluster = mountain.analyse_cluster(filled, places, params)
    city = air_corridors.city_extent(filled, params.corridors)
    points = air_corridors.named_river_points(places, river_names)
    corridors = air_corridors.air_corridors(filled, city, params.corridors, river_points=points)
    layers = [*mountain_layers(cluster, corridors, city, params=params, places_source=source),
              ski_terrain_layer(cluster, params=params)]
    capacity = cluster.capacity.set_index("quantity")["value"]
    inside = corridors.summary.set_index("quantity")["value"]
    notes = (
        f"Mountain cluster: {len(cluster.lines)} candidate lift lines; terrain allows about "
        f"{capacity['run length the terrain allows']:,.0f} km of runs (published: "
        f"{capacity['ski runs, published']:,.0f} km)",
        f"Almaty air corridors: {len(corridors.frame)} valleys, "
        f"{inside.get('corridor valley floor inside Almaty', float('nan')):,.0f} ha of valley floor inside the "
        f"city (green target {params.corridors.green_target_ha:,.0f} ha)",
    )
    return MountainBuild(layers=tuple(layers), dem=cluster.terrain.elevation, notes=notes)


def mountain_from_tiles(dem_dir: Path, plan: Plan) -> MountainBuild:
    """The mountain layers computed afresh from the plan's SRTM tiles in `dem_dir` (a few seconds).

    Raises
    ------
    DemError
        If the tiles do not cover the cluster's window and the corridors' routing window.
    """
    raw = terrain.mosaic_srtm(terrain.read_srtm_tiles(Path(dem_dir), plan.terrain.tiles))
    filled, _ = terrain.fill_voids(raw, max_distance_cells=plan.terrain.void_fill_max_distance_cells)
    tables = gazetteer.load_tables(plan.tables, study_area=plan.study_area)
    built = build_mountain(filled, plan, river_names=tables.river_names)
    if built is None:
        raise DemError(f"{dem_dir}: the tiles {', '.join(plan.terrain.tiles)} do not cover the mountain cluster "
                       "and mountain.corridors.routing_bounds; add the tiles that do")
    return built
