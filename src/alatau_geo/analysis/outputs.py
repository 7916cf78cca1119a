"""Proximity and network analyses of a plan, as layers and tables.

This module strings the analysis functions of :mod:`~alatau_geo.analysis.proximity`,
:mod:`~alatau_geo.analysis.network`, :mod:`~alatau_geo.analysis.service_areas`,
:mod:`~alatau_geo.analysis.destinations` and
:mod:`~alatau_geo.analysis.population_access` together over a built layer
set: the facilities are the placed infrastructure points of the kinds the
plan gives service radii for, and the people served are the residents and
jobs the population analysis allocated
(:class:`~alatau_geo.analysis.city_population.CityPopulation`, target year by
default), never defaults per settlement kind. Coverage and service areas
count the 100 m cells whose centre they hold; the network analyses route
from 500 m blocks.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis import population_access
from alatau_geo.analysis.city_population import CityPopulation, people_blocks, people_within
from alatau_geo.analysis.coverage import coverage
from alatau_geo.analysis.destinations import destination_times, travel_origins
from alatau_geo.analysis.job_figures import project_jobs
from alatau_geo.analysis.layer_names import ANALYSIS_LAYERS, NETWORK_LAYERS  # noqa: F401 - re-exported
from alatau_geo.analysis.network import road_network
from alatau_geo.analysis.network_index import network_index
from alatau_geo.analysis.proximity import coverage_layers, facilities_from, proximity_tables
from alatau_geo.analysis.served import ReachedAreas, served_layers
from alatau_geo.analysis.service_areas import service_areas, travel_time_nodes
from alatau_geo.analysis.street_stats import district_street_stats
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.plan.config import Plan


def facilities(layers: LayerSet, plan: Plan) -> gpd.GeoDataFrame:
    """Placed infrastructure points of the kinds with a service radius in the plan."""
    points = layers["infrastructure"].frame
    return points[points["kind"].isin(list(plan.service_radii_m))].reset_index(drop=True)


def plan_network(layers: LayerSet, plan: Plan, *, osm_graph: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """The routable network of the plan: generated from corridors and districts, or the OSM roads."""
    return road_network(layers["corridors"].frame, layers["districts"].frame, osm=osm_graph, params=plan.network)


def reached_areas(layers: LayerSet, plan: Plan, *, graph: nx.MultiDiGraph | None = None,
                  known_areas: MutableMapping[str, shapely.Geometry] | None = None,
                  threads: int | None = None) -> ReachedAreas:
    """Service areas, travel times and coverage of the plan's facilities, before the residents are counted in them.

    A build computes them while the residents are allocated (they need only
    the zones and the placed objects); :func:`analysis_layers` adds the people.

    Parameters
    ----------
    layers : LayerSet
        Built layers with ``infrastructure``, ``districts``, ``city_boundary``, ``corridors``.
    plan : Plan
    graph : networkx.MultiDiGraph, optional
        The network to use; generated from the plan when None.
    known_areas : mutable mapping, optional
        Service areas already worked out, by what they are made of
        (:func:`~alatau_geo.analysis.service_areas.service_areas`'s ``known``).
    threads : int, optional
        How many service areas are merged at once (``service_areas``'s
        ``threads``; default: one per core).
    """
    graph = graph if graph is not None else plan_network(layers, plan)
    index = network_index(graph)
    points = facilities(layers, plan)
    # Holes up to two blocks filled: the block interiors a street buffer leaves.
    served = service_areas(index, points, params=plan.network, known=known_areas, threads=threads,
                           fill_holes_m2=2 * plan.network.block_m**2)
    return ReachedAreas(service_areas=served, travel_times=travel_time_nodes(index, points, params=plan.network),
                        coverage=coverage_layers(layers, radii_m=plan.service_radii_m))


def analysis_layers(layers: LayerSet, plan: Plan, *, population: CityPopulation,
                    graph: nx.MultiDiGraph | None = None, reached: ReachedAreas | None = None) -> list[Layer]:
    """Coverage, coverage gaps, service areas and the travel-time surface, as layers, with the people in them.

    :func:`~alatau_geo.analysis.served.served_layers` of :func:`reached_areas`
    (or of `reached`, when already computed).

    Parameters
    ----------
    layers : LayerSet
        Built layers with ``infrastructure``, ``districts``, ``city_boundary``, ``corridors``.
    plan : Plan
    population : CityPopulation
        The allocated residents and jobs (:func:`~alatau_geo.analysis.city_population.allocate_city`).
    graph : networkx.MultiDiGraph, optional
        The network to use; generated from the plan when None.
    reached : ReachedAreas, optional
        :func:`reached_areas` of the same layers and plan, when already computed.
    """
    reached = reached if reached is not None else reached_areas(layers, plan, graph=graph)
    return served_layers(reached, plan, population=population)


@dataclass(frozen=True)
class ProximityReport:
    """Every table of ``alatau-geo report proximity``, by file stem."""

    tables: dict[str, pd.DataFrame]


CSV_ONLY = ("nearest_grid", "job_access_blocks")
"""Tables with a row per cell or block: written as CSV, left out of the Markdown report."""


def proximity_report(layers: LayerSet, plan: Plan, *, population: CityPopulation,
                     graph: nx.MultiDiGraph | None = None) -> ProximityReport:
    """Straight-line and network tables: nearest facilities, who is not covered, travel times, job access.

    The straight-line tables are those of
    :func:`~alatau_geo.analysis.proximity.proximity_tables`, with
    ``uncovered_by_district`` also counting the allocated residents and jobs
    outside each kind's radius. The network tables weigh the allocated
    residents and jobs (target year) in 500 m blocks:
    ``travel_times`` (district centres and settlements to Almaty and Konaev),
    ``travel_times_residents`` (per district, residents-weighted),
    ``residents_by_travel_time`` (to the nearest facility of each kind),
    ``job_access_districts``, ``job_access_settlements``,
    ``job_access_blocks`` and ``job_access_projects`` (jobs within 30 and 45
    minutes, 2SFCA with residents as demand and jobs as supply), and
    ``street_stats``.

    Parameters
    ----------
    layers : LayerSet
    plan : Plan
    population : CityPopulation
        The allocated residents and jobs.
    graph : networkx.MultiDiGraph, optional
        The network to use; generated from the plan when None.
    """
    tables = dict(proximity_tables(layers, radii_m=plan.service_radii_m))
    tables["uncovered_by_district"] = _uncovered_people(tables["uncovered_by_district"], layers, plan, population)
    graph = graph if graph is not None else plan_network(layers, plan)
    index = network_index(graph)
    places = layers["places"].frame
    blocks = people_blocks(population)
    origins = travel_origins(layers["districts"].frame, places, params=plan.network)
    tables["travel_times"] = destination_times(index, origins, places, params=plan.network)
    tables["travel_times_residents"] = population_access.zone_travel_times(index, blocks, places, params=plan.network)
    tables["residents_by_travel_time"] = population_access.residents_by_travel_time(
        index, blocks, facilities(layers, plan), kinds=list(plan.service_radii_m), params=plan.network)
    tables["street_stats"] = district_street_stats(index, layers["districts"].frame)
    projects = project_jobs(layers["projects"].frame, params=plan.population)
    access = population_access.block_job_access(index, blocks, places, projects, params=plan.network)
    tables["job_access_districts"] = access.zones
    tables["job_access_settlements"] = access.settlements
    tables["job_access_projects"] = access.projects
    tables["job_access_blocks"] = access.blocks
    return ProximityReport(tables=tables)


def _uncovered_people(table: pd.DataFrame, layers: LayerSet, plan: Plan, population: CityPopulation) -> pd.DataFrame:
    """``uncovered_by_district`` with the allocated residents and jobs of each district outside each kind's radius."""
    zones = pd.concat([layers[name].frame[["id", "geometry"]] for name in ("districts", "city_boundary")
                       if name in layers], ignore_index=True)
    shapes = gpd.GeoSeries(zones.geometry.to_numpy(), index=zones["id"].to_numpy(), crs=WORKING_CRS)
    covered = coverage(facilities_from(layers), radii_m=plan.service_radii_m)
    cover = dict(zip(covered["kind"], covered.geometry, strict=True))
    total = people_within(shapes, population)
    outside = gpd.GeoSeries([shapely.difference(shapes[row.district], cover[row.kind])
                             for row in table.itertuples(index=False)], index=table.index, crs=WORKING_CRS)
    left = people_within(outside, population)
    out = table.copy()
    out["residents"] = total["residents"].reindex(table["district"]).to_numpy()
    out["residents_uncovered"] = left["residents"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["uncovered_residents_pct"] = np.round(100.0 * out["residents_uncovered"] / out["residents"], 2)
    out["jobs"] = total["jobs"].reindex(table["district"]).to_numpy()
    out["jobs_uncovered"] = left["jobs"].to_numpy()
    return out
