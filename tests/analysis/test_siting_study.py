"""The siting study's parts: demand blocks, candidate sites, and one kind sited beside the catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from siting_networks import X0, Y0, grid_graph, line_graph, points_at, street_graph

from alatau_geo.analysis.city_population import CityGrid
from alatau_geo.analysis.cost_matrix import cost_matrix
from alatau_geo.analysis.siting_candidates import DEFAULT_RULES, candidate_sites, kind_rules
from alatau_geo.analysis.siting_demand import block_areas, demand_blocks
from alatau_geo.analysis.siting_kind import site_kind
from alatau_geo.core.errors import PlanError
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.placement_context import PlacementContext, Target
from alatau_geo.plan.placement_rules import evaluate
from alatau_geo.plan.siting_params import KindSiting, SitingParams
from alatau_geo.reference import terrain

COMMITTED = Path(__file__).resolve().parents[2] / "layers"


# --------------------------------------------------------------------------- demand blocks


def _people(seed: int = 3) -> tuple[CityGrid, np.ndarray, np.ndarray]:
    """A 12 x 14 grid of three zones (one crossing the others' blocks) with random residents and jobs."""
    rng = np.random.default_rng(seed)
    zones = np.full((12, 14), -1, dtype=np.int32)
    zones[1:11, 1:7], zones[1:11, 7:13] = 0, 1
    zones[5:8, 4:10] = 2
    inside = zones >= 0
    residents = np.where(inside, rng.integers(0, 40, zones.shape), 0)
    jobs = np.where(inside, rng.integers(0, 20, zones.shape), 0)
    grid = CityGrid(Affine(100.0, 0.0, X0, 0.0, -100.0, Y0), zones.shape, zones, ("gate", "golden", "city_rest"), 100.0)
    return grid, residents, jobs


@pytest.mark.parametrize("block", [1, 3, 5, 7])
def test_demand_blocks_keep_every_district_total(block):
    grid, residents, jobs = _people()
    blocks = demand_blocks(grid, residents, jobs, block=block, year=2050)
    for index, zone in enumerate(grid.zone_ids):
        mine = blocks[blocks["district"] == zone]
        assert mine["residents"].sum() == residents[grid.zones == index].sum()
        assert mine["jobs"].sum() == jobs[grid.zones == index].sum()
    assert blocks["id"].is_unique and (blocks["phase"] == 2050).all()
    # one point per block and zone, inside its block square
    side = 100.0 * block
    col = np.floor((blocks.geometry.x - X0) / side).astype(int)
    row = np.floor((Y0 - blocks.geometry.y) / side).astype(int)
    assert (col.to_numpy() == blocks["block_col"].to_numpy()).all()
    assert (row.to_numpy() == blocks["block_row"].to_numpy()).all()


def test_block_polygons_are_their_square_cut_to_their_zone():
    grid, residents, jobs = _people()
    blocks = demand_blocks(grid, residents, jobs, block=4, year=2050)
    # zone polygons drawn from the grid itself: every zone's cells
    areas = {}
    for index, zone in enumerate(grid.zone_ids):
        rows, cols = np.nonzero(grid.zones == index)
        x0, y0 = X0 + cols * 100.0, Y0 - rows * 100.0
        areas[zone] = shapely.union_all(shapely.box(x0, y0 - 100.0, x0 + 100.0, y0))
    polygons = block_areas(blocks, grid, block=4, areas=areas)
    assert (polygons.area > 0).all() and (polygons.area <= 400.0**2 + 1e-6).all()
    for zone, geometry in areas.items():  # the blocks of a zone tile the zone where it holds people
        mine = polygons[blocks["district"] == zone]
        assert shapely.union_all(mine.to_numpy()).area == pytest.approx(geometry.area)
        assert mine.area.sum() == pytest.approx(geometry.area)  # and never overlap


# --------------------------------------------------------------------------- candidate sites


@pytest.fixture(scope="module")
def context() -> PlacementContext:
    layers = read_layers(COMMITTED)
    elevation = read_raster(COMMITTED / "terrain_dem.tif")
    return PlacementContext.from_layers(layers, elevation=elevation, slope=terrain.slope(elevation), plan=load_plan())


def test_candidates_pass_every_rule_and_lie_on_a_coarser_placement_grid(context):
    rules = kind_rules(read_layers(COMMITTED)["infrastructure"].frame, "substation")
    assert rules == DEFAULT_RULES
    sites = candidate_sites(context, districts=["gate", "golden"], rules=rules, max_count=40)
    assert 0 < len(sites) <= 40 and sites["id"].is_unique
    assert set(sites["district"]) == {"gate", "golden"} and set(sites["source"]) == {"grid"}
    for district, group in sites.groupby("district"):
        checks = evaluate(group.geometry.to_numpy(), rules, Target(id="t", district=district), context)
        assert all(ok.all() for ok, _ in checks.values())
    spacing = context.analysis.placement_grid_m
    steps = np.stack([sites.geometry.x / spacing, sites.geometry.y / spacing])
    assert np.allclose(steps, np.round(steps))
    # thinned to a whole multiple of the placement grid: the same factor in x and y
    factor = np.gcd.reduce(np.round(steps).astype(np.int64).ravel())
    assert factor > 1
    again = candidate_sites(context, districts=["golden", "gate"], rules=rules, max_count=40)
    assert again["id"].tolist() == sites["id"].tolist()


def test_every_district_keeps_a_candidate_and_planned_positions_join(context):
    layers = read_layers(COMMITTED)
    objects = layers["infrastructure"].frame
    planned = objects[(objects["kind"] == "substation") & (objects["works"] == "new")]
    sites = candidate_sites(context, districts=["gate", "golden", "green", "growing"], rules=DEFAULT_RULES,
                            max_count=1, planned=planned)
    grid = sites[sites["source"] == "grid"]
    assert sorted(grid["district"]) == ["gate", "golden", "green", "growing"]
    clean = planned[planned["broken_rules"].fillna("") == ""]
    assert sorted(sites.loc[sites["source"] == "planned position", "id"]) == sorted(f"at_{i}" for i in clean["id"])


# --------------------------------------------------------------------------- one kind sited


def _costs(graph, *, demand_nodes, weights, candidates, fixed=(), planned=(), districts=None):
    demand = points_at(graph, demand_nodes, prefix="b", districts=districts)
    costs = cost_matrix(graph, demand, points_at(graph, candidates, prefix="c"),
                        fixed=points_at(graph, fixed, prefix="f") if fixed else None,
                        planned=points_at(graph, planned, prefix="p") if planned else None)
    return costs, pd.Series(weights, index=demand["id"].to_numpy(), dtype=float, name="electric_mw")


def _params(limit: float = 1.0, **changes) -> SitingParams:
    return SitingParams(kinds={"substation": KindSiting("electric_mw", "time", limit)}, **changes)


def test_the_plan_beside_the_optimum_and_the_recommended_sites():
    # two clusters of load at either end of a line; the plan puts one object in the empty middle
    weights = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    graph = line_graph(11)
    costs, w = _costs(graph, demand_nodes=range(11), weights=weights, candidates=range(11), fixed=[9], planned=[5])
    result = site_kind("substation", costs, w, needed=3, capacity=2.0, params=_params())
    plan, best = result.plan["p_median"], result.optimum["p_median"]
    assert len(plan.open_sites) == len(best.open_sites) == 2
    assert best.objective <= plan.objective
    assert best.objective == pytest.approx(4.0) and plan.objective == pytest.approx(12.0 + 2.0)
    assert "f9" in best.open_sites and "f9" in result.recommended.open_sites  # the fixed object stays
    assert len(result.recommended.open_sites) == 3  # as many as needed, more than the catalogue's two
    moves = result.moves[result.moves["model"] == "p_median"].set_index("planned")
    assert moves.loc["p5", "optimum"] == "c1" and moves.loc["p5", "distance_m"] == pytest.approx(4000.0)
    summary = result.summary().set_index(["model", "placement"])
    assert summary.loc[("p_median", "recommended"), "sites"] == 3
    assert summary.loc[("lscp", "optimum"), "objective"] == 2  # c1 (with f9) covers all within 1 min
    sites = result.sites()
    recommended = sites[sites["placement"] == "recommended"]
    assert recommended["load"].sum() == pytest.approx(6.0)
    assert recommended["load_share"].sum() == pytest.approx(3.0)  # 6 load over firm capacity 2


def test_without_catalogue_objects_every_model_sites_the_needed_count():
    graph = grid_graph(5)
    costs, w = _costs(graph, demand_nodes=range(25), weights=np.ones(25), candidates=range(25))
    result = site_kind("substation", costs, w, needed=2, capacity=10.0, params=_params(limit=2.0))
    assert result.plan == {} and result.moves.empty
    assert len(result.optimum["p_median"].open_sites) == len(result.optimum["mclp"].open_sites) == 2
    assert result.recommended is result.optimum["p_median"]
    assert result.in_catalogue == 0


def test_more_needed_than_usable_sites_is_capped_and_said():
    graph = line_graph(5)
    costs, w = _costs(graph, demand_nodes=range(5), weights=np.ones(5), candidates=[1, 3])
    result = site_kind("substation", costs, w, needed=4, capacity=1.0, params=_params(limit=2.0))
    assert len(result.recommended.open_sites) == 2
    assert any("4 facilities wanted but only 2 usable sites" in note for note in result.notes)


def test_an_infeasible_covering_names_the_blocks_where_they_are_and_their_district():
    positions = {i: (X0 + 1000.0 * i, Y0) for i in range(4)}
    positions[9], positions[10] = (X0 + 1500.0, Y0 + 1000.0), (X0 + 2500.0, Y0 + 1000.0)
    graph = street_graph(positions, [(0, 1), (1, 2), (2, 3), (9, 10)])
    costs, w = _costs(graph, demand_nodes=[0, 1, 2, 3, 9, 10], weights=np.ones(6), candidates=[0, 1, 2, 3],
                      districts=["gate"] * 4 + ["green", None])
    with pytest.raises(PlanError) as caught:
        site_kind("substation", costs, w, needed=1, capacity=10.0, params=_params(limit=5.0))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("substation: set covering is infeasible: 2 demand block(s)")
    assert "b9 at 75.0" in message and "E 43.3" in message and "N (green)" in message
    assert "b10 at" in message and "(no district)" in message and "b0 " not in message
    assert "'siting.kinds.substation.limit'" in message


def test_a_time_limit_reached_is_noted_with_the_best_solution_found():
    graph = grid_graph(12)
    weights = np.random.default_rng(1).integers(1, 50, 144)
    costs, w = _costs(graph, demand_nodes=range(144), weights=weights, candidates=range(144))
    result = site_kind("substation", costs, w, needed=12, capacity=100.0, params=_params(limit=2.0,
                                                                                          time_limit_s=0.001))
    assert result.recommended.status == "time_limit" and len(result.recommended.open_sites) == 12
    assert any("p-median (optimum): the solver stopped at its time limit of 0.001 s" in n for n in result.notes)
    assert result.summary().set_index(["model", "placement"]).loc[("p_median", "optimum"), "status"] == "time_limit"
