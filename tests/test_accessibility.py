"""Tests of the network analyses: service areas, nearest facility, destinations, jobs and 2SFCA.

Answers on small graphs are worked out by hand; the integration tests run on
the committed layers with the generated network.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis.destinations import destination_times, district_centres, travel_origins
from alatau_geo.analysis.job_access import job_access, project_jobs, settlement_residents, two_step_fca
from alatau_geo.analysis.network_index import NetworkIndex
from alatau_geo.analysis.service_areas import _band, _merge_collinear, service_areas, travel_time_nodes
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.network_params import NetworkParams
from street_graphs import CRS, X0, Y0, add_street, points


def line_graph(count: int, spacing: float, speed_ms: float) -> nx.MultiDiGraph:
    """Nodes 0..count-1 along x, `spacing` apart, joined by two-way streets at `speed_ms`."""
    graph = nx.MultiDiGraph(crs=CRS)
    for i in range(count):
        graph.add_node(i, x=X0 + i * spacing, y=Y0)
    for i in range(count - 1):
        add_street(graph, i, i + 1, speed_ms, i)
    return graph


def at_node(i: int, spacing: float) -> tuple[float, float]:
    return X0 + i * spacing, Y0


# --------------------------------------------------------------------------
# Service areas


def test_partly_reached_edge_is_cut_at_the_limit() -> None:
    # one 100 m street at 10 m/s (10 s); from node 0 with a 7 s limit the area reaches 70 m along it;
    # with a 1 m band the polygon runs from x = -1 to x = 71
    graph = line_graph(2, 100.0, 10.0)
    params = NetworkParams(isochrone_minutes=(7 / 60, 10 / 60), isochrone_buffer_m=1.0)
    areas = service_areas(graph, points(["f"], [at_node(0, 100.0)], kind=["substation"]), params=params)
    assert areas["id"].tolist() == ["f-0.116667min", "f-0.166667min"]
    west, _, east, _ = areas.geometry.iloc[0].bounds
    assert west - X0 == pytest.approx(-1.0)
    assert east - X0 == pytest.approx(71.0)
    # at exactly 10 s the whole street is reached, and no more
    assert areas.geometry.iloc[1].bounds[2] - X0 == pytest.approx(101.0)
    assert areas["kind"].tolist() == ["substation"] * 2 and areas["on_network"].all()


def test_service_area_follows_streets_not_a_hull() -> None:
    # an L of two 1 km streets at 10 m/s; within 50 s from the corner node the area is two 500 m arms,
    # never the triangle a convex hull of the reached nodes would fill
    graph = nx.MultiDiGraph(crs=CRS)
    graph.add_node(0, x=X0, y=Y0)
    graph.add_node(1, x=X0 + 1000, y=Y0)
    graph.add_node(2, x=X0, y=Y0 + 1000)
    add_street(graph, 0, 1, 10.0, 1)
    add_street(graph, 0, 2, 10.0, 2)
    params = NetworkParams(isochrone_minutes=(50 / 60,), isochrone_buffer_m=50.0)
    area = service_areas(graph, points(["f"], [(X0, Y0)]), params=params).geometry.iloc[0]
    assert area.bounds == pytest.approx((X0 - 50, Y0 - 50, X0 + 550, Y0 + 550))
    assert not area.contains(Point(X0 + 300, Y0 + 300))
    arms = shapely.union_all([LineString([(X0, Y0), (X0 + 500, Y0)]).buffer(50, quad_segs=4),
                              LineString([(X0, Y0), (X0, Y0 + 500)]).buffer(50, quad_segs=4)])
    assert area.symmetric_difference(arms).area < 1.0


def test_off_network_facility_keeps_a_reported_fallback_area() -> None:
    graph = line_graph(3, 100.0, 10.0)
    facilities = points(["on", "off"], [at_node(1, 100.0), (X0, Y0 + 5000)])
    areas = service_areas(graph, facilities, params=NetworkParams(isochrone_minutes=(1.0,)))
    off = areas.set_index("facility_id").loc["off"]
    assert not off["on_network"] and off["reason"].startswith("off network: nearest road node 5.0 km")
    assert off["geometry"].equals_exact(Point(X0, Y0 + 5000).buffer(50, quad_segs=4), 1e-6)
    assert areas.set_index("facility_id").loc["on", "reason"] == ""


def test_merged_pieces_keep_the_exact_band() -> None:
    # a street grid cut into unit pieces: joining collinear pieces must not change the band
    pieces = [LineString([(x, y), (x + 100, y)]) for x in range(0, 1000, 100) for y in (0, 300)]
    pieces += [LineString([(x, 0), (x, 300)]) for x in (0, 500)] + [LineString([(0, 0), (70, 70)])]
    merged = _merge_collinear(pieces)
    assert len(merged) == 5
    band = _band(pieces, 25.0)
    plain = shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), 25.0, quad_segs=4))
    assert band.symmetric_difference(plain).area < 1e-3


def test_service_areas_read_back_from_a_memo_are_the_areas_computed() -> None:
    # Two facilities on a street; the second's street is extended (an edit far from the first): only its
    # areas are made again, the first's come from the memo, and every area is the one computed without it.
    graph = line_graph(6, 100.0, 10.0)
    facilities = points(["west", "east"], [at_node(0, 100.0), at_node(5, 100.0)])
    params = NetworkParams(isochrone_minutes=(0.1, 0.2), isochrone_buffer_m=20.0)
    known: dict[str, shapely.Geometry] = {}
    first = service_areas(graph, facilities, params=params, known=known)
    assert len(known) == 4
    graph.add_node(6, x=X0 + 600, y=Y0)
    add_street(graph, 5, 6, 10.0, 99)
    again = service_areas(graph, facilities, params=params, known=known)
    plain = service_areas(graph, facilities, params=params)
    assert len(known) == 6  # the east facility's two areas are new; the west's were read back
    assert shapely.to_wkb(again.geometry.to_numpy()).tolist() == shapely.to_wkb(plain.geometry.to_numpy()).tolist()
    assert again.geometry.iloc[0].equals_exact(first.geometry.iloc[0], 0.0)
    assert again.geometry.iloc[2].area > first.geometry.iloc[2].area  # the east one reaches the new street



def test_service_area_outlines_fill_block_holes_and_are_kept_as_drawn() -> None:
    # A square block of streets 200 m a side, buffered by 20 m, leaves a 160 m x 160 m hole (2.56 ha): filled
    # when holes up to 3 ha are, kept when only holes up to 2 ha are. The area is that of the outline, and a
    # memo keeps the outline itself: reading it back gives the outline computed without it.
    graph = nx.MultiDiGraph(crs=CRS)
    for node, (dx, dy) in enumerate([(0, 0), (200, 0), (200, 200), (0, 200)]):
        graph.add_node(node, x=X0 + dx, y=Y0 + dy)
    for u, v in [(0, 1), (1, 2), (2, 3), (3, 0)]:
        add_street(graph, u, v, 10.0, 200)
    facilities = points(["corner"], [(X0, Y0)])
    params = NetworkParams(isochrone_minutes=(5.0,), isochrone_buffer_m=20.0)
    holed = service_areas(graph, facilities, params=params)
    known: dict[str, shapely.Geometry] = {}
    filled = service_areas(graph, facilities, params=params, fill_holes_m2=30_000.0, known=known)
    kept = service_areas(graph, facilities, params=params, fill_holes_m2=20_000.0)
    assert shapely.get_num_interior_rings(holed.geometry.iloc[0]) == 1
    assert shapely.get_num_interior_rings(filled.geometry.iloc[0]) == 0
    assert holed["area_ha"].iloc[0] == pytest.approx(24.0 * 24.0 / 100 - 2.56, abs=0.2)  # 240 m square less the hole
    # The outline without its hole, simplified by 10 m (which cuts the buffer's rounded corners at this scale).
    outline = shapely.simplify(shapely.Polygon(holed.geometry.iloc[0].exterior), 10.0, preserve_topology=True)
    assert filled["area_ha"].iloc[0] == pytest.approx(outline.area / 10_000, abs=0.05)
    assert filled["area_ha"].iloc[0] > holed["area_ha"].iloc[0] + 1.5
    assert shapely.get_num_interior_rings(kept.geometry.iloc[0]) == 1
    simplified = shapely.simplify(holed.geometry.iloc[0], 10.0, preserve_topology=True)
    assert kept["area_ha"].iloc[0] == pytest.approx(simplified.area / 10_000, abs=0.05)
    again = service_areas(graph, facilities, params=params, fill_holes_m2=30_000.0, known=known)
    assert len(known) == 1
    assert again.geometry.iloc[0].equals_exact(filled.geometry.iloc[0], 0.0)
    assert again["area_ha"].tolist() == filled["area_ha"].tolist()

# --------------------------------------------------------------------------
# Nearest facility of every node


def test_travel_time_nodes_by_hand_and_unreachable_reported() -> None:
    # nodes 0..4 100 m apart at 10 m/s; facilities at nodes 0 and 4; an island (nodes 10, 11) without one
    graph = line_graph(5, 100.0, 10.0)
    graph.add_node(10, x=X0 + 20_000, y=Y0)
    graph.add_node(11, x=X0 + 20_100, y=Y0)
    add_street(graph, 10, 11, 10.0, 99)
    nodes = travel_time_nodes(graph, points(["w", "e"], [at_node(0, 100.0), at_node(4, 100.0)]))
    nodes = nodes.set_index("id")
    # (a zero-length connector weighs 1e-9 s: the sparse graph needs a positive weight)
    assert nodes.loc[[0, 1, 2, 3, 4], "travel_time_min"].tolist() == pytest.approx([0, 10 / 60, 20 / 60, 10 / 60, 0],
                                                                                   abs=1e-9)
    assert nodes.loc[[0, 1, 3, 4], "facility_id"].tolist() == ["w", "w", "e", "e"]
    assert nodes.loc[2, "distance_m"] == pytest.approx(200.0)
    island = nodes.loc[[10, 11]]
    assert not island["reachable"].any()
    assert island["travel_time_min"].isna().all() and island["facility_id"].isna().all()
    assert (island["reason"] == "no facility reachable: this part of the network holds none").all()
    # no silent NaN: a figure is missing exactly where a reason is given
    assert (nodes["travel_time_min"].isna() == (nodes["reason"] != "")).all()
    assert nodes.crs == CRS and (nodes.geometry.geom_type == "Point").all()


def test_empty_facility_layer_is_an_error() -> None:
    with pytest.raises(LayerError, match="facilities: no features"):
        travel_time_nodes(line_graph(2, 100.0, 10.0), points([], []))


# --------------------------------------------------------------------------
# Destinations


def test_destination_times_by_hand() -> None:
    # nodes 0..10, 1 km apart at 25 m/s (40 s per km); Almaty at node 0, Konaev at node 10,
    # a town at node 4 and one 50 km away (off the network)
    graph = line_graph(11, 1000.0, 25.0)
    places = points(["almaty", "konaev", "town", "far"],
                    [at_node(0, 1000.0), at_node(10, 1000.0), at_node(4, 1000.0), (X0, Y0 + 50_000)])
    result = destination_times(graph, places.iloc[2:], places)
    assert result.loc["town", "to_almaty_min"] == pytest.approx(4 * 40 / 60)
    assert result.loc["town", "to_konaev_min"] == pytest.approx(6 * 40 / 60)
    assert np.isinf(result.loc["far", "to_almaty_min"])
    assert result.loc["far", "reason"].startswith("off network")
    assert result.loc["town", "reason"] == ""
    with pytest.raises(LayerError, match="places: no feature with id konaev"):
        destination_times(graph, places.iloc[2:], places[places["id"] != "konaev"])


def test_destination_unreachable_is_explained() -> None:
    graph = line_graph(3, 1000.0, 25.0)
    graph.add_node(20, x=X0 + 50_000, y=Y0)
    graph.add_node(21, x=X0 + 51_000, y=Y0)
    add_street(graph, 20, 21, 25.0, 50)
    places = points(["almaty", "konaev", "town"], [at_node(0, 1000.0), (X0 + 51_000, Y0), at_node(2, 1000.0)])
    result = destination_times(graph, places.iloc[[2]], places)
    assert np.isinf(result.loc["town", "to_konaev_min"])
    assert result.loc["town", "reason"] == "no route to konaev"
    assert np.isfinite(result.loc["town", "to_almaty_min"])


# --------------------------------------------------------------------------
# Residents, jobs, 2SFCA


def test_two_step_fca_by_hand() -> None:
    # settlements of 100 and 300 people; projects with 40 and 60 jobs; catchment 30 min
    # s1 reaches p1 (10 min) only; s2 reaches p1 (20) and p2 (25)
    # R1 = 40 / (100 + 300) = 0.1, R2 = 60 / 300 = 0.2; A1 = 0.1, A2 = 0.1 + 0.2 = 0.3
    times = np.array([[10.0, 40.0], [20.0, 25.0]])
    ratio, access = two_step_fca(times, np.array([40.0, 60.0]), np.array([100.0, 300.0]), catchment_min=30)
    np.testing.assert_allclose(ratio, [0.1, 0.2])
    np.testing.assert_allclose(access, [0.1, 0.3])
    # a project nobody can reach: its ratio is undefined (NaN) and adds nothing
    ratio, access = two_step_fca(np.array([[10.0, np.inf]]), np.array([40.0, 60.0]), np.array([100.0]),
                                     catchment_min=30)
    assert ratio[0] == pytest.approx(0.4) and np.isnan(ratio[1])
    assert access.tolist() == pytest.approx([0.4])
    with pytest.raises(ValueError, match="shape"):
        two_step_fca(times, np.array([1.0]), np.array([1.0, 2.0]), catchment_min=30)
    with pytest.raises(ValueError, match="at least 0"):
        two_step_fca(times, np.array([-1.0, 1.0]), np.array([1.0, 2.0]), catchment_min=30)


def test_job_access_on_a_line_by_hand(caplog: pytest.LogCaptureFixture) -> None:
    # nodes 0..10 1 km apart at 1 km/min; settlements A (node 0, 1,000 people) and B (node 10, 3,000);
    # project P at node 2 with 40 jobs, Q at node 9 without a figure (the 500-job assumption)
    graph = line_graph(11, 1000.0, 1000 / 60)
    settlements = points(["a", "b"], [at_node(0, 1000.0), at_node(10, 1000.0)], kind=["village", "town"],
                         residents=[1000.0, 3000.0], residents_basis=["given", "given"], in_demand=[True, True])
    projects = points(["p", "q"], [at_node(2, 1000.0), at_node(9, 1000.0)], jobs=[40, None])
    params = NetworkParams(job_minutes=(5.0, 10.0), catchment_minutes=5.0)
    with caplog.at_level(logging.DEBUG, logger="alatau_geo.analysis.job_access"):
        result = job_access(graph, settlements, projects, params=params)
    towns, sites = result.settlements, result.projects
    assert towns.loc["a", "jobs_within_5min"] == 40 and towns.loc["b", "jobs_within_5min"] == 500
    assert towns["jobs_within_10min"].tolist() == [540, 540]
    # R_p = 40 / 1,000; R_q = 500 / 3,000
    assert sites.loc["p", "jobs_per_resident"] == pytest.approx(0.04)
    assert sites.loc["q", "jobs_per_resident"] == pytest.approx(500 / 3000)
    assert towns["access_2sfca"].tolist() == pytest.approx([0.04, 500 / 3000])
    assert sites.loc["q", "jobs_basis"] == "planning assumption: 500 jobs per project without a published figure"
    assert sites.loc["p", "jobs_basis"] == "given"
    assert sites.loc["p", "residents_within_5min"] == 1000
    assert "jobs assumed (500 each) for 1 of 2 projects" in caplog.text


def test_job_access_reports_off_network_and_empty_catchments() -> None:
    graph = line_graph(3, 1000.0, 1000 / 60)
    settlements = points(["a", "far"], [at_node(0, 1000.0), (X0, Y0 + 30_000)], kind=["village", "village"])
    projects = points(["p", "lonely"], [at_node(0, 1000.0), (X0 + 30_000, Y0)], jobs=[10, 10])
    result = job_access(graph, settlements, projects)
    assert result.settlements.loc["far", "reason"].startswith("off network")
    assert result.settlements.loc["far", "jobs_within_30min"] == 0
    assert result.settlements.loc["a", "residents_basis"] == "planning assumption: default for a village"
    assert result.projects.loc["lonely", "reason"].startswith("off network")
    assert np.isnan(result.projects.loc["lonely", "jobs_per_resident"])


def test_project_jobs_refuses_negative() -> None:
    with pytest.raises(LayerError, match="negative jobs for p"):
        project_jobs(points(["p"], [(X0, Y0)], jobs=[-5]))


def test_settlement_residents_share_a_district_target() -> None:
    places = points(["v1", "v2", "c", "apt"], [(X0, Y0), (X0 + 100, Y0), (X0 + 10_000, Y0), (X0, Y0 + 50)],
                    kind=["village", "village", "city", "airport"])
    districts = gpd.GeoDataFrame({"id": ["gate"], "residents_target": [220_000.0]},
                                 geometry=[box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)], crs=CRS)
    result = settlement_residents(places, districts).set_index("id")
    assert list(result.index) == ["v1", "v2", "c"]  # the airport is not a settlement
    assert result.loc["v1", "residents"] == 110_000
    assert result.loc["v1", "residents_basis"] == ("planning assumption: district gate target 220,000 shared "
                                                   "equally among its 2 settlements")
    assert result.loc["c", "residents"] == 50_000
    assert result["in_demand"].all()
    given = settlement_residents(places.assign(residents=[1.0, None, None, None]), districts).set_index("id")
    assert given.loc["v1", "residents"] == 1.0 and given.loc["v1", "residents_basis"] == "given"


# --------------------------------------------------------------------------
# The real plan (committed layers, generated network)


def test_plan_district_centres_reach_almaty_and_konaev(plan_network: NetworkIndex,
                                                       layers: dict[str, gpd.GeoDataFrame]) -> None:
    places = layers["places"]
    origins = travel_origins(layers["districts"], places)
    assert "almaty_airport" not in set(origins["id"])  # not a settlement
    times = destination_times(plan_network, origins, places)
    centres = times[times["kind"] == "district_centre"]
    # Found: gate 26.9, golden 41.1, growing 44.9, green 77.6 min to Almaty. Green borders the town of
    # Konaev and keeps to the left bank of the Ili, so its centre lies about 10 km west of the A3 at
    # the Konaev end, reached over 30 km/h district streets before ~45 min on the A3 at 90 km/h.
    # Gate surrounds Otegen Batyr (a settlement outside Alatau), so its centre is ~3 km off the A3.
    # 85 min leaves room for small changes.
    assert (centres["to_almaty_min"] < 85).all()
    assert centres.loc["gate", "to_almaty_min"] == pytest.approx(26.9, abs=2)
    assert centres.loc["green", "to_almaty_min"] == pytest.approx(77.6, abs=5)
    assert (centres["to_konaev_min"] < 45).all()
    assert (centres["reason"] == "").all()
    # settlements far from the corridor and the districts are off the generated network, and say so
    off = times[~times["on_network"]]
    assert set(off.index) >= {"esik", "talgar", "turgen"}
    assert off["reason"].str.startswith("off network").all() and np.isinf(off["to_almaty_min"]).all()
    assert times.loc["otegen_batyr", "to_almaty_min"] < 25
    # Almaty as an origin is attached like the destination (its centre is 4 km beyond the A3's end)
    assert times.loc["almaty", "on_network"] and times.loc["almaty", "to_almaty_min"] == 0
    assert times.loc["almaty", "to_konaev_min"] == pytest.approx(
        times.loc["konaev", "to_almaty_min"], rel=1e-6)  # every street two-way


def test_plan_service_areas_and_job_access(plan_network: NetworkIndex, layers: dict[str, gpd.GeoDataFrame]) -> None:
    centres = district_centres(layers["districts"])
    facilities = centres.assign(id=[f"sub_{i}" for i in centres["id"]], kind="substation").iloc[:2]
    areas = service_areas(plan_network, facilities, threads=2)
    assert len(areas) == 6 and areas.is_valid.all() and areas["on_network"].all()
    # merged two at a time (GEOS without Python's lock) or one by one: the same areas, byte for byte
    one_by_one = service_areas(plan_network, facilities, threads=1)
    assert shapely.to_wkb(areas.geometry.to_numpy()).tolist() == shapely.to_wkb(one_by_one.geometry.to_numpy()).tolist()
    # nested: the 10-minute area lies inside the 30-minute one, and is far smaller
    first = areas[areas["facility_id"] == facilities["id"].iloc[0]].set_index("minutes")
    assert first.geometry[30.0].buffer(1).contains(first.geometry[10.0])
    assert first.loc[10.0, "area_ha"] < first.loc[30.0, "area_ha"]

    people = settlement_residents(layers["places"], layers["districts"])
    projects = centres.assign(id=[f"project_{i}" for i in centres["id"]], jobs=None)
    result = job_access(plan_network, people, projects)
    towns = result.settlements
    # Gate's settlements are all within 30 min of the Gate project
    gate = towns.loc[["otegen_batyr", "kenen_azirbayev", "koyankus", "yntymak", "zhanalyk"]]
    assert (gate["jobs_within_30min"] >= 500).all() and (gate["access_2sfca"] > 0).all()
    assert (towns["jobs_within_45min"] >= towns["jobs_within_30min"]).all()
    assert not towns.loc["almaty", "in_demand"] and towns.loc["almaty", "on_network"]
    assert towns.loc["talgar", "reason"].startswith("off network")
