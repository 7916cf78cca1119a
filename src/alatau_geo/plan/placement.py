"""Placing the rows of a catalogue: points by rule or at their lon/lat, lines through their stops.

Placement
---------
A point row is placed either at its ``lon``, ``lat`` (``placement = given``)
or by rule (``placement = rule``): candidates lie on a grid of
``plan.analysis.placement_grid_m`` spacing (aligned to whole multiples, so
rebuilds give the same positions) inside the row's district, or inside the
city (the ``city_boundary`` layer, else the union of the districts) when the
row has none. The chosen candidate breaks the fewest of the row's rules;
among those it keeps
:data:`~alatau_geo.plan.placement_context.MIN_SPACING_M` from objects placed before (rows are placed in id
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

Every placed object records the rules (:mod:`alatau_geo.plan.placement_rules`)
it breaks in ``broken_rules``. Coordinates are (x, y) = (lon, lat) in the
tables and metres in EPSG:32643 everywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.ops import substring

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.plan.catalogues import CATALOGUE_COLUMNS, CatalogueKind, cell_text, split_cell
from alatau_geo.plan.placement_context import PlacementContext, Target
from alatau_geo.plan.placement_rules import Check, broken_rules, evaluate

logger = logging.getLogger(__name__)

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


def candidate_grid(area: shapely.Geometry, spacing_m: float) -> np.ndarray:
    """Candidate positions: points on a grid of `spacing_m` (whole multiples) inside `area`.

    When no grid point falls inside, the area's representative point is the
    only candidate.

    Examples
    --------
    >>> len(candidate_grid(shapely.box(0, 0, 1000, 1000), 250.0))  # 3 x 3: points on the edge are out
    9
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


_MANY_VERTICES = 200  # a polygon anchor with more is measured through an R-tree of its edges


