"""Build the reference layers of the Alatau plain from the DEM and the gazetteer.

:func:`build_reference_layers` runs the whole chain on decoded SRTM tiles:
terrain, reservoir, flow routing, streams and named rivers, water protection,
places with their elevation, corridors and the study area. It reads no files
itself: tiles and tables come in as arrays and data frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS, area_ha
from alatau_geo.core.extent import StudyArea
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.progress import no_progress
from alatau_geo.reference import gazetteer, hydrology, water
from alatau_geo.reference.gazetteer import Tables
from alatau_geo.reference.hydrology_params import HydrologyParams
from alatau_geo.reference.terrain import Terrain, TerrainParams, load_terrain
from alatau_geo.reference.water import WaterProtectionParams

logger = logging.getLogger(__name__)

SRTM_SOURCE = "NASA SRTM3 v2.1 tiles {tiles} (3 arc-second, public domain; radar flown 11-22 February 2000)"
SRTM_DATE = "2000-02"
"""When the DEM's water surface was recorded (the Shuttle Radar Topography Mission, February 2000)."""
PUBLISHED_RESERVOIR = {
    "published_area_km2": 1847.0,
    "published_source": "Great Soviet Encyclopedia / dictionary of geographic names: 1,847 km2 (1,850 km2), "
    "28.14 km3 at the design level; the level varies within about 4 m",
}
_NAME_MATCH_DISTANCE_M = 100.0
REFERENCE_STEPS = 5
"""How many times :func:`build_reference_layers` calls its ``on_step``."""
_MIN_STREAM_LENGTH_M = 90.0


@dataclass(frozen=True)
class ReferenceBuild:
    """Result of :func:`build_reference_layers`.

    Attributes
    ----------
    layers : LayerSet
    terrain : Terrain
    figures : dict
        Checkable figures of the build (areas in km2, counts, timings), for reports.
    rivers : list of hydrology.NamedRiver
    flow : hydrology.FlowModel or None
        The D8 flow routing over the void-filled mosaic (for the height above drainage).
    reservoir_mask : numpy.ndarray or None
        The reservoir's cells on the flow grid.
    """

    layers: LayerSet
    terrain: Terrain
    figures: dict[str, Any] = field(default_factory=dict)
    rivers: tuple[hydrology.NamedRiver, ...] = ()
    flow: hydrology.FlowModel | None = None
    reservoir_mask: np.ndarray | None = None


class ReferenceSettings(Protocol):
    """The parts of a plan the reference build reads (a :class:`alatau_geo.plan.config.Plan` has them)."""

    @property
    def source(self) -> str: ...  # noqa: D102

    @property
    def study_area(self) -> StudyArea: ...  # noqa: D102

    @property
    def terrain(self) -> TerrainParams: ...  # noqa: D102

    @property
    def hydrology(self) -> HydrologyParams: ...  # noqa: D102

    @property
    def water_protection(self) -> WaterProtectionParams: ...  # noqa: D102


def study_area_polygon(plan: ReferenceSettings) -> shapely.Polygon:
    """The study area as a polygon in the working CRS (edges densified before projecting)."""
    outline = shapely.segmentize(box(*plan.study_area.bounds), 0.01)
    return gpd.GeoSeries([outline], crs=EXPORT_CRS).to_crs(WORKING_CRS).iloc[0]


