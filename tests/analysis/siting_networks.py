"""Synthetic road networks with known optima for the siting tests: a line and a grid, 1 km edges at 60 km/h.

Imported by the tests as a plain module (pytest puts this folder on sys.path).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
from shapely.geometry import Point

X0, Y0 = 500_000.0, 4_800_000.0  # a point in UTM 43N
EDGE_M = 1000.0
EDGE_S = 60.0  # 1 km in 1 min


def street_graph(positions: dict[int, tuple[float, float]], streets: Sequence[tuple[int, int]]) -> nx.MultiDiGraph:
    """A two-way osmnx-style graph (EPSG:32643): 1 km streets taking 1 min each."""
    graph = nx.MultiDiGraph(crs="EPSG:32643")
    for node, (x, y) in positions.items():
        graph.add_node(node, x=x, y=y)
    for a, b in streets:
        for u, v in ((a, b), (b, a)):
            graph.add_edge(u, v, length=EDGE_M, travel_time=EDGE_S, highway="residential")
    return graph


def line_graph(n: int) -> nx.MultiDiGraph:
    """Nodes 0..n-1 along x, 1 km apart."""
    return street_graph({i: (X0 + EDGE_M * i, Y0) for i in range(n)}, [(i, i + 1) for i in range(n - 1)])


def grid_graph(k: int) -> nx.MultiDiGraph:
    """A k x k grid, node ``r * k + c`` at column c, row r, 1 km apart."""
    positions = {r * k + c: (X0 + EDGE_M * c, Y0 + EDGE_M * r) for r in range(k) for c in range(k)}
    streets = [(r * k + c, r * k + c + 1) for r in range(k) for c in range(k - 1)]
    streets += [(r * k + c, (r + 1) * k + c) for r in range(k - 1) for c in range(k)]
    return street_graph(positions, streets)


def points_at(graph: nx.MultiDiGraph, nodes: Sequence[int], *, prefix: str,
              districts: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Points exactly on the given nodes, ids ``<prefix><node>``."""
    data = {"id": [f"{prefix}{n}" for n in nodes]}
    if districts is not None:
        data["district"] = list(districts)
    geometry = [Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes]
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:32643")
