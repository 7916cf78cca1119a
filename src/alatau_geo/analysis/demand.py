"""What the residents and jobs need: utility loads and social places per demand point, district and phase.

Demand points are the cells (or any points) of the population allocation,
one row per point and phase, with ``residents`` and ``jobs``. Every figure
here is a rate times residents or jobs; the rates are plan parameters
(:class:`DemandParams`, plan section ``[siting.demand]``) and
:func:`demand_rates` lists each with its unit and basis.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alatau_geo.analysis import _plan_values as pv
from alatau_geo.analysis._plan_values import USER_BASIS, Basis
from alatau_geo.core.errors import LayerError, PlanError

SECTION = "siting.demand"

DEMAND_UNITS: Mapping[str, str] = MappingProxyType({
    "electric_mw": "MW",
    "water_m3_day": "m3/day",
    "water_max_m3_day": "m3/day",
    "wastewater_m3_day": "m3/day",
    "gas_m3_h": "m3/h",
    "school_places": "places",
    "kindergarten_places": "places",
    "clinic_visits_per_shift": "visits per shift",
})
"""Every demand column and its unit."""

DEMAND_COLUMNS = tuple(DEMAND_UNITS)


@dataclass(frozen=True)
class DemandParams:
    """Per-resident and per-job rates of the infrastructure demand (plan section ``[siting.demand]``).

    The basis of each default is in :data:`DEFAULT_BASIS`.

    Attributes
    ----------
    electricity_kwh_per_resident_year : float
        Electricity use per resident, kWh/year, municipal and domestic
        (homes, public buildings, street lighting, electric transport,
        water and heat systems).
    electricity_max_load_hours : float
        Hours of use of the maximum load, h/year: load = use / hours.
    electricity_kw_per_job : float
        Load per job beyond the municipal figure (offices, industry), kW.
    water_l_per_resident_day : float
        Household and public-building water use per resident, l/day (average day).
    water_l_per_job_day : float
        Water use per job at work, l/day (one shift).
    water_max_day_factor : float
        Maximum-day factor (K_day,max), at least 1.
    wastewater_share : float
        Wastewater as a share of water use, in (0, 1].
    gas_m3_per_resident_year : float
        Household gas per resident (cooking, hot water), m3/year; no heating.
    gas_m3_per_job_year : float
        Gas per job, m3/year.
    gas_max_load_hours : float
        Hours of maximum gas use, h/year: peak hour = annual use / hours
        (SP 42-101-2003's hourly maximum coefficient is 1 / hours).
    school_places_per_1000, kindergarten_places_per_1000 : float
        Places per 1,000 residents.
    clinic_visits_per_shift_per_1000 : float
        Outpatient clinic visits per shift per 1,000 residents.
    """

    electricity_kwh_per_resident_year: float = 2400.0
    electricity_max_load_hours: float = 5800.0
    electricity_kw_per_job: float = 0.8
    water_l_per_resident_day: float = 300.0
    water_l_per_job_day: float = 25.0
    water_max_day_factor: float = 1.2
    wastewater_share: float = 1.0
    gas_m3_per_resident_year: float = 120.0
    gas_m3_per_job_year: float = 0.0
    gas_max_load_hours: float = 3000.0
    school_places_per_1000: float = 180.0
    kindergarten_places_per_1000: float = 90.0
    clinic_visits_per_shift_per_1000: float = 18.15

    def __post_init__(self) -> None:
        for item in fields(self):
            entry = f"{SECTION}.{item.name}"
            if item.name.endswith("_hours"):
                pv.positive(getattr(self, item.name), entry, unit=" h")
            elif item.name == "water_max_day_factor":
                pv.at_least(self.water_max_day_factor, entry, 1.0)
            elif item.name == "wastewater_share":
                pv.share(self.wastewater_share, entry)
            else:
                pv.at_least(getattr(self, item.name), entry)
            object.__setattr__(self, item.name, float(getattr(self, item.name)))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> DemandParams:
        """Rates from the plan's ``[siting.demand]`` table; keys left out keep their defaults.

        Raises
        ------
        PlanError
            For an unknown key or a value of the wrong type or range, naming
            `source` and the entry.
        """
        try:
            pv.known_keys(data, (f.name for f in fields(cls)), SECTION)
            for key, value in data.items():
                pv.number(value, f"{SECTION}.{key}")
            return cls(**data)
        except PlanError as error:
            raise pv.with_source(error, source) from None

    @property
    def electricity_kw_per_resident(self) -> float:
        """Load per resident, kW: annual use over the hours of maximum load."""
        return self.electricity_kwh_per_resident_year / self.electricity_max_load_hours


DEFAULT_PARAMS = DemandParams()

_APPROX = "approximate: the norm gives a range; check against the approved design brief"
DEFAULT_BASIS: Mapping[str, Basis] = MappingProxyType({
    "electricity_kwh_per_resident_year": Basis(
        "norm", "SNiP 2.07.01-89* App. 12, aggregated electricity use: large city with stationary electric "
        f"stoves and air conditioners 2,400 kWh/person/year (1,700-2,400 by equipment); {_APPROX}"),
    "electricity_max_load_hours": Basis(
        "norm", f"SNiP 2.07.01-89* App. 12: 5,800 h/year of maximum load for the same row (5,200-5,800); {_APPROX}"),
    "electricity_kw_per_job": Basis(
        "assumed", "offices about 40-50 W/m2 over 15-20 m2 per workplace; industry varies by plant and should "
        "be entered per project"),
    "water_l_per_resident_day": Basis(
        "norm", "SNiP 2.04.02-84* Table 1: buildings with central hot water 230-350 l/person/day, public "
        f"buildings included; upper half for the hot, dry climate; {_APPROX}"),
    "water_l_per_job_day": Basis(
        "norm", f"SNiP 2.04.01-85* App. 3: workers in production shops 25 l per shift (offices 12-16); {_APPROX}"),
    "water_max_day_factor": Basis("norm", "SNiP 2.04.02-84* 2.2: K_day,max 1.1-1.3"),
    "wastewater_share": Basis("norm", "SNiP 2.04.03-85 2.1: wastewater equals water use, irrigation excluded"),
    "gas_m3_per_resident_year": Basis(
        "norm", "SP 42-101-2003 3.12: 120 m3/person/year with central hot water (300 with gas water heaters, "
        "180 without hot water); heating not included"),
    "gas_m3_per_job_year": Basis(
        "assumed", "0: process and heating gas of enterprises is sized per project, not per job"),
    "gas_max_load_hours": Basis(
        "norm", "SP 42-101-2003 Table 2: hourly maximum coefficient about 1/3,000 for 300,000 residents "
        f"supplied (about 1/1,800 for 1,000, falling further for millions); {_APPROX}"),
    "school_places_per_1000": Basis(
        "assumed", "SP RK 3.01-101-2013 sets school places from the demographic structure; Kazakhstan has "
        "about 190-200 pupils per 1,000 residents; replace with the city's demographic forecast"),
    "kindergarten_places_per_1000": Basis(
        "assumed", "SP RK 3.01-101-2013 sets preschool places from the demographic structure (the SNiP "
        "2.07.01-89* method: about 85 % of children aged 1-6); about 90 per 1,000 for Kazakhstan's age "
        "structure; replace with the city's forecast"),
    "clinic_visits_per_shift_per_1000": Basis(
        "norm", "SNiP 2.07.01-89* App. 7: outpatient clinics 18.15 visits per shift per 1,000 residents, the "
        f"figure the Kazakh planning norms inherit; {_APPROX}"),
})
"""Basis of each default rate of :class:`DemandParams`."""

_RATE_UNITS: Mapping[str, str] = MappingProxyType({
    "electricity_kwh_per_resident_year": "kWh/resident/year",
    "electricity_max_load_hours": "h/year",
    "electricity_kw_per_job": "kW/job",
    "water_l_per_resident_day": "l/resident/day",
    "water_l_per_job_day": "l/job/day",
    "water_max_day_factor": "factor",
    "wastewater_share": "share",
    "gas_m3_per_resident_year": "m3/resident/year",
    "gas_m3_per_job_year": "m3/job/year",
    "gas_max_load_hours": "h/year",
    "school_places_per_1000": "places per 1,000 residents",
    "kindergarten_places_per_1000": "places per 1,000 residents",
    "clinic_visits_per_shift_per_1000": "visits per shift per 1,000 residents",
})


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
        rows.append({"entry": f"{SECTION}.{item.name}", "value": value, "unit": _RATE_UNITS[item.name],
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


__all__ = [
    "DEFAULT_BASIS", "DEFAULT_PARAMS", "DEMAND_COLUMNS", "DEMAND_UNITS", "DemandParams", "demand_rates",
    "demand_totals", "point_demand",
]