def build_reference_layers(tiles: Mapping[str, np.ndarray], tables: Tables, plan: ReferenceSettings, *,
                           on_step: Callable[[str], None] = no_progress) -> ReferenceBuild:
    """Build every reference layer.

    Parameters
    ----------
    tiles : mapping of tile name to int16 samples
        Decoded SRTM3 tiles (see :func:`alatau_geo.reference.terrain.read_srtm_tiles`).
    tables : Tables
        The gazetteer, corridor and river-name tables.
    plan : ReferenceSettings
        The plan (its study area, terrain, hydrology and water protection sections).
    on_step : callable, optional
        Called with a short label as each step starts (for progress display).

    Returns
    -------
    ReferenceBuild
    """
    hp = plan.hydrology
    on_step("terrain: mosaic, void filling, UTM grid, slope")
    srtm = SRTM_SOURCE.format(tiles=", ".join(sorted(tiles)))
    terrain = load_terrain(
        tiles,
        bounds=plan.study_area.bounds,
        resolution_m=plan.terrain.resolution_m,
        void_fill_max_distance_cells=plan.terrain.void_fill_max_distance_cells,
    )
    area = study_area_polygon(plan)
    on_step("reservoir")
    reservoir = hydrology.extract_reservoir(
        terrain.raw,
        surface_m=hp.srtm_surface_m,
        level_m=hp.reservoir_level_m,
        min_island_ha=hp.min_island_ha,
        simplify_tolerance_m=hp.reservoir_simplify_tolerance_m,
        max_area_change_pct=hp.reservoir_max_area_change_pct,
    )
    on_step("flow routing")
    flow = hydrology.route_flow(terrain.filled, lakes=reservoir.mask)
    on_step("streams and named rivers")
    rivers = hydrology.trace_named_rivers(
        flow, tables.river_names, threshold_km2=hp.stream_threshold_km2,
        snap_radius_m=hp.name_snap_radius_m, stop_mask=reservoir.mask,
    )
    segments = hydrology.stream_segments(
        flow, threshold_km2=hp.stream_threshold_km2, simplify_tolerance_m=hp.stream_simplify_tolerance_m
    )
    routing_parameters = {
        "stream_threshold_km2": hp.stream_threshold_km2,
        "stream_simplify_tolerance_m": hp.stream_simplify_tolerance_m,
        "name_snap_radius_m": hp.name_snap_radius_m,
        "void_fill_max_distance_cells": plan.terrain.void_fill_max_distance_cells,
    }
    reservoir_layer = _reservoir_layer(reservoir, area=area, srtm=srtm,
                                       max_change_pct=hp.reservoir_max_area_change_pct,
                                       east_cut_lon=terrain.raw.bounds[2], min_island_ha=hp.min_island_ha)
    rivers_layer = _rivers_layer(rivers, tables, reservoir=reservoir.polygon, area=area, srtm=srtm,
                                 parameters=routing_parameters)
    streams_layer = _streams_layer(segments, rivers_layer.frame, reservoir=reservoir.polygon, area=area,
                                   srtm=srtm, parameters=routing_parameters)
    on_step("water protection, places, corridors")
    zone, strip = water.protection_from_water_layers(reservoir_layer, rivers_layer, plan.water_protection, clip=area)
    places = gazetteer.places_layer(tables.places, source=tables.sources["places"], elevation=terrain.elevation)
    corridors = gazetteer.corridors_layer(tables.corridors, source=tables.sources["corridors"])
    outlines = gazetteer.outlines_layer(tables.outlines, source=tables.sources["outlines"])
    study = Layer(
        name="study_area",
        title="Study area",
        frame=gpd.GeoDataFrame({"id": ["study_area"], "name_en": ["Alatau plain study area"]},
                               geometry=[area], crs=WORKING_CRS),
        provenance=Provenance(source=f"plan {plan.source}", method="bounding box of the plan's study_area",
                              parameters=dict(zip(("west", "south", "east", "north"), plan.study_area.bounds,
                                                  strict=False)),
                              quality="derived"),
    )
    layers = LayerSet([study, reservoir_layer, rivers_layer, streams_layer, zone, strip, places, corridors, outlines])
    figures = {
        "void_cells": terrain.void_cells,
        "unfilled_void_cells": terrain.unfilled_cells,
        "reservoir_level_m": reservoir.level_m,
        "reservoir_srtm_surface_m": reservoir.surface_m,
        "reservoir_surface_area_km2": round(reservoir.surface_area_km2, 3),
        "reservoir_raw_area_km2": round(reservoir.raw_area_km2, 3),
        "reservoir_polygon_area_km2": round(reservoir.area_km2, 3),
        "reservoir_area_change_pct": round(reservoir.area_change_pct, 4),
        "reservoir_islands": reservoir.islands,
        "stream_segments": len(streams_layer.frame),
        "named_rivers": {r.river_id: {"ends_in": r.ends_in, "matched_points": f"{r.matched_points}/{r.total_points}",
                                      "traced_length_km": round(r.geometry.length / 1000, 1)} for r in rivers},
    }
    return ReferenceBuild(layers=layers, terrain=terrain, figures=figures, rivers=tuple(rivers), flow=flow,
                          reservoir_mask=reservoir.mask)


