"""Streets per node, counted without importing osmnx, equal osmnx's own count."""

from __future__ import annotations

import networkx as nx
import numpy as np
import osmnx as ox

from alatau_geo.analysis.network import build_network, street_counts


def test_street_counts_equal_osmnx_on_awkward_graphs() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edges_from([
        (1, 2), (2, 1),            # a two-way street
        (2, 3),                    # one way
        (3, 4), (3, 4),            # two parallel one-way streets
        (4, 4), (4, 4),            # two self-loops at one node
        (5, 6, 7), (6, 5, 8),      # a two-way street whose directions carry other keys
    ])
    graph.add_node(9)              # an isolated node
    assert street_counts(graph) == ox.stats.count_streets_per_node(graph)
    rng = np.random.default_rng(0)
    random = nx.MultiDiGraph()
    random.add_edges_from(rng.integers(0, 40, size=(300, 2)).tolist())
    assert street_counts(random) == ox.stats.count_streets_per_node(random)


def test_generated_network_street_counts_equal_osmnx(layers) -> None:
    graph = build_network(layers["corridors"], layers["districts"])
    counts = nx.get_node_attributes(graph, "street_count")
    assert counts == ox.stats.count_streets_per_node(graph)
    assert max(counts.values()) >= 4  # grid crossings are there
