"""Catchments of a set of open sites, and how good the set is: the measures every siting result reports.

Every demand point is allocated to its nearest open site on the cost matrix
(ties to the site that comes first in the matrix: fixed, candidates,
planned), so the catchments partition the demand that is reached. The
objective of each model is computed here from the full matrix, whether the
sites come from a solver (:mod:`alatau_geo.analysis.siting`) or from the
plan (:func:`evaluate_sites`): the optimum and the plan are measured by the
same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from alatau_geo.analysis.cost_matrix import CostMatrix
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.plan import param_values as pv

Model = Literal["p_median", "mclp", "lscp"]
Status = Literal["optimal", "time_limit", "given"]
MODELS: tuple[Model, ...] = ("p_median", "mclp", "lscp")



@dataclass(frozen=True, eq=False)
class SitingResult:
    """A set of open sites, the allocation of the demand to them, and how good it is.

    Attributes
    ----------
    model : {'p_median', 'mclp', 'lscp'}
        The model the objective is measured by.
    sites : DataFrame
        The open sites, indexed by site id: ``role`` (fixed / candidate /
        planned), ``x``, ``y`` (m, EPSG:32643), and the catchment:
        ``demand_points``, ``load`` (demand allocated), ``covered_load``
        (within the limit), ``mean_cost`` (demand-weighted) and ``max_cost``
        (over the points with demand), minutes or metres.
    allocation : DataFrame
        Indexed by demand id: ``district``, ``weight``, ``site`` (nearest
        open site; missing when none is reachable), ``cost``, ``reachable``,
        ``covered`` (within the limit; reachable when there is no limit).
    objective : float
        p-median: total weighted cost; MCLP: demand covered; LSCP: number of sites.
    objective_unit : str
    coverage : float
        Share of all demand within the limit (NaN without a limit).
    limit : float or None
    status : {'optimal', 'time_limit', 'given'}
        ``time_limit``: the solver stopped at ``time_limit_s`` with this, the
        best solution it found; ``given``: sites evaluated, not optimised.
    time_limit_s, solve_s : float
        The limit and the time spent in the solver, seconds.
    unreachable : tuple of str
        Demand points with demand that no open site reaches.
    """

    model: Model
    sites: pd.DataFrame
    allocation: pd.DataFrame
    objective: float
    objective_unit: str
    coverage: float
    limit: float | None
    status: Status
    time_limit_s: float
    solve_s: float
    unreachable: tuple[str, ...]

    @property
    def time_limit_reached(self) -> bool:
        """True when the solver stopped at its time limit."""
        return self.status == "time_limit"

    @property
    def open_sites(self) -> tuple[str, ...]:
        """Ids of the open sites, in column order."""
        return tuple(self.sites.index)

    def site_points(self) -> gpd.GeoDataFrame:
        """The open sites and their catchment figures as points (EPSG:32643), ``id`` first: a layer's frame."""
        frame = self.sites.reset_index()
        return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=WORKING_CRS)


def evaluate_sites(
    costs: CostMatrix,
    weights: pd.Series | np.ndarray,
    open_sites: list[str] | tuple[str, ...],
    *,
    model: Model = "p_median",
    limit: float | None = None,
) -> SitingResult:
    """Measure a given set of sites (e.g. the planned ones) as a model would.

    Parameters
    ----------
    costs : CostMatrix
    weights : Series or ndarray
        Demand per point (a Series indexed by demand id, or an array in the
        matrix's order), e.g. ``electric_mw``.
    open_sites : sequence of str
        Site ids to open (any role).
    model : {'p_median', 'mclp', 'lscp'}
        Which objective to report.
    limit : float, optional
        Coverage limit (minutes or metres); required for MCLP and LSCP.

    Returns
    -------
    SitingResult
        With status ``given``.
    """
    w = demand_weights(costs, weights)
    check_limit(model, limit)
    return measure(costs, w, costs.positions(tuple(open_sites)), model=model, limit=limit, status="given")


