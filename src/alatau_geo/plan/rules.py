"""Construction rules: how a zone's polygon is built from named reference features.

A rule is a small tree written in the plan file. Leaves build a geometry
from reference features, named ``"<layer>:<id>"`` (``"rivers:kaskelen"``,
``"corridors:a3"``, ``"places:konaev"``, ``"districts:*"`` for all districts
built so far); inner nodes combine geometries.

========================  ==================================================
kind                      geometry (working CRS, metres)
========================  ==================================================
``hull``                  convex hull of ``places``, buffered by ``buffer_m``
``band``                  every feature of ``lines`` buffered by ``width_m``
                          (an outline, e.g. ``outlines:almaty``, grows by it)
``disc``                  circle of ``radius_m`` around ``place``
``shore``                 ring of ``width_m`` around ``water``, water removed
``between``               area enclosed by two ``lines`` and the straight
                          segments joining their ends
``side``                  the part of the study area on the side of ``line``
                          (extended to the study-area edge) where
                          ``towards`` lies
``layer``                 the features named by ``ref``
``polygon``               polygons drawn by hand (the editing map): ``rings``,
                          one outer ring of (lon, lat) WGS84 points per part
``union``, ``intersection``  of the rules in ``of``
``difference``            ``base`` minus every rule in ``minus``
========================  ==================================================

Every leaf has at most one numeric parameter; a zone may name it as its
``solve`` parameter to calibrate the zone's area (see :mod:`alatau_geo.plan.districts`).
A ``polygon`` has none: it is a fixed outline, clipped to the study area.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon
from shapely.ops import split

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import PlanError

_QUAD_SEGS = 16
_EXTEND_M = 300_000.0


@dataclass(frozen=True)
class Hull:
    """Convex hull of named places, buffered."""

    places: tuple[str, ...]
    buffer_m: float


@dataclass(frozen=True)
class Band:
    """A band of ``width_m`` on each side of named lines."""

    lines: tuple[str, ...]
    width_m: float


@dataclass(frozen=True)
class Disc:
    """A circle of ``radius_m`` around a named place."""

    place: str
    radius_m: float


@dataclass(frozen=True)
class Shore:
    """A ring of ``width_m`` around a water body, the water itself removed."""

    water: str
    width_m: float


@dataclass(frozen=True)
class Between:
    """The area enclosed by two lines and the segments joining their ends."""

    lines: tuple[str, str]


@dataclass(frozen=True)
class Side:
    """The part of the study area on the side of ``line`` where ``towards`` lies."""

    line: str
    towards: str


@dataclass(frozen=True)
class LayerRef:
    """Named features as they are."""

    ref: str


@dataclass(frozen=True)
class Drawn:
    """Polygons drawn by hand: one outer ring of (lon, lat) WGS84 points per part, each closed."""

    rings: tuple[tuple[tuple[float, float], ...], ...]

    def geometry(self) -> shapely.Geometry:
        """The polygons in the working CRS (EPSG:32643), as one geometry."""
        parts = []
        for ring in self.rings:
            xs, ys = _TO_WORKING.transform([x for x, _ in ring], [y for _, y in ring])
            parts.append(Polygon(list(zip(xs, ys, strict=True))))
        return shapely.union_all(parts)


@dataclass(frozen=True)
class Combine:
    """Union or intersection of several rules."""

    op: str
    of: tuple[Rule, ...]


@dataclass(frozen=True)
class Difference:
    """``base`` minus every rule in ``minus``."""

    base: Rule
    minus: tuple[Rule, ...]


Rule = Hull | Band | Disc | Shore | Between | Side | LayerRef | Drawn | Combine | Difference
NUMERIC = {Hull: "buffer_m", Band: "width_m", Disc: "radius_m", Shore: "width_m"}
_TO_WORKING = Transformer.from_crs(EXPORT_CRS, WORKING_CRS, always_xy=True)
_MAX_RING_POINTS = 20_000


# --------------------------------------------------------------------------- parsing


def parse_rule(data: Any, *, entry: str, source: str) -> Rule:
    """Turn the plan's rule table into a rule tree.

    Raises
    ------
    PlanError
        Naming the plan file and the entry, e.g.
        ``plan.toml: 'districts.gate.rule.buffer_m' must be at least 0, got -5``.
    """
    if not isinstance(data, Mapping):
        raise PlanError(f"{source}: '{entry}' must be a table with a 'kind'")
    kind = data.get("kind")
    parsers: dict[str, Callable[[], Rule]] = {
        "hull": lambda: Hull(_names(data, "places", entry, source), _length(data, "buffer_m", entry, source)),
        "band": lambda: Band(_names(data, "lines", entry, source), _length(data, "width_m", entry, source)),
        "disc": lambda: Disc(_name(data, "place", entry, source), _length(data, "radius_m", entry, source)),
        "shore": lambda: Shore(_name(data, "water", entry, source), _length(data, "width_m", entry, source)),
        "between": lambda: Between(_pair(data, entry, source)),
        "side": lambda: Side(_name(data, "line", entry, source), _name(data, "towards", entry, source)),
        "layer": lambda: LayerRef(_name(data, "ref", entry, source)),
        "polygon": lambda: _drawn(data, entry, source),
        "union": lambda: Combine("union", _children(data, "of", entry, source)),
        "intersection": lambda: Combine("intersection", _children(data, "of", entry, source)),
        "difference": lambda: Difference(
            parse_rule(data.get("base"), entry=f"{entry}.base", source=source),
            _children(data, "minus", entry, source),
        ),
    }
    if kind not in parsers:
        raise PlanError(f"{source}: '{entry}.kind' must be one of {', '.join(parsers)}, got {kind!r}")
    return parsers[kind]()


def _names(data: Mapping[str, Any], key: str, entry: str, source: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise PlanError(f"{source}: '{entry}.{key}' must be a non-empty list of names")
    return tuple(value)


def _name(data: Mapping[str, Any], key: str, entry: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PlanError(f"{source}: '{entry}.{key}' must be a name such as 'places:konaev'")
    return value


def _pair(data: Mapping[str, Any], entry: str, source: str) -> tuple[str, str]:
    names = _names(data, "lines", entry, source)
    if len(names) != 2:
        raise PlanError(f"{source}: '{entry}.lines' must name exactly two lines")
    return (names[0], names[1])


def _length(data: Mapping[str, Any], key: str, entry: str, source: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{source}: '{entry}.{key}' must be a length in metres, got {value!r}")
    if value < 0:
        raise PlanError(f"{source}: '{entry}.{key}' must be at least 0, got {value}")
    return float(value)


def _ring(value: Any, where: str, source: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not 3 <= len(value) <= _MAX_RING_POINTS:
        raise PlanError(f"{source}: '{where}' must be a list of 3 to {_MAX_RING_POINTS:,} [lon, lat] points")
    points = []
    for point in value:
        if (not isinstance(point, list) or len(point) != 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                           for c in point)):
            raise PlanError(f"{source}: '{where}' must hold [lon, lat] pairs of numbers, got {point!r}")
        lon, lat = float(point[0]), float(point[1])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise PlanError(f"{source}: '{where}' has a point outside WGS84 degrees: [{lon}, {lat}]")
        points.append((lon, lat))
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise PlanError(f"{source}: '{where}' needs at least 3 distinct points")
    return tuple(points)


def _drawn(data: Mapping[str, Any], entry: str, source: str) -> Drawn:
    value = data.get("rings")
    if not isinstance(value, list) or not value:
        raise PlanError(f"{source}: '{entry}.rings' must be a non-empty list of rings of [lon, lat] points")
    rings = tuple(_ring(ring, f"{entry}.rings[{i}]", source) for i, ring in enumerate(value))
    for i, ring in enumerate(rings):
        polygon = Polygon(ring)
        if not polygon.is_valid:
            raise PlanError(f"{source}: '{entry}.rings[{i}]' is not a valid polygon "
                            f"({shapely.is_valid_reason(polygon)}); redraw it without crossing edges")
    return Drawn(rings)


def _children(data: Mapping[str, Any], key: str, entry: str, source: str) -> tuple[Rule, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise PlanError(f"{source}: '{entry}.{key}' must be a non-empty list of rules")
    return tuple(parse_rule(item, entry=f"{entry}.{key}[{i}]", source=source) for i, item in enumerate(value))


# --------------------------------------------------------------------------- parameters


def numeric_parameters(rule: Rule, *, path: str = "rule") -> dict[str, float]:
    """Every numeric parameter of the tree by its path, e.g. ``rule.of[0].width_m``."""
    found: dict[str, float] = {}
    key = NUMERIC.get(type(rule))
    if key is not None:
        found[f"{path}.{key}"] = getattr(rule, key)
    if isinstance(rule, Combine):
        for i, child in enumerate(rule.of):
            found.update(numeric_parameters(child, path=f"{path}.of[{i}]"))
    if isinstance(rule, Difference):
        found.update(numeric_parameters(rule.base, path=f"{path}.base"))
        for i, child in enumerate(rule.minus):
            found.update(numeric_parameters(child, path=f"{path}.minus[{i}]"))
    return found


def with_parameter(rule: Rule, path: str, value: float, *, prefix: str = "rule") -> Rule:
    """A copy of `rule` with the numeric parameter at `path` set to `value`."""
    key = NUMERIC.get(type(rule))
    if key is not None and path == f"{prefix}.{key}":
        return replace(rule, **{key: float(value)})
    if isinstance(rule, Combine):
        return replace(rule, of=tuple(with_parameter(c, path, value, prefix=f"{prefix}.of[{i}]")
                                      for i, c in enumerate(rule.of)))
    if isinstance(rule, Difference):
        return replace(
            rule,
            base=with_parameter(rule.base, path, value, prefix=f"{prefix}.base"),
            minus=tuple(
                with_parameter(c, path, value, prefix=f"{prefix}.minus[{i}]") for i, c in enumerate(rule.minus)
            ),
        )
    return rule


def references(rule: Rule) -> list[str]:
    """Every feature name the rule refers to, in tree order."""
    if isinstance(rule, Hull):
        return list(rule.places)
    if isinstance(rule, Band):
        return list(rule.lines)
    if isinstance(rule, Disc):
        return [rule.place]
    if isinstance(rule, Shore):
        return [rule.water]
    if isinstance(rule, Between):
        return list(rule.lines)
    if isinstance(rule, Side):
        return [rule.line, rule.towards]
    if isinstance(rule, LayerRef):
        return [rule.ref]
    if isinstance(rule, Drawn):
        return []
    if isinstance(rule, Combine):
        return [name for child in rule.of for name in references(child)]
    return references(rule.base) + [name for child in rule.minus for name in references(child)]


def describe(rule: Rule) -> str:
    """A one-line, human-readable form of the rule (for provenance and reports)."""
    if isinstance(rule, Hull):
        return f"hull({', '.join(rule.places)}) + {rule.buffer_m:,.0f} m"
    if isinstance(rule, Band):
        return f"band({', '.join(rule.lines)}, {rule.width_m:,.0f} m each side)"
    if isinstance(rule, Disc):
        return f"disc({rule.place}, {rule.radius_m:,.0f} m)"
    if isinstance(rule, Shore):
        return f"shore({rule.water}, {rule.width_m:,.0f} m)"
    if isinstance(rule, Between):
        return f"between({rule.lines[0]}, {rule.lines[1]})"
    if isinstance(rule, Side):
        return f"side of {rule.line} towards {rule.towards}"
    if isinstance(rule, LayerRef):
        return rule.ref
    if isinstance(rule, Drawn):
        points = sum(len(ring) - 1 for ring in rule.rings)
        parts = f"{len(rule.rings)} part{'s' if len(rule.rings) > 1 else ''}"
        return f"polygon drawn on the map ({parts}, {points} points)"
    if isinstance(rule, Combine):
        return f"{rule.op}({'; '.join(describe(c) for c in rule.of)})"
    return f"{describe(rule.base)} minus ({'; '.join(describe(c) for c in rule.minus)})"


# --------------------------------------------------------------------------- evaluation


Resolver = Callable[[str], shapely.Geometry]


def evaluate(rule: Rule, resolve: Resolver, *, frame: Polygon,
             known: MutableMapping[Rule, shapely.Geometry] | None = None) -> shapely.Geometry:
    """Build the rule's geometry.

    Parameters
    ----------
    rule : Rule
    resolve : callable
        Maps a feature name (``"rivers:kaskelen"``) to its geometry in the
        working CRS; raises :class:`PlanError` for unknown names.
    frame : Polygon
        The study area: ``side`` splits it, and nothing reaches beyond it.
    known : mutable mapping, optional
        Geometries of rules (and parts of rules) built before with the same
        `resolve` and `frame`, by rule; each part built here is added. A
        calibration builds its rule a dozen times with one parameter
        changed (:func:`with_parameter`): the parts without it, equal rules,
        are built once.
    """
    if known is None:
        return _evaluated(rule, resolve, frame=frame, known=None)
    try:
        return known[rule]
    except KeyError:
        known[rule] = geometry = _evaluated(rule, resolve, frame=frame, known=known)
        return geometry


def _evaluated(rule: Rule, resolve: Resolver, *, frame: Polygon,
               known: MutableMapping[Rule, shapely.Geometry] | None) -> shapely.Geometry:
    if isinstance(rule, Hull):
        points = shapely.union_all([resolve(name) for name in rule.places])
        return shapely.buffer(shapely.convex_hull(points), rule.buffer_m, quad_segs=_QUAD_SEGS)
    if isinstance(rule, Band):
        lines = shapely.union_all([resolve(name) for name in rule.lines])
        return shapely.buffer(lines, rule.width_m, quad_segs=_QUAD_SEGS)
    if isinstance(rule, Disc):
        return shapely.buffer(resolve(rule.place), rule.radius_m, quad_segs=_QUAD_SEGS * 4)
    if isinstance(rule, Shore):
        water = resolve(rule.water)
        return shapely.difference(shapely.buffer(water, rule.width_m, quad_segs=_QUAD_SEGS), water)
    if isinstance(rule, Between):
        return _between(resolve(rule.lines[0]), resolve(rule.lines[1]))
    if isinstance(rule, Side):
        return _side(resolve(rule.line), resolve(rule.towards), frame=frame, name=rule.line)
    if isinstance(rule, LayerRef):
        return resolve(rule.ref)
    if isinstance(rule, Drawn):
        return shapely.intersection(rule.geometry(), frame)
    if isinstance(rule, Combine):
        parts = [evaluate(child, resolve, frame=frame, known=known) for child in rule.of]
        return shapely.union_all(parts) if rule.op == "union" else shapely.intersection_all(parts)
    base = evaluate(rule.base, resolve, frame=frame, known=known)
    return shapely.difference(base, shapely.union_all([evaluate(c, resolve, frame=frame, known=known)
                                                       for c in rule.minus]))


def _single_line(geometry: shapely.Geometry) -> LineString:
    merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
    if merged.geom_type == "MultiLineString":
        merged = max(merged.geoms, key=lambda g: g.length)
    if merged.geom_type != "LineString":
        raise PlanError(f"expected a line, got a {geometry.geom_type}")
    return merged


def _between(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry:
    line_a, line_b = _single_line(a), _single_line(b)
    ring = list(line_a.coords) + list(reversed(line_b.coords))
    # Lines drawn in the same direction close into a ring; reversed ones would cross.
    if shapely.Point(line_a.coords[0]).distance(shapely.Point(line_b.coords[-1])) < \
            shapely.Point(line_a.coords[0]).distance(shapely.Point(line_b.coords[0])):
        ring = list(line_a.coords) + list(line_b.coords)
    return shapely.make_valid(Polygon(ring))


def _extended(line: LineString) -> LineString:
    coords = np.asarray(line.coords)

    def push(end: np.ndarray, inner: np.ndarray) -> np.ndarray:
        direction = end - inner
        norm = float(np.hypot(*direction)) or 1.0
        return end + direction / norm * _EXTEND_M

    return LineString([push(coords[0], coords[1]), *coords, push(coords[-1], coords[-2])])


def _side(line: shapely.Geometry, towards: shapely.Geometry, *, frame: Polygon, name: str) -> shapely.Geometry:
    cutter = _extended(_single_line(line))
    pieces = [p for p in split(frame, cutter).geoms if p.area > 0]
    if len(pieces) < 2:
        raise PlanError(f"{name}: the line does not divide the study area")
    anchor = shapely.point_on_surface(towards)
    chosen = [p for p in pieces if p.buffer(1e-6).contains(anchor)]
    if not chosen:
        raise PlanError(f"{name}: cannot tell which side the reference lies on")
    return chosen[0]
