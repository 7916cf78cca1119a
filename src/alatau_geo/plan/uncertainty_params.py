"""Parameters of the uncertainty runs (the plan's ``[uncertainty]`` section), and applying a drawn value.

An uncertainty run rebuilds the plan many times with every approximate
position moved within its tolerance and chosen plan parameters drawn within
ranges. This module holds what the plan says about it:

- ``default_tolerance_m``: how far a position may be off, by its
  ``position_quality``, where a table row gives no ``tolerance_m`` of its own;
- ``ranges``: plan parameters to vary, each ``"<entry>" = [low, high]``
  (drawn uniformly). An entry names a number of the plan
  (:data:`VARIABLE_SECTIONS`), a numeric parameter of a zone's rule
  (``"districts.golden.rule.base.of[1].width_m"``), or a key of the
  ``[population]`` parameters (``"population.city_jobs"``);
- ``runs``, ``seed`` and ``grid_cell_m``: the defaults of ``alatau-geo
  uncertainty`` and the cell size of the district-probability grid.

:func:`apply_values` returns a copy of a plan with drawn values set; the
``population.*`` values are returned apart by :func:`population_overrides`
(the population parameters are read by the analysis stage).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from alatau_geo.core.errors import PlanError
from alatau_geo.plan import rules

if TYPE_CHECKING:
    from alatau_geo.plan.config import Plan

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "VARIABLE_SECTIONS",
    "UncertaintyParams",
    "apply_values",
    "check_ranges",
    "population_overrides",
]

DEFAULT_TOLERANCE_M: Mapping[str, float] = MappingProxyType({
    "surveyed": 10.0,
    "openstreetmap": 50.0,
    "geonames": 500.0,
    "published": 500.0,
    "approximate": 3000.0,
})
"""Tolerance of a position by its ``position_quality``, metres (assumed; see ``[uncertainty.default_tolerance_m]``)."""

VARIABLE_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "analysis": ("max_buildable_slope_deg", "flood_freeboard_m"),
    "water_protection": ("reservoir_zone_m", "reservoir_strip_m", "river_zone_m", "river_strip_m"),
    "network": ("block_m", "interchange_spacing_m", "max_connector_m", "max_destination_connector_m",
                "catchment_minutes", "default_project_jobs", "speeds_kmh.*", "residents_by_kind.*"),
    "service_radii_m": ("*",),
})
"""Plan entries a range may vary (``*``: any key of that table)."""

_ZONE_LAYERS = ("settlements", "districts", "city_boundary", "sez")
_POPULATION = "population"
_KEY = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_]+(\[\d+\])?)+$")


@dataclass(frozen=True)
class UncertaintyParams:
    """The validated ``[uncertainty]`` section.

    Attributes
    ----------
    runs : int
        Samples drawn when the command names none.
    seed : int
        Seed of the random draws when the command names none.
    grid_cell_m : float
        Cell size of the district-probability grid, metres.
    default_tolerance_m : Mapping[str, float]
        Tolerance by ``position_quality`` where a table row gives none, metres.
    ranges : Mapping[str, tuple[float, float]]
        Plan entry to ``(low, high)``, in the entry's own unit; ends given as
        whole numbers (``[748000, 935000]``) draw whole numbers.

    Examples
    --------
    >>> params = UncertaintyParams.from_mapping({"ranges": {"network.speeds_kmh.trunk": [70.0, 100.0]}})
    >>> params.ranges["network.speeds_kmh.trunk"], params.default_tolerance_m["geonames"]
    ((70.0, 100.0), 500.0)
    """

    runs: int = 20
    seed: int = 1
    grid_cell_m: float = 500.0
    default_tolerance_m: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TOLERANCE_M)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        tolerances = MappingProxyType(dict(sorted(self.default_tolerance_m.items())))
        object.__setattr__(self, "default_tolerance_m", tolerances)
        object.__setattr__(self, "ranges", MappingProxyType(dict(sorted(self.ranges.items()))))
        if isinstance(self.runs, bool) or not isinstance(self.runs, int) or self.runs < 1:
            raise PlanError(f"'uncertainty.runs' must be a whole number of at least 1, got {self.runs!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise PlanError(f"'uncertainty.seed' must be a whole number of at least 0, got {self.seed!r}")
        _number(self.grid_cell_m, "uncertainty.grid_cell_m", positive=True)
        for quality, metres in self.default_tolerance_m.items():
            _number(metres, f"uncertainty.default_tolerance_m.{quality}")
        for key, (low, high) in self.ranges.items():
            _check_key(key)
            entry = f'uncertainty.ranges."{key}"'
            _number(low, entry)
            _number(high, entry)
            if low > high:
                raise PlanError(f"'{entry}' must be [low, high] with low <= high, got [{low:g}, {high:g}]")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> UncertaintyParams:
        """Parameters from a plan's ``[uncertainty]`` table; keys left out keep their defaults.

        Raises
        ------
        PlanError
            One line naming `source` and the entry.
        """
        values: dict[str, Any] = {}
        try:
            for key, value in data.items():
                values[key] = _entry(key, value)
            return cls(**values)
        except PlanError as error:
            raise PlanError(f"{source}: {error}") from None


def _entry(key: str, value: Any) -> Any:
    if key in ("runs", "seed"):
        return value
    if key == "grid_cell_m":
        return _number(value, "uncertainty.grid_cell_m", positive=True)
    if key == "default_tolerance_m":
        table = _table(value, "uncertainty.default_tolerance_m")
        return {str(k): _number(v, f"uncertainty.default_tolerance_m.{k}") for k, v in table.items()}
    if key == "ranges":
        return {str(k): _pair(v, f'uncertainty.ranges."{k}"') for k, v in _table(value, "uncertainty.ranges").items()}
    raise PlanError(f"unknown entry 'uncertainty.{key}'")


def _table(value: Any, entry: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PlanError(f"'{entry}' must be a table")
    return value


def _pair(value: Any, entry: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise PlanError(f"'{entry}' must be [low, high], got {value!r}")
    low, high = _number(value[0], entry), _number(value[1], entry)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return int(low), int(high)  # whole-number ends draw whole numbers (people, jobs)
    return low, high


def _number(value: Any, entry: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"'{entry}' must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise PlanError(f"'{entry}' must be {'greater than' if positive else 'at least'} 0, got {value!r}")
    return float(value)


def _check_key(key: str) -> None:
    entry = f'uncertainty.ranges."{key}"'
    if not _KEY.match(key):
        raise PlanError(f"'{entry}': name a plan entry, e.g. \"network.speeds_kmh.trunk\"")
    section, _, rest = key.partition(".")
    if section in _ZONE_LAYERS or section == _POPULATION:
        return
    allowed = VARIABLE_SECTIONS.get(section)
    if allowed is None:
        known = ", ".join([*VARIABLE_SECTIONS, *_ZONE_LAYERS, _POPULATION])
        raise PlanError(f"'{entry}': section {section!r} cannot vary (sections: {known})")
    head = rest.split(".", 1)[0]
    if not any(rest == name or (name.endswith("*") and (name == "*" or head == name[:-2])) for name in allowed):
        raise PlanError(f"'{entry}': {section}.{rest} cannot vary (entries: {', '.join(allowed)})")


def population_overrides(values: Mapping[str, float]) -> dict[str, Any]:
    """The ``population.*`` values as a nested table for the population parameters.

    Examples
    --------
    >>> population_overrides({"population.land_shares.green": 0.2, "network.block_m": 300.0})
    {'land_shares': {'green': 0.2}}
    """
    nested: dict[str, Any] = {}
    for key, value in sorted(values.items()):
        section, _, rest = key.partition(".")
        if section != _POPULATION:
            continue
        *path, last = rest.split(".")
        table = nested
        for part in path:
            table = table.setdefault(part, {})
        table[last] = value
    return nested


def apply_values(plan: Plan, values: Mapping[str, float]) -> Plan:
    """A copy of `plan` with each drawn value set at its entry (``population.*`` entries are left out).

    Parameters
    ----------
    plan : Plan
    values : mapping of entry to number
        Keys as in ``uncertainty.ranges``.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        If an entry is not in the plan, or the value makes the plan invalid
        (a speed of 0, a strip wider than its zone); one line naming the entry.

    Examples
    --------
    >>> from alatau_geo.plan.config import load_plan
    >>> plan = apply_values(load_plan(), {"network.speeds_kmh.trunk": 80.0, "analysis.max_buildable_slope_deg": 6})
    >>> plan.network.speeds_kmh["trunk"], plan.analysis.max_buildable_slope_deg
    (80.0, 6.0)
    """
    changed = plan
    for key, value in sorted(values.items()):
        section, _, rest = key.partition(".")
        entry = f'uncertainty.ranges."{key}"'
        try:
            changed = _apply(changed, section, rest, float(value))
        except PlanError as error:
            raise PlanError(f"{plan.source}: '{entry}' = {value:g}: {error}") from None
    return changed


def _apply(plan: Plan, section: str, rest: str, value: float) -> Plan:
    if section == _POPULATION:
        return plan
    if section in _ZONE_LAYERS:
        return dataclasses.replace(plan, zones=_zones_with(plan, section, rest, value))
    if section == "analysis":
        if rest == "max_buildable_slope_deg" and not 0 < value <= 90:
            raise PlanError(f"the slope limit must lie in (0, 90] degrees, got {value:g}")
        return dataclasses.replace(plan, analysis=dataclasses.replace(plan.analysis, **{rest: value}))
    if section == "water_protection":
        protection = dataclasses.replace(plan.water_protection, **{rest: value})
        for kind in ("reservoir", "river"):
            if getattr(protection, f"{kind}_strip_m") > getattr(protection, f"{kind}_zone_m"):
                raise PlanError(f"water_protection.{kind}_strip_m must not exceed water_protection.{kind}_zone_m")
        return dataclasses.replace(plan, water_protection=protection)
    if section == "service_radii_m":
        if rest not in plan.service_radii_m:
            raise PlanError(f"the plan has no service radius for {rest!r}")
        if value <= 0:
            raise PlanError("a service radius must be greater than 0 m")
        radii = MappingProxyType({**plan.service_radii_m, rest: value})
        return dataclasses.replace(plan, service_radii_m=radii)
    return dataclasses.replace(plan, network=_network_with(plan, rest, value))


def _network_with(plan: Plan, rest: str, value: float) -> Any:
    network = plan.network
    if network is None:
        raise PlanError("the plan has no [network] section")
    name, _, key = rest.partition(".")
    if key:
        table = getattr(network, name)
        if key not in table:
            raise PlanError(f"network.{name} has no entry {key!r}")
        return dataclasses.replace(network, **{name: {**table, key: value}})
    return dataclasses.replace(network, **{name: value})


def _zones_with(plan: Plan, layer: str, rest: str, value: float) -> tuple[Any, ...]:
    zone_id, _, path = rest.partition(".")
    zones = list(plan.zones)
    index = next((i for i, z in enumerate(zones) if z.layer == layer and z.id == zone_id), None)
    if index is None:
        raise PlanError(f"the plan has no zone {layer}.{zone_id}; remove the entry from [uncertainty.ranges]")
    spec = zones[index]
    if path not in rules.numeric_parameters(spec.rule):
        known = ", ".join(rules.numeric_parameters(spec.rule)) or "none"
        raise PlanError(f"{path!r} is not a parameter of the rule of {layer}.{zone_id} (parameters: {known})")
    if path == spec.solve:
        raise PlanError(f"{path} of {layer}.{zone_id} is calibrated to the published area; it cannot vary")
    if value < 0:
        raise PlanError("a rule length must be at least 0 m")
    zones[index] = dataclasses.replace(spec, rule=rules.with_parameter(spec.rule, path, value))
    return tuple(zones)


def _zone_missing(plan: Plan, key: str) -> bool:
    section, _, rest = key.partition(".")
    zone_id = rest.partition(".")[0]
    return section in _ZONE_LAYERS and not any(z.layer == section and z.id == zone_id for z in plan.zones)


def _parameter_missing(plan: Plan, key: str, value: float) -> bool:
    """Whether a range names a rule parameter the plan's zone no longer has (a district redrawn as a polygon)."""
    try:
        apply_values(plan, {key: value})
    except PlanError as error:
        return "is not a parameter of the rule" in str(error)
    return False


def check_ranges(plan: Plan) -> None:
    """Raise if a range's low or high end makes the plan invalid (each entry on its own, then all together).

    A range of a zone the plan does not have (a plan that replaces the
    default districts inherits the default ranges), or of a rule parameter
    its zone no longer has (a district redrawn as a fixed polygon), is not
    checked here:
    :func:`apply_values` refuses it when an uncertainty run starts.

    Raises
    ------
    PlanError
        Naming the entry.
    """
    ranges = {key: pair for key, pair in plan.uncertainty.ranges.items()
              if not _zone_missing(plan, key) and not _parameter_missing(plan, key, pair[0])}
    for key, (low, high) in ranges.items():
        apply_values(plan, {key: low})
        apply_values(plan, {key: high})
    apply_values(plan, {key: low for key, (low, _) in ranges.items()})
    apply_values(plan, {key: high for key, (_, high) in ranges.items()})
