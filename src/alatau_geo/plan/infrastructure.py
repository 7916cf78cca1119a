"""Infrastructure and investment projects: editable catalogues, rule-based placement, placement report.

Two catalogues, both UTF-8 CSV tables a user may edit (``data/infrastructure.csv``
and ``data/projects.csv``; a plan's ``[tables]`` may point to other copies):

- the **infrastructure** catalogue holds the 30 priority engineering objects
  (substations, the water intake node, wastewater treatment plants as points;
  gas pipelines and roads as lines). The sources publish the count and the
  kinds only; every name, district and position in the shipped table is a
  planning assumption and its ``basis`` column says so;
- the **projects** catalogue holds every named investment project. Per-project
  investment and jobs stay empty unless a source publishes them.

Placement
---------
A point row is placed either at its ``lon``, ``lat`` (``placement = given``)
or by rule (``placement = rule``): candidates lie on a grid of
``plan.analysis.placement_grid_m`` spacing (aligned to whole multiples, so
rebuilds give the same positions) inside the row's district, or inside the
city (the ``city_boundary`` layer, else the union of the districts) when the
row has none. The chosen candidate breaks the fewest of the row's rules;
among those it keeps
:data:`MIN_SPACING_M` from objects placed before (rows are placed in id
order) and is nearest its anchor: the ``via`` feature if the row names one,
else the district's representative point. Ties fall to the candidate nearest
the district's representative point, then to the smaller x, then y.

A line row is drawn through the stops in its ``via`` column (schematic):

- ``<place id>``: the point of that place (``places`` layer);
- ``district:<id>``: the district's representative point;
- ``corridor:<id>``: between two stops, the line follows the corridor from
  the point nearest the stop before to the point nearest the stop after; at
  either end of the list it adds only the corridor point nearest its
  neighbour (an access from the corridor); alone, it is the whole corridor.

A point row may name one ``via`` token as its anchor: a place, a corridor,
a district, or ``reservoir``.

Rules
-----
:data:`RULES` names the checks a row can list in its ``rules`` column
(semicolon-separated). Each rule is a small function over an array of
candidate geometries returning whether each passes and the measured value;
:func:`placement_report` turns the values into one line of text each. Every
placed object records the rules it breaks in ``broken_rules``.

Coordinates are (x, y) = (lon, lat) in the tables and metres in EPSG:32643
everywhere else.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.ops import substring

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import CRSError, LayerError, TableError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.markdown import markdown_cell
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import AnalysisParams, Plan
from alatau_geo.reference.terrain import sample

logger = logging.getLogger(__name__)

CatalogueKind = Literal["infrastructure", "projects"]

#: Distance within which ``near_corridor`` counts an object as on the corridor, metres
#: (planning assumption: a short access road or connection).
NEAR_CORRIDOR_M = 2000.0
#: Rule-placed points keep at least this distance from objects placed before them, metres,
#: whenever a candidate breaking no more rules allows it.
MIN_SPACING_M = 1000.0
#: Tolerance of ``in_district`` for rounding on district edges, metres.
DISTRICT_TOLERANCE_M = 1.0

DISTRICT_IDS = ("gate", "golden", "growing", "green")
INFRASTRUCTURE_KINDS: Mapping[str, str] = MappingProxyType({
    "substation": "point",
    "water_intake": "point",
    "wastewater_plant": "point",
    "gas_pipeline": "line",
    "road": "line",
})
WORKS = ("new", "reconstruction")
PLACEMENTS = ("rule", "given")
GEOMETRY_KINDS = ("point", "line")
INFRASTRUCTURE_STATUSES = ("planned", "design", "construction", "operating")
PROJECT_STATUSES = ("planned", "in_talks", "agreed", "under_way", "operating")
POSITION_QUALITIES = ("approximate", "geonames", "openstreetmap", "surveyed", "published")

INFRASTRUCTURE_COLUMNS = (
    "id", "name_en", "name_kk", "name_ru", "kind", "works", "district", "geometry_kind", "placement", "rules",
    "via", "lon", "lat", "status", "financing", "position_quality", "basis",
)
PROJECT_COLUMNS = (
    "id", "name_en", "name_kk", "name_ru", "company", "district", "sector", "investment_kzt", "jobs", "status",
    "placement", "rules", "via", "lon", "lat", "position_quality", "source", "basis",
)
CATALOGUE_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "infrastructure": INFRASTRUCTURE_COLUMNS,
    "projects": PROJECT_COLUMNS,
})
_TO_WORKING = Transformer.from_crs(EXPORT_CRS, WORKING_CRS, always_xy=True)
_LAYER_NAMES = {
    "infrastructure": ("infrastructure", "infrastructure_lines"),
    "projects": ("projects", "projects_lines"),
}
_TITLES = {
    "infrastructure": "Priority engineering objects (placement is a planning assumption)",
    "infrastructure_lines": "Priority engineering lines: gas pipelines and roads (schematic)",
    "projects": "Named investment projects (placement is a planning assumption)",
    "projects_lines": "Named investment projects, lines (schematic)",
}


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, eq=False)
class PlacementContext:
    """Everything the placement rules look at, in the working CRS (EPSG:32643).

    Parameters
    ----------
    districts : GeoDataFrame
        Columns ``id`` and geometry (Polygon or MultiPolygon); rows with the
        same id form one district.
    corridors, places : GeoDataFrame
        Lines and points with an ``id`` column (the ``corridors`` and ``places`` layers).
    water_protection_strip : GeoDataFrame
        Strip polygons; ``water_body`` names the water body in report details.
    reservoir : GeoDataFrame
        The reservoir polygon(s).
    elevation, slope : Raster
        Elevation in metres and slope in degrees on the working grid.
    analysis : AnalysisParams
        ``max_buildable_slope_deg``, ``flood_freeboard_m``, ``placement_grid_m``.
    reservoir_level_m : float
        Reservoir surface (``plan.hydrology.reservoir_level_m``).
    near_corridor_m, min_spacing_m : float
        See :data:`NEAR_CORRIDOR_M` and :data:`MIN_SPACING_M`.
    city_boundary : GeoDataFrame, optional
        Where rows without a district are placed; without it, the union of the districts.

    Raises
    ------
    CRSError
        If a frame or raster is not in EPSG:32643; the message shows both CRSs.
    LayerError
        If a frame lacks an ``id`` column.
    """

    districts: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    water_protection_strip: gpd.GeoDataFrame
    reservoir: gpd.GeoDataFrame
    elevation: Raster
    slope: Raster
    analysis: AnalysisParams
    reservoir_level_m: float
    near_corridor_m: float = NEAR_CORRIDOR_M
    min_spacing_m: float = MIN_SPACING_M
    city_boundary: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        for name in ("districts", "corridors", "places", "water_protection_strip", "reservoir", "city_boundary"):
            frame = getattr(self, name)
            if frame is None:
                continue
            if frame.crs is None or not WORKING_CRS.equals(frame.crs):
                raise CRSError(f"placement context: {name} must be in {WORKING_CRS.to_string()}, got {frame.crs}")
            if name not in ("reservoir", "city_boundary") and "id" not in frame.columns:
                raise LayerError(f"placement context: {name} has no 'id' column")
        for name in ("elevation", "slope"):
            crs = CRS.from_user_input(getattr(self, name).crs)
            if not WORKING_CRS.equals(crs):
                raise CRSError(f"placement context: {name} raster must be in {WORKING_CRS.to_string()}, got {crs}")

    @classmethod
    def from_layers(cls, layers: Mapping[str, Layer], *, elevation: Raster, slope: Raster, plan: Plan,
                    near_corridor_m: float = NEAR_CORRIDOR_M, min_spacing_m: float = MIN_SPACING_M,
                    ) -> PlacementContext:
        """Build the context from named layers (``districts``, ``corridors``, ``places``,
        ``water_protection_strip``, ``reservoir``; ``city_boundary`` if present),
        the working rasters and the plan.

        Raises
        ------
        LayerError
            If one of those layers is missing.
        """
        needed = ("districts", "corridors", "places", "water_protection_strip", "reservoir")
        missing = [name for name in needed if name not in layers]
        if missing:
            raise LayerError(f"placement needs the layer(s) {', '.join(missing)}; build them first")
        return cls(
            **{name: layers[name].frame for name in needed},
            elevation=elevation,
            slope=slope,
            analysis=plan.analysis,
            reservoir_level_m=float(plan.hydrology.reservoir_level_m),
            near_corridor_m=near_corridor_m,
            min_spacing_m=min_spacing_m,
            city_boundary=layers["city_boundary"].frame if "city_boundary" in layers else None,
        )

    @property
    def flood_level_m(self) -> float:
        """Lowest elevation an object may stand at: reservoir surface plus freeboard, metres."""
        return self.reservoir_level_m + self.analysis.flood_freeboard_m

    @cached_property
    def district_geometries(self) -> Mapping[str, shapely.Geometry]:
        """One (multi)polygon per district id."""
        return MappingProxyType({
            str(key): shapely.union_all(group.geometry.to_numpy())
            for key, group in self.districts.groupby("id", sort=True)
        })

    @cached_property
    def city(self) -> shapely.Geometry:
        """The city boundary; without one, the union of the districts, or the DEM extent."""
        if self.city_boundary is not None and len(self.city_boundary):
            return shapely.union_all(self.city_boundary.geometry.to_numpy())
        if len(self.district_geometries):
            return shapely.union_all(list(self.district_geometries.values()))
        return shapely.box(*self.elevation.bounds)

    @cached_property
    def reservoir_geometry(self) -> shapely.Geometry:
        """The reservoir as one geometry."""
        return shapely.union_all(self.reservoir.geometry.to_numpy())

    @cached_property
    def strips(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """The strip polygons (prepared) and the name of each one's water body."""
        geometries = self.water_protection_strip.geometry.to_numpy()
        column = "water_body" if "water_body" in self.water_protection_strip.columns else "id"
        names = tuple(str(name) for name in self.water_protection_strip[column])
        shapely.prepare(geometries)
        return geometries, names

    def area_of(self, district: str | None) -> shapely.Geometry:
        """The search area of a row: its district, or the city."""
        if not district:
            return self.city
        try:
            return self.district_geometries[district]
        except KeyError:
            known = ", ".join(self.district_geometries) or "none"
            raise LayerError(f"districts layer has no district {district!r} (districts: {known})") from None

    def place_point(self, place_id: str) -> shapely.Point:
        """The point of a place (``places`` layer)."""
        rows = self.places.geometry[self.places["id"] == place_id]
        if rows.empty:
            raise LayerError(f"places layer has no place {place_id!r}")
        return rows.iloc[0]

    def corridor_line(self, corridor_id: str) -> shapely.Geometry:
        """The line of a corridor, its rows merged (``corridors`` layer)."""
        rows = self.corridors.geometry[self.corridors["id"] == corridor_id]
        if rows.empty:
            known = ", ".join(map(str, self.corridors["id"])) or "none"
            raise LayerError(f"corridors layer has no corridor {corridor_id!r} (corridors: {known})")
        return shapely.line_merge(shapely.union_all(rows.to_numpy()))


