"""Job access, travel times and service of the allocated residents and jobs over the network.

Answers on a three-node street are worked out by hand; the default plan's checks run on the
committed layers with the generated network.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from alatau_geo.analysis import population_access as pa
from alatau_geo.analysis.network_index import network_index
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.network_params import NetworkParams

CRS = "EPSG:32643"
X0, Y0 = 660_000.0, 4_810_000.0
LAYERS = Path(__file__).resolve().parents[2] / "layers"
NEEDED = ("districts", "city_boundary", "places", "projects", "reservoir", "water_protection_zone", "corridors")


def street(count: int = 3, spacing: float = 1000.0, speed_ms: float = 10.0) -> nx.MultiDiGraph:
    """Nodes 0..count-1 along x, joined by two-way streets: 100 s per 1 km edge."""
    graph = nx.MultiDiGraph(crs=CRS)
    for i in range(count):
        graph.add_node(i, x=X0 + i * spacing, y=Y0)
    for i in range(count - 1):
        line = LineString([(X0 + i * spacing, Y0), (X0 + (i + 1) * spacing, Y0)])
        common = {"osmid": i, "highway": "residential", "length": line.length, "speed_kph": speed_ms * 3.6,
                  "travel_time": line.length / speed_ms, "oneway": False}
        graph.add_edge(i, i + 1, **common, reversed=False, geometry=line)
        graph.add_edge(i + 1, i, **common, reversed=True, geometry=line.reverse())
    return graph


PARAMS = NetworkParams(job_minutes=(2.0, 4.0), catchment_minutes=2.0, isochrone_minutes=(1.0, 2.0),
                           destinations=("konaev",))


@pytest.fixture(scope="module")
def blocks() -> gpd.GeoDataFrame:
    """A: 100 residents at node 0; B: 300 residents and 50 jobs at node 1; C: 200 jobs at node 2."""
    return gpd.GeoDataFrame({"id": ["a", "b", "c"], "zone": ["gate", "gate", "golden"],
                             "residents": [100, 300, 0], "jobs": [0, 50, 200]},
                            geometry=[Point(X0, Y0), Point(X0 + 1000, Y0), Point(X0 + 2000, Y0)], crs=CRS)


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["village", "konaev"], "name_en": ["Village", "Konaev"],
                             "kind": ["village", "city"]},
                            geometry=[Point(X0, Y0), Point(X0 + 2000, Y0)], crs=CRS)


def test_jobs_within_reach_and_2sfca_by_hand(blocks, places):
    projects = gpd.GeoDataFrame({"id": ["plant"], "jobs": [200.0], "jobs_basis": ["published"]},
                                geometry=[Point(X0 + 2000, Y0)], crs=CRS)
    result = pa.block_job_access(network_index(street()), blocks, places, projects, params=PARAMS)
    table = result.blocks
    # A reaches B's jobs in 1.67 min and C's in 3.33; B reaches its own and C's within 2 min.
    assert table.loc["a", ["jobs_within_2min", "jobs_within_4min"]].tolist() == [50, 250]
    assert table.loc["b", ["jobs_within_2min", "jobs_within_4min"]].tolist() == [250, 250]
    # 2SFCA: B's 50 jobs among A and B (400 residents), C's 200 among B (300): A 0.125, B 0.125 + 0.667.
    assert table.loc["a", "access_2sfca"] == pytest.approx(0.125)
    assert table.loc["b", "access_2sfca"] == pytest.approx(0.125 + 200 / 300)
    # Every job is shared out: residents x score sums to the jobs with somebody in their catchment.
    assert float((table["residents"] * table["access_2sfca"]).sum()) == pytest.approx(250)
    assert "c" not in table.index  # nobody lives there: a supply block only
    village = result.settlements.loc["village"]
    assert (village["jobs_within_2min"], village["access_2sfca"]) == (50, pytest.approx(0.125))
    gate = result.zones.loc["gate"]
    assert (gate["residents"], gate["jobs"]) == (400, 50)
    assert gate["jobs_within_2min_mean"] == pytest.approx((100 * 50 + 300 * 250) / 400)
    assert gate["jobs_within_2min_least"] == 50
    assert gate["access_2sfca_mean"] == pytest.approx(250 / 400)
    plant = result.projects.loc["plant"]
    assert plant["residents_within_2min"] == 300 and plant["jobs_per_resident"] == pytest.approx(200 / 300)


def test_residents_by_travel_time_to_the_nearest_facility(blocks):
    facilities = gpd.GeoDataFrame({"id": ["ss"], "kind": ["substation"]}, geometry=[Point(X0 + 2000, Y0)], crs=CRS)
    table = pa.residents_by_travel_time(network_index(street()), blocks, facilities, kinds=["substation"],
                                        params=PARAMS)
    bands = table.set_index("band")
    # B is 1.67 min from the substation, A 3.33 min: beyond the 2 min limit.
    assert bands.loc["1-2 min", "residents"] == 300
    assert bands.loc["more than 2 min", "residents"] == 100
    assert bands["residents"].sum() == 400 and bands["jobs"].sum() == 250
    assert bands["residents_pct"].sum() == pytest.approx(100.0)


def test_zone_travel_times_weigh_residents(blocks, places):
    table = pa.zone_travel_times(network_index(street()), blocks, places, params=PARAMS)
    # To Konaev (node 2): A 200 s, B 100 s; weighted by 100 and 300 residents: 125 s.
    assert table.loc["gate", "to_konaev_min_mean"] == pytest.approx(125 / 60)
    assert table.loc["gate", "to_konaev_min_p90"] == pytest.approx(200 / 60)
    assert table.loc["city", "residents"] == 400


@pytest.fixture(scope="module")
def default_access():
    import alatau_geo as ag
    from alatau_geo.analysis.city_population import allocate_city, people_blocks
    from alatau_geo.analysis.job_figures import project_jobs
    from alatau_geo.analysis.outputs import plan_network
    from alatau_geo.core.io import read_layer, read_raster
    from alatau_geo.reference import terrain

    # Only the layers the analysis reads (the whole folder takes seconds to read).
    layers = LayerSet(read_layer(LAYERS / f"{name}.geojson") for name in NEEDED)
    plan = ag.load_plan()
    people = allocate_city(layers, plan, slope=terrain.slope(read_raster(LAYERS / "terrain_dem.tif")))
    blocks = people_blocks(people)
    index = network_index(plan_network(layers, plan))
    projects = project_jobs(layers["projects"].frame, params=plan.population)
    access = pa.block_job_access(index, blocks, layers["places"].frame, projects, params=plan.network)
    return people, blocks, access


def test_default_plan_job_access_uses_the_allocated_people(default_access):
    people, blocks, access = default_access
    # 500 m blocks hold every allocated resident and job (the figures 2SFCA weighs).
    assert blocks["residents"].sum() == people.residents().sum() == people.result.summary.loc[("city", 2050),
                                                                                              "residents"]
    assert blocks["jobs"].sum() == people.jobs().sum()
    assert access.blocks["residents"].sum() == people.residents().sum()
    # With everybody on the network, residents x 2SFCA score adds up to the jobs within a catchment.
    shared = float((access.blocks["residents"] * access.blocks["access_2sfca"]).sum())
    assert 0.9 * people.jobs().sum() < shared <= people.jobs().sum() + 1


def test_gate_reaches_far_more_than_8500_jobs_in_30_minutes(default_access):
    _, _, access = default_access
    # Before the allocation, 22 projects x 500 jobs were the whole supply: Gate's villages reached at most 8,500.
    assert access.zones.loc["gate", "jobs_within_30min_mean"] > 100_000
    assert access.zones.loc["gate", "jobs_within_30min_least"] > 50_000
    villages = access.settlements.loc[["otegen_batyr", "kenen_azirbayev", "koyankus", "yntymak", "zhanalyk"]]
    assert (villages["jobs_within_30min"] > 100_000).all()
    assert np.isfinite(access.zones["access_2sfca_mean"]).all()
