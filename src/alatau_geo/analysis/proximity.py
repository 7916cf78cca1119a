"""Straight-line proximity: nearest facilities, service coverage and its gaps.

Every function works in the working CRS, EPSG:32643 (UTM 43N, metres), and
refuses other input with a :class:`~alatau_geo.core.errors.CRSError` that names the
CRSs involved; project first with :func:`alatau_geo.core.crs.to_working`. Areas are
measured in the equal-area CRS (:func:`alatau_geo.core.crs.area_ha`), in hectares.
Coordinates are ordered (x, y) throughout.

Distances are straight lines (Euclidean in UTM metres), not travel along a
network. Within the Alatau plain the UTM scale factor keeps them within about
0.1 % of the distance on the ground.

Nearest facility
----------------
:func:`nearest_facility` takes the facilities' coordinates and finds, for
all points at once, the nearest of them:

- point facilities contribute their positions;
- line facilities (gas pipelines, roads) contribute their vertices after
  densifying every segment to at most ``densify_m`` (default
  :data:`DENSIFY_M`); the distance to a line is then over-estimated by at most
  ``densify_m / 2`` (5 m by default), never under-estimated;
- polygon facilities are refused.

With more than :data:`SCAN_MAX_VERTICES` coordinates the search is a
:class:`scipy.spatial.cKDTree` query; with fewer (a few dozen substations) a
vectorised scan over the coordinates, in cache-sized chunks of points, is
faster than the tree and gives the same answer.

Ties (a point at exactly the same distance, in float64, from two
facilities) go to the facility with the lowest id, whatever the order of the
rows.

Coverage
--------
A facility of a kind covers the disc of the plan's service radius for that
kind (``plan.service_radii_m``) around it. :func:`coverage` unions the discs
per kind; each disc is a polygon of ``4 * BUFFER_QUAD_SEGS`` = 256 sides
inscribed in the circle, so covered areas are short of the true discs by
0.01 %.

Bad input
---------
An empty facility layer, a kind without facilities, missing or empty
geometries or ids, and unknown kinds raise a one-line
:class:`~alatau_geo.core.errors.LayerError`. :func:`nearest_by_kind` and
:func:`coverage` take ``on_missing="warn"`` to carry on instead when a kind
has no facilities: the kind's columns are then all missing (``<NA>``) or its
coverage empty, a :class:`UserWarning` names the kind, and the message is
listed in ``result.attrs["warnings"]``. Nothing turns into NaN silently.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from alatau_geo.core.crs import WORKING_CRS, area_ha, require_crs
from alatau_geo.core.errors import CRSError, LayerError, PlanError
from alatau_geo.core.layers import Layer, LayerSet, Provenance

logger = logging.getLogger(__name__)

#: Longest segment of a line facility before its vertices are used, metres.
DENSIFY_M = 10.0
#: Segments per quarter circle of a service disc (256-gon).
BUFFER_QUAD_SEGS = 64
#: Relative margin within which the tree search looks again for tied vertices.
TIE_RTOL = 1e-9
#: Up to this many facility vertices, a vectorised scan replaces the tree query.
SCAN_MAX_VERTICES = 64
_SCAN_CHUNK = 16_384
#: Place kinds counted as settlements by :func:`settlements_outside`.
SETTLEMENT_KINDS = ("city", "town", "village")
#: Default cell size of :func:`city_grid`, metres.
DEFAULT_CELL_M = 100.0

OnMissing = Literal["raise", "warn"]
Geo = gpd.GeoSeries | gpd.GeoDataFrame

NEAREST_COLUMNS = ("facility_id", "distance_m")
UNCOVERED_COLUMNS = ("district", "kind", "area_ha", "covered_ha", "uncovered_ha", "uncovered_pct")
OUTSIDE_COLUMNS = ("place_id", "name_en", "place_kind", "kind", "radius_m", "gap_m", "distance_m")
_POINT, _LINESTRING, _MULTIPOINT, _MULTILINESTRING = 0, 1, 4, 5
_LINE_TYPES = (_LINESTRING, 2, _MULTILINESTRING)  # 2 = LinearRing


# --------------------------------------------------------------------------- checks


def _crs_name(crs: CRS) -> str:
    return crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"


def _check_crs(*frames: tuple[Geo, str]) -> None:
    """Raise CRSError unless every frame is in the working CRS; the message names the CRSs."""
    found = [(require_crs(frame, what=what), what) for frame, what in frames]
    first, first_what = found[0]
    for crs, what in found[1:]:
        if not first.equals(crs):
            raise CRSError(
                f"CRS mismatch: {first_what} in {_crs_name(first)}, {what} in {_crs_name(crs)}; "
                f"project both to {_crs_name(WORKING_CRS)} (alatau_geo.core.crs.to_working)"
            )
    if not WORKING_CRS.equals(first):
        raise CRSError(
            f"{first_what}: in {_crs_name(first)}, expected the working CRS {_crs_name(WORKING_CRS)}; "
            "project it with alatau_geo.core.crs.to_working"
        )


def _geometries(frame: Geo) -> np.ndarray:
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    return np.asarray(series.array)


def _labels(index: pd.Index, mask: np.ndarray, *, limit: int = 5) -> str:
    labels = [str(label) for label in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise LayerError(f"{what}: missing column(s) {', '.join(map(repr, missing))}")


# --------------------------------------------------------------------------- coordinates


def _point_xy(points: Geo, *, what: str) -> np.ndarray:
    """(n, 2) coordinates: the point itself, or a non-point's representative point.

    The fast path reads x and y straight into one array; only when a row is not
    a plain point does the careful path run.
    """
    geometries = _geometries(points)
    xy = np.empty((len(geometries), 2), dtype="float64")
    try:
        shapely.get_x(geometries, out=xy[:, 0])
        shapely.get_y(geometries, out=xy[:, 1])
    except shapely.errors.GEOSException:  # an empty point
        pass
    else:
        if not np.isnan(xy[:, 0]).any() and not np.isnan(xy[:, 1]).any():
            return xy
    missing = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    if missing.any():
        raise LayerError(f"{what}: missing or empty geometry in row(s) {_labels(points.index, missing)}")
    other = shapely.get_type_id(geometries) != _POINT
    if other.any():
        geometries = geometries.copy()
        geometries[other] = shapely.point_on_surface(geometries[other])
    xy = np.column_stack([shapely.get_x(geometries), shapely.get_y(geometries)])
    bad = np.isnan(xy).any(axis=1)
    if bad.any():
        raise LayerError(f"{what}: NaN coordinates in row(s) {_labels(points.index, bad)}")
    return xy


def _facility_vertices(facilities: gpd.GeoDataFrame, *, id_column: str, densify_m: float,
                       what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facility ids in sorted order, vertex coordinates, and each vertex's facility (index into the ids)."""
    if len(facilities) == 0:
        raise LayerError(f"{what}: no facilities (empty layer); add at least one or leave this kind out")
    _require_columns(facilities, [id_column], what=what)
    ids = facilities[id_column]
    if ids.isna().any():
        raise LayerError(f"{what}: missing {id_column!r} in row(s) {_labels(facilities.index, ids.isna().to_numpy())}")
    geometries = _geometries(facilities)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    if empty.any():
        raise LayerError(f"{what}: missing or empty geometry in row(s) {_labels(facilities.index, empty)}")
    types = shapely.get_type_id(geometries)
    polygonal = ~np.isin(types, (_POINT, _MULTIPOINT, *_LINE_TYPES))
    if polygonal.any():
        raise LayerError(f"{what}: facilities must be points or lines; row(s) {_labels(facilities.index, polygonal)} "
                         "are not (use their representative points)")
    lines = np.isin(types, _LINE_TYPES)
    if lines.any():
        geometries = geometries.copy()
        geometries[lines] = shapely.segmentize(geometries[lines], densify_m)
    try:
        unique_ids, row_owner = np.unique(ids.to_numpy(), return_inverse=True)
    except TypeError:
        raise LayerError(f"{what}: ids in {id_column!r} cannot be ordered (mixed types)") from None
    xy, row = shapely.get_coordinates(geometries, return_index=True)
    if np.isnan(xy).any():
        raise LayerError(f"{what}: NaN coordinates")
    owner = row_owner[row]
    order = np.argsort(owner, kind="stable")
    return unique_ids, np.ascontiguousarray(xy[order]), owner[order]