@dataclass(frozen=True)
class Target:
    """What a rule needs to know of the object it checks.

    Attributes
    ----------
    id : str
    district : str or None
        The district the object must lie in (``in_district``).
    via : tuple of str
        The row's ``via`` tokens; ``corridor:<id>`` tokens pick the corridors
        ``near_corridor`` measures to (all corridors when there are none).
    """

    id: str
    district: str | None = None
    via: tuple[str, ...] = ()

    @property
    def corridors(self) -> tuple[str, ...]:
        """Ids of the corridors named in ``via``."""
        return tuple(token.split(":", 1)[1] for token in self.via if token.startswith("corridor:"))


# --------------------------------------------------------------------------- rules

Check = tuple[np.ndarray, np.ndarray]
"""(ok, value): whether each geometry passes, and what was measured."""


def _is_line(geometries: np.ndarray) -> np.ndarray:
    return np.isin(shapely.get_type_id(geometries), (1, 2, 5))


def _objects(items: Sequence[Any]) -> np.ndarray:
    """A 1-D object array holding `items` as they are (tuples stay elements)."""
    array = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        array[index] = item
    return array


def _profile(raster: Raster, geometries: np.ndarray, *, reduce: Callable[[np.ndarray], float]) -> np.ndarray:
    """Raster value at each point; for a line, `reduce` over samples spaced one cell apart."""
    values = np.full(len(geometries), np.nan)
    lines = _is_line(geometries)
    points = ~lines
    if points.any():
        values[points] = sample(raster, shapely.get_x(geometries[points]), shapely.get_y(geometries[points]))
    step = abs(raster.transform.a)
    for index in np.flatnonzero(lines):
        line = geometries[index]
        distances = np.append(np.arange(0.0, line.length, step), line.length)
        along = shapely.line_interpolate_point(line, distances)
        samples = sample(raster, shapely.get_x(along), shapely.get_y(along))
        values[index] = np.nan if np.isnan(samples).any() else reduce(samples)
    return values


