"""Benchmark: the siting cost matrix and the three location-allocation models, on one synthetic street grid.

Run:  python benchmarks/bench_siting.py [--side 64] [--demand 4000] [--step 6] [--p 30]
                                        [--minutes 6] [--time-limit 60] [--runs 3]

The graph is a square street grid of ``side`` x ``side`` nodes 400 m apart
(the plan's ``network.block_m``; ``side=64``: 4,096 nodes, 16,128 directed
edges), two-way residential streets at 30 km/h with every eighth row and
column a secondary road at 50 km/h, an osmnx-style ``MultiDiGraph``.
``demand`` points lie at random (seed 0) over the grid with 1-500 residents
each; they are attached to their nearest node by a connector at 40 km/h.
Candidate sites stand on every ``step``-th node of every ``step``-th row
(``step=6``: 121 sites, a lattice like the placement grid's points); every
demand point lies within 3 + 3 blocks of one, so set covering within 6
minutes is feasible.

Timed, medians of ``--runs`` runs:

- the cost matrix, :func:`alatau_geo.analysis.cost_matrix.cost_matrix`
  (attach points, one sparse Dijkstra from the candidate nodes), index
  prebuilt, beside networkx ``single_source_dijkstra_path_length`` from each
  candidate node on the reversed graph (networkx's all-pairs Dijkstra
  restricted to the same sources), connectors added the same way; the two
  matrices are checked equal first. The ratio is networkx time / ours.
- p-median (``p`` sites), maximal covering (``p`` sites within ``minutes``)
  and set covering (within ``minutes``), each built by spopt
  ``from_cost_matrix`` and solved by CBC with ``--time-limit`` seconds; the
  status says whether the limit was reached (the best solution found is
  then reported). The model size is clients x sites after the exact
  reductions (demand merged per node for the p-median, per covering set for
  the covering models).
"""

from __future__ import annotations

import argparse
import os
import platform

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pulp
import scipy
import spopt

from alatau_geo.analysis import network_index as net
from alatau_geo.analysis.cost_matrix import CostMatrix, cost_matrix
from alatau_geo.analysis.network import DEFAULT_PARAMS as NETWORK_DEFAULTS
from alatau_geo.analysis.siting import max_covering, p_median, set_covering
from bench_results import median_time

SPACING_M = 400.0
SPEEDS_KMH = {"residential": 30.0, "secondary": 50.0}
ORIGIN = (650_000.0, 4_800_000.0)


def street_grid(side: int) -> nx.MultiDiGraph:
    """A two-way street grid of side x side nodes, osmnx-style, EPSG:32643."""
    graph = nx.MultiDiGraph(crs="EPSG:32643")
    for j in range(side):
        for i in range(side):
            graph.add_node(j * side + i, x=ORIGIN[0] + i * SPACING_M, y=ORIGIN[1] + j * SPACING_M)
    for j in range(side):
        for i in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= side or j + dj >= side:
                    continue
                highway = "secondary" if (j if dj == 0 else i) % 8 == 0 else "residential"
                speed = SPEEDS_KMH[highway]
                data = {"highway": highway, "length": SPACING_M, "speed_kph": speed,
                        "travel_time": SPACING_M / (speed / 3.6)}
                u, v = j * side + i, (j + dj) * side + i + di
                graph.add_edge(u, v, **data)
                graph.add_edge(v, u, **data)
    return graph


