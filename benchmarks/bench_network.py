"""Benchmark: what 30 facilities reach within 15 minutes, three ways, on one synthetic graph.

Run:  python benchmarks/bench_network.py [--side 160] [--facilities 30] [--minutes 15] [--runs 3]

Everything runs in one process on the same graph: a square street grid of
``side`` x ``side`` nodes 100 m apart, every street two-way (``side=160``:
25,600 nodes, 101,760 directed edges), residential at 30 km/h with every
tenth row and column a secondary road at 50 km/h, built as an osmnx-style
``MultiDiGraph`` (``length``, ``speed_kph``, ``travel_time``). Facilities
stand exactly on nodes picked at random (seed 0), so no connector enters.

Timed, medians of ``--runs`` runs:

- alatau-geo, per-facility reach: :func:`alatau_geo.analysis.network_index.network_index`
  (graph -> arrays, timed in) + :func:`~alatau_geo.analysis.network_index.attach_points` +
  :func:`~alatau_geo.analysis.network_index.times_from_points` (one sparse Dijkstra call
  for all facilities, cut at the limit), then the reached node set per
  facility;
- the same with the index built beforehand (the analyses share one index);
- alatau-geo, nearest facility of every node:
  :func:`~alatau_geo.analysis.network_index.nearest_point` (one multi-source search);
- networkx ``ego_graph(G, f, radius=limit, distance="travel_time")`` per
  facility (what osmnx's isochrone example does);
- ``scipy.sparse.csgraph.dijkstra(indices=facilities, limit=limit)`` called
  plainly on ``networkx.to_scipy_sparse_array`` (conversion timed in, and
  reported separately).

The methods run in turn, ``--runs`` rounds, so a change in the machine's
load hits them alike; medians of wall and of process CPU time are kept.
Ratios are ego_graph time / other time (above 1 means faster than ego_graph).
Every method's reach sets are checked equal before timing. Results go to
``benchmarks/results/network.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import scipy
from scipy.sparse.csgraph import dijkstra

from alatau_geo.analysis.network_index import (
    NetworkIndex,
    attach_points,
    nearest_point,
    network_index,
    times_from_points,
)
from bench_results import machine, timed, write_results

SPACING_M = 100.0
SPEEDS_KMH = {"residential": 30.0, "secondary": 50.0}


def synthetic_grid(side: int) -> nx.MultiDiGraph:
    """A two-way street grid of side x side nodes, osmnx-style, EPSG:32643."""
    graph = nx.MultiDiGraph(crs="EPSG:32643")
    origin_x, origin_y = 650_000.0, 4_800_000.0
    for j in range(side):
        for i in range(side):
            graph.add_node(j * side + i, x=origin_x + i * SPACING_M, y=origin_y + j * SPACING_M)
    street = 0
    for j in range(side):
        for i in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= side or j + dj >= side:
                    continue
                along = j if dj == 0 else i  # the row (or column) the street runs on
                highway = "secondary" if along % 10 == 0 else "residential"
                speed = SPEEDS_KMH[highway]
                common = {"osmid": street, "highway": highway, "length": SPACING_M, "speed_kph": speed,
                          "travel_time": SPACING_M / (speed / 3.6), "oneway": False}
                u, v = j * side + i, (j + dj) * side + i + di
                graph.add_edge(u, v, **common, reversed=False)
                graph.add_edge(v, u, **common, reversed=True)
                street += 1
    return graph


def facility_points(graph: nx.MultiDiGraph, count: int, *, seed: int = 0) -> tuple[list[int], gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    nodes = sorted(int(n) for n in rng.choice(graph.number_of_nodes(), count, replace=False))
    xs = [graph.nodes[n]["x"] for n in nodes]
    ys = [graph.nodes[n]["y"] for n in nodes]
    frame = gpd.GeoDataFrame({"id": [f"f{n}" for n in nodes]}, geometry=gpd.points_from_xy(xs, ys),
                             crs="EPSG:32643")
    return nodes, frame


def ours_reach(graph: nx.MultiDiGraph | NetworkIndex, facilities: gpd.GeoDataFrame,
               limit_s: float) -> list[set[int]]:
    index = network_index(graph)
    attached = attach_points(index, facilities, max_connector_m=1.0, connector_kmh=30.0)
    times = times_from_points(index, attached, limit=limit_s)
    return [set(index.node_ids[np.flatnonzero(row <= limit_s)].tolist()) for row in times]


def ours_nearest(index: NetworkIndex, facilities: gpd.GeoDataFrame) -> np.ndarray:
    attached = attach_points(index, facilities, max_connector_m=1.0, connector_kmh=30.0)
    cost, _ = nearest_point(index, attached)
    return cost


def ego_reach(graph: nx.MultiDiGraph, nodes: list[int], limit_s: float) -> list[set[int]]:
    return [set(nx.ego_graph(graph, n, radius=limit_s, distance="travel_time").nodes) for n in nodes]


def csgraph_reach(graph: nx.MultiDiGraph, nodes: list[int], limit_s: float) -> list[set[int]]:
    order = list(graph.nodes)
    matrix = nx.to_scipy_sparse_array(graph, nodelist=order, weight="travel_time", format="csr")
    times = dijkstra(matrix, directed=True, indices=[order.index(n) for n in nodes], limit=limit_s)
    ids = np.asarray(order)
    return [set(ids[np.isfinite(row)].tolist()) for row in times]


def interleaved(methods: dict[str, Callable[[], object]], runs: int) -> dict[str, dict[str, object]]:
    """Each method once per round, `runs` rounds, so a change in the machine's load hits them alike."""
    walls: dict[str, list[float]] = {name: [] for name in methods}
    cpus: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(runs):
        for name, function in methods.items():
            once = timed(function, 1)
            walls[name].append(once["median_s"])
            cpus[name].append(once["cpu_median_s"])
    return {name: {"median_s": statistics.median(walls[name]), "cpu_median_s": statistics.median(cpus[name]),
                   "runs_s": [round(value, 4) for value in walls[name]]} for name in methods}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=160, help="grid nodes per side (default 160)")
    parser.add_argument("--facilities", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    graph = synthetic_grid(args.side)
    nodes, facilities = facility_points(graph, args.facilities)
    limit_s = args.minutes * 60.0
    print(f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
          f"{len(nodes)} facilities; limit {args.minutes:g} min; medians of {args.runs} runs")
    print(f"python {platform.python_version()}, networkx {nx.__version__}, scipy {scipy.__version__}, "
          f"osmnx {ox.__version__}, {os.cpu_count()} CPUs")

    index = network_index(graph)
    reference = ego_reach(graph, nodes, limit_s)
    assert ours_reach(graph, facilities, limit_s) == reference, "alatau-geo reach differs from ego_graph"
    assert csgraph_reach(graph, nodes, limit_s) == reference, "csgraph reach differs from ego_graph"
    nearest = ours_nearest(index, facilities)
    reached = set().union(*reference)
    assert set(index.node_ids[np.isfinite(nearest) & (nearest <= limit_s)].tolist()) == reached
    print(f"reach checked equal: {sum(map(len, reference)):,} (facility, node) pairs within the limit")

    started = machine()
    methods = {
        "alatau-geo reach (index built in)": lambda: ours_reach(graph, facilities, limit_s),
        "alatau-geo reach (index prebuilt)": lambda: ours_reach(index, facilities, limit_s),
        "alatau-geo nearest facility (index prebuilt)": lambda: ours_nearest(index, facilities),
        "alatau-geo network_index alone": lambda: network_index(graph),
        "networkx ego_graph per facility": lambda: ego_reach(graph, nodes, limit_s),
        "scipy csgraph plain (conversion in)": lambda: csgraph_reach(graph, nodes, limit_s),
        "networkx.to_scipy_sparse_array alone": lambda: nx.to_scipy_sparse_array(graph, weight="travel_time",
                                                                                  format="csr"),
    }
    measured = interleaved(methods, args.runs)
    timings = {name: values["median_s"] for name, values in measured.items()}
    cpu = {name: values["cpu_median_s"] for name, values in measured.items()}
    ego = timings["networkx ego_graph per facility"]
    width = max(map(len, timings))
    print(f"{'method':<{width}}  {'median s':>9}  {'ego_graph / this':>16}")
    for name, seconds in timings.items():
        print(f"{name:<{width}}  {seconds:9.3f}  {ego / seconds:15.1f}x")
    ours = timings["alatau-geo reach (index built in)"]
    plain = "scipy csgraph plain (conversion in)"
    ratios = {
        "ego_graph_over_ours": ego / ours,
        "ours_over_csgraph": ours / timings[plain],
        "ours_prebuilt_over_csgraph": timings["alatau-geo reach (index prebuilt)"] / timings[plain],
        "cpu_ego_graph_over_ours": cpu["networkx ego_graph per facility"] / cpu["alatau-geo reach (index built in)"],
        "cpu_ours_over_csgraph": cpu["alatau-geo reach (index built in)"] / cpu[plain],
    }
    print(f"ratio ego_graph / alatau-geo {ratios['ego_graph_over_ours']:.1f}x (cpu "
          f"{ratios['cpu_ego_graph_over_ours']:.1f}x; target at least 100x); alatau-geo / csgraph "
          f"{ratios['ours_over_csgraph']:.2f} (cpu {ratios['cpu_ours_over_csgraph']:.2f}; target at most 1.5)")
    write_results("network", {
        "graph": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "facilities": len(nodes),
                  "limit_min": args.minutes},
        "runs": args.runs, "timings": measured, "ratios": ratios,
        "versions": {"networkx": nx.__version__, "scipy": scipy.__version__, "osmnx": ox.__version__},
    }, started=started)


if __name__ == "__main__":
    main()
