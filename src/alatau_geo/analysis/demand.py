"""What the residents and jobs need: utility loads and social places per demand point, district and phase.

Demand points are the cells (or any points) of the population allocation,
one row per point and phase, with ``residents`` and ``jobs``. Every figure
here is a rate times residents or jobs; the rates are plan parameters
(:class:`~alatau_geo.plan.demand_params.DemandParams`, plan section
``[siting.demand]``) and :func:`demand_rates` lists each with its unit and
basis.

Figures and their units
-----------------------
=============================== ======== ===========================================================
column                          unit     formula
=============================== ======== ===========================================================
``electric_mw``                 MW       residents x kWh/year / hours of maximum load
                                         + jobs x kW per job
``water_m3_day``                m3/day   residents x l/day + jobs x l/day (average day)
``water_max_m3_day``            m3/day   ``water_m3_day`` x maximum-day factor (the design day)
``wastewater_m3_day``           m3/day   ``water_m3_day`` x wastewater share (average day)
``gas_m3_h``                    m3/h     (residents x m3/year + jobs x m3/year) / hours of maximum use
``school_places``               places   residents / 1000 x places per 1,000
``kindergarten_places``         places   residents / 1000 x places per 1,000
``clinic_visits_per_shift``     visits   residents / 1000 x visits per shift per 1,000
=============================== ======== ===========================================================

The aggregated rates (kWh per person per year, hours of maximum load, gas
hours of maximum use) are city-level norms: they already hold the diversity
of many consumers, so a cell's figure is its share of the coincident peak,
not the peak of the cell alone. Space heating is not in the gas figure.

Sources (approximate: the norms give ranges and depend on the standard of
the buildings; each default is marked ``norm`` or ``assumed`` in
:data:`DEFAULT_BASIS`, and a value set in the plan is marked ``plan``):
SNiP 2.07.01-89* (urban planning, Soviet-era, still the reference of the
aggregated loads), SNiP 2.04.02-84* (external water supply), SNiP 2.04.01-85*
(internal water supply), SNiP 2.04.03-85 (sewerage), SP 42-101-2003 (gas
distribution), and Kazakhstan's planning code SP RK 3.01-101-2013
"Urban planning. Planning and development of urban and rural settlements"
for the social norms, which it computes from the demographic structure
(its tables were not checked here: the school and kindergarten figures per
1,000 residents are assumptions for Kazakhstan's age structure, marked so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import pandas as pd

from alatau_geo.core.errors import LayerError
from alatau_geo.plan.demand_params import (
    DEFAULT_BASIS,
    DEFAULT_PARAMS,
    DEMAND_COLUMNS,
    DEMAND_UNITS,
    RATE_UNITS,
    SECTION,
    DemandParams,
)
from alatau_geo.plan.param_values import USER_BASIS


def demand_rates(params: DemandParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Every rate with its unit and basis, for the siting report.

    A rate that differs from its default has basis ``plan`` ("set in the
    plan file"): the default's source no longer covers it.

    Returns
    -------
    DataFrame
        Indexed by the plan entry (``siting.demand.<name>``): ``value``,
        ``unit``, ``basis`` (norm / assumed / plan), ``source``.

    Examples
    --------
    >>> table = demand_rates(DemandParams(water_l_per_resident_day=250))
    >>> row = table.loc["siting.demand.water_l_per_resident_day"]
    >>> float(row["value"]), row["basis"]
    (250.0, 'plan')
    >>> table.loc["siting.demand.wastewater_share", "basis"]
    'norm'
    """
    rows = []
    for item in fields(params):
        value = float(getattr(params, item.name))
        basis = DEFAULT_BASIS[item.name] if value == float(item.default) else USER_BASIS
        rows.append({"entry": f"{SECTION}.{item.name}", "value": value, "unit": RATE_UNITS[item.name],
                     "basis": basis.kind, "source": basis.source})
    return pd.DataFrame(rows).set_index("entry")