def _reservoir_layer(reservoir: hydrology.Reservoir, *, area: shapely.Polygon, srtm: str, max_change_pct: float,
                     east_cut_lon: float, min_island_ha: float) -> Layer:
    # The DEM reaches half a cell past the study area's edge; the sliver is dropped.
    polygon = hydrology.largest_polygon(shapely.intersection(reservoir.polygon, area))
    frame = gpd.GeoDataFrame({
        "id": ["kapchagay"],
        "name_en": ["Kapchagay reservoir"],
        "name_kk": ["Қапшағай су қоймасы"],
        "name_ru": ["Капшагайское водохранилище"],
        "former_names": ["Капчагайское водохранилище; Kapshagay reservoir"],
        "level_m": [reservoir.level_m],
        "srtm_surface_m": [reservoir.surface_m],
        "srtm_date": [SRTM_DATE],
        "east_cut_lon": [round(east_cut_lon, 4)],
        "area_km2": [round(reservoir.area_km2, 3)],
        "raw_area_km2": [round(reservoir.raw_area_km2, 3)],
        "srtm_surface_area_km2": [round(reservoir.surface_area_km2, 3)],
        "islands": [len(polygon.interiors)],
        **{key: [value] for key, value in PUBLISHED_RESERVOIR.items()},
    }, geometry=[polygon], crs=WORKING_CRS)
    frame["area_km2"] = (area_ha(frame) / 100).round(3)
    return Layer(
        name="reservoir",
        title=f"Kapchagay reservoir at {reservoir.level_m:g} m (DEM of Feb 2000; the part west of 78°E)",
        frame=frame,
        provenance=Provenance(
            source=srtm,
            method="the flat SRTM water surface (largest 4-connected region of cells at srtm_surface_m, recorded "
            "in February 2000) plus every cell from that level up to level_m 4-connected to it; polygonised with "
            "islands as holes (enclosed dry spots under min_island_ha filled as DEM noise), simplified with the "
            "largest Douglas-Peucker tolerance that keeps the area within the allowed change; clipped to the "
            "study area. The tiles end at 78°E: the reservoir's eastern part "
            "is not in the layer, so its area is not the published full area",
            parameters={"srtm_surface_m": reservoir.surface_m, "reservoir_level_m": reservoir.level_m,
                        "min_island_ha": min_island_ha,
                        "srtm_date": SRTM_DATE, "east_cut_lon": round(east_cut_lon, 4),
                        "simplify_tolerance_m": reservoir.simplify_tolerance_m, "max_area_change_pct": max_change_pct},
            quality="derived",
        ),
    )


