"""The siting cost matrix: network costs plus connectors, checked against networkx; unreachable is inf."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point
from siting_networks import X0, Y0, grid_graph, line_graph, points_at, street_graph

from alatau_geo.analysis.cost_matrix import cost_matrix
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.network_params import NetworkParams


def test_costs_equal_networkx_shortest_paths_on_a_grid():
    graph = grid_graph(6)
    demand = points_at(graph, range(36), prefix="d")
    sites = points_at(graph, [0, 14, 35], prefix="s")
    costs = cost_matrix(graph, demand, sites)
    for column, node in enumerate([0, 14, 35]):
        lengths = nx.single_source_dijkstra_path_length(graph.reverse(), node, weight="travel_time")
        expected = np.array([lengths[n] for n in range(36)]) / 60.0
        assert np.allclose(costs.values[:, column], expected)
    assert costs.unit == "min"
    assert costs.values[35, 0] == pytest.approx(10.0)  # 5 + 5 km of streets at 1 min per km


def test_street_length_in_metres():
    graph = line_graph(4)
    costs = cost_matrix(graph, points_at(graph, [0, 3], prefix="d"), points_at(graph, [1], prefix="s"),
                        weight="length")
    assert costs.unit == "m"
    assert costs.values[:, 0].tolist() == [1000.0, 2000.0]


def test_connectors_are_added_at_the_connector_speed():
    graph = line_graph(3)
    # 400 m off node 0 and 200 m off node 2; the connector speed is 24 km/h = 400 m/min
    demand = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(X0, Y0 + 400.0)], crs="EPSG:32643")
    sites = gpd.GeoDataFrame({"id": ["s"]}, geometry=[Point(X0 + 2000.0, Y0 - 200.0)], crs="EPSG:32643")
    params = NetworkParams(speeds_kmh={"trunk": 90.0, "residential": 30.0, "connector": 24.0})
    costs = cost_matrix(graph, demand, sites, params=params)
    assert costs.values[0, 0] == pytest.approx(1.0 + 2.0 + 0.5)


def test_points_on_one_node_share_a_row_of_network_costs():
    graph = line_graph(3)
    demand = gpd.GeoDataFrame({"id": ["a", "b", "c"]},
                              geometry=[Point(X0, Y0), Point(X0 + 100.0, Y0), Point(X0 + 2000.0, Y0)],
                              crs="EPSG:32643")
    costs = cost_matrix(graph, demand, points_at(graph, [1], prefix="s"))
    assert costs.group.tolist() == [0, 0, 1]
    assert costs.node_costs.shape == (2, 1)


def test_unreachable_and_off_network_are_inf():
    positions = {0: (X0, Y0), 1: (X0 + 1000.0, Y0), 2: (X0, Y0 + 1000.0), 3: (X0 + 1000.0, Y0 + 1000.0)}
    graph = street_graph(positions, [(0, 1), (2, 3)])  # two separate streets
    demand = gpd.GeoDataFrame({"id": ["near", "other", "far"], "district": ["gate", "golden", None]},
                              geometry=[Point(X0, Y0), Point(X0, Y0 + 1000.0), Point(X0 + 50_000.0, Y0)],
                              crs="EPSG:32643")
    costs = cost_matrix(graph, demand, points_at(graph, [1], prefix="s"))
    assert costs.values[0, 0] == pytest.approx(1.0)
    assert np.isinf(costs.values[1:, 0]).all()
    assert costs.demand.loc["far", "on_network"] == np.False_
    assert "off network" in costs.demand.loc["far", "reason"]
    assert costs.demand.loc["other", "district"] == "golden"


def test_sites_keep_their_roles_in_column_order():
    graph = line_graph(4)
    costs = cost_matrix(graph, points_at(graph, [0], prefix="d"), points_at(graph, [1, 2], prefix="c"),
                        fixed=points_at(graph, [3], prefix="f"), planned=points_at(graph, [0], prefix="p"))
    assert costs.sites.index.tolist() == ["f3", "c1", "c2", "p0"]
    assert costs.sites["role"].tolist() == ["fixed", "candidate", "candidate", "planned"]
    assert costs.columns("candidate").tolist() == [1, 2]
    assert costs.positions(("p0", "f3")).tolist() == [3, 0]


def test_site_ids_must_be_unique_across_roles():
    graph = line_graph(3)
    with pytest.raises(LayerError, match="id used twice across fixed, candidates and planned: c1"):
        cost_matrix(graph, points_at(graph, [0], prefix="d"), points_at(graph, [1], prefix="c"),
                    fixed=points_at(graph, [1], prefix="c"))


def test_demand_needs_ids():
    graph = line_graph(3)
    with pytest.raises(LayerError, match="demand points: missing 'id' column"):
        cost_matrix(graph, points_at(graph, [0], prefix="d").drop(columns="id"), points_at(graph, [1], prefix="c"))
