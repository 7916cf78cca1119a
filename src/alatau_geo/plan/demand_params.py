"""Per-resident and per-job rates of the infrastructure demand (plan section ``[siting.demand]``).

:class:`DemandParams` holds the rates, :data:`DEFAULT_BASIS` the basis of
each default (a norm, or an assumption marked so), :data:`DEMAND_UNITS` the
demand columns :mod:`alatau_geo.analysis.demand` computes from them and
their units. The sources are listed in :mod:`alatau_geo.analysis.demand`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from alatau_geo.core.errors import PlanError
from alatau_geo.plan import param_values as pv
from alatau_geo.plan.param_values import Basis

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

RATE_UNITS: Mapping[str, str] = MappingProxyType({
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
"""Unit of every rate of :class:`DemandParams`."""


__all__ = ["DEFAULT_BASIS", "DEFAULT_PARAMS", "DEMAND_COLUMNS", "DEMAND_UNITS", "RATE_UNITS", "SECTION", "DemandParams"]
