"""The size of one facility of each kind (plan section ``[siting.capacity]``).

The firm capacity of one facility in the units of its demand column is

    capacity = installed x power_factor x max_loading

(for a substation: MVA x cos(phi) x the loading share that lets one
transformer carry the substation when the other fails; 1 and 1 for plants
and social facilities). :mod:`alatau_geo.analysis.sizing` turns demand into
the number of facilities needed with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from alatau_geo.core.errors import PlanError
from alatau_geo.plan import param_values as pv
from alatau_geo.plan.demand_params import DEMAND_COLUMNS
from alatau_geo.plan.param_values import USER_BASIS, Basis

SECTION = "siting.capacity"


@dataclass(frozen=True)
class FacilityCapacity:
    """The size of one facility of a kind.

    Attributes
    ----------
    demand : str
        The demand column it serves (one of :data:`~alatau_geo.analysis.demand.DEMAND_UNITS`).
    installed : float
        Installed size of one facility, in `installed_unit`.
    installed_unit : str
        E.g. ``MVA``, ``m3/day``, ``places``.
    power_factor : float
        cos(phi) turning MVA into MW, in (0, 1]; 1 for everything but substations.
    max_loading : float
        Share of the installed size usable in normal operation, in (0, 1].
    """

    demand: str
    installed: float
    installed_unit: str
    power_factor: float = 1.0
    max_loading: float = 1.0

    def check(self, kind: str) -> None:
        """Raise a PlanError naming ``siting.capacity.<kind>.<entry>`` for a bad value."""
        entry = f"{SECTION}.{kind}"
        pv.one_of(self.demand, f"{entry}.demand", DEMAND_COLUMNS)
        pv.positive(self.installed, f"{entry}.installed", unit=f" {self.installed_unit}")
        pv.share(self.power_factor, f"{entry}.power_factor")
        pv.share(self.max_loading, f"{entry}.max_loading")

    @property
    def capacity(self) -> float:
        """Firm capacity of one facility in the units of its demand column."""
        return self.installed * self.power_factor * self.max_loading


_DEFAULT_FACILITIES = {
    "substation": FacilityCapacity("electric_mw", 126.0, "MVA", power_factor=0.92, max_loading=0.7),
    "water_intake": FacilityCapacity("water_max_m3_day", 200_000.0, "m3/day"),
    "wastewater_plant": FacilityCapacity("wastewater_m3_day", 100_000.0, "m3/day"),
    "gas_distribution_station": FacilityCapacity("gas_m3_h", 30_000.0, "m3/h"),
    "school": FacilityCapacity("school_places", 1200.0, "places"),
    "kindergarten": FacilityCapacity("kindergarten_places", 280.0, "places"),
    "clinic": FacilityCapacity("clinic_visits_per_shift", 500.0, "visits per shift"),
}

DEFAULT_BASIS: Mapping[str, Basis] = MappingProxyType({
    "substation": Basis(
        "assumed", "a 110/10 kV urban substation with two 63 MVA transformers (126 MVA); cos(phi) 0.92; "
        "each transformer loaded to 70 % in normal operation so that one carries the substation at 140 % "
        "when the other fails (usual two-transformer practice; approximate)"),
    "water_intake": Basis("assumed", "200,000 m3/day per intake node on the maximum day; no design published"),
    "wastewater_plant": Basis("assumed", "100,000 m3/day per treatment plant (average day); no design published"),
    "gas_distribution_station": Basis(
        "assumed", "30,000 m3/h per gas distribution station; no design published"),
    "school": Basis("assumed", "1,200 places, a common standard school design in Kazakhstan's cities (900-1,500)"),
    "kindergarten": Basis("assumed", "280 places, a common standard kindergarten design (160-320)"),
    "clinic": Basis("assumed", "500 visits per shift per outpatient clinic (standard designs 250-750)"),
})
"""Basis of each default facility size."""


def _facilities(values: Mapping[str, FacilityCapacity]) -> Mapping[str, FacilityCapacity]:
    return MappingProxyType(dict(sorted(values.items())))


@dataclass(frozen=True)
class SizingParams:
    """The size of one facility of every kind (plan section ``[siting.capacity]``).

    Attributes
    ----------
    facilities : Mapping[str, FacilityCapacity]
        By facility kind (the catalogue's ``kind`` for the engineering
        objects: ``substation``, ``water_intake``, ``wastewater_plant``).
    """

    facilities: Mapping[str, FacilityCapacity] = field(default_factory=lambda: _facilities(_DEFAULT_FACILITIES))

    def __post_init__(self) -> None:
        object.__setattr__(self, "facilities", _facilities(self.facilities))
        for kind, facility in self.facilities.items():
            facility.check(kind)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> SizingParams:
        """Sizes from the plan's ``[siting.capacity]`` table of kinds.

        A kind given in the plan is merged into its default (keys left out
        keep the default); a new kind needs ``demand``, ``installed`` and
        ``installed_unit``.

        Raises
        ------
        PlanError
            For an unknown key, a missing one or a bad value, naming `source`
            and the entry (``siting.capacity.<kind>.<key>``).
        """
        facilities = dict(_DEFAULT_FACILITIES)
        try:
            for kind, entries in data.items():
                entries = pv.table(entries, f"{SECTION}.{kind}")
                pv.known_keys(entries, (f.name for f in fields(FacilityCapacity)), f"{SECTION}.{kind}")
                values = dict(entries)
                for key in values.keys() - {"demand", "installed_unit"}:
                    pv.number(values[key], f"{SECTION}.{kind}.{key}")
                if kind in facilities:
                    facilities[kind] = replace(facilities[kind], **values)
                else:
                    needed = [key for key in ("demand", "installed", "installed_unit") if key not in values]
                    if needed:
                        raise PlanError(f"'{SECTION}.{kind}' needs {', '.join(needed)}")
                    facilities[kind] = FacilityCapacity(**values)
            return cls(facilities=facilities)
        except PlanError as error:
            raise pv.with_source(error, source) from None

    def basis(self, kind: str) -> Basis:
        """Basis of the size of `kind`: its default's, or ``plan`` when the plan changed it."""
        default = _DEFAULT_FACILITIES.get(kind)
        return DEFAULT_BASIS[kind] if default == self.facilities[kind] else USER_BASIS


DEFAULT_PARAMS = SizingParams()


__all__ = ["DEFAULT_BASIS", "DEFAULT_PARAMS", "SECTION", "FacilityCapacity", "SizingParams"]
