"""One facility kind sited: the three models, the plan beside the optimum, and the recommended sites.

:func:`site_kind` runs the models of :mod:`alatau_geo.analysis.siting` on a
kind's cost matrix (demand blocks to fixed, candidate and planned sites):

- when the catalogue has planned objects of the kind, each model measures
  them and solves for the optimum
  (:func:`~alatau_geo.analysis.siting_compare.compare_with_plan`: p-median
  and maximal covering with as many sites as the catalogue, set covering
  with the fewest), and lists which planned objects the optimum moves;
- otherwise each model is solved for the number of facilities the demand
  needs (set covering for the fewest).

The recommended sites are the p-median's for ``max(needed, in the
catalogue)`` facilities, fixed ones kept (at most the usable sites): least
total travel for as many facilities as the demand needs, and never fewer
than the plan has. Before the set covering, every demand block with demand
must be reached within the limit by some site; if one is not, a one-line
:class:`~alatau_geo.core.errors.PlanError` names the blocks, where they are
(lon, lat) and their district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from alatau_geo.analysis.catchments import MODELS, SitingResult
from alatau_geo.analysis.cost_matrix import CostMatrix
from alatau_geo.analysis.siting import max_covering, p_median, set_covering
from alatau_geo.analysis.siting_compare import MOVE_COLUMNS, compare_with_plan
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import PlanError
from alatau_geo.plan.siting_params import KindSiting, SitingParams

_TO_LONLAT = Transformer.from_crs(WORKING_CRS, EXPORT_CRS, always_xy=True)
_SHOWN = 10  # blocks named in an infeasibility message before "and N more"
MODEL_NAMES = MappingProxyType({"p_median": "p-median", "mclp": "maximal covering", "lscp": "set covering"})
"""How the report names each model."""


@dataclass(frozen=True, eq=False)
class KindSitingResult:
    """A facility kind sited by every model, beside the catalogue's objects.

    Attributes
    ----------
    kind : str
    settings : KindSiting
        Demand column, cost and coverage limit.
    capacity : float
        Firm capacity of one facility, in the demand's units.
    needed : int
        Facilities the demand needs (ceil(demand / capacity)).
    in_catalogue : int
        The catalogue's objects of the kind in the area (fixed and planned).
    recommended : SitingResult
        The p-median for ``max(needed, in_catalogue)`` sites.
    optimum, plan : Mapping[str, SitingResult]
        By model (``p_median``, ``mclp``, ``lscp``); ``plan`` is empty when
        the catalogue has no planned object of the kind.
    moves : DataFrame
        ``model`` and :data:`~alatau_geo.analysis.siting_compare.MOVE_COLUMNS`:
        which planned object the optimum moves, by how far (m).
    notes : tuple of str
        What a reader should know (a capped count, a time limit reached).
    """

    kind: str
    settings: KindSiting
    capacity: float
    needed: int
    in_catalogue: int
    recommended: SitingResult
    optimum: dict[str, SitingResult]
    plan: dict[str, SitingResult] = field(default_factory=dict)
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["model", *MOVE_COLUMNS]))
    notes: tuple[str, ...] = ()

    def results(self) -> list[tuple[str, str, SitingResult]]:
        """Every result as (model, placement, result); placement is ``plan``, ``optimum`` or ``recommended``."""
        rows = []
        for model in MODELS:
            if model in self.plan:
                rows.append((model, "plan", self.plan[model]))
            rows.append((model, "optimum", self.optimum[model]))
        rows.append(("p_median", "recommended", self.recommended))
        return rows

    def summary(self) -> pd.DataFrame:
        """One row per model and placement: sites, objective, coverage within the limit, status, solver time."""
        rows = [{"kind": self.kind, "model": model, "placement": placement, "sites": len(result.open_sites),
                 "objective": result.objective, "objective_unit": result.objective_unit,
                 "coverage": result.coverage, "limit": self.settings.limit, "limit_unit": _unit(self.settings),
                 "unreachable_blocks": len(result.unreachable), "status": result.status,
                 "solve_s": round(result.solve_s, 2)}
                for model, placement, result in self.results()]
        return pd.DataFrame(rows)

    def sites(self) -> pd.DataFrame:
        """One row per open site of every result: position and catchment (load, share of capacity, travel)."""
        frames = []
        for model, placement, result in self.results():
            frame = result.sites.reset_index().rename(columns={"id": "site"})
            frame.insert(0, "placement", placement)
            frame.insert(0, "model", model)
            frame.insert(0, "kind", self.kind)
            frame["load_share"] = frame["load"] / self.capacity
            frame["cost_unit"] = _unit(self.settings)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def _unit(settings: KindSiting) -> str:
    return "min" if settings.cost == "time" else "m"


def site_kind(kind: str, costs: CostMatrix, weights: pd.Series, *, needed: int, capacity: float,
              params: SitingParams) -> KindSitingResult:
    """Site one facility kind by every model and compare with the catalogue's objects.

    Parameters
    ----------
    kind : str
        A kind of ``params.kinds``.
    costs : CostMatrix
        Demand blocks to the kind's fixed, candidate and planned sites, in
        the kind's cost (minutes or metres).
    weights : Series
        The kind's demand per block (indexed by block id; its name is the
        demand column).
    needed : int
        Facilities the demand needs.
    capacity : float
        Firm capacity of one facility, demand units.
    params : SitingParams
        Time limit, moved tolerance and the kind's limit.

    Returns
    -------
    KindSitingResult

    Raises
    ------
    PlanError
        If the set covering is infeasible (naming the blocks, where they are
        and their district), or a solver finds no solution in time.
    """
    settings = params.kinds[kind]
    fixed, planned = len(costs.columns("fixed")), len(costs.columns("planned"))
    usable = fixed + int((costs.sites["role"].eq("candidate") & costs.sites["on_network"]).sum())
    count = max(needed, fixed + planned, fixed, 1)
    notes = []
    if count > usable:
        notes.append(f"{kind}: {count} facilities wanted but only {usable} usable sites (fixed plus candidates "
                     f"on the network); siting {usable}: raise 'siting.max_candidates' for more")
        count = usable
    _require_coverable(kind, costs, weights, settings)
    timing = {"time_limit_s": params.time_limit_s}
    optimum, plan, moves = {}, {}, []
    if planned:
        for model in MODELS:
            comparison = compare_with_plan(costs, weights, model=model, limit=settings.limit,
                                           moved_tolerance_m=params.moved_tolerance_m, **timing)
            plan[model], optimum[model] = comparison.plan, comparison.optimum
            moves.append(comparison.moves.assign(model=model))
    else:
        optimum["p_median"] = p_median(costs, weights, p=count, limit=settings.limit, **timing)
        optimum["mclp"] = max_covering(costs, weights, p=count, limit=settings.limit, **timing)
        optimum["lscp"] = set_covering(costs, weights, limit=settings.limit, **timing)
    same = len(optimum["p_median"].open_sites) == count
    recommended = optimum["p_median"] if same else p_median(costs, weights, p=count, limit=settings.limit, **timing)
    for model, placement, result in _all(optimum, plan, recommended):
        if result.time_limit_reached:
            notes.append(f"{kind}, {MODEL_NAMES[model]} ({placement}): the solver stopped at its time limit of "
                         f"{params.time_limit_s:g} s ('siting.time_limit_s'); the best solution found is reported")
    table = pd.concat(moves, ignore_index=True)[["model", *MOVE_COLUMNS]] if moves else None
    extra: dict[str, Any] = {} if table is None else {"moves": table}
    return KindSitingResult(kind=kind, settings=settings, capacity=capacity, needed=needed,
                            in_catalogue=fixed + planned, recommended=recommended, optimum=optimum, plan=plan,
                            notes=tuple(dict.fromkeys(notes)), **extra)


def _all(optimum: dict[str, SitingResult], plan: dict[str, SitingResult],
         recommended: SitingResult) -> list[tuple[str, str, SitingResult]]:
    rows = [(model, "optimum", result) for model, result in optimum.items()]
    rows += [(model, "plan", result) for model, result in plan.items()]
    return [*rows, ("p_median", "recommended", recommended)]


def _require_coverable(kind: str, costs: CostMatrix, weights: pd.Series, settings: KindSiting) -> None:
    """Raise when a block with demand has no usable site within the limit, naming the blocks and where they are."""
    roles = costs.sites["role"].to_numpy()
    usable = np.flatnonzero((roles == "fixed") | ((roles == "candidate") & costs.sites["on_network"].to_numpy()))
    w = weights.reindex(costs.demand.index).fillna(0.0).to_numpy(dtype=float)
    reach = costs.values[:, usable].min(axis=1) if len(usable) else np.full(len(w), np.inf)
    stranded = np.flatnonzero((w > 0) & ~(reach <= settings.limit))
    if len(stranded) == 0:
        return
    demand = costs.demand.iloc[stranded[:_SHOWN]]
    lon, lat = _TO_LONLAT.transform(demand["x"].to_numpy(), demand["y"].to_numpy())
    named = [f"{block} at {x:.4f} E {y:.4f} N ({district if isinstance(district, str) and district else 'no district'})"
             for block, x, y, district in zip(demand.index, lon, lat, demand["district"], strict=True)]
    more = f" and {len(stranded) - _SHOWN} more" if len(stranded) > _SHOWN else ""
    raise PlanError(
        f"{kind}: set covering is infeasible: {len(stranded)} demand block(s) no site reaches within "
        f"{settings.limit:g} {_unit(settings)}: {'; '.join(named)}{more}. Raise 'siting.kinds.{kind}.limit' or "
        "'siting.max_candidates', or connect the blocks to the road network"
    )


__all__ = ["MODEL_NAMES", "KindSitingResult", "site_kind"]