def in_district(geometries: np.ndarray, target: Target, context: PlacementContext) -> Check:
    """Inside the object's district. Value: distance outside it (points) or length outside it (lines), metres."""
    area = context.area_of(target.district)
    shapely.prepare(area)
    lines = _is_line(geometries)
    value = np.zeros(len(geometries))
    if (~lines).any():
        value[~lines] = shapely.distance(geometries[~lines], area)
    if lines.any():
        value[lines] = shapely.length(shapely.difference(geometries[lines], area))
    return value <= DISTRICT_TOLERANCE_M, value


def near_corridor(geometries: np.ndarray, target: Target, context: PlacementContext) -> Check:
    """Within ``near_corridor_m`` of the corridor(s) named in ``via`` (all corridors if none).

    Value: (distance in metres, corridor id) of the nearest corridor.
    """
    ids = target.corridors or tuple(map(str, context.corridors["id"]))
    if not ids:
        raise LayerError(f"{target.id}: near_corridor needs a corridors layer with at least one corridor")
    distances = np.vstack([shapely.distance(geometries, context.corridor_line(i)) for i in ids])
    nearest = distances.argmin(axis=0)
    best = distances[nearest, np.arange(len(geometries))]
    value = _objects([(float(d), ids[k]) for d, k in zip(best, nearest, strict=True)])
    return best <= context.near_corridor_m, value


def outside_strips(geometries: np.ndarray, target: Target, context: PlacementContext) -> Check:
    """Outside every water protection strip.

    Value: the strips a point lies in, or ``(strip, length in metres)`` for
    each strip a line crosses.
    """
    strips, names = context.strips
    value = _objects([() for _ in range(len(geometries))])
    lines = _is_line(geometries)
    point_index = np.flatnonzero(~lines)
    for strip, name in zip(strips, names, strict=True):
        if point_index.size:
            inside = shapely.contains_xy(strip, shapely.get_x(geometries[point_index]),
                                         shapely.get_y(geometries[point_index]))
            for index in point_index[inside]:
                value[index] = (*value[index], name)
        for index in np.flatnonzero(lines):
            length = shapely.intersection(geometries[index], strip).length
            if length > 0:
                value[index] = (*value[index], (name, float(length)))
    ok = np.array([len(v) == 0 for v in value], dtype=bool)
    return ok, value


