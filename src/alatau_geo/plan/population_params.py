"""Parameters of the population and jobs analyses: densities, targets, phases, with their basis.

The plan's ``[population]`` section (in ``data/default_plan.toml``; see
``docs/plan_sections/population.toml`` for its comments) is read by
:meth:`PopulationParams.from_mapping` into frozen objects; every
figure keeps its basis (published / derived / target / assumed) so reports can
say where it comes from. :func:`zone_targets` turns the city total, the
published district figures and the weights of the other zones into whole
residents and jobs per zone, and :func:`phase_targets` the targets of each
phase year.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from alatau_geo.core.errors import PlanError

CLASS_NAMES: Mapping[str, int] = MappingProxyType({"low": 1, "medium": 2, "high": 3})
"""Suitability classes that can hold people (0 is unsuitable and holds nobody)."""
_DENSITY_KEYS = ("floor_area_ratio", "residential_floor_share", "m2_floor_per_resident", "m2_floor_per_job")
_GATE_PROGRAMME = ("derived from the published Gate programme (public report, 2025-10-08: >6.5 million m2 "
                   "of housing, 3.6 million m2 of retail, >220,000 residents, ~181,000 jobs on ~4,000 ha)")
_OPEN_TABLES = ("population.targets", "population.phases", "population.current")
_CODE = "SP RK 3.01-101-2013 (not checked against the code's tables here)"

DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "city_residents": 1_870_000,
    "city_residents_basis": "published: general plan, 1.87 million residents by 2050",
    "city_jobs": 841_500,
    "city_jobs_basis": "assumed: 0.45 jobs per resident (no city-wide jobs figure is published)",
    "seed_residents_per_ha": 40.0,
    "seed_jobs_per_ha": 50.0,
    "land_shares": {"streets": 0.20, "green": 0.15, "social": 0.10,
                    "basis": f"assumed, of the order set for residential districts by {_CODE}"},
    "classes": {"density_factor": {"low": 0.4, "medium": 0.7, "high": 1.0},
                "score": {"low": 0.3, "medium": 0.6, "high": 1.0},
                "basis": "assumed: lower classes are built less densely and filled later"},
    "density": {
        "gate": {"floor_area_ratio": 1.0, "residential_floor_share": 0.64, "m2_floor_per_resident": 29.5,
                 "m2_floor_per_job": 19.9,
                 "basis": f"shares and m2 per resident and job {_GATE_PROGRAMME}; floor-area ratio assumed "
                          f"(multi-storey mixed use, cf. {_CODE})"},
        "golden": {"floor_area_ratio": 0.8, "residential_floor_share": 0.70, "m2_floor_per_resident": 29.5,
                   "m2_floor_per_job": 35.0,
                   "basis": "m2 per resident derived from Gate; the rest assumed (campus, clinics, food plants)"},
        "growing": {"floor_area_ratio": 0.6, "residential_floor_share": 0.40, "m2_floor_per_resident": 29.5,
                    "m2_floor_per_job": 60.0,
                    "basis": "m2 per resident derived from Gate; the rest assumed (industry and logistics)"},
        "green": {"floor_area_ratio": 0.3, "residential_floor_share": 0.55, "m2_floor_per_resident": 35.0,
                  "m2_floor_per_job": 60.0, "basis": "assumed (low-rise resorts and parks)"},
        "city_rest": {"floor_area_ratio": 0.5, "residential_floor_share": 0.60, "m2_floor_per_resident": 29.5,
                      "m2_floor_per_job": 40.0, "basis": "assumed (city land outside the four districts)"},
    },
    "targets": {
        "gate": {"residents": 220_000, "residents_basis": "published: public report, 2025-10-08 (>220,000)",
                 "jobs": 181_000, "jobs_basis": "published: public report, 2025-10-08 (~181,000)"},
        "golden": {"residents_weight": 0.48, "jobs_weight": 0.40},
        "growing": {"residents_weight": 0.32, "jobs_weight": 0.45},
        "green": {"residents_weight": 0.20, "jobs_weight": 0.15},
        "city_rest": {"residents_weight": 0.0, "jobs_weight": 0.0},
    },
    "phases": {"city": {"2030": 0.25, "2040": 0.60, "2050": 1.0},
               "gate": {"2030": 0.40, "2040": 0.80, "2050": 1.0}},
    "current": {
        "alatau": {"residents": 25_000, "basis": "published: Zhetygen, made the city of Alatau (>25,000)"},
        **{place: {"residents": 3_000, "basis": "assumed: Gate's published ~15,000 residents today "
                                                "(2025-10-08) shared equally among its five villages"}
           for place in ("otegen_batyr", "kenen_azirbayev", "koyankus", "yntymak", "zhanalyk")},
    },
    "portfolio": [
        {"date": "2026-02", "projects": 44, "jobs": 30_000,
         "basis": "published: investment portfolio, February 2026 (44 projects, >30,000 jobs)"},
        {"date": "2025-11", "projects": 41, "jobs": 21_000,
         "basis": "published: project pool, November 2025 (41 projects, >21,000 jobs)"},
    ],
})


@dataclass(frozen=True)
class Density:
    """How densely a zone is built on its best land.

    Attributes
    ----------
    floor_area_ratio : float
        Floor area per area of developable land (after streets, green and
        social infrastructure) on a cell of the high suitability class, m2/m2.
    residential_floor_share : float
        Share of the floor for housing, 0-1; the rest holds jobs.
    m2_floor_per_resident, m2_floor_per_job : float
        Gross floor per resident and per job, m2.
    basis : str
    """

    floor_area_ratio: float
    residential_floor_share: float
    m2_floor_per_resident: float
    m2_floor_per_job: float
    basis: str = "assumed"


@dataclass(frozen=True)
class Target:
    """A zone's residents or jobs: a figure, or a weight in the city remainder."""

    value: int | None
    weight: float
    basis: str


