"""Proximity and network analyses of a plan, as layers and tables.

This module strings the analysis functions of :mod:`~alatau_geo.analysis.proximity`,
:mod:`~alatau_geo.analysis.network`, :mod:`~alatau_geo.analysis.service_areas`,
:mod:`~alatau_geo.analysis.destinations` and :mod:`~alatau_geo.analysis.job_access`
together over a built layer set:
the facilities are the placed infrastructure points of the kinds the plan
gives service radii for.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely

from alatau_geo.analysis.destinations import destination_times, travel_origins
from alatau_geo.analysis.job_access import job_access, settlement_residents
from alatau_geo.analysis.network import road_network
from alatau_geo.analysis.network_index import network_index
from alatau_geo.analysis.proximity import coverage_layers, proximity_tables
from alatau_geo.analysis.service_areas import service_areas, travel_time_nodes
from alatau_geo.analysis.street_stats import district_street_stats
from alatau_geo.core.crs import area_ha
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.plan.config import Plan

NETWORK_LAYERS = ("service_areas", "travel_time_nodes")
ANALYSIS_LAYERS = ("coverage", "coverage_gaps", *NETWORK_LAYERS)


def facilities(layers: LayerSet, plan: Plan) -> gpd.GeoDataFrame:
    """Placed infrastructure points of the kinds with a service radius in the plan."""
    points = layers["infrastructure"].frame
    return points[points["kind"].isin(list(plan.service_radii_m))].reset_index(drop=True)


def plan_network(layers: LayerSet, plan: Plan, *, osm_graph: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """The routable network of the plan: generated from corridors and districts, or the OSM roads."""
    return road_network(layers["corridors"].frame, layers["districts"].frame, osm=osm_graph, params=plan.network)


def analysis_layers(layers: LayerSet, plan: Plan, *, graph: nx.MultiDiGraph | None = None) -> list[Layer]:
    """Coverage, coverage gaps, service areas and the travel-time surface, as layers.

    Parameters
    ----------
    layers : LayerSet
        Built layers with ``infrastructure``, ``districts``, ``city_boundary``, ``corridors``.
    plan : Plan
    graph : networkx.MultiDiGraph, optional
        The network to use; generated from the plan when None.
    """
    graph = graph if graph is not None else plan_network(layers, plan)
    index = network_index(graph)
    points = facilities(layers, plan)
    source = "placed infrastructure (planning assumptions); network generated from the plan's corridors and districts"
    parameters = {"isochrone_minutes": list(plan.network.isochrone_minutes),
                  "speeds_kmh": dict(plan.network.speeds_kmh), "block_m": plan.network.block_m}
    served = _for_display(service_areas(index, points, params=plan.network),
                          max_hole_m2=2 * plan.network.block_m**2)
    surface = travel_time_nodes(index, points, params=plan.network)
    coverage = coverage_layers(layers, radii_m=plan.service_radii_m)
    return [
        *coverage.values(),
        Layer("service_areas", served.reset_index(drop=True), Provenance(
            source=source, method="reached parts of streets within each travel-time limit from every facility "
            "(partly reached streets cut at the limit), buffered and merged, one multi-source pass; block "
            "interiors (holes up to two blocks) filled, outline simplified by 10 m",
            parameters=parameters, quality="approximate"), title="Service areas by travel time"),
        Layer("travel_time_nodes", surface.reset_index(drop=True), Provenance(
            source=source, method="travel time and network distance from every network node to its nearest "
            "facility (multi-source Dijkstra)", parameters=parameters, quality="approximate"),
            title="Travel time to the nearest facility"),
    ]


def _for_display(areas: gpd.GeoDataFrame, *, max_hole_m2: float) -> gpd.GeoDataFrame:
    """Fill the block interiors a street-buffer service area leaves as holes, and simplify.

    A block whose surrounding streets are all reached is served; the hole
    inside it is an artefact of buffering streets, and thousands of them
    make the layer too large to open. Holes up to two blocks in size are
    filled; the outline is simplified by 10 m (a fifth of the buffer).
    """
    def filled(geometry: shapely.Geometry) -> shapely.Geometry:
        parts = []
        for polygon in shapely.get_parts(geometry):
            holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area > max_hole_m2]
            parts.append(shapely.Polygon(polygon.exterior, holes))
        return shapely.union_all(parts)

    result = areas.copy()
    result["geometry"] = shapely.simplify([filled(g) for g in areas.geometry], 10.0, preserve_topology=True)
    result["area_ha"] = area_ha(result).round(1)
    return result


@dataclass(frozen=True)
class ProximityReport:
    """Every table of ``alatau-geo report proximity``, by file stem."""

    tables: dict[str, pd.DataFrame]


def proximity_report(layers: LayerSet, plan: Plan, *, graph: nx.MultiDiGraph | None = None) -> ProximityReport:
    """Straight-line and network tables: nearest facilities, coverage gaps, travel times, job access."""
    tables = dict(proximity_tables(layers, radii_m=plan.service_radii_m))
    graph = graph if graph is not None else plan_network(layers, plan)
    index = network_index(graph)
    places = layers["places"].frame
    origins = travel_origins(layers["districts"].frame, places, params=plan.network)
    tables["travel_times"] = destination_times(index, origins, places, params=plan.network)
    tables["street_stats"] = district_street_stats(index, layers["districts"].frame)
    settlements = settlement_residents(places, layers["districts"].frame, params=plan.network)
    access = job_access(index, settlements, layers["projects"].frame, params=plan.network)
    tables["job_access_settlements"] = access.settlements
    tables["job_access_projects"] = access.projects
    return ProximityReport(tables=tables)
