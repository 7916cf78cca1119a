"""How many facilities the demand needs, by phase, beside the catalogue's count.

For each facility kind the plan gives the demand it serves (a column of
:mod:`alatau_geo.analysis.demand`) and the installed size of one facility
(:class:`~alatau_geo.plan.capacity_params.FacilityCapacity`, plan section
``[siting.capacity.<kind>]``). The
firm capacity of one facility in demand units is

    capacity = installed x power_factor x max_loading

(for a substation: MVA x cos(phi) x the loading share that lets one
transformer carry the substation when the other fails; 1 and 1 for plants
and social facilities), and the number needed is ``ceil(demand /
capacity)``. :func:`facilities_needed` sets it beside the count of that kind
in the infrastructure catalogue: enough, or how many more. The catalogue has
no phases: every phase is compared with the whole catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alatau_geo.core.errors import LayerError
from alatau_geo.plan.capacity_params import DEFAULT_PARAMS, SizingParams
from alatau_geo.plan.demand_params import DEMAND_UNITS

SIZING_COLUMNS = ("kind", "demand_column", "demand", "unit", "capacity_per_facility", "needed", "in_catalogue",
                  "more_needed", "verdict", "basis")


def facilities_needed(
    totals: pd.DataFrame,
    params: SizingParams = DEFAULT_PARAMS,
    *,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Facilities of each kind the demand needs, beside the catalogue's count.

    Parameters
    ----------
    totals : DataFrame
        From :func:`~alatau_geo.analysis.demand.demand_totals`: one row per
        group (e.g. per phase, or per district and phase), the demand columns.
    params : SizingParams
    catalogue : DataFrame, optional
        The infrastructure catalogue or its placed layer (``kind`` and
        ``district`` columns). When `totals` is grouped by district, only the
        objects of that district count.

    Returns
    -------
    DataFrame
        One row per group and kind (the group levels of `totals` as
        columns first): ``kind``, ``demand_column``, ``demand``, ``unit``,
        ``capacity_per_facility`` (firm, demand units), ``needed``
        (ceil(demand / capacity)), ``in_catalogue``, ``more_needed`` (0 when
        enough), ``verdict`` (``enough``, ``enough, 2 spare``, ``3 more``),
        ``basis`` of the size.

    Raises
    ------
    LayerError
        If `totals` lacks a demand column a kind needs, or the catalogue lacks
        ``kind`` (or ``district`` when grouped by district).

    Examples
    --------
    >>> from alatau_geo.plan.capacity_params import FacilityCapacity
    >>> totals = pd.DataFrame({"electric_mw": [162.0, 163.0]}, index=pd.Index([2030, 2050], name="phase"))
    >>> one = SizingParams(facilities={"substation": FacilityCapacity("electric_mw", 100.0, "MVA",
    ...                                                               power_factor=0.9, max_loading=0.9)})
    >>> catalogue = pd.DataFrame({"kind": ["substation", "substation"], "district": ["gate", "gate"]})
    >>> facilities_needed(totals, one, catalogue=catalogue)[["phase", "needed", "verdict"]].values.tolist()
    [[2030, 2, 'enough'], [2050, 3, '1 more']]
    """
    groups = totals.reset_index() if totals.index.names != [None] else totals.reset_index(drop=True)
    levels = [name for name in totals.index.names if name is not None]
    counts = _catalogue_counts(catalogue, by_district="district" in levels)
    rows = []
    for group in groups.to_dict("records"):
        for kind, facility in params.facilities.items():
            if facility.demand not in groups.columns:
                raise LayerError(f"demand totals: no column '{facility.demand}' for the kind {kind!r}")
            demand = float(group[facility.demand])
            needed = math.ceil(round(demand / facility.capacity, 9))
            district = group["district"] if "district" in levels else None
            have = int(counts.get((kind, district), 0))
            rows.append({**{level: group[level] for level in levels}, "kind": kind,
                         "demand_column": facility.demand, "demand": demand,
                         "unit": DEMAND_UNITS[facility.demand], "capacity_per_facility": facility.capacity,
                         "needed": needed, "in_catalogue": have, "more_needed": max(needed - have, 0),
                         "verdict": _verdict(needed, have), "basis": params.basis(kind).kind})
    result = pd.DataFrame(rows, columns=[*levels, *SIZING_COLUMNS])
    return result.sort_values([*levels, "kind"], kind="stable").reset_index(drop=True)


def _verdict(needed: int, have: int) -> str:
    if needed > have:
        return f"{needed - have} more"
    return "enough" if needed == have else f"enough, {have - needed} spare"


def _catalogue_counts(catalogue: pd.DataFrame | None, *, by_district: bool) -> Mapping[tuple[str, Any], int]:
    """Objects per (kind, district) -- district None when counting the whole city."""
    if catalogue is None:
        return {}
    needed = ["kind", "district"] if by_district else ["kind"]
    missing = [column for column in needed if column not in catalogue.columns]
    if missing:
        raise LayerError(f"catalogue: missing column(s) {', '.join(missing)}")
    kinds = catalogue["kind"].astype(str).to_numpy()
    districts = catalogue["district"].to_numpy(dtype=object) if by_district else np.full(len(kinds), None)
    counts: dict[tuple[str, Any], int] = {}
    for kind, district in zip(kinds, districts, strict=True):
        key = (kind, district if isinstance(district, str) and district else None)
        counts[key] = counts.get(key, 0) + 1
    return counts


__all__ = ["SIZING_COLUMNS", "facilities_needed"]