def max_slope(geometries: np.ndarray, target: Target, context: PlacementContext) -> Check:
    """Slope at most ``max_buildable_slope_deg``. Value: slope in degrees (lines: the steepest sample)."""
    value = _profile(context.slope, geometries, reduce=np.max)
    return value <= context.analysis.max_buildable_slope_deg, value


def above_flood(geometries: np.ndarray, target: Target, context: PlacementContext) -> Check:
    """Elevation at least the reservoir level plus freeboard. Value: elevation in metres (lines: the lowest)."""
    value = _profile(context.elevation, geometries, reduce=np.min)
    return value >= context.flood_level_m, value


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def _describe_in_district(value: float, ok: bool, target: Target, context: PlacementContext,
                          *, line: bool) -> str:
    name = target.district or "the city"
    if ok:
        return f"inside district {name}"
    return f"{_km(value)} of the line outside district {name}" if line else f"{_km(value)} outside district {name}"


def _describe_near_corridor(value: tuple[float, str], ok: bool, target: Target, context: PlacementContext,
                            *, line: bool) -> str:
    distance, corridor = value
    sign = "≤" if ok else ">"
    return f"{_km(distance)} from corridor {corridor} {sign} {_km(context.near_corridor_m)}"


def _describe_outside_strips(value: tuple[Any, ...], ok: bool, target: Target, context: PlacementContext,
                             *, line: bool) -> str:
    if ok:
        return "outside every water protection strip"
    if line:
        crossed = ", ".join(f"{name} ({_km(length)})" for name, length in value)
        return f"crosses the water protection strip of {crossed}: needs a crossing structure and a permit"
    return f"inside the water protection strip of {', '.join(value)}"


def _describe_max_slope(value: float, ok: bool, target: Target, context: PlacementContext, *, line: bool) -> str:
    if np.isnan(value):
        return "no slope data here (outside the DEM or next to a void)"
    sign = "≤" if ok else ">"
    what = "steepest slope along the line" if line else "slope"
    return f"{what} {value:.1f}° {sign} {context.analysis.max_buildable_slope_deg:g}°"


def _describe_above_flood(value: float, ok: bool, target: Target, context: PlacementContext, *, line: bool) -> str:
    if np.isnan(value):
        return "no elevation data here (outside the DEM or next to a void)"
    sign = "≥" if ok else "<"
    what = "lowest elevation along the line" if line else "elevation"
    return (f"{what} {value:.1f} m {sign} {context.flood_level_m:g} m flood level "
            f"({context.reservoir_level_m:g} m + {context.analysis.flood_freeboard_m:g} m freeboard)")


@dataclass(frozen=True)
class Rule:
    """A named placement rule.

    Attributes
    ----------
    name : str
    description : str
    check : callable
        ``check(geometries, target, context) -> (ok, value)`` over an array of geometries.
    describe : callable
        ``describe(value, ok, target, context, line=...) -> str``, one line for the report.
    """

    name: str
    description: str
    check: Callable[[np.ndarray, Target, PlacementContext], Check]
    describe: Callable[..., str]


RULES: Mapping[str, Rule] = MappingProxyType({
    rule.name: rule for rule in (
        Rule("in_district", "inside the object's district", in_district, _describe_in_district),
        Rule("near_corridor", f"within {NEAR_CORRIDOR_M:g} m (NEAR_CORRIDOR_M) of the corridor named in 'via', "
             "or of any corridor", near_corridor, _describe_near_corridor),
        Rule("outside_strips", "outside every water protection strip (lines: crossings are reported)",
             outside_strips, _describe_outside_strips),
        Rule("max_slope", "slope at most plan.analysis.max_buildable_slope_deg", max_slope, _describe_max_slope),
        Rule("above_flood", "at least plan.hydrology.reservoir_level_m + plan.analysis.flood_freeboard_m",
             above_flood, _describe_above_flood),
    )
})


# --------------------------------------------------------------------------- catalogue


def _text(value: Any) -> str:
    """A table cell as text; missing values (None, NaN, NA) are empty."""
    return value.strip() if isinstance(value, str) else ""


def _split(value: Any) -> tuple[str, ...]:
    return tuple(part.strip() for part in _text(value).split(";") if part.strip())


def _via_problem(tokens: tuple[str, ...], *, line: bool) -> str | None:
    """What is wrong with a row's via tokens, or None."""
    for token in tokens:
        prefix, _, name = token.rpartition(":")
        if prefix not in ("", "corridor", "district") or not name:
            return f"via token {token!r}: use a place id, corridor:<id>, district:<id> or reservoir"
        if prefix == "district" and name not in DISTRICT_IDS:
            return f"via token {token!r}: district must be one of {', '.join(DISTRICT_IDS)}"
    if not line:
        return "a point takes at most one via token (its anchor)" if len(tokens) > 1 else None
    if not tokens:
        return "a line needs its stops in 'via' (e.g. konaev;alatau or corridor:a3)"
    if "reservoir" in tokens:
        return "via token 'reservoir' is for points only"
    if len(tokens) == 1 and not tokens[0].startswith("corridor:"):
        return "a line needs two stops, or one corridor:<id>"
    corridors = [t.startswith("corridor:") for t in tokens]
    if any(a and b for a, b in itertools.pairwise(corridors)):
        return "two corridors in a row: put a place or district between them"
    return None


