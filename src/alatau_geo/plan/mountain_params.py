"""Parameters of the Almaty mountain-cluster and air-corridor analyses (the plan's ``[mountain]`` section).

Frozen, validated dataclasses, one per subsection of the proposed plan
section ``[mountain]`` (see ``docs/plan_sections/mountain.toml``). Every
default carries its basis in the attribute docs: *published* (a figure from a
named source), *target* (a plan target) or *assumed* (a rule of thumb or
planning assumption the user should review). An invalid value raises a
one-line :class:`~alatau_geo.core.errors.PlanError` naming the entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from alatau_geo.core.errors import PlanError

__all__ = ["CapacityParams", "CorridorParams", "LiftLineParams", "MountainParams", "SkiTerrainParams"]

_SECTION = "mountain"


def _check_positive(value: Any, entry: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PlanError(f"'{entry}' must be greater than 0, got {value!r}")


def _check_range(value: Any, entry: str, *, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise PlanError(f"'{entry}' must be between {low:g} and {high:g}, got {value!r}")


def _check_pair(pair: Any, entry: str, *, low: float, high: float, ordered: bool = True) -> None:
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise PlanError(f"'{entry}' must be a pair [low, high], got {pair!r}")
    for value in pair:
        _check_range(value, entry, low=low, high=high)
    if ordered and not pair[0] < pair[1]:
        raise PlanError(f"'{entry}' must be [low, high] with low < high, got {list(pair)}")


def _check_bounds(bounds: Any, entry: str) -> None:
    if not isinstance(bounds, tuple) or len(bounds) != 4:
        raise PlanError(f"'{entry}' must be [west, south, east, north] in degrees, got {bounds!r}")
    west, south, east, north = bounds
    for value, low, high in ((west, -180, 180), (south, -90, 90), (east, -180, 180), (north, -90, 90)):
        _check_range(value, entry, low=low, high=high)
    if not (west < east and south < north):
        raise PlanError(f"'{entry}' must have west < east and south < north, got {list(bounds)}")


@dataclass(frozen=True)
class SkiTerrainParams:
    """Terrain classes of the mountain cluster (``[mountain.terrain]``).

    Attributes
    ----------
    window_buffer_m : float
        The study window is the box around the resorts widened by this, metres (assumed).
    resolution_m : float
        Cell size of the UTM 43N working grid, metres; 90 m is the SRTM3
        spacing (derived: finer cells add no information).
    elevation_band_m : float
        Width of the elevation bands, metres (assumed).
    slope_breaks_deg : tuple of float
        Five ascending slope limits, degrees, separating the classes
        too flat / beginner / intermediate / expert / extreme / too steep.
        Defaults: 3.5 deg (6 %) and 14 deg (25 %) bound beginner runs,
        22 deg (40 %) ends intermediate runs (North American trail ratings
        6-25 %, 25-40 %, > 40 %; the European blue/red limits 25 % and 40 %
        agree), 30 deg ends groomable expert terrain and 45 deg ends the
        avalanche-prone band (assumed rules of thumb).
    avalanche_slope_deg : (float, float)
        Slope band flagged avalanche-prone, degrees: "the vast majority of
        avalanches take place on slopes between 30 and 45 deg" (Avalanche
        Canada; avalanche.org cites 30-50 deg). A rule of thumb, not a hazard map.
    snow_holding_aspect_deg : (float, float)
        Compass sector of snow-holding (shaded) slopes, degrees clockwise from
        north, from the first to the second value; default north-west to
        north-east (assumed: poleward slopes get least winter sun at 43 N).
    """

    window_buffer_m: float = 4000.0
    resolution_m: float = 90.0
    elevation_band_m: float = 250.0
    slope_breaks_deg: tuple[float, ...] = (3.5, 14.0, 22.0, 30.0, 45.0)
    avalanche_slope_deg: tuple[float, float] = (30.0, 45.0)
    snow_holding_aspect_deg: tuple[float, float] = (315.0, 45.0)

    def __post_init__(self) -> None:
        entry = f"{_SECTION}.terrain"
        for name in ("window_buffer_m", "resolution_m", "elevation_band_m"):
            _check_positive(getattr(self, name), f"{entry}.{name}")
        breaks = self.slope_breaks_deg
        if not isinstance(breaks, tuple) or len(breaks) != 5:
            raise PlanError(f"'{entry}.slope_breaks_deg' must list 5 slope limits in degrees, got {breaks!r}")
        for value in breaks:
            _check_range(value, f"{entry}.slope_breaks_deg", low=0, high=90)
        if any(high <= low for low, high in zip(breaks[:-1], breaks[1:], strict=True)):
            raise PlanError(f"'{entry}.slope_breaks_deg' must be strictly ascending, got {list(breaks)}")
        _check_pair(self.avalanche_slope_deg, f"{entry}.avalanche_slope_deg", low=0, high=90)
        _check_pair(self.snow_holding_aspect_deg, f"{entry}.snow_holding_aspect_deg", low=0, high=360,
                    ordered=False)


@dataclass(frozen=True)
class LiftLineParams:
    """Candidate lift lines between the resorts (``[mountain.lifts]``).

    Attributes
    ----------
    pairs : tuple of (str, str)
        Station pairs, ids of the mountain places table. Default: Medeu to
        each resort (the published plan links them through the Medeu base
        station, seed 004) and the direct Shymbulak - Oi-Karagai line for comparison.
    sample_spacing_m : float
        Horizontal spacing of profile samples, metres (assumed; a third of a DEM cell).
    steepest_section_m : float
        Horizontal length over which the steepest section is measured, metres
        (assumed; one SRTM3 cell: shorter sections only show interpolation).
    ridge_tolerance_m : float
        A line whose profile rises more than this above its higher station
        crosses a ridge, metres (assumed; about the SRTM3 height error).
    """

    pairs: tuple[tuple[str, str], ...] = (("medeu", "shymbulak"), ("medeu", "oi_karagai"),
                                          ("shymbulak", "oi_karagai"))
    sample_spacing_m: float = 30.0
    steepest_section_m: float = 90.0
    ridge_tolerance_m: float = 30.0

    def __post_init__(self) -> None:
        entry = f"{_SECTION}.lifts"
        if not self.pairs or not all(
                isinstance(p, tuple) and len(p) == 2 and all(isinstance(i, str) and i for i in p) and p[0] != p[1]
                for p in self.pairs):
            raise PlanError(f"'{entry}.pairs' must list pairs of two different place ids, got {self.pairs!r}")
        for name in ("sample_spacing_m", "steepest_section_m"):
            _check_positive(getattr(self, name), f"{entry}.{name}")
        _check_range(self.ridge_tolerance_m, f"{entry}.ridge_tolerance_m", low=0, high=1000)
        if self.steepest_section_m < self.sample_spacing_m:
            raise PlanError(f"'{entry}.steepest_section_m' must be at least 'sample_spacing_m' "
                            f"({self.sample_spacing_m:g}), got {self.steepest_section_m:g}")


@dataclass(frozen=True)
class CapacityParams:
    """Ski-run and visitor capacity check (``[mountain.capacity]``).

    Attributes
    ----------
    published_run_km, published_lifts, published_visitors_per_day : float
        Published targets of the Almaty mountain cluster: ski runs beyond
        250 km, lifts from 16 to 62, up to 40,000 visitors a day (seed 004, 2026-01-29).
    run_slope_deg : (float, float)
        Slopes that can carry a groomed run, degrees (assumed: beginner to
        expert classes, 3.5-30 deg).
    run_elevation_m : (float, float)
        Elevations that can carry runs, metres (assumed: from the Medeu base,
        published 1,691 m, rounded down, to about 3,500 m, above Shymbulak's
        published top of 3,200 m).
    min_patch_ha : float
        Patches of suitable terrain smaller than this cannot hold a run, hectares (assumed).
    run_width_m, run_spacing_m : float
        Width of a run and of the ungroomed strip between neighbouring runs,
        metres (assumed: a 40 m piste with 60 m of forest or rough ground).
    usable_fraction : float
        Share of the suitable terrain that runs can actually use (lift
        access, forest, protected land, avalanche paths above), 0-1 (assumed).
    lift_capacity_pph : float
        Mean design capacity of one lift, persons per hour (assumed: between
        a fixed-grip double chair, ~1,200, and a detachable quad, ~2,400).
    operating_hours : float
        Lift operating hours a day (assumed).
    load_factor : float
        Mean share of design capacity used over the day, 0-1 (assumed).
    rides_per_visitor : float
        Lift rides a visitor takes a day (assumed).
    """

    published_run_km: float = 250.0
    published_lifts: float = 62.0
    published_visitors_per_day: float = 40_000.0
    run_slope_deg: tuple[float, float] = (3.5, 30.0)
    run_elevation_m: tuple[float, float] = (1600.0, 3500.0)
    min_patch_ha: float = 10.0
    run_width_m: float = 40.0
    run_spacing_m: float = 60.0
    usable_fraction: float = 0.5
    lift_capacity_pph: float = 1800.0
    operating_hours: float = 7.0
    load_factor: float = 0.6
    rides_per_visitor: float = 10.0

    def __post_init__(self) -> None:
        entry = f"{_SECTION}.capacity"
        for name in ("published_run_km", "published_lifts", "published_visitors_per_day", "run_width_m",
                     "lift_capacity_pph", "rides_per_visitor"):
            _check_positive(getattr(self, name), f"{entry}.{name}")
        _check_range(self.run_spacing_m, f"{entry}.run_spacing_m", low=0, high=10_000)
        _check_range(self.min_patch_ha, f"{entry}.min_patch_ha", low=0, high=1e6)
        _check_range(self.operating_hours, f"{entry}.operating_hours", low=0, high=24)
        for name in ("usable_fraction", "load_factor"):
            _check_range(getattr(self, name), f"{entry}.{name}", low=0, high=1)
        _check_pair(self.run_slope_deg, f"{entry}.run_slope_deg", low=0, high=90)
        _check_pair(self.run_elevation_m, f"{entry}.run_elevation_m", low=-500, high=9000)


@dataclass(frozen=True)
class CorridorParams:
    """Green and air corridors of Almaty (``[mountain.corridors]``).

    Attributes
    ----------
    routing_bounds : (float, float, float, float)
        WGS84 box (west, south, east, north) routed for streams: Almaty and the
        whole of its rivers' mountain catchments up to the main ridge (derived from the DEM).
    city_bounds : (float, float, float, float)
        WGS84 box of Almaty's approximate extent (assumed: about 76.75-77.06 E,
        43.15-43.39 N, from the city's published area and elevation range;
        replace with the official boundary when available).
    city_max_elevation_m : float
        The city reaches up to about 1,700 m (published: Almaty's highest
        elevation, Wikipedia infobox); cells above are left out of the extent.
    published_city_area_km2 : float
        Almaty's published area, 682 km2 (Wikipedia infobox, 2023; a 2024
        revision gives 752 km2 after boundary changes).
    green_target_ha : float
        Almaty general plan target: green space tripled to 3,800 ha (seed 004).
    stream_threshold_km2 : float
        A stream starts where the upstream area exceeds this, km2 (assumed:
        small enough to find the foothill rivers as well as the two Almatinkas).
    mountain_elevation_m : float
        A corridor's river must drain land above this, metres: the cold-air
        source is the mountains, not the foothills (assumed).
    hand_max_m : float
        Valley floor: height above the nearest corridor stream at most this,
        metres (assumed; HAND, Nobre et al. 2016).
    half_width_m : float
        Valley floor: distance from the stream at most this, metres (assumed:
        a 500 m corridor, well above the ~50 m minimum width urban-climate
        guidance gives for ventilation paths).
    min_length_in_city_m : float
        Corridors whose stream runs less than this inside the city are dropped,
        metres (assumed: ventilation paths are usually required to be at least ~1 km long).
    steep_slope_deg : float
        Steep city: slope above this, degrees (assumed, 8-12 deg range; the
        plan's buildable limit is 8 deg).
    upper_city_elevation_m : float
        Upper city: above this, metres (assumed: the general plan's "upper
        parts" of the city; Almaty lies mostly at 700-900 m).
    resolution_m : float
        Cell size of the UTM grid the corridor areas are measured on, metres (derived: SRTM3 spacing).
    """

    routing_bounds: tuple[float, float, float, float] = (76.60, 42.95, 77.25, 43.45)
    city_bounds: tuple[float, float, float, float] = (76.75, 43.15, 77.06, 43.39)
    city_max_elevation_m: float = 1700.0
    published_city_area_km2: float = 682.0
    green_target_ha: float = 3800.0
    stream_threshold_km2: float = 10.0
    mountain_elevation_m: float = 1500.0
    hand_max_m: float = 15.0
    half_width_m: float = 250.0
    min_length_in_city_m: float = 1000.0
    steep_slope_deg: float = 10.0
    upper_city_elevation_m: float = 1000.0
    resolution_m: float = 90.0

    def __post_init__(self) -> None:
        entry = f"{_SECTION}.corridors"
        _check_bounds(self.routing_bounds, f"{entry}.routing_bounds")
        _check_bounds(self.city_bounds, f"{entry}.city_bounds")
        for name in ("city_max_elevation_m", "published_city_area_km2", "green_target_ha", "stream_threshold_km2",
                     "mountain_elevation_m", "hand_max_m", "half_width_m", "resolution_m"):
            _check_positive(getattr(self, name), f"{entry}.{name}")
        _check_range(self.min_length_in_city_m, f"{entry}.min_length_in_city_m", low=0, high=1e6)
        _check_range(self.steep_slope_deg, f"{entry}.steep_slope_deg", low=0, high=90)
        _check_range(self.upper_city_elevation_m, f"{entry}.upper_city_elevation_m", low=-500, high=9000)
        west, south, east, north = self.city_bounds
        rw, rs, re, rn = self.routing_bounds
        if not (rw <= west and rs <= south and east <= re and north <= rn):
            raise PlanError(f"'{entry}.city_bounds' must lie inside 'routing_bounds' {list(self.routing_bounds)}")


@dataclass(frozen=True)
class MountainParams:
    """All parameters of the mountain and corridor analyses (plan section ``[mountain]``).

    Examples
    --------
    >>> params = MountainParams.from_mapping({"capacity": {"run_width_m": 50}})
    >>> params.capacity.run_width_m, params.terrain.slope_breaks_deg[1]
    (50.0, 14.0)
    >>> MountainParams.from_mapping({"capacity": {"run_width_m": -1}}, source="plan.toml")
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.PlanError: plan.toml: 'mountain.capacity.run_width_m' must be greater than 0, got -1.0
    """

    terrain: SkiTerrainParams = field(default_factory=SkiTerrainParams)
    lifts: LiftLineParams = field(default_factory=LiftLineParams)
    capacity: CapacityParams = field(default_factory=CapacityParams)
    corridors: CorridorParams = field(default_factory=CorridorParams)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> MountainParams:
        """Parameters from a plan's ``[mountain]`` table; keys left out keep their defaults.

        Raises
        ------
        PlanError
            For an unknown entry or a value of the wrong type or range, naming `source` and the entry.
        """
        sections = {f.name: f.default_factory for f in fields(cls)}  # type: ignore[misc]
        built: dict[str, Any] = {}
        for name, value in data.items():
            if name not in sections:
                raise PlanError(f"{source}: unknown entry '{_SECTION}.{name}'")
            if not isinstance(value, Mapping):
                raise PlanError(f"{source}: '{_SECTION}.{name}' must be a table")
            built[name] = _section(sections[name], value, entry=f"{_SECTION}.{name}", source=source)
        return cls(**built)


def _section(kind: type, data: Mapping[str, Any], *, entry: str, source: str) -> Any:
    known = {f.name for f in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise PlanError(f"{source}: unknown entry '{entry}.{key}'")
        values[key] = _plain_value(value, f"{entry}.{key}", source)
    try:
        return kind(**values)
    except PlanError as error:
        raise PlanError(f"{source}: {error}") from None


def _plain_value(value: Any, entry: str, source: str) -> Any:
    """TOML numbers become floats and lists become tuples (pairs of ids stay strings)."""
    if isinstance(value, list):
        return tuple(_plain_value(item, entry, source) for item in value)
    if isinstance(value, bool):
        raise PlanError(f"{source}: '{entry}' must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return value
    raise PlanError(f"{source}: '{entry}' has an unsupported value {value!r}")
