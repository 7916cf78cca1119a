"""Parameters of the road network and the network analyses (the plan's ``[network]`` section).

Every default is a planning assumption; the plan file replaces it. The
road classes named here are those of the generated network (see
:mod:`alatau_geo.analysis.network`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from alatau_geo.core.errors import PlanError

__all__ = ["CONNECTOR_CLASS", "CORRIDOR_CLASS", "OSM_CLASSES", "STREET_CLASS", "NetworkParams", "positive"]

CORRIDOR_CLASS = "trunk"
"""Road class of the corridor highways in the generated network."""
STREET_CLASS = "residential"
"""Road class of the generated district streets."""
CONNECTOR_CLASS = "connector"
"""Road class of interchanges and of the connectors that attach points."""

OSM_CLASSES: Mapping[str, str] = MappingProxyType({
    "motorway_link": "motorway", "trunk_link": "trunk", "primary_link": "primary",
    "secondary_link": "secondary", "tertiary": "secondary", "tertiary_link": "secondary",
    "unclassified": "residential", "living_street": "residential", "road": "residential",
})
"""OSM ``highway`` values read at the speed of another class (links at their road's speed)."""

# --------------------------------------------------------------------------
# Parameters


def _speeds(values: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of the road network and the network analyses.

    Every default is a planning assumption, to be replaced by the plan's
    ``[network]`` section.

    Attributes
    ----------
    block_m : float
        Spacing of the generated district street grid, metres.
    speeds_kmh : Mapping[str, float]
        Free-flow speed of each road class, km/h. Must hold ``trunk``,
        ``residential`` and ``connector``; OSM classes are read through
        :data:`OSM_CLASSES`.
    interchange_spacing_m : float
        Distance between candidate interchanges along a corridor, metres.
    max_connector_m : float
        A facility or settlement farther than this from every graph node is
        off the network, metres.
    max_destination_connector_m : float
        The same for destinations (Almaty, Konaev), metres: the corridor
        layer ends at the city edge (the A3 about 4 km from Almaty's centre),
        and the connector stands for the city streets.
    destinations : tuple of str
        ``places`` ids travel times are reported to.
    isochrone_minutes : tuple of float
        Travel-time limits of the service areas, minutes.
    isochrone_buffer_m : float
        Half-width of the band around reached streets that forms a service
        area, metres.
    job_minutes : tuple of float
        Travel-time limits of the jobs-within counts, minutes.
    catchment_minutes : float
        Catchment of the two-step floating catchment (2SFCA) score, minutes.
    default_project_jobs : float
        Jobs assumed at an investment project that publishes none.
    residents_by_kind : Mapping[str, float]
        Residents assumed for a settlement of each ``places`` kind that has
        neither its own figure nor a district target; kinds not listed are
        not settlements (the airport).
    demand_excluded : tuple of str
        ``places`` ids left out of 2SFCA demand: Almaty is a labour market of
        its own whose jobs are not in the supply (only project jobs are).
    """

    block_m: float = 400.0
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: _speeds({
        "motorway": 100.0, "trunk": 90.0, "primary": 60.0, "secondary": 50.0,
        "residential": 30.0, "connector": 40.0,
    }))
    interchange_spacing_m: float = 2000.0
    max_connector_m: float = 2000.0
    max_destination_connector_m: float = 5000.0
    destinations: tuple[str, ...] = ("almaty", "konaev")
    isochrone_minutes: tuple[float, ...] = (10.0, 20.0, 30.0)
    isochrone_buffer_m: float = 50.0
    job_minutes: tuple[float, ...] = (30.0, 45.0)
    catchment_minutes: float = 30.0
    default_project_jobs: float = 500.0
    residents_by_kind: Mapping[str, float] = field(default_factory=lambda: _speeds({
        "city": 50_000.0, "town": 30_000.0, "village": 5_000.0,
    }))
    demand_excluded: tuple[str, ...] = ("almaty",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "speeds_kmh", _speeds(self.speeds_kmh))
        object.__setattr__(self, "residents_by_kind", _speeds(self.residents_by_kind))
        for name in ("block_m", "interchange_spacing_m", "max_connector_m", "max_destination_connector_m",
                     "catchment_minutes"):
            positive(getattr(self, name), f"network.{name}")
        positive(self.isochrone_buffer_m, "network.isochrone_buffer_m")
        _at_least_zero(self.default_project_jobs, "network.default_project_jobs")
        for name in ("isochrone_minutes", "job_minutes"):
            values = getattr(self, name)
            if not values:
                raise PlanError(f"'network.{name}' must list at least one limit in minutes")
            for value in values:
                positive(value, f"network.{name}")
        for road_class, speed in self.speeds_kmh.items():
            positive(speed, f"network.speeds_kmh.{road_class}", unit=" km/h")
        missing = [c for c in (CORRIDOR_CLASS, STREET_CLASS, CONNECTOR_CLASS) if c not in self.speeds_kmh]
        if missing:
            raise PlanError(f"'network.speeds_kmh' must give a speed for {', '.join(missing)}")
        for kind, residents in self.residents_by_kind.items():
            _at_least_zero(residents, f"network.residents_by_kind.{kind}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> NetworkParams:
        """Parameters from a plan's ``[network]`` table; keys left out keep their defaults.

        Raises
        ------
        PlanError
            For an unknown key or a value of the wrong type or range, naming
            `source` and the entry.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise PlanError(f"{source}: unknown entry 'network.{key}'")
            if key in ("speeds_kmh", "residents_by_kind"):
                if not isinstance(value, Mapping):
                    raise PlanError(f"{source}: 'network.{key}' must be a table")
                values[key] = {str(k): _plan_number(v, f"network.{key}.{k}", source) for k, v in value.items()}
            elif key in ("destinations", "demand_excluded"):
                if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                    raise PlanError(f"{source}: 'network.{key}' must be a list of place ids")
                values[key] = tuple(value)
            elif key in ("isochrone_minutes", "job_minutes"):
                if not isinstance(value, list):
                    raise PlanError(f"{source}: 'network.{key}' must be a list of minutes")
                values[key] = tuple(_plan_number(v, f"network.{key}", source) for v in value)
            else:
                values[key] = _plan_number(value, f"network.{key}", source)
        try:
            return cls(**values)
        except PlanError as error:
            raise PlanError(f"{source}: {error}") from None

    def speed(self, road_class: str) -> float:
        """Speed of `road_class` in km/h (OSM classes through :data:`OSM_CLASSES`; unknown: residential)."""
        return self.speeds_kmh.get(road_class, self.speeds_kmh.get(OSM_CLASSES.get(road_class, ""),
                                                                    self.speeds_kmh[STREET_CLASS]))

    @property
    def connector_kmh(self) -> float:
        """Speed on connectors, km/h."""
        return self.speeds_kmh[CONNECTOR_CLASS]


def positive(value: float, entry: str, *, unit: str = "") -> None:
    """Refuse `value` unless it is a finite number above 0, naming the plan `entry`.

    Raises
    ------
    PlanError
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise PlanError(f"'{entry}' must be greater than 0{unit}, got {value!r}")


def _at_least_zero(value: float, entry: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise PlanError(f"'{entry}' must be at least 0, got {value!r}")


def _plan_number(value: Any, entry: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{source}: '{entry}' must be a number, got {value!r}")
    return float(value)