def _row_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """The first problem of one catalogue row, or None."""
    if not row["name_en"]:
        return "empty 'name_en'"
    if not row["basis"]:
        return "empty 'basis': say where the entry comes from, or that it is a planning assumption"
    if row["district"] and row["district"] not in DISTRICT_IDS:
        return f"unknown district {row['district']!r}; use one of {', '.join(DISTRICT_IDS)} or leave it empty"
    if kind == "infrastructure":
        if row["kind"] not in INFRASTRUCTURE_KINDS:
            return f"unknown kind {row['kind']!r}; use one of {', '.join(INFRASTRUCTURE_KINDS)}"
        if row["works"] not in WORKS:
            return f"unknown works {row['works']!r}; use one of {', '.join(WORKS)}"
        if row["geometry_kind"] != INFRASTRUCTURE_KINDS[row["kind"]]:
            return f"kind {row['kind']} is drawn as a {INFRASTRUCTURE_KINDS[row['kind']]}, not {row['geometry_kind']!r}"
    statuses = INFRASTRUCTURE_STATUSES if kind == "infrastructure" else PROJECT_STATUSES
    if row["status"] not in statuses:
        return f"unknown status {row['status']!r}; use one of {', '.join(statuses)}"
    if row["placement"] not in PLACEMENTS:
        return f"unknown placement {row['placement']!r}; use one of {', '.join(PLACEMENTS)}"
    if row["position_quality"] not in POSITION_QUALITIES:
        return f"unknown position_quality {row['position_quality']!r}; use one of {', '.join(POSITION_QUALITIES)}"
    rules = _split(row["rules"])
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown:
        return f"unknown rule {unknown[0]!r}; use one of {', '.join(RULES)}"
    if len(set(rules)) != len(rules):
        return "a rule is listed twice"
    if "in_district" in rules and not row["district"]:
        return "rule in_district needs a district"
    line = row["geometry_kind"] == "line"
    problem = _via_problem(_split(row["via"]), line=line)
    if problem:
        return problem
    has_position = bool(row["lon"]) or bool(row["lat"])
    if row["placement"] == "rule":
        if has_position:
            return "lon/lat filled in but placement is 'rule'; set placement to 'given' or clear them"
        if row["position_quality"] != "approximate":
            return "a position placed by rule is 'approximate', not " + repr(row["position_quality"])
    else:
        if line:
            return "lines are drawn through their 'via' stops; placement must be 'rule'"
        if not (row["lon"] and row["lat"]):
            return "placement 'given' needs lon and lat"
    return None


#: Number columns of the catalogues: (lowest, highest, whole numbers only).
_NUMBER_LIMITS: Mapping[str, tuple[float, float, bool]] = MappingProxyType({
    "lon": (-180.0, 180.0, False),
    "lat": (-90.0, 90.0, False),
    "investment_kzt": (0.0, 1e16, True),
    "jobs": (0.0, 1e8, True),
})


def _number(text: str, *, column: str) -> tuple[float | None, str | None]:
    """(value, None), (None, None) for an empty cell, or (None, problem)."""
    if not text:
        return None, None
    low, high, whole = _NUMBER_LIMITS[column]
    try:
        value = float(text)
    except ValueError:
        return None, f"{column} {text!r} is not a number"
    if not (np.isfinite(value) and low <= value <= high):
        return None, f"{column} {text} is out of range ({low:g} to {high:g})"
    if whole and not value.is_integer():
        return None, f"{column} {text} must be a whole number"
    return value, None


def read_catalogue(path: str | Path, *, kind: CatalogueKind) -> pd.DataFrame:
    """Read and check an infrastructure or projects catalogue.

    Parameters
    ----------
    path : str or Path
        UTF-8 CSV with :data:`INFRASTRUCTURE_COLUMNS` or :data:`PROJECT_COLUMNS`.
    kind : {'infrastructure', 'projects'}

    Returns
    -------
    DataFrame
        The catalogue's columns in order, sorted by id; ``lon``, ``lat`` as
        floats (NaN where empty), ``investment_kzt`` and ``jobs`` (projects)
        as nullable integers, other columns as strings (empty where empty).
        Projects get ``geometry_kind = 'point'``. ``attrs`` holds
        ``catalogue`` (the kind) and ``source`` (the path).

    Raises
    ------
    TableError
        One line naming the file, the line, the id and the problem: missing
        column, empty or duplicate id, unknown kind, district, status,
        placement or rule name, a given placement without lon/lat, a bad
        number, malformed ``via``.
    """
    if kind not in CATALOGUE_COLUMNS:
        raise ValueError(f"kind must be one of {', '.join(CATALOGUE_COLUMNS)}, got {kind!r}")
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise TableError(f"{path}: {kind} catalogue not found") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TableError(f"{path}: cannot read {kind} catalogue ({str(error).splitlines()[0]})") from None
    columns = CATALOGUE_COLUMNS[kind]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table[list(columns)].apply(lambda column: column.str.strip())
    if kind == "projects":
        table["geometry_kind"] = "point"
    numbers = {column: [] for column in _NUMBER_LIMITS if column in table.columns}
    seen: set[str] = set()
    for number, row in enumerate(table.to_dict("records"), start=2):
        where = f"{path}: line {number} (id={row['id'] or '?'})"
        if not row["id"]:
            raise TableError(f"{where}: empty 'id'")
        if row["id"] in seen:
            raise TableError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        for column, values in numbers.items():
            value, problem = _number(row[column], column=column)
            if problem:
                raise TableError(f"{where}: {problem}")
            values.append(value)
        problem = _row_problem(row, kind=kind)
        if problem:
            raise TableError(f"{where}: {problem}")
    for column, values in numbers.items():
        if column in ("lon", "lat"):
            table[column] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            table[column] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    table = table.sort_values("id", kind="stable").reset_index(drop=True)
    table.attrs = {"catalogue": kind, "source": str(path)}
    return table


