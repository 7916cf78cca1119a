"""The plan: every parameter of the builds and analyses, from a file the user edits.

A plan is a TOML file (see ``data/default_plan.toml``). :func:`load_plan`
reads and validates it into frozen dataclasses; nothing else in the package
holds settings, so a build is fully described by its plan and its inputs.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alatau_geo.core.errors import DemError, PlanError
from alatau_geo.core.extent import StudyArea
from alatau_geo.core.text_input import MAX_PLAN_BYTES, read_user_text
from alatau_geo.plan.districts import ZoneSpec, parse_zones
from alatau_geo.plan.mountain_params import MountainParams
from alatau_geo.plan.network_params import NetworkParams
from alatau_geo.plan.population_params import DEFAULT_PARAMS as DEFAULT_POPULATION
from alatau_geo.plan.population_params import PopulationParams
from alatau_geo.plan.siting_params import DEFAULT_SECTION as DEFAULT_SITING
from alatau_geo.plan.siting_params import SitingSection
from alatau_geo.plan.suitability_params import SuitabilityParams
from alatau_geo.plan.uncertainty_params import UncertaintyParams, check_ranges
from alatau_geo.reference.hydrology_params import HydrologyParams
from alatau_geo.reference.terrain import TerrainParams, parse_tile_name
from alatau_geo.reference.water import WaterProtectionParams

DEFAULT_PLAN_NAME = "default_plan.toml"
# A zone given in a user's plan replaces the default zone as a whole: merging
# two construction rules key by key would mix them.
_REPLACED_WHOLE = ("settlements", "districts", "city_boundary", "sez")
# Suitability criteria and constraints given in a user's plan replace the
# default ones as a whole, so a plan can drop one; the weights follow the
# criteria (a plan giving its own criteria starts from no default weight).
_REPLACED_WHOLE_NESTED = ("suitability.criteria", "suitability.constraints")
_FOLLOWS = {"suitability.criteria": "suitability.weights"}
# Tables whose keys the user names: a user's table replaces the default's.
_REPLACED_WHOLE_ENTRIES = ("uncertainty.ranges",)


@dataclass(frozen=True)
class AnalysisParams:
    """Limits used by placement and area analysis.

    Attributes
    ----------
    max_buildable_slope_deg : float
        Steeper land is not buildable, degrees.
    flood_freeboard_m : float
        Height objects must keep above the flood level (the reservoir's
        maximum level, ``suitability.hazards.reservoir_max_level_m``), metres.
    placement_grid_m : float
        Spacing of candidate positions for rule-placed objects, metres.
    min_part_ha : float
        District parts smaller than this are slivers and dropped, hectares.
    """

    max_buildable_slope_deg: float
    flood_freeboard_m: float
    placement_grid_m: float
    min_part_ha: float


@dataclass(frozen=True)
class TablePaths:
    """Editable tables; ``None`` means the table shipped with the package."""

    places: Path | None
    corridors: Path | None
    river_names: Path | None
    outlines: Path | None
    infrastructure: Path | None
    projects: Path | None
    mountain_places: Path | None = None


@dataclass(frozen=True)
class ExportParams:
    """Export settings."""

    coordinate_precision: int


MAP_LANGUAGES = ("kk", "ru", "en")
"""Languages the maps can open in (every map switches between all three)."""


@dataclass(frozen=True)
class MapParams:
    """Settings of the HTML maps; they change no layer.

    Attributes
    ----------
    language : {'kk', 'ru', 'en'}
        The language the maps open in.
    """

    language: str = "en"


@dataclass(frozen=True)
class Plan:
    """A validated plan. Build one with :func:`load_plan`.

    Examples
    --------
    >>> plan = load_plan()
    >>> plan.water_protection.reservoir_zone_m, [z.id for z in plan.zones if z.layer == "districts"][:2]
    (500.0, ['gate', 'green'])
    """

    study_area: StudyArea
    terrain: TerrainParams
    hydrology: HydrologyParams
    water_protection: WaterProtectionParams
    tables: TablePaths
    export: ExportParams
    analysis: AnalysisParams
    service_radii_m: Mapping[str, float]
    zones: tuple[ZoneSpec, ...] = ()
    suitability: SuitabilityParams | None = None
    network: NetworkParams | None = None
    population: PopulationParams = DEFAULT_POPULATION
    mountain: MountainParams = field(default_factory=MountainParams)
    uncertainty: UncertaintyParams = field(default_factory=UncertaintyParams)
    siting: SitingSection = DEFAULT_SITING
    maps: MapParams = MapParams()
    source: str = field(default="<default plan>", compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The plan's parameters as plain data (for provenance records); zones are left out.

        So is ``siting``: no layer of a build depends on it (``alatau-geo
        site`` records it apart), so changing it leaves the layers current.
        """
        data = _plain(self)
        data.pop("source")
        data.pop("zones")
        data.pop("network")
        data.pop("siting")
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate a plan file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML plan file. ``None`` loads the default plan shipped with the
        package. Keys the file omits take the default plan's values.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        If the file cannot be read or an entry is missing, of the wrong type
        or out of range; the message names the file and the entry.

    Examples
    --------
    >>> plan = load_plan()
    >>> plan.hydrology.srtm_surface_m, plan.hydrology.reservoir_level_m
    (475, 479.0)
    """
    if path is None:
        return _with_siting(_build_plan(_default_data(), source="<default plan>", base_dir=None,
                                        user_population={}), {}, data=_default_data(), source="<default plan>")
    path = Path(path)
    text = read_user_text(path, what="plan file", max_bytes=MAX_PLAN_BYTES, error=PlanError)
    return parse_plan(text, source=str(path), base_dir=path.resolve().parent)


def _default_data() -> dict[str, Any]:
    return tomllib.loads(resources.files("alatau_geo").joinpath("data", DEFAULT_PLAN_NAME).read_text("utf-8"))


def _with_siting(plan: Plan, user_siting: dict[str, Any], *, data: dict[str, Any], source: str) -> Plan:
    siting = SitingSection.from_mapping(user_siting, source=source, defaults=data.get("siting", {}))
    return dataclasses.replace(plan, siting=siting)


def parse_plan(text: str, *, source: str, base_dir: Path | None) -> Plan:
    """Validate a plan given as TOML text, as :func:`load_plan` validates a file.

    Parameters
    ----------
    text : str
        The plan file's content; keys it omits take the default plan's values.
    source : str
        What error messages name (the file's path).
    base_dir : Path or None
        The folder relative table paths are read from.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        If the text is not TOML or an entry is missing, of the wrong type or
        out of range; the message names `source` and the entry.
    """
    data = _default_data()
    try:
        user = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{source}: not valid TOML ({error})") from None
    # [population] names its own zones, years and places, and [siting] may add
    # facility kinds: their readers lay the user's table over the default
    # plan's and name an unknown entry themselves.
    user_population = user.pop("population", {})
    if not isinstance(user_population, dict):
        raise PlanError(f"{source}: 'population' must be a table")
    user_siting = user.pop("siting", {})
    _merge(data, user, source=source, prefix="")
    plan = _build_plan(data, source=source, base_dir=base_dir, user_population=user_population)
    return _with_siting(plan, user_siting, data=data, source=source)


def _merge(base: dict[str, Any], user: dict[str, Any], *, source: str, prefix: str) -> None:
    replaced = set(_REPLACED_WHOLE_NESTED)
    for entry, follower in _FOLLOWS.items():
        if entry.startswith(prefix) and entry[len(prefix):] in user:
            base[follower[len(prefix):]] = {}
            replaced.add(follower)
    for key, value in user.items():
        entry = f"{prefix}{key}"
        if key not in base:
            raise PlanError(f"{source}: unknown entry '{entry}'")
        if prefix == "" and key in _REPLACED_WHOLE:
            base[key] = value  # a zone table, or a list of them ([[sez]] in a scenario with several)
        elif entry in replaced or entry in _REPLACED_WHOLE_ENTRIES:
            if not isinstance(value, dict) and isinstance(base[key], dict):
                raise PlanError(f"{source}: '{entry}' must be a table")
            base[key] = value
        elif isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise PlanError(f"{source}: '{entry}' must be a table")
            _merge(base[key], value, source=source, prefix=f"{entry}.")
        else:
            base[key] = value


def _number(data: dict[str, Any], section: str, key: str, *, source: str,
            minimum: float | None = None, maximum: float | None = None,
            positive: bool = False, integer: bool = False) -> Any:
    value = data[section][key]
    entry = f"{section}.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{source}: '{entry}' must be a number, got {value!r}")
    if integer and not isinstance(value, int):
        raise PlanError(f"{source}: '{entry}' must be a whole number, got {value!r}")
    if positive and value <= 0:
        raise PlanError(f"{source}: '{entry}' must be greater than 0, got {value}")
    if minimum is not None and value < minimum:
        raise PlanError(f"{source}: '{entry}' must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise PlanError(f"{source}: '{entry}' must be at most {maximum}, got {value}")
    return value if integer else float(value)


def _table_path(data: dict[str, Any], key: str, *, source: str, base_dir: Path | None) -> Path | None:
    value = data["tables"][key]
    if not isinstance(value, str):
        raise PlanError(f"{source}: 'tables.{key}' must be a path string, got {value!r}")
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _tile_names(tiles: Any, *, source: str) -> list[str]:
    """The plan's SRTM tile names, each checked (``N43E077``) and given once."""
    if not isinstance(tiles, list) or not tiles or not all(isinstance(t, str) for t in tiles):
        raise PlanError(f"{source}: 'terrain.tiles' must be a non-empty list of tile names")
    for name in tiles:
        try:
            parse_tile_name(name)
        except DemError:
            raise PlanError(f"{source}: 'terrain.tiles': {name!r} is not an SRTM tile name (expected e.g. "
                            "N43E077: N or S, two digits of latitude, E or W, three digits of longitude)") from None
    repeated = sorted({name for name in tiles if tiles.count(name) > 1})
    if repeated:
        raise PlanError(f"{source}: 'terrain.tiles': {repeated[0]} is listed twice")
    return tiles


def _network(data: dict[str, Any], *, source: str) -> NetworkParams:
    return NetworkParams.from_mapping(data.get("network", {}), source=source)


def _population(data: dict[str, Any], user: dict[str, Any], *, source: str) -> PopulationParams:
    """The ``[population]`` section: the user's table laid over the default plan's."""
    return PopulationParams.from_mapping(user, source=source, defaults=data["population"])


def _mountain(data: dict[str, Any], *, source: str) -> MountainParams:
    return MountainParams.from_mapping(data.get("mountain", {}), source=source)


def _maps(data: dict[str, Any], *, source: str) -> MapParams:
    language = data.get("maps", {}).get("language", "en")
    if language not in MAP_LANGUAGES:
        raise PlanError(f"{source}: 'maps.language' must be one of {', '.join(MAP_LANGUAGES)}, got {language!r}")
    return MapParams(language=language)


def _suitability(data: dict[str, Any], analysis: AnalysisParams, *, source: str) -> SuitabilityParams:
    """The ``[suitability]`` section; its slope limit must be the plan's one definition of buildable slope."""
    params = SuitabilityParams.from_mapping(data["suitability"], source=source)
    normal = float(data["hydrology"]["reservoir_level_m"])
    if params.hazards.reservoir_max_level_m < normal:
        raise PlanError(f"{source}: 'suitability.hazards.reservoir_max_level_m' "
                        f"({params.hazards.reservoir_max_level_m:g}) must not be below 'hydrology.reservoir_level_m' "
                        f"({normal:g}), the reservoir's normal level")
    for constraint in params.constraints:
        if constraint.source == "slope" and constraint.above is not None \
                and constraint.above != analysis.max_buildable_slope_deg:
            raise PlanError(
                f"{source}: 'suitability.constraints.{constraint.name}.above' ({constraint.above:g}) must equal "
                f"'analysis.max_buildable_slope_deg' ({analysis.max_buildable_slope_deg:g}): buildable land means "
                "the same in the placement rules, the area report and the suitability"
            )
    return params


def _build_plan(data: dict[str, Any], *, source: str, base_dir: Path | None,
                user_population: dict[str, Any]) -> Plan:
    def num(section: str, key: str, **limits: Any) -> Any:
        return _number(data, section, key, source=source, **limits)

    area = StudyArea(
        west=num("study_area", "west", minimum=-180, maximum=180),
        south=num("study_area", "south", minimum=-90, maximum=90),
        east=num("study_area", "east", minimum=-180, maximum=180),
        north=num("study_area", "north", minimum=-90, maximum=90),
    )
    if area.west >= area.east or area.south >= area.north:
        raise PlanError(f"{source}: 'study_area' must have west < east and south < north")
    tiles = _tile_names(data["terrain"]["tiles"], source=source)
    srtm_surface = num("hydrology", "srtm_surface_m", integer=True)
    hydrology = HydrologyParams(
        srtm_surface_m=srtm_surface,
        reservoir_level_m=num("hydrology", "reservoir_level_m", minimum=srtm_surface, maximum=srtm_surface + 50),
        min_island_ha=num("hydrology", "min_island_ha", minimum=0),
        stream_threshold_km2=num("hydrology", "stream_threshold_km2", positive=True),
        reservoir_simplify_tolerance_m=num("hydrology", "reservoir_simplify_tolerance_m", minimum=0),
        reservoir_max_area_change_pct=num("hydrology", "reservoir_max_area_change_pct", positive=True, maximum=100),
        stream_simplify_tolerance_m=num("hydrology", "stream_simplify_tolerance_m", minimum=0),
        name_snap_radius_m=num("hydrology", "name_snap_radius_m", positive=True),
    )
    protection = WaterProtectionParams(
        **{key: num("water_protection", key, minimum=0) for key in data["water_protection"]}
    )
    for kind in ("reservoir", "river"):
        if getattr(protection, f"{kind}_strip_m") > getattr(protection, f"{kind}_zone_m"):
            raise PlanError(
                f"{source}: 'water_protection.{kind}_strip_m' must not exceed "
                f"'water_protection.{kind}_zone_m' (the strip lies inside the zone)"
            )
    analysis = AnalysisParams(
        max_buildable_slope_deg=num("analysis", "max_buildable_slope_deg", positive=True, maximum=90),
        flood_freeboard_m=num("analysis", "flood_freeboard_m", minimum=0),
        placement_grid_m=num("analysis", "placement_grid_m", positive=True),
        min_part_ha=num("analysis", "min_part_ha", minimum=0),
    )
    plan = Plan(
        study_area=area,
        terrain=TerrainParams(
            tiles=tuple(tiles),
            resolution_m=num("terrain", "resolution_m", positive=True),
            void_fill_max_distance_cells=num("terrain", "void_fill_max_distance_cells", minimum=0, integer=True),
        ),
        hydrology=hydrology,
        water_protection=protection,
        tables=TablePaths(
            places=_table_path(data, "places", source=source, base_dir=base_dir),
            corridors=_table_path(data, "corridors", source=source, base_dir=base_dir),
            river_names=_table_path(data, "river_names", source=source, base_dir=base_dir),
            outlines=_table_path(data, "outlines", source=source, base_dir=base_dir),
            infrastructure=_table_path(data, "infrastructure", source=source, base_dir=base_dir),
            projects=_table_path(data, "projects", source=source, base_dir=base_dir),
            mountain_places=_table_path(data, "mountain_places", source=source, base_dir=base_dir),
        ),
        analysis=analysis,
        service_radii_m=MappingProxyType(
            {kind: num("service_radii_m", kind, positive=True) for kind in data["service_radii_m"]}
        ),
        zones=parse_zones(data, source=source),
        suitability=_suitability(data, analysis, source=source),
        network=_network(data, source=source),
        population=_population(data, user_population, source=source),
        mountain=_mountain(data, source=source),
        maps=_maps(data, source=source),
        export=ExportParams(
            coordinate_precision=num("export", "coordinate_precision", minimum=5, maximum=8, integer=True),
        ),
        uncertainty=UncertaintyParams.from_mapping(data.get("uncertainty", {}), source=source),
        source=source,
    )
    check_ranges(plan)
    return plan
