"""Tests of the road network: parameters, the generated and OSM graphs, the shortest-path engine, street statistics.

Small graphs have answers worked out by hand; the integration tests run on
the committed layers in ``layers/``. Nothing reaches the network (the
autouse fixture in conftest.py blocks sockets).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis.network import build_network, road_network
from alatau_geo.analysis.network_index import (
    NetworkIndex,
    attach_points,
    nearest_point,
    network_index,
    times_from_points,
)
from alatau_geo.analysis.street_stats import district_street_stats
from alatau_geo.core.errors import AlatauGeoError, CRSError, InputDataError, LayerError, PlanError
from alatau_geo.plan.network_params import NetworkParams
from alatau_geo.reference.osm import read_osm_xml
from street_graphs import CRS, X0, Y0, add_street, points

FIXTURE = Path(__file__).parent / "data" / "alatau_small.osm"


def grid_graph(side: int = 5, spacing: float = 100.0, *, fast_row: int | None = 0,
               slow_ms: float = 10.0, fast_ms: float = 20.0) -> nx.MultiDiGraph:
    """A two-way street grid, osmnx-style; row `fast_row` runs at `fast_ms`, everything else at `slow_ms`.

    Node ``j * side + i`` stands at (X0 + i * spacing, Y0 + j * spacing).
    """
    graph = nx.MultiDiGraph(crs=CRS)
    for j in range(side):
        for i in range(side):
            graph.add_node(j * side + i, x=X0 + i * spacing, y=Y0 + j * spacing)
    street = 0
    for j in range(side):
        for i in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < side and j + dj < side:
                    fast = dj == 0 and j == fast_row
                    add_street(graph, j * side + i, (j + dj) * side + i + di, fast_ms if fast else slow_ms, street)
                    street += 1
    return graph


def node_xy(graph: nx.MultiDiGraph, node: int) -> tuple[float, float]:
    return graph.nodes[node]["x"], graph.nodes[node]["y"]


# --------------------------------------------------------------------------
# Parameters


def test_default_params_are_the_documented_planning_assumptions() -> None:
    params = NetworkParams()
    assert params.block_m == 400.0
    assert dict(params.speeds_kmh) == {"motorway": 100.0, "trunk": 90.0, "primary": 60.0, "secondary": 50.0,
                                       "residential": 30.0, "connector": 40.0}
    assert params.isochrone_minutes == (10.0, 20.0, 30.0)
    assert params.speed("trunk_link") == 90.0  # a link at its road's speed
    assert params.speed("busway") == 30.0  # unknown: residential
    with pytest.raises(TypeError):
        params.speeds_kmh["trunk"] = 1.0  # frozen, no shared mutable state


def test_negative_speed_is_a_one_line_plan_error() -> None:
    with pytest.raises(PlanError) as caught:
        NetworkParams(speeds_kmh={"trunk": 90.0, "residential": -5.0, "connector": 40.0})
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "'network.speeds_kmh.residential' must be greater than 0 km/h, got -5.0"
    with pytest.raises(PlanError, match="must give a speed for connector"):
        NetworkParams(speeds_kmh={"trunk": 90.0, "residential": 30.0})
    with pytest.raises(PlanError, match="block_m"):
        NetworkParams(block_m=0)


def test_params_from_plan_table() -> None:
    params = NetworkParams.from_mapping(
        {"block_m": 250, "speeds_kmh": {"trunk": 80, "residential": 20, "connector": 30}, "job_minutes": [20, 40]},
        source="my_plan.toml")
    assert params.block_m == 250.0 and params.speeds_kmh["trunk"] == 80.0 and params.job_minutes == (20.0, 40.0)
    assert params.isochrone_minutes == (10.0, 20.0, 30.0)  # left out: the default
    with pytest.raises(PlanError, match=r"^my_plan.toml: unknown entry 'network.block'$"):
        NetworkParams.from_mapping({"block": 250}, source="my_plan.toml")
    with pytest.raises(PlanError, match=r"^my_plan.toml: 'network.speeds_kmh.trunk' must be greater than 0"):
        NetworkParams.from_mapping({"speeds_kmh": {"trunk": -1}}, source="my_plan.toml")


# --------------------------------------------------------------------------
# The engine on graphs with known answers


def test_grid_shortest_time_known_by_hand() -> None:
    # 5 x 5 nodes, 100 m apart; the bottom row at 20 m/s, every other street 10 m/s.
    # (0,0) -> (4,4): 400 m up at 10 m/s (40 s) + 400 m along the fast row (20 s) = 60 s, 800 m.
    # (0,2) -> (4,2): straight along row 2, 400 m at 10 m/s = 40 s (the fast row costs 60 s).
    graph = grid_graph()
    index = network_index(graph)
    start = points(["a", "b"], [node_xy(graph, 0), node_xy(graph, 10)])
    attached = attach_points(index, start, max_connector_m=10, connector_kmh=36)
    times = times_from_points(index, attached)
    lengths = times_from_points(index, attached, weight="length")
    position = {node: i for i, node in enumerate(index.node_ids.tolist())}
    assert times[0, position[24]] == pytest.approx(60.0)
    assert lengths[0, position[24]] == pytest.approx(800.0)
    assert times[1, position[14]] == pytest.approx(40.0)
    assert times[0, position[4]] == pytest.approx(20.0)  # along the fast row
    assert nx.shortest_path_length(graph, 0, 24, weight="travel_time") == pytest.approx(60.0)


def test_connector_time_and_limit() -> None:
    graph = grid_graph()
    index = network_index(graph)
    # 36 m below node 0: a 36 m connector at 36 km/h (10 m/s) adds 3.6 s
    attached = attach_points(index, points(["f"], [(X0, Y0 - 36.0)]), max_connector_m=100, connector_kmh=36)
    assert attached.loc["f", "node"] == 0
    assert attached.loc["f", "connector_m"] == pytest.approx(36.0)
    assert attached.loc["f", "connector_s"] == pytest.approx(3.6)
    times = times_from_points(index, attached, limit=30.0)
    assert times[0, 0] == pytest.approx(3.6)
    assert times[0, 4] == pytest.approx(23.6)  # node (4,0): 20 s along the fast row
    assert np.isinf(times[0, 24])  # 63.6 s: beyond the limit


def test_multi_source_equals_brute_force_on_random_graph() -> None:
    rng = np.random.default_rng(7)
    base = nx.random_geometric_graph(60, 0.25, seed=7)
    graph = nx.MultiDiGraph(crs=CRS)
    for n, (x, y) in nx.get_node_attributes(base, "pos").items():
        graph.add_node(n, x=X0 + 5000 * x, y=Y0 + 5000 * y)
    for k, (u, v) in enumerate(base.edges):
        add_street(graph, u, v, float(rng.uniform(5, 25)), k)
    # a one-way street too, so direction matters
    graph.add_edge(0, 59, osmid=999, highway="residential", length=50.0, speed_kph=36.0, travel_time=5.0)
    index = network_index(graph)
    xy = [(X0 + 5000 * x + dx, Y0 + 5000 * y) for (x, y), dx in
          zip(rng.uniform(0, 1, (6, 2)), rng.uniform(0, 40, 6), strict=True)]
    facilities = points([f"f{i}" for i in range(6)], xy)
    attached = attach_points(index, facilities, max_connector_m=5000, connector_kmh=18)
    cost, nearest = nearest_point(index, attached)
    rows = times_from_points(index, attached)

    reverse = graph.reverse(copy=True)
    brute = np.full((6, index.n), np.inf)
    for i, (node, offset) in enumerate(zip(attached["node"], attached["connector_s"], strict=True)):
        to_facility = nx.single_source_dijkstra_path_length(reverse, node, weight="travel_time")
        from_facility = nx.single_source_dijkstra_path_length(graph, node, weight="travel_time")
        for j, n in enumerate(index.node_ids.tolist()):
            if n in to_facility:
                brute[i, j] = to_facility[n] + offset
            if n in from_facility:
                assert rows[i, j] == pytest.approx(from_facility[n] + offset)
            else:
                assert np.isinf(rows[i, j])
    np.testing.assert_allclose(cost, brute.min(axis=0))
    reached = np.isfinite(cost)
    np.testing.assert_allclose(brute[nearest[reached], np.flatnonzero(reached)], cost[reached])
    assert (nearest[~reached] == -1).all()


def test_parallel_edges_keep_the_fastest() -> None:
    graph = grid_graph(side=2)
    graph.add_edge(0, 1, osmid=77, highway="trunk", length=100.0, speed_kph=180.0, travel_time=2.0)
    index = network_index(graph)
    attached = attach_points(index, points(["a"], [node_xy(graph, 0)]), max_connector_m=1, connector_kmh=36)
    assert times_from_points(index, attached)[0, 1] == pytest.approx(2.0)


# --------------------------------------------------------------------------
# Bad input


def test_disconnected_graph_reports_unreachable() -> None:
    graph = grid_graph(side=3)
    graph.add_node(100, x=X0 + 5000, y=Y0)
    graph.add_node(101, x=X0 + 5100, y=Y0)
    add_street(graph, 100, 101, 10.0, 500)
    index = network_index(graph)
    attached = attach_points(index, points(["f"], [node_xy(graph, 0)]), max_connector_m=10, connector_kmh=36)
    cost, nearest = nearest_point(index, attached)
    island = np.isin(index.node_ids, [100, 101])
    assert np.isinf(cost[island]).all() and (nearest[island] == -1).all()
    assert np.isfinite(cost[~island]).all()


def test_bad_graph_weights_are_refused() -> None:
    graph = grid_graph(side=2)
    graph.edges[0, 1, 0]["travel_time"] = -3.0  # what a negative speed gives
    with pytest.raises(InputDataError, match=r"negative or non-finite 'travel_time' \(first: edge \(0, 1, 0\), -3.0\)"):
        network_index(graph)
    del graph.edges[0, 1, 0]["travel_time"]
    with pytest.raises(InputDataError, match="'travel_time'"):
        network_index(graph)
    with pytest.raises(InputDataError, match="no edges"):
        network_index(nx.MultiDiGraph(crs=CRS))
    unprojected = grid_graph(side=2)
    unprojected.graph["crs"] = "EPSG:4326"
    with pytest.raises(CRSError, match="EPSG:32643"):
        network_index(unprojected)


def test_far_facility_is_reported_not_dropped(caplog: pytest.LogCaptureFixture) -> None:
    index = network_index(grid_graph())
    facilities = points(["near", "far"], [(X0 + 10, Y0 + 10), (X0 + 9000, Y0)])
    with caplog.at_level(logging.DEBUG, logger="alatau_geo.analysis.network_index"):
        attached = attach_points(index, facilities, max_connector_m=2000, connector_kmh=40, what="facilities")
    assert list(attached.index) == ["near", "far"]
    assert attached["on_network"].tolist() == [True, False]
    assert attached.loc["far", "reason"] == "off network: nearest road node 8.6 km away (limit 2.0 km)"
    assert "facilities off the network: far" in caplog.text
    assert np.isinf(times_from_points(index, attached)[1]).all()


def test_empty_or_bad_point_layers_are_refused() -> None:
    index = network_index(grid_graph())
    with pytest.raises(LayerError, match="facilities: no features"):
        attach_points(index, points([], []), max_connector_m=1, connector_kmh=1, what="facilities")
    with pytest.raises(LayerError, match="duplicate ids a"):
        attach_points(index, points(["a", "a"], [(X0, Y0)] * 2), max_connector_m=1, connector_kmh=1)
    with pytest.raises(CRSError):
        attach_points(index, gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(0, 0)]), max_connector_m=1,
                          connector_kmh=1)
    assert issubclass(LayerError, AlatauGeoError)


# --------------------------------------------------------------------------
# The generated network


@pytest.fixture(scope="module")
def toy_plan() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two districts: a 2 x 2 km square the corridor runs through, and a 1 x 1 km square 3 km off it."""
    corridors = gpd.GeoDataFrame(
        {"id": ["road", "rail"], "kind": ["highway", "railway"]},
        geometry=[LineString([(X0 - 3000, Y0 + 1000), (X0 + 5000, Y0 + 1000)]),
                  LineString([(X0 - 3000, Y0 + 300), (X0 + 5000, Y0 + 300)])], crs=CRS)
    districts = gpd.GeoDataFrame(
        {"id": ["near", "far"]},
        geometry=[box(X0 - 10, Y0 - 10, X0 + 2010, Y0 + 2010), box(X0 - 10, Y0 + 4990, X0 + 1010, Y0 + 6010)],
        crs=CRS)
    return corridors, districts