def packaged_catalogue(kind: CatalogueKind) -> Path:
    """Path of the catalogue shipped with the package."""
    from alatau_geo.reference.gazetteer import packaged_table

    return packaged_table(f"{kind}.csv")


def load_catalogues(plan: Plan) -> dict[str, pd.DataFrame]:
    """Read the plan's infrastructure and projects catalogues (shipped ones by default)."""
    catalogues = {}
    for kind in ("infrastructure", "projects"):
        path = getattr(plan.tables, kind) or packaged_catalogue(kind)
        catalogue = read_catalogue(path, kind=kind)
        if getattr(plan.tables, kind) is None:
            catalogue.attrs["source"] = f"alatau_geo/data/{kind}.csv (shipped table)"
        catalogues[kind] = catalogue
    return catalogues


# --------------------------------------------------------------------------- placement


def evaluate(geometries: np.ndarray, rules: Sequence[str], target: Target, context: PlacementContext,
             ) -> dict[str, Check]:
    """Run the named rules over an array of geometries: ``{rule: (ok, value)}``."""
    return {name: RULES[name].check(geometries, target, context) for name in rules}


def broken_rules(geometry: shapely.Geometry, rules: Sequence[str], target: Target,
                 context: PlacementContext) -> list[str]:
    """The rules (in the order given) one geometry breaks."""
    checks = evaluate(np.array([geometry], dtype=object), rules, target, context)
    return [name for name, (ok, _) in checks.items() if not bool(ok[0])]


def candidate_grid(area: shapely.Geometry, spacing_m: float) -> np.ndarray:
    """Points on a grid of `spacing_m` (whole multiples) inside `area`; its representative
    point when no grid point falls inside.
    """
    west, south, east, north = area.bounds
    xs = np.arange(np.ceil(west / spacing_m), np.floor(east / spacing_m) + 1) * spacing_m
    ys = np.arange(np.ceil(south / spacing_m), np.floor(north / spacing_m) + 1) * spacing_m
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    shapely.prepare(area)
    inside = shapely.contains_xy(area, gx, gy)
    if not inside.any():
        return np.array([area.representative_point()], dtype=object)
    return shapely.points(gx[inside], gy[inside])


def _anchor(target: Target, context: PlacementContext) -> shapely.Geometry:
    """The geometry a rule-placed point should be nearest."""
    if not target.via:
        return context.area_of(target.district).representative_point()
    return _stop(target.via[0], context)


def _stop(token: str, context: PlacementContext) -> shapely.Geometry:
    if token == "reservoir":
        return context.reservoir_geometry
    prefix, _, name = token.rpartition(":")
    if prefix == "corridor":
        return context.corridor_line(name)
    if prefix == "district":
        return context.area_of(name).representative_point()
    return context.place_point(name)


def place_point_by_rule(target: Target, rules: Sequence[str], context: PlacementContext, *,
                        occupied: Sequence[shapely.Point] = ()) -> tuple[shapely.Point, list[str]]:
    """Choose the position of one rule-placed point; see the module notes for the order of preference.

    Returns
    -------
    (Point, list of str)
        The position and the rules it still breaks (empty when a candidate satisfies all).
    """
    area = context.area_of(target.district)
    candidates = candidate_grid(area, context.analysis.placement_grid_m)
    checks = evaluate(candidates, rules, target, context)
    broken = np.zeros(len(candidates), dtype=int)
    for ok, _ in checks.values():
        broken += ~ok
    xs, ys = shapely.get_x(candidates), shapely.get_y(candidates)
    crowded = np.zeros(len(candidates), dtype=bool)
    if occupied:
        ox = np.array([p.x for p in occupied])
        oy = np.array([p.y for p in occupied])
        nearest = np.hypot(xs[:, None] - ox[None, :], ys[:, None] - oy[None, :]).min(axis=1)
        crowded = nearest < context.min_spacing_m
    centre = area.representative_point()
    to_anchor = np.round(shapely.distance(candidates, _anchor(target, context)), 3)
    to_centre = np.round(shapely.distance(candidates, centre), 3)
    # np.lexsort sorts by the last key first.
    best = np.lexsort((ys, xs, to_centre, to_anchor, crowded, broken))[0]
    chosen = candidates[best]
    return chosen, [name for name, (ok, _) in checks.items() if not bool(ok[best])]