def _nearest_scan(vertices: np.ndarray, owner: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to and owner of the nearest vertex, by scanning every vertex (few vertices).

    Points are taken in chunks that stay in the processor cache; vertices in
    owner order with a strict comparison, so of tied vertices the lowest owner wins.
    """
    n = len(xy)
    squared = np.empty(n)
    index = np.zeros(n, dtype=np.intp)
    size = min(n, _SCAN_CHUNK)
    dx, dy, mask = np.empty(size), np.empty(size), np.empty(size, dtype=bool)
    for start in range(0, n, _SCAN_CHUNK):
        stop = min(n, start + _SCAN_CHUNK)
        x, y, best, arg = xy[start:stop, 0], xy[start:stop, 1], squared[start:stop], index[start:stop]
        bx, by, bmask = dx[: stop - start], dy[: stop - start], mask[: stop - start]
        for vertex, (fx, fy) in enumerate(vertices):
            np.subtract(x, fx, out=bx)
            np.subtract(y, fy, out=by)
            np.multiply(bx, bx, out=bx)
            np.multiply(by, by, out=by)
            if vertex == 0:
                np.add(bx, by, out=best)
                continue
            np.add(bx, by, out=bx)
            np.less(bx, best, out=bmask)
            np.copyto(best, bx, where=bmask)
            np.copyto(arg, vertex, where=bmask)
    return np.sqrt(squared, out=squared), owner[index]


def _nearest_tree(vertices: np.ndarray, owner: np.ndarray, xy: np.ndarray, *,
                  workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance to and owner of the nearest vertex, from a cKDTree (many vertices)."""
    tree = cKDTree(vertices)
    distances, found = tree.query(xy, k=2, workers=workers)
    distance = distances[:, 0]
    nearest = owner[found[:, 0]]
    # The second nearest vertex tells whether the first is alone; where it is
    # not (rare), every vertex at about that distance is looked at.
    close = np.flatnonzero(distances[:, 1] <= distance * (1 + TIE_RTOL))
    if len(close) == 0:
        return distance, nearest
    radii = distance[close] * (1 + TIE_RTOL) + 1e-9
    for row, candidates in zip(close, tree.query_ball_point(xy[close], radii), strict=True):
        candidates = np.asarray(candidates, dtype=np.intp)
        offsets = vertices[candidates] - xy[row]
        squared = offsets[:, 0] * offsets[:, 0] + offsets[:, 1] * offsets[:, 1]
        best = squared.min()
        nearest[row] = owner[candidates[squared == best]].min()
        distance[row] = math.sqrt(best)
    return distance, nearest


def _nearest_vertices(vertices: np.ndarray, owner: np.ndarray, xy: np.ndarray, *,
                      workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance to and owner of the nearest vertex of each point; ties to the lowest owner.

    `vertices` must be sorted by `owner`. Up to :data:`SCAN_MAX_VERTICES`
    vertices a vectorised scan is faster than a tree query; both give the
    same answer.
    """
    if len(xy) == 0:
        return np.empty(0), np.empty(0, dtype=np.intp)
    if len(vertices) <= SCAN_MAX_VERTICES:
        return _nearest_scan(vertices, owner, xy)
    return _nearest_tree(vertices, owner, xy, workers=workers)


# --------------------------------------------------------------------------- nearest facility


def nearest_facility(points: Geo, facilities: gpd.GeoDataFrame, *, id_column: str = "id",
                     densify_m: float = DENSIFY_M, workers: int = 1, what: str = "facilities") -> pd.DataFrame:
    """The nearest facility of every point and the straight-line distance to it.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Points in EPSG:32643. A polygon or line is measured from its
        representative point (``point_on_surface``), not from its edge.
    facilities : GeoDataFrame
        Points or lines in EPSG:32643 with an id column. Lines are measured
        to their vertices after densifying each segment to at most
        `densify_m`. Rows sharing an id are one facility.
    id_column : str, default "id"
        Column of `facilities` holding the id reported.
    densify_m : float, default :data:`DENSIFY_M`
        Longest segment of a line before its vertices are used, metres; the
        distance to a line is over-estimated by at most half of it.
    workers : int, default 1
        Threads for the tree query (``-1``: all cores), used above
        :data:`SCAN_MAX_VERTICES` facility coordinates; results do not depend on it.
    what : str, default "facilities"
        Name of the facility layer or kind, used in error messages.

    Returns
    -------
    DataFrame
        Indexed like `points`; ``facility_id`` (the id, dtype of `id_column`)
        and ``distance_m`` (metres). A tie goes to the lowest id.

    Raises
    ------
    LayerError
        If `facilities` is empty, or a geometry or id is missing, or a
        facility is a polygon.
    CRSError
        If either input is not in EPSG:32643; the message names both CRSs.

    Examples
    --------
    >>> from shapely import Point
    >>> facilities = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(0, 0), Point(10, 0)], crs=32643)
    >>> points = gpd.GeoSeries([Point(3, 4), Point(5, 0)], crs=32643)
    >>> nearest_facility(points, facilities)
      facility_id  distance_m
    0           a         5.0
    1           a         5.0
    """
    _check_crs((points, "points"), (facilities, what))
    if not densify_m > 0:
        raise ValueError(f"densify_m must be greater than 0, got {densify_m}")
    ids, vertices, owner = _facility_vertices(facilities, id_column=id_column, densify_m=densify_m, what=what)
    xy = _point_xy(points, what="points")
    distance, nearest = _nearest_vertices(vertices, owner, xy, workers=workers)
    return pd.DataFrame({
        "facility_id": pd.Series(ids[nearest], index=points.index, dtype=facilities[id_column].dtype),
        "distance_m": pd.Series(distance, index=points.index),
    })


def _missing_kinds(facilities: gpd.GeoDataFrame, kinds: Sequence[str], *, kind_column: str,
                   what: str) -> list[str]:
    if len(facilities) == 0:
        raise LayerError(f"{what}: no facilities (empty layer)")
    _require_columns(facilities, [kind_column], what=what)
    if not kinds:
        raise ValueError("kinds: give at least one facility kind")
    present = set(facilities[kind_column].dropna())
    return [kind for kind in kinds if kind not in present]


def _report_missing(missing: Sequence[str], *, what: str, on_missing: OnMissing, consequence: str) -> list[str]:
    """Raise for kinds without facilities, or warn and return the messages."""
    if not missing:
        return []
    if on_missing not in ("raise", "warn"):
        raise ValueError(f"on_missing must be 'raise' or 'warn', got {on_missing!r}")
    if on_missing == "raise":
        raise LayerError(f"{what}: no facilities of kind {', '.join(missing)}; add them or leave the kind out")
    messages = [f"{what}: no facilities of kind {kind}; {consequence}" for kind in missing]
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=3)
    return messages


def nearest_by_kind(points: Geo, facilities: gpd.GeoDataFrame, *, kinds: Sequence[str], kind_column: str = "kind",
                    id_column: str = "id", densify_m: float = DENSIFY_M, workers: int = 1,
                    on_missing: OnMissing = "raise") -> pd.DataFrame:
    """The nearest facility of each kind for every point.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        As in :func:`nearest_facility` (non-points measured from their representative point).
    facilities : GeoDataFrame
        Points and lines in EPSG:32643 with `kind_column` and `id_column`.
    kinds : sequence of str
        The kinds to measure, in column order.
    kind_column, id_column : str
        Columns of `facilities`.
    densify_m, workers
        As in :func:`nearest_facility`.
    on_missing : {'raise', 'warn'}, default 'raise'
        A kind with no facilities raises :class:`LayerError`; with ``'warn'``
        its two columns are all ``<NA>``, a ``UserWarning`` names it, and the
        message is listed in ``result.attrs["warnings"]``.

    Returns
    -------
    DataFrame
        Indexed like `points`; for each kind ``<kind>_id`` and
        ``<kind>_distance_m`` (metres).

    Raises
    ------
    LayerError
        If `facilities` is empty or has no `kind_column`, or (by default) a
        kind has no facilities.
    CRSError
        If either input is not in EPSG:32643.
    """
    _check_crs((points, "points"), (facilities, "facilities"))
    missing = _missing_kinds(facilities, kinds, kind_column=kind_column, what="facilities")
    messages = _report_missing(missing, what="nearest_by_kind", on_missing=on_missing,
                               consequence="its id and distance columns are left empty (<NA>)")
    columns: dict[str, pd.Series] = {}
    for kind in kinds:
        if kind in missing:
            columns[f"{kind}_id"] = pd.Series(pd.NA, index=points.index, dtype=facilities[id_column].dtype)
            columns[f"{kind}_distance_m"] = pd.Series(pd.NA, index=points.index, dtype="Float64")
            continue
        subset = facilities[facilities[kind_column] == kind]
        nearest = nearest_facility(points, subset, id_column=id_column, densify_m=densify_m, workers=workers,
                                   what=f"facilities of kind {kind}")
        columns[f"{kind}_id"] = nearest["facility_id"]
        columns[f"{kind}_distance_m"] = nearest["distance_m"]
    result = pd.DataFrame(columns, index=points.index)
    result.attrs["warnings"] = messages
    return result


# --------------------------------------------------------------------------- grid


def _area_geometry(area: shapely.Geometry | Geo, *, what: str) -> shapely.Geometry:
    if isinstance(area, (gpd.GeoSeries, gpd.GeoDataFrame)):
        _check_crs((area, what))
        return shapely.union_all(_geometries(area))
    return area


def city_grid(area: shapely.Geometry | Geo, *, cell_m: float = DEFAULT_CELL_M) -> gpd.GeoDataFrame:
    """Centres of the cells of a regular grid that fall inside `area`.

    Cell edges lie on whole multiples of `cell_m` (so every area gets the
    same grid), centres half a cell in. A cell is kept when its centre lies
    inside `area` (on the edge does not count).

    Parameters
    ----------
    area : Polygon or MultiPolygon, or GeoSeries / GeoDataFrame
        The area in EPSG:32643; a bare geometry is taken to be in it, a
        GeoSeries or GeoDataFrame is checked and its geometries united.
    cell_m : float, default 100.0
        Cell size, metres.

    Returns
    -------
    GeoDataFrame
        One point per cell, rows north to south, then west to east (raster
        order), in EPSG:32643: ``cell_id`` (0, 1, ... in that order) and
        ``cell_area_ha`` (``cell_m ** 2 / 10_000``: the cell's area on the
        working grid, which differs from the equal-area measure by the UTM
        scale factor, about 0.1 %).

    Raises
    ------
    ValueError
        If `cell_m` is not a positive finite number.
    CRSError
        If a GeoSeries / GeoDataFrame is not in EPSG:32643.

    Examples
    --------
    >>> from shapely import box
    >>> grid = city_grid(box(0, 0, 1000, 1000), cell_m=100)
    >>> len(grid), float(grid["cell_area_ha"].sum())
    (100, 100.0)
    """
    if isinstance(cell_m, bool) or not isinstance(cell_m, (int, float)) or not math.isfinite(cell_m) or cell_m <= 0:
        raise ValueError(f"cell_m must be a positive number of metres, got {cell_m!r}")
    geometry = _area_geometry(area, what="area")
    columns = {"cell_id": pd.Series([], dtype="int64"), "cell_area_ha": pd.Series([], dtype="float64")}
    if geometry is None or geometry.is_empty:
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)
    west, south, east, north = geometry.bounds
    xs = (np.arange(math.floor(west / cell_m), math.ceil(east / cell_m)) + 0.5) * cell_m
    ys = (np.arange(math.ceil(north / cell_m) - 1, math.floor(south / cell_m) - 1, -1) + 0.5) * cell_m
    x, y = (grid.ravel() for grid in np.meshgrid(xs, ys))
    shapely.prepare(geometry)
    inside = shapely.contains_xy(geometry, x, y)
    x, y = x[inside], y[inside]
    return gpd.GeoDataFrame(
        {"cell_id": np.arange(len(x), dtype="int64"), "cell_area_ha": np.full(len(x), cell_m * cell_m / 10_000.0)},
        geometry=gpd.GeoSeries(shapely.points(x, y), crs=WORKING_CRS), crs=WORKING_CRS,
    )


# --------------------------------------------------------------------------- coverage


def coverage(facilities: gpd.GeoDataFrame, *, radii_m: Mapping[str, float], kinds: Sequence[str] | None = None,
             kind_column: str = "kind", id_column: str = "id", on_missing: OnMissing = "raise") -> gpd.GeoDataFrame:
    """Land within the service radius of a facility, one (multi)polygon per kind.

    Parameters
    ----------
    facilities : GeoDataFrame
        Points (or lines) in EPSG:32643 with `kind_column` and `id_column`.
    radii_m : mapping of str to float
        Service radius per kind, metres (``plan.service_radii_m``).
    kinds : sequence of str, optional
        Kinds to cover, in row order; default: the kinds of `radii_m`.
    kind_column, id_column : str
        Columns of `facilities`.
    on_missing : {'raise', 'warn'}, default 'raise'
        A kind with no facilities raises :class:`LayerError`; with ``'warn'``
        its coverage is empty (nothing covered), a ``UserWarning`` names it and
        the message is listed in ``result.attrs["warnings"]``.

    Returns
    -------
    GeoDataFrame
        One row per kind in EPSG:32643, indexed 0..: ``id`` and ``kind`` (the
        kind), ``radius_m``, ``facility_count``, ``facility_ids`` (semicolon
        list, in id order), and the union of 256-gon discs of ``radius_m``
        around each facility (a buffer around a line).

    Raises
    ------
    PlanError
        If a kind has no radius in `radii_m`, or a radius is not positive.
    LayerError
        If `facilities` is empty or lacks a column, or (by default) a kind has
        no facilities.
    CRSError
        If `facilities` is not in EPSG:32643.
    """
    _check_crs((facilities, "facilities"))
    kinds = tuple(radii_m) if kinds is None else tuple(kinds)
    for kind in kinds:
        radius = radii_m.get(kind)
        if radius is None:
            raise PlanError(f"service_radii_m: no radius for kind {kind!r} (radii: {', '.join(radii_m) or 'none'})")
        if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
            raise PlanError(f"service_radii_m.{kind}: must be a positive number of metres, got {radius!r}")
    missing = _missing_kinds(facilities, kinds, kind_column=kind_column, what="facilities")
    _require_columns(facilities, [id_column], what="facilities")
    messages = _report_missing(missing, what="coverage", on_missing=on_missing,
                               consequence="its coverage is empty (nothing counts as covered)")
    rows = []
    for kind in kinds:
        subset = facilities[facilities[kind_column] == kind]
        geometries = _geometries(subset)
        empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
        if empty.any():
            raise LayerError(f"facilities of kind {kind}: missing or empty geometry in row(s) "
                             f"{_labels(subset.index, empty)}")
        discs = shapely.buffer(geometries, float(radii_m[kind]), quad_segs=BUFFER_QUAD_SEGS)
        ids = sorted(set(subset[id_column].astype(str)))
        rows.append({"id": kind, "kind": kind, "radius_m": float(radii_m[kind]), "facility_count": len(ids),
                     "facility_ids": ";".join(ids), "geometry": shapely.union_all(discs)})
    frame = gpd.GeoDataFrame(rows, columns=["id", "kind", "radius_m", "facility_count", "facility_ids", "geometry"],
                             geometry="geometry", crs=WORKING_CRS)
    frame.attrs["warnings"] = messages
    return frame


def _dissolved(frame: gpd.GeoDataFrame, *, id_column: str, what: str) -> tuple[list, np.ndarray]:
    """Ids in first-seen order and one united geometry per id."""
    _require_columns(frame, [id_column], what=what)
    geometries = _geometries(frame)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    if empty.any():
        raise LayerError(f"{what}: missing or empty geometry in row(s) {_labels(frame.index, empty)}")
    ids = list(dict.fromkeys(frame[id_column]))
    keys = frame[id_column].to_numpy()
    united = np.array([shapely.union_all(geometries[keys == key]) for key in ids], dtype=object)
    return ids, united


def uncovered_by_district(districts: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame, *,
                          id_column: str = "id") -> pd.DataFrame:
    """Area of each district outside the coverage of each kind.

    Parameters
    ----------
    districts : GeoDataFrame
        Polygons in EPSG:32643; rows sharing an id are one district.
    coverage : GeoDataFrame
        From :func:`coverage` (columns ``kind`` and geometry).
    id_column : str, default "id"
        Column of `districts` holding the district id.

    Returns
    -------
    DataFrame
        One row per district and kind (districts in first-seen order, kinds
        in coverage order): ``district``, ``kind``, ``area_ha``,
        ``covered_ha``, ``uncovered_ha`` (hectares, equal-area CRS;
        ``covered_ha + uncovered_ha = area_ha`` to rounding) and
        ``uncovered_pct`` (percent of ``area_ha``).

    Raises
    ------
    LayerError
        If a district has no area, or a column is missing.
    CRSError
        If either input is not in EPSG:32643.
    """
    _check_crs((districts, "districts"), (coverage, "coverage"))
    _require_columns(coverage, ["kind"], what="coverage")
    ids, shapes = _dissolved(districts, id_column=id_column, what="districts")
    area = area_ha(gpd.GeoSeries(shapes, crs=WORKING_CRS)).to_numpy()
    if (area <= 0).any():
        raise LayerError(f"districts: no area in {_labels(pd.Index(ids), area <= 0)}")
    tables = []
    for kind, covered_shape in zip(coverage["kind"], _geometries(coverage), strict=True):
        covered = area_ha(gpd.GeoSeries(shapely.intersection(shapes, covered_shape), crs=WORKING_CRS)).to_numpy()
        uncovered = area_ha(gpd.GeoSeries(shapely.difference(shapes, covered_shape), crs=WORKING_CRS)).to_numpy()
        tables.append(pd.DataFrame({
            "district": ids, "kind": kind, "area_ha": area, "covered_ha": covered, "uncovered_ha": uncovered,
            "uncovered_pct": 100.0 * uncovered / area,
        }))
    if not tables:
        return pd.DataFrame({column: [] for column in UNCOVERED_COLUMNS})
    return pd.concat(tables, ignore_index=True)[list(UNCOVERED_COLUMNS)]


def settlements_outside(places: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame, *,
                        place_kinds: Sequence[str] | None = SETTLEMENT_KINDS) -> pd.DataFrame:
    """Settlements outside the service radius of every facility of a kind.

    Parameters
    ----------
    places : GeoDataFrame
        Points in EPSG:32643 with ``id``, ``name_en`` and ``kind`` (the
        ``places`` layer).
    coverage : GeoDataFrame
        From :func:`coverage` (columns ``kind``, ``radius_m``, ``facility_count``).
    place_kinds : sequence of str or None, default :data:`SETTLEMENT_KINDS`
        Place kinds counted as settlements; ``None`` takes every place.

    Returns
    -------
    DataFrame
        One row per settlement and kind it lies outside of, settlements in
        `places` order and kinds in coverage order: ``place_id``,
        ``name_en``, ``place_kind``, ``kind`` (facility kind), ``radius_m``,
        ``gap_m`` (distance to the covered land, metres) and ``distance_m``
        (to the nearest facility of the kind: ``gap_m + radius_m``, exact for
        true discs; the 256-gon discs make it at most ``radius_m * 7.5e-5``
        too long, 0.75 m at 10 km). A kind without facilities (see
        :func:`coverage`, ``on_missing='warn'``) lists every settlement with
        ``gap_m`` and ``distance_m`` missing (``<NA>``), and the message is
        carried over to ``result.attrs["warnings"]``.

    Raises
    ------
    LayerError
        If a column is missing or a place has no geometry.
    CRSError
        If either input is not in EPSG:32643.
    """
    _check_crs((places, "places"), (coverage, "coverage"))
    _require_columns(places, ["id", "name_en"] + (["kind"] if place_kinds is not None else []), what="places")
    _require_columns(coverage, ["kind", "radius_m", "facility_count"], what="coverage")
    chosen = places if place_kinds is None else places[places["kind"].isin(list(place_kinds))]
    points = _point_xy(chosen, what="places")
    tables = []
    for row, covered_shape in zip(coverage.itertuples(index=False), _geometries(coverage), strict=True):
        if row.facility_count == 0 or covered_shape is None or covered_shape.is_empty:
            gap = pd.array([pd.NA] * len(chosen), dtype="Float64")
            outside = np.ones(len(chosen), dtype=bool)
        else:
            gap = shapely.distance(shapely.points(points), covered_shape)
            outside = gap > 0
            gap = pd.array(gap, dtype="Float64")
        table = pd.DataFrame({
            "place_id": chosen["id"].to_numpy(), "name_en": chosen["name_en"].to_numpy(),
            "place_kind": chosen["kind"].to_numpy() if "kind" in chosen else pd.NA,
            "kind": row.kind, "radius_m": float(row.radius_m), "gap_m": gap,
        })[outside]
        table["distance_m"] = table["gap_m"] + table["radius_m"]
        tables.append(table)
    result = (pd.concat(tables, ignore_index=True)[list(OUTSIDE_COLUMNS)] if tables
              else pd.DataFrame({column: [] for column in OUTSIDE_COLUMNS}))
    result.attrs["warnings"] = list(coverage.attrs.get("warnings", []))
    return result


# --------------------------------------------------------------------------- report tables and layers

#: Layers holding facilities, in the order they are read.
FACILITY_LAYERS = ("infrastructure", "infrastructure_lines")
#: Layers holding investment projects.
PROJECT_LAYERS = ("projects", "projects_lines")


def facilities_from(layers: Mapping[str, Layer]) -> gpd.GeoDataFrame:
    """The ``infrastructure`` layer, with ``infrastructure_lines`` when present, as one frame.

    Raises
    ------
    LayerError
        If there is no ``infrastructure`` layer.
    """
    if "infrastructure" not in layers:
        raise LayerError("no 'infrastructure' layer; build the infrastructure layers before the proximity analysis")
    return _stacked([layers[name] for name in FACILITY_LAYERS if name in layers])


def _stacked(found: Sequence[Layer]) -> gpd.GeoDataFrame:
    frames = [layer.frame for layer in found]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=WORKING_CRS)


def _city(layers: Mapping[str, Layer]) -> gpd.GeoDataFrame:
    """The city boundary, or the districts when the layers have no boundary."""
    for name in ("city_boundary", "districts"):
        if name in layers:
            return layers[name].frame
    raise LayerError("no 'city_boundary' or 'districts' layer; build the zones before the proximity analysis")


def _nearest_kinds(facilities: gpd.GeoDataFrame, radii_m: Mapping[str, float],
                   kinds: Sequence[str] | None) -> tuple[str, ...]:
    if kinds is not None:
        return tuple(kinds)
    _require_columns(facilities, ["kind"], what="facilities")
    present = set(facilities["kind"].dropna())
    return tuple(kind for kind in radii_m if kind in present) + tuple(sorted(present - set(radii_m)))


def grid_summary(grid: pd.DataFrame, nearest: pd.DataFrame, *, kinds: Sequence[str],
                 radii_m: Mapping[str, float]) -> pd.DataFrame:
    """Distances from the grid cells to the nearest facility of each kind, summarised.

    Parameters
    ----------
    grid : DataFrame
        From :func:`city_grid` (``cell_area_ha``).
    nearest : DataFrame
        From :func:`nearest_by_kind` on the grid, same index.
    kinds : sequence of str
    radii_m : mapping of str to float
        Service radius per kind, metres; kinds without one get no coverage share.

    Returns
    -------
    DataFrame
        One row per kind: ``kind``, ``cells``, ``area_ha``, ``median_m``,
        ``p90_m``, ``max_m`` (metres), ``radius_m`` and ``within_radius_pct``
        (share of the grid area within the radius; ``<NA>`` when the kind
        has no radius or no facilities).
    """
    rows = []
    for kind in kinds:
        distance = nearest[f"{kind}_distance_m"].astype("Float64")
        radius = radii_m.get(kind)
        measured = distance.dropna().to_numpy(dtype="float64")
        within = pd.NA
        if radius is not None and len(measured) == len(distance) and len(distance):
            within = 100.0 * float(grid["cell_area_ha"][measured <= radius].sum()) / float(grid["cell_area_ha"].sum())
        rows.append({
            "kind": kind, "cells": len(distance), "area_ha": float(grid["cell_area_ha"].sum()),
            "median_m": float(np.median(measured)) if len(measured) else pd.NA,
            "p90_m": float(np.percentile(measured, 90)) if len(measured) else pd.NA,
            "max_m": float(measured.max()) if len(measured) else pd.NA,
            "radius_m": float(radius) if radius is not None else pd.NA,
            "within_radius_pct": within,
        })
    table = pd.DataFrame(rows, columns=["kind", "cells", "area_ha", "median_m", "p90_m", "max_m", "radius_m",
                                        "within_radius_pct"])
    for column in ("median_m", "p90_m", "max_m", "radius_m", "within_radius_pct"):
        table[column] = table[column].astype("Float64")
    return table


def proximity_tables(layers: Mapping[str, Layer], *, radii_m: Mapping[str, float], cell_m: float = DEFAULT_CELL_M,
                     kinds: Sequence[str] | None = None, on_missing: OnMissing = "raise",
                     workers: int = 1) -> dict[str, pd.DataFrame]:
    """Every table of the proximity report, from the layers and the plan's service radii.

    Parameters
    ----------
    layers : mapping of str to Layer
        ``infrastructure`` (and ``infrastructure_lines``), ``places``,
        ``districts`` and ``city_boundary``; ``projects`` (and
        ``projects_lines``) when present.
    radii_m : mapping of str to float
        ``plan.service_radii_m``: the kinds whose coverage is analysed.
    cell_m : float, default 100.0
        Grid cell size over the city, metres.
    kinds : sequence of str, optional
        Kinds for the nearest-facility columns; default every kind present,
        those with a radius first.
    on_missing : {'raise', 'warn'}, default 'raise'
        See :func:`nearest_by_kind` and :func:`coverage`.
    workers : int, default 1
        Threads for the tree queries.

    Returns
    -------
    dict of str to DataFrame
        ``nearest_places`` (id, name_en, kind + per-kind columns),
        ``nearest_projects`` (id, name_en, jobs + per-kind columns; only with a
        projects layer; lines measured from their representative point),
        ``nearest_grid`` (cell_id, x_m, y_m, cell_area_ha + per-kind columns),
        ``grid_summary`` (:func:`grid_summary`), ``uncovered_by_district``
        (:func:`uncovered_by_district` with the city as a last district) and
        ``settlements_outside`` (:func:`settlements_outside`). Messages about
        kinds without facilities (``on_missing='warn'``) are in every table's
        ``attrs["warnings"]``.

    Raises
    ------
    LayerError, PlanError, CRSError
        As the functions called.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> tables = ag.proximity_tables(ag.read_layers("layers"),
    ...                              radii_m=ag.load_plan().service_radii_m)  # doctest: +SKIP
    >>> tables["uncovered_by_district"].head()  # doctest: +SKIP
    """
    facilities = facilities_from(layers)
    kinds = _nearest_kinds(facilities, radii_m, kinds)
    for name in ("places", "districts"):
        if name not in layers:
            raise LayerError(f"no {name!r} layer; build the reference layers before the proximity analysis")
    covered = coverage(facilities, radii_m=radii_m, on_missing=on_missing)
    messages = list(covered.attrs["warnings"])

    def nearest(points: Geo) -> pd.DataFrame:
        with warnings.catch_warnings(record=True):  # reported once, below, for all tables
            warnings.simplefilter("always")
            table = nearest_by_kind(points, facilities, kinds=kinds, on_missing=on_missing, workers=workers)
        messages.extend(m for m in table.attrs["warnings"] if m not in messages)
        return table

    places = layers["places"].frame
    tables = {"nearest_places": places[["id", "name_en", "kind"]].join(nearest(places))}
    projects = [layers[name] for name in PROJECT_LAYERS if name in layers]
    if projects:
        frame = _stacked(projects)
        columns = [column for column in ("id", "name_en", "jobs") if column in frame.columns]
        tables["nearest_projects"] = pd.DataFrame(frame[columns]).join(nearest(frame))
    city = _city(layers)
    grid = city_grid(city, cell_m=cell_m)
    grid_nearest = nearest(grid)
    tables["nearest_grid"] = pd.DataFrame({
        "cell_id": grid["cell_id"], "x_m": grid.geometry.x, "y_m": grid.geometry.y,
        "cell_area_ha": grid["cell_area_ha"],
    }).join(grid_nearest)
    tables["grid_summary"] = grid_summary(grid, grid_nearest, kinds=kinds, radii_m=radii_m)
    zones = layers["districts"].frame[["id", "geometry"]]
    if "city_boundary" in layers:
        zones = pd.concat([zones, layers["city_boundary"].frame[["id", "geometry"]]], ignore_index=True)
    tables["uncovered_by_district"] = uncovered_by_district(gpd.GeoDataFrame(zones, crs=WORKING_CRS), covered)
    tables["settlements_outside"] = settlements_outside(places, covered)
    for message in messages[len(covered.attrs["warnings"]):]:
        warnings.warn(message, UserWarning, stacklevel=2)
    for table in tables.values():
        table.attrs["warnings"] = list(messages)
    return tables


def _coverage_provenance(radii_m: Mapping[str, float], kinds: Sequence[str], *, what: str) -> Provenance:
    return Provenance(
        source="infrastructure layers (positions are planning assumptions); service radii from the plan"
        + ("; city_boundary layer" if what == "gaps" else ""),
        method=("union of discs of the plan's service radius around every facility of a kind (straight line, "
                f"{4 * BUFFER_QUAD_SEGS}-gon discs)")
        + ("; the city area outside them, per kind; a kind covering the whole city has no feature"
           if what == "gaps" else ""),
        parameters={f"service_radii_m.{kind}": float(radii_m[kind]) for kind in kinds},
        quality="approximate",
    )


def coverage_layers(layers: Mapping[str, Layer], *, radii_m: Mapping[str, float],
                    kinds: Sequence[str] | None = None, on_missing: OnMissing = "raise") -> LayerSet:
    """The ``coverage`` and ``coverage_gaps`` layers to export.

    Parameters
    ----------
    layers : mapping of str to Layer
        ``infrastructure`` (and ``infrastructure_lines``) and ``city_boundary``
        (or ``districts``).
    radii_m : mapping of str to float
        ``plan.service_radii_m``.
    kinds : sequence of str, optional
        Default: the kinds of `radii_m`.
    on_missing : {'raise', 'warn'}, default 'raise'
        See :func:`coverage`; with ``'warn'`` a kind without facilities has
        no coverage feature and its gap is the whole city.

    Returns
    -------
    LayerSet
        ``coverage``: one feature per kind (id = kind) with ``radius_m``,
        ``facility_count``, ``facility_ids``, ``area_ha``; ``coverage_gaps``:
        the city area outside the coverage, one feature per kind with
        ``radius_m``, ``area_ha`` and ``uncovered_pct`` (of the city area);
        a kind that covers the whole city has no gap feature (an empty
        geometry cannot be exported). Both are quality ``approximate``.
    """
    facilities = facilities_from(layers)
    covered = coverage(facilities, radii_m=radii_m, kinds=kinds, on_missing=on_missing)
    kinds = tuple(covered["kind"])
    city = shapely.union_all(_geometries(_city(layers)))
    city_ha = float(area_ha(gpd.GeoSeries([city], crs=WORKING_CRS)).iloc[0])
    discs = covered[~covered.geometry.is_empty].copy()
    discs["area_ha"] = area_ha(discs)
    gaps = covered[["id", "kind", "radius_m"]].copy()
    gaps = gpd.GeoDataFrame(gaps, geometry=shapely.difference(city, _geometries(covered)), crs=WORKING_CRS)
    gaps["area_ha"] = area_ha(gaps)
    gaps["uncovered_pct"] = 100.0 * gaps["area_ha"] / city_ha
    full = gaps.geometry.is_empty
    for kind in gaps.loc[full, "kind"]:
        logger.info("coverage_gaps: %s covers the whole city; no gap feature", kind)
    return LayerSet([
        Layer("coverage", discs.reset_index(drop=True), _coverage_provenance(radii_m, kinds, what="coverage"),
              title="Land within the service radius of a facility, per kind (straight line)"),
        Layer("coverage_gaps", gaps[~full].reset_index(drop=True), _coverage_provenance(radii_m, kinds, what="gaps"),
              title="City area outside the service radius of every facility, per kind"),
    ])