class Candidates:
    """The candidate positions of each area and the rules' checks on them, each worked out once.

    Placing a catalogue asks the same questions of the same grid for every
    row of a district: the grid depends only on the area, and a rule's check
    only on the row's district and ``via`` (the rules read nothing else of a
    :class:`~alatau_geo.plan.placement_context.Target`). One instance serves
    one catalogue on one context.
    """

    def __init__(self, context: PlacementContext) -> None:
        self._context = context
        self._grids: dict[str | None, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._checks: dict[tuple[str, str | None, tuple[str, ...]], Check] = {}
        self._to_anchor: dict[tuple[str | None, tuple[str, ...]], np.ndarray] = {}
        self._trees: dict[str | None, shapely.STRtree] = {}

    def grid(self, district: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The candidates in `district` (the city for None): points, x, y, distance to the centre (m, 3 decimals)."""
        if district not in self._grids:
            area = self._context.area_of(district)
            points = candidate_grid(area, self._context.analysis.placement_grid_m)
            centre = np.round(shapely.distance(points, area.representative_point()), 3)
            self._grids[district] = (points, shapely.get_x(points), shapely.get_y(points), centre)
        return self._grids[district]

    def checks(self, target: Target, rules: Sequence[str]) -> dict[str, Check]:
        """``{rule: (ok, value)}`` of the named rules over `target`'s candidates."""
        points = self.grid(target.district)[0]
        for name in rules:
            key = (name, target.district, target.via)
            if key not in self._checks:
                self._checks[key] = evaluate(points, [name], target, self._context)[name]
        return {name: self._checks[(name, target.district, target.via)] for name in rules}

    def crowded(self, district: str | None, occupied: Sequence[shapely.Point]) -> np.ndarray:
        """Whether each candidate in `district` is nearer than the minimum spacing to an `occupied` point."""
        points, xs, ys, _ = self.grid(district)
        crowded = np.zeros(len(points), dtype=bool)
        if not occupied:
            return crowded
        if district not in self._trees:
            self._trees[district] = shapely.STRtree(points)
        spacing = self._context.min_spacing_m
        # The tree finds the candidates near each point (a hair farther than the spacing, whatever GEOS's
        # rounding); the spacing is then tested as before, on the distance np.hypot gives.
        objects = np.asarray(occupied, dtype=object)
        near, found = self._trees[district].query(objects, predicate="dwithin", distance=spacing * (1 + 1e-9) + 1e-6)
        ox, oy = shapely.get_x(objects), shapely.get_y(objects)
        close = np.hypot(xs[found] - ox[near], ys[found] - oy[near]) < spacing
        crowded[found[close]] = True
        return crowded

    def to_anchor(self, target: Target) -> np.ndarray:
        """Distance of each candidate to `target`'s anchor, metres to 3 decimals."""
        key = (target.district, target.via)
        if key not in self._to_anchor:
            self._to_anchor[key] = np.round(distances(self.grid(target.district)[0],
                                                      _anchor(target, self._context)), 3)
        return self._to_anchor[key]


def distances(points: np.ndarray, geometry: shapely.Geometry) -> np.ndarray:
    """``shapely.distance(points, geometry)``, metres: the same values, faster for a polygon of many vertices.

    GEOS measures each point against every edge of a polygon (the reservoir
    has some 1,700); here an R-tree of the edges gives each point's nearest
    one, measured by the same GEOS point-to-segment distance, and points
    inside the polygon are 0 as before.
    """
    if shapely.get_type_id(geometry) not in (3, 6) or shapely.get_num_coordinates(geometry) < _MANY_VERTICES:
        return shapely.distance(points, geometry)
    rings = shapely.get_rings(shapely.get_parts(geometry))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    edges = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    _, nearest = shapely.STRtree(edges).query_nearest(points, return_distance=True, all_matches=False)
    area = shapely.from_wkb(shapely.to_wkb(geometry))  # prepared here, not the caller's geometry
    shapely.prepare(area)
    result = np.asarray(nearest, dtype=float)
    result[shapely.contains_xy(area, shapely.get_x(points), shapely.get_y(points))] = 0.0
    return result


def place_point_by_rule(target: Target, rules: Sequence[str], context: PlacementContext, *,
                        occupied: Sequence[shapely.Point] = (),
                        candidates: Candidates | None = None) -> tuple[shapely.Point, list[str]]:
    """Choose the position of one rule-placed point; see the module notes for the order of preference.

    `candidates` keeps the grids and checks between the rows of a
    catalogue (:func:`place_objects` passes one); without it they are made
    for this row alone.

    Returns
    -------
    (Point, list of str)
        The position and the rules it still breaks (empty when a candidate satisfies all).
    """
    candidates = candidates or Candidates(context)
    points, xs, ys, to_centre = candidates.grid(target.district)
    checks = candidates.checks(target, rules)
    broken = np.zeros(len(points), dtype=int)
    for ok, _ in checks.values():
        broken += ~ok
    crowded = candidates.crowded(target.district, occupied)
    best = _first((broken, crowded, candidates.to_anchor(target), to_centre, xs, ys))
    return points[best], [name for name, (ok, _) in checks.items() if not bool(ok[best])]


def _first(keys: Sequence[np.ndarray]) -> int:
    """The position of the smallest of the tuples the equal-length `keys` make, the first key first.

    The first position ``np.lexsort(keys[::-1])`` gives (NaN after every
    number, ties to the lowest position), without sorting every candidate:
    each key only narrows down the positions the keys before it left.
    """
    chosen = np.arange(len(keys[0]))
    for key in keys:
        values = key[chosen]
        if values.dtype.kind == "f":
            if np.isnan(values).all():
                continue
            lowest = np.nanmin(values)
        else:
            lowest = values.min()
        chosen = chosen[values == lowest]
        if len(chosen) == 1:
            break
    return int(chosen[0])


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


def target_of_row(row: Mapping[str, Any]) -> Target:
    """The target a rule checks, from a catalogue row or a placed feature (``id``, ``district``, ``via``).

    Returns
    -------
    alatau_geo.plan.placement_context.Target
    """
    return Target(id=str(row["id"]), district=cell_text(row.get("district")) or None, via=split_cell(row.get("via")))


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
        From :func:`~alatau_geo.plan.catalogues.read_catalogue`.
    context : PlacementContext
    kind : {'infrastructure', 'projects'}, optional
        Defaults to ``catalogue.attrs['catalogue']`` as set by :func:`~alatau_geo.plan.catalogues.read_catalogue`.
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
    candidates = Candidates(context)
    points, lines = [], []
    for row in catalogue.sort_values("id", kind="stable").to_dict("records"):
        target = target_of_row(row)
        rules = split_cell(row["rules"])
        try:
            if row["geometry_kind"] == "line":
                geometry = draw_line(target, context)
                broken = broken_rules(geometry, rules, target, context)
            elif row["placement"] == "given":
                geometry = shapely.Point(_TO_WORKING.transform(row["lon"], row["lat"]))
                broken = broken_rules(geometry, rules, target, context)
            else:
                geometry, broken = place_point_by_rule(target, rules, context, occupied=occupied,
                                                       candidates=candidates)
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
                "reservoir_max_level_m": context.reservoir_level_m,
                "near_corridor_m": context.near_corridor_m,
                "min_spacing_m": context.min_spacing_m,
            },
            quality="approximate",
        ),
    )