def test_generated_network_structure(toy_plan: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    corridors, districts = toy_plan
    graph = build_network(corridors, districts, params=NetworkParams(interchange_spacing_m=1000))
    nodes, edges = ox.convert.graph_to_gdfs(graph)
    grid = nodes[nodes["source"] == "grid"]
    # 400 m grid on whole multiples: 6 x 6 nodes in the 2 km square (x, y = 0..2000), 3 x 3 in the 1 km one
    assert len(grid) == 36 + 9
    assert (grid["x"] % 400 == 0).all() and (grid["y"] % 400 == 0).all()
    assert grid["district"].value_counts().to_dict() == {"near": 36, "far": 9}
    assert set(edges["highway"]) == {"trunk", "residential", "connector"}
    # the railway is not a road: no edge lies along y = Y0 + 300
    assert not any(abs(g.coords[0][1] - (Y0 + 300)) < 1 and abs(g.coords[-1][1] - (Y0 + 300)) < 1
                   for g in edges.geometry)
    assert nx.is_strongly_connected(graph)
    np.testing.assert_allclose(edges["travel_time"], edges["length"] / (edges["speed_kph"] / 3.6))
    np.testing.assert_allclose(edges["length"], edges.geometry.length)
    # two-way streets: opposite edges share osmid and length
    for (u, v, _), row in edges.iterrows():
        assert graph.has_edge(v, u)
        assert any(d["osmid"] == row["osmid"] for d in graph[v][u].values())
    # interchanges every 1 km along the corridor where the grid is within a block: x = 0, 1000, 2000
    trunk_nodes = set(edges.loc[edges["highway"] == "trunk"].index.get_level_values(0))
    trunk_x = sorted(round(graph.nodes[n]["x"] - X0) for n in trunk_nodes)
    assert trunk_x == [-3000, 0, 1000, 2000, 5000]
    # the far district joins by one straight connector to the nearest node already joined
    far_links = [(u, v) for (u, v, _), h in edges["highway"].items()
                 if h == "connector" and graph.nodes[u].get("district") == "far"]
    assert len(far_links) == 1
    stats = ox.stats.basic_stats(graph)
    assert stats["n"] == graph.number_of_nodes()
    assert ox.distance.nearest_nodes(graph, X0 + 5, Y0 + 5) == grid.index[(grid["x"] == X0) & (grid["y"] == Y0)][0]


def test_generated_network_refuses_missing_inputs(toy_plan: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    corridors, districts = toy_plan
    with pytest.raises(LayerError, match="no feature of kind 'highway'"):
        build_network(corridors[corridors["kind"] == "railway"], districts)
    with pytest.raises(LayerError, match="districts: no polygon"):
        build_network(corridors, districts.iloc[:0])


def test_district_stats_match_osmnx_basic_stats(toy_plan: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    corridors, districts = toy_plan
    graph = build_network(corridors, districts)
    stats = district_street_stats(graph, districts)
    index = network_index(graph)
    for district_id, geometry in zip(districts["id"], districts.geometry, strict=True):
        inside = shapely.contains_xy(geometry, index.xy[:, 0], index.xy[:, 1])
        expected = ox.stats.basic_stats(graph.subgraph(index.node_ids[inside].tolist()),
                                        area=stats.loc[district_id, "area_km2"] * 1e6)
        row = stats.loc[district_id]
        assert row["street_length_total_m"] == pytest.approx(expected["street_length_total"])
        assert row["street_segments"] == expected["street_segment_count"]
        assert row["intersection_count"] == expected["intersection_count"]
        assert row["intersection_density_km2"] == pytest.approx(expected["intersection_density_km"])
    # the 1 km square: 3 x 3 nodes, 12 streets of 400 m
    assert stats.loc["far", "street_length_total_m"] == pytest.approx(12 * 400.0)
    empty = gpd.GeoDataFrame({"id": ["nowhere"]}, geometry=[box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000)], crs=CRS)
    assert "no street" in district_street_stats(graph, empty).loc["nowhere", "reason"]


# --------------------------------------------------------------------------
# OpenStreetMap


def test_osm_extract_becomes_the_network() -> None:
    extract = read_osm_xml(FIXTURE)
    graph = road_network(None, None, osm=extract)
    speeds = {(u, v): d["speed_kph"] for u, v, d in graph.edges(data=True)}
    # the A3 way tagged maxspeed=100 keeps it; the untagged trunk takes the plan's 90 km/h; streets 30 km/h
    assert speeds[(101, 104)] == 100.0 and speeds[(104, 110)] == 90.0 and speeds[(402, 405)] == 30.0
    index = network_index(graph)
    # Almaty end (node 101) to Konaev end (node 110), by hand from the edge lengths
    first, second = graph.edges[101, 104, 0]["length"], graph.edges[104, 110, 0]["length"]
    expected = first / (100 / 3.6) + second / (90 / 3.6)
    start = points(["almaty"], [node_xy(graph, 101)])
    attached = attach_points(index, start, max_connector_m=1, connector_kmh=40)
    position = index.node_ids.tolist().index(110)
    assert times_from_points(index, attached)[0, position] == pytest.approx(expected)
    route = ox.routing.shortest_path(graph, 101, 110, weight="travel_time")
    assert route == [101, 104, 110]
    # the one-way street 401 -> 404 cannot be driven backwards
    assert graph.has_edge(401, 404) and not graph.has_edge(404, 401)
    assert "street_count" in graph.nodes[402]


def test_osm_without_roads_is_an_error() -> None:
    extract = read_osm_xml(FIXTURE)
    with pytest.raises(InputDataError, match="holds no roads"):
        road_network(None, None, osm=type(extract)(extract.places, extract.corridors, extract.rivers, None,
                                                        "empty.osm"))


# --------------------------------------------------------------------------
# The real plan (committed layers)


def test_plan_network_is_connected_and_osmnx_compatible(plan_network: NetworkIndex) -> None:
    graph = plan_network.graph
    assert nx.is_strongly_connected(graph)
    classes = pd.Series([h for _, _, h in graph.edges(data="highway")]).value_counts()
    assert set(classes.index) == {"trunk", "residential", "connector"}
    assert graph.number_of_nodes() > 4000
    # the A3 trunk: its edges add up to the corridor's 64.3 km (corridors.geojson length_km)
    trunk_km = sum(d["length"] for _, _, d in graph.edges(data=True) if d["highway"] == "trunk") / 2 / 1000
    assert trunk_km == pytest.approx(64.33, abs=0.05)


def test_plan_district_stats(plan_network: NetworkIndex, layers: dict[str, gpd.GeoDataFrame]) -> None:
    stats = district_street_stats(plan_network, layers["districts"])
    assert list(stats.index) == ["gate", "golden", "green", "growing"]
    assert (stats["reason"] == "").all()
    # a 400 m grid has 1 / 0.16 km2 = 6.25 nodes per km2 and 2 x 400 m of street per node: 5,000 m per km2,
    # a little less at district edges
    assert stats["intersection_density_km2"].between(6.0, 6.5).all()
    assert stats["street_density_m_per_km2"].between(4500, 5000).all()