def draw_line(target: Target, context: PlacementContext) -> shapely.LineString:
    """The schematic line through a row's ``via`` stops (see the module notes).

    Raises
    ------
    LayerError
        If a stop is unknown or the stops give a line of zero length.
    """
    tokens = target.via
    if len(tokens) == 1:
        return shapely.LineString(context.corridor_line(tokens[0].split(":", 1)[1]))
    geometries = [_stop(token, context) for token in tokens]
    is_corridor = [token.startswith("corridor:") for token in tokens]
    coords: list[tuple[float, float]] = []
    for index, (geometry, corridor) in enumerate(zip(geometries, is_corridor, strict=True)):
        if not corridor:
            coords.append((geometry.x, geometry.y))
            continue
        before = shapely.Point(coords[-1]) if coords else None
        after = geometries[index + 1] if index + 1 < len(geometries) else None
        if before is None or after is None:
            neighbour = after if before is None else before
            snapped = geometry.interpolate(geometry.project(neighbour))
            coords.append((snapped.x, snapped.y))
            continue
        part = substring(geometry, geometry.project(before), geometry.project(after))
        coords.extend(shapely.get_coordinates(part).tolist())
    unique = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
    if len(unique) < 2:
        raise LayerError(f"{target.id}: the via stops {';'.join(tokens)} give a line of zero length")
    return shapely.LineString(unique)


def _target(row: Mapping[str, Any]) -> Target:
    return Target(id=str(row["id"]), district=_text(row.get("district")) or None, via=_split(row.get("via")))


def _output_columns(kind: CatalogueKind) -> list[str]:
    columns = ["id", "name_en", "name_kk", "name_ru"]
    if kind == "infrastructure":
        columns += ["kind", "works", "district", "status", "financing"]
    else:
        columns += ["company", "district", "sector", "investment_kzt", "jobs", "status", "source"]
    return columns + ["placement", "rules", "via", "position_quality", "broken_rules", "basis"]


def place_objects(catalogue: pd.DataFrame, context: PlacementContext, *, kind: CatalogueKind | None = None,
                  avoid: Iterable[shapely.Geometry] = (), source: str | None = None) -> dict[str, Layer]:
    """Place every row of a catalogue.

    Parameters
    ----------
    catalogue : DataFrame
        From :func:`read_catalogue`.
    context : PlacementContext
    kind : {'infrastructure', 'projects'}, optional
        Defaults to ``catalogue.attrs['catalogue']`` as set by :func:`read_catalogue`.
    avoid : iterable of Point, optional
        Positions placed elsewhere (e.g. the infrastructure points when
        placing projects) that rule-placed points keep their spacing from.
    source : str, optional
        Where the catalogue came from; defaults to ``catalogue.attrs['source']``.

    Returns
    -------
    dict of str to Layer
        The points layer (``infrastructure`` or ``projects``) and, when the
        catalogue has line rows, the lines layer (``infrastructure_lines``),
        in the working CRS, features in id order. Columns: id, names,
        kind/works/financing (infrastructure) or company/sector/
        investment_kzt/jobs/source (projects), district, status, placement,
        rules, via, position_quality, ``broken_rules`` (semicolon list,
        empty if none), basis; lines add ``length_km``.

    Raises
    ------
    LayerError
        If a row names a district, place or corridor the context lacks, or
        its stops give a zero-length line.
    """
    kind = kind or catalogue.attrs.get("catalogue")
    if kind not in CATALOGUE_COLUMNS:
        raise ValueError("place_objects: give kind='infrastructure' or 'projects' (or a catalogue from read_catalogue)")
    source = source or catalogue.attrs.get("source") or f"{kind} catalogue"
    occupied = [geometry for geometry in avoid if geometry is not None and geometry.geom_type == "Point"]
    points, lines = [], []
    for row in catalogue.sort_values("id", kind="stable").to_dict("records"):
        target = _target(row)
        rules = _split(row["rules"])
        try:
            if row["geometry_kind"] == "line":
                geometry = draw_line(target, context)
                broken = broken_rules(geometry, rules, target, context)
            elif row["placement"] == "given":
                geometry = shapely.Point(_TO_WORKING.transform(row["lon"], row["lat"]))
                broken = broken_rules(geometry, rules, target, context)
            else:
                geometry, broken = place_point_by_rule(target, rules, context, occupied=occupied)
        except LayerError as error:
            raise LayerError(f"{source}: id={target.id}: {error}") from None
        if broken:
            logger.debug("%s %s breaks %s", kind, target.id, ", ".join(broken))
        record = {column: row.get(column) for column in _output_columns(kind)}
        record["district"] = row["district"] or None
        record["broken_rules"] = ";".join(broken)
        record["geometry"] = geometry
        if row["geometry_kind"] == "line":
            record["length_km"] = round(geometry.length / 1000.0, 3)
            lines.append(record)
        else:
            occupied.append(geometry)
            points.append(record)
    names = _LAYER_NAMES[kind]
    layers = {names[0]: _layer(names[0], points, kind=kind, source=source, context=context)}
    if lines:
        layers[names[1]] = _layer(names[1], lines, kind=kind, source=source, context=context)
    return layers


