"""Siting models on synthetic networks whose optimum is known (by hand or by enumeration)."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from siting_networks import X0, grid_graph, line_graph, points_at, street_graph

from alatau_geo.analysis.catchments import evaluate_sites
from alatau_geo.analysis.cost_matrix import cost_matrix
from alatau_geo.analysis.siting import max_covering, p_median, set_covering
from alatau_geo.analysis.siting_compare import compare_with_plan
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.plan.capacity_params import SizingParams
from alatau_geo.plan.demand_params import DemandParams
from alatau_geo.plan.siting_params import DEFAULT_PARAMS, KindSiting, SitingParams

PROPOSED = Path(__file__).resolve().parents[2] / "docs" / "plan_sections" / "siting.toml"


def _setup(graph, *, weights, fixed=(), planned=(), candidates=None):
    nodes = sorted(graph.nodes)
    demand = points_at(graph, nodes, prefix="d")
    sites = points_at(graph, nodes if candidates is None else candidates, prefix="c")
    costs = cost_matrix(graph, demand, sites,
                        fixed=points_at(graph, fixed, prefix="f") if fixed else None,
                        planned=points_at(graph, planned, prefix="p") if planned else None)
    return costs, pd.Series(weights, index=demand["id"].to_numpy(), dtype=float, name="residents")


def _brute_force(costs, w, p, *, limit=None):
    """Best p-median total and best covered demand over every set of p candidate sites."""
    values = costs.values
    best_total, best_cover = np.inf, -np.inf
    for combo in itertools.combinations(range(values.shape[1]), p):
        nearest = values[:, combo].min(axis=1)
        best_total = min(best_total, float((w * nearest).sum()))
        if limit is not None:
            best_cover = max(best_cover, float(w[nearest <= limit].sum()))
    return best_total, best_cover


# --------------------------------------------------------------------------- p-median


def test_p_median_on_a_line_finds_the_weighted_median():
    # weights 5,1,1,1,1,1,1 on nodes 0..6: the weighted median is node 1, 5x1 + 1+2+3+4+5 = 20 min
    costs, w = _setup(line_graph(7), weights=[5, 1, 1, 1, 1, 1, 1])
    result = p_median(costs, w, p=1)
    assert result.open_sites == ("c1",)
    assert result.objective == pytest.approx(20.0)
    assert result.objective_unit == "residents x min"
    assert result.status == "optimal" and not result.time_limit_reached


def test_p_median_on_a_line_serves_two_clusters_from_their_middles():
    weights = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    costs, w = _setup(line_graph(11), weights=weights)
    result = p_median(costs, w, p=2)
    assert set(result.open_sites) == {"c1", "c9"}
    assert result.objective == pytest.approx(4.0)  # 1 + 0 + 1 on each side
    assert result.sites.loc["c1", "load"] == pytest.approx(3.0)
    assert result.sites.loc["c9", "max_cost"] == pytest.approx(1.0)


def test_p_median_on_a_grid_matches_enumeration():
    graph = grid_graph(5)
    rng = np.random.default_rng(7)
    weights = rng.integers(1, 20, 25)
    costs, w = _setup(graph, weights=weights)
    single = p_median(costs, w, p=1)
    brute1, _ = _brute_force(costs, w.to_numpy(), 1)
    assert single.objective == pytest.approx(brute1)
    uniform = p_median(costs, pd.Series(1.0, index=w.index), p=1)
    assert uniform.open_sites == ("c12",)  # the centre of the 5 x 5 grid
    assert uniform.objective_unit == "demand x min"  # an unnamed series
    assert uniform.objective == pytest.approx(60.0)  # sum of Manhattan distances to the centre, km = min
    pair = p_median(costs, w, p=3)
    assert pair.objective == pytest.approx(_brute_force(costs, w.to_numpy(), 3)[0])


def test_catchments_partition_the_demand():
    costs, w = _setup(grid_graph(6), weights=np.arange(36) % 7)
    result = p_median(costs, w, p=4, limit=2.0)
    allocation = result.allocation
    assert allocation["site"].notna().all()  # every point has exactly one site
    assert set(allocation["site"]) <= set(result.open_sites)
    assert result.sites["load"].sum() == pytest.approx(w.sum())
    assert result.sites["demand_points"].sum() == len(w)
    # every point is served by a nearest open site
    open_costs = costs.values[:, costs.positions(result.open_sites)]
    assert np.allclose(allocation["cost"].to_numpy(), open_costs.min(axis=1))
    # loads per site equal the sum of their points
    by_site = allocation.groupby("site")["weight"].sum()
    assert np.allclose(by_site.reindex(result.sites.index).to_numpy(), result.sites["load"].to_numpy())


# --------------------------------------------------------------------------- covering models


def test_max_covering_on_a_line_picks_the_two_heavy_triples():
    weights = [0, 1, 5, 1, 0, 2, 0, 1, 5, 1, 0]
    costs, w = _setup(line_graph(11), weights=weights)
    result = max_covering(costs, w, p=2, limit=1.0)
    assert set(result.open_sites) == {"c2", "c8"}
    assert result.objective == pytest.approx(14.0)
    assert result.coverage == pytest.approx(14.0 / 16.0)
    assert result.objective_unit == "residents covered"
    assert result.allocation.loc["d5", "covered"] == np.False_


def test_max_covering_on_a_grid_matches_enumeration():
    costs, w = _setup(grid_graph(4), weights=np.random.default_rng(3).integers(1, 10, 16))
    result = max_covering(costs, w, p=2, limit=1.0)
    assert result.objective == pytest.approx(_brute_force(costs, w.to_numpy(), 2, limit=1.0)[1])
    assert result.coverage == pytest.approx(result.objective / w.sum())


def test_set_covering_on_a_line_needs_three_sites():
    costs, w = _setup(line_graph(9), weights=np.ones(9))
    result = set_covering(costs, w, limit=1.0)
    assert set(result.open_sites) == {"c1", "c4", "c7"}  # the only cover by 3
    assert result.objective == 3 and result.coverage == pytest.approx(1.0)


def test_set_covering_on_a_grid_finds_its_domination_number():
    costs, w = _setup(grid_graph(4), weights=np.ones(16))
    result = set_covering(costs, w, limit=1.0)
    assert result.objective == 4  # the domination number of the 4 x 4 grid graph
    assert result.allocation["covered"].all()


def test_set_covering_ignores_points_without_demand():
    weights = np.zeros(9)
    weights[[0, 1, 2]] = 1.0
    costs, w = _setup(line_graph(9), weights=weights)
    assert set_covering(costs, w, limit=1.0).open_sites == ("c1",)


def test_infeasible_covering_names_the_points_and_their_district():
    # node 9 lies on a street of its own, unreachable from the candidates on the line
    positions = {i: (X0 + 1000.0 * i, 4_800_000.0) for i in range(4)}
    positions[9] = (X0 + 1500.0, 4_801_000.0)
    positions[10] = (X0 + 2500.0, 4_801_000.0)
    graph = street_graph(positions, [(0, 1), (1, 2), (2, 3), (9, 10)])
    demand = points_at(graph, [0, 1, 2, 3, 9, 10], prefix="cell_",
                       districts=["gate", "gate", "gate", "gate", "green", None])
    costs = cost_matrix(graph, demand, points_at(graph, [0, 1, 2, 3], prefix="c"))
    w = pd.Series(1.0, index=demand["id"].to_numpy())
    with pytest.raises(PlanError) as caught:
        set_covering(costs, w, limit=5.0)
    message = str(caught.value)
    assert "\n" not in message
    assert "2 demand point(s)" in message and "cell_9 (green)" in message and "cell_10 (no district)" in message
    assert "cell_0" not in message


def test_unreachable_demand_is_reported_not_allocated():
    positions = {0: (X0, 4_800_000.0), 1: (X0 + 1000.0, 4_800_000.0), 5: (X0 + 1500.0, 4_801_000.0),
                 6: (X0 + 2500.0, 4_801_000.0)}
    graph = street_graph(positions, [(0, 1), (5, 6)])
    demand = points_at(graph, [0, 1, 5], prefix="d")
    costs = cost_matrix(graph, demand, points_at(graph, [0, 1], prefix="c"))
    result = p_median(costs, pd.Series([1.0, 1.0, 4.0], index=["d0", "d1", "d5"]), p=1)
    assert result.unreachable == ("d5",)
    assert pd.isna(result.allocation.loc["d5", "site"])
    assert result.sites["load"].sum() == pytest.approx(2.0)


def test_p_median_serves_the_heavier_part_of_a_split_network_first():
    positions = {0: (X0, 4_800_000.0), 1: (X0 + 1000.0, 4_800_000.0), 5: (X0 + 1500.0, 4_801_000.0),
                 6: (X0 + 2500.0, 4_801_000.0)}
    graph = street_graph(positions, [(0, 1), (5, 6)])
    demand = points_at(graph, [0, 1, 5, 6], prefix="d")
    costs = cost_matrix(graph, demand, points_at(graph, [0, 5], prefix="c"))
    weights = pd.Series([1.0, 1.0, 4.0, 4.0], index=["d0", "d1", "d5", "d6"])
    one = p_median(costs, weights, p=1)
    assert one.open_sites == ("c5",) and one.unreachable == ("d0", "d1")
    assert one.objective == pytest.approx(4.0)
    both = p_median(costs, weights, p=2)
    assert set(both.open_sites) == {"c0", "c5"} and both.unreachable == ()


# --------------------------------------------------------------------------- fixed sites, time limit


def test_fixed_sites_stay_open_in_every_model():
    graph = line_graph(8)
    costs, w = _setup(graph, weights=np.ones(8), fixed=[0])
    median = p_median(costs, w, p=2)
    assert set(median.open_sites) == {"f0", "c5"}  # with node 0 kept, node 5 is the best second site
    assert median.objective == pytest.approx(9.0)
    assert median.sites.loc["f0", "role"] == "fixed"
    covering = max_covering(costs, w, p=2, limit=1.0)
    assert "f0" in covering.open_sites
    assert covering.objective == pytest.approx(5.0)  # node 0 covers 2, the best other site 3
    fewest = set_covering(costs, w, limit=1.0)
    assert set(fewest.open_sites) == {"f0", "c3", "c6"}  # node 0 covers 0-1; 2-7 need two more


def test_p_below_the_fixed_sites_is_a_plan_error():
    costs, w = _setup(line_graph(5), weights=np.ones(5), fixed=[0, 4])
    with pytest.raises(PlanError, match="p = 1 must lie between the 2 fixed sites"):
        p_median(costs, w, p=1)


def test_time_limit_returns_the_best_solution_found_and_says_so():
    costs, w = _setup(grid_graph(12), weights=np.random.default_rng(1).integers(1, 50, 144))
    result = p_median(costs, w, p=12, time_limit_s=0.001)
    assert result.status == "time_limit" and result.time_limit_reached
    assert len(result.open_sites) == 12
    assert result.allocation["site"].notna().all()
    assert np.isfinite(result.objective) and result.objective > 0
    layer = result.site_points()
    assert len(layer) == 12 and layer.crs.to_epsg() == 32643 and layer["load"].sum() == pytest.approx(w.sum())


def test_evaluate_sites_agrees_with_the_model():
    costs, w = _setup(grid_graph(5), weights=np.arange(25) % 4 + 1)
    best = p_median(costs, w, p=2, limit=2.0)
    again = evaluate_sites(costs, w, list(best.open_sites), limit=2.0)
    assert again.objective == pytest.approx(best.objective)
    assert again.coverage == pytest.approx(best.coverage)
    assert again.status == "given"


def test_weights_must_cover_every_demand_point():
    costs, w = _setup(line_graph(3), weights=[1, 1, 1])
    with pytest.raises(LayerError, match="no value for demand point"):
        p_median(costs, w.iloc[:2], p=1)
    with pytest.raises(LayerError, match="nothing to site"):
        p_median(costs, w * 0, p=1)


# --------------------------------------------------------------------------- comparison with the plan


def test_comparison_moves_the_planned_objects_to_the_clusters():
    weights = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    costs, w = _setup(line_graph(11), weights=weights, planned=[0, 5])
    comparison = compare_with_plan(costs, w, model="p_median", limit=1.0)
    summary = comparison.summary
    assert summary.loc["plan", "objective"] == pytest.approx(3.0 + 12.0)  # 0+1+2 and 3+4+5
    assert summary.loc["optimum", "objective"] == pytest.approx(4.0)
    assert summary.loc["optimum", "objective"] <= summary.loc["plan", "objective"]
    assert summary.loc["plan", "coverage"] == pytest.approx(2 / 6)
    assert summary.loc["optimum", "coverage"] == pytest.approx(1.0)
    assert comparison.improvement == pytest.approx(11.0)
    moves = comparison.moves.set_index("planned")
    assert moves.loc["p0", "optimum"] == "c1" and moves.loc["p0", "distance_m"] == pytest.approx(1000.0)
    assert moves.loc["p5", "optimum"] == "c9" and moves.loc["p5", "distance_m"] == pytest.approx(4000.0)
    assert set(moves["change"]) == {"moved"}
    assert set(comparison.optimum.sites["role"]) == {"candidate"}  # planned sites are never chosen


def test_comparison_keeps_fixed_objects_and_reports_kept_ones():
    weights = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    costs, w = _setup(line_graph(11), weights=weights, fixed=[9], planned=[1])
    comparison = compare_with_plan(costs, w, model="mclp", limit=1.0)
    assert "f9" in comparison.optimum.open_sites and "f9" in comparison.plan.open_sites
    assert comparison.moves.to_dict("records") == [
        {"planned": "p1", "optimum": "c1", "distance_m": 0.0, "change": "kept"}]
    assert comparison.summary.loc["plan", "coverage"] == pytest.approx(1.0)


def test_comparison_by_set_covering_lists_objects_not_needed():
    costs, w = _setup(line_graph(3), weights=[1, 1, 1], planned=[0, 2])
    moves = compare_with_plan(costs, w, model="lscp", limit=1.0).moves
    assert sorted(moves["change"]) == ["moved", "not needed"]
    assert moves["optimum"].dropna().tolist() == ["c1"]


# --------------------------------------------------------------------------- parameters


def test_siting_parameters_from_the_plan():
    params = SitingParams.from_mapping({"time_limit_s": 5, "kinds": {"school": {"limit": 750},
                                                                     "hospital": {"demand": "clinic_visits_per_shift",
                                                                                  "cost": "time", "limit": 15}}})
    assert params.time_limit_s == 5
    assert params.kinds["school"] == KindSiting("school_places", "length", 750)
    assert params.kinds["hospital"].limit == 15
    assert params.kinds["substation"] == DEFAULT_PARAMS.kinds["substation"]
    with pytest.raises(PlanError) as caught:
        SitingParams.from_mapping({"time_limit_s": 0}, source="plan.toml")
    assert str(caught.value) == "plan.toml: 'siting.time_limit_s' must be greater than 0 s, got 0"
    with pytest.raises(PlanError, match="'siting.kinds.school.cost' must be one of time, length, got 'walk'"):
        SitingParams.from_mapping({"kinds": {"school": {"cost": "walk"}}})
    with pytest.raises(PlanError, match="'siting.kinds.substation.limit' must be greater than 0 min, got -8"):
        SitingParams.from_mapping({"kinds": {"substation": {"limit": -8}}})
    with pytest.raises(PlanError, match="unknown entry 'siting.solver'"):
        SitingParams.from_mapping({"solver": "gurobi"})


def test_the_proposed_plan_section_is_valid():
    section = tomllib.loads(PROPOSED.read_text(encoding="utf-8"))["siting"]
    demand = DemandParams.from_mapping(section["demand"], source=str(PROPOSED))
    sizing = SizingParams.from_mapping(section["capacity"], source=str(PROPOSED))
    siting = SitingParams.from_mapping(section, source=str(PROPOSED))
    # the proposed values are the defaults, so every basis stays that of the norm or assumption
    assert demand == DemandParams() and sizing == SizingParams() and siting == SitingParams()
    assert set(sizing.facilities) == set(siting.kinds)
