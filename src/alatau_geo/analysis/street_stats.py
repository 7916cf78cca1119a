"""Osmnx's basic street-network statistics, per district."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis.network import street_counts
from alatau_geo.analysis.network_index import Network, network_index
from alatau_geo.core.crs import area_ha, to_working

STATS_COLUMNS = ("area_km2", "nodes", "street_segments", "street_length_total_m", "street_length_avg_m",
                 "street_density_m_per_km2", "intersection_count", "intersection_density_km2", "reason")


def district_street_stats(network: Network, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Osmnx's basic street-network statistics for the part of the network in each district.

    The subgraph of a district is the nodes inside its polygon and the edges
    between them (an edge leaving the district is left out; one with both
    ends inside counts whole). ``street_count`` is taken from the whole
    graph, so a node at the district edge keeps its streets outside.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    districts : GeoDataFrame
        Polygons with ``id``; areas measured in the equal-area CRS.

    Returns
    -------
    DataFrame
        Indexed by district id: ``area_km2``, ``nodes``, ``street_segments``,
        ``street_length_total_m`` (undirected: a two-way street counts once),
        ``street_length_avg_m``, ``street_density_m_per_km2``,
        ``intersection_count`` (osmnx's count: nodes with ``street_count``
        of 2 or more, i.e. every node but dead ends on a simplified graph;
        the generated grid is not simplified, so its corner nodes count
        too), ``intersection_density_km2``
        (per km²), ``reason`` (why a district has no figures, else empty).
    """
    index = network_index(network)
    frame = to_working(districts, what="districts")
    areas_km2 = area_ha(frame).to_numpy() / 100.0
    graph = index.graph
    if any("street_count" not in data for _, data in graph.nodes(data=True)):
        graph = graph.copy()
        nx.set_node_attributes(graph, street_counts(graph), "street_count")
    rows = []
    for geometry, area_km2 in zip(frame.geometry, areas_km2, strict=True):
        inside = shapely.contains_xy(geometry, index.xy[:, 0], index.xy[:, 1])
        nodes = index.node_ids[inside].tolist()
        if graph.subgraph(nodes).number_of_edges() == 0:
            rows.append({"area_km2": area_km2, "nodes": len(nodes), "street_segments": 0,
                         "street_length_total_m": 0.0, "street_length_avg_m": np.nan,
                         "street_density_m_per_km2": 0.0, "intersection_count": 0,
                         "intersection_density_km2": 0.0, "reason": "no street of the network inside the district"})
        else:
            rows.append(_street_stats(graph, nodes, area_km2))
    return pd.DataFrame(rows, index=pd.Index(frame["id"].to_numpy(), name="id"), columns=list(STATS_COLUMNS))


def _street_stats(graph: nx.MultiDiGraph, nodes: list[Hashable], area_km2: float) -> dict[str, Any]:
    """Osmnx's street statistics of the subgraph on `nodes`.

    The figures are osmnx's own functions (``street_length_total``,
    ``street_segment_count`` on the undirected graph, ``intersection_count``
    on the directed one), as :func:`osmnx.stats.basic_stats` combines them.
    Only the undirected form is made here: one edge per street, the two
    directions of a street told apart from a second street by ``osmid`` and
    length, as osmnx does by ``osmid`` and geometry;
    :func:`osmnx.convert.to_undirected` groups every street in pandas and
    takes seconds per district.
    """
    sub = graph.subgraph(nodes)
    undirected = nx.MultiGraph(**graph.graph)
    undirected.add_nodes_from(sub.nodes(data=True))
    seen: set[tuple[Any, ...]] = set()
    for u, v, d in sub.edges(data=True):
        osmid = d.get("osmid")
        key = (frozenset((u, v)), frozenset(osmid) if isinstance(osmid, list) else osmid, round(d["length"], 3))
        if key not in seen:
            seen.add(key)
            undirected.add_edge(u, v, length=d["length"])
    import osmnx as ox  # here only: importing osmnx takes seconds

    length = ox.stats.street_length_total(undirected)
    segments = ox.stats.street_segment_count(undirected)
    intersections = ox.stats.intersection_count(sub)
    return {
        "area_km2": area_km2, "nodes": sub.number_of_nodes(), "street_segments": segments,
        "street_length_total_m": length, "street_length_avg_m": length / segments,
        "street_density_m_per_km2": length / area_km2, "intersection_count": intersections,
        "intersection_density_km2": intersections / area_km2, "reason": "",
    }