def _layer(name: str, records: list[dict[str, Any]], *, kind: CatalogueKind, source: str,
           context: PlacementContext) -> Layer:
    columns = _output_columns(kind) + (["length_km"] if name.endswith("_lines") else [])
    frame = gpd.GeoDataFrame(records, columns=[*columns, "geometry"], geometry="geometry", crs=WORKING_CRS)
    if kind == "projects":
        for column in ("investment_kzt", "jobs"):
            frame[column] = frame[column].astype("Int64")
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    return Layer(
        name=name,
        title=_TITLES[name],
        frame=frame,
        provenance=Provenance(
            source=f"{source}; districts, corridors, places, water protection strips, reservoir layers; "
            "working-grid DEM and slope (NASA SRTM3)",
            method="given rows at their lon/lat; rule rows at the grid candidate inside their district that breaks "
            "the fewest of their rules, keeps the minimum spacing and lies nearest the anchor; lines through their "
            "via stops, along corridors between stops (schematic); broken rules recorded per object",
            parameters={
                "max_buildable_slope_deg": context.analysis.max_buildable_slope_deg,
                "flood_freeboard_m": context.analysis.flood_freeboard_m,
                "placement_grid_m": context.analysis.placement_grid_m,
                "reservoir_level_m": context.reservoir_level_m,
                "near_corridor_m": context.near_corridor_m,
                "min_spacing_m": context.min_spacing_m,
            },
            quality="approximate",
        ),
    )


# --------------------------------------------------------------------------- report

REPORT_COLUMNS = ("layer", "id", "rule", "ok", "detail")


def placement_report(layers: Layer | Iterable[Layer], context: PlacementContext) -> pd.DataFrame:
    """Every rule check of every placed object.

    Parameters
    ----------
    layers : Layer or iterable of Layer
        Layers from :func:`place_objects` (they carry ``rules``, ``via`` and ``district``).
    context : PlacementContext

    Returns
    -------
    DataFrame
        One row per object and rule it is checked against, in layer, id and
        rule-list order: ``layer``, ``id``, ``rule``, ``ok`` (bool),
        ``detail`` (e.g. ``"slope 11.2° > 8°"``).
    """
    if isinstance(layers, Layer):
        layers = [layers]
    rows = []
    for layer in layers:
        frame = layer.sorted().frame
        for column in ("rules", "via", "district"):
            if column not in frame.columns:
                raise LayerError(f"layer {layer.name}: no '{column}' column; is it a layer from place_objects?")
        for record in frame.to_dict("records"):
            geometry = record[frame.geometry.name]
            target = _target(record)
            rules = _split(record["rules"])
            line = bool(_is_line(np.array([geometry], dtype=object))[0])
            for name, (ok, value) in evaluate(np.array([geometry], dtype=object), rules, target, context).items():
                passed = bool(ok[0])
                rows.append({
                    "layer": layer.name, "id": target.id, "rule": name, "ok": passed,
                    "detail": RULES[name].describe(value[0], passed, target, context, line=line),
                })
    report = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    report["ok"] = report["ok"].astype(bool)
    return report


def report_markdown(report: pd.DataFrame, *, title: str = "Placement report") -> str:
    """The placement report as Markdown: a summary, the broken rules, then every check.

    Pure: returns the text; writing it is the caller's job (:func:`alatau_geo.core.io.write_text`).
    """
    objects = report[["layer", "id"]].drop_duplicates()
    broken = report[~report["ok"]]
    failing = broken[["layer", "id"]].drop_duplicates()
    lines = [
        f"# {title}",
        "",
        f"{len(objects)} objects, {len(report)} rule checks; {len(broken)} broken by {len(failing)} objects.",
        "Positions placed by rule are planning assumptions (position_quality 'approximate').",
        "",
        "## Broken rules",
        "",
    ]
    if broken.empty:
        lines.append("None: every object satisfies all of its rules.")
    else:
        lines += ["| layer | id | rule | detail |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(markdown_cell(v) for v in (r.layer, r.id, r.rule, r.detail)) + " |"
                  for r in broken.itertuples(index=False)]
    lines += ["", "## All checks", "", "| layer | id | rule | ok | detail |", "|---|---|---|---|---|"]
    lines += [
        "| " + " | ".join(markdown_cell(v) for v in (r.layer, r.id, r.rule)) + " | "
        + ("yes" if r.ok else "**no**") + f" | {markdown_cell(r.detail)} |"
        for r in report.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "CATALOGUE_COLUMNS", "DISTRICT_IDS", "INFRASTRUCTURE_KINDS", "MIN_SPACING_M", "NEAR_CORRIDOR_M", "RULES",
    "PlacementContext", "Rule", "Target", "above_flood", "broken_rules", "candidate_grid", "draw_line",
    "evaluate", "in_district", "load_catalogues", "max_slope", "near_corridor", "outside_strips",
    "packaged_catalogue", "place_objects", "place_point_by_rule", "placement_report", "read_catalogue",
    "report_markdown",
]
