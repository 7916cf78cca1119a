"""Where facilities serve best: p-median, maximal covering and set covering over the network's cost matrix.

The three classic location-allocation models of :mod:`spopt.locate`, each
built ``from_cost_matrix`` on a :class:`~alatau_geo.analysis.cost_matrix.CostMatrix`
and solved by PuLP's bundled CBC solver:

- :func:`p_median`: ``p`` facilities with the least total weighted cost
  (demand x minutes);
- :func:`max_covering` (MCLP): ``p`` facilities covering the most demand
  within the limit;
- :func:`set_covering` (LSCP): the fewest facilities that cover every demand
  point within the limit.

Fixed sites (existing or reconstructed objects) are kept open by every model
(spopt's predefined facilities) and count towards ``p``; planned sites are
never chosen, only evaluated
(:func:`~alatau_geo.analysis.catchments.evaluate_sites`). Demand points
with no demand take no part in the models but are still allocated.

Exact reductions keep the models small: for the p-median, demand points
attached to the same graph node enter as one client with their summed
weight (their costs differ by their own connector only, a constant that
cannot change which sites are best); for the covering models, demand points
covered by the same set of sites enter as one client. Weights are scaled to
a mean of 1 inside the solver; every reported figure is recomputed from the
full matrix by :func:`~alatau_geo.analysis.catchments.measure`, so the optimum and the plan are
measured by the same code. A p-median with one site to choose beside the
fixed ones is solved by trying every candidate (exact, no solver).

The time limit
--------------
The solver is started from a heuristic solution (spopt's model variables
given initial values, CBC's MIP start: greedy, and for the p-median greedy
improved by vertex substitution), so when ``time_limit_s`` expires it still
returns the best solution found; the result's ``status`` is then
``time_limit`` rather than ``optimal``. The limit is CBC's and CBC checks
it between its phases, so it bounds the search, not the whole call:
building the model in PuLP, writing it for CBC and solving the root LP
relaxation run to their end. They grow with clients x sites for the
p-median (about 2,500 x 121 in ``benchmarks/bench_siting.py``: some 15 s to
build and 15-30 s for the root LP on two shared cores); the covering models
stay small (clients x sites, one row per client).

Catchments (:mod:`alatau_geo.analysis.catchments`): every demand point is
allocated to its nearest open site (the p-median's own allocation; for the
covering models the usual post-allocation), so the catchments partition the
demand reached.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pulp

from alatau_geo.analysis.catchments import SitingResult, Status, check_limit, demand_weights, measure
from alatau_geo.analysis.cost_matrix import CostMatrix
from alatau_geo.core.errors import PlanError
from alatau_geo.plan import param_values as pv
from alatau_geo.plan.siting_params import DEFAULT_PARAMS, SECTION

logger = logging.getLogger(__name__)

_SHOWN = 20  # demand points named in an infeasibility message before "and N more"
_BIG_M_FACTOR = 100.0  # an unreachable pair costs this many times the largest reachable cost
_MAX_SWAPS = 200  # vertex substitution passes of the p-median start
_LARGE_MODEL = 200_000  # clients x sites beyond which building and the root LP may outlast the time limit


# --------------------------------------------------------------------------- models


def p_median(costs: CostMatrix, weights: pd.Series | np.ndarray, *, p: int, limit: float | None = None,
             time_limit_s: float = DEFAULT_PARAMS.time_limit_s) -> SitingResult:
    """The ``p`` sites (fixed ones included) with the least total weighted cost.

    Parameters
    ----------
    costs : CostMatrix
    weights : Series or ndarray
        Demand per point.
    p : int
        Number of open sites, fixed ones included.
    limit : float, optional
        Only for the reported coverage (minutes or metres).
    time_limit_s : float
        Solver time limit, seconds.

    Returns
    -------
    SitingResult
        Objective in demand x minutes (or metres).

    Raises
    ------
    PlanError
        If ``p`` is below the number of fixed sites or above that of usable
        sites, or the solver finds no solution in time.

    Examples
    --------
    Five nodes 1 km apart at 1 minute per km; most demand at the west end:

    >>> import geopandas as gpd, networkx as nx
    >>> from alatau_geo.analysis.cost_matrix import cost_matrix
    >>> graph = nx.MultiDiGraph(crs="EPSG:32643")
    >>> graph.add_nodes_from((n, {"x": 500_000.0 + 1000 * n, "y": 4_800_000.0}) for n in range(5))
    >>> keys = graph.add_edges_from((a, b, {"length": 1000.0, "travel_time": 60.0})
    ...                             for n in range(4) for a, b in ((n, n + 1), (n + 1, n)))
    >>> xs = [500_000.0 + 1000 * n for n in range(5)]
    >>> points = gpd.GeoDataFrame({"id": [f"n{n}" for n in range(5)]}, crs="EPSG:32643",
    ...                           geometry=gpd.points_from_xy(xs, [4_800_000.0] * 5))
    >>> costs = cost_matrix(graph, points, points)
    >>> best = p_median(costs, pd.Series([9.0, 1, 1, 1, 1], index=points["id"], name="residents"), p=1)
    >>> best.open_sites, best.objective, best.objective_unit, best.status
    (('n0',), 10.0, 'residents x min', 'optimal')
    """
    demand = demand_weights(costs, weights)
    w = demand.to_numpy()
    check_limit("p_median", limit)
    columns, fixed = _model_columns(costs, p=p)
    active = (w > 0) & (costs.group >= 0)
    groups, inverse = np.unique(costs.group[active], return_inverse=True)
    matrix = costs.node_costs[groups][:, columns]
    client_w = np.bincount(inverse, weights=w[active], minlength=len(groups))
    keep = np.isfinite(matrix).any(axis=1)
    matrix, client_w = matrix[keep], client_w[keep]
    if len(matrix) == 0 or p == int(fixed.sum()):
        return measure(costs, demand, columns[fixed | _greedy_median(matrix, client_w, fixed, p)], model="p_median",
                       limit=limit, status="optimal", time_limit_s=time_limit_s)
    finite = matrix[np.isfinite(matrix)]
    matrix = np.where(np.isfinite(matrix), matrix, _BIG_M_FACTOR * (finite.max() + 1.0))
    if p == int(fixed.sum()) + 1:  # one site to choose: the greedy step tries every one, so it is exact
        return measure(costs, demand, columns[_greedy_median(matrix, client_w, fixed, p)], model="p_median",
                       limit=limit, status="optimal", time_limit_s=time_limit_s)
    _warn_if_large(matrix.shape, "p-median")
    client_w = client_w / client_w.mean()
    from spopt.locate import PMedian  # imported here: spopt takes a second or two to import

    with _pulp_v4_notices_off():
        problem = PMedian.from_cost_matrix(matrix, client_w, p_facilities=p,
                                           predefined_facilities_arr=_predefined(fixed))
    start = _swap_median(matrix, client_w, _greedy_median(matrix, client_w, fixed, p), fixed)
    _start_values(problem.fac_vars, start)
    nearest = np.flatnonzero(start)[matrix[:, start].argmin(axis=1)]
    for (i, j), variable in np.ndenumerate(problem.cli_assgn_vars):
        variable.setInitialValue(1 if nearest[i] == j else 0)
    status, seconds = _solve(problem.problem, time_limit_s, "p-median")
    return measure(costs, demand, columns[_opened(problem.fac_vars)], model="p_median", limit=limit, status=status,
                   time_limit_s=time_limit_s, solve_s=seconds)


def max_covering(costs: CostMatrix, weights: pd.Series | np.ndarray, *, p: int, limit: float,
                 time_limit_s: float = DEFAULT_PARAMS.time_limit_s) -> SitingResult:
    """The ``p`` sites (fixed ones included) covering the most demand within `limit` (MCLP).

    Returns
    -------
    SitingResult
        Objective: demand covered, in the weights' units.

    Raises
    ------
    PlanError
        As :func:`p_median`.
    """
    demand = demand_weights(costs, weights)
    w = demand.to_numpy()
    check_limit("mclp", limit)
    columns, fixed = _model_columns(costs, p=p)
    matrix, client_w = _coverage_clients(costs, w, columns, limit)
    cover = matrix <= limit
    useful = cover.any(axis=1)
    matrix, cover, client_w = matrix[useful], cover[useful], client_w[useful]
    start = _greedy_cover(cover, client_w, fixed, p=p)
    if len(matrix) == 0 or p == int(fixed.sum()):
        return measure(costs, demand, columns[start], model="mclp", limit=limit, status="optimal",
                       time_limit_s=time_limit_s)
    _warn_if_large(matrix.shape, "maximal covering")
    from spopt.locate import MCLP

    with _pulp_v4_notices_off():
        problem = MCLP.from_cost_matrix(matrix, client_w / client_w.mean(), service_radius=limit, p_facilities=p,
                                        predefined_facilities_arr=_predefined(fixed))
    _start_values(problem.fac_vars, start)
    _start_values(problem.cli_vars, cover[:, start].any(axis=1))
    status, seconds = _solve(problem.problem, time_limit_s, "maximal covering")
    return measure(costs, demand, columns[_opened(problem.fac_vars)], model="mclp", limit=limit, status=status,
                   time_limit_s=time_limit_s, solve_s=seconds)


def set_covering(costs: CostMatrix, weights: pd.Series | np.ndarray, *, limit: float,
                 time_limit_s: float = DEFAULT_PARAMS.time_limit_s) -> SitingResult:
    """The fewest sites (fixed ones included) that cover every demand point with demand within `limit` (LSCP).

    Returns
    -------
    SitingResult
        Objective: number of open sites.

    Raises
    ------
    PlanError
        If a demand point with demand is reached by no site within `limit`
        (the message names the points and their district), or the solver
        finds no solution in time.
    """
    demand = demand_weights(costs, weights)
    w = demand.to_numpy()
    check_limit("lscp", limit)
    columns, fixed = _model_columns(costs, p=None)
    _require_coverable(costs, w, columns, limit)
    matrix, client_w = _coverage_clients(costs, w, columns, limit)
    cover = matrix <= limit
    start = _greedy_cover(cover, client_w, fixed, p=None)
    if cover[:, fixed].any(axis=1).all():
        return measure(costs, demand, columns[fixed], model="lscp", limit=limit, status="optimal",
                       time_limit_s=time_limit_s)
    _warn_if_large(matrix.shape, "set covering")
    from spopt.locate import LSCP

    with _pulp_v4_notices_off():
        problem = LSCP.from_cost_matrix(matrix, service_radius=limit, predefined_facilities_arr=_predefined(fixed))
    _start_values(problem.fac_vars, start)
    status, seconds = _solve(problem.problem, time_limit_s, "set covering")
    return measure(costs, demand, columns[_opened(problem.fac_vars)], model="lscp", limit=limit, status=status,
                   time_limit_s=time_limit_s, solve_s=seconds)


def _model_columns(costs: CostMatrix, *, p: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Columns the models may open (fixed sites, candidates on the network) and which of them are fixed."""
    roles = costs.sites["role"].to_numpy()
    usable = (roles == "fixed") | ((roles == "candidate") & costs.sites["on_network"].to_numpy(bool))
    columns = np.flatnonzero(usable)
    fixed = roles[columns] == "fixed"
    if p is not None and not max(int(fixed.sum()), 1) <= p <= len(columns):
        raise PlanError(f"siting: p = {p} must lie between the {int(fixed.sum())} fixed sites (at least 1) and "
                        f"the {len(columns)} usable sites (fixed plus candidates on the network)")
    return columns, fixed


