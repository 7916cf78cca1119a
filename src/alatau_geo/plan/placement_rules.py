"""Placement rules: the checks a catalogue row lists in its ``rules`` column.

:data:`RULES` names them. Each rule is a small function over an array of
candidate geometries returning whether each passes and the measured value
(:data:`Check`), with a function that turns the value into one line of text
for the placement report. :func:`evaluate` runs the rules a row lists.
Geometries are in the working CRS (EPSG:32643), metres.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely

from alatau_geo.core.errors import LayerError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.placement_context import NEAR_CORRIDOR_M, PlacementContext, Target
from alatau_geo.reference.terrain import sample

#: Tolerance of ``in_district`` for rounding on district edges, metres.
DISTRICT_TOLERANCE_M = 1.0

Check = tuple[np.ndarray, np.ndarray]
"""(ok, value): whether each geometry passes, and what was measured."""


def is_line(geometries: np.ndarray) -> np.ndarray:
    """Whether each geometry is a line (LineString, LinearRing or MultiLineString)."""
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
    lines = is_line(geometries)
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
    lines = is_line(geometries)
    value = np.zeros(len(geometries))
    if (~lines).any():
        points = geometries[~lines]
        # Inside (or on) the prepared district the distance is 0: only the others are measured.
        outside = ~shapely.intersects(area, points)
        distances = np.zeros(len(points))
        distances[outside] = shapely.distance(points[outside], area)
        value[~lines] = distances
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
    lines = is_line(geometries)
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
    """Elevation at least the reservoir's maximum level plus freeboard. Value: metres (lines: the lowest)."""
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
            f"(reservoir maximum {context.reservoir_level_m:g} m + {context.analysis.flood_freeboard_m:g} m freeboard)")


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
        Rule("above_flood", "at least plan.suitability.hazards.reservoir_max_level_m + plan.analysis.flood_freeboard_m",
             above_flood, _describe_above_flood),
    )
})


def evaluate(geometries: np.ndarray, rules: Sequence[str], target: Target, context: PlacementContext,
             ) -> dict[str, Check]:
    """Run the named rules over an array of geometries: ``{rule: (ok, value)}``."""
    return {name: RULES[name].check(geometries, target, context) for name in rules}


def broken_rules(geometry: shapely.Geometry, rules: Sequence[str], target: Target,
                 context: PlacementContext) -> list[str]:
    """The rules (in the order given) one geometry breaks."""
    checks = evaluate(np.array([geometry], dtype=object), rules, target, context)
    return [name for name, (ok, _) in checks.items() if not bool(ok[0])]