def demand_points(side: int, count: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    extent = (side - 1) * SPACING_M
    xy = rng.uniform(0.0, extent, (count, 2)) + ORIGIN
    return gpd.GeoDataFrame({"id": [f"d{i}" for i in range(count)], "residents": rng.integers(1, 501, count)},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32643")


def candidate_sites(graph: nx.MultiDiGraph, side: int, step: int) -> tuple[list[int], gpd.GeoDataFrame]:
    """The nodes of every ``step``-th row and column: a regular lattice, as placement-grid points would be."""
    nodes = [j * side + i for j in range(0, side, step) for i in range(0, side, step)]
    return nodes, gpd.GeoDataFrame({"id": [f"c{n}" for n in nodes]},
                                   geometry=gpd.points_from_xy([graph.nodes[n]["x"] for n in nodes],
                                                               [graph.nodes[n]["y"] for n in nodes]),
                                   crs="EPSG:32643")


def networkx_matrix(reversed_graph: nx.MultiDiGraph, nodes: list[int], demand_nodes: np.ndarray,
                    connector_min: np.ndarray) -> np.ndarray:
    """Minutes from every demand point to every candidate: one networkx Dijkstra per candidate."""
    out = np.empty((len(demand_nodes), len(nodes)))
    for column, node in enumerate(nodes):
        seconds = nx.single_source_dijkstra_path_length(reversed_graph, node, weight="travel_time")
        out[:, column] = [seconds.get(n, np.inf) / 60.0 for n in demand_nodes]
    return out + connector_min[:, None]


def model_size(costs: CostMatrix, weights: pd.Series, minutes: float | None) -> str:
    on = costs.group >= 0
    if minutes is None:
        clients = len(np.unique(costs.group[on & (weights.to_numpy() > 0)]))
    else:
        clients = len(np.unique(costs.values[on] <= minutes, axis=0))
    return f"{clients:,} x {costs.sites.shape[0]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=64, help="grid nodes per side (default 64: 4,096 nodes)")
    parser.add_argument("--demand", type=int, default=4000)
    parser.add_argument("--step", type=int, default=6, help="candidates every step-th node (default 6: 121)")
    parser.add_argument("--p", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit per model, s")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    graph = street_grid(args.side)
    index = net.network_index(graph)
    demand = demand_points(args.side, args.demand)
    nodes, candidates = candidate_sites(graph, args.side, args.step)
    weights = pd.Series(demand["residents"].to_numpy(float), index=demand["id"].to_numpy(), name="residents")
    print(f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges, {SPACING_M:g} m blocks; "
          f"{len(demand):,} demand points, {len(candidates)} candidates, p = {args.p}, limit {args.minutes:g} min, "
          f"solver limit {args.time_limit:g} s; medians of {args.runs} runs")
    print(f"python {platform.python_version()}, networkx {nx.__version__}, scipy {scipy.__version__}, "
          f"spopt {spopt.__version__}, pulp {pulp.__version__}, {os.cpu_count()} CPUs")

    ours_s, costs = median_time(lambda: cost_matrix(index, demand, candidates), args.runs)
    links = net.attach_points(index, demand, max_connector_m=NETWORK_DEFAULTS.max_connector_m,
                              connector_kmh=NETWORK_DEFAULTS.connector_kmh)
    reversed_graph = graph.reverse(copy=False)
    nx_s, reference = median_time(lambda: networkx_matrix(reversed_graph, nodes, links["node"].to_numpy(),
                                                          links["connector_s"].to_numpy() / 60.0), args.runs)
    assert np.allclose(costs.values, reference), "cost matrix differs from networkx"
    print(f"cost matrix checked equal to networkx: {costs.values.size:,} entries")
    print(f"{'step':<44} {'median s':>9}  {'result'}")
    print(f"{'cost matrix, alatau-geo (index prebuilt)':<44} {ours_s:9.3f}  networkx / ours = {nx_s / ours_s:.1f}x")
    print(f"{'cost matrix, networkx Dijkstra per candidate':<44} {nx_s:9.3f}")

    runs = {
        f"p-median (p = {args.p})": (lambda: p_median(costs, weights, p=args.p, limit=args.minutes,
                                                      time_limit_s=args.time_limit), None),
        f"max covering (p = {args.p}, {args.minutes:g} min)": (
            lambda: max_covering(costs, weights, p=args.p, limit=args.minutes, time_limit_s=args.time_limit),
            args.minutes),
        f"set covering ({args.minutes:g} min)": (
            lambda: set_covering(costs, weights, limit=args.minutes, time_limit_s=args.time_limit), args.minutes),
    }
    for name, (function, minutes) in runs.items():
        seconds, result = median_time(function, args.runs)
        print(f"{name:<44} {seconds:9.3f}  model {model_size(costs, weights, minutes)}; {result.status}; "
              f"{len(result.open_sites)} sites; objective {result.objective:,.1f} {result.objective_unit}; "
              f"coverage {result.coverage:.1%}; solver {result.solve_s:.1f} s")


if __name__ == "__main__":
    main()
