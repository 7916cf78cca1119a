"""GeoJSON geometry text of many geometries at once, and geometries of many GeoJSON geometry objects.

The numbers of every coordinate of a layer are formatted in one vectorised
pass (numpy string functions), then joined ring by ring and part by part in
the order :func:`shapely.get_coordinates` walks them. The text is the same,
byte for byte, as formatting each coordinate with :func:`format_coordinate`
and writing each geometry object by hand; a geometry collection is written
by that plain recursion.

Reading goes the other way (:func:`geometries_from_json`): the positions of
all geometries of one type are gathered into one coordinate array with its
offsets, and shapely builds them at once (:func:`shapely.from_ragged_array`)
instead of one Python object per ring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from alatau_geo.core.export_geometry import DEFAULT_PRECISION

_POINT, _LINESTRING, _LINEARRING, _POLYGON, _MULTIPOINT, _MULTILINESTRING, _MULTIPOLYGON, _COLLECTION = range(8)
_TYPE_NAMES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")


def format_coordinate(value: float, *, precision: int = DEFAULT_PRECISION) -> str:
    """A coordinate as JSON number text with at most `precision` decimals.

    Fixed-point, never scientific notation; trailing zeros are dropped and
    negative zero is written as ``0``.

    Examples
    --------
    >>> format_coordinate(76.9500001), format_coordinate(0.00001), format_coordinate(-0.0000001)
    ('76.95', '0.00001', '0')
    """
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_coordinates(values: np.ndarray, *, precision: int = DEFAULT_PRECISION) -> np.ndarray:
    """:func:`format_coordinate` of every value of an array, vectorised.

    Values already on the grid of ``10**-precision`` (as exported
    geometries are) are formatted by integer arithmetic and numpy string
    functions; any other value by :func:`format_coordinate` itself, so the
    text is the same either way.

    Examples
    --------
    >>> format_coordinates(np.array([76.95, 0.00001, -0.0, -43.5, 43.0])).tolist()
    ['76.95', '0.00001', '0', '-43.5', '43']
    """
    values = np.asarray(values, dtype="float64")
    scale = 10**precision
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.rint(values * scale)
        on_grid = np.isfinite(scaled) & (np.abs(scaled) < 2**53) & (scaled / scale == values)
    units = np.where(on_grid, scaled, 0).astype(np.int64)
    magnitude = np.abs(units)
    whole = (magnitude // scale).astype(str)
    decimals = np.strings.rstrip(np.strings.zfill((magnitude % scale).astype(str), precision), "0")
    text = np.where(decimals == "", whole, np.strings.add(np.strings.add(whole, "."), decimals))
    text = np.where(units < 0, np.strings.add("-", text), text)
    text = text.astype(object)
    for position in np.flatnonzero(~on_grid):
        text[position] = format_coordinate(float(values[position]), precision=precision)
    return text


def _positions(geometries: np.ndarray, *, precision: int) -> list[str]:
    """``[x, y]`` (or ``[x, y, z]``) text of every coordinate, in :func:`shapely.get_coordinates` order."""
    has_z = shapely.has_z(geometries)
    if not has_z.any() or has_z.all():
        include_z = bool(has_z.any())
        coords = shapely.get_coordinates(geometries, include_z=include_z)
        return _position_texts(coords, precision=precision)
    # Mixed: each geometry keeps its own dimension.
    texts: list[str] = []
    for geometry, z in zip(geometries, has_z, strict=True):
        texts.extend(_position_texts(shapely.get_coordinates(geometry, include_z=bool(z)), precision=precision))
    return texts


def _position_texts(coords: np.ndarray, *, precision: int) -> list[str]:
    if not len(coords):
        return []
    numbers = format_coordinates(coords.ravel(), precision=precision).reshape(coords.shape)
    text = numbers[:, 0]
    for column in range(1, coords.shape[1]):
        text = text + ", " + numbers[:, column]
    return ("[" + text + "]").tolist()


def _sequences(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per part: the number of coordinate sequences (rings, or 1), and every sequence's coordinate count."""
    kinds = shapely.get_type_id(parts)
    polygons = kinds == _POLYGON
    per_part = np.ones(len(parts), dtype=np.int64)
    per_part[polygons] = shapely.get_num_interior_rings(parts[polygons]) + 1
    counts = np.empty(int(per_part.sum()), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(per_part)[:-1]])
    rings, ring_part = shapely.get_rings(parts[polygons], return_index=True)
    ring_slots = starts[np.flatnonzero(polygons)][ring_part] + _rank_within(ring_part)
    counts[ring_slots] = shapely.get_num_coordinates(rings)
    others = np.flatnonzero(~polygons)
    counts[starts[others]] = shapely.get_num_coordinates(parts[others])
    return per_part, counts


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal, sorted group numbers."""
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    first = np.concatenate([[0], np.flatnonzero(np.diff(groups)) + 1])
    run_start = np.repeat(first, np.diff(np.concatenate([first, [len(groups)]])))
    return np.arange(len(groups)) - run_start


def _bracket(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def geometry_texts(geometries: np.ndarray, *, precision: int = DEFAULT_PRECISION) -> list[str]:
    """The GeoJSON geometry object text of each geometry, as ``{"type": ..., "coordinates": ...}``.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        Non-empty, in WGS84 (lon, lat), normally already on the coordinate grid.
    precision : int
        Decimals of the coordinates written.

    Returns
    -------
    list of str
        One text per geometry, in order.

    Examples
    --------
    >>> point, square = geometry_texts(np.array([shapely.Point(77.0, 43.5), shapely.box(0, 0, 1, 1)]))
    >>> point
    '{"type": "Point", "coordinates": [77, 43.5]}'
    >>> square
    '{"type": "Polygon", "coordinates": [[[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]]]}'
    """
    geometries = np.asarray(geometries, dtype=object)
    kinds = shapely.get_type_id(geometries)
    texts: list[str | None] = [None] * len(geometries)
    for position in np.flatnonzero(kinds == _COLLECTION):
        texts[position] = geometry_text(geometries[position], precision=precision)
    simple = np.flatnonzero(kinds != _COLLECTION)
    if not len(simple):
        return [text or "" for text in texts]
    plain = geometries[simple]
    parts, part_owner = shapely.get_parts(plain, return_index=True)
    per_part, counts = _sequences(parts)
    positions = _positions(plain, precision=precision)
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    sequences = [_bracket(positions[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    part_kinds = shapely.get_type_id(parts)
    part_texts, cursor = [], 0
    for kind, rings in zip(part_kinds.tolist(), per_part.tolist(), strict=True):
        if kind == _POINT:
            part_texts.append(sequences[cursor][1:-1])
        elif kind == _POLYGON:
            part_texts.append(_bracket(sequences[cursor:cursor + rings]))
        else:
            part_texts.append(sequences[cursor])
        cursor += rings
    owner_bounds = np.concatenate([[0], np.cumsum(np.bincount(part_owner, minlength=len(plain)))]).tolist()
    for slot, (position, kind) in enumerate(zip(simple.tolist(), kinds[simple].tolist(), strict=True)):
        own = part_texts[owner_bounds[slot]:owner_bounds[slot + 1]]
        coordinates = _bracket(own) if kind in (_MULTIPOINT, _MULTILINESTRING, _MULTIPOLYGON) else own[0]
        texts[position] = f'{{"type": "{_TYPE_NAMES[kind]}", "coordinates": {coordinates}}}'
    return [text or "" for text in texts]


def geometry_text(geometry: BaseGeometry, *, precision: int = DEFAULT_PRECISION) -> str:
    """The GeoJSON geometry object text of one geometry (a collection recursively)."""
    if geometry.geom_type == "GeometryCollection":
        parts = ", ".join(geometry_text(part, precision=precision) for part in geometry.geoms)
        return f'{{"type": "GeometryCollection", "geometries": [{parts}]}}'
    return geometry_texts(np.array([geometry], dtype=object), precision=precision)[0]


# How deep each type nests lists of positions, and its type for shapely.from_ragged_array.
_NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
_RAGGED_TYPES = {"Point": shapely.GeometryType.POINT, "MultiPoint": shapely.GeometryType.MULTIPOINT,
                 "LineString": shapely.GeometryType.LINESTRING,
                 "MultiLineString": shapely.GeometryType.MULTILINESTRING,
                 "Polygon": shapely.GeometryType.POLYGON, "MultiPolygon": shapely.GeometryType.MULTIPOLYGON}


def geometries_from_json(objects: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The shapely geometries of GeoJSON geometry objects, built type by type.

    The geometries are those :func:`shapely.geometry.shape` makes of each
    object, with the same coordinates to the bit.

    Parameters
    ----------
    objects : sequence of mapping
        GeoJSON geometry objects (``type`` and ``coordinates``), as parsed from JSON.

    Returns
    -------
    numpy.ndarray of shapely geometries
        In the order of `objects`.

    Raises
    ------
    ValueError
        For what this path leaves to :func:`shapely.geometry.shape` one by
        one: geometry collections, empty geometries or parts, positions of
        mixed dimensions, and malformed objects.

    Examples
    --------
    >>> made = geometries_from_json([{"type": "Point", "coordinates": [77.0, 43.5]},
    ...                              {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    ...                              {"type": "Point", "coordinates": [77.5, 43.25]}])
    >>> [geometry.wkt for geometry in made]
    ['POINT (77 43.5)', 'POLYGON ((0 0, 1 0, 1 1, 0 0))', 'POINT (77.5 43.25)']
    """
    made = np.empty(len(objects), dtype=object)
    by_type: dict[str, list[int]] = {}
    try:
        for index, item in enumerate(objects):
            by_type.setdefault(item["type"], []).append(index)
        for kind, indices in by_type.items():
            if kind not in _NESTING:
                raise ValueError(f"{kind!r} geometries are built one by one")
            made[indices] = _built(kind, [objects[index]["coordinates"] for index in indices])
    except (KeyError, TypeError, IndexError, shapely.errors.ShapelyError) as error:
        raise ValueError(f"not built at once: {error}") from None
    return made