@dataclass(frozen=True)
class Portfolio:
    """A published count of investment projects and their jobs."""

    date: str
    projects: int
    jobs: int
    basis: str


@dataclass(frozen=True)
class PopulationParams:
    """The validated ``[population]`` section. Build it with :meth:`from_mapping`.

    Attributes
    ----------
    city_residents, city_jobs : int
        City totals in the target year (2050).
    city_residents_basis, city_jobs_basis : str
    seed_residents_per_ha, seed_jobs_per_ha : float
        Density of today's settlements and projects when only a point is
        known, residents or jobs per ha (sets the disc a seed is spread over).
    land_shares : Mapping[str, float]
        Shares of every cell's land for ``streets``, ``green`` and ``social``
        infrastructure, 0-1; :attr:`developable_share` is what is left.
    class_density, class_score : Mapping[int, float]
        By suitability class 1-3: factor on the floor-area ratio, and score
        the allocation weighs capacity with (0-1).
    density : Mapping[str, Density]
        By zone id.
    residents, jobs : Mapping[str, Target]
        By zone id.
    phases : Mapping[str, Mapping[int, float]]
        Share of the target reached by each year; ``city`` applies to every
        zone without its own entry.
    current : Mapping[str, tuple[int, str]]
        Residents today by ``places`` id, with basis.
    portfolio : tuple of Portfolio
    basis : Mapping[str, str]
        Basis of the land shares and class factors.

    Examples
    --------
    >>> params = PopulationParams.from_mapping({"density": {"gate": {"floor_area_ratio": 1.2}}})
    >>> params.density["gate"].floor_area_ratio, params.city_residents
    (1.2, 1870000)
    """

    city_residents: int
    city_residents_basis: str
    city_jobs: int
    city_jobs_basis: str
    seed_residents_per_ha: float
    seed_jobs_per_ha: float
    land_shares: Mapping[str, float]
    class_density: Mapping[int, float]
    class_score: Mapping[int, float]
    density: Mapping[str, Density]
    residents: Mapping[str, Target]
    jobs: Mapping[str, Target]
    phases: Mapping[str, Mapping[int, float]]
    current: Mapping[str, tuple[int, str]]
    portfolio: tuple[Portfolio, ...]
    basis: Mapping[str, str]

    def __post_init__(self) -> None:
        _check_totals(self)
        for name, share in self.land_shares.items():
            _range(share, f"population.land_shares.{name}", 0.0, 1.0)
        if sum(self.land_shares.values()) >= 1.0:
            raise PlanError("'population.land_shares' must leave some land to build on (their sum is at least 1)")
        for table, values in (("density_factor", self.class_density), ("score", self.class_score)):
            for code, value in values.items():
                _range(value, f"population.classes.{table}.{_class_name(code)}", 0.0, 1.0)
        for zone, density in self.density.items():
            _check_density(density, f"population.density.{zone}")
        _check_phases(self.phases)

    @property
    def developable_share(self) -> float:
        """Share of a cell's land left for buildings after streets, green and social uses, 0-1."""
        return 1.0 - sum(self.land_shares.values())

    @property
    def phase_years(self) -> tuple[int, ...]:
        """The phase years, ascending (the last is the target year)."""
        return tuple(sorted(self.phases["city"]))

    def phase_share(self, zone: str, year: int) -> float:
        """Share of `zone`'s target reached by `year` (the zone's own entry, else the city's)."""
        return self.phases.get(zone, self.phases["city"]).get(year, self.phases["city"][year])

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>",
                     defaults: Mapping[str, Any] = DEFAULTS) -> PopulationParams:
        """Parameters from a plan's ``[population]`` table; what it leaves out keeps the defaults.

        Parameters
        ----------
        data : Mapping
            The user's ``[population]`` table.
        source : str
            The plan file, named in messages.
        defaults : Mapping
            The table `data` is laid over: the default plan's ``[population]``
            section (the plan loader passes it), else :data:`DEFAULTS`.

        Raises
        ------
        PlanError
            One line naming `source` and the entry: an unknown key, a wrong
            type, a value out of range, a missing density.
        """
        merged = _merged(defaults, data, prefix="population", source=source)
        _prefer_user_targets(merged["targets"], data.get("targets", {}))
        try:
            return _build(merged)
        except PlanError as error:
            raise PlanError(f"{source}: {error}") from None


