"""Plan parameters of the siting models (plan section ``[siting]``), and the whole section.

:class:`SitingParams`: the solver's time limit, the tolerance of a "moved"
object, the size of the demand blocks and the number of candidate sites,
and per facility kind (:class:`KindSiting`) the demand that weights the
points, the cost on the network (minutes or metres) and the coverage limit
of the covering models. :class:`SitingSection` is the whole ``[siting]``
section: these, the demand rates (``[siting.demand]``,
:class:`~alatau_geo.plan.demand_params.DemandParams`) and the facility sizes
(``[siting.capacity]``, :class:`~alatau_geo.plan.capacity_params.SizingParams`).
The section, with the basis of every default, is in the default plan
(``data/default_plan.toml``) and ``docs/plan_sections/siting.toml``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

from alatau_geo.core.errors import PlanError
from alatau_geo.plan import param_values as pv
from alatau_geo.plan.capacity_params import DEFAULT_PARAMS as DEFAULT_CAPACITY
from alatau_geo.plan.capacity_params import SizingParams
from alatau_geo.plan.demand_params import DEFAULT_PARAMS as DEFAULT_DEMAND
from alatau_geo.plan.demand_params import DEMAND_COLUMNS, DemandParams
from alatau_geo.plan.param_values import Basis

SECTION = "siting"
POPULATION_CELL_M = 100.0
"""Cell of the population grid the demand blocks are made of, metres."""
_TOP_KEYS = ("time_limit_s", "moved_tolerance_m", "demand_block_m", "max_candidates")


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

    def __post_init__(self) -> None:
        if isinstance(self.limit, int) and not isinstance(self.limit, bool):
            object.__setattr__(self, "limit", float(self.limit))

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
    demand_block_m : float
        Side of the demand blocks the allocated residents and jobs are
        summed into, metres; a whole multiple of :data:`POPULATION_CELL_M`.
        Coarser blocks solve faster; a block is one demand point.
    max_candidates : int
        Most candidate sites per facility kind: the placement-grid points
        that pass the kind's placement rules are thinned to a coarser grid
        until at most this many are left.
    kinds : Mapping[str, KindSiting]
        Demand column, cost and coverage limit per facility kind.
    """

    time_limit_s: float = 60.0
    moved_tolerance_m: float = 1.0
    demand_block_m: float = 2000.0
    max_candidates: int = 200
    kinds: Mapping[str, KindSiting] = field(default_factory=lambda: _kinds(_DEFAULT_KINDS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", _kinds(self.kinds))
        pv.positive(self.time_limit_s, f"{SECTION}.time_limit_s", unit=" s")
        pv.at_least(self.moved_tolerance_m, f"{SECTION}.moved_tolerance_m", unit=" m")
        pv.at_least(self.demand_block_m, f"{SECTION}.demand_block_m", POPULATION_CELL_M, unit=" m")
        cells = self.demand_block_m / POPULATION_CELL_M
        if abs(cells - round(cells)) > 1e-9:
            raise PlanError(f"'{SECTION}.demand_block_m' must be a whole multiple of the {POPULATION_CELL_M:g} m "
                            f"population cell, got {self.demand_block_m!r}")
        if isinstance(self.max_candidates, bool) or not isinstance(self.max_candidates, int) \
                or self.max_candidates < 1:
            raise PlanError(f"'{SECTION}.max_candidates' must be a whole number of at least 1, "
                            f"got {self.max_candidates!r}")
        for name in ("time_limit_s", "moved_tolerance_m", "demand_block_m"):
            object.__setattr__(self, name, float(getattr(self, name)))
        for kind, siting in self.kinds.items():
            siting.check(kind)

    @property
    def block_cells(self) -> int:
        """Population cells per side of a demand block."""
        return round(self.demand_block_m / POPULATION_CELL_M)

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
            pv.known_keys(data, (*_TOP_KEYS, "kinds", "demand", "capacity"), SECTION)
            values: dict[str, Any] = {key: data[key] for key in _TOP_KEYS if key in data}
            return cls(**values, kinds=_kinds_from(data.get("kinds", {})))
        except PlanError as error:
            raise pv.with_source(error, source) from None


def _kinds_from(data: Any) -> dict[str, KindSiting]:
    """The default kinds with the plan's ``[siting.kinds.<kind>]`` tables merged in."""
    kinds = dict(_DEFAULT_KINDS)
    for kind, entries in pv.table(data, f"{SECTION}.kinds").items():
        entry = f"{SECTION}.kinds.{kind}"
        entries = dict(pv.table(entries, entry))
        pv.known_keys(entries, (f.name for f in fields(KindSiting)), entry)
        if "limit" in entries:
            pv.number(entries["limit"], f"{entry}.limit")
        if kind not in kinds and "demand" not in entries:
            raise PlanError(f"'{entry}' needs demand")
        kinds[kind] = replace(kinds[kind], **entries) if kind in kinds else KindSiting(**entries)
    return kinds


DEFAULT_PARAMS = SitingParams()


@dataclass(frozen=True)
class SitingSection:
    """The plan's whole ``[siting]`` section: demand rates, facility sizes and the siting models.

    Attributes
    ----------
    demand : DemandParams
        ``[siting.demand]``: per-resident and per-job rates.
    capacity : SizingParams
        ``[siting.capacity.<kind>]``: the size of one facility of each kind.
    models : SitingParams
        ``[siting]`` and ``[siting.kinds.<kind>]``: time limit, blocks,
        candidates, and the demand, cost and coverage limit of each kind.

    Raises
    ------
    PlanError
        If a kind of ``[siting.kinds]`` has no size in ``[siting.capacity]``,
        or the two name different demand columns.

    Examples
    --------
    >>> section = SitingSection.from_mapping({"time_limit_s": 5, "kinds": {"substation": {"limit": 10}}})
    >>> section.models.time_limit_s, section.models.kinds["substation"].limit
    (5.0, 10.0)
    >>> SitingSection.from_mapping({"time_limit_s": 0}, source="plan.toml")
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.PlanError: plan.toml: 'siting.time_limit_s' must be greater than 0 s, got 0
    """

    demand: DemandParams = DEFAULT_DEMAND
    capacity: SizingParams = DEFAULT_CAPACITY
    models: SitingParams = DEFAULT_PARAMS

    def __post_init__(self) -> None:
        for kind, siting in self.models.kinds.items():
            size = self.capacity.facilities.get(kind)
            if size is None:
                raise PlanError(f"'{SECTION}.kinds.{kind}' has no size: add [{SECTION}.capacity.{kind}] with "
                                "demand, installed and installed_unit")
            if size.demand != siting.demand:
                raise PlanError(f"'{SECTION}.kinds.{kind}.demand' ({siting.demand}) must equal "
                                f"'{SECTION}.capacity.{kind}.demand' ({size.demand}): one demand sizes and sites "
                                "a kind")

    def digest(self) -> str:
        """A content hash of the section (sha256 of its values), recorded with the siting layers.

        Examples
        --------
        >>> SitingSection().digest() == SitingSection.from_mapping({}).digest()
        True
        >>> SitingSection().digest() == SitingSection.from_mapping({"time_limit_s": 30}).digest()
        False
        """
        # Frozen dataclasses of numbers, strings and sorted read-only mappings: their repr is complete and stable.
        return hashlib.sha256(repr(self).encode("utf-8")).hexdigest()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>",
                     defaults: Mapping[str, Any] | None = None) -> SitingSection:
        """The section from a plan's ``[siting]`` table, laid over `defaults` (the default plan's table).

        Unlike the other sections, a plan may add kinds here (a new
        ``[siting.kinds.<kind>]`` with its ``[siting.capacity.<kind>]``), so
        the user's table is merged into the defaults key by key and every
        entry is then checked by the parameter classes, which name an
        unknown one.

        Raises
        ------
        PlanError
            For an unknown entry or a bad value, naming `source` and the entry.
        """
        try:
            merged = _merged(dict(defaults or {}), pv.table(data, SECTION))
            demand = DemandParams.from_mapping(pv.table(merged.get("demand", {}), f"{SECTION}.demand"), source=source)
            capacity = SizingParams.from_mapping(pv.table(merged.get("capacity", {}), f"{SECTION}.capacity"),
                                                 source=source)
            return cls(demand=demand, capacity=capacity, models=SitingParams.from_mapping(merged, source=source))
        except PlanError as error:
            named = str(error).startswith(f"{source}: ")
            raise (error if named else pv.with_source(error, source)) from None


def _merged(base: dict[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """`user` laid over `base` key by key; new keys are kept (the parameter classes check them)."""
    for key, value in user.items():
        if isinstance(base.get(key), Mapping) and isinstance(value, Mapping):
            base[key] = _merged(dict(base[key]), value)
        else:
            base[key] = value
    return base


DEFAULT_SECTION = SitingSection()


__all__ = ["DEFAULT_BASIS", "DEFAULT_PARAMS", "DEFAULT_SECTION", "POPULATION_CELL_M", "SECTION", "KindSiting",
           "SitingParams", "SitingSection"]