def measure(costs: CostMatrix, weights: pd.Series, columns: np.ndarray, *, model: Model, limit: float | None,
            status: Status, time_limit_s: float = np.nan, solve_s: float = 0.0) -> SitingResult:
    """Allocate every demand point to its nearest open site and measure the result.

    Parameters
    ----------
    costs : CostMatrix
    weights : Series
        Demand per point, from :func:`demand_weights` (its name is the unit
        of the objective).
    columns : ndarray of int
        Column positions of the open sites (at least one).
    model : {'p_median', 'mclp', 'lscp'}
        Which objective to report.
    limit : float or None
        Coverage limit (minutes or metres).
    status : {'optimal', 'time_limit', 'given'}
    time_limit_s, solve_s : float
        Solver time limit and time spent, seconds (reported as given).

    Returns
    -------
    SitingResult
    """
    columns = np.asarray(columns, dtype=np.int64)
    w = weights.to_numpy(dtype=float)
    if len(columns) == 0:
        raise LayerError("siting: no open site to allocate the demand to; open at least one")
    cost = np.full((len(costs.group), len(columns)), np.inf)
    on = costs.group >= 0
    cost[on] = costs.node_costs[costs.group[on]][:, columns] + costs.connector[on, None]
    nearest = cost.argmin(axis=1)
    best = cost[np.arange(len(cost)), nearest]
    reachable = np.isfinite(best)
    covered = reachable & (best <= limit) if limit is not None else reachable
    ids = costs.sites.index.to_numpy()[columns]
    allocation = pd.DataFrame({
        "district": costs.demand["district"].to_numpy(), "weight": w,
        "site": pd.Series(np.where(reachable, ids[nearest], None), dtype=object).to_numpy(),
        "cost": best, "reachable": reachable, "covered": covered,
    }, index=costs.demand.index)
    total = w.sum()
    objective, unit = _objective(model, w, best, covered, len(columns), name=str(weights.name), unit=costs.unit)
    return SitingResult(
        model=model, sites=_catchments(costs, columns, w, nearest, best, covered), allocation=allocation,
        objective=objective, objective_unit=unit,
        coverage=float(w[covered].sum() / total) if limit is not None else np.nan, limit=limit,
        status=status, time_limit_s=time_limit_s, solve_s=solve_s,
        unreachable=tuple(map(str, costs.demand.index[(w > 0) & ~reachable])),
    )


def _catchments(costs: CostMatrix, columns: np.ndarray, w: np.ndarray, nearest: np.ndarray, best: np.ndarray,
                covered: np.ndarray) -> pd.DataFrame:
    """The open sites with their catchment: points, load, covered load, mean and longest cost."""
    reachable = np.isfinite(best)
    n = len(columns)
    sites = costs.sites.iloc[columns][["role", "x", "y"]].copy()
    sites["demand_points"] = np.bincount(nearest[reachable], minlength=n)
    load = np.bincount(nearest[reachable], weights=w[reachable], minlength=n)
    sites["load"] = load
    sites["covered_load"] = np.bincount(nearest[covered], weights=w[covered], minlength=n)
    weighted = np.bincount(nearest[reachable], weights=w[reachable] * best[reachable], minlength=n)
    sites["mean_cost"] = np.divide(weighted, load, out=np.full(n, np.nan), where=load > 0)
    served = reachable & (w > 0)
    sites["max_cost"] = pd.Series(best[served]).groupby(nearest[served]).max().reindex(range(n)).to_numpy()
    return sites


def _objective(model: Model, w: np.ndarray, best: np.ndarray, covered: np.ndarray, count: int, *, name: str,
               unit: str) -> tuple[float, str]:
    """The model's objective and its unit, e.g. ``electric_mw x min``, ``electric_mw covered``, ``sites``."""
    if model == "p_median":
        reached = np.isfinite(best)
        return float((w[reached] * best[reached]).sum()), f"{name} x {unit}"
    if model == "mclp":
        return float(w[covered].sum()), f"{name} covered"
    return float(count), "sites"


def demand_weights(costs: CostMatrix, weights: pd.Series | np.ndarray) -> pd.Series:
    """Demand per point in the matrix's order, checked.

    Parameters
    ----------
    costs : CostMatrix
    weights : Series or ndarray
        A Series indexed by demand id (e.g. one phase's ``electric_mw``), or
        an array in the matrix's order.

    Returns
    -------
    Series
        Floats indexed by demand id, in the matrix's order; named as
        `weights` (``demand`` for an array or an unnamed Series).

    Raises
    ------
    LayerError
        If a demand point has no value, a value is negative or not a number,
        or every value is 0 (nothing to site).
    """
    if isinstance(weights, pd.Series):
        missing = costs.demand.index.difference(weights.index)
        if len(missing):
            raise LayerError(f"weights: no value for demand point(s) {', '.join(map(str, missing[:10]))}")
        values = weights.reindex(costs.demand.index).to_numpy(dtype=float)
        name = weights.name if weights.name is not None else "demand"
    else:
        name = "demand"
        values = np.asarray(weights, dtype=float)
        if values.shape != (len(costs.group),):
            raise LayerError(f"weights: {values.shape[0]} values for {len(costs.group)} demand points")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        shown = ", ".join(map(str, costs.demand.index[bad][:10]))
        raise LayerError(f"weights: must be numbers of at least 0; bad at {shown}")
    if not (values > 0).any():
        raise LayerError("weights: every demand point has demand 0; there is nothing to site")
    return pd.Series(values, index=costs.demand.index, name=name)


def check_limit(model: Model, limit: float | None) -> None:
    """Raise a PlanError for an unknown model, or a covering model without a positive limit."""
    if model not in MODELS:
        raise PlanError(f"siting model must be one of {', '.join(MODELS)}, got {model!r}")
    if model != "p_median" and limit is None:
        raise PlanError(f"siting model {model} needs a coverage limit")
    if limit is not None:
        pv.positive(limit, "siting limit")


__all__ = ["MODELS", "Model", "SitingResult", "Status", "check_limit", "demand_weights", "evaluate_sites", "measure"]