def _coverage_clients(costs: CostMatrix, w: np.ndarray, columns: np.ndarray,
                      limit: float) -> tuple[np.ndarray, np.ndarray]:
    """One client per distinct set of covering sites: a representative cost row and the summed demand."""
    active = np.flatnonzero((w > 0) & (costs.group >= 0))
    matrix = costs.node_costs[costs.group[active]][:, columns] + costs.connector[active, None]
    packed = np.packbits(matrix <= limit, axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return matrix[first], np.bincount(inverse.ravel(), weights=w[active], minlength=len(first))


def _require_coverable(costs: CostMatrix, w: np.ndarray, columns: np.ndarray, limit: float) -> None:
    """Raise when a demand point with demand has no site within `limit`, naming the points and districts."""
    reach = np.full(len(w), False)
    on = costs.group >= 0
    reach[on] = ((costs.node_costs[costs.group[on]][:, columns] + costs.connector[on, None]) <= limit).any(axis=1)
    stranded = np.flatnonzero((w > 0) & ~reach)
    if len(stranded) == 0:
        return
    districts = costs.demand["district"].to_numpy()
    names = [f"{costs.demand.index[i]} ({districts[i] if isinstance(districts[i], str) else 'no district'})"
             for i in stranded[:_SHOWN]]
    more = f" and {len(stranded) - _SHOWN} more" if len(stranded) > _SHOWN else ""
    raise PlanError(f"set covering is infeasible: {len(stranded)} demand point(s) no site reaches within "
                    f"{limit:g} {costs.unit}: {', '.join(names)}{more}; add candidate sites near them or raise "
                    "the limit")


def _warn_if_large(shape: tuple[int, int], what: str) -> None:
    if shape[0] * shape[1] > _LARGE_MODEL:
        logger.warning("%s: %d clients x %d sites; building the model and its root LP are not bounded by the "
                       "time limit and may take minutes: use fewer candidate sites (a coarser grid) to go faster",
                       what, *shape)


@contextlib.contextmanager
def _pulp_v4_notices_off() -> Iterator[None]:
    """Silence PuLP 3.3's notices about its 4.0 API, raised inside spopt's model building (not ours to fix)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*PuLP 4\.0", category=DeprecationWarning)
        yield


def _predefined(fixed: np.ndarray) -> np.ndarray | None:
    return fixed.astype(int) if fixed.any() else None


def _greedy_median(matrix: np.ndarray, w: np.ndarray, fixed: np.ndarray, p: int) -> np.ndarray:
    """Greedy p-median start: the fixed sites, then each time the site that lowers the total cost most."""
    chosen = fixed.copy()
    best = matrix[:, chosen].min(axis=1) if chosen.any() else np.full(len(matrix), np.inf)
    while chosen.sum() < p:
        totals = (w[:, None] * np.minimum(best[:, None], matrix)).sum(axis=0)
        totals[chosen] = np.inf
        site = int(np.argmin(totals))
        chosen[site] = True
        best = np.minimum(best, matrix[:, site])
    return chosen


def _swap_median(matrix: np.ndarray, w: np.ndarray, chosen: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Improve a p-median start by vertex substitution (Teitz and Bart, 1968).

    Each pass makes the one swap of an open, non-fixed site for a closed one
    that lowers the total weighted cost most, until no swap lowers it (or
    :data:`_MAX_SWAPS` swaps). Every swap is scored for all clients at once
    from each client's nearest and second-nearest open site.
    """
    chosen = chosen.copy()
    rows = np.arange(len(matrix))
    for _ in range(_MAX_SWAPS):
        open_sites, closed = np.flatnonzero(chosen), np.flatnonzero(~chosen)
        if len(closed) == 0:
            break
        order = np.argsort(matrix[:, open_sites], axis=1, kind="stable")
        best = matrix[rows, open_sites[order[:, 0]]]
        second = matrix[rows, open_sites[order[:, 1]]] if len(open_sites) > 1 else np.full(len(rows), np.inf)
        nearest = open_sites[order[:, 0]]
        total = float(w @ best)
        gain, swap = 1e-9 * total, None
        for out in open_sites[~fixed[open_sites]]:
            kept = np.where(nearest == out, second, best)
            totals = w @ np.minimum(kept[:, None], matrix[:, closed])
            k = int(np.argmin(totals))
            if total - totals[k] > gain:
                gain, swap = total - totals[k], (out, closed[k])
        if swap is None:
            break
        chosen[swap[0]], chosen[swap[1]] = False, True
    return chosen


def _greedy_cover(cover: np.ndarray, w: np.ndarray, fixed: np.ndarray, *, p: int | None) -> np.ndarray:
    """Greedy covering start: the fixed sites, then each time the site covering most uncovered demand.

    With ``p``: stop at ``p`` sites (MCLP); without: when everything is covered (LSCP).
    """
    chosen = fixed.copy()
    covered = cover[:, chosen].any(axis=1)
    while (chosen.sum() < p) if p is not None else not covered.all():
        gain = w[~covered] @ cover[~covered]
        gain[chosen] = -1.0
        site = int(np.argmax(gain))
        chosen[site] = True
        covered |= cover[:, site]
    return chosen


def _start_values(variables: list[pulp.LpVariable], values: np.ndarray) -> None:
    for variable, value in zip(variables, values, strict=True):
        variable.setInitialValue(1 if value else 0)


def _opened(variables: list[pulp.LpVariable]) -> np.ndarray:
    return np.array([(variable.value() or 0.0) > 0.5 for variable in variables], dtype=bool)


def _solve(problem: pulp.LpProblem, time_limit_s: float, what: str) -> tuple[Status, float]:
    """Solve with CBC from the MIP start; report expiry of the time limit, never hang or return nothing."""
    pv.positive(time_limit_s, f"{SECTION}.time_limit_s", unit=" s")
    started = time.perf_counter()
    with _pulp_v4_notices_off():  # PULP_CBC_CMD is PuLP 3's bundled CBC; pyproject pins pulp below 4
        problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, warmStart=True))
    seconds = time.perf_counter() - started
    if problem.sol_status == pulp.LpSolutionOptimal:
        return "optimal", seconds
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        logger.warning("%s: solver time limit of %g s reached; reporting the best solution found", what,
                       time_limit_s)
        return "time_limit", seconds
    raise PlanError(f"{what}: the solver found no solution within '{SECTION}.time_limit_s' = {time_limit_s:g} s "
                    f"(status: {pulp.LpStatus[problem.status]}); raise the limit")


__all__ = ["max_covering", "p_median", "set_covering"]
