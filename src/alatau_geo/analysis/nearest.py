"""Nearest facility along a straight line, for many points at once.

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

Every function works in the working CRS, EPSG:32643 (UTM 43N, metres), and
refuses other input with a :class:`~alatau_geo.core.errors.CRSError` that
names the CRSs involved (:mod:`alatau_geo.analysis.input_checks`). An empty
facility layer, a kind without facilities, missing or empty geometries or
ids raise a one-line :class:`~alatau_geo.core.errors.LayerError`;
:func:`nearest_by_kind` takes ``on_missing="warn"`` to leave a kind without
facilities as missing values (``<NA>``) instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from alatau_geo.analysis.input_checks import (
    Geo,
    OnMissing,
    check_working_crs,
    geometry_array,
    missing_kinds,
    report_missing,
    require_columns,
    row_labels,
)
from alatau_geo.core.errors import LayerError

#: Longest segment of a line facility before its vertices are used, metres.
DENSIFY_M = 10.0
#: Relative margin within which the tree search looks again for tied vertices.
TIE_RTOL = 1e-9
#: Up to this many facility vertices, a vectorised scan replaces the tree query.
SCAN_MAX_VERTICES = 64
_SCAN_CHUNK = 16_384

NEAREST_COLUMNS = ("facility_id", "distance_m")
_POINT, _LINESTRING, _MULTIPOINT, _MULTILINESTRING = 0, 1, 4, 5
_LINE_TYPES = (_LINESTRING, 2, _MULTILINESTRING)  # 2 = LinearRing


def point_xy(points: Geo, *, what: str) -> np.ndarray:
    """(n, 2) coordinates: the point itself, or a non-point's representative point.

    The fast path reads x and y straight into one array; only when a row is not
    a plain point does the careful path run.
    """
    geometries = geometry_array(points)
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
        raise LayerError(f"{what}: missing or empty geometry in row(s) {row_labels(points.index, missing)}")
    other = shapely.get_type_id(geometries) != _POINT
    if other.any():
        geometries = geometries.copy()
        geometries[other] = shapely.point_on_surface(geometries[other])
    xy = np.column_stack([shapely.get_x(geometries), shapely.get_y(geometries)])
    bad = np.isnan(xy).any(axis=1)
    if bad.any():
        raise LayerError(f"{what}: NaN coordinates in row(s) {row_labels(points.index, bad)}")
    return xy


def _facility_vertices(facilities: gpd.GeoDataFrame, *, id_column: str, densify_m: float,
                       what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facility ids in sorted order, vertex coordinates, and each vertex's facility (index into the ids)."""
    if len(facilities) == 0:
        raise LayerError(f"{what}: no facilities (empty layer); add at least one or leave this kind out")
    require_columns(facilities, [id_column], what=what)
    ids = facilities[id_column]
    if ids.isna().any():
        missing = row_labels(facilities.index, ids.isna().to_numpy())
        raise LayerError(f"{what}: missing {id_column!r} in row(s) {missing}")
    geometries = geometry_array(facilities)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    if empty.any():
        raise LayerError(f"{what}: missing or empty geometry in row(s) {row_labels(facilities.index, empty)}")
    types = shapely.get_type_id(geometries)
    polygonal = ~np.isin(types, (_POINT, _MULTIPOINT, *_LINE_TYPES))
    if polygonal.any():
        raise LayerError(f"{what}: facilities must be points or lines; row(s) "
                         f"{row_labels(facilities.index, polygonal)} are not (use their representative points)")
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
    check_working_crs((points, "points"), (facilities, what))
    if not densify_m > 0:
        raise ValueError(f"densify_m must be greater than 0, got {densify_m}")
    ids, vertices, owner = _facility_vertices(facilities, id_column=id_column, densify_m=densify_m, what=what)
    xy = point_xy(points, what="points")
    distance, nearest = _nearest_vertices(vertices, owner, xy, workers=workers)
    return pd.DataFrame({
        "facility_id": pd.Series(ids[nearest], index=points.index, dtype=facilities[id_column].dtype),
        "distance_m": pd.Series(distance, index=points.index),
    })


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
    check_working_crs((points, "points"), (facilities, "facilities"))
    missing = missing_kinds(facilities, kinds, kind_column=kind_column, what="facilities")
    messages = report_missing(missing, what="nearest_by_kind", on_missing=on_missing,
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