def _rivers_layer(rivers: list[hydrology.NamedRiver], tables: Tables, *, reservoir: shapely.Polygon,
                  area: shapely.Polygon, srtm: str, parameters: dict[str, Any]) -> Layer:
    names = tables.river_names.drop_duplicates("river_id").set_index("river_id")
    rows = []
    for river in rivers:
        line = shapely.intersection(shapely.difference(river.geometry, reservoir), area)
        if line.is_empty:
            continue
        name = names.loc[river.river_id]
        published = pd.to_numeric(name[["published_length_km", "published_catchment_km2"]], errors="coerce")
        rows.append({
            "id": river.river_id,
            "name_en": name["name_en"],
            "name_kk": name["name_kk"],
            "name_ru": name["name_ru"],
            "ends_in": river.ends_in,
            "lower_reach": name["lower_reach"],
            "own_catchment_km2": round(river.own_catchment_km2, 1),
            "end_upstream_area_km2": round(river.end_upstream_area_km2, 1),
            "published_length_km": None if pd.isna(published.iloc[0]) else float(published.iloc[0]),
            "published_catchment_km2": None if pd.isna(published.iloc[1]) else float(published.iloc[1]),
            "attribute_source": name["attribute_source"] or None,
            "named_points_matched": river.matched_points,
            "named_points": river.total_points,
            "geometry": shapely.line_merge(line) if line.geom_type == "MultiLineString" else line,
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)
    # The DEM path from the first named point to where it ends, inside the study area: not the river's length.
    frame["traced_length_km"] = (frame.geometry.length / 1000.0).round(3)
    return Layer(
        name="rivers",
        title="Named rivers",
        frame=frame,
        provenance=Provenance(
            source=f"{srtm}; river names: {tables.sources['river_names']}",
            method="D8 flow path (pyflwdir, priority-flood filled DEM) from each river's first named point, "
            "snapped to the stream cell with the largest upstream area, downstream to the reservoir at the chosen "
            "level, the DEM edge or a larger named river; parts inside the reservoir removed. traced_length_km is "
            "that path inside the study area, not the river's length (published_length_km, where a source gives "
            "it); own_catchment_km2 is the upstream area just above the river's end, end_upstream_area_km2 at its "
            "last cell (for a tributary it includes the main river); lower_reach 'intermittent' marks a river "
            "whose lower course reaches the reservoir only in wet years (the DEM path is drawn all the same)",
            parameters=parameters,
            quality="derived",
        ),
    )


def _streams_layer(segments: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, *, reservoir: shapely.Polygon,
                   area: shapely.Polygon, srtm: str, parameters: dict[str, Any]) -> Layer:
    frame = segments.copy()
    frame["geometry"] = shapely.intersection(shapely.difference(frame.geometry.values, reservoir), area)
    # Clipping at the shore or the study-area edge leaves stubs shorter than a DEM cell.
    frame = frame[frame.geometry.length >= _MIN_STREAM_LENGTH_M].copy()
    midpoints = frame.geometry.interpolate(0.5, normalized=True)
    frame["river_id"] = None
    frame["name_en"] = None
    for river in rivers.itertuples(index=False):
        on_river = midpoints.distance(river.geometry) <= _NAME_MATCH_DISTANCE_M
        frame.loc[on_river & frame["river_id"].isna(), ["river_id", "name_en"]] = [river.id, river.name_en]
    frame["length_km"] = (frame.geometry.length / 1000.0).round(3)
    frame["upstream_area_km2"] = frame["upstream_area_km2"].round(1)
    frame["id"] = "s" + frame["segment"].astype("int64").astype(str)
    frame["downstream_id"] = np.where(frame["downstream_segment"] >= 0,
                                      "s" + frame["downstream_segment"].astype("int64").astype(str), None)
    frame = frame[["id", "downstream_id", "river_id", "name_en", "upstream_area_km2", "strahler_order",
                   "length_km", "geometry"]]
    return Layer(
        name="streams",
        title="Streams (upstream area above threshold)",
        frame=frame.sort_values("id").reset_index(drop=True),
        provenance=Provenance(
            source=srtm,
            method="D8 flow routing with pyflwdir over the void-filled mosaic of all tiles (priority-flood "
            "depression filling, which also drains flats; the reservoir drains through its dam, not the "
            "tile edge); segments between confluences where the upstream area exceeds the threshold; "
            "parts inside the reservoir removed; clipped to the study area",
            parameters=parameters,
            quality="derived",
        ),
    )