def _built(kind: str, coordinates: list[Any]) -> np.ndarray:
    """Geometries of one type from their nested position lists."""
    depth = _NESTING[kind]
    if depth == 0:
        return shapely.points(_position_array(coordinates))
    positions: list[Any] = []
    # offsets[0] ends each innermost list of positions, offsets[1] each list of those, and so on.
    offsets: list[list[int]] = [[0] for _ in range(depth)]
    for geometry in coordinates:
        _gather(geometry, depth, positions, offsets)
    if any(end == start for ends in offsets for start, end in zip(ends, ends[1:], strict=False)):
        raise ValueError("an empty geometry or part")
    return shapely.from_ragged_array(_RAGGED_TYPES[kind], _position_array(positions),
                                     tuple(np.asarray(ends, dtype=np.int64) for ends in offsets))


def _gather(nested: list[Any], depth: int, positions: list[Any], offsets: list[list[int]]) -> None:
    """Append the positions of `nested` (`depth` levels of lists) and the ends of its lists."""
    if depth == 1:
        positions.extend(nested)
        offsets[0].append(len(positions))
        return
    for part in nested:
        _gather(part, depth - 1, positions, offsets)
    offsets[depth - 1].append(len(offsets[depth - 2]) - 1)


def _position_array(positions: list[Any]) -> np.ndarray:
    """Positions as an (n, 2) or (n, 3) float array; ValueError for mixed or malformed ones."""
    array = np.asarray(positions, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise ValueError("positions of mixed or unexpected dimensions")
    return array
