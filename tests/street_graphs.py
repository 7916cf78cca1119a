"""Small osmnx-style street graphs and point layers for the network and accessibility tests.

Imported by the tests as a plain module (pytest puts this folder on sys.path).
Coordinates are (x, y) in EPSG:32643, metres, near (X0, Y0) on the Alatau plain.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
from shapely.geometry import LineString, Point

CRS = "EPSG:32643"
X0, Y0 = 660_000.0, 4_810_000.0


def add_street(graph: nx.MultiDiGraph, u: int, v: int, speed_ms: float, osmid: int) -> None:
    """A straight two-way residential street between nodes `u` and `v`, driven at `speed_ms` (m/s)."""
    pu = (graph.nodes[u]["x"], graph.nodes[u]["y"])
    pv = (graph.nodes[v]["x"], graph.nodes[v]["y"])
    line = LineString([pu, pv])
    common = {"osmid": osmid, "highway": "residential", "length": line.length, "speed_kph": speed_ms * 3.6,
              "travel_time": line.length / speed_ms, "oneway": False}
    graph.add_edge(u, v, **common, reversed=False, geometry=line)
    graph.add_edge(v, u, **common, reversed=True, geometry=line.reverse())


def points(ids: list[str], xy: list[tuple[float, float]], **columns: object) -> gpd.GeoDataFrame:
    """Points with ids and extra columns, in EPSG:32643."""
    return gpd.GeoDataFrame({"id": ids, **columns}, geometry=[Point(p) for p in xy], crs=CRS)
