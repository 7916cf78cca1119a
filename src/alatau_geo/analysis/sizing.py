"""How many facilities the demand needs, by phase, beside the catalogue's count.

For each facility kind the plan gives the demand it serves (a column of
:mod:`alatau_geo.analysis.demand`) and the installed size of one facility
(:class:`FacilityCapacity`, plan section ``[siting.capacity.<kind>]``). The
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
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alatau_geo.analysis import _plan_values as pv
from alatau_geo.analysis._plan_values import USER_BASIS, Basis
from alatau_geo.analysis.demand import DEMAND_COLUMNS, DEMAND_UNITS
from alatau_geo.core.errors import LayerError, PlanError

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


__all__ = ["DEFAULT_BASIS", "DEFAULT_PARAMS", "SIZING_COLUMNS", "FacilityCapacity", "SizingParams",
           "facilities_needed"]
