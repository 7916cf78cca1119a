"""Plan parameters of the siting models (plan section ``[siting]``).

The solver's time limit, the tolerance of a "moved" object, and per facility
kind the demand that weights the points, the cost on the network (minutes or
metres) and the coverage limit of the covering models. The proposed TOML
section, with the basis of every default, is ``docs/plan_sections/siting.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

from alatau_geo.analysis import _plan_values as pv
from alatau_geo.analysis._plan_values import Basis
from alatau_geo.analysis.demand import DEMAND_COLUMNS
from alatau_geo.core.errors import PlanError

SECTION = "siting"


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
            values: dict[str, Any] = {key: data[key] for key in ("time_limit_s", "moved_tolerance_m") if key in data}
            for key, value in values.items():
                pv.number(value, f"{SECTION}.{key}")
            kinds = dict(_DEFAULT_KINDS)
            for kind, entries in pv.table(data.get("kinds", {}), f"{SECTION}.kinds").items():
                entry = f"{SECTION}.kinds.{kind}"
                entries = dict(pv.table(entries, entry))
                pv.known_keys(entries, (f.name for f in fields(KindSiting)), entry)
                if "limit" in entries:
                    pv.number(entries["limit"], f"{entry}.limit")
                if kind not in kinds and "demand" not in entries:
                    raise PlanError(f"'{entry}' needs demand")
                kinds[kind] = replace(kinds[kind], **entries) if kind in kinds else KindSiting(**entries)
            return cls(**values, kinds=kinds)
        except PlanError as error:
            raise pv.with_source(error, source) from None


DEFAULT_PARAMS = SitingParams()


__all__ = ["DEFAULT_BASIS", "DEFAULT_PARAMS", "KindSiting", "SitingParams"]