def _merged(base: Mapping[str, Any], user: Mapping[str, Any], *, prefix: str, source: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in user.items():
        entry = f"{prefix}.{key}"
        # Zones, years and places are the plan's to name; the builders check the keys inside them.
        open_table = prefix == "population.density" or prefix.startswith(_OPEN_TABLES)
        if key not in out and not open_table:
            raise PlanError(f"{source}: unknown entry '{entry}'")
        if isinstance(out.get(key), dict):
            if not isinstance(value, Mapping):
                raise PlanError(f"{source}: '{entry}' must be a table")
            out[key] = _merged(out[key], value, prefix=entry, source=source)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _prefer_user_targets(merged: dict[str, Any], user: Mapping[str, Any]) -> None:
    # A figure given in the plan replaces the default weight of the zone, and a weight the default figure.
    for zone, table in user.items():
        if not isinstance(table, Mapping):
            continue
        for kind in ("residents", "jobs"):
            for given, dropped in ((kind, f"{kind}_weight"), (f"{kind}_weight", kind)):
                if given in table and dropped not in table:
                    merged[zone].pop(dropped, None)


def _build(data: Mapping[str, Any]) -> PopulationParams:
    classes = data["classes"]
    return PopulationParams(
        city_residents=_whole(data["city_residents"], "population.city_residents"),
        city_residents_basis=_text(data["city_residents_basis"], "population.city_residents_basis"),
        city_jobs=_whole(data["city_jobs"], "population.city_jobs"),
        city_jobs_basis=_text(data["city_jobs_basis"], "population.city_jobs_basis"),
        seed_residents_per_ha=_positive(data["seed_residents_per_ha"], "population.seed_residents_per_ha"),
        seed_jobs_per_ha=_positive(data["seed_jobs_per_ha"], "population.seed_jobs_per_ha"),
        land_shares=MappingProxyType({k: _number(v, f"population.land_shares.{k}")
                                      for k, v in data["land_shares"].items() if k != "basis"}),
        class_density=_by_class(classes["density_factor"], "population.classes.density_factor"),
        class_score=_by_class(classes["score"], "population.classes.score"),
        density=MappingProxyType({zone: _density(table, f"population.density.{zone}")
                                  for zone, table in sorted(data["density"].items())}),
        residents=_targets(data["targets"], "residents"),
        jobs=_targets(data["targets"], "jobs"),
        phases=MappingProxyType({zone: _phase(table, f"population.phases.{zone}")
                                 for zone, table in data["phases"].items()}),
        current=MappingProxyType({place: (_whole(t.get("residents"), f"population.current.{place}.residents"),
                                          str(t.get("basis", "assumed")))
                                  for place, t in sorted(data["current"].items())}),
        portfolio=tuple(_portfolio(item, i) for i, item in enumerate(data["portfolio"])),
        basis=MappingProxyType({"land_shares": str(data["land_shares"].get("basis", "assumed")),
                                "classes": str(classes.get("basis", "assumed"))}),
    )


def _number(value: Any, entry: str) -> float:
    if value is None:
        raise PlanError(f"'{entry}' is missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"'{entry}' must be a number, got {value!r}")
    return float(value)


def _whole(value: Any, entry: str) -> int:
    number = _number(value, entry)
    if number < 0 or number != int(number):
        raise PlanError(f"'{entry}' must be a whole number of at least 0, got {value!r}")
    return int(number)


def _positive(value: Any, entry: str) -> float:
    number = _number(value, entry)
    if number <= 0:
        raise PlanError(f"'{entry}' must be greater than 0, got {value!r}")
    return number


def _range(value: float, entry: str, low: float, high: float) -> None:
    if not low <= value <= high:
        bound = f"at least {low:g}" if value < low else f"at most {high:g}"
        raise PlanError(f"'{entry}' must be {bound}, got {value:g}")


def _text(value: Any, entry: str) -> str:
    if not isinstance(value, str):
        raise PlanError(f"'{entry}' must be a text, got {value!r}")
    return value


def _class_name(code: int) -> str:
    return next(name for name, c in CLASS_NAMES.items() if c == code)


def _by_class(table: Mapping[str, Any], entry: str) -> Mapping[int, float]:
    unknown = sorted(set(table) - set(CLASS_NAMES))
    if unknown:
        raise PlanError(f"unknown entry '{entry}.{unknown[0]}' (classes: {', '.join(CLASS_NAMES)})")
    return MappingProxyType({code: _number(table.get(name), f"{entry}.{name}") for name, code in CLASS_NAMES.items()})


def _density(table: Mapping[str, Any], entry: str) -> Density:
    unknown = sorted(set(table) - {*_DENSITY_KEYS, "basis"})
    if unknown:
        raise PlanError(f"unknown entry '{entry}.{unknown[0]}'")
    values = {key: _number(table.get(key), f"{entry}.{key}") for key in _DENSITY_KEYS}
    return Density(**values, basis=str(table.get("basis", "assumed")))


def _check_density(density: Density, entry: str) -> None:
    _range(density.floor_area_ratio, f"{entry}.floor_area_ratio", 0.0, math.inf)
    _range(density.residential_floor_share, f"{entry}.residential_floor_share", 0.0, 1.0)
    for key in ("m2_floor_per_resident", "m2_floor_per_job"):
        if getattr(density, key) <= 0:
            raise PlanError(f"'{entry}.{key}' must be greater than 0, got {getattr(density, key):g}")


def _targets(tables: Mapping[str, Any], kind: str) -> Mapping[str, Target]:
    out: dict[str, Target] = {}
    for zone, table in sorted(tables.items()):
        entry = f"population.targets.{zone}"
        unknown = sorted(set(table) - {kind_ + suffix for kind_ in ("residents", "jobs")
                                       for suffix in ("", "_weight", "_basis")})
        if unknown:
            raise PlanError(f"unknown entry '{entry}.{unknown[0]}'")
        value = table.get(kind)
        if value is not None and f"{kind}_weight" in table:
            raise PlanError(f"'{entry}' gives both '{kind}' and '{kind}_weight': give one")
        figure = None if value is None else _whole(value, f"{entry}.{kind}")
        weight = _number(table.get(f"{kind}_weight", 0.0), f"{entry}.{kind}_weight")
        _range(weight, f"{entry}.{kind}_weight", 0.0, math.inf)
        out[zone] = Target(figure, weight, str(table.get(f"{kind}_basis", "")))
    return MappingProxyType(out)


def _phase(table: Mapping[str, Any], entry: str) -> Mapping[int, float]:
    shares: dict[int, float] = {}
    for year, share in table.items():
        if not str(year).isdigit():
            raise PlanError(f"'{entry}.{year}' must be a year, e.g. {entry}.2030 = 0.25")
        shares[int(year)] = _number(share, f"{entry}.{year}")
    return MappingProxyType(dict(sorted(shares.items())))


def _check_phases(phases: Mapping[str, Mapping[int, float]]) -> None:
    if "city" not in phases or not phases["city"]:
        raise PlanError("'population.phases.city' is missing: give the share of the target by year")
    city = phases["city"]
    last = max(city)
    for zone, shares in phases.items():
        entry = f"population.phases.{zone}"
        extra = sorted(set(shares) - set(city))
        if extra:
            raise PlanError(f"'{entry}.{extra[0]}' is not a year of 'population.phases.city'")
        previous = 0.0
        for year in sorted(city):
            share = shares.get(year, city[year])
            _range(share, f"{entry}.{year}", 0.0, 1.0)
            if share < previous:
                raise PlanError(f"'{entry}.{year}' must not fall below the year before ({share:g} < {previous:g})")
            previous = share
        if shares.get(last, city[last]) != 1.0:
            raise PlanError(f"'{entry}.{last}' must be 1 (the targets are the {last} figures)")


def _portfolio(item: Any, index: int) -> Portfolio:
    entry = f"population.portfolio[{index}]"
    if not isinstance(item, Mapping):
        raise PlanError(f"'{entry}' must be a table")
    return Portfolio(date=_text(item.get("date"), f"{entry}.date"),
                     projects=_whole(item.get("projects"), f"{entry}.projects"),
                     jobs=_whole(item.get("jobs"), f"{entry}.jobs"),
                     basis=_text(item.get("basis", "assumed"), f"{entry}.basis"))


def _check_totals(params: PopulationParams) -> None:
    for kind in ("residents", "jobs"):
        city = getattr(params, f"city_{kind}")
        given = sum(t.value for t in getattr(params, kind).values() if t.value is not None)
        if given > city:
            raise PlanError(f"'population.targets' give {given:,} {kind} to zones, more than "
                            f"'population.city_{kind}' ({city:,}); raise the city total or lower a zone")


DEFAULT_PARAMS = PopulationParams.from_mapping({}, source="<default plan>")