def point_demand(points: pd.DataFrame, params: DemandParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Utility loads and social places of every demand point.

    Parameters
    ----------
    points : DataFrame or GeoDataFrame
        One row per demand point (and phase): ``residents`` and ``jobs``
        (counts, at least 0); ``id``, ``district`` and ``phase`` are carried
        over when present.
    params : DemandParams

    Returns
    -------
    DataFrame
        Index of `points`: ``id``, ``district``, ``phase`` (those present),
        ``residents``, ``jobs`` and the columns of :data:`DEMAND_UNITS`.

    Raises
    ------
    LayerError
        If ``residents`` or ``jobs`` is missing, or a value is negative or
        not a number (the message lists the rows).

    Examples
    --------
    >>> cells = pd.DataFrame({"id": ["a", "b"], "residents": [1000, 0], "jobs": [0, 1000]})
    >>> out = point_demand(cells)
    >>> out[["electric_mw", "water_m3_day", "school_places"]].round(3).to_dict("list")
    {'electric_mw': [0.414, 0.8], 'water_m3_day': [300.0, 25.0], 'school_places': [180.0, 0.0]}
    """
    residents, jobs = _counts(points, "residents"), _counts(points, "jobs")
    per_thousand = residents / 1000.0
    water = (residents * params.water_l_per_resident_day + jobs * params.water_l_per_job_day) / 1000.0
    gas_year = residents * params.gas_m3_per_resident_year + jobs * params.gas_m3_per_job_year
    figures = {
        "electric_mw": (residents * params.electricity_kw_per_resident + jobs * params.electricity_kw_per_job) / 1000.0,
        "water_m3_day": water,
        "water_max_m3_day": water * params.water_max_day_factor,
        "wastewater_m3_day": water * params.wastewater_share,
        "gas_m3_h": gas_year / params.gas_max_load_hours,
        "school_places": per_thousand * params.school_places_per_1000,
        "kindergarten_places": per_thousand * params.kindergarten_places_per_1000,
        "clinic_visits_per_shift": per_thousand * params.clinic_visits_per_shift_per_1000,
    }
    carried = [column for column in ("id", "district", "phase") if column in points.columns]
    out = pd.DataFrame(points[carried].copy(), index=points.index)
    out["residents"], out["jobs"] = residents, jobs
    for column, values in figures.items():
        out[column] = values
    return out


def _counts(points: pd.DataFrame, column: str) -> np.ndarray:
    if column not in points.columns:
        raise LayerError(f"demand points: missing column '{column}'; give residents and jobs per point")
    values = pd.to_numeric(points[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        labels = points["id"] if "id" in points.columns else pd.Series(points.index, index=points.index)
        shown = ", ".join(map(str, labels[bad].iloc[:10]))
        more = f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
        raise LayerError(f"demand points: '{column}' must be a number of at least 0; bad at {shown}{more}")
    return values


def demand_totals(demand: pd.DataFrame, *, by: Sequence[str] = ("district", "phase")) -> pd.DataFrame:
    """Sum the demand of the points per group (district and phase by default).

    Parameters
    ----------
    demand : DataFrame
        From :func:`point_demand`.
    by : sequence of str
        Columns to group by; ``("phase",)`` gives the city per phase, ``()``
        the grand total. Points without a district form the group ``""``.

    Returns
    -------
    DataFrame
        One row per group, sorted: ``points``, ``residents``, ``jobs`` and
        the columns of :data:`DEMAND_UNITS` (sums).

    Raises
    ------
    LayerError
        If a grouping column is missing.

    Examples
    --------
    >>> cells = pd.DataFrame({"district": ["gate", "gate", "golden"], "residents": [500, 500, 2000],
    ...                       "jobs": [0, 0, 0]})
    >>> demand_totals(point_demand(cells), by=["district"])["school_places"].to_dict()
    {'gate': 180.0, 'golden': 360.0}
    """
    missing = [column for column in by if column not in demand.columns]
    if missing:
        raise LayerError(f"demand: cannot group by missing column(s) {', '.join(missing)}")
    values = ["residents", "jobs", *DEMAND_COLUMNS]
    frame = demand[[*by, *values]].copy()
    frame.insert(0, "points", 1)
    if not by:
        return frame[["points", *values]].sum().to_frame("total").T
    keys = [frame[column] if pd.api.types.is_numeric_dtype(frame[column]) else frame[column].fillna("")
            for column in by]
    return frame.drop(columns=list(by)).groupby(keys, sort=True, dropna=False).sum()


__all__ = ["DEMAND_COLUMNS", "DEMAND_UNITS", "demand_rates", "demand_totals", "point_demand"]
