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
never chosen, only evaluated (:func:`evaluate_sites`). Demand points with no
demand take no part in the models but are still allocated.

Exact reductions keep the models small: for the p-median, demand points
attached to the same graph node enter as one client with their summed
weight (their costs differ by their own connector only, a constant that
cannot change which sites are best); for the covering models, demand points
covered by the same set of sites enter as one client. Weights are scaled to
a mean of 1 inside the solver; every reported figure is recomputed from the
full matrix by :func:`evaluate_sites`, so the optimum and the plan are
measured by the same code.

The time limit
--------------
The solver is started from a greedy solution (spopt's model variables given
initial values, CBC's MIP start), so when ``time_limit_s`` expires it still
returns the best solution found; the result's ``status`` is then
``time_limit`` rather than ``optimal``. Building the model in PuLP is not
covered by the limit: it grows with clients x sites (p-median) and takes
seconds for a few thousand of each.

Catchments: every demand point is allocated to its nearest open site (the
p-median's own allocation; for the covering models the usual
post-allocation), so the catchments partition the demand reached.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import pulp

from alatau_geo.analysis import _plan_values as pv
from alatau_geo.analysis._plan_values import Basis
from alatau_geo.analysis.cost_matrix import CostMatrix
from alatau_geo.analysis.demand import DEMAND_COLUMNS
from alatau_geo.errors import LayerError, PlanError

logger = logging.getLogger(__name__)

Model = Literal["p_median", "mclp", "lscp"]
Status = Literal["optimal", "time_limit", "given"]
MODELS: tuple[Model, ...] = ("p_median", "mclp", "lscp")
SECTION = "siting"
_SHOWN = 20  # demand points named in an infeasibility message before "and N more"
_BIG_M_FACTOR = 100.0  # an unreachable pair costs this many times the largest reachable cost


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class KindSiting:
    """How one facility kind is sited (plan section ``[siting.kinds.<kind>]``).

    Attributes
    ----------
    demand : str
        The demand column weighting the points (e.g. ``electric_mw``).
    cost : {'time', 'length'}
        Travel time on the network (minutes) or street length (metres).
    limit : float
        Coverage limit of MCLP and LSCP, in minutes or metres.
    """

    demand: str
    cost: Literal["time", "length"] = "time"
    limit: float = 10.0

    def check(self, kind: str) -> None:
        """Raise a PlanError naming ``siting.kinds.<kind>.<entry>`` for a bad value."""
        entry = f"{SECTION}.kinds.{kind}"
        pv.one_of(self.demand, f"{entry}.demand", DEMAND_COLUMNS)
        pv.one_of(self.cost, f"{entry}.cost", ("time", "length"))
        pv.positive(self.limit, f"{entry}.limit", unit=" min" if self.cost == "time" else " m")


_DEFAULT_KINDS = {
    "substation": KindSiting("electric_mw", "time", 8.0),
    "water_intake": KindSiting("water_max_m3_day", "time", 26.0),
    "wastewater_plant": KindSiting("wastewater_m3_day", "time", 13.0),
    "gas_distribution_station": KindSiting("gas_m3_h", "time", 20.0),
    "school": KindSiting("school_places", "length", 500.0),
    "kindergarten": KindSiting("kindergarten_places", "length", 300.0),
    "clinic": KindSiting("clinic_visits_per_shift", "length", 1000.0),
}

_DETOUR = ("the plan's straight-line service radius ([service_radii_m]) times about 1.3 for street detours, "
           "at the 30 km/h street speed")
DEFAULT_BASIS: Mapping[str, Basis] = MappingProxyType({
    "substation": Basis("assumed", f"8 min ~ 4 km of street: {_DETOUR} (3 km)"),
    "water_intake": Basis("assumed", f"26 min ~ 13 km of street: {_DETOUR} (10 km)"),
    "wastewater_plant": Basis("assumed", f"13 min ~ 6.5 km of street: {_DETOUR} (5 km)"),
    "gas_distribution_station": Basis("assumed", "20 min ~ 10 km of street; no norm used"),
    "school": Basis("norm", "SNiP 2.07.01-89* 5.8: service radius of a school 500 m, taken as walking "
                            "distance along the streets; approximate"),
    "kindergarten": Basis("norm", "SNiP 2.07.01-89* 5.8: service radius of a kindergarten 300 m; approximate"),
    "clinic": Basis("norm", "SNiP 2.07.01-89* 5.8: service radius of an outpatient clinic 1,000 m; approximate"),
})
"""Basis of each default coverage limit."""


def _kinds(values: Mapping[str, KindSiting]) -> Mapping[str, KindSiting]:
    return MappingProxyType(dict(sorted(values.items())))


@dataclass(frozen=True)
class SitingParams:
    """Parameters of the siting models (plan section ``[siting]``).

    Attributes
    ----------
    time_limit_s : float
        Longest the solver may run per model, seconds; on expiry the best
        solution found is reported with status ``time_limit``.
    moved_tolerance_m : float
        A planned object counts as moved when the optimum's site is farther
        than this, metres.
    kinds : Mapping[str, KindSiting]
        Demand column, cost and coverage limit per facility kind.
    """

    time_limit_s: float = 60.0
    moved_tolerance_m: float = 1.0
    kinds: Mapping[str, KindSiting] = field(default_factory=lambda: _kinds(_DEFAULT_KINDS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", _kinds(self.kinds))
        pv.positive(self.time_limit_s, f"{SECTION}.time_limit_s", unit=" s")
        pv.at_least(self.moved_tolerance_m, f"{SECTION}.moved_tolerance_m", unit=" m")
        for kind, siting in self.kinds.items():
            siting.check(kind)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> SitingParams:
        """Parameters from the plan's ``[siting]`` table, without its ``demand`` and ``capacity`` subtables.

        A kind given in ``[siting.kinds.<kind>]`` is merged into its default;
        a new kind needs ``demand``.

        Raises
        ------
        PlanError
            For an unknown key or a bad value, naming `source` and the entry.
        """
        try:
            pv.known_keys(data, ("time_limit_s", "moved_tolerance_m", "kinds", "demand", "capacity"), SECTION)
            values: dict[str, Any] = {key: pv.number(data[key], f"{SECTION}.{key}")
                                      for key in ("time_limit_s", "moved_tolerance_m") if key in data}
            kinds = dict(_DEFAULT_KINDS)
            for kind, entries in pv.table(data.get("kinds", {}), f"{SECTION}.kinds").items():
                entry = f"{SECTION}.kinds.{kind}"
                entries = dict(pv.table(entries, entry))
                pv.known_keys(entries, (f.name for f in fields(KindSiting)), entry)
                if "limit" in entries:
                    entries["limit"] = pv.number(entries["limit"], f"{entry}.limit")
                if kind not in kinds and "demand" not in entries:
                    raise PlanError(f"'{entry}' needs demand")
                kinds[kind] = replace(kinds[kind], **entries) if kind in kinds else KindSiting(**entries)
            return cls(**values, kinds=kinds)
        except PlanError as error:
            raise pv.with_source(error, source) from None


DEFAULT_PARAMS = SitingParams()


# --------------------------------------------------------------------------- results


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
    w, _ = _weights(costs, weights)
    _check_limit(model, limit)
    return _result(costs, w, costs.positions(tuple(open_sites)), model=model, limit=limit, status="given")


def _result(costs: CostMatrix, w: np.ndarray, columns: np.ndarray, *, model: Model, limit: float | None,
            status: Status, time_limit_s: float = np.nan, solve_s: float = 0.0) -> SitingResult:
    """Allocate every demand point to its nearest open site and measure the result."""
    columns = np.asarray(columns, dtype=np.int64)
    cost = np.full((len(costs.group), len(columns)), np.inf)
    on = costs.group >= 0
    cost[on] = costs.node_costs[costs.group[on]][:, columns] + costs.connector[on, None]
    nearest = cost.argmin(axis=1) if len(columns) else np.zeros(len(cost), dtype=np.int64)
    best = cost[np.arange(len(cost)), nearest] if len(columns) else np.full(len(cost), np.inf)
    reachable = np.isfinite(best)
    covered = reachable & (best <= limit) if limit is not None else reachable
    ids = costs.sites.index.to_numpy()[columns]
    allocation = pd.DataFrame({
        "district": costs.demand["district"].to_numpy(), "weight": w,
        "site": np.where(reachable, ids[nearest] if len(columns) else None, None),
        "cost": best, "reachable": reachable, "covered": covered,
    }, index=costs.demand.index)
    sites = costs.sites.iloc[columns][["role", "x", "y"]].copy()
    assigned = np.where(reachable, nearest, -1)
    sites["demand_points"] = np.bincount(assigned[reachable], minlength=len(columns))
    sites["load"] = np.bincount(assigned[reachable], weights=w[reachable], minlength=len(columns))
    sites["covered_load"] = np.bincount(assigned[covered], weights=w[covered], minlength=len(columns))
    weighted = np.bincount(assigned[reachable], weights=(w * np.where(reachable, best, 0))[reachable],
                           minlength=len(columns))
    with np.errstate(invalid="ignore", divide="ignore"):
        sites["mean_cost"] = np.where(sites["load"] > 0, weighted / sites["load"].to_numpy(), np.nan)
    served = reachable & (w > 0)
    sites["max_cost"] = pd.Series(best[served]).groupby(assigned[served]).max().reindex(
        range(len(columns))).to_numpy()
    total = w.sum()
    objective, unit = _objective(model, w, best, covered, len(columns), costs.unit)
    return SitingResult(
        model=model, sites=sites, allocation=allocation, objective=objective, objective_unit=unit,
        coverage=float(w[covered].sum() / total) if limit is not None and total > 0 else np.nan, limit=limit,
        status=status, time_limit_s=time_limit_s, solve_s=solve_s,
        unreachable=tuple(map(str, costs.demand.index[(w > 0) & ~reachable])),
    )


def _objective(model: Model, w: np.ndarray, best: np.ndarray, covered: np.ndarray, count: int,
               unit: str) -> tuple[float, str]:
    if model == "p_median":
        reached = np.isfinite(best)
        return float((w[reached] * best[reached]).sum()), f"demand x {unit}"
    if model == "mclp":
        return float(w[covered].sum()), "demand covered"
    return float(count), "sites"


def _weights(costs: CostMatrix, weights: pd.Series | np.ndarray) -> tuple[np.ndarray, str]:
    """Demand per point in the matrix's order, checked; and its name."""
    if isinstance(weights, pd.Series):
        missing = costs.demand.index.difference(weights.index)
        if len(missing):
            raise LayerError(f"weights: no value for demand point(s) {', '.join(map(str, missing[:10]))}")
        name = str(weights.name) if weights.name is not None else "demand"
        values = weights.reindex(costs.demand.index).to_numpy(dtype=float)
    else:
        values, name = np.asarray(weights, dtype=float), "demand"
        if values.shape != (len(costs.group),):
            raise LayerError(f"weights: {values.shape[0]} values for {len(costs.group)} demand points")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise LayerError(f"weights: must be numbers of at least 0; bad at {', '.join(map(str, costs.demand.index[bad][:10]))}")
    if not (values > 0).any():
        raise LayerError(f"weights: every demand point has {name} 0; there is nothing to site")
    return values, name


def _check_limit(model: Model, limit: float | None) -> None:
    if model not in MODELS:
        raise PlanError(f"siting model must be one of {', '.join(MODELS)}, got {model!r}")
    if model != "p_median" and limit is None:
        raise PlanError(f"siting model {model} needs a coverage limit")
    if limit is not None:
        pv.positive(limit, "siting limit")


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
    """
    w, _ = _weights(costs, weights)
    _check_limit("p_median", limit)
    columns, fixed = _model_columns(costs, p=p)
    active = (w > 0) & (costs.group >= 0)
    groups, inverse = np.unique(costs.group[active], return_inverse=True)
    matrix = costs.node_costs[groups][:, columns]
    client_w = np.bincount(inverse, weights=w[active], minlength=len(groups))
    keep = np.isfinite(matrix).any(axis=1)
    matrix, client_w = matrix[keep], client_w[keep]
    if len(matrix) == 0 or p == int(fixed.sum()):
        return _result(costs, w, columns[fixed | _greedy_median(matrix, client_w, fixed, p)], model="p_median",
                       limit=limit, status="optimal", time_limit_s=time_limit_s)
    finite = matrix[np.isfinite(matrix)]
    matrix = np.where(np.isfinite(matrix), matrix, _BIG_M_FACTOR * (finite.max() + 1.0))
    client_w = client_w / client_w.mean()
    from spopt.locate import PMedian  # imported here: spopt takes a second or two to import

    with _pulp_v4_notices_off():
        problem = PMedian.from_cost_matrix(matrix, client_w, p_facilities=p,
                                           predefined_facilities_arr=_predefined(fixed))
    start = _greedy_median(matrix, client_w, fixed, p)
    _start_values(problem.fac_vars, start)
    nearest = np.flatnonzero(start)[matrix[:, start].argmin(axis=1)]
    for (i, j), variable in np.ndenumerate(problem.cli_assgn_vars):
        variable.setInitialValue(1 if nearest[i] == j else 0)
    status, seconds = _solve(problem.problem, time_limit_s, "p-median")
    return _result(costs, w, columns[_opened(problem.fac_vars)], model="p_median", limit=limit, status=status,
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
    w, _ = _weights(costs, weights)
    _check_limit("mclp", limit)
    columns, fixed = _model_columns(costs, p=p)
    matrix, client_w = _coverage_clients(costs, w, columns, limit)
    cover = matrix <= limit
    useful = cover.any(axis=1)
    matrix, cover, client_w = matrix[useful], cover[useful], client_w[useful]
    start = _greedy_cover(cover, client_w, fixed, p=p)
    if len(matrix) == 0 or p == int(fixed.sum()):
        return _result(costs, w, columns[start], model="mclp", limit=limit, status="optimal",
                       time_limit_s=time_limit_s)
    from spopt.locate import MCLP

    with _pulp_v4_notices_off():
        problem = MCLP.from_cost_matrix(matrix, client_w / client_w.mean(), service_radius=limit, p_facilities=p,
                                        predefined_facilities_arr=_predefined(fixed))
    _start_values(problem.fac_vars, start)
    _start_values(problem.cli_vars, cover[:, start].any(axis=1))
    status, seconds = _solve(problem.problem, time_limit_s, "maximal covering")
    return _result(costs, w, columns[_opened(problem.fac_vars)], model="mclp", limit=limit, status=status,
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
    w, _ = _weights(costs, weights)
    _check_limit("lscp", limit)
    columns, fixed = _model_columns(costs, p=None)
    _require_coverable(costs, w, columns, limit)
    matrix, client_w = _coverage_clients(costs, w, columns, limit)
    cover = matrix <= limit
    start = _greedy_cover(cover, client_w, fixed, p=None)
    if cover[:, fixed].any(axis=1).all():
        return _result(costs, w, columns[fixed], model="lscp", limit=limit, status="optimal",
                       time_limit_s=time_limit_s)
    from spopt.locate import LSCP

    with _pulp_v4_notices_off():
        problem = LSCP.from_cost_matrix(matrix, service_radius=limit, predefined_facilities_arr=_predefined(fixed))
    _start_values(problem.fac_vars, start)
    status, seconds = _solve(problem.problem, time_limit_s, "set covering")
    return _result(costs, w, columns[_opened(problem.fac_vars)], model="lscp", limit=limit, status=status,
                   time_limit_s=time_limit_s, solve_s=seconds)


def _model_columns(costs: CostMatrix, *, p: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Columns the models may open (fixed sites, candidates on the network) and which of them are fixed."""
    roles = costs.sites["role"].to_numpy()
    usable = (roles == "fixed") | ((roles == "candidate") & costs.sites["on_network"].to_numpy(bool))
    columns = np.flatnonzero(usable)
    fixed = roles[columns] == "fixed"
    if p is not None and not int(fixed.sum()) <= p <= len(columns):
        raise PlanError(f"siting: p = {p} must lie between the {int(fixed.sum())} fixed sites and the "
                        f"{len(columns)} usable sites (fixed plus candidates on the network)")
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
    names = [f"{costs.demand.index[i]} ({districts[i] or 'no district'})" for i in stranded[:_SHOWN]]
    more = f" and {len(stranded) - _SHOWN} more" if len(stranded) > _SHOWN else ""
    raise PlanError(f"set covering is infeasible: {len(stranded)} demand point(s) no site reaches within "
                    f"{limit:g} {costs.unit}: {', '.join(names)}{more}; add candidate sites near them or raise the limit")


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


__all__ = [
    "DEFAULT_BASIS", "DEFAULT_PARAMS", "MODELS", "KindSiting", "SitingParams", "SitingResult", "evaluate_sites",
    "max_covering", "p_median", "set_covering",
]
