"""The catalogue's planned sites beside the optimum: objective, coverage, and which objects the optimum moves.

For one facility kind, :func:`compare_with_plan` measures the planned objects
(the cost matrix's ``planned`` sites, with its ``fixed`` ones) by the same
model and code as the optimum (:func:`~alatau_geo.analysis.catchments.evaluate_sites`),
then solves the model for the same number of sites (p-median, MCLP) or for
the fewest (LSCP), and matches each planned object to one optimum site so
that the total straight-line distance is least (the assignment problem,
:func:`scipy.optimize.linear_sum_assignment`). Fixed sites stay where they
are and are not listed as moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from alatau_geo.analysis.catchments import Model, SitingResult, evaluate_sites
from alatau_geo.analysis.cost_matrix import CostMatrix
from alatau_geo.analysis.siting import max_covering, p_median, set_covering
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.siting_params import DEFAULT_PARAMS

SUMMARY_COLUMNS = ("model", "sites", "objective", "objective_unit", "coverage", "limit", "unreachable_points",
                   "status")
MOVE_COLUMNS = ("planned", "optimum", "distance_m", "change")


@dataclass(frozen=True, eq=False)
class PlanComparison:
    """The planned sites beside the optimum for one kind.

    Attributes
    ----------
    summary : DataFrame
        Two rows, ``plan`` and ``optimum``: ``model``, ``sites``,
        ``objective``, ``objective_unit``, ``coverage``, ``limit``,
        ``unreachable_points``, ``status``.
    moves : DataFrame
        One row per planned object, then one per optimum site no planned
        object matches: ``planned`` (id or None), ``optimum`` (id or None),
        ``distance_m`` (straight line, m), ``change`` (``kept``, ``moved``,
        ``not needed``: the optimum has fewer sites; ``added``).
    plan, optimum : SitingResult
    """

    summary: pd.DataFrame
    moves: pd.DataFrame
    plan: SitingResult
    optimum: SitingResult

    @property
    def improvement(self) -> float:
        """How much better the optimum's objective is than the plan's (positive: better), in its units."""
        difference = self.optimum.objective - self.plan.objective
        return -difference if self.plan.model in ("p_median", "lscp") else difference


def compare_with_plan(
    costs: CostMatrix,
    weights: pd.Series | np.ndarray,
    *,
    model: Model,
    limit: float | None = None,
    time_limit_s: float = DEFAULT_PARAMS.time_limit_s,
    moved_tolerance_m: float = DEFAULT_PARAMS.moved_tolerance_m,
) -> PlanComparison:
    """Measure the planned sites and the optimum by one model, and list what the optimum moves.

    Parameters
    ----------
    costs : CostMatrix
        With ``planned`` sites (and, if any, ``fixed`` ones) and candidates.
    weights : Series or ndarray
        Demand per point.
    model : {'p_median', 'mclp', 'lscp'}
    limit : float, optional
        Coverage limit, minutes or metres (required for MCLP and LSCP).
    time_limit_s : float
        Solver time limit, seconds.
    moved_tolerance_m : float
        A planned object whose matched optimum site is farther than this has moved, metres.

    Returns
    -------
    PlanComparison

    Raises
    ------
    LayerError
        If the cost matrix has no planned sites.
    PlanError
        From the models (see :func:`~alatau_geo.analysis.siting.set_covering`).
    """
    planned = costs.sites.index[costs.columns("planned")].tolist()
    fixed = costs.sites.index[costs.columns("fixed")].tolist()
    if not planned:
        raise LayerError("comparison: the cost matrix has no planned sites; pass the catalogue's objects as planned")
    plan = evaluate_sites(costs, weights, [*fixed, *planned], model=model, limit=limit)
    p = len(fixed) + len(planned)
    if model == "p_median":
        optimum = p_median(costs, weights, p=p, limit=limit, time_limit_s=time_limit_s)
    elif model == "mclp":
        optimum = max_covering(costs, weights, p=p, limit=float(limit), time_limit_s=time_limit_s)
    else:
        optimum = set_covering(costs, weights, limit=float(limit), time_limit_s=time_limit_s)
    summary = pd.DataFrame([_summary(plan), _summary(optimum)], index=pd.Index(["plan", "optimum"], name="placement"),
                           columns=list(SUMMARY_COLUMNS))
    chosen = [site for site in optimum.open_sites if costs.sites.loc[site, "role"] != "fixed"]
    return PlanComparison(summary=summary, moves=_moves(costs, planned, chosen, moved_tolerance_m), plan=plan,
                          optimum=optimum)


def _summary(result: SitingResult) -> dict[str, object]:
    return {"model": result.model, "sites": len(result.open_sites), "objective": result.objective,
            "objective_unit": result.objective_unit, "coverage": result.coverage, "limit": result.limit,
            "unreachable_points": len(result.unreachable), "status": result.status}


def _moves(costs: CostMatrix, planned: list[str], chosen: list[str], tolerance_m: float) -> pd.DataFrame:
    """Pair planned objects with optimum sites at least total straight-line distance."""
    xy = costs.sites[["x", "y"]]
    a, b = xy.loc[planned].to_numpy(), xy.loc[chosen].to_numpy()
    distance = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    rows, cols = linear_sum_assignment(distance) if len(chosen) else (np.array([], int), np.array([], int))
    match = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    records = []
    for i, site in enumerate(planned):
        if i in match:
            d = float(distance[i, match[i]])
            records.append({"planned": site, "optimum": chosen[match[i]], "distance_m": d,
                            "change": "moved" if d > tolerance_m else "kept"})
        else:
            records.append({"planned": site, "optimum": None, "distance_m": np.nan, "change": "not needed"})
    matched = set(match.values())
    records += [{"planned": None, "optimum": site, "distance_m": np.nan, "change": "added"}
                for j, site in enumerate(chosen) if j not in matched]
    return pd.DataFrame(records, columns=list(MOVE_COLUMNS))


__all__ = ["MOVE_COLUMNS", "SUMMARY_COLUMNS", "PlanComparison", "compare_with_plan"]
